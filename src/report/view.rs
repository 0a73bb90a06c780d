//! Report view model: every number formatted once here, so every format shows the same.

use serde::Serialize;

use crate::analysis::{CampaignScores, IndicatorScores, Level, ScoreStat};
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
    pub groups: Vec<GroupRow>,
    pub group_headers: Vec<String>,
    pub composite: IndicatorRow,
    pub composite_score: String,
    pub indicators: Vec<IndicatorRow>,
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
}

pub fn fmt1(v: Option<f64>) -> String {
    v.map_or_else(|| "—".to_string(), |v| format!("{v:.1}"))
}

fn cell(s: Option<&ScoreStat>) -> Cell {
    match s {
        Some(s) if s.mean.is_some() => Cell {
            score: fmt1(s.mean),
            detail: match (s.ci_low, s.ci_high) {
                (Some(lo), Some(hi)) => format!("n={}，95%CI [{lo:.1}, {hi:.1}]", s.n),
                _ => format!("n={}", s.n),
            },
        },
        _ => Cell {
            score: "—".into(),
            detail: "无数据".into(),
        },
    }
}

fn row(ind: &IndicatorScores, groups: &[Audience]) -> IndicatorRow {
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

pub fn build(
    info: &CampaignInfo,
    scores: &CampaignScores,
    generated_at: String,
) -> Result<ReportView, ChartError> {
    let groups: Vec<Audience> = scores.responses.keys().copied().collect();
    let first: Vec<&IndicatorScores> = scores
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
                .map(|i| i.by_group.get(g).and_then(|s| s.mean))
                .collect(),
        })
        .collect();
    let chart_first_level = grouped_bars_svg(
        "一级指标得分（按评价主体）",
        &categories,
        &series,
        (760, 380),
    )?;
    let second: Vec<(String, Option<f64>)> = scores
        .indicators
        .iter()
        .filter(|i| i.level == Level::Second)
        .map(|i| (format!("{} {}", i.code, i.name), i.combined.mean))
        .collect();
    let chart_second_level = horizontal_bars_svg("二级指标综合得分", &second, 760)?;
    Ok(ReportView {
        title: info.title.clone(),
        description: info.description.clone(),
        organisations: info.organisations.join("、"),
        generated_at,
        total_responses: scores.responses.values().sum(),
        groups: groups
            .iter()
            .map(|g| GroupRow {
                name: g.label_zh().to_string(),
                responses: scores.responses.get(g).copied().unwrap_or(0),
                weight: format!("{:.2}", scores.group_weights.get(g).copied().unwrap_or(0.0)),
            })
            .collect(),
        group_headers: groups
            .iter()
            .map(|g| g.label_zh().to_string())
            .chain(["综合".to_string()])
            .collect(),
        composite: row(&scores.composite, &groups),
        composite_score: fmt1(scores.composite.combined.mean),
        indicators: scores.indicators.iter().map(|i| row(i, &groups)).collect(),
        chart_first_level,
        chart_second_level,
    })
}
