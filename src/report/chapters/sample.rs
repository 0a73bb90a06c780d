//! 三、样本概况: who answered, per group and background attribute, and the data quality
//! of the answers (`quality`) and their weighting to the population (`weighting`).

use crate::charts::ChartError;
use crate::report::document::{Cell, Table};
use crate::report::narrative;
use crate::report::view::*;

pub(crate) fn write<'a>(
    b: &mut Builder<'a>,
    _facts: &narrative::Facts<'a>,
) -> Result<(), ChartError> {
    let input: &'a ReportInput<'a> = b.input;
    let a = input.analysis;
    let lang = input.lang;
    // 三、样本概况
    b.h(1, "sample", "三、样本概况", "3. Sample");
    for bd in &a.breakdowns {
        let label = narrative::attribute_label(&bd.attribute, lang);
        let rows: Vec<Vec<Cell>> =
            bd.values
                .iter()
                .map(|v| {
                    let mut r = vec![Cell::text(narrative::value_label(
                        input,
                        &bd.attribute,
                        &v.value,
                    ))];
                    r.extend(b.groups.iter().map(|g| {
                        Cell::number(v.respondents.get(g).copied().unwrap_or(0) as f64, 0)
                    }));
                    r
                })
                .collect();
        let mut header = vec![label.to_string()];
        header.extend(b.groups.iter().map(|g| group_name(*g, lang).to_string()));
        b.table(Table {
            id: format!("sample-{}", bd.attribute),
            caption: format!("{}{label}", lang.pick("样本构成：", "Sample by ")),
            header,
            rows,
            note: None,
        });
    }
    super::weighting::write(b);
    super::quality::write(b);
    Ok(())
}
