//! 七、主要问题 / 八、对策建议: problems found and recommendations, from the narrative rules.

use crate::charts::ChartError;
use crate::report::document::Block;
use crate::report::narrative;
use crate::report::view::*;

pub(crate) fn write<'a>(
    b: &mut Builder<'a>,
    _facts: &narrative::Facts<'a>,
) -> Result<(), ChartError> {
    let input: &'a ReportInput<'a> = b.input;
    // 七、主要问题 / 八、对策建议
    let problems = narrative::problems(input);
    b.h(1, "problems", "七、主要问题", "7. Problems found");
    b.blocks.push(Block::List(
        problems.iter().map(|p| p.text.clone()).collect(),
    ));
    b.h(1, "recommendations", "八、对策建议", "8. Recommendations");
    b.blocks.push(Block::List(
        problems
            .iter()
            .map(|p| narrative::recommendation(input, p))
            .collect(),
    ));
    Ok(())
}
