//! The full evaluation behind `/analysis` and the report: weights, scores with grades
//! and suppression, breakdowns, item statistics, reliability, stakeholder gaps, fuzzy
//! evaluation, importance–performance analysis and the comparison with an earlier wave.
//! Every method parameter used is echoed in `method`.

use std::collections::{BTreeMap, HashMap};

use polars::prelude::*;
use serde::Serialize;

use super::frame::{Frames, VersionFrame};
use super::fuzzy::{evaluate, evaluate_membership, FuzzyResult};
use super::grading::grade;
use super::inference::{holm, kruskal_wallis, welch, KruskalWallis, Welch};
use super::ipa::{ipa, Ipa};
use super::reliability::{cronbach_columns, Reliability};
use super::scores::{
    cell_stats, indicator_table, respondent_scores, score_column, IndicatorScores, Level,
    RespondentScores,
};
use super::stats::ScoreStat;
use super::suppression::{suppress, Suppressed};
use super::weights::entropy;
use crate::domain::campaign::{AhpRecord, AnalysisSettings, CampaignInfo, WeightMethod};
use crate::domain::{Audience, Framework};

/// A published cell: statistics, its grade, or the reason it is hidden.
#[derive(Debug, Clone, Serialize)]
pub struct Cell {
    pub n: u64,
    pub mean: Option<f64>,
    pub sd: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    pub grade: Option<String>,
    pub suppressed: Suppressed,
    pub note: Option<String>,
}

impl Cell {
    fn new(s: &ScoreStat, state: Suppressed, settings: &AnalysisSettings) -> Self {
        if state.is_hidden() {
            return Cell {
                n: s.n,
                mean: None,
                sd: None,
                ci_low: None,
                ci_high: None,
                grade: None,
                suppressed: state,
                note: state.reason_zh(settings.min_cell_size),
            };
        }
        Cell {
            n: s.n,
            mean: s.mean,
            sd: s.sd,
            ci_low: s.ci_low,
            ci_high: s.ci_high,
            grade: s
                .mean
                .and_then(|m| grade(m, &settings.grades))
                .map(str::to_string),
            suppressed: Suppressed::No,
            note: None,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct IndicatorRow {
    pub code: String,
    pub name: String,
    pub level: Level,
    pub parent: Option<String>,
    pub weight: f64,
    pub by_group: BTreeMap<Audience, Cell>,
    pub combined: Cell,
}

#[derive(Debug, Clone, Serialize)]
pub struct BreakdownValue {
    pub value: String,
    pub respondents: BTreeMap<Audience, u64>,
    pub composite: IndicatorRow,
    pub indicators: Vec<IndicatorRow>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Breakdown {
    pub attribute: String,
    pub values: Vec<BreakdownValue>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ItemStats {
    pub group: Audience,
    pub survey: String,
    pub item: String,
    pub text: String,
    pub indicator: String,
    pub reverse: bool,
    pub n: u64,
    pub missing: u64,
    /// On the scale as answered (1..points).
    pub mean: Option<f64>,
    pub sd: Option<f64>,
    /// Answers per scale point 1..points, as answered; hidden below the minimum cell.
    pub counts: Option<Vec<u64>>,
    pub percentages: Option<Vec<f64>>,
    /// Share of the two highest points, as answered.
    pub top2_share: Option<f64>,
    pub suppressed: Suppressed,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScaleReliability {
    pub group: Audience,
    pub survey: String,
    /// A second-level indicator code, or `"questionnaire"` for all scored items.
    pub scale: String,
    pub items: Vec<String>,
    #[serde(flatten)]
    pub reliability: Reliability,
    pub low_alpha: bool,
    /// Items whose deletion would raise α.
    pub items_raising_alpha: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PairTest {
    pub a: Audience,
    pub b: Audience,
    pub difference: f64,
    #[serde(flatten)]
    pub welch: Welch,
    pub p_holm: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct IndicatorGap {
    pub code: String,
    pub name: String,
    pub level: Level,
    /// Largest minus smallest group mean (score points).
    pub gap: f64,
    pub highest: Audience,
    pub lowest: Audience,
    pub pairs: Vec<PairTest>,
    pub kruskal_wallis: Option<KruskalWallis>,
    pub rank: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct FuzzyIndicator {
    pub code: String,
    pub name: String,
    pub factors: Vec<String>,
    pub weights: Vec<f64>,
    #[serde(flatten)]
    pub result: FuzzyResult,
}

#[derive(Debug, Clone, Serialize)]
pub struct FuzzyReport {
    pub grades: Vec<String>,
    pub first_level: Vec<FuzzyIndicator>,
    pub overall: Option<FuzzyIndicator>,
}

#[derive(Debug, Clone, Serialize)]
pub struct IpaGroup {
    pub group: Audience,
    /// The rated Likert items, in the order of `ipa.items`.
    pub items: Vec<String>,
    pub ipa: Ipa,
}

#[derive(Debug, Clone, Serialize)]
pub struct WaveChange {
    pub code: String,
    pub name: String,
    pub group: Option<Audience>,
    pub previous: Option<f64>,
    pub current: Option<f64>,
    pub change: Option<f64>,
    pub welch: Option<Welch>,
}

#[derive(Debug, Clone, Serialize)]
pub struct WaveComparison {
    pub previous: String,
    pub changes: Vec<WaveChange>,
}

#[derive(Debug, Clone, Serialize)]
pub struct WeightsReport {
    pub method: WeightMethod,
    pub first_level: Vec<(String, f64)>,
    pub second_level: Vec<(String, f64)>,
    pub ahp: Vec<AhpRecord>,
    /// For entropy weights: the units (values of `entropy_unit`) they were computed over.
    pub entropy_units: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Analysis {
    pub campaign: String,
    pub method: AnalysisSettings,
    pub group_weights: BTreeMap<Audience, f64>,
    pub responses: BTreeMap<Audience, u64>,
    pub weights: WeightsReport,
    pub composite: IndicatorRow,
    pub indicators: Vec<IndicatorRow>,
    pub breakdowns: Vec<Breakdown>,
    pub items: Vec<ItemStats>,
    pub reliability: Vec<ScaleReliability>,
    pub gaps: Vec<IndicatorGap>,
    pub fuzzy: FuzzyReport,
    pub ipa: Vec<IpaGroup>,
    pub wave: Option<WaveComparison>,
    /// Descriptive results of the questions not scored into an indicator.
    pub questions: Vec<super::tallies::QuestionSummary>,
}

/// The earlier wave to compare with.
pub struct PreviousWave<'a> {
    pub info: &'a CampaignInfo,
    pub frames: &'a Frames,
}

fn present_groups(frames: &Frames) -> Vec<Audience> {
    frames
        .counts
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(g, _)| *g)
        .collect()
}

/// Turns indicator scores into published rows, suppressing small group cells.
fn publish(ind: &IndicatorScores, settings: &AnalysisSettings) -> IndicatorRow {
    let groups: Vec<Audience> = ind.by_group.keys().copied().collect();
    let counts: Vec<u64> = groups.iter().map(|g| ind.by_group[g].n).collect();
    let states = suppress(&counts, settings.min_cell_size);
    let by_group = groups
        .iter()
        .zip(&states)
        .map(|(g, st)| (*g, Cell::new(&ind.by_group[g], *st, settings)))
        .collect();
    IndicatorRow::new(ind, by_group, false, settings)
}

impl IndicatorRow {
    /// A published row: the combined cell is hidden when it is itself small (primary)
    /// or when a group cell behind it is hidden (secondary: it would let the hidden
    /// cell be recovered from the published ones).
    fn new(
        ind: &IndicatorScores,
        by_group: BTreeMap<Audience, Cell>,
        group_hidden: bool,
        settings: &AnalysisSettings,
    ) -> Self {
        let combined_state = if ind.combined.n > 0 && ind.combined.n < settings.min_cell_size {
            Suppressed::Primary
        } else if group_hidden {
            Suppressed::Secondary
        } else {
            Suppressed::No
        };
        IndicatorRow {
            code: ind.code.clone(),
            name: ind.name.clone(),
            level: ind.level,
            parent: ind.parent.clone(),
            weight: ind.weight,
            by_group,
            combined: Cell::new(&ind.combined, combined_state, settings),
        }
    }
}

/// The framework with the weights the analysis uses: as stored, or, for the entropy
/// method, computed from the data.
pub fn effective_framework(
    info: &CampaignInfo,
    frames: &Frames,
) -> PolarsResult<(Framework, Vec<String>)> {
    match info.analysis.weights {
        WeightMethod::Entropy => entropy_framework(info, frames),
        _ => Ok((info.framework.clone(), Vec::new())),
    }
}

/// Entropy weights over units (values of `unit`), from group-combined unit means.
fn entropy_framework(
    info: &CampaignInfo,
    frames: &Frames,
) -> PolarsResult<(Framework, Vec<String>)> {
    let settings = &info.analysis;
    let mut fw = info.framework.clone();
    if !frames
        .respondents
        .get_column_names()
        .iter()
        .any(|c| c.as_str() == settings.entropy_unit)
    {
        return Ok((fw, Vec::new()));
    }
    let groups = present_groups(frames);
    let unit_means = |fw: &Framework| -> PolarsResult<BTreeMap<String, BTreeMap<String, f64>>> {
        let scores = respondent_scores(fw, frames, settings.min_item_share)?;
        let stats = cell_stats(&scores, Some((&frames.respondents, &settings.entropy_unit)))?;
        let units: std::collections::BTreeSet<String> =
            stats.keys().map(|(_, v, _)| v.clone()).collect();
        let mut out = BTreeMap::new();
        for u in units {
            let (composite, rows) = indicator_table(info, fw, &stats, &u, &groups);
            let mut m: BTreeMap<String, f64> = rows
                .iter()
                .filter_map(|r| Some((r.code.clone(), r.combined.mean?)))
                .collect();
            if let Some(c) = composite.combined.mean {
                m.insert(composite.code, c);
            }
            out.insert(u, m);
        }
        Ok(out)
    };
    let means = unit_means(&fw)?;
    let units: Vec<String> = means.keys().cloned().collect();
    let matrix = |codes: &[String]| -> Vec<Vec<f64>> {
        means
            .values()
            .filter_map(|m| {
                codes
                    .iter()
                    .map(|c| m.get(c).copied())
                    .collect::<Option<Vec<f64>>>()
            })
            .collect()
    };
    for ind in &mut fw.indicators {
        let codes: Vec<String> = ind.children.iter().map(|c| c.code.clone()).collect();
        if let Some(w) = entropy(&matrix(&codes)) {
            for (c, w) in ind.children.iter_mut().zip(w) {
                c.weight = w;
            }
        }
    }
    let means = unit_means(&fw)?;
    let codes: Vec<String> = fw.indicators.iter().map(|i| i.code.clone()).collect();
    let rows: Vec<Vec<f64>> = means
        .values()
        .filter_map(|m| {
            codes
                .iter()
                .map(|c| m.get(c).copied())
                .collect::<Option<Vec<f64>>>()
        })
        .collect();
    if let Some(w) = entropy(&rows) {
        for (i, w) in fw.indicators.iter_mut().zip(w) {
            i.weight = w;
        }
    }
    Ok((fw, units))
}

/// Respondent-level scores per (group, indicator), for tests between groups or waves.
fn score_vectors(scores: &RespondentScores) -> PolarsResult<HashMap<(String, String), Vec<f64>>> {
    let groups: Vec<Option<&str>> = scores.df.column("group")?.str()?.iter().collect();
    let mut out: HashMap<(String, String), Vec<f64>> = HashMap::new();
    for code in &scores.codes {
        let values = scores.df.column(&score_column(code))?.f64()?;
        let mut by_group: HashMap<&str, Vec<f64>> = HashMap::new();
        for (g, x) in groups.iter().zip(values.iter()) {
            if let (Some(g), Some(x)) = (g, x) {
                by_group.entry(g).or_default().push(x);
            }
        }
        for (g, v) in by_group {
            out.insert((g.to_string(), code.clone()), v);
        }
    }
    Ok(out)
}

/// Runs the whole evaluation.
pub fn analyse(
    info: &CampaignInfo,
    frames: &Frames,
    previous: Option<PreviousWave<'_>>,
) -> PolarsResult<Analysis> {
    let settings = &info.analysis;
    let (framework, entropy_units) = effective_framework(info, frames)?;
    let groups = present_groups(frames);
    let scores = respondent_scores(&framework, frames, settings.min_item_share)?;
    let stats = cell_stats(&scores, None)?;
    let (composite, indicators) = indicator_table(info, &framework, &stats, "", &groups);

    // Breakdowns, with suppression across the values of each attribute.
    let mut breakdowns = Vec::new();
    for attr in &settings.breakdowns {
        if !frames
            .respondents
            .get_column_names()
            .iter()
            .any(|c| c.as_str() == attr)
        {
            continue;
        }
        let stats = cell_stats(&scores, Some((&frames.respondents, attr)))?;
        let values: std::collections::BTreeSet<String> =
            stats.keys().map(|(_, v, _)| v.clone()).collect();
        if values.is_empty() {
            continue;
        }
        let values: Vec<String> = values.into_iter().collect();
        let tables: Vec<(IndicatorScores, Vec<IndicatorScores>)> = values
            .iter()
            .map(|v| indicator_table(info, &framework, &stats, v, &groups))
            .collect();
        // For each (group, indicator): suppression across values.
        let mut hidden: HashMap<(Audience, String, usize), Suppressed> = HashMap::new();
        let all_codes: Vec<String> = std::iter::once(tables[0].0.code.clone())
            .chain(tables[0].1.iter().map(|i| i.code.clone()))
            .collect();
        for g in &groups {
            for code in &all_codes {
                let counts: Vec<u64> = tables
                    .iter()
                    .map(|(c, rows)| {
                        let ind = if &c.code == code {
                            c
                        } else {
                            rows.iter().find(|r| &r.code == code).unwrap_or(c)
                        };
                        ind.by_group.get(g).map_or(0, |s| s.n)
                    })
                    .collect();
                for (vi, st) in suppress(&counts, settings.min_cell_size)
                    .into_iter()
                    .enumerate()
                {
                    hidden.insert((*g, code.clone(), vi), st);
                }
            }
        }
        let row = |ind: &IndicatorScores, vi: usize| {
            let mut any_hidden = false;
            let by_group: BTreeMap<Audience, Cell> = ind
                .by_group
                .iter()
                .map(|(g, s)| {
                    let st = hidden
                        .get(&(*g, ind.code.clone(), vi))
                        .copied()
                        .unwrap_or(Suppressed::No);
                    any_hidden |= st.is_hidden();
                    (*g, Cell::new(s, st, settings))
                })
                .collect();
            IndicatorRow::new(ind, by_group, any_hidden, settings)
        };
        let respondents_by_value = {
            let df = frames
                .respondents
                .clone()
                .lazy()
                .filter(col(attr.as_str()).is_not_null())
                .group_by([col("group"), col(attr.as_str()).alias("v")])
                .agg([col("respondent").count().cast(DataType::UInt64).alias("n")])
                .collect()?;
            let (g, v, n) = (
                df.column("group")?.str()?.clone(),
                df.column("v")?.str()?.clone(),
                df.column("n")?.u64()?.clone(),
            );
            let mut m: HashMap<String, BTreeMap<Audience, u64>> = HashMap::new();
            for k in 0..df.height() {
                if let (Some(g), Some(v), Some(n)) =
                    (g.get(k).and_then(Audience::parse), v.get(k), n.get(k))
                {
                    m.entry(v.to_string()).or_default().insert(g, n);
                }
            }
            m
        };
        breakdowns.push(Breakdown {
            attribute: attr.clone(),
            values: values
                .iter()
                .enumerate()
                .map(|(vi, v)| BreakdownValue {
                    value: v.clone(),
                    respondents: respondents_by_value.get(v).cloned().unwrap_or_default(),
                    composite: row(&tables[vi].0, vi),
                    indicators: tables[vi].1.iter().map(|i| row(i, vi)).collect(),
                })
                .collect(),
        });
    }

    let items = item_statistics(info, frames)?;
    let reliability = reliability(info, frames)?;
    let vectors = score_vectors(&scores)?;
    let gaps = gaps(&composite, &indicators, &vectors, settings);
    let fuzzy = fuzzy(&framework, frames, settings)?;
    let ipa = importance_performance(frames)?;
    let wave = match previous {
        Some(p) => Some(compare_waves(
            info,
            &framework,
            &indicators,
            &composite,
            &vectors,
            &p,
        )?),
        None => None,
    };
    Ok(Analysis {
        campaign: info.key.clone(),
        method: settings.clone(),
        group_weights: info.group_weights.clone(),
        responses: frames.counts.clone(),
        weights: WeightsReport {
            method: settings.weights,
            first_level: framework
                .indicators
                .iter()
                .map(|i| (i.code.clone(), i.weight))
                .collect(),
            second_level: framework
                .subs()
                .map(|(_, s)| (s.code.clone(), s.weight))
                .collect(),
            ahp: info.ahp.clone(),
            entropy_units,
        },
        composite: publish(&composite, settings),
        indicators: indicators.iter().map(|i| publish(i, settings)).collect(),
        breakdowns,
        items,
        reliability,
        gaps,
        fuzzy,
        ipa,
        wave,
        questions: super::tallies::summarise(frames, settings.min_cell_size),
    })
}

/// Rows of `v` where at least one scored item was answered.
fn answered_rows(v: &VersionFrame) -> Vec<bool> {
    let mut any = vec![false; v.len()];
    for c in &v.items {
        for (a, x) in any.iter_mut().zip(&c.values) {
            *a |= *x > 0;
        }
    }
    any
}

fn item_statistics(info: &CampaignInfo, frames: &Frames) -> PolarsResult<Vec<ItemStats>> {
    let min = info.analysis.min_cell_size;
    let mut out = Vec::new();
    for v in frames.versions_by_group() {
        let survey = &v.survey;
        let p = usize::from(v.points);
        // Respondents of this version who answered any scored item.
        let total = answered_rows(v).iter().filter(|a| **a).count() as u64;
        if total == 0 {
            continue;
        }
        for c in &v.items {
            let Some(q) = survey.question(&c.id) else {
                continue;
            };
            // On the scale as answered.
            let mut counts = vec![0u64; p];
            for &a in &c.values {
                if let Some(slot) = usize::from(a)
                    .checked_sub(1)
                    .and_then(|i| counts.get_mut(i))
                {
                    *slot += 1;
                }
            }
            let n: u64 = counts.iter().sum();
            let hidden = n > 0 && n < min;
            let (mean, sd) = if n > 0 && !hidden {
                let nf = n as f64;
                let m = counts
                    .iter()
                    .enumerate()
                    .map(|(i, c)| (i + 1) as f64 * *c as f64)
                    .sum::<f64>()
                    / nf;
                let var = counts
                    .iter()
                    .enumerate()
                    .map(|(i, c)| ((i + 1) as f64 - m).powi(2) * *c as f64)
                    .sum::<f64>();
                (Some(m), (n > 1).then(|| (var / (nf - 1.0)).sqrt()))
            } else {
                (None, None)
            };
            let shown = n > 0 && !hidden;
            out.push(ItemStats {
                group: survey.audience,
                survey: survey.slug.clone(),
                item: q.id.clone(),
                text: q.text.clone(),
                indicator: c.sub.clone(),
                reverse: c.reverse,
                n,
                missing: total.saturating_sub(n),
                mean,
                sd,
                percentages: shown.then(|| {
                    counts
                        .iter()
                        .map(|c| 100.0 * *c as f64 / n as f64)
                        .collect()
                }),
                top2_share: (shown && p >= 2)
                    .then(|| 100.0 * (counts[p - 1] + counts[p - 2]) as f64 / n as f64),
                counts: shown.then_some(counts),
                suppressed: if hidden {
                    Suppressed::Primary
                } else {
                    Suppressed::No
                },
            });
        }
    }
    Ok(out)
}

fn reliability(info: &CampaignInfo, frames: &Frames) -> PolarsResult<Vec<ScaleReliability>> {
    let deletion = info.analysis.reliability_deletion;
    let mut out = Vec::new();
    for v in frames.versions_by_group() {
        if !answered_rows(v).iter().any(|a| *a) {
            continue;
        }
        // Items in the scored direction.
        let scored: Vec<std::borrow::Cow<'_, [u8]>> = v
            .items
            .iter()
            .map(|c| {
                if c.reverse {
                    std::borrow::Cow::Owned(
                        c.values
                            .iter()
                            .map(|&a| if a == 0 { 0 } else { v.points + 1 - a })
                            .collect(),
                    )
                } else {
                    std::borrow::Cow::Borrowed(c.values.as_slice())
                }
            })
            .collect();
        let mut scales: Vec<(String, Vec<usize>)> = Vec::new();
        for c in &v.items {
            if !scales.iter().any(|(s, _)| *s == c.sub) {
                let items = (0..v.items.len())
                    .filter(|&i| v.items[i].sub == c.sub)
                    .collect();
                scales.push((c.sub.clone(), items));
            }
        }
        scales.push(("questionnaire".to_string(), (0..v.items.len()).collect()));
        for (scale, items) in scales {
            if items.len() < 2 {
                continue;
            }
            let cols: Vec<&[u8]> = items.iter().map(|&i| scored[i].as_ref()).collect();
            let rel = cronbach_columns(&cols, deletion);
            let ids: Vec<&str> = items.iter().map(|&i| v.items[i].id.as_str()).collect();
            let items_raising_alpha = match rel.alpha {
                Some(a) => ids
                    .iter()
                    .zip(&rel.alpha_if_deleted)
                    .filter(|(_, d)| d.is_some_and(|d| d > a + 1e-12))
                    .map(|(i, _)| (*i).to_string())
                    .collect(),
                None => Vec::new(),
            };
            out.push(ScaleReliability {
                group: v.group,
                survey: v.survey.slug.clone(),
                scale,
                items: ids.iter().map(|s| (*s).to_string()).collect(),
                low_alpha: rel.alpha.is_some_and(|a| a < 0.7),
                items_raising_alpha,
                reliability: rel,
            });
        }
    }
    Ok(out)
}

fn gaps(
    composite: &IndicatorScores,
    indicators: &[IndicatorScores],
    vectors: &HashMap<(String, String), Vec<f64>>,
    settings: &AnalysisSettings,
) -> Vec<IndicatorGap> {
    let mut out = Vec::new();
    for ind in std::iter::once(composite).chain(indicators) {
        // Groups with a publishable mean only.
        let groups: Vec<(Audience, f64)> = ind
            .by_group
            .iter()
            .filter(|(_, s)| s.n >= settings.min_cell_size)
            .filter_map(|(g, s)| Some((*g, s.mean?)))
            .collect();
        if groups.len() < 2 {
            continue;
        }
        let data = |g: Audience| {
            vectors
                .get(&(g.as_str().to_string(), ind.code.clone()))
                .map_or(&[][..], |v| v.as_slice())
        };
        let mut pairs = Vec::new();
        for i in 0..groups.len() {
            for j in i + 1..groups.len() {
                let (a, b) = (groups[i], groups[j]);
                if let Some(w) = welch(data(a.0), data(b.0)) {
                    pairs.push(PairTest {
                        a: a.0,
                        b: b.0,
                        difference: a.1 - b.1,
                        welch: w,
                        p_holm: 1.0,
                    });
                }
            }
        }
        let adjusted = holm(&pairs.iter().map(|p| p.welch.p).collect::<Vec<_>>());
        for (p, adj) in pairs.iter_mut().zip(adjusted) {
            p.p_holm = adj;
        }
        let samples: Vec<&[f64]> = groups.iter().map(|(g, _)| data(*g)).collect();
        let (hi, lo) = groups.iter().fold((groups[0], groups[0]), |(hi, lo), g| {
            (
                if g.1 > hi.1 { *g } else { hi },
                if g.1 < lo.1 { *g } else { lo },
            )
        });
        out.push(IndicatorGap {
            code: ind.code.clone(),
            name: ind.name.clone(),
            level: ind.level,
            gap: hi.1 - lo.1,
            highest: hi.0,
            lowest: lo.0,
            pairs,
            kruskal_wallis: kruskal_wallis(&samples),
            rank: 0,
        });
    }
    out.sort_by(|a, b| b.gap.total_cmp(&a.gap));
    for (i, g) in out.iter_mut().enumerate() {
        g.rank = i + 1;
    }
    out
}

fn fuzzy(
    framework: &Framework,
    frames: &Frames,
    settings: &AnalysisSettings,
) -> PolarsResult<FuzzyReport> {
    // Answer counts per second-level indicator and scale point (scored direction),
    // pooled over groups; only when every questionnaire uses the same scale.
    let points = frames.points();
    let grades_for = |p: usize| -> Vec<String> {
        if p == 5 {
            super::fuzzy::GRADES.iter().map(|s| s.to_string()).collect()
        } else {
            (0..p).map(|i| format!("等级 {}", i + 1)).collect()
        }
    };
    if points.len() != 1 {
        return Ok(FuzzyReport {
            grades: Vec::new(),
            first_level: Vec::new(),
            overall: None,
        });
    }
    let p = usize::from(*points.iter().next().unwrap_or(&5));
    let mut counts: HashMap<String, Vec<u64>> = HashMap::new();
    for v in &frames.versions {
        for c in &v.items {
            let mut histogram = [0u64; 256];
            for &a in &c.values {
                histogram[usize::from(a)] += 1;
            }
            let row = counts.entry(c.sub.clone()).or_insert_with(|| vec![0; p]);
            for (a, n) in histogram.iter().enumerate().take(p + 1).skip(1) {
                // Best grade first: scale point p (scored direction) is grade 1.
                let x = if c.reverse { p + 1 - a } else { a };
                row[p - x] += n;
            }
        }
    }
    let mut first_level = Vec::new();
    for ind in &framework.indicators {
        let present: Vec<(&str, f64, Vec<u64>)> = ind
            .children
            .iter()
            .filter_map(|c| Some((c.code.as_str(), c.weight, counts.get(&c.code)?.clone())))
            .collect();
        if present.is_empty() {
            continue;
        }
        let weights: Vec<f64> = present.iter().map(|(_, w, _)| *w).collect();
        let rows: Vec<Vec<u64>> = present.iter().map(|(_, _, r)| r.clone()).collect();
        if let Some(result) = evaluate(&rows, &weights, settings.fuzzy_operator) {
            first_level.push(FuzzyIndicator {
                code: ind.code.clone(),
                name: ind.name.clone(),
                factors: present.iter().map(|(c, _, _)| (*c).to_string()).collect(),
                weights,
                result,
            });
        }
    }
    let overall = if first_level.is_empty() {
        None
    } else {
        let weights: Vec<f64> = first_level
            .iter()
            .map(|f| {
                framework
                    .indicators
                    .iter()
                    .find(|i| i.code == f.code)
                    .map_or(0.0, |i| i.weight)
            })
            .collect();
        evaluate_membership(
            first_level.iter().map(|f| f.result.b.clone()).collect(),
            &weights,
            settings.fuzzy_operator,
        )
        .map(|result| FuzzyIndicator {
            code: super::scores::COMPOSITE.into(),
            name: "综合评价".into(),
            factors: first_level.iter().map(|f| f.code.clone()).collect(),
            weights,
            result,
        })
    };
    Ok(FuzzyReport {
        grades: grades_for(p),
        first_level,
        overall,
    })
}

fn importance_performance(frames: &Frames) -> PolarsResult<Vec<IpaGroup>> {
    // Means per (group, rated item): importance ratings and the item's own answers in
    // the scored direction, pooled over versions.
    let mut importance: BTreeMap<(Audience, String), (u64, u64)> = BTreeMap::new();
    let mut performance: HashMap<(Audience, String), (u64, u64)> = HashMap::new();
    for v in &frames.versions {
        for c in &v.importance {
            let e = importance.entry((v.group, c.of.clone())).or_default();
            for &a in &c.values {
                if a > 0 {
                    e.0 += u64::from(a);
                    e.1 += 1;
                }
            }
        }
        for (i, c) in v.items.iter().enumerate() {
            if !v.importance.iter().any(|m| m.of == c.id) {
                continue;
            }
            let e = performance.entry((v.group, c.id.clone())).or_default();
            for r in 0..v.len() {
                if let Some(x) = v.items[i].scored(r, v.points) {
                    e.0 += u64::from(x);
                    e.1 += 1;
                }
            }
        }
    }
    let mean = |(sum, n): (u64, u64)| (n > 0).then(|| sum as f64 / n as f64);
    let mut by_group: BTreeMap<Audience, Vec<(String, f64, f64)>> = BTreeMap::new();
    for (key, sums) in importance {
        if let (Some(i), Some(p)) = (mean(sums), performance.get(&key).copied().and_then(mean)) {
            by_group.entry(key.0).or_default().push((key.1, i, p));
        }
    }
    Ok(by_group
        .into_iter()
        .filter_map(|(g, rows)| {
            let i: Vec<f64> = rows.iter().map(|r| r.1).collect();
            let p: Vec<f64> = rows.iter().map(|r| r.2).collect();
            Some(IpaGroup {
                group: g,
                items: rows.into_iter().map(|r| r.0).collect(),
                ipa: ipa(&i, &p)?,
            })
        })
        .collect())
}

fn compare_waves(
    info: &CampaignInfo,
    framework: &Framework,
    indicators: &[IndicatorScores],
    composite: &IndicatorScores,
    vectors: &HashMap<(String, String), Vec<f64>>,
    previous: &PreviousWave<'_>,
) -> PolarsResult<WaveComparison> {
    let prev_scores = respondent_scores(
        &previous.info.framework,
        previous.frames,
        previous.info.analysis.min_item_share,
    )?;
    let prev_stats = cell_stats(&prev_scores, None)?;
    let prev_vectors = score_vectors(&prev_scores)?;
    let groups = present_groups(previous.frames);
    let (prev_composite, prev_rows) = indicator_table(info, framework, &prev_stats, "", &groups);
    let mut changes = Vec::new();
    for cur in std::iter::once(composite).chain(indicators) {
        let prev = if cur.code == composite.code {
            Some(&prev_composite)
        } else {
            prev_rows.iter().find(|r| r.code == cur.code)
        };
        let Some(prev) = prev else { continue };
        let change = |a: Option<f64>, b: Option<f64>| Some(a? - b?);
        changes.push(WaveChange {
            code: cur.code.clone(),
            name: cur.name.clone(),
            group: None,
            previous: prev.combined.mean,
            current: cur.combined.mean,
            change: change(cur.combined.mean, prev.combined.mean),
            welch: None,
        });
        for (g, s) in &cur.by_group {
            let key = (g.as_str().to_string(), cur.code.clone());
            let (a, b) = (vectors.get(&key), prev_vectors.get(&key));
            changes.push(WaveChange {
                code: cur.code.clone(),
                name: cur.name.clone(),
                group: Some(*g),
                previous: prev.by_group.get(g).and_then(|p| p.mean),
                current: s.mean,
                change: change(s.mean, prev.by_group.get(g).and_then(|p| p.mean)),
                welch: match (a, b) {
                    (Some(a), Some(b)) => welch(a, b),
                    _ => None,
                },
            });
        }
    }
    Ok(WaveComparison {
        previous: previous.info.key.clone(),
        changes,
    })
}
