//! The full evaluation behind `/analysis` and the report: weights, scores with grades
//! and suppression, breakdowns, item statistics, reliability, stakeholder gaps, fuzzy
//! evaluation, importance–performance analysis and the comparison with an earlier wave.
//! Every method parameter used is echoed in `method`.

use std::collections::{BTreeMap, HashMap};

use polars::prelude::*;
use serde::Serialize;

use super::cube::Coord;
use super::disclosure::{Census, Gate, Lattice};
use super::frame::{Frames, VersionFrame};
use super::fuzzy::{evaluate, evaluate_membership, FuzzyResult};
use super::grading::grade;
use super::inference::{holm, kruskal_wallis, welch, welch_moments, KruskalWallis, Welch};
use super::ipa::{ipa, Ipa};
use super::quality::{self, QualityContext, QualityInput, QualityReport};
use super::reliability::{cronbach_columns, Reliability};
use super::scores::{
    cell_stats, cell_tables, indicator_table, respondent_scores, GroupVectors, IndicatorScores,
    Level, RespondentScores,
};
use super::stats::{combine_groups, ScoreStat};
use super::suppression::Suppressed;
use super::tallies::QuestionSummary;
use super::weighting::{weigh, CellWeights, GroupCounts, WeightingReport};
use super::weights::entropy;
use crate::domain::campaign::{AhpRecord, AnalysisSettings, CampaignInfo, WeightMethod};
use crate::domain::{Audience, Framework};

/// A published cell: statistics, its grade, or the reason it is hidden.
#[derive(Debug, Clone, Serialize)]
pub struct ScoreCell {
    pub n: u64,
    pub mean: Option<f64>,
    pub sd: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    pub grade: Option<String>,
    pub suppressed: Suppressed,
    pub note: Option<String>,
    /// Kish's effective sample size, when respondents are weighted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub n_eff: Option<f64>,
}

impl ScoreCell {
    fn new(s: &ScoreStat, state: Suppressed, settings: &AnalysisSettings) -> Self {
        if state.is_hidden() {
            return ScoreCell {
                n: s.n,
                mean: None,
                sd: None,
                ci_low: None,
                ci_high: None,
                grade: None,
                suppressed: state,
                note: state.reason_zh(settings.min_cell_size),
                n_eff: None,
            };
        }
        ScoreCell {
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
            n_eff: s.n_eff,
        }
    }

    /// (effective n, mean, variance) for Welch's test, when weighted and shown.
    fn weighted_moments(&self) -> Option<(f64, f64, f64)> {
        let sd = self.sd?;
        Some((self.n_eff?, self.mean?, sd * sd))
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct IndicatorRow {
    pub code: String,
    pub name: String,
    pub level: Level,
    pub parent: Option<String>,
    pub weight: f64,
    pub by_group: BTreeMap<Audience, ScoreCell>,
    /// Computed over the published groups only.
    pub combined: ScoreCell,
    /// Groups with respondents left out of `combined` because their cell is hidden.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub excluded: Vec<Audience>,
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
    /// Points of the item's scale (answers run 1..=points).
    pub points: u8,
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
    pub suppressed: Suppressed,
    pub low_alpha: bool,
    /// Items whose deletion would raise α.
    pub items_raising_alpha: Vec<String>,
    /// Respondents the gate counts for this scale: those who answered every item
    /// (listwise) or at least two (pairwise). Unlike `n`, it adds up over groups of
    /// respondents, as the disclosure lattice needs.
    #[serde(skip)]
    pub respondents: u64,
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
    /// Fewest answers behind any importance or performance mean of the group.
    pub n: u64,
    /// Points of the group's answer scale (importance and performance run 1..=points).
    pub points: u8,
    /// The rated Likert items, in the order of `ipa.items`.
    pub items: Vec<String>,
    pub ipa: Ipa,
    /// Per item: answers behind its importance and its performance mean (the gate's
    /// census, which adds up over groups of respondents unlike `n`).
    #[serde(skip)]
    pub counts: Vec<(u64, u64)>,
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
    /// What the data quality rules flagged, and what leaving it out changes.
    pub quality: QualityReport,
    /// How respondents were weighted to the population, when they were.
    pub weighting: Option<WeightingReport>,
    /// The open answers read per group (when the view kept them).
    pub text: Option<super::text::TextReport>,
    /// The weight of each cell of the campaign, for the raw-data sheet.
    #[serde(skip)]
    pub respondent_weights: Option<CellWeights>,
}

/// The respondents of one view (the whole campaign, or those matching its filters)
/// and the campaign's respondents in fine cells with the view's place among them:
/// what the disclosure gate decides with.
///
/// A fine cell is held as read (`Frames`, the previous wave's, which is gated with the
/// current framework) or as what the gate and the weights need of it ([`FineCell`],
/// the current view's, which can be kept between views of the same data).
pub struct View<C = FineCell> {
    pub frames: Frames,
    pub lattice: Option<Lattice<C>>,
    /// Respondents left out by `[quality] exclude`, and the questionnaires' median times.
    pub quality: QualityInput,
}

/// What the disclosure gate and the weights need of one fine cell of the current
/// campaign: its respondents per group and the count behind every statistic.
#[derive(Debug, Clone, Default)]
pub struct FineCell {
    pub counts: BTreeMap<Audience, u64>,
    pub census: Census,
}

impl GroupCounts for FineCell {
    fn group_counts(&self) -> &BTreeMap<Audience, u64> {
        &self.counts
    }
}

/// The census of one fine cell's respondents: the count behind each statistic the
/// campaign's analysis publishes (without α, score vectors or breakdowns).
pub fn fine_cell(info: &CampaignInfo, f: &Frames) -> PolarsResult<FineCell> {
    let mut census = census(&tables_with(info, f, Depth::Census, None)?);
    for (g, n) in super::text::respondents(f) {
        census.insert(super::text::text_key(g), n);
    }
    Ok(FineCell {
        counts: f.counts.clone(),
        census,
    })
}

impl<C> View<C> {
    /// Frames analysed on their own (an example report's), with no lattice.
    pub fn whole(frames: Frames) -> Self {
        View {
            frames,
            lattice: None,
            quality: QualityInput::default(),
        }
    }

    /// Whether the view is narrowed by `attribute`.
    fn filtered_by(&self, attribute: &str) -> bool {
        self.lattice.as_ref().is_some_and(|l| {
            l.attributes
                .iter()
                .zip(&l.view)
                .any(|(a, c)| a == attribute && *c != Coord::All)
        })
    }
}

/// The earlier wave to compare with, under the same filters.
pub struct PreviousWave<'a> {
    pub info: &'a CampaignInfo,
    pub view: &'a View<Frames>,
}

fn present_groups(frames: &Frames) -> Vec<Audience> {
    frames
        .counts
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(g, _)| *g)
        .collect()
}

fn row_key(code: &str, g: Audience) -> String {
    format!("r|{code}|{}", g.as_str())
}

fn item_key(i: &ItemStats) -> String {
    format!("i|{}|{}|{}", i.group.as_str(), i.survey, i.item)
}

fn reliability_key(r: &ScaleReliability) -> String {
    format!("a|{}|{}|{}", r.group.as_str(), r.survey, r.scale)
}

/// An IPA item's importance (`i`) or performance (`p`) mean.
fn ipa_item_key(g: Audience, item: &str, which: char) -> String {
    format!("p|{}|{item}|{which}", g.as_str())
}

fn question_key(q: &QuestionSummary) -> String {
    format!("q|{}|{}", q.group.as_str(), q.question)
}

/// A published row: group cells in the states the gate decided, and the combined cell
/// over the published groups only (rule 4).
fn publish_row(
    ind: &IndicatorScores,
    states: &BTreeMap<Audience, Suppressed>,
    info: &CampaignInfo,
) -> IndicatorRow {
    let settings = &info.analysis;
    let state = |g: &Audience| states.get(g).copied().unwrap_or(Suppressed::No);
    let by_group = ind
        .by_group
        .iter()
        .map(|(g, s)| (*g, ScoreCell::new(s, state(g), settings)))
        .collect();
    let shown: Vec<(ScoreStat, f64)> = ind
        .by_group
        .iter()
        .filter(|(g, _)| !state(g).is_hidden())
        .map(|(g, s)| (*s, info.group_weights.get(g).copied().unwrap_or(0.0)))
        .collect();
    let excluded: Vec<Audience> = ind
        .by_group
        .iter()
        .filter(|(g, s)| s.n > 0 && state(g).is_hidden())
        .map(|(g, _)| *g)
        .collect();
    let combined = combine_groups(&shown);
    let combined_state = if combined.n > 0 && combined.n < settings.min_cell_size {
        Suppressed::Primary
    } else if combined.n == 0 && !excluded.is_empty() {
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
        combined: ScoreCell::new(&combined, combined_state, settings),
        excluded,
    }
}

/// A row of the view itself: each group cell by rules 1 and 3.
fn publish_view_row(ind: &IndicatorScores, gate: &Gate, info: &CampaignInfo) -> IndicatorRow {
    let states = ind
        .by_group
        .iter()
        .map(|(g, s)| (*g, gate.state(&row_key(&ind.code, *g), s.n)))
        .collect();
    publish_row(ind, &states, info)
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
    if frames
        .respondents
        .attribute(&settings.entropy_unit)
        .is_none()
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

/// One breakdown before the gate: per value, the composite and the indicators.
struct RawBreakdown {
    attribute: String,
    values: Vec<String>,
    tables: Vec<(IndicatorScores, Vec<IndicatorScores>)>,
    respondents: RespondentsByValue,
}

/// Every statistic of one view before the disclosure gate. Never published as such.
struct Tables {
    framework: Framework,
    entropy_units: Vec<String>,
    composite: IndicatorScores,
    indicators: Vec<IndicatorScores>,
    breakdowns: Vec<RawBreakdown>,
    items: Vec<ItemStats>,
    reliability: Vec<ScaleReliability>,
    ipa: Vec<IpaGroup>,
    questions: Vec<QuestionSummary>,
    /// The respondent scores, kept for the view itself (not for the census's cells).
    scores: Option<RespondentScores>,
}

impl Tables {
    fn rows(&self) -> impl Iterator<Item = &IndicatorScores> {
        std::iter::once(&self.composite).chain(&self.indicators)
    }
}

fn has_column(frames: &Frames, attr: &str) -> bool {
    frames.respondents.attribute(attr).is_some()
}

/// Respondents per value of a breakdown attribute and group.
type RespondentsByValue = HashMap<String, BTreeMap<Audience, u64>>;

/// Respondents per (value, group) from a cell table's (group, value) counts.
fn respondents_by_value(counts: &[((&str, &str), u64)]) -> RespondentsByValue {
    let mut m: RespondentsByValue = HashMap::new();
    for ((g, v), n) in counts {
        if let Some(g) = Audience::parse(g) {
            m.entry(v.to_string()).or_default().insert(g, *n);
        }
    }
    m
}

/// Computes every statistic of one view, nothing hidden yet.
fn tables(info: &CampaignInfo, frames: &Frames, weights: Option<&[f64]>) -> PolarsResult<Tables> {
    tables_with(info, frames, Depth::Full, weights)
}

/// How much of a view's [`Tables`] to compute.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Depth {
    /// Everything.
    Full,
    /// What a fine cell's [`census`] reads: the respondent count behind each statistic.
    /// No breakdowns (a fine cell's breakdown cells are other cells of the lattice), no
    /// α (only who answered enough items), no score vectors for tests.
    Census,
}

/// [`tables`] to the given [`Depth`]. Scores, item statistics and their tests are
/// weighted when `weights` are given.
fn tables_with(
    info: &CampaignInfo,
    frames: &Frames,
    depth: Depth,
    weights: Option<&[f64]>,
) -> PolarsResult<Tables> {
    let full = depth == Depth::Full;
    let (scored, answers) = if full {
        // The two halves read the same frames and nothing of each other: one core each.
        std::thread::scope(|s| {
            let answers = s.spawn(|| answer_tables(info, frames, weights, full));
            let scored = score_tables(info, frames, weights, full);
            let answers = answers
                .join()
                .map_err(|_| PolarsError::ComputeError("a statistics thread panicked".into()));
            (scored, answers)
        })
    } else {
        let answers = Ok(answer_tables(info, frames, weights, full));
        (score_tables(info, frames, weights, full), answers)
    };
    let (scored, (items, reliability, ipa, questions)) = (scored?, answers??);
    Ok(Tables {
        items,
        reliability,
        ipa,
        questions,
        scores: scored.scores,
        framework: scored.framework,
        entropy_units: scored.entropy_units,
        composite: scored.composite,
        indicators: scored.indicators,
        breakdowns: scored.breakdowns,
    })
}

/// A view's statistics item by item: item statistics, reliability, IPA and the
/// described questions.
type AnswerTables = (
    Vec<ItemStats>,
    Vec<ScaleReliability>,
    Vec<IpaGroup>,
    Vec<QuestionSummary>,
);

fn answer_tables(
    info: &CampaignInfo,
    frames: &Frames,
    weights: Option<&[f64]>,
    full: bool,
) -> PolarsResult<AnswerTables> {
    Ok((
        item_statistics(frames, weights)?,
        reliability(info, frames, full)?,
        importance_performance(frames)?,
        super::tallies::summarise(frames, 0),
    ))
}

/// A view's indicator scores: per group, per breakdown value, and the respondents'
/// scores behind them.
struct ScoreTables {
    framework: Framework,
    entropy_units: Vec<String>,
    composite: IndicatorScores,
    indicators: Vec<IndicatorScores>,
    breakdowns: Vec<RawBreakdown>,
    scores: Option<RespondentScores>,
}

fn score_tables(
    info: &CampaignInfo,
    frames: &Frames,
    weights: Option<&[f64]>,
    full: bool,
) -> PolarsResult<ScoreTables> {
    let settings = &info.analysis;
    let (framework, entropy_units) = effective_framework(info, frames)?;
    let groups = present_groups(frames);
    let mut scores = respondent_scores(&framework, frames, settings.min_item_share)?;
    if let Some(w) = weights {
        scores = scores.with_weights(w)?;
    }
    if !full {
        let stats = super::scores::cell_counts(&scores)?;
        let (composite, indicators) = indicator_table(info, &framework, &stats, "", &groups);
        return Ok(ScoreTables {
            scores: None,
            framework,
            entropy_units,
            composite,
            indicators,
            breakdowns: Vec::new(),
        });
    }
    // The view's cell tables and each breakdown's, in one pass over the scores.
    let attributes: Vec<&String> = settings
        .breakdowns
        .iter()
        .filter(|attr| has_column(frames, attr))
        .collect();
    let mut bys = vec![None];
    for attr in &attributes {
        bys.push(Some(frames.respondents.column(attr)?));
    }
    let mut tables = cell_tables(&scores, &bys)?.into_iter();
    let Some(view) = tables.next() else {
        return Err(PolarsError::ComputeError(
            "the view's cell tables are missing".into(),
        ));
    };
    let mut breakdowns = Vec::new();
    for (attribute, table) in attributes.into_iter().zip(tables) {
        let values: std::collections::BTreeSet<&String> =
            table.stats.keys().map(|(_, v, _)| v).collect();
        if values.is_empty() {
            continue;
        }
        let values: Vec<String> = values.into_iter().cloned().collect();
        let tables = values
            .iter()
            .map(|v| indicator_table(info, &framework, &table.stats, v, &groups))
            .collect();
        breakdowns.push(RawBreakdown {
            attribute: attribute.clone(),
            values,
            tables,
            respondents: respondents_by_value(&table.respondents),
        });
    }
    let stats = view.stats;
    let (composite, indicators) = indicator_table(info, &framework, &stats, "", &groups);
    Ok(ScoreTables {
        scores: Some(scores),
        framework,
        entropy_units,
        composite,
        indicators,
        breakdowns,
    })
}

/// The respondent count behind every statistic of `t`.
fn census(t: &Tables) -> Census {
    let mut c = Census::default();
    for ind in t.rows() {
        for (g, s) in &ind.by_group {
            c.insert(row_key(&ind.code, *g), s.n);
        }
    }
    for i in &t.items {
        c.insert(item_key(i), i.n);
    }
    for r in &t.reliability {
        c.insert(reliability_key(r), r.respondents);
    }
    for p in &t.ipa {
        for (item, (i, q)) in p.items.iter().zip(&p.counts) {
            c.insert(ipa_item_key(p.group, item, 'i'), *i);
            c.insert(ipa_item_key(p.group, item, 'p'), *q);
        }
    }
    for q in &t.questions {
        c.insert(question_key(q), q.n);
    }
    c
}

/// The gate of a view: the census of every fine cell of its lattice.
fn gate_for<C>(
    min: u64,
    lattice: Option<&Lattice<C>>,
    census_of: impl Fn(&C) -> PolarsResult<Census>,
) -> PolarsResult<Gate> {
    let lattice = match lattice {
        Some(l) => {
            let mut fine = Vec::with_capacity(l.fine.len());
            for (cell, f) in &l.fine {
                fine.push((cell.clone(), census_of(f)?));
            }
            Some(Lattice {
                attributes: l.attributes.clone(),
                values: l.values.clone(),
                fine,
                view: l.view.clone(),
            })
        }
        None => None,
    };
    Ok(Gate::new(min, lattice))
}

/// A breakdown through the gate (rules 1–3, across the values of each group and
/// indicator, with the respondents who have no value as one more hidden-able cell).
fn publish_breakdown(
    b: &RawBreakdown,
    totals: &Tables,
    gate: &Gate,
    info: &CampaignInfo,
) -> Breakdown {
    let mut states: Vec<HashMap<String, BTreeMap<Audience, Suppressed>>> =
        vec![HashMap::new(); b.values.len()];
    for total in totals.rows() {
        for (g, t) in &total.by_group {
            let cells: Vec<(String, u64)> = b
                .values
                .iter()
                .zip(&b.tables)
                .map(|(v, (comp, rows))| {
                    let ind = std::iter::once(comp)
                        .chain(rows)
                        .find(|r| r.code == total.code);
                    let n = ind.and_then(|r| r.by_group.get(g)).map_or(0, |s| s.n);
                    (v.clone(), n)
                })
                .collect();
            let assigned: u64 = cells.iter().map(|(_, n)| n).sum();
            let decided = gate.across(
                &b.attribute,
                &row_key(&total.code, *g),
                &cells,
                t.n.saturating_sub(assigned),
            );
            for (vi, st) in decided.into_iter().enumerate() {
                states[vi]
                    .entry(total.code.clone())
                    .or_default()
                    .insert(*g, st);
            }
        }
    }
    let empty = BTreeMap::new();
    let row = |ind: &IndicatorScores, vi: usize| {
        publish_row(ind, states[vi].get(&ind.code).unwrap_or(&empty), info)
    };
    Breakdown {
        attribute: b.attribute.clone(),
        values: b
            .values
            .iter()
            .enumerate()
            .map(|(vi, v)| BreakdownValue {
                value: v.clone(),
                respondents: b.respondents.get(v).cloned().unwrap_or_default(),
                composite: row(&b.tables[vi].0, vi),
                indicators: b.tables[vi].1.iter().map(|i| row(i, vi)).collect(),
            })
            .collect(),
    }
}

/// The open-answer analysis of a view whose frames kept their texts, broken down by
/// the campaign's attributes the view is not filtered on.
fn text_section(
    info: &CampaignInfo,
    view: &View,
    gate: &Gate,
) -> PolarsResult<Option<super::text::TextReport>> {
    if !view.frames.texts_kept {
        return Ok(None);
    }
    let by: Vec<String> = info
        .analysis
        .breakdowns
        .iter()
        .filter(|a| !view.filtered_by(a))
        .cloned()
        .collect();
    super::text::analyse(&info.text, &view.frames, gate, &by).map(Some)
}

/// The open-answer analysis of a view alone, through the same gate as [`analyse`]
/// (and identical to its `text`): what a page about the open answers needs, without
/// scoring anything. `None` when the view's frames did not keep their texts.
pub fn analyse_text(
    info: &CampaignInfo,
    view: &View,
) -> PolarsResult<Option<super::text::TextReport>> {
    let gate = gate_for(info.analysis.min_cell_size, view.lattice.as_ref(), |c| {
        Ok(c.census.clone())
    })?;
    text_section(info, view, &gate)
}

/// Runs the whole evaluation of a view and publishes it through the disclosure gate
/// (see [`super::disclosure`]): every section below is built from gated cells.
pub fn analyse(
    info: &CampaignInfo,
    view: &View,
    previous: Option<PreviousWave<'_>>,
) -> PolarsResult<Analysis> {
    let settings = &info.analysis;
    let frames = &view.frames;
    let weights = weigh(info, frames, view.lattice.as_ref())?;
    let t = tables(
        info,
        frames,
        weights.as_ref().map(|w| w.per_respondent.as_slice()),
    )?;
    let gate = gate_for(settings.min_cell_size, view.lattice.as_ref(), |c| {
        Ok(c.census.clone())
    })?;
    let composite = publish_view_row(&t.composite, &gate, info);
    let indicators: Vec<IndicatorRow> = t
        .indicators
        .iter()
        .map(|i| publish_view_row(i, &gate, info))
        .collect();
    // A breakdown by an attribute the view is filtered on has one value, the view
    // itself, under another key: it adds nothing and would escape rule 3.
    let breakdowns = t
        .breakdowns
        .iter()
        .filter(|b| !view.filtered_by(&b.attribute))
        .map(|b| publish_breakdown(b, &t, &gate, info))
        .collect();
    let text = text_section(info, view, &gate)?;
    let mut items = t.items.clone();
    for i in &mut items {
        i.publish(gate.state(&item_key(i), i.n));
    }
    let mut reliability = t.reliability.clone();
    for r in &mut reliability {
        let primary = r.reliability.n > 0 && (r.reliability.n as u64) < gate.min();
        let state = gate.state(&reliability_key(r), r.respondents);
        r.publish(if primary { Suppressed::Primary } else { state });
    }
    let ipa: Vec<IpaGroup> = t
        .ipa
        .iter()
        .filter(|p| {
            !(p.n > 0 && p.n < gate.min())
                && p.items.iter().zip(&p.counts).all(|(item, (i, q))| {
                    !gate
                        .state(&ipa_item_key(p.group, item, 'i'), *i)
                        .is_hidden()
                        && !gate
                            .state(&ipa_item_key(p.group, item, 'p'), *q)
                            .is_hidden()
                })
        })
        .cloned()
        .collect();
    let mut questions = t.questions.clone();
    for q in &mut questions {
        if gate.state(&question_key(q), q.n).is_hidden() {
            q.hide();
        }
    }
    let published: Vec<Audience> = composite
        .by_group
        .iter()
        .filter(|(_, c)| c.n > 0 && !c.suppressed.is_hidden())
        .map(|(g, _)| *g)
        .collect();
    let quality = quality::report(
        &QualityContext {
            settings: &info.quality,
            framework: &t.framework,
            group_weights: &info.group_weights,
            min_item_share: settings.min_item_share,
            min_cell: settings.min_cell_size,
            published: &published,
            scores: t.scores.as_ref(),
        },
        frames,
        &view.quality,
    )?;
    let gaps = gaps(
        &composite,
        &indicators,
        &GroupVectors::new(t.scores.as_ref())?,
    )?;
    let fuzzy = fuzzy(&t.framework, &items, settings);
    let wave = match previous {
        Some(p) => Some(compare_waves(info, &t, &composite, &indicators, &p)?),
        None => None,
    };
    Ok(Analysis {
        campaign: info.key.clone(),
        method: settings.clone(),
        group_weights: info.group_weights.clone(),
        responses: frames.counts.clone(),
        weights: WeightsReport {
            method: settings.weights,
            first_level: t
                .framework
                .indicators
                .iter()
                .map(|i| (i.code.clone(), i.weight))
                .collect(),
            second_level: t
                .framework
                .subs()
                .map(|(_, s)| (s.code.clone(), s.weight))
                .collect(),
            ahp: info.ahp.clone(),
            entropy_units: t.entropy_units.clone(),
        },
        composite,
        indicators,
        breakdowns,
        items,
        reliability,
        gaps,
        fuzzy,
        ipa,
        wave,
        questions,
        quality,
        text,
        respondent_weights: weights.as_ref().map(|w| w.cells.clone()),
        weighting: weights.map(|w| w.report),
    })
}

impl ItemStats {
    /// Applies the gate's decision: a hidden item keeps only its counts of respondents.
    fn publish(&mut self, state: Suppressed) {
        self.suppressed = state;
        if state.is_hidden() {
            self.mean = None;
            self.sd = None;
            self.counts = None;
            self.percentages = None;
            self.top2_share = None;
        }
    }
}

impl ScaleReliability {
    fn publish(&mut self, state: Suppressed) {
        self.suppressed = state;
        if state.is_hidden() {
            let k = self.reliability.alpha_if_deleted.len();
            self.reliability.alpha = None;
            self.reliability.ci_low = None;
            self.reliability.ci_high = None;
            self.reliability.alpha_if_deleted = vec![None; k];
            self.reliability.item_total_r = vec![None; self.reliability.item_total_r.len()];
            self.low_alpha = false;
            self.items_raising_alpha.clear();
        }
    }
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

/// Item statistics of every version, nothing hidden (the gate decides later). With
/// `weights`, means, SDs and shares are weighted; counts stay respondents.
fn item_statistics(frames: &Frames, weights: Option<&[f64]>) -> PolarsResult<Vec<ItemStats>> {
    let mut out = Vec::new();
    for v in frames.versions_by_group() {
        let survey = &v.survey;
        let p = usize::from(v.points);
        // Respondents of this version who answered any scored item.
        let total = answered_rows(v).iter().filter(|a| **a).count() as u64;
        if total == 0 {
            continue;
        }
        let row_weight = |r: usize| weights.map_or(1.0, |w| w[v.rows[r] as usize]);
        for c in &v.items {
            let Some(q) = survey.question(&c.id) else {
                continue;
            };
            // On the scale as answered: respondents and their weight per point.
            let (counts, weighted) = match weights {
                // Unweighted, each respondent weighs exactly 1.0: the weights per
                // point are the counts (exact below 2^53).
                None => {
                    let counts = point_counts(&c.values, p);
                    let weighted = counts.iter().map(|&n| n as f64).collect();
                    (counts, weighted)
                }
                Some(_) => {
                    let mut counts = vec![0u64; p];
                    let mut weighted = vec![0.0f64; p];
                    for (r, &a) in c.values.iter().enumerate() {
                        if let Some(i) = usize::from(a).checked_sub(1).filter(|i| *i < p) {
                            counts[i] += 1;
                            weighted[i] += row_weight(r);
                        }
                    }
                    (counts, weighted)
                }
            };
            let n: u64 = counts.iter().sum();
            let (mean, sd, shares) = point_moments(&weighted, n);
            out.push(ItemStats {
                group: survey.audience,
                survey: survey.slug.clone(),
                item: q.id.clone(),
                text: q.text.clone(),
                indicator: c.sub.clone(),
                reverse: c.reverse,
                points: v.points,
                n,
                missing: total.saturating_sub(n),
                mean,
                sd,
                top2_share: shares
                    .as_ref()
                    .filter(|_| p >= 2)
                    .map(|s| s[p - 1] + s[p - 2]),
                percentages: shares,
                counts: (n > 0).then_some(counts),
                suppressed: Suppressed::No,
            });
        }
    }
    Ok(out)
}

/// How many of `values` (answers as stored, 0 = none) are each point 1..=`p`: counted
/// by value over all 256, so that the loop over a million answers has no branch.
fn point_counts(values: &[u8], p: usize) -> Vec<u64> {
    let mut all = [0u64; 256];
    for &a in values {
        all[usize::from(a)] += 1;
    }
    all[1..=p.min(255)].to_vec()
}

/// Mean, SD (n/(n − 1) corrected) and percentage per point of answers 1..=p with
/// (weighted) frequencies `f` from `n` respondents.
fn point_moments(f: &[f64], n: u64) -> (Option<f64>, Option<f64>, Option<Vec<f64>>) {
    let total: f64 = f.iter().sum();
    if n == 0 || total <= 0.0 {
        return (None, None, None);
    }
    let point = |i: usize| (i + 1) as f64;
    let m = f.iter().enumerate().map(|(i, c)| point(i) * c).sum::<f64>() / total;
    let var = f
        .iter()
        .enumerate()
        .map(|(i, c)| (point(i) - m).powi(2) * c)
        .sum::<f64>()
        / total;
    let nf = n as f64;
    let sd = (n > 1).then(|| (var * nf / (nf - 1.0)).sqrt());
    let shares = f.iter().map(|c| 100.0 * c / total).collect();
    (Some(m), sd, Some(shares))
}

/// Cronbach's α per scale (each second-level indicator and the whole questionnaire) of
/// each version; without `alpha`, only who answered enough items to count (for the
/// census), the α fields left empty.
fn reliability(
    info: &CampaignInfo,
    frames: &Frames,
    alpha: bool,
) -> PolarsResult<Vec<ScaleReliability>> {
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
            let rel = if alpha {
                cronbach_columns(&cols, deletion)
            } else {
                cronbach_columns(&[], deletion)
            };
            let needed = match deletion {
                crate::domain::analysis_settings::Deletion::Listwise => cols.len(),
                crate::domain::analysis_settings::Deletion::Pairwise => 2,
            };
            let respondents = (0..v.len())
                .filter(|r| cols.iter().filter(|c| c[*r] != 0).count() >= needed)
                .count() as u64;
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
                suppressed: Suppressed::No,
                respondents,
            });
        }
    }
    Ok(out)
}

/// Gaps between the groups published in each row (rule 5): differences of published
/// means, with tests on those groups' respondents only.
fn gaps(
    composite: &IndicatorRow,
    indicators: &[IndicatorRow],
    vectors: &GroupVectors<'_>,
) -> PolarsResult<Vec<IndicatorGap>> {
    // Each indicator's tests read its own vectors only: one core each.
    let rows: Vec<&IndicatorRow> = std::iter::once(composite).chain(indicators).collect();
    let done = super::parallel::map(rows, |ind| gap(ind, vectors))
        .into_iter()
        .collect::<PolarsResult<Vec<_>>>()?;
    let mut out: Vec<IndicatorGap> = done.into_iter().flatten().collect();
    out.sort_by(|a, b| b.gap.total_cmp(&a.gap));
    for (i, g) in out.iter_mut().enumerate() {
        g.rank = i + 1;
    }
    Ok(out)
}

/// The gap between the published groups of one indicator and its tests (unranked);
/// none with fewer than two published groups.
fn gap(ind: &IndicatorRow, vectors: &GroupVectors<'_>) -> PolarsResult<Option<IndicatorGap>> {
    let groups: Vec<(Audience, f64)> = ind
        .by_group
        .iter()
        .filter(|(_, c)| !c.suppressed.is_hidden())
        .filter_map(|(g, c)| Some((*g, c.mean?)))
        .collect();
    if groups.len() < 2 {
        return Ok(None);
    }
    let moments = |g: Audience| ind.by_group.get(&g).and_then(ScoreCell::weighted_moments);
    let weighted = groups.iter().any(|(g, _)| moments(*g).is_some());
    // The respondents' scores are read only by a test the weighted cells cannot give.
    let vectors = if groups.iter().all(|(g, _)| moments(*g).is_some()) {
        Vec::new()
    } else {
        vectors.of(&ind.code)?
    };
    let data = |g: Audience| of_group(&vectors, g);
    let test = |a: Audience, b: Audience| match (moments(a), moments(b)) {
        (Some(x), Some(y)) => welch_moments(x, y),
        _ => welch(data(a), data(b)),
    };
    let mut pairs = Vec::new();
    for i in 0..groups.len() {
        for j in i + 1..groups.len() {
            let (a, b) = (groups[i], groups[j]);
            if let Some(w) = test(a.0, b.0) {
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
    Ok(Some(IndicatorGap {
        code: ind.code.clone(),
        name: ind.name.clone(),
        level: ind.level,
        gap: hi.1 - lo.1,
        highest: hi.0,
        lowest: lo.0,
        pairs,
        // A rank test of the unweighted answers would not describe the population.
        kruskal_wallis: if weighted {
            None
        } else {
            kruskal_wallis(&samples)
        },
        rank: 0,
    }))
}

/// Group `g`'s scores among one indicator's [`GroupVectors::of`] (none: empty).
fn of_group<'v>(vectors: &'v [(&str, Vec<f64>)], g: Audience) -> &'v [f64] {
    vectors
        .iter()
        .find(|(name, _)| *name == g.as_str())
        .map_or(&[][..], |(_, v)| v.as_slice())
}

/// Fuzzy comprehensive evaluation from the published item counts (rule 5), pooled over
/// groups; only when every questionnaire uses the same scale.
fn fuzzy(framework: &Framework, items: &[ItemStats], settings: &AnalysisSettings) -> FuzzyReport {
    let grades_for = |p: usize| -> Vec<String> {
        if p == 5 {
            super::fuzzy::GRADES.iter().map(|s| s.to_string()).collect()
        } else {
            (0..p).map(|i| format!("等级 {}", i + 1)).collect()
        }
    };
    let published: Vec<(&ItemStats, &Vec<u64>)> = items
        .iter()
        .filter(|i| !i.suppressed.is_hidden())
        .filter_map(|i| Some((i, i.counts.as_ref()?)))
        .collect();
    let points: std::collections::BTreeSet<usize> =
        published.iter().map(|(_, c)| c.len()).collect();
    if points.len() != 1 {
        return FuzzyReport {
            grades: Vec::new(),
            first_level: Vec::new(),
            overall: None,
        };
    }
    let p = *points.iter().next().unwrap_or(&5);
    let mut counts: HashMap<String, Vec<u64>> = HashMap::new();
    for (item, answered) in &published {
        let row = counts
            .entry(item.indicator.clone())
            .or_insert_with(|| vec![0; p]);
        for (i, n) in answered.iter().enumerate() {
            // Best grade first: scale point p (scored direction) is grade 1.
            let a = i + 1;
            let x = if item.reverse { p + 1 - a } else { a };
            row[p - x] += n;
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
    FuzzyReport {
        grades: grades_for(p),
        first_level,
        overall,
    }
}

fn importance_performance(frames: &Frames) -> PolarsResult<Vec<IpaGroup>> {
    // Means per (group, rated item): importance ratings and the item's own answers in
    // the scored direction, pooled over versions.
    let mut importance: BTreeMap<(Audience, String), (u64, u64)> = BTreeMap::new();
    let mut performance: HashMap<(Audience, String), (u64, u64)> = HashMap::new();
    let mut points: BTreeMap<Audience, u8> = BTreeMap::new();
    for v in &frames.versions {
        let p = points.entry(v.group).or_insert(v.points);
        *p = (*p).max(v.points);
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
    type Rated = (String, f64, f64, (u64, u64));
    let mut by_group: BTreeMap<Audience, Vec<Rated>> = BTreeMap::new();
    for (key, sums) in importance {
        let perf = performance.get(&key).copied();
        if let (Some(i), Some(p)) = (mean(sums), perf.and_then(mean)) {
            let n = (sums.1, perf.map_or(0, |x| x.1));
            by_group.entry(key.0).or_default().push((key.1, i, p, n));
        }
    }
    Ok(by_group
        .into_iter()
        .filter_map(|(g, rows)| {
            let i: Vec<f64> = rows.iter().map(|r| r.1).collect();
            let p: Vec<f64> = rows.iter().map(|r| r.2).collect();
            Some(IpaGroup {
                group: g,
                n: rows.iter().map(|r| r.3 .0.min(r.3 .1)).min().unwrap_or(0),
                counts: rows.iter().map(|r| r.3).collect(),
                points: points.get(&g).copied().unwrap_or(5),
                items: rows.into_iter().map(|r| r.0).collect(),
                ipa: ipa(&i, &p)?,
            })
        })
        .collect())
}

/// The previous wave's rows, scored with its own definitions and laid out in the
/// current framework, with its respondents' scores for tests.
fn wave_rows(
    info: &CampaignInfo,
    framework: &Framework,
    previous: &CampaignInfo,
    frames: &Frames,
    weights: Option<&[f64]>,
) -> PolarsResult<(Vec<IndicatorScores>, RespondentScores)> {
    let mut scores = respondent_scores(
        &previous.framework,
        frames,
        previous.analysis.min_item_share,
    )?;
    if let Some(w) = weights {
        scores = scores.with_weights(w)?;
    }
    let stats = cell_stats(&scores, None)?;
    let groups = present_groups(frames);
    let (composite, rows) = indicator_table(info, framework, &stats, "", &groups);
    let rows = std::iter::once(composite).chain(rows).collect();
    Ok((rows, scores))
}

/// Welch's test of a group between waves: from the weighted cells when both waves
/// are weighted, else from the respondents' scores.
fn wave_test(now: &ScoreCell, before: Option<&ScoreCell>, a: &[f64], b: &[f64]) -> Option<Welch> {
    match (
        now.weighted_moments(),
        before.and_then(ScoreCell::weighted_moments),
    ) {
        (Some(x), Some(y)) => welch_moments(x, y),
        _ => welch(a, b),
    }
}

/// Changes since the previous wave, between cells published in both waves (rule 5);
/// the previous wave passes the same gate under the same filters.
fn compare_waves(
    info: &CampaignInfo,
    t: &Tables,
    composite: &IndicatorRow,
    indicators: &[IndicatorRow],
    previous: &PreviousWave<'_>,
) -> PolarsResult<WaveComparison> {
    let prev_weights = weigh(
        previous.info,
        &previous.view.frames,
        previous.view.lattice.as_ref(),
    )?;
    let (prev_rows, prev_scores) = wave_rows(
        info,
        &t.framework,
        previous.info,
        &previous.view.frames,
        prev_weights.as_ref().map(|w| w.per_respondent.as_slice()),
    )?;
    let gate = gate_for(
        info.analysis.min_cell_size,
        previous.view.lattice.as_ref(),
        |f| {
            let (rows, _) = wave_rows(info, &t.framework, previous.info, f, None)?;
            let mut c = Census::default();
            for ind in &rows {
                for (g, s) in &ind.by_group {
                    c.insert(row_key(&ind.code, *g), s.n);
                }
            }
            Ok(c)
        },
    )?;
    let prev: Vec<IndicatorRow> = prev_rows
        .iter()
        .map(|r| publish_view_row(r, &gate, info))
        .collect();
    let shown = |c: &ScoreCell| c.mean.filter(|_| !c.suppressed.is_hidden());
    let groups_of = |r: &IndicatorRow| -> Vec<Audience> {
        r.by_group
            .iter()
            .filter(|(_, c)| shown(c).is_some())
            .map(|(g, _)| *g)
            .collect()
    };
    let (now_vectors, prev_vectors) = (
        GroupVectors::new(t.scores.as_ref())?,
        GroupVectors::new(Some(&prev_scores))?,
    );
    let mut changes = Vec::new();
    for cur in std::iter::once(composite).chain(indicators) {
        let Some(prev) = prev.iter().find(|r| r.code == cur.code) else {
            continue;
        };
        let (now_v, prev_v) = (now_vectors.of(&cur.code)?, prev_vectors.of(&cur.code)?);
        let change = |a: Option<f64>, b: Option<f64>| Some(a? - b?);
        // Combined cells are compared only when they cover the same groups.
        let same_groups = groups_of(cur) == groups_of(prev);
        changes.push(WaveChange {
            code: cur.code.clone(),
            name: cur.name.clone(),
            group: None,
            previous: shown(&prev.combined),
            current: shown(&cur.combined),
            change: if same_groups {
                change(shown(&cur.combined), shown(&prev.combined))
            } else {
                None
            },
            welch: None,
        });
        for (g, c) in &cur.by_group {
            let (now, before) = (shown(c), prev.by_group.get(g).and_then(shown));
            changes.push(WaveChange {
                code: cur.code.clone(),
                name: cur.name.clone(),
                group: Some(*g),
                previous: before,
                current: now,
                change: change(now, before),
                welch: match (now, before) {
                    (Some(_), Some(_)) => wave_test(
                        c,
                        prev.by_group.get(g),
                        of_group(&now_v, *g),
                        of_group(&prev_v, *g),
                    ),
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

#[cfg(test)]
mod tests {
    use super::point_counts;

    // The table count is the count of each point 1..=p, by hand: blanks (0) and
    // anything off the scale are not counted.
    #[test]
    fn point_counts_count_each_point_on_the_scale() {
        let values = [0, 1, 5, 5, 3, 0, 2, 5, 7, 1];
        assert_eq!(point_counts(&values, 5), vec![2, 1, 1, 0, 3]);
        assert_eq!(point_counts(&values, 3), vec![2, 1, 1]);
        assert_eq!(point_counts(&[], 4), vec![0, 0, 0, 0]);
    }
}
