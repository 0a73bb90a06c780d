//! Report view model: every number formatted once here, from the analysis (which has
//! already applied small-cell suppression), so every format shows the same thing.

use serde::Serialize;

use crate::analysis::evaluation::{self, Analysis};
use crate::analysis::Level;
use crate::charts::bars::{grouped_bars_svg, horizontal_bars_svg, Series};
use crate::charts::ChartError;
use crate::domain::campaign::CampaignInfo;
use crate::domain::Audience;

#[derive(Debug, Serialize)]
pub struct ReportView {
    pub title: String,
    pub description: String,
    pub organisations: String,
    pub generated_at: String,
    pub total_responses: u64,
    pub min_cell_size: u64,
    pub groups: Vec<GroupRow>,
    pub group_headers: Vec<String>,
    pub composite: IndicatorRow,
    pub composite_score: String,
    pub composite_grade: String,
    pub indicators: Vec<IndicatorRow>,
    pub reliability: Vec<ReliabilityRow>,
    pub gaps: Vec<GapRow>,
    pub fuzzy: Option<FuzzyView>,
    pub any_suppressed: bool,
    pub chart_first_level: String,
    pub chart_second_level: String,
}

#[derive(Debug, Serialize)]
pub struct GroupRow {
    pub name: String,
    pub responses: u64,
    pub weight: String,
}

#[derive(Debug, Serialize)]
pub struct IndicatorRow {
    pub code: String,
    pub name: String,
    pub first_level: bool,
    pub weight: String,
    pub cells: Vec<Cell>,
}

#[derive(Debug, Serialize)]
pub struct Cell {
    pub score: String,
    pub detail: String,
    pub suppressed: bool,
}

#[derive(Debug, Serialize)]
pub struct ReliabilityRow {
    pub group: String,
    pub scale: String,
    pub items: usize,
    pub n: usize,
    pub alpha: String,
    pub ci: String,
    pub verdict: String,
}

#[derive(Debug, Serialize)]
pub struct GapRow {
    pub rank: usize,
    pub indicator: String,
    pub highest: String,
    pub lowest: String,
    pub gap: String,
    pub test: String,
}

#[derive(Debug, Serialize)]
pub struct FuzzyView {
    pub grades: Vec<String>,
    pub rows: Vec<(String, Vec<String>, String, String)>,
}

pub fn fmt1(v: Option<f64>) -> String {
    v.map_or_else(|| "—".to_string(), |v| format!("{v:.1}"))
}

fn fmt_p(p: f64) -> String {
    if p < 0.001 {
        "p<0.001".into()
    } else {
        format!("p={p:.3}")
    }
}

fn cell(c: Option<&evaluation::Cell>) -> Cell {
    match c {
        Some(c) if c.suppressed.is_hidden() => Cell {
            score: "样本不足".into(),
            detail: c.note.clone().unwrap_or_default(),
            suppressed: true,
        },
        Some(c) if c.mean.is_some() => Cell {
            score: fmt1(c.mean),
            detail: match (c.ci_low, c.ci_high) {
                (Some(lo), Some(hi)) => format!("n={}，95%CI [{lo:.1}, {hi:.1}]", c.n),
                _ => format!("n={}", c.n),
            },
            suppressed: false,
        },
        _ => Cell {
            score: "—".into(),
            detail: "无数据".into(),
            suppressed: false,
        },
    }
}

fn row(ind: &evaluation::IndicatorRow, groups: &[Audience]) -> IndicatorRow {
    let mut cells: Vec<Cell> = groups.iter().map(|g| cell(ind.by_group.get(g))).collect();
    cells.push(cell(Some(&ind.combined)));
    IndicatorRow {
        code: ind.code.clone(),
        name: ind.name.clone(),
        first_level: ind.level != Level::Second,
        weight: format!("{:.3}", ind.weight),
        cells,
    }
}

fn shown(c: &evaluation::Cell) -> Option<f64> {
    if c.suppressed.is_hidden() {
        None
    } else {
        c.mean
    }
}

pub fn build(
    info: &CampaignInfo,
    a: &Analysis,
    generated_at: String,
) -> Result<ReportView, ChartError> {
    let groups: Vec<Audience> = a.responses.keys().copied().collect();
    let first: Vec<&evaluation::IndicatorRow> = a
        .indicators
        .iter()
        .filter(|i| i.level == Level::First)
        .collect();
    let categories: Vec<String> = first.iter().map(|i| i.name.clone()).collect();
    let series: Vec<Series> = groups
        .iter()
        .map(|g| Series {
            name: g.label_zh().to_string(),
            values: first
                .iter()
                .map(|i| i.by_group.get(g).and_then(shown))
                .collect(),
        })
        .collect();
    let chart_first_level = grouped_bars_svg(
        "一级指标得分（按评价主体）",
        &categories,
        &series,
        (760, 380),
    )?;
    let second: Vec<(String, Option<f64>)> = a
        .indicators
        .iter()
        .filter(|i| i.level == Level::Second)
        .map(|i| (format!("{} {}", i.code, i.name), shown(&i.combined)))
        .collect();
    let chart_second_level = horizontal_bars_svg("二级指标综合得分", &second, 760)?;
    let indicators: Vec<IndicatorRow> = a.indicators.iter().map(|i| row(i, &groups)).collect();
    let composite = row(&a.composite, &groups);
    let any_suppressed = indicators
        .iter()
        .chain([&composite])
        .any(|r| r.cells.iter().any(|c| c.suppressed));
    let reliability = a
        .reliability
        .iter()
        .filter(|r| r.scale == "questionnaire" || info.framework.sub(&r.scale).is_some())
        .map(|r| ReliabilityRow {
            group: r.group.label_zh().to_string(),
            scale: if r.scale == "questionnaire" {
                "整份问卷".to_string()
            } else {
                format!(
                    "{} {}",
                    r.scale,
                    info.framework.name_of(&r.scale).unwrap_or_default()
                )
            },
            items: r.reliability.items,
            n: r.reliability.n,
            alpha: r
                .reliability
                .alpha
                .map_or_else(|| "—".into(), |x| format!("{x:.3}")),
            ci: match (r.reliability.ci_low, r.reliability.ci_high) {
                (Some(l), Some(h)) => format!("[{l:.3}, {h:.3}]"),
                _ => "—".into(),
            },
            verdict: match r.reliability.alpha {
                Some(x) if x >= 0.8 => "良好".into(),
                Some(x) if x >= 0.7 => "可接受".into(),
                Some(_) => "偏低".into(),
                None => "—".into(),
            },
        })
        .collect();
    let gaps = a
        .gaps
        .iter()
        .take(8)
        .map(|g| {
            let best = g.pairs.iter().find(|p| {
                (p.a == g.highest && p.b == g.lowest) || (p.a == g.lowest && p.b == g.highest)
            });
            GapRow {
                rank: g.rank,
                indicator: format!("{} {}", g.code, g.name),
                highest: g.highest.label_zh().into(),
                lowest: g.lowest.label_zh().into(),
                gap: format!("{:.1}", g.gap),
                test: best.map_or_else(
                    || "—".into(),
                    |p| {
                        format!(
                            "Welch t={:.2}，Holm 校正 {}，Hedges g={:.2}",
                            p.welch.t,
                            fmt_p(p.p_holm),
                            p.welch.hedges_g.abs()
                        )
                    },
                ),
            }
        })
        .collect();
    let fuzzy = (!a.fuzzy.grades.is_empty()).then(|| FuzzyView {
        grades: a.fuzzy.grades.clone(),
        rows: a
            .fuzzy
            .first_level
            .iter()
            .chain(a.fuzzy.overall.as_ref())
            .map(|f| {
                (
                    f.name.clone(),
                    f.result.b.iter().map(|x| format!("{x:.3}")).collect(),
                    f.result.grade.clone(),
                    format!("{:.1}", f.result.score),
                )
            })
            .collect(),
    });
    Ok(ReportView {
        title: info.title.clone(),
        description: info.description.clone(),
        organisations: info.organisations.join("、"),
        generated_at,
        total_responses: a.responses.values().sum(),
        min_cell_size: a.method.min_cell_size,
        groups: groups
            .iter()
            .map(|g| GroupRow {
                name: g.label_zh().to_string(),
                responses: a.responses.get(g).copied().unwrap_or(0),
                weight: format!("{:.2}", a.group_weights.get(g).copied().unwrap_or(0.0)),
            })
            .collect(),
        group_headers: groups
            .iter()
            .map(|g| g.label_zh().to_string())
            .chain(["综合".to_string()])
            .collect(),
        composite_score: fmt1(shown(&a.composite.combined)),
        composite_grade: a
            .composite
            .combined
            .grade
            .clone()
            .unwrap_or_else(|| "—".into()),
        composite,
        indicators,
        reliability,
        gaps,
        fuzzy,
        any_suppressed,
        chart_first_level,
        chart_second_level,
    })
}
