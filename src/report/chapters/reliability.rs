//! 四、信度检验: Cronbach's α per scale with its chart.

use crate::charts::alpha::AlphaBars;
use crate::charts::ChartError;
use crate::report::columns::{self, Column};
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
    // 四、信度检验
    b.h(1, "reliability", "四、信度检验", "4. Reliability");
    b.p(narrative::reliability(input, lang));
    let rows = a
        .reliability
        .iter()
        .map(|r| {
            vec![
                Cell::text(group_name(r.group, lang)),
                Cell::text(if r.scale == "questionnaire" {
                    lang.pick("整份问卷", "Whole questionnaire").to_string()
                } else {
                    format!(
                        "{} {}",
                        r.scale,
                        input.info.framework.name_of(&r.scale).unwrap_or_default()
                    )
                }),
                Cell::number(r.reliability.items as f64, 0),
                Cell::number(r.reliability.n as f64, 0),
                r.reliability
                    .alpha
                    .map_or_else(|| Cell::text("—"), |x| Cell::number(x, 3)),
                Cell::text(match (r.reliability.ci_low, r.reliability.ci_high) {
                    (Some(l), Some(h)) => format!("[{l:.3}, {h:.3}]"),
                    _ => "—".into(),
                }),
                Cell::text(if r.low_alpha {
                    lang.pick("偏低（< 0.7）", "low (< 0.7)")
                } else {
                    lang.pick("可接受", "acceptable")
                }),
                Cell::text(r.items_raising_alpha.join("、")),
            ]
        })
        .collect();
    b.table(Table {
        id: "reliability".into(),
        caption: lang
            .pick("表 5 Cronbach's α 信度系数", "Table 5 Cronbach's alpha")
            .into(),
        header: columns::header(
            &[
                Column::Group,
                Column::Scale,
                Column::Items,
                Column::ValidN,
                Column::Same("α"),
                Column::Same("95% CI (Feldt)"),
                Column::Verdict,
                Column::AlphaIfDeleted,
            ],
            b.lang(),
        ),
        rows,
        note: Some(
            lang.pick(
                "α ≥ 0.7 为可接受；仅含 2 题的分量表 α 偏低较常见，解读时以整份问卷为主。",
                "α ≥ 0.7 is acceptable.",
            )
            .into(),
        ),
    });
    let scales: Vec<(String, f64)> = a
        .reliability
        .iter()
        .filter_map(|r| {
            let label = if r.scale == "questionnaire" {
                format!("{} 整份问卷", group_name(r.group, lang))
            } else {
                format!("{} {}", group_name(r.group, lang), r.scale)
            };
            Some((label, r.reliability.alpha?))
        })
        .collect();
    if !scales.is_empty() {
        let chart = AlphaBars {
            title: lang
                .pick(
                    "各量表 Cronbach's α（红线为 0.7）",
                    "Cronbach's α by scale (red line: 0.7)",
                )
                .into(),
            scales,
            width: 680,
        };
        b.figure(
            "fig-alpha",
            lang.pick("图 2 信度系数", "Figure 2 Reliability").into(),
            &chart,
        )?;
    }
    Ok(())
}
