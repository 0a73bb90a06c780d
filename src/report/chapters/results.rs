//! 五、评价结果: composite and indicator scores per group, grades and the fuzzy evaluation, breakdowns, item statistics, importance–performance and waves.

use crate::analysis::evaluation::IndicatorRow;
use crate::analysis::Level;
use crate::charts::bars::{GroupedBars, Series};
use crate::charts::heatmap::Heatmap;
use crate::charts::ipa::IpaScatter;
use crate::charts::radar::Radar;
use crate::charts::ChartError;
use crate::report::columns::{self, Column};
use crate::report::document::{Block, Cell, Table};
use crate::report::narrative;
use crate::report::view::*;

pub(crate) fn write<'a>(
    b: &mut Builder<'a>,
    facts: &narrative::Facts<'a>,
) -> Result<(), ChartError> {
    opening(b, facts)?;
    indicator_chart(b)?;
    sector_breakdown(b)?;
    grades(b)?;
    wave(b)?;
    Ok(())
}

/// The chapter's heading and its first section.
fn opening<'a>(b: &mut Builder<'a>, facts: &narrative::Facts<'a>) -> Result<(), ChartError> {
    let input: &'a ReportInput<'a> = b.input;
    let a = input.analysis;
    let lang = input.lang;
    // 五、评价结果
    b.h(1, "results", "五、评价结果", "5. Results");
    b.h(2, "composite", "（一）综合评价", "5.1 Overall");
    b.p(narrative::composite(facts, lang));
    let first: Vec<&IndicatorRow> = a
        .indicators
        .iter()
        .filter(|i| i.level == Level::First)
        .collect();
    let radar = Radar {
        title: lang
            .pick("一级指标得分雷达图", "First-level indicators")
            .into(),
        axes: first.iter().map(|i| i.name.clone()).collect(),
        series: b
            .groups
            .iter()
            .map(|g| {
                (
                    group_name(*g, lang).to_string(),
                    first
                        .iter()
                        .map(|i| i.by_group.get(g).and_then(shown))
                        .collect(),
                )
            })
            .collect(),
        size: 520,
    };
    b.figure(
        "fig-radar",
        lang.pick(
            "图 3 各评价主体一级指标得分",
            "Figure 3 First-level scores by group",
        )
        .into(),
        &radar,
    )?;
    let mut rows = vec![b.score_row(
        vec![
            Cell::text(a.composite.code.clone()),
            Cell::text(a.composite.name.clone()).strong(),
        ],
        &a.composite,
    )];
    rows.extend(first.iter().map(|i| {
        b.score_row(
            vec![Cell::text(i.code.clone()), Cell::text(i.name.clone())],
            i,
        )
    }));
    let header = b.group_header(&[Column::Code, Column::Indicator]);
    b.table(Table {
        id: "first-level".into(),
        caption: lang
            .pick(
                "表 6 综合指数与一级指标得分（0–100）",
                "Table 6 Composite and first-level scores",
            )
            .into(),
        header,
        rows,
        note: Some(narrative::suppression_note(a, lang)),
    });
    for ind in &first {
        let children: Vec<&IndicatorRow> = a
            .indicators
            .iter()
            .filter(|r| r.parent.as_deref() == Some(ind.code.as_str()))
            .collect();
        b.blocks.push(Block::Heading {
            level: 3,
            id: format!("ind-{}", ind.code),
            text: format!("{} {}", ind.code, ind.name),
        });
        b.p(narrative::first_level(ind, &children, &b.groups, lang));
        let rows = children
            .iter()
            .map(|c| {
                b.score_row(
                    vec![Cell::text(c.code.clone()), Cell::text(c.name.clone())],
                    c,
                )
            })
            .collect();
        let header = b.group_header(&[Column::Code, Column::SecondLevel]);
        b.table(Table {
            id: format!("scores-{}", ind.code),
            caption: format!(
                "{} {}：{}",
                ind.code,
                ind.name,
                lang.pick("二级指标得分（按评价主体）", "second-level scores by group")
            ),
            header,
            rows,
            note: None,
        });
        if let Some(sector) = a.breakdowns.iter().find(|bd| bd.attribute == "sector") {
            let mut header = columns::header(&[Column::SecondLevel], lang);
            header.extend(
                sector
                    .values
                    .iter()
                    .map(|v| narrative::value_label(input, "sector", &v.value)),
            );
            let rows = children
                .iter()
                .map(|c| {
                    let mut r = vec![Cell::text(format!("{} {}", c.code, c.name))];
                    r.extend(sector.values.iter().map(|v| {
                        score_cell(
                            v.indicators
                                .iter()
                                .find(|x| x.code == c.code)
                                .map(|x| &x.combined),
                            lang,
                        )
                    }));
                    r
                })
                .collect();
            b.table(Table {
                id: format!("sector-{}", ind.code),
                caption: format!(
                    "{} {}：{}",
                    ind.code,
                    ind.name,
                    lang.pick(
                        "二级指标得分（按产业方向，综合）",
                        "second-level scores by sector"
                    )
                ),
                header,
                rows,
                note: None,
            });
        }
    }
    Ok(())
}

/// The indicator scores per group as grouped bars.
fn indicator_chart<'a>(b: &mut Builder<'a>) -> Result<(), ChartError> {
    let input: &'a ReportInput<'a> = b.input;
    let a = input.analysis;
    let lang = input.lang;
    let chart = GroupedBars {
        axis: crate::charts::bars::Axis::score(),
        title: lang
            .pick(
                "二级指标得分及 95% 置信区间",
                "Second-level scores with 95% CI",
            )
            .into(),
        categories: a
            .indicators
            .iter()
            .filter(|i| i.level == Level::Second)
            .map(|i| i.code.clone())
            .collect(),
        series: b
            .groups
            .iter()
            .map(|g| Series {
                name: group_name(*g, lang).into(),
                values: a
                    .indicators
                    .iter()
                    .filter(|i| i.level == Level::Second)
                    .map(|i| {
                        i.by_group
                            .get(g)
                            .and_then(|c| Some((shown(c)?, c.ci_low, c.ci_high)))
                    })
                    .collect(),
            })
            .collect(),
        size: (900, 420),
    };
    b.figure(
        "fig-second",
        lang.pick(
            "图 4 二级指标得分（按评价主体）",
            "Figure 4 Second-level scores by group",
        )
        .into(),
        &chart,
    )?;
    Ok(())
}

/// The composite and first-level scores by sector.
fn sector_breakdown<'a>(b: &mut Builder<'a>) -> Result<(), ChartError> {
    let input: &'a ReportInput<'a> = b.input;
    let a = input.analysis;
    let lang = input.lang;
    if let Some(sector) = a.breakdowns.iter().find(|bd| bd.attribute == "sector") {
        let seconds: Vec<&IndicatorRow> = a
            .indicators
            .iter()
            .filter(|i| i.level == Level::Second)
            .collect();
        let heat = Heatmap {
            title: lang
                .pick(
                    "二级指标 × 产业方向（综合得分）",
                    "Second-level indicator × sector",
                )
                .into(),
            rows: seconds
                .iter()
                .map(|i| format!("{} {}", i.code, i.name))
                .collect(),
            columns: sector
                .values
                .iter()
                .map(|v| narrative::value_label(input, "sector", &v.value))
                .collect(),
            values: seconds
                .iter()
                .map(|i| {
                    sector
                        .values
                        .iter()
                        .map(|v| {
                            v.indicators
                                .iter()
                                .find(|x| x.code == i.code)
                                .and_then(|x| shown(&x.combined))
                        })
                        .collect()
                })
                .collect(),
            width: 720,
        };
        b.figure(
            "fig-heatmap",
            lang.pick("图 5 各产业方向二级指标得分", "Figure 5 Scores by sector")
                .into(),
            &heat,
        )?;
    }
    Ok(())
}

/// （二）等级评定与模糊综合评价: grades and the fuzzy evaluation, and importance–performance.
fn grades<'a>(b: &mut Builder<'a>) -> Result<(), ChartError> {
    let input: &'a ReportInput<'a> = b.input;
    let a = input.analysis;
    let lang = input.lang;
    b.h(
        2,
        "grades",
        "（二）等级评定与模糊综合评价",
        "5.2 Grades and fuzzy evaluation",
    );
    b.p(narrative::bands(a, lang));
    if !a.fuzzy.grades.is_empty() {
        let mut header = columns::header(&[Column::Indicator], lang);
        header.extend(a.fuzzy.grades.iter().cloned());
        header.extend(columns::header(&[Column::Grade, Column::Score], lang));
        let rows = a
            .fuzzy
            .first_level
            .iter()
            .chain(a.fuzzy.overall.as_ref())
            .map(|f| {
                let mut r = vec![Cell::text(f.name.clone())];
                r.extend(f.result.b.iter().map(|x| Cell::number(*x, 3)));
                r.push(Cell::text(f.result.grade.clone()));
                r.push(Cell::number(f.result.score, 2));
                r
            })
            .collect();
        b.table(Table {
            id: "fuzzy".into(),
            caption: lang
                .pick(
                    "表 7 模糊综合评价（隶属度与评价等级）",
                    "Table 7 Fuzzy comprehensive evaluation",
                )
                .into(),
            header,
            rows,
            note: Some(narrative::fuzzy_note(a, lang)),
        });
    }
    for g in &a.ipa {
        let items: Vec<(String, f64, f64)> = g
            .items
            .iter()
            .zip(&g.ipa.items)
            .map(|(id, it)| (id.clone(), it.importance, it.performance))
            .collect();
        let chart = IpaScatter {
            title: format!(
                "{}：{}",
                group_name(g.group, lang),
                lang.pick("重要性—表现分析", "importance–performance")
            ),
            points: items,
            importance_mean: g.ipa.importance_mean,
            performance_mean: g.ipa.performance_mean,
            range: (1.0, f64::from(g.points)),
            size: 520,
        };
        b.figure(
            &format!("fig-ipa-{}", g.group),
            format!("IPA：{}", group_name(g.group, lang)),
            &chart,
        )?;
    }
    Ok(())
}

/// （三）与上一轮调查比较: the change since the previous wave, when there is one.
fn wave<'a>(b: &mut Builder<'a>) -> Result<(), ChartError> {
    let input: &'a ReportInput<'a> = b.input;
    let a = input.analysis;
    let lang = input.lang;
    if let Some(w) = &a.wave {
        b.h(
            2,
            "wave",
            "（三）与上一轮调查比较",
            "5.3 Change since the previous wave",
        );
        let rows = w
            .changes
            .iter()
            .filter(|c| c.group.is_none())
            .map(|c| {
                vec![
                    Cell::text(format!("{} {}", c.code, c.name)),
                    Cell::text(fmt1(c.previous)),
                    Cell::text(fmt1(c.current)),
                    Cell::text(c.change.map_or("—".into(), |d| format!("{d:+.1}"))),
                ]
            })
            .collect();
        b.table(Table {
            id: "wave".into(),
            caption: format!(
                "{}{}",
                lang.pick("与上一轮比较：", "Compared with "),
                w.previous
            ),
            header: columns::header(
                &[
                    Column::Indicator,
                    Column::Previous,
                    Column::Current,
                    Column::Change,
                ],
                b.lang(),
            ),
            rows,
            note: None,
        });
    }
    Ok(())
}
