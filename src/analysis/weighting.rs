//! Respondent weights to the population: cell weighting (post-stratification) and
//! raking (iterative proportional fitting) with optional trimming, on the campaign's
//! sample cross-classified by the population's attributes, and Kish's effective sample
//! size. Pure functions; the method is documented in docs/methods.md ("Weighting").
//!
//! Weights are computed per stakeholder group over the whole campaign (every filtered
//! view uses the campaign's weights: its own sample would not be the population the
//! counts describe), normalised to a mean of 1 per group, and never stored with a
//! response: each analysis run computes them afresh.

use std::collections::{BTreeMap, HashMap};

use polars::prelude::*;
use serde::Serialize;

use super::cube::Coord;
use super::disclosure::Lattice;
use super::frame::Frames;
use crate::domain::campaign::CampaignInfo;
use crate::domain::weighting::{Margin, WeightingMethod, WeightingSettings};
use crate::domain::Audience;

/// One group's sample as counts per joint cell: per cell, for each margin the index of
/// its category among the margin's targets (`None`: no value, or one the population
/// does not count, so that margin leaves the cell's weight alone).
#[derive(Debug, Clone, Default)]
pub struct Sample {
    pub cells: Vec<Vec<Option<usize>>>,
    pub counts: Vec<f64>,
}

/// Raked weights, one per cell of the [`Sample`], with a mean of 1 per respondent.
#[derive(Debug, Clone, PartialEq)]
pub struct Raked {
    pub weights: Vec<f64>,
    /// Sweeps over all margins.
    pub iterations: u32,
    pub converged: bool,
    /// Largest |weighted share − target share| over every category at the end.
    pub max_error: f64,
    /// Respondents whose weight was capped by the trim in the last sweep.
    pub trimmed: u64,
}

/// Rakes `sample` to `targets` (per margin, target shares of its categories summing
/// to 1): each sweep scales every category of each margin in turn to its share of the
/// respondents known on that margin, then caps the weights at `trim` × their mean when
/// set; it stops once every share is within `tolerance` or after `max_iterations`
/// sweeps. One margin is cell weighting, exact after one sweep.
pub fn rake(sample: &Sample, targets: &[Vec<f64>], settings: &WeightingSettings) -> Raked {
    let k = sample.counts.len();
    let mut w = vec![1.0; k];
    let total: f64 = sample.counts.iter().sum();
    let mut raked = Raked {
        weights: w.clone(),
        iterations: 0,
        converged: false,
        max_error: f64::INFINITY,
        trimmed: 0,
    };
    if total <= 0.0 {
        raked.converged = true;
        raked.max_error = 0.0;
        return raked;
    }
    for iteration in 1..=settings.max_iterations {
        for (m, shares) in targets.iter().enumerate() {
            let current = margin_totals(sample, &w, m, shares.len());
            let known: f64 = current.iter().sum();
            for (c, cell) in sample.cells.iter().enumerate() {
                if let Some(j) = cell[m] {
                    if current[j] > 0.0 {
                        w[c] *= shares[j] * known / current[j];
                    }
                }
            }
        }
        raked.trimmed = settings.trim.map_or(0, |cap| trim(sample, &mut w, cap));
        normalise(sample, &mut w);
        raked.iterations = iteration;
        raked.max_error = max_error(sample, &w, targets);
        if raked.max_error < settings.tolerance {
            raked.converged = true;
            break;
        }
    }
    raked.weights = w;
    raked
}

/// Weighted count of each category of margin `m`.
fn margin_totals(sample: &Sample, w: &[f64], m: usize, categories: usize) -> Vec<f64> {
    let mut out = vec![0.0; categories];
    for ((cell, n), w) in sample.cells.iter().zip(&sample.counts).zip(w) {
        if let Some(j) = cell[m] {
            out[j] += n * w;
        }
    }
    out
}

fn max_error(sample: &Sample, w: &[f64], targets: &[Vec<f64>]) -> f64 {
    let mut worst: f64 = 0.0;
    for (m, shares) in targets.iter().enumerate() {
        let current = margin_totals(sample, w, m, shares.len());
        let known: f64 = current.iter().sum();
        if known <= 0.0 {
            continue;
        }
        for (c, t) in current.iter().zip(shares) {
            worst = worst.max((c / known - t).abs());
        }
    }
    worst
}

/// Caps weights at `cap` × the mean weight, re-normalising to a mean of 1 and capping
/// again until no weight exceeds the cap; returns the respondents at the cap.
fn trim(sample: &Sample, w: &mut [f64], cap: f64) -> u64 {
    let mut capped = 0.0;
    for _ in 0..1000 {
        normalise(sample, w);
        let limit = cap * (1.0 + 1e-12);
        if w.iter().all(|x| *x <= limit) {
            break;
        }
        capped = 0.0;
        for (n, x) in sample.counts.iter().zip(w.iter_mut()) {
            if *x >= cap {
                *x = cap;
                capped += n;
            }
        }
    }
    capped as u64
}

/// Scales weights to a mean of 1 per respondent.
fn normalise(sample: &Sample, w: &mut [f64]) {
    let total: f64 = sample.counts.iter().sum();
    let sum: f64 = sample.counts.iter().zip(w.iter()).map(|(n, w)| n * w).sum();
    if sum > 0.0 {
        for x in w.iter_mut() {
            *x *= total / sum;
        }
    }
}

/// Kish's effective sample size (Σw)² / Σw² (Kish 1965, *Survey Sampling*, §11.7).
pub fn kish_n_eff(weights: impl IntoIterator<Item = f64>) -> f64 {
    let (mut s, mut s2) = (0.0, 0.0);
    for w in weights {
        s += w;
        s2 += w * w;
    }
    if s2 > 0.0 {
        s * s / s2
    } else {
        0.0
    }
}

/// A population value and how the sample met it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MarginValue {
    pub attribute: String,
    pub value: String,
}

/// How one group was weighted, over the view's respondents.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupWeighting {
    pub group: Audience,
    /// Whether the population file counts this group.
    pub weighted: bool,
    pub attributes: Vec<String>,
    pub respondents: u64,
    /// Kish's effective sample size of the view's respondents.
    pub effective_n: f64,
    /// respondents / effective_n (Kish's design effect of unequal weights).
    pub design_effect: f64,
    pub iterations: u32,
    pub converged: bool,
    pub trimmed: u64,
    /// Population values without respondents: their share is spread over the others.
    pub empty: Vec<MarginValue>,
    /// Values respondents gave that the population does not count: such respondents
    /// keep the weight the other margins give them.
    pub unmatched: Vec<MarginValue>,
    /// Respondents without a value of some weighting attribute.
    pub unknown: u64,
}

/// The weighting of one analysis run: the settings and each group's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeightingReport {
    pub method: WeightingMethod,
    pub tolerance: f64,
    pub max_iterations: u32,
    pub trim: Option<f64>,
    pub groups: Vec<GroupWeighting>,
}

/// Per-respondent weights of a view (row `i` = respondent `i`), the weight of every
/// cell of the campaign, and how they came about.
#[derive(Debug, Clone)]
pub struct Weights {
    pub per_respondent: Vec<f64>,
    pub cells: CellWeights,
    pub report: WeightingReport,
}

/// The weight of each (group, values of the weighting attributes) of the campaign:
/// what a response's weight is looked up in outside the analysis (the raw export).
#[derive(Debug, Clone, Default)]
pub struct CellWeights {
    attributes: Vec<String>,
    cells: HashMap<(Audience, Key), f64>,
}

impl CellWeights {
    /// The weight of a respondent of `group` with these attributes (1 when the group
    /// is not weighted).
    pub fn of(&self, group: Audience, attributes: &BTreeMap<String, String>) -> f64 {
        let key: Key = self
            .attributes
            .iter()
            .map(|a| attributes.get(a).cloned())
            .collect();
        self.cells.get(&(group, key)).copied().unwrap_or(1.0)
    }
}

/// A respondent's values of the weighting attributes (`None` = no value).
type Key = Vec<Option<String>>;

/// Respondent counts per group and joint value of the weighting attributes.
type SampleTable = HashMap<Audience, BTreeMap<Key, u64>>;

/// The weights of the view's respondents, when the campaign weights. `lattice` is the
/// campaign's respondents in fine cells (the sample the weights are computed over);
/// without one, the view is the whole sample.
pub fn weigh<C: GroupCounts>(
    info: &CampaignInfo,
    frames: &Frames,
    lattice: Option<&Lattice<C>>,
) -> PolarsResult<Option<Weights>> {
    let settings = &info.analysis.weighting;
    let Some(population) = info.population.as_ref().filter(|_| settings.is_on()) else {
        return Ok(None);
    };
    let attributes = population.attributes();
    let table = match lattice {
        Some(l) => table_from_lattice(l, &attributes),
        None => table_from_frames(frames, &attributes)?,
    };
    let mut cell_weights: HashMap<(Audience, Vec<Option<String>>), f64> = HashMap::new();
    let mut groups = Vec::new();
    for (group, n) in &frames.counts {
        let margins = population
            .groups
            .get(group)
            .map_or(&[][..], |m| m.as_slice());
        let empty_table = BTreeMap::new();
        let sample = table.get(group).unwrap_or(&empty_table);
        let result = weigh_group(margins, &attributes, sample, settings);
        for (key, w) in sample.keys().zip(&result.raked.weights) {
            cell_weights.insert((*group, key.clone()), *w);
        }
        groups.push((*group, *n, margins, result));
    }
    let per_respondent = respondent_weights(frames, &attributes, &cell_weights)?;
    let report = report(settings, frames, &per_respondent, groups)?;
    Ok(Some(Weights {
        per_respondent,
        report,
        cells: CellWeights {
            attributes,
            cells: cell_weights,
        },
    }))
}

/// One group's raking result with what the sample did not match.
struct GroupResult {
    raked: Raked,
    empty: Vec<MarginValue>,
    unmatched: Vec<MarginValue>,
    unknown: u64,
}

fn weigh_group(
    margins: &[Margin],
    attributes: &[String],
    table: &BTreeMap<Vec<Option<String>>, u64>,
    settings: &WeightingSettings,
) -> GroupResult {
    let mut sample = Sample {
        cells: vec![Vec::with_capacity(margins.len()); table.len()],
        counts: table.values().map(|n| *n as f64).collect(),
    };
    let mut targets = Vec::with_capacity(margins.len());
    let (mut empty, mut unmatched) = (Vec::new(), Vec::new());
    let mut unknown = vec![false; table.len()];
    for m in margins {
        let Some(a) = attributes.iter().position(|x| *x == m.attribute) else {
            continue;
        };
        // Categories present in the sample, with their population counts.
        let mut seen: BTreeMap<&str, u64> = BTreeMap::new();
        for (key, n) in table {
            if let Some(v) = &key[a] {
                *seen.entry(v.as_str()).or_default() += n;
            }
        }
        let present: Vec<(&String, u64)> = m
            .counts
            .iter()
            .filter(|(v, _)| seen.contains_key(v.as_str()))
            .map(|(v, n)| (v, *n))
            .collect();
        for v in m.counts.keys().filter(|v| !seen.contains_key(v.as_str())) {
            empty.push(MarginValue {
                attribute: m.attribute.clone(),
                value: v.clone(),
            });
        }
        for v in seen.keys().filter(|v| !m.counts.contains_key(**v)) {
            unmatched.push(MarginValue {
                attribute: m.attribute.clone(),
                value: v.to_string(),
            });
        }
        let total: u64 = present.iter().map(|(_, n)| n).sum();
        targets.push(
            present
                .iter()
                .map(|(_, n)| *n as f64 / total.max(1) as f64)
                .collect::<Vec<f64>>(),
        );
        for ((key, cell), unknown) in table.keys().zip(&mut sample.cells).zip(&mut unknown) {
            let j = key[a]
                .as_ref()
                .and_then(|v| present.iter().position(|(p, _)| *p == v));
            *unknown |= key[a].is_none();
            cell.push(j);
        }
    }
    let unknown = table
        .values()
        .zip(&unknown)
        .filter(|(_, u)| **u)
        .map(|(n, _)| n)
        .sum();
    let raked = if targets.is_empty() {
        Raked {
            weights: vec![1.0; table.len()],
            iterations: 0,
            converged: true,
            max_error: 0.0,
            trimmed: 0,
        }
    } else {
        rake(&sample, &targets, settings)
    };
    GroupResult {
        raked,
        empty,
        unmatched,
        unknown,
    }
}

/// A fine cell's respondents per group, as the weights' sample table counts them.
pub trait GroupCounts {
    fn group_counts(&self) -> &BTreeMap<Audience, u64>;
}

impl GroupCounts for Frames {
    fn group_counts(&self) -> &BTreeMap<Audience, u64> {
        &self.counts
    }
}

fn table_from_lattice<C: GroupCounts>(l: &Lattice<C>, attributes: &[String]) -> SampleTable {
    let index: Vec<Option<usize>> = attributes
        .iter()
        .map(|a| l.attributes.iter().position(|x| x == a))
        .collect();
    let mut out: SampleTable = HashMap::new();
    for (cell, c) in &l.fine {
        let key: Vec<Option<String>> = index
            .iter()
            .map(|d| match d.map(|d| (d, cell[d])) {
                Some((d, Coord::Value(v))) => l.values[d].get(v as usize).cloned(),
                _ => None,
            })
            .collect();
        for (g, n) in c.group_counts() {
            *out.entry(*g).or_default().entry(key.clone()).or_default() += n;
        }
    }
    out
}

/// Each respondent's group and values of `attributes`.
fn respondent_keys(
    frames: &Frames,
    attributes: &[String],
) -> PolarsResult<Vec<(Option<Audience>, Key)>> {
    let r = &frames.respondents;
    let groups = &r.group;
    let columns: Vec<_> = attributes.iter().map(|a| r.attribute(a)).collect();
    Ok((0..r.len())
        .map(|i| {
            let key = columns
                .iter()
                .map(|c| c.as_ref().and_then(|c| c.get(i)).map(str::to_string))
                .collect();
            (groups.get(i).and_then(Audience::parse), key)
        })
        .collect())
}

fn table_from_frames(frames: &Frames, attributes: &[String]) -> PolarsResult<SampleTable> {
    let mut out: SampleTable = HashMap::new();
    for (g, key) in respondent_keys(frames, attributes)? {
        if let Some(g) = g {
            *out.entry(g).or_default().entry(key).or_default() += 1;
        }
    }
    Ok(out)
}

/// Each respondent's weight, looked up by value codes (no string is built per row:
/// this runs over every respondent of the view).
fn respondent_weights(
    frames: &Frames,
    attributes: &[String],
    cells: &HashMap<(Audience, Key), f64>,
) -> PolarsResult<Vec<f64>> {
    let r = &frames.respondents;
    let groups = &r.group;
    let columns: Vec<_> = attributes.iter().map(|a| r.attribute(a)).collect();
    // Per attribute, a code for each value a cell names.
    let mut codes: Vec<HashMap<&str, u32>> = vec![HashMap::new(); attributes.len()];
    let mut by_group: HashMap<Audience, HashMap<Vec<Option<u32>>, f64>> = HashMap::new();
    for ((g, key), w) in cells {
        let coded = key
            .iter()
            .zip(codes.iter_mut())
            .map(|(v, dict)| {
                v.as_deref().map(|v| {
                    let next = dict.len() as u32;
                    *dict.entry(v).or_insert(next)
                })
            })
            .collect();
        by_group.entry(*g).or_default().insert(coded, *w);
    }
    let mut key: Vec<Option<u32>> = vec![None; attributes.len()];
    let mut out = Vec::with_capacity(r.len());
    for i in 0..r.len() {
        let Some(cells) = groups
            .get(i)
            .and_then(Audience::parse)
            .and_then(|g| by_group.get(&g))
        else {
            out.push(1.0);
            continue;
        };
        let mut known = true;
        for ((slot, column), dict) in key.iter_mut().zip(&columns).zip(&codes) {
            *slot = match column.and_then(|c| c.get(i)) {
                Some(v) => match dict.get(v) {
                    Some(c) => Some(*c),
                    None => {
                        known = false;
                        None
                    }
                },
                None => None,
            };
        }
        out.push(if known {
            cells.get(key.as_slice()).copied().unwrap_or(1.0)
        } else {
            1.0
        });
    }
    Ok(out)
}

fn report(
    settings: &WeightingSettings,
    frames: &Frames,
    weights: &[f64],
    groups: Vec<(Audience, u64, &[Margin], GroupResult)>,
) -> PolarsResult<WeightingReport> {
    let of_group: Vec<Option<Audience>> = frames
        .respondents
        .group
        .iter()
        .map(|g| g.and_then(Audience::parse))
        .collect();
    let groups = groups
        .into_iter()
        .map(|(group, n, margins, r)| {
            let effective_n = kish_n_eff(
                of_group
                    .iter()
                    .zip(weights)
                    .filter(|(g, _)| **g == Some(group))
                    .map(|(_, w)| *w),
            );
            GroupWeighting {
                group,
                weighted: !margins.is_empty(),
                attributes: margins.iter().map(|m| m.attribute.clone()).collect(),
                respondents: n,
                effective_n,
                design_effect: if effective_n > 0.0 {
                    n as f64 / effective_n
                } else {
                    1.0
                },
                iterations: r.raked.iterations,
                converged: r.raked.converged,
                trimmed: r.raked.trimmed,
                empty: r.empty,
                unmatched: r.unmatched,
                unknown: r.unknown,
            }
        })
        .collect();
    Ok(WeightingReport {
        method: settings.method,
        tolerance: settings.tolerance,
        max_iterations: settings.max_iterations,
        trim: settings.trim,
        groups,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    fn settings(trim: Option<f64>) -> WeightingSettings {
        WeightingSettings {
            method: WeightingMethod::Raking,
            tolerance: 1e-10,
            max_iterations: 1000,
            trim,
        }
    }

    /// The 4 × 4 example of Wikipedia's "Iterative proportional fitting" article (the
    /// same table is the worked example of the Python package ipfn, README
    /// "Example with the numpy version"): seed
    /// [[40,30,20,10],[35,50,100,75],[30,80,70,120],[20,30,40,50]], row targets
    /// [150,300,400,150], column targets [200,300,400,100]. Fitted cells, computed
    /// independently with numpy (alternate row and column scaling to convergence):
    ///   import numpy as np
    ///   m = np.array([[40,30,20,10],[35,50,100,75],[30,80,70,120],[20,30,40,50]], float)
    ///   r = np.array([150,300,400,150.]); c = np.array([200,300,400,100.])
    ///   for _ in range(1000):
    ///       m *= (r / m.sum(1))[:, None]; m *= c / m.sum(0)
    ///   print(m.round(4))
    /// -> [[ 64.5585  46.2325  35.3843   3.8247]
    ///     [ 49.9679  68.1594 156.4985  25.3742]
    ///     [ 56.7219 144.4282 145.0825  53.7673]
    ///     [ 28.7516  41.18    63.0347  17.0337]]
    /// and the same from ipfn 1.4.4: ipfn.ipfn(m, [r, c], [[0], [1]],
    /// convergence_rate=1e-10).iteration(). The first row is the one the article shows.
    #[test]
    fn reproduces_the_wikipedia_ipf_example() {
        let seed = [
            [40.0, 30.0, 20.0, 10.0],
            [35.0, 50.0, 100.0, 75.0],
            [30.0, 80.0, 70.0, 120.0],
            [20.0, 30.0, 40.0, 50.0],
        ];
        let (rows, cols) = ([150.0, 300.0, 400.0, 150.0], [200.0, 300.0, 400.0, 100.0]);
        let mut sample = Sample::default();
        for (i, row) in seed.iter().enumerate() {
            for (j, n) in row.iter().enumerate() {
                sample.cells.push(vec![Some(i), Some(j)]);
                sample.counts.push(*n);
            }
        }
        let share = |t: &[f64]| t.iter().map(|x| x / 1000.0).collect::<Vec<f64>>();
        let raked = rake(&sample, &[share(&rows), share(&cols)], &settings(None));
        assert!(raked.converged, "{raked:?}");
        // Fitted cell = seed × weight × (population total / sample total).
        let scale = 1000.0 / 800.0;
        let fitted: Vec<f64> = sample
            .counts
            .iter()
            .zip(&raked.weights)
            .map(|(n, w)| n * w * scale)
            .collect();
        let expected = ipf_table();
        for (f, e) in fitted.iter().zip(expected) {
            assert!(close(*f, e, 5e-4), "{fitted:?}");
        }
    }

    /// The numpy (and ipfn) result of the script above, row by row.
    fn ipf_table() -> [f64; 16] {
        [
            64.5585, 46.2325, 35.3843, 3.8247, 49.9679, 68.1594, 156.4985, 25.3742, 56.7219,
            144.4282, 145.0825, 53.7673, 28.7516, 41.18, 63.0347, 17.0337,
        ]
    }

    /// Cell weighting by hand: 6 respondents in A and 4 in B, population 300 A and
    /// 700 B: w_A = 0.3 / 0.6 = 0.5, w_B = 0.7 / 0.4 = 1.75 (mean 1 over the 10).
    /// Kish n_eff = (6·0.5 + 4·1.75)² / (6·0.25 + 4·3.0625) = 100 / 13.75 = 7.2727.
    #[test]
    fn cell_weighting_and_kish_by_hand() {
        let sample = Sample {
            cells: vec![vec![Some(0)], vec![Some(1)]],
            counts: vec![6.0, 4.0],
        };
        let raked = rake(&sample, &[vec![0.3, 0.7]], &settings(None));
        assert_eq!(raked.iterations, 1);
        assert!(close(raked.weights[0], 0.5, 1e-12) && close(raked.weights[1], 1.75, 1e-12));
        let each = std::iter::repeat_n(0.5, 6).chain(std::iter::repeat_n(1.75, 4));
        assert!(close(kish_n_eff(each), 100.0 / 13.75, 1e-12));
        // Kish's own illustration: weights 1,1,2,2,4 -> 10² / 26 = 3.846.
        assert!(close(
            kish_n_eff([1.0, 1.0, 2.0, 2.0, 4.0]),
            100.0 / 26.0,
            1e-12
        ));
    }

    /// Respondents without a value keep their share; the others are raked among
    /// themselves: 2 unknown, 4 A, 4 B, targets A 0.25 B 0.75 -> A 0.5, B 1.5,
    /// unknown 1 (then the mean over the 10 is already 1).
    #[test]
    fn unknown_values_are_left_alone() {
        let sample = Sample {
            cells: vec![vec![None], vec![Some(0)], vec![Some(1)]],
            counts: vec![2.0, 4.0, 4.0],
        };
        let raked = rake(&sample, &[vec![0.25, 0.75]], &settings(None));
        assert!(close(raked.weights[0], 1.0, 1e-12), "{raked:?}");
        assert!(close(raked.weights[1], 0.5, 1e-12) && close(raked.weights[2], 1.5, 1e-12));
    }

    /// Trimming caps the largest weight at trim × mean (1): 9 in A and 1 in B with
    /// targets 0.5 / 0.5 rake to 0.556 / 5.0; a cap of 2 gives B 2 and A 8/9 (mean 1),
    /// and the margins are then not met: not converged.
    #[test]
    fn trimming_caps_weights_and_says_when_margins_are_missed() {
        let sample = Sample {
            cells: vec![vec![Some(0)], vec![Some(1)]],
            counts: vec![9.0, 1.0],
        };
        let free = rake(&sample, &[vec![0.5, 0.5]], &settings(None));
        assert!(close(free.weights[1], 5.0, 1e-9), "{free:?}");
        let capped = rake(&sample, &[vec![0.5, 0.5]], &settings(Some(2.0)));
        assert!(close(capped.weights[1], 2.0, 1e-9), "{capped:?}");
        assert!(close(capped.weights[0], 8.0 / 9.0, 1e-9), "{capped:?}");
        assert!(!capped.converged && capped.trimmed == 1, "{capped:?}");
    }
}
