//! 六、多主体比较: differences between the stakeholder groups, with tests.

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
    // 六、多主体比较
    b.h(
        1,
        "comparison",
        "六、多主体比较",
        "6. Differences between stakeholder groups",
    );
    for s in narrative::gaps(a, lang) {
        b.p(s);
    }
    let rows = a
        .gaps
        .iter()
        .map(|g| {
            let pair = g.pairs.iter().find(|p| {
                (p.a == g.highest && p.b == g.lowest) || (p.a == g.lowest && p.b == g.highest)
            });
            vec![
                Cell::number(g.rank as f64, 0),
                Cell::text(format!("{} {}", g.code, g.name)),
                Cell::text(format!(
                    "{} / {}",
                    group_name(g.highest, lang),
                    group_name(g.lowest, lang)
                )),
                Cell::number(g.gap, 1),
                pair.map_or_else(|| Cell::text("—"), |p| Cell::number(p.welch.t, 2)),
                pair.map_or_else(
                    || Cell::text("—"),
                    |p| Cell::text(narrative::p_text(p.p_holm)),
                ),
                pair.map_or_else(
                    || Cell::text("—"),
                    |p| Cell::number(p.welch.hedges_g.abs(), 2),
                ),
                g.kruskal_wallis.as_ref().map_or_else(
                    || Cell::text("—"),
                    |k| {
                        Cell::text(format!(
                            "H={:.2}，{}，ε²={:.3}",
                            k.h,
                            narrative::p_text(k.p),
                            k.epsilon_squared
                        ))
                    },
                ),
            ]
        })
        .collect();
    b.table(Table {
        id: "gaps".into(),
        caption: lang
            .pick(
                "表 8 评价主体间差异（按差距排序）",
                "Table 8 Gaps between groups",
            )
            .into(),
        header: columns::header(
            &[
                Column::Rank,
                Column::Indicator,
                Column::HighestLowest,
                Column::Gap,
                Column::Same("Welch t"),
                Column::PHolm,
                Column::Same("Hedges g"),
                Column::Same("Kruskal–Wallis"),
            ],
            b.lang(),
        ),
        rows,
        note: Some(
            lang.pick(
                "只比较样本量达到最小单元格要求的评价主体。",
                "Only groups above the minimum cell size are compared.",
            )
            .into(),
        ),
    });
    Ok(())
}
