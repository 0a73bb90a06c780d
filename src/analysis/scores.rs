//! Indicator scores per stakeholder group, per breakdown attribute, and combined.
//!
//! Method (documented in README, "How scores are computed"):
//! - a respondent's second-level score is the mean of the items of that indicator they
//!   answered (0–100, reverse-coded items flipped first), provided they answered at
//!   least `min_item_share` of the indicator's items in their questionnaire;
//! - a respondent's first-level score is the weighted mean of their second-level
//!   scores, and their composite the weighted mean of their first-level scores, with
//!   weights re-normalised over the indicators they have data for;
//! - a group's score is the mean over its respondents, with SD and a t-based 95% CI;
//! - all groups combined use the campaign's fixed group weights (not headcount),
//!   re-normalised over groups with data (see `stats::combine_groups`).

use std::collections::BTreeMap;
use std::sync::OnceLock;

use polars::prelude::*;
use serde::Serialize;

use super::frame::{CodedStrings, Frames, ItemColumn, Respondents, VersionFrame};
use super::score_values::{CodedScores, ScoreValues, MAX_LEVELS};
use super::stats::{combine_groups, ScoreStat, WeightedSums};
use crate::domain::campaign::CampaignInfo;
use crate::domain::{Audience, Framework};

pub const COMPOSITE: &str = "TOTAL";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Composite,
    First,
    Second,
}

#[derive(Debug, Clone, Serialize)]
pub struct IndicatorScores {
    pub code: String,
    pub name: String,
    pub level: Level,
    pub parent: Option<String>,
    pub weight: f64,
    pub by_group: BTreeMap<Audience, ScoreStat>,
    pub combined: ScoreStat,
}

/// Raw scores, nothing hidden: for the scoring tests only (every output goes through
/// `evaluation::analyse` and its disclosure gate).
#[cfg(test)]
#[derive(Debug, Clone, Serialize)]
pub struct CampaignScores {
    pub campaign: String,
    pub responses: BTreeMap<Audience, u64>,
    pub group_weights: BTreeMap<Audience, f64>,
    pub composite: IndicatorScores,
    /// First-level indicators in framework order, each followed by its children.
    pub indicators: Vec<IndicatorScores>,
}

/// Respondent-level scores: row `i` is respondent `i` of `Frames::respondents`, with
/// its group and one column of scores per indicator (second level, first level,
/// composite), second-level scores coded ([`ScoreValues`]).
#[derive(Clone)]
pub struct RespondentScores {
    group: CodedStrings,
    /// One column per code of `codes`.
    columns: Vec<ScoreValues>,
    /// Indicator codes with a column, in column order.
    pub codes: Vec<String>,
    /// Each respondent's weight, when weighted.
    weights: Option<Vec<f64>>,
    /// The `group` column's dictionary, made by the first cell table that needs it and
    /// read by every later one (a view reads it for its own tables, each breakdown's
    /// and the score vectors).
    groups: OnceLock<(Vec<String>, Vec<u32>)>,
}

impl RespondentScores {
    /// The scores `columns` of indicators `codes` (in the same order) of respondents
    /// in groups `group`.
    pub fn new(group: CodedStrings, codes: Vec<String>, columns: Vec<ScoreValues>) -> Self {
        RespondentScores {
            group,
            columns,
            codes,
            weights: None,
            groups: OnceLock::new(),
        }
    }

    /// The distinct groups in order of first appearance and each row's index among
    /// them ([`NO_CELL`] without a group), made once.
    fn group_codes(&self) -> PolarsResult<(Vec<&str>, &[u32])> {
        let (names, codes) = match self.groups.get() {
            Some(d) => d,
            None => {
                let (names, codes) = self.group.dictionary();
                let owned = (names.into_iter().map(str::to_string).collect(), codes);
                self.groups.get_or_init(|| owned)
            }
        };
        Ok((names.iter().map(String::as_str).collect(), codes))
    }

    /// The same scores with respondent `i` weighing `weights[i]`: every cell statistic
    /// is then weighted (see `stats::WeightedSums`).
    pub fn with_weights(mut self, weights: &[f64]) -> PolarsResult<Self> {
        let n = self.group.len();
        if weights.len() != n {
            polars_bail!(ShapeMismatch: "{} weights for {n} respondents", weights.len());
        }
        self.weights = Some(weights.to_vec());
        Ok(self)
    }

    pub fn is_weighted(&self) -> bool {
        self.weights.is_some()
    }

    /// Indicator `code`'s scores (an error for an indicator without a column).
    pub fn values(&self, code: &str) -> PolarsResult<&ScoreValues> {
        match self.codes.iter().position(|c| c == code) {
            Some(i) => Ok(&self.columns[i]),
            None => polars_bail!(ColumnNotFound: "no scores of indicator {code}"),
        }
    }

    /// Each respondent's group, null without one.
    pub fn group(&self) -> &CodedStrings {
        &self.group
    }
}

/// Weighted mean over the present (non-NaN) values of each row, weights re-normalised
/// per row; NaN where none is present. A block of rows at a time, every part added to
/// the block's sums in turn (each row's sums in part order): nothing but the result is
/// allocated (fresh memory is paid for in page faults), and a part's kind of column is
/// looked at once per block, not per row.
fn weighted_rows(parts: &[(&ScoreValues, f64)], n: usize) -> ScoreValues {
    const BLOCK: usize = 1024;
    let mut out = Vec::with_capacity(n);
    let (mut x, mut num, mut den) = ([0.0; BLOCK], [0.0; BLOCK], [0.0; BLOCK]);
    for start in (0..n).step_by(BLOCK) {
        let len = BLOCK.min(n - start);
        let (x, num, den) = (&mut x[..len], &mut num[..len], &mut den[..len]);
        num.fill(0.0);
        den.fill(0.0);
        for (values, w) in parts {
            values.fill(start, x);
            for ((x, num), den) in x.iter().zip(num.iter_mut()).zip(den.iter_mut()) {
                if !x.is_nan() {
                    *num += x * w;
                    *den += w;
                }
            }
        }
        out.extend(num.iter().zip(den.iter()).map(
            |(num, den)| {
                if *den > 0.0 {
                    num / den
                } else {
                    f64::NAN
                }
            },
        ));
    }
    ScoreValues::dense(out)
}

/// Adds item `c`'s answers, scored (0-based, reverse items flipped), to each row's
/// `sum`, and counts them in `answered`: through a table from the answer as stored, so
/// that the loop has no branch per row (what [`ItemColumn::scored`] gives, minus one;
/// answers off the 1..=`points` scale are never stored).
fn add_item(c: &ItemColumn, points: u8, sum: &mut [u32], answered: &mut [u32]) {
    let mut score = [0u32; 256];
    let mut counted = [0u32; 256];
    for a in 1..=points {
        let scored = if c.reverse { points + 1 - a } else { a };
        score[usize::from(a)] = u32::from(scored - 1);
        counted[usize::from(a)] = 1;
    }
    for ((x, s), n) in c.values.iter().zip(sum).zip(answered) {
        *s += score[usize::from(*x)];
        *n += counted[usize::from(*x)];
    }
}

/// Respondent-level scores at every level (see the module documentation for the method).
pub fn respondent_scores(
    framework: &Framework,
    frames: &Frames,
    min_item_share: f64,
) -> PolarsResult<RespondentScores> {
    let n = frames.len();
    let subs: Vec<&str> = framework.subs().map(|(_, s)| s.code.as_str()).collect();
    // Each indicator's scores read the items and nothing of the others: on every core.
    let mut sub_scores =
        super::parallel::map(subs, |code| sub_scores(frames, code, min_item_share)).into_iter();
    let mut firsts: Vec<Vec<ScoreValues>> = Vec::new();
    for top in &framework.indicators {
        firsts.push(sub_scores.by_ref().take(top.children.len()).collect());
    }
    let tops = super::parallel::map(
        framework.indicators.iter().zip(&firsts).collect(),
        |(top, first)| {
            let parts: Vec<(&ScoreValues, f64)> = first
                .iter()
                .zip(&top.children)
                .map(|(v, c)| (v, c.weight))
                .collect();
            weighted_rows(&parts, n)
        },
    );
    let parts: Vec<(&ScoreValues, f64)> = tops
        .iter()
        .zip(&framework.indicators)
        .map(|(v, top)| (v, top.weight))
        .collect();
    let composite = weighted_rows(&parts, n);
    let mut codes: Vec<String> = Vec::new();
    let mut columns: Vec<ScoreValues> = Vec::new();
    for ((top, values), first) in framework.indicators.iter().zip(tops).zip(firsts) {
        codes.push(top.code.clone());
        columns.push(values);
        for (sub, values) in top.children.iter().zip(first) {
            codes.push(sub.code.clone());
            columns.push(values);
        }
    }
    codes.push(COMPOSITE.to_string());
    columns.push(composite);
    let group = frames.respondents.group.clone();
    Ok(RespondentScores::new(group, codes, columns))
}

/// Each respondent's score of second-level indicator `code` (none without one): the
/// mean of its items they answered, scaled to 0–100, when they answered at least
/// `min_item_share` of those in their questionnaire. Coded (a score is one of a few
/// values), unless the indicator has more distinct scores than a code can name.
fn sub_scores(frames: &Frames, code: &str, min_item_share: f64) -> ScoreValues {
    coded_sub_scores(frames, code, min_item_share, MAX_LEVELS)
        .unwrap_or_else(|| ScoreValues::dense(dense_sub_scores(frames, code, min_item_share)))
}

/// [`sub_scores`] coded, each score named by its questionnaire's (answered, sum) pair;
/// none when that takes more than `max_levels` distinct pairs.
fn coded_sub_scores(
    frames: &Frames,
    code: &str,
    min_item_share: f64,
    max_levels: usize,
) -> Option<ScoreValues> {
    let mut out = CodedScores::new(frames.len(), 0, max_levels);
    let complete = each_version_sums(frames, code, min_item_share, |v, sums| {
        // Key of (answered a, sum s): a·(s_max + 1) + s, s at most s_max.
        let s_max = sums.items * u32::from(v.points.saturating_sub(1));
        out.rekey((sums.items as usize + 1) * (s_max as usize + 1));
        for ((r, s), a) in v.rows.iter().zip(sums.sum).zip(sums.answered) {
            if sums.counts(*a) {
                let key = *a as usize * (s_max as usize + 1) + *s as usize;
                if !out.put(*r as usize, key, || sums.score(*s, *a)) {
                    return false;
                }
            }
        }
        true
    });
    complete.then(|| out.finish())
}

/// [`sub_scores`] as values, NaN for none.
fn dense_sub_scores(frames: &Frames, code: &str, min_item_share: f64) -> Vec<f64> {
    let mut out = vec![f64::NAN; frames.len()];
    each_version_sums(frames, code, min_item_share, |v, sums| {
        for ((r, s), a) in v.rows.iter().zip(sums.sum).zip(sums.answered) {
            if sums.counts(*a) {
                out[*r as usize] = sums.score(*s, *a);
            }
        }
        true
    });
    out
}

/// One questionnaire's rows' sums of an indicator's items (scored 0-based) and their
/// numbers of answered items.
struct VersionSums<'a> {
    sum: &'a [u32],
    answered: &'a [u32],
    /// The indicator's items in the questionnaire.
    items: u32,
    /// Answered items a score needs.
    least: f64,
    /// Scale points minus one (at least one).
    span: f64,
}

impl VersionSums<'_> {
    /// Whether `a` answered items make a score.
    #[inline]
    fn counts(&self, a: u32) -> bool {
        a > 0 && f64::from(a) / f64::from(self.items) >= self.least
    }

    /// The score of sum `s` over `a` answered items.
    #[inline]
    fn score(&self, s: u32, a: u32) -> f64 {
        100.0 * f64::from(s) / (f64::from(a) * self.span)
    }
}

/// Calls `f` with each questionnaire that has items of `code` and its rows' sums,
/// until `f` says false (then false).
fn each_version_sums(
    frames: &Frames,
    code: &str,
    min_item_share: f64,
    mut f: impl FnMut(&VersionFrame, VersionSums) -> bool,
) -> bool {
    // One pair of buffers for every questionnaire (fresh memory costs page faults).
    let longest = frames.versions.iter().map(|v| v.len()).max().unwrap_or(0);
    let (mut sum, mut answered) = (vec![0u32; longest], vec![0u32; longest]);
    for v in &frames.versions {
        let p = v.points;
        let cols: Vec<_> = v.items.iter().filter(|c| c.sub == code).collect();
        if cols.is_empty() {
            continue;
        }
        let (sum, answered) = (&mut sum[..v.len()], &mut answered[..v.len()]);
        sum.fill(0);
        answered.fill(0);
        for c in &cols {
            add_item(c, p, sum, answered);
        }
        let sums = VersionSums {
            sum,
            answered,
            items: cols.len() as u32,
            least: min_item_share - 1e-9,
            span: f64::from(p.saturating_sub(1).max(1)),
        };
        if !f(v, sums) {
            return false;
        }
    }
    true
}

/// Key of one cell: group, breakdown value ("" for none), indicator.
pub type CellKey = (String, String, String);

/// n, mean, SD and CI per (group, value of `by` or "", indicator): [`cell_tables`] of
/// one table.
pub fn cell_stats(
    scores: &RespondentScores,
    respondents: Option<(&Respondents, &str)>,
) -> PolarsResult<BTreeMap<CellKey, ScoreStat>> {
    let by = match respondents {
        Some((r, attr)) => Some(r.column(attr)?),
        None => None,
    };
    let mut tables = cell_tables(scores, &[by])?;
    Ok(tables.pop().map(|t| t.stats).unwrap_or_default())
}

/// One table of [`cell_tables`]: the statistics of its cells, and the respondents of
/// each (group, value) cell with or without a score.
pub struct CellTable<'a> {
    pub stats: BTreeMap<CellKey, ScoreStat>,
    pub respondents: Vec<((&'a str, &'a str), u64)>,
}

/// n, mean, SD and CI per (group, value of `by` or "", indicator) for each `by` of
/// `bys`, every table in one pass over the respondent rows per indicator (a direct
/// loop: polars' group-by cost more than the rest of a view's analysis; one pass for
/// all tables reads each score once), the indicators spread over the cores.
/// Respondents without a group or a value of `by` are left out; a cell with no score
/// is absent. Means and SDs are two-pass (mean first, then squared deviations), each
/// cell's sums added in row order whatever the other tables; weighted cells keep their
/// sums ([`WeightedSums`]).
pub fn cell_tables<'a>(
    scores: &'a RespondentScores,
    bys: &[Option<&'a CodedStrings>],
) -> PolarsResult<Vec<CellTable<'a>>> {
    let groups = scores.group_codes()?;
    // Each table's dictionary of values hashes every row's value: one core each.
    let tables = super::parallel::map(bys.to_vec(), |by| {
        cells_of_rows((groups.0.clone(), groups.1), by)
    });
    let (tables, row_slots): (Vec<_>, Vec<_>) = tables.into_iter().unzip();
    let slots = SlotSpace::new(&tables, row_slots);
    let weights = scores.weights.as_deref();
    let per_code = super::parallel::map(scores.columns.iter().collect(), |values| match weights {
        Some(w) => weighted_cells(values, w, &slots),
        None => unweighted_cells(values, &slots),
    });
    let mut out: Vec<CellTable> = Vec::with_capacity(tables.len());
    for (t, keys) in tables.iter().enumerate() {
        let first = slots.offsets[t];
        let mut stats = BTreeMap::new();
        for (code, cells) in scores.codes.iter().zip(&per_code) {
            for ((g, v), stat) in keys.iter().zip(&cells[first..first + keys.len()]) {
                if let Some(stat) = stat {
                    stats.insert((g.to_string(), v.to_string(), code.clone()), *stat);
                }
            }
        }
        let n = &slots.respondents[first..first + keys.len()];
        out.push(CellTable {
            stats,
            respondents: keys.iter().copied().zip(n.iter().copied()).collect(),
        });
    }
    Ok(out)
}

/// The cells of several tables numbered in one space: table `t`'s cell `c` is slot
/// `offsets[t] + c`, and its spare slot (rows in none of its cells) the one after its
/// last cell.
struct SlotSpace {
    /// Each table's slot of every row (a table's row slots, moved in and renumbered:
    /// no copy of them all).
    row_slots: Vec<Vec<u32>>,
    offsets: Vec<usize>,
    /// Slots in all.
    len: usize,
    /// Rows per slot, with a score or not.
    respondents: Vec<u64>,
}

impl SlotSpace {
    fn new(keys: &[Vec<(&str, &str)>], mut row_slots: Vec<Vec<u32>>) -> Self {
        let mut offsets = Vec::with_capacity(keys.len());
        let mut len = 0;
        for k in keys {
            offsets.push(len);
            len += k.len() + 1;
        }
        let mut respondents = vec![0u64; len];
        for (row_slot, first) in row_slots.iter_mut().zip(&offsets) {
            for slot in row_slot.iter_mut() {
                *slot += *first as u32;
                respondents[*slot as usize] += 1;
            }
        }
        SlotSpace {
            row_slots,
            offsets,
            len,
            respondents,
        }
    }

    /// Calls `f(r, slot, x)` for every row `r` with a score `x` (see
    /// [`for_each_slot`]) and each table, `slot` the row's in that table.
    fn for_each(&self, values: &ScoreValues, mut f: impl FnMut(usize, usize, f64)) {
        let rows = self.row_slots.iter().map(Vec::len).min().unwrap_or(0);
        values.for_each_scored(rows, |r, x| {
            for table in &self.row_slots {
                f(r, table[r] as usize, x);
            }
        });
    }
}

/// Each group's respondent scores, one indicator at a time, for the tests between
/// groups or waves: the group of every row is found once, and an indicator's vectors
/// are made when asked and dropped after its tests (all of them at once were the
/// largest allocation of a view: ~200 MB at a million respondents).
pub struct GroupVectors<'a> {
    /// None: no respondent scores (every indicator's vectors are empty).
    scores: Option<&'a RespondentScores>,
    groups: Vec<&'a str>,
    row_slot: Vec<u32>,
}

impl<'a> GroupVectors<'a> {
    pub fn new(scores: Option<&'a RespondentScores>) -> PolarsResult<Self> {
        let (groups, row_slot) = match scores {
            Some(s) => {
                let (keys, row_slot) = cells_of_rows(s.group_codes()?, None);
                (keys.into_iter().map(|(g, _)| g).collect(), row_slot)
            }
            None => (Vec::new(), Vec::new()),
        };
        Ok(GroupVectors {
            scores,
            groups,
            row_slot,
        })
    }

    /// Indicator `code`'s scores of each group, in respondent order, as (group,
    /// scores); respondents without a group or a score, and groups without a score,
    /// left out; none for an indicator without scores.
    pub fn of(&self, code: &str) -> PolarsResult<Vec<(&'a str, Vec<f64>)>> {
        let Some(scores) = self.scores.filter(|s| s.codes.iter().any(|c| c == code)) else {
            return Ok(Vec::new());
        };
        let values = scores.values(code)?;
        // The spare slot's vector takes the rows in no cell (no branch per row); each
        // vector is sized exactly by a first pass.
        let mut n = vec![0usize; self.groups.len() + 1];
        for_each_slot(values, &self.row_slot, |_, c, _| n[c] += 1);
        let mut by_cell: Vec<Vec<f64>> = n.into_iter().map(Vec::with_capacity).collect();
        for_each_slot(values, &self.row_slot, |_, c, x| by_cell[c].push(x));
        by_cell.truncate(self.groups.len());
        Ok(self
            .groups
            .iter()
            .zip(by_cell)
            .filter(|(_, v)| !v.is_empty())
            .map(|(g, v)| (*g, v))
            .collect())
    }
}

/// [`cell_stats`] without a breakdown, counts only: the respondents with a score per
/// (group, "", indicator), each as a cell with n and nothing else (what a fine cell's
/// census reads).
pub fn cell_counts(scores: &RespondentScores) -> PolarsResult<BTreeMap<CellKey, ScoreStat>> {
    let (keys, row_slot) = cells_of_rows(scores.group_codes()?, None);
    let mut map = BTreeMap::new();
    for code in &scores.codes {
        let stride = keys.len() + 1;
        let mut n = vec![0u64; BANKS * stride];
        for_each_slot(scores.values(code)?, &row_slot, |r, c, _| {
            n[(r % BANKS) * stride + c] += 1
        });
        let n = bank_totals(&n, stride);
        for ((g, v), n) in keys.iter().zip(n).filter(|(_, n)| *n > 0) {
            let stat = ScoreStat {
                n,
                ..ScoreStat::EMPTY
            };
            map.insert((g.to_string(), v.to_string(), code.clone()), stat);
        }
    }
    Ok(map)
}

/// The (group, value) cells of a table and each row's slot ([`cells_of_rows`]).
type RowCells<'a> = (Vec<(&'a str, &'a str)>, Vec<u32>);

/// Marks a value (or a row, while cells are made) that belongs to no cell.
const NO_CELL: u32 = u32::MAX;

/// The distinct (group, value) cells of the rows (value "" without `by`), from the
/// groups' names and each row's group code ([`RespondentScores::group_codes`]), and each
/// row's slot: its cell's index, or the number of cells (the spare slot past the last
/// cell) for a row without a group or without a value of `by`.
fn cells_of_rows<'a>(
    (group_names, group_codes): (Vec<&'a str>, &[u32]),
    by: Option<&'a CodedStrings>,
) -> RowCells<'a> {
    let (value_names, value_codes) = match by {
        Some(b) => b.dictionary(),
        None => (vec![""], vec![0; group_codes.len()]),
    };
    // Cell of each (group, value) pair of codes, made when first seen.
    let mut cell_of = vec![NO_CELL; group_names.len() * value_names.len()];
    let mut keys = Vec::new();
    let mut row_slot: Vec<u32> = group_codes
        .iter()
        .zip(&value_codes)
        .map(|(&g, &v)| {
            if g == NO_CELL || v == NO_CELL {
                return NO_CELL;
            }
            let pair = g as usize * value_names.len() + v as usize;
            if cell_of[pair] == NO_CELL {
                cell_of[pair] = keys.len() as u32;
                keys.push((group_names[g as usize], value_names[v as usize]));
            }
            cell_of[pair]
        })
        .collect();
    let spare = keys.len() as u32;
    for slot in &mut row_slot {
        *slot = (*slot).min(spare);
    }
    (keys, row_slot)
}

/// Calls `f(row, slot, score)` for every row with a score, in row order (see
/// [`for_each_scored`]): `slot` is the row's from [`cells_of_rows`] (the spare slot
/// past the last cell for a row in no cell), so there is no branch per row.
fn for_each_slot(values: &ScoreValues, row_slot: &[u32], mut f: impl FnMut(usize, usize, f64)) {
    values.for_each_scored(row_slot.len(), |r, x| f(r, row_slot[r] as usize, x));
}

/// Accumulator banks: row `r` adds into bank `r % BANKS`, so that consecutive rows of
/// one cell (respondents grouped by questionnaire) do not each wait for the store of
/// the row before; the banks are added up once per cell.
const BANKS: usize = 4;

/// Sums per slot over `BANKS` banks of `stride` slots each, added up per slot.
fn bank_totals<T: Copy + std::ops::Add<Output = T>>(banks: &[T], stride: usize) -> Vec<T> {
    (0..stride)
        .map(|c| (1..BANKS).fold(banks[c], |total, b| total + banks[b * stride + c]))
        .collect()
}

/// Unweighted cells of every slot: n, mean and sample SD (two-pass), `None` for a
/// cell without scores.
fn unweighted_cells(values: &ScoreValues, slots: &SlotSpace) -> Vec<Option<ScoreStat>> {
    let stride = slots.len;
    let mut n = vec![0u64; BANKS * stride];
    let mut sum = vec![0.0f64; BANKS * stride];
    slots.for_each(values, |r, s, x| {
        let k = (r % BANKS) * stride + s;
        n[k] += 1;
        sum[k] += x;
    });
    let (n, sum) = (bank_totals(&n, stride), bank_totals(&sum, stride));
    let mean: Vec<f64> = sum.iter().zip(&n).map(|(s, n)| s / *n as f64).collect();
    let mut squares = vec![0.0f64; BANKS * stride];
    slots.for_each(values, |r, c, x| {
        squares[(r % BANKS) * stride + c] += (x - mean[c]) * (x - mean[c]);
    });
    let squares = bank_totals(&squares, stride);
    (0..stride)
        .map(|c| {
            let sd = (n[c] >= 2).then(|| (squares[c] / (n[c] - 1) as f64).sqrt());
            (n[c] > 0).then(|| ScoreStat::from_moments(n[c], mean[c], sd))
        })
        .collect()
}

/// Weighted cells of every slot from their [`WeightedSums`] (a respondent without a
/// weight counts in n only), `None` for a cell without scores.
fn weighted_cells(
    values: &ScoreValues,
    weights: &[f64],
    slots: &SlotSpace,
) -> Vec<Option<ScoreStat>> {
    let mut sums = vec![WeightedSums::default(); slots.len];
    slots.for_each(values, |r, s, x| sums[s].add(x, weights[r]));
    sums.into_iter()
        .map(|s| (s.n > 0).then(|| s.stat()))
        .collect()
}

/// Builds per-indicator results from cell statistics of one breakdown value.
pub fn indicator_table(
    info: &CampaignInfo,
    framework: &Framework,
    stats: &BTreeMap<CellKey, ScoreStat>,
    value: &str,
    groups_present: &[Audience],
) -> (IndicatorScores, Vec<IndicatorScores>) {
    let build = |code: &str, name: &str, level: Level, parent: Option<String>, weight: f64| {
        let mut by_group = BTreeMap::new();
        for g in groups_present {
            let key = (g.as_str().to_string(), value.to_string(), code.to_string());
            by_group.insert(*g, stats.get(&key).copied().unwrap_or(ScoreStat::EMPTY));
        }
        let weighted: Vec<(ScoreStat, f64)> = by_group
            .iter()
            .map(|(g, s)| (*s, info.group_weights.get(g).copied().unwrap_or(0.0)))
            .collect();
        IndicatorScores {
            code: code.to_string(),
            name: name.to_string(),
            level,
            parent,
            weight,
            combined: combine_groups(&weighted),
            by_group,
        }
    };
    let mut indicators = Vec::new();
    for top in &framework.indicators {
        indicators.push(build(&top.code, &top.name, Level::First, None, top.weight));
        for sub in &top.children {
            indicators.push(build(
                &sub.code,
                &sub.name,
                Level::Second,
                Some(top.code.clone()),
                sub.weight,
            ));
        }
    }
    (
        build(COMPOSITE, "综合指数", Level::Composite, None, 1.0),
        indicators,
    )
}

/// Scores a campaign: every indicator per group and combined.
#[cfg(test)]
pub fn score_campaign(info: &CampaignInfo, frames: &Frames) -> PolarsResult<CampaignScores> {
    let (framework, _) = super::evaluation::effective_framework(info, frames)?;
    let scores = respondent_scores(&framework, frames, info.analysis.min_item_share)?;
    let stats = cell_stats(&scores, None)?;
    let present: Vec<Audience> = frames
        .counts
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(g, _)| *g)
        .collect();
    let (composite, indicators) = indicator_table(info, &framework, &stats, "", &present);
    Ok(CampaignScores {
        campaign: info.key.clone(),
        composite,
        indicators,
        group_weights: info.group_weights.clone(),
        responses: frames.counts.clone(),
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::analysis::frame::{build, ResponseInput};
    use crate::domain::{
        AnswerValue, Indicator, LikertScale, Question, QuestionKind, Section, SubIndicator, Survey,
    };

    /// Respondent scores of the given groups (row by row) and indicator columns (NaN: no
    /// score).
    fn scores_by_group(groups: &[Option<&str>], columns: &[(&str, Vec<f64>)]) -> RespondentScores {
        let group = CodedStrings::from_rows(groups.iter().copied());
        RespondentScores::new(
            group,
            columns.iter().map(|(c, _)| c.to_string()).collect(),
            columns
                .iter()
                .map(|(_, v)| ScoreValues::dense(v.clone()))
                .collect(),
        )
    }

    /// The column of `code` in [`scores_frame`].
    fn score_column(code: &str) -> String {
        format!("score:{code}")
    }

    /// The column of respondent weights in [`scores_frame`], when weighted.
    const WEIGHT: &str = "weight";

    /// The scores as a polars frame (the reference group-by's input): `group`, a
    /// nullable `f64` column per indicator and the weights.
    fn scores_frame(scores: &RespondentScores) -> DataFrame {
        let group: Vec<Option<&str>> = scores.group().iter().collect();
        let mut cols = vec![Column::new("group".into(), group)];
        for code in &scores.codes {
            let v: Vec<Option<f64>> = scores.values(code).expect("values").iter().collect();
            cols.push(Column::new(score_column(code).into(), v));
        }
        if let Some(w) = &scores.weights {
            cols.push(Column::new(WEIGHT.into(), w.clone()));
        }
        DataFrame::new(scores.group().len(), cols).expect("scores frame")
    }

    const S: Option<&str> = Some("students");
    const T: Option<&str> = Some("teachers");

    /// Each group's scores of one indicator, in respondent order, without the rows that
    /// have no group or no score; an indicator without a column, or no scores at all,
    /// gives none (worked by hand from the table below).
    #[test]
    fn group_vectors_are_each_groups_scores_in_respondent_order() {
        let nan = f64::NAN;
        let scores = scores_by_group(
            &[S, T, None, S, T, S],
            &[
                ("A", vec![10.0, 20.0, 30.0, nan, 50.0, 60.0]),
                ("B", vec![nan, 1.0, 2.0, nan, nan, nan]),
            ],
        );
        let vectors = GroupVectors::new(Some(&scores)).expect("vectors");
        let a = vectors.of("A").expect("A");
        assert_eq!(
            a,
            vec![
                ("students", vec![10.0, 60.0]),
                ("teachers", vec![20.0, 50.0])
            ]
        );
        assert!(
            a.iter().all(|(_, v)| v.capacity() == v.len()),
            "sized exactly"
        );
        assert_eq!(vectors.of("B").expect("B"), vec![("teachers", vec![1.0])]);
        assert!(vectors.of("C").expect("C").is_empty());
        let none = GroupVectors::new(None).expect("none");
        assert!(none.of("A").expect("A").is_empty());
    }

    /// Respondents per (group, value), with or without a score: a row without a group
    /// or without a value is in no cell (counted by hand from the table below).
    #[test]
    fn cell_tables_count_every_row_with_a_group_and_a_value() {
        let scores = scores_by_group(
            &[S, T, None, S, S],
            &[("A", vec![f64::NAN, 1.0, 2.0, 3.0, 4.0])],
        );
        let herbs = Some("herbs");
        let sector = CodedStrings::from_rows([herbs, herbs, herbs, None, herbs]);
        let tables = cell_tables(&scores, &[Some(&sector)]).expect("tables");
        assert_eq!(
            tables[0].respondents,
            vec![(("students", "herbs"), 2), (("teachers", "herbs"), 1)]
        );
    }

    pub(crate) fn info() -> CampaignInfo {
        let sub = |code: &str, weight| SubIndicator {
            code: code.into(),
            name: code.into(),
            name_en: None,
            weight,
        };
        CampaignInfo {
            key: "c".into(),
            title: "t".into(),
            description: String::new(),
            organisations: vec![],
            group_weights: [(Audience::Students, 0.5), (Audience::Teachers, 0.5)]
                .into_iter()
                .collect(),
            framework: Framework {
                indicators: vec![
                    Indicator {
                        code: "A".into(),
                        name: "A".into(),
                        name_en: None,
                        weight: 0.6,
                        children: vec![sub("A1", 0.75), sub("A2", 0.25)],
                    },
                    Indicator {
                        code: "B".into(),
                        name: "B".into(),
                        name_en: None,
                        weight: 0.4,
                        children: vec![sub("B1", 1.0)],
                    },
                ],
            },
            analysis: Default::default(),
            quality: Default::default(),
            ahp: Vec::new(),
            recommendations: BTreeMap::new(),
            population: None,
            text: Default::default(),
        }
    }

    pub(crate) fn survey(audience: Audience) -> Survey {
        let likert = |id: &str, ind: &str, reverse| {
            let mut q = Question::new(
                id,
                id,
                QuestionKind::Likert {
                    indicator: Some(ind.into()),
                    reverse,
                },
            );
            q.required = false;
            q
        };
        Survey {
            slug: audience.as_str().into(),
            audience,
            title: "t".into(),
            title_en: None,
            intro: String::new(),
            intro_en: None,
            declared_version: None,
            scale: LikertScale {
                points: 5,
                labels: vec![String::new(); 5],
                labels_en: None,
            },
            access: Default::default(),
            sections: vec![Section {
                title: "s".into(),
                title_en: None,
                relevant: None,
                questions: vec![
                    likert("q1", "A1", false),
                    likert("q2", "A1", true),
                    likert("q3", "A2", false),
                    likert("q4", "B1", false),
                ],
            }],
        }
    }

    fn answers(pairs: &[(&str, i64)]) -> BTreeMap<String, AnswerValue> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), AnswerValue::Number(*v)))
            .collect()
    }

    /// Worked by hand. Students:
    ///  r1: q1=5 (100), q2=2 reversed -> 4 (75), q3=3 (50), q4=4 (75)
    ///      A1 = 87.5, A2 = 50, A = .75·87.5 + .25·50 = 78.125, B = 75,
    ///      total = .6·78.125 + .4·75 = 76.875
    ///  r2: q1=3 (50), q4=2 (25)  (skipped q2, q3; 1 of 2 A1 items = 50% counts)
    ///      A1 = 50, A2 = -, A = 50 (re-normalised), B = 25, total = .6·50 + .4·25 = 40
    /// Students A1: n 2, mean 68.75; total: mean 58.4375.
    /// Teachers t1: q1=4 (75), q3=5 (100), q4 missing: A1 75, A2 100, A = 81.25, total 81.25.
    /// Combined A1 = .5·68.75 + .5·75 = 71.875; combined total = .5·58.4375 + .5·81.25 = 69.84375.
    #[test]
    fn pipeline_matches_hand_computation() {
        let (s, t) = (survey(Audience::Students), survey(Audience::Teachers));
        let no_attrs = BTreeMap::new();
        let a1 = answers(&[("q1", 5), ("q2", 2), ("q3", 3), ("q4", 4)]);
        let a2 = answers(&[("q1", 3), ("q4", 2)]);
        let a3 = answers(&[("q1", 4), ("q3", 5)]);
        let inputs = vec![
            ResponseInput {
                survey: &s,
                attributes: &no_attrs,
                answers: &a1,
            },
            ResponseInput {
                survey: &s,
                attributes: &no_attrs,
                answers: &a2,
            },
            ResponseInput {
                survey: &t,
                attributes: &no_attrs,
                answers: &a3,
            },
        ];
        let frames = build(inputs, &[]).expect("frames");
        let answered: usize = frames
            .versions
            .iter()
            .flat_map(|v| &v.items)
            .map(|c| c.values.iter().filter(|x| **x > 0).count())
            .sum();
        assert_eq!(answered, 8);
        let scores = score_campaign(&info(), &frames).expect("scores");
        let ind = |code: &str| {
            scores
                .indicators
                .iter()
                .find(|i| i.code == code)
                .expect("indicator")
        };
        let st = |i: &IndicatorScores, g| i.by_group[&g];
        let close = |a: Option<f64>, b: f64| (a.expect("value") - b).abs() < 1e-9;

        assert_eq!(st(ind("A1"), Audience::Students).n, 2);
        assert!(close(st(ind("A1"), Audience::Students).mean, 68.75));
        assert!(close(
            st(ind("A"), Audience::Students).mean,
            (78.125 + 50.0) / 2.0
        ));
        assert_eq!(st(ind("A2"), Audience::Students).n, 1);
        assert!(close(
            st(&scores.composite, Audience::Students).mean,
            (76.875 + 40.0) / 2.0
        ));
        assert!(close(st(&scores.composite, Audience::Teachers).mean, 81.25));
        assert_eq!(st(ind("B1"), Audience::Teachers).n, 0, "teacher skipped q4");
        assert!(close(ind("A1").combined.mean, 71.875));
        assert!(close(scores.composite.combined.mean, 69.84375));
        assert!(close(ind("B1").combined.mean, 50.0));

        // With a 75% minimum share, r2's single A1 answer (1 of 2) no longer counts.
        let mut strict = info();
        strict.analysis.min_item_share = 0.75;
        let scores = score_campaign(&strict, &frames).expect("scores");
        let a1 = scores
            .indicators
            .iter()
            .find(|i| i.code == "A1")
            .expect("A1");
        assert_eq!(a1.by_group[&Audience::Students].n, 1);
        assert!(close(a1.by_group[&Audience::Students].mean, 87.5));
    }

    #[test]
    fn empty_campaign_scores_to_nothing_without_error() {
        let frames = build(Vec::new(), &["sector".to_string()]).expect("frames");
        let scores = score_campaign(&info(), &frames).expect("scores");
        assert_eq!(scores.composite.combined.mean, None);
        assert!(scores.indicators.iter().all(|i| i.by_group.is_empty()));
    }

    /// The group-by this module used before [`cell_stats`] became a direct pass: the
    /// reference it is checked against.
    fn polars_cell_stats(
        scores: &RespondentScores,
        respondents: Option<(&Respondents, &str)>,
    ) -> BTreeMap<CellKey, ScoreStat> {
        const BY: &str = "__by";
        let mut keys = vec![col("group")];
        let lf = match respondents {
            Some((r, attr)) => {
                let mut df = scores_frame(scores);
                let by: Vec<Option<&str>> = r.column(attr).expect("by").iter().collect();
                df.with_column(Column::new(BY.into(), by)).expect("with by");
                keys.push(col(BY));
                df.lazy().filter(col(BY).is_not_null())
            }
            None => scores_frame(scores).lazy(),
        };
        let weighted = scores.is_weighted();
        let has = |c: &str| col(c).is_not_null();
        let aggs: Vec<Expr> = scores
            .codes
            .iter()
            .flat_map(|code| {
                let c = score_column(code);
                let n = col(c.as_str())
                    .count()
                    .cast(DataType::UInt64)
                    .alias(format!("n:{code}"));
                if weighted {
                    let w = || col(WEIGHT).filter(has(&c));
                    vec![
                        n,
                        w().sum().alias(format!("sw:{code}")),
                        (w() * w()).sum().alias(format!("sw2:{code}")),
                        (col(WEIGHT) * col(c.as_str()))
                            .sum()
                            .alias(format!("swx:{code}")),
                        (col(WEIGHT) * col(c.as_str()) * col(c.as_str()))
                            .sum()
                            .alias(format!("swxx:{code}")),
                    ]
                } else {
                    vec![
                        n,
                        col(c.as_str()).mean().alias(format!("m:{code}")),
                        col(c.as_str()).std(1).alias(format!("s:{code}")),
                    ]
                }
            })
            .collect();
        let out = lf.group_by(keys).agg(aggs).collect().expect("group-by");
        let groups = out.column("group").expect("group").str().expect("str");
        let values = respondents.map(|_| out.column(BY).expect("by").str().expect("str"));
        let f = |name: &str, code: &str, i: usize| {
            out.column(&format!("{name}:{code}"))
                .expect("col")
                .f64()
                .expect("f64")
                .get(i)
        };
        let mut map = BTreeMap::new();
        for code in &scores.codes {
            let ns = out
                .column(&format!("n:{code}"))
                .expect("n")
                .u64()
                .expect("u64");
            for i in 0..out.height() {
                let (Some(g), Some(n)) = (groups.get(i), ns.get(i)) else {
                    continue;
                };
                if n == 0 {
                    continue;
                }
                let v = match values {
                    Some(v) => match v.get(i) {
                        Some(v) => v.to_string(),
                        None => continue,
                    },
                    None => String::new(),
                };
                let stat = if weighted {
                    let sums = WeightedSums {
                        n,
                        sw: f("sw", code, i).expect("sw"),
                        sw2: f("sw2", code, i).expect("sw2"),
                        swx: f("swx", code, i).expect("swx"),
                        swxx: f("swxx", code, i).expect("swxx"),
                    };
                    sums.stat()
                } else {
                    ScoreStat::from_moments(n, f("m", code, i).expect("mean"), f("s", code, i))
                };
                map.insert((g.to_string(), v, code.clone()), stat);
            }
        }
        map
    }

    fn near(a: Option<f64>, b: Option<f64>) -> bool {
        match (a, b) {
            (Some(a), Some(b)) => (a - b).abs() <= 1e-9 * (1.0 + a.abs().max(b.abs())),
            (None, None) => true,
            _ => false,
        }
    }

    /// One respondent: group (or none), value of the attribute (or none), a score or
    /// none per indicator, a weight.
    type Row = (Option<u8>, Option<u8>, Vec<Option<f64>>, f64);

    fn scores_of(rows: &[Row], weighted: bool) -> (RespondentScores, Respondents) {
        const GROUPS: [&str; 3] = ["students", "teachers", "mentors"];
        let n = rows.len();
        let codes: Vec<String> = vec!["A".into(), "B".into()];
        let group: Vec<Option<&str>> = rows
            .iter()
            .map(|r| r.0.map(|g| GROUPS[g as usize]))
            .collect();
        let columns = (0..codes.len())
            .map(|k| ScoreValues::dense(rows.iter().map(|r| r.2[k].unwrap_or(f64::NAN)).collect()))
            .collect();
        let mut scores = RespondentScores::new(CodedStrings::from_rows(group), codes, columns);
        if weighted {
            let w: Vec<f64> = rows.iter().map(|r| r.3).collect();
            scores = scores.with_weights(&w).expect("weights");
        }
        let attr: Vec<Option<String>> = rows.iter().map(|r| r.1.map(|v| format!("v{v}"))).collect();
        let sector = CodedStrings::from_rows(attr.iter().map(|v| v.as_deref()));
        let respondents = Respondents::new(
            CodedStrings::from_rows(std::iter::repeat_n(None, n)),
            vec![("sector".into(), sector)],
        );
        (scores, respondents)
    }

    fn row() -> impl proptest::strategy::Strategy<Value = Row> {
        let score = proptest::option::weighted(0.8, 0.0f64..=100.0);
        (
            proptest::option::weighted(0.95, 0u8..3),
            proptest::option::weighted(0.8, 0u8..4),
            proptest::collection::vec(score, 2),
            0.2f64..5.0,
        )
    }

    /// Rows visited by [`for_each_slot`] against a row-by-row reading of the column,
    /// coded and dense: words of every fill, rows past the last slot.
    #[test]
    fn slots_visit_exactly_the_rows_with_a_score() {
        let rows = 577;
        let value = |i: usize| {
            if !(i * 7 + 1).is_multiple_of(5) && (i / 64) % 3 != 1 {
                (i % 9) as f64 * 12.5
            } else {
                f64::NAN
            }
        };
        let dense = ScoreValues::dense((0..rows).map(value).collect());
        let mut coded = CodedScores::new(rows, 9, MAX_LEVELS);
        for i in (0..rows).filter(|i| !value(*i).is_nan()) {
            assert!(coded.put(i, i % 9, || value(i)));
        }
        // Every fourth row in no cell (the spare slot, 3); the last ten rows without one.
        let row_slot: Vec<u32> = (0..rows - 10)
            .map(|r| if r % 4 == 0 { 3 } else { (r % 3) as u32 })
            .collect();
        let expected: Vec<(usize, usize, f64)> = (0..rows)
            .filter_map(|r| {
                let x = value(r);
                (!x.is_nan()).then_some((r, *row_slot.get(r)? as usize, x))
            })
            .collect();
        for column in [dense, coded.finish()] {
            let mut seen = Vec::new();
            for_each_slot(&column, &row_slot, |r, c, x| seen.push((r, c, x)));
            assert_eq!(seen, expected);
        }
    }

    /// Weights re-normalised over the parts a row has (by hand: (0.6·50 + 0.4·100) / 1
    /// = 70; 20 alone; nothing: NaN).
    #[test]
    fn weighted_rows_renormalise_over_present_parts() {
        let nan = f64::NAN;
        let a = ScoreValues::dense(vec![50.0, nan, nan]);
        let b = ScoreValues::dense(vec![100.0, 20.0, nan]);
        let rows = weighted_rows(&[(&a, 0.6), (&b, 0.4)], 3);
        assert!((rows.value(0) - 70.0).abs() < 1e-12);
        assert_eq!(rows.get(1), Some(20.0));
        assert_eq!(rows.get(2), None);
    }

    /// Second-level scores coded are the values worked out row by row, bit for bit, for
    /// 300 respondents' answers of every kind (skips, reversed items, both groups) and
    /// two minimum shares; with too few codes the coded form gives way to the values.
    #[test]
    fn coded_sub_scores_are_the_scores_bit_for_bit() {
        let (s, t) = (survey(Audience::Students), survey(Audience::Teachers));
        let no_attrs = BTreeMap::new();
        let all: Vec<BTreeMap<String, AnswerValue>> = (0..300i64)
            .map(|i| {
                let pairs: Vec<(&str, i64)> = ["q1", "q2", "q3", "q4"]
                    .iter()
                    .enumerate()
                    .map(|(k, q)| (*q, (i * 7 + k as i64 * i * 3 + k as i64) % 6))
                    .filter(|(_, a)| *a > 0)
                    .collect();
                answers(&pairs)
            })
            .collect();
        let inputs = all.iter().enumerate().map(|(i, a)| ResponseInput {
            survey: if i % 3 == 0 { &t } else { &s },
            attributes: &no_attrs,
            answers: a,
        });
        let frames = build(inputs, &[]).expect("frames");
        let bits = |v: Vec<f64>| v.into_iter().map(f64::to_bits).collect::<Vec<_>>();
        let info = info();
        for share in [0.5, 1.0] {
            for (_, sub) in info.framework.subs() {
                let dense = dense_sub_scores(&frames, &sub.code, share);
                assert!(dense.iter().any(|x| !x.is_nan()), "{} has scores", sub.code);
                let coded = coded_sub_scores(&frames, &sub.code, share, MAX_LEVELS)
                    .expect("few enough distinct scores");
                let coded: Vec<f64> = (0..frames.len()).map(|r| coded.value(r)).collect();
                assert_eq!(bits(coded), bits(dense.clone()), "{} at {share}", sub.code);
                assert!(coded_sub_scores(&frames, &sub.code, share, 0).is_none());
                let chosen = sub_scores(&frames, &sub.code, share);
                let chosen: Vec<f64> = (0..frames.len()).map(|r| chosen.value(r)).collect();
                assert_eq!(bits(chosen), bits(dense));
            }
        }
    }

    /// Every number of `s` as its bits, so that two stats compare exactly.
    fn stat_bits(s: &ScoreStat) -> String {
        let b = |x: Option<f64>| x.map(f64::to_bits);
        format!(
            "{} {:?} {:?} {:?} {:?} {:?}",
            s.n,
            b(s.mean),
            b(s.sd),
            b(s.ci_low),
            b(s.ci_high),
            b(s.n_eff)
        )
    }

    proptest::proptest! {
        /// The direct pass gives the cells polars' group-by gave: the same cells, n,
        /// and mean, SD, CI and n_eff to 1e-9, weighted or not, with and without a
        /// breakdown attribute (including cells of one respondent).
        #[test]
        fn cell_stats_agree_with_the_polars_group_by(
            rows in proptest::collection::vec(row(), 0..60),
            weighted in proptest::bool::ANY,
        ) {
            let (scores, respondents) = scores_of(&rows, weighted);
            for by in [None, Some((&respondents, "sector"))] {
                let direct = cell_stats(&scores, by).expect("direct");
                let reference = polars_cell_stats(&scores, by);
                proptest::prop_assert_eq!(
                    direct.keys().collect::<Vec<_>>(),
                    reference.keys().collect::<Vec<_>>()
                );
                for (k, a) in &direct {
                    let b = &reference[k];
                    proptest::prop_assert_eq!(a.n, b.n);
                    for (x, y) in [
                        (a.mean, b.mean),
                        (a.sd, b.sd),
                        (a.ci_low, b.ci_low),
                        (a.ci_high, b.ci_high),
                        (a.n_eff, b.n_eff),
                    ] {
                        proptest::prop_assert!(near(x, y), "{k:?}: {a:?} against {b:?}");
                    }
                }
            }
        }

        /// Tables made together are bit for bit the tables made one at a time: each
        /// cell's sums run over its rows in the same order whatever the other tables
        /// (the view's, a breakdown's, and one whose values cross them).
        #[test]
        fn tables_made_together_are_the_tables_made_alone(
            rows in proptest::collection::vec(row(), 0..60),
            weighted in proptest::bool::ANY,
        ) {
            let (scores, respondents) = scores_of(&rows, weighted);
            let sector = respondents.column("sector").expect("sector");
            let crossed: Vec<Option<String>> = sector
                .iter()
                .enumerate()
                .map(|(i, v)| v.filter(|_| i % 3 != 0).map(|v| format!("{v}-{}", i % 2)))
                .collect();
            let crossed = CodedStrings::from_rows(crossed.iter().map(|v| v.as_deref()));
            let bys = [None, Some(sector), Some(&crossed)];
            let together = cell_tables(&scores, &bys).expect("together");
            proptest::prop_assert_eq!(together.len(), 3);
            for (by, t) in bys.iter().zip(&together) {
                let alone = cell_tables(&scores, &[*by]).expect("alone").remove(0);
                let bits = |m: &BTreeMap<CellKey, ScoreStat>| -> Vec<String> {
                    m.iter().map(|(k, s)| format!("{k:?} {}", stat_bits(s))).collect()
                };
                proptest::prop_assert_eq!(bits(&t.stats), bits(&alone.stats));
                proptest::prop_assert_eq!(&t.respondents, &alone.respondents);
            }
        }
    }
}
