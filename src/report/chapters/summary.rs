//! 摘要: the summary paragraphs from the narrative rules.

use crate::charts::ChartError;
use crate::report::narrative;
use crate::report::view::*;

pub(crate) fn write<'a>(
    b: &mut Builder<'a>,
    facts: &narrative::Facts<'a>,
) -> Result<(), ChartError> {
    let input: &'a ReportInput<'a> = b.input;
    let lang = input.lang;
    // 摘要
    b.h(1, "summary", "摘要", "Summary");
    for s in narrative::summary(facts, lang) {
        b.p(s);
    }
    Ok(())
}
