//! Data quality: the flags of one response (pure rules over its row of a version frame
//! and its answering time), the questionnaires' median times, and the report of what
//! the flags found and what leaving flagged responses out changes (sensitivity).
//!
//! Disclosure: flag counts are shown for a group only where the view publishes that
//! group's composite. The sensitivity table compares two populations that differ by
//! the flagged respondents, so its difference is their mean: it is published only for
//! the unfiltered campaign (differences between filtered views would isolate smaller
//! flagged sets) and, per group, only when both the flagged and the remaining
//! respondents reach the minimum cell.

use std::collections::BTreeMap;

use polars::prelude::*;
use serde::Serialize;

use super::frame::{Frames, VersionFrame};
use super::scores::{respondent_scores, RespondentScores, COMPOSITE};
use super::stats::{combine_groups, ScoreStat};
use crate::domain::quality::{Flag, FlagSet, QualitySettings};
use crate::domain::{Audience, Framework};

/// The median answering time of each questionnaire (by slug), where it has at least
/// `min` timed responses.
pub fn medians<'a>(
    durations: impl IntoIterator<Item = (&'a str, u32)>,
    min: u64,
) -> BTreeMap<String, f64> {
    let mut by: BTreeMap<&str, Vec<u32>> = BTreeMap::new();
    for (slug, d) in durations {
        by.entry(slug).or_default().push(d);
    }
    by.into_iter()
        .filter(|(_, v)| v.len() as u64 >= min.max(1))
        .map(|(slug, mut v)| {
            // The middle value put in place, the lower half before it (no full sort).
            let odd = v.len() % 2 == 1;
            let half = v.len() / 2;
            let (below, middle, _) = v.select_nth_unstable(half);
            let median = match (odd, below.iter().copied().max()) {
                (false, Some(lower)) => (f64::from(lower) + f64::from(*middle)) / 2.0,
                _ => f64::from(*middle),
            };
            (slug.to_string(), median)
        })
        .collect()
}

/// Whether `duration` seconds for `answered` scored items is too fast: below the
/// fraction of the questionnaire's `median`, or below the floor per item.
pub fn speeding(
    settings: &QualitySettings,
    duration: u32,
    median: Option<f64>,
    answered: usize,
) -> bool {
    let d = f64::from(duration);
    let relative = median.is_some_and(|m| d < settings.speeder_fraction * m);
    let floor = settings.min_seconds_per_item > 0.0
        && answered > 0
        && d < settings.min_seconds_per_item * answered as f64;
    relative || floor
}

/// Scored items answered in row `row` of `version`.
pub fn answered(version: &VersionFrame, row: usize) -> usize {
    version
        .items
        .iter()
        .filter(|c| c.values.get(row).is_some_and(|v| *v > 0))
        .count()
}

/// The flags of row `row` of `version`, answered in `duration` seconds where measured;
/// `median` is its questionnaire's median time, when known.
pub fn flags(
    settings: &QualitySettings,
    version: &VersionFrame,
    row: usize,
    duration: Option<u32>,
    median: Option<f64>,
) -> FlagSet {
    let mut out = FlagSet::EMPTY;
    let value = |c: &super::frame::ItemColumn| c.values.get(row).copied().unwrap_or(0);
    if let Some(d) = duration {
        if speeding(settings, d, median, answered(version, row)) {
            out.insert(Flag::Speeder);
        }
    }
    if straight_lined(settings, version, row) {
        out.insert(Flag::Straightlining);
    }
    if contradicts(version, row) {
        out.insert(Flag::Contradiction);
    }
    let failed = |c: &super::frame::AttentionColumn| {
        c.values.get(row).is_some_and(|v| *v > 0 && *v != c.expect)
    };
    if version.attention.iter().any(failed) {
        out.insert(Flag::Attention);
    }
    // Counted without collecting: this runs for every stored row.
    let (asked, blank) = version
        .items
        .iter()
        .filter(|c| !c.conditional)
        .fold((0usize, 0usize), |(asked, blank), c| {
            (asked + 1, blank + usize::from(value(c) == 0))
        });
    if asked > 0 && blank as f64 > settings.max_missing_share * asked as f64 {
        out.insert(Flag::Nonresponse);
    }
    out
}

/// A matrix with at least `straightline_min_items` answered statements, all the same.
/// A matrix's statements are consecutive questions, so its items are a run of
/// columns: one scan, no allocation (this runs for every stored row).
fn straight_lined(settings: &QualitySettings, version: &VersionFrame, row: usize) -> bool {
    let need = settings.straightline_min_items.max(2);
    let mut items = version.items.iter().peekable();
    while let Some(first) = items.next() {
        let Some(m) = &first.matrix else { continue };
        let (mut answered, mut value, mut same) = (0usize, 0u8, true);
        let mut judge = |v: u8| {
            if v > 0 {
                answered += 1;
                same &= value == 0 || value == v;
                value = v;
            }
        };
        judge(first.values.get(row).copied().unwrap_or(0));
        while let Some(next) = items.next_if(|c| c.matrix.as_ref() == Some(m)) {
            judge(next.values.get(row).copied().unwrap_or(0));
        }
        if answered >= need && same {
            return true;
        }
    }
    false
}

/// Agreement (above the scale's midpoint, as answered) with a statement and with a
/// reverse-worded statement of the same second-level indicator.
fn contradicts(version: &VersionFrame, row: usize) -> bool {
    let mid = f64::from(version.points + 1) / 2.0;
    let agrees = |c: &super::frame::ItemColumn| {
        c.values
            .get(row)
            .is_some_and(|v| *v > 0 && f64::from(*v) > mid)
    };
    version.items.iter().any(|r| {
        r.reverse
            && agrees(r)
            && version
                .items
                .iter()
                .any(|p| !p.reverse && p.sub == r.sub && agrees(p))
    })
}

/// Near-identical answer vectors: of the scored items both answered (at least three),
/// at least `threshold` given the same answer.
pub fn similar(a: &[u8], b: &[u8], threshold: f64) -> bool {
    let (mut both, mut same) = (0usize, 0usize);
    for (x, y) in a.iter().zip(b) {
        if *x > 0 && *y > 0 {
            both += 1;
            same += usize::from(x == y);
        }
    }
    both >= 3 && same as f64 >= threshold * both as f64
}

/// What the read step hands the analysis besides the view's frames (whose `flags`
/// hold each respondent's flags).
#[derive(Default)]
pub struct QualityInput {
    /// Respondents of the view that `[quality] exclude` left out, with their flags.
    pub excluded: Option<Frames>,
    /// Median answering time per questionnaire slug (where known).
    pub medians: BTreeMap<String, f64>,
    /// Timed responses per questionnaire slug.
    pub timed: BTreeMap<String, u64>,
    /// The view is narrowed by filters (no sensitivity table then).
    pub filtered: bool,
}

/// Flag counts of one group in the view.
#[derive(Debug, Clone, Serialize)]
pub struct GroupQuality {
    pub group: Audience,
    /// Hidden with the group's composite: no count is given then.
    pub hidden: bool,
    /// Responses stored, analysed or not.
    pub responses: Option<u64>,
    pub flagged: Vec<(Flag, u64)>,
    /// Responses with at least one flag.
    pub any: Option<u64>,
    /// Responses the analysis left out.
    pub excluded: Option<u64>,
}

/// A questionnaire's median answering time.
#[derive(Debug, Clone, Serialize)]
pub struct MedianTime {
    pub survey: String,
    pub timed: u64,
    /// Seconds; none below `speeder_min_responses` timed responses.
    pub median_s: Option<f64>,
}

/// One indicator with and without the flagged respondents.
#[derive(Debug, Clone, Serialize)]
pub struct SensitivityCell {
    pub with_flagged: Option<f64>,
    pub without_flagged: Option<f64>,
    pub difference: Option<f64>,
    /// Why the cell is not shown (flagged or remaining respondents below the minimum).
    pub hidden: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct SensitivityRow {
    pub code: String,
    pub name: String,
    pub by_group: BTreeMap<Audience, SensitivityCell>,
    /// Over the groups shown, with the fixed group weights.
    pub combined: SensitivityCell,
}

#[derive(Debug, Clone, Serialize)]
pub struct QualityReport {
    pub settings: QualitySettings,
    pub medians: Vec<MedianTime>,
    pub groups: Vec<GroupQuality>,
    /// The flags compared: the excluded ones when `exclude` is set, else every flag.
    pub compared: Vec<Flag>,
    /// Composite and first-level scores with and without the compared flags; `None`
    /// for filtered views.
    pub sensitivity: Option<Vec<SensitivityRow>>,
}

/// Everything the report's data quality section needs.
pub struct QualityContext<'a> {
    pub settings: &'a QualitySettings,
    pub framework: &'a Framework,
    pub group_weights: &'a BTreeMap<Audience, f64>,
    pub min_item_share: f64,
    pub min_cell: u64,
    /// Groups whose composite the view publishes.
    pub published: &'a [Audience],
    /// The view's respondent scores, when the evaluation has them at hand.
    pub scores: Option<&'a RespondentScores>,
}

/// Counts per flag and group, medians, and the sensitivity table.
pub fn report(
    ctx: &QualityContext<'_>,
    frames: &Frames,
    input: &QualityInput,
) -> PolarsResult<QualityReport> {
    let excluded_set = ctx.settings.excluded();
    let compared: Vec<Flag> = if ctx.settings.exclude.is_empty() {
        Flag::ALL.to_vec()
    } else {
        excluded_set.iter().collect()
    };
    let kept = members(frames);
    let dropped = input.excluded.as_ref().map(members).unwrap_or_default();
    let groups = group_counts(ctx, &kept, &dropped);
    let medians = input
        .timed
        .iter()
        .map(|(s, n)| MedianTime {
            survey: s.clone(),
            timed: *n,
            median_s: input.medians.get(s).copied(),
        })
        .collect();
    let sensitivity = if input.filtered {
        None
    } else {
        Some(sensitivity(ctx, frames, input, FlagSet::of(&compared))?)
    };
    Ok(QualityReport {
        settings: ctx.settings.clone(),
        medians,
        groups,
        compared,
        sensitivity,
    })
}

/// Each respondent's group and flags.
fn members(frames: &Frames) -> Vec<(Audience, FlagSet)> {
    let groups = group_of_rows(frames);
    groups
        .into_iter()
        .zip(
            frames
                .flags
                .iter()
                .copied()
                .chain(std::iter::repeat(FlagSet::EMPTY)),
        )
        .filter_map(|(g, f)| Some((g?, f)))
        .collect()
}

fn group_of_rows(frames: &Frames) -> Vec<Option<Audience>> {
    let mut out = vec![None; frames.len()];
    for v in &frames.versions {
        for r in &v.rows {
            if let Some(slot) = out.get_mut(*r as usize) {
                *slot = Some(v.group);
            }
        }
    }
    out
}

fn group_counts(
    ctx: &QualityContext<'_>,
    kept: &[(Audience, FlagSet)],
    dropped: &[(Audience, FlagSet)],
) -> Vec<GroupQuality> {
    let mut groups: Vec<Audience> = kept.iter().chain(dropped).map(|(g, _)| *g).collect();
    groups.sort();
    groups.dedup();
    groups
        .into_iter()
        .map(|g| {
            let hidden = !ctx.published.contains(&g);
            let all: Vec<FlagSet> = kept
                .iter()
                .chain(dropped)
                .filter(|(h, _)| *h == g)
                .map(|(_, f)| *f)
                .collect();
            let shown = |n: u64| (!hidden).then_some(n);
            GroupQuality {
                group: g,
                hidden,
                responses: shown(all.len() as u64),
                flagged: if hidden {
                    Vec::new()
                } else {
                    Flag::ALL
                        .iter()
                        .map(|f| (*f, all.iter().filter(|s| s.contains(*f)).count() as u64))
                        .collect()
                },
                any: shown(all.iter().filter(|s| !s.is_empty()).count() as u64),
                excluded: shown(dropped.iter().filter(|(h, _)| *h == g).count() as u64),
            }
        })
        .collect()
}

/// Running n, sum and sum of squares of one indicator's scores.
#[derive(Default, Clone, Copy)]
struct Moments {
    n: u64,
    sum: f64,
    squares: f64,
}

impl Moments {
    fn add(&mut self, x: f64) {
        self.n += 1;
        self.sum += x;
        self.squares += x * x;
    }

    /// n, mean and sample SD (ddof = 1).
    fn stat(&self) -> ScoreStat {
        if self.n == 0 {
            return ScoreStat::EMPTY;
        }
        let n = self.n as f64;
        let mean = self.sum / n;
        let sd =
            (self.n >= 2).then(|| ((self.squares - n * mean * mean).max(0.0) / (n - 1.0)).sqrt());
        ScoreStat::from_moments(self.n, mean, sd)
    }
}

/// Per group: flagged and other respondents, and per indicator the moments of all of
/// them and of the others only. Accumulated column by column, never a row per
/// respondent (a million respondents cost a few counters).
#[derive(Default)]
struct GroupMoments {
    flagged: u64,
    rest: u64,
    all: Vec<Moments>,
    kept: Vec<Moments>,
}

/// Adds the respondents of `frames` (whose respondent scores are `scores`, when at
/// hand) to `acc`.
fn accumulate(
    ctx: &QualityContext<'_>,
    frames: &Frames,
    scores: Option<&RespondentScores>,
    codes: &[String],
    compared: FlagSet,
    acc: &mut BTreeMap<Audience, GroupMoments>,
) -> PolarsResult<()> {
    let computed;
    let scores = match scores {
        Some(s) => s,
        None => {
            computed = respondent_scores(ctx.framework, frames, ctx.min_item_share)?;
            &computed
        }
    };
    let groups = group_of_rows(frames);
    let flagged = |i: usize| frames.flags.get(i).is_some_and(|f| f.intersects(compared));
    for (i, g) in groups.iter().enumerate() {
        if let Some(g) = g {
            let m = acc.entry(*g).or_insert_with(|| GroupMoments {
                all: vec![Moments::default(); codes.len()],
                kept: vec![Moments::default(); codes.len()],
                ..GroupMoments::default()
            });
            if flagged(i) {
                m.flagged += 1;
            } else {
                m.rest += 1;
            }
        }
    }
    for (k, code) in codes.iter().enumerate() {
        let column = scores.values(code)?;
        for (i, x) in column.iter().enumerate() {
            let (Some(x), Some(Some(g))) = (x, groups.get(i)) else {
                continue;
            };
            if let Some(m) = acc.get_mut(g) {
                m.all[k].add(x);
                if !flagged(i) {
                    m.kept[k].add(x);
                }
            }
        }
    }
    Ok(())
}

fn sensitivity(
    ctx: &QualityContext<'_>,
    frames: &Frames,
    input: &QualityInput,
    compared: FlagSet,
) -> PolarsResult<Vec<SensitivityRow>> {
    let mut codes = vec![COMPOSITE.to_string()];
    codes.extend(ctx.framework.indicators.iter().map(|i| i.code.clone()));
    let mut names = vec![("综合指数".to_string())];
    names.extend(ctx.framework.indicators.iter().map(|i| i.name.clone()));
    // Everyone the view has, analysed or left out; "flagged" = raised a compared flag.
    let mut acc = BTreeMap::new();
    accumulate(ctx, frames, ctx.scores, &codes, compared, &mut acc)?;
    if let Some(ex) = &input.excluded {
        accumulate(ctx, ex, None, &codes, compared, &mut acc)?;
    }
    let mut out = Vec::new();
    for (k, (code, name)) in codes.iter().zip(names).enumerate() {
        let mut with = Vec::new();
        let mut without = Vec::new();
        let mut by_group = BTreeMap::new();
        for (g, m) in &acc {
            let (a, b) = (m.all[k].stat(), m.kept[k].stat());
            // Shown when both parts reach the minimum.
            let visible = m.flagged >= ctx.min_cell && m.rest >= ctx.min_cell;
            let w = ctx.group_weights.get(g).copied().unwrap_or(0.0);
            if visible {
                with.push((a, w));
                without.push((b, w));
            }
            by_group.insert(*g, cell(a.mean, b.mean, !visible));
        }
        let (a, b) = (combine_groups(&with), combine_groups(&without));
        out.push(SensitivityRow {
            code: code.clone(),
            name,
            by_group,
            combined: cell(a.mean, b.mean, with.is_empty()),
        });
    }
    Ok(out)
}

fn cell(with: Option<f64>, without: Option<f64>, hidden: bool) -> SensitivityCell {
    if hidden {
        return SensitivityCell {
            with_flagged: None,
            without_flagged: None,
            difference: None,
            hidden: true,
        };
    }
    SensitivityCell {
        with_flagged: with,
        without_flagged: without,
        difference: with.zip(without).map(|(a, b)| b - a),
        hidden: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::frame::ItemColumn;
    use crate::analysis::scores::tests::survey;

    /// A version frame of 5-point items with the given shapes and one row per answer
    /// vector.
    fn frame(items: &[(&str, bool, Option<&str>, bool)], rows: &[&[u8]]) -> VersionFrame {
        let s = survey(Audience::Students);
        VersionFrame {
            key: "s#0".into(),
            survey: s.into(),
            group: Audience::Students,
            points: 5,
            rows: (0..rows.len() as u32).collect(),
            items: items
                .iter()
                .enumerate()
                .map(|(i, (sub, reverse, matrix, conditional))| ItemColumn {
                    id: format!("q{i}"),
                    sub: sub.to_string(),
                    reverse: *reverse,
                    matrix: matrix.map(str::to_string),
                    conditional: *conditional,
                    values: rows.iter().map(|r| r[i]).collect(),
                })
                .collect(),
            importance: Vec::new(),
            attention: Vec::new(),
            tallies: Vec::new(),
            texts: Vec::new(),
            text_respondents: 0,
        }
    }

    fn matrix_of(k: usize) -> Vec<(&'static str, bool, Option<&'static str>, bool)> {
        (0..k).map(|_| ("A1", false, Some("m"), false)).collect()
    }

    #[test]
    fn straight_lining_needs_a_matrix_of_six_answered_with_one_value() {
        let s = QualitySettings::default();
        let v = frame(
            &matrix_of(6),
            &[
                &[4, 4, 4, 4, 4, 4],
                &[4, 4, 4, 4, 4, 5],
                &[4, 4, 4, 4, 4, 0],
            ],
        );
        assert!(flags(&s, &v, 0, None, None).contains(Flag::Straightlining));
        assert!(
            !flags(&s, &v, 1, None, None).contains(Flag::Straightlining),
            "one different answer"
        );
        assert!(
            !flags(&s, &v, 2, None, None).contains(Flag::Straightlining),
            "five answered statements are fewer than six"
        );
        let short = frame(&matrix_of(5), &[&[3, 3, 3, 3, 3]]);
        assert!(!flags(&s, &short, 0, None, None).contains(Flag::Straightlining));
        // Two matrices side by side are judged apart: 3 + 3 alike is not 6.
        let mut two: Vec<_> = (0..3).map(|_| ("A1", false, Some("m"), false)).collect();
        two.extend((0..3).map(|_| ("A1", false, Some("n"), false)));
        let two = frame(&two, &[&[2; 6]]);
        assert!(!flags(&s, &two, 0, None, None).contains(Flag::Straightlining));
        let mut later: Vec<_> = (0..2).map(|_| ("A1", false, Some("m"), false)).collect();
        later.extend(
            matrix_of(6)
                .into_iter()
                .map(|(a, b, _, d)| (a, b, Some("n"), d)),
        );
        let later = frame(&later, &[&[1, 5, 2, 2, 2, 2, 2, 2]]);
        assert!(
            flags(&s, &later, 0, None, None).contains(Flag::Straightlining),
            "the second matrix is straight-lined"
        );
        let loose: Vec<_> = (0..6).map(|_| ("A1", false, None, false)).collect();
        let loose = frame(&loose, &[&[3; 6]]);
        assert!(
            !flags(&s, &loose, 0, None, None).contains(Flag::Straightlining),
            "statements outside a matrix are not judged"
        );
    }

    #[test]
    fn contradiction_is_agreeing_with_an_item_and_its_reverse() {
        let s = QualitySettings::default();
        let items = [
            ("A1", false, None, false),
            ("A1", true, None, false),
            ("A2", true, None, false),
        ];
        let v = frame(&items, &[&[5, 4, 1], &[5, 2, 1], &[5, 3, 5], &[2, 2, 5]]);
        assert!(flags(&s, &v, 0, None, None).contains(Flag::Contradiction));
        assert!(!flags(&s, &v, 1, None, None).contains(Flag::Contradiction));
        assert!(
            !flags(&s, &v, 2, None, None).contains(Flag::Contradiction),
            "3 is the midpoint, and A2's reverse item has no plain partner"
        );
        assert!(!flags(&s, &v, 3, None, None).contains(Flag::Contradiction));
    }

    #[test]
    fn nonresponse_counts_unconditional_items_only() {
        let s = QualitySettings::default();
        let items = [
            ("A1", false, None, false),
            ("A1", false, None, false),
            ("A1", false, None, false),
            ("A1", false, None, false),
            ("A2", false, None, true),
            ("A2", false, None, true),
        ];
        // 3 of 4 unconditional blank (> 50 %); 2 of 4 (= 50 %, not above); the
        // conditional blanks never count.
        let v = frame(&items, &[&[4, 0, 0, 0, 3, 3], &[4, 4, 0, 0, 0, 0]]);
        assert!(flags(&s, &v, 0, None, None).contains(Flag::Nonresponse));
        assert!(!flags(&s, &v, 1, None, None).contains(Flag::Nonresponse));
    }

    #[test]
    fn speeders_are_below_the_median_fraction_or_the_floor() {
        let s = QualitySettings::default();
        let v = frame(&matrix_of(2), &[&[4, 5]]);
        // Median 300 s: 0.3 × 300 = 90 s.
        assert!(flags(&s, &v, 0, Some(89), Some(300.0)).contains(Flag::Speeder));
        assert!(!flags(&s, &v, 0, Some(90), Some(300.0)).contains(Flag::Speeder));
        // Without a median only the floor applies: 1 s per answered item, 2 items.
        assert!(flags(&s, &v, 0, Some(1), None).contains(Flag::Speeder));
        assert!(!flags(&s, &v, 0, Some(2), None).contains(Flag::Speeder));
        assert!(
            !flags(&s, &v, 0, None, Some(300.0)).contains(Flag::Speeder),
            "untimed responses are never speeders"
        );
    }

    #[test]
    fn an_attention_check_fails_on_any_other_answer_but_not_when_blank() {
        let s = QualitySettings::default();
        let mut v = frame(&matrix_of(2), &[&[4, 5], &[4, 5], &[4, 5]]);
        v.attention.push(crate::analysis::frame::AttentionColumn {
            id: "check".into(),
            expect: 4,
            values: vec![4, 2, 0],
        });
        assert!(!flags(&s, &v, 0, None, None).contains(Flag::Attention));
        assert!(flags(&s, &v, 1, None, None).contains(Flag::Attention));
        assert!(!flags(&s, &v, 2, None, None).contains(Flag::Attention));
    }

    #[test]
    fn similar_answers_share_the_threshold_of_items_both_answered() {
        // 9 of 10 equal: 0.9 → similar at 0.9, not at 0.95.
        let a = [1, 2, 3, 4, 5, 1, 2, 3, 4, 5];
        let b = [1, 2, 3, 4, 5, 1, 2, 3, 4, 1];
        assert!(similar(&a, &b, 0.9));
        assert!(!similar(&a, &b, 0.95));
        // Blanks on either side do not count; fewer than three in common never match.
        assert!(similar(&[4, 4, 4, 0, 2], &[4, 4, 4, 5, 0], 1.0));
        assert!(!similar(&[4, 4, 0, 0], &[4, 4, 5, 5], 0.5));
    }

    #[test]
    fn running_moments_give_the_sample_mean_and_sd() {
        // The score worked example of docs/methods.md: mean 3.7, SD 0.948683 (numpy
        // .std(ddof=1)).
        let mut m = Moments::default();
        for x in [4.0, 5.0, 3.0, 4.0, 2.0, 5.0, 3.0, 4.0, 4.0, 3.0] {
            m.add(x);
        }
        let s = m.stat();
        assert_eq!(s.n, 10);
        assert!((s.mean.expect("mean") - 3.7).abs() < 1e-12);
        assert!((s.sd.expect("sd") - 0.948_683).abs() < 1e-6);
        assert_eq!(Moments::default().stat().n, 0);
    }

    #[test]
    fn medians_need_enough_timed_responses() {
        // numpy.median([10, 20, 30, 40]) = 25.0; numpy.median([5, 1, 3]) = 3.0
        let d = [
            ("a", 10),
            ("a", 40),
            ("a", 20),
            ("a", 30),
            ("b", 5),
            ("b", 1),
            ("b", 3),
            ("c", 7),
        ];
        let m = medians(d.iter().map(|(s, x)| (*s, *x)), 3);
        assert_eq!(m.get("a"), Some(&25.0));
        assert_eq!(m.get("b"), Some(&3.0));
        assert_eq!(m.get("c"), None, "one timed response is fewer than 3");
        // numpy.median([4, 9, 4, 1, 12, 4]) = 4.0; numpy.median([9, 2]) = 5.5;
        // numpy.median([7]) = 7.0
        let d = [4, 9, 4, 1, 12, 4].map(|x| ("d", x));
        let e = [("e", 9), ("e", 2), ("f", 7)];
        let m = medians(d.into_iter().chain(e), 1);
        assert_eq!(m.get("d"), Some(&4.0));
        assert_eq!(m.get("e"), Some(&5.5));
        assert_eq!(m.get("f"), Some(&7.0));
    }
}
