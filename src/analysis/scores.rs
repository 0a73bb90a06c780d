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

use polars::prelude::*;
use serde::Serialize;

use super::frame::Frames;
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

/// Respondent-level scores, wide: row `i` is respondent `i` of `Frames::respondents`;
/// columns `group: str` and one nullable `f64` per indicator (second level, first
/// level, composite), named by [`score_column`].
#[derive(Clone)]
pub struct RespondentScores {
    pub df: DataFrame,
    /// Indicator codes with a column, in column order.
    pub codes: Vec<String>,
}

/// The column of respondent weights in [`RespondentScores::df`], when weighted.
pub const WEIGHT: &str = "weight";

impl RespondentScores {
    /// The same scores with respondent `i` weighing `weights[i]`: every cell statistic
    /// is then weighted (see `stats::WeightedSums`).
    pub fn with_weights(mut self, weights: &[f64]) -> PolarsResult<Self> {
        self.df
            .with_column(Column::new(WEIGHT.into(), weights.to_vec()))?;
        Ok(self)
    }

    pub fn is_weighted(&self) -> bool {
        self.df
            .get_column_names()
            .iter()
            .any(|c| c.as_str() == WEIGHT)
    }
}

/// The column of `code` in [`RespondentScores::df`].
pub fn score_column(code: &str) -> String {
    format!("score:{code}")
}

/// Weighted mean over the present (non-NaN) values of each row, weights re-normalised
/// per row; NaN where none is present.
fn weighted_rows(parts: &[(&[f64], f64)], n: usize) -> Vec<f64> {
    let mut num = vec![0.0; n];
    let mut den = vec![0.0; n];
    for (values, w) in parts {
        for ((x, num), den) in values.iter().zip(&mut num).zip(&mut den) {
            if !x.is_nan() {
                *num += x * w;
                *den += w;
            }
        }
    }
    num.iter()
        .zip(&den)
        .map(|(a, b)| if *b > 0.0 { a / b } else { f64::NAN })
        .collect()
}

/// Respondent-level scores at every level (see the module documentation for the method).
pub fn respondent_scores(
    framework: &Framework,
    frames: &Frames,
    min_item_share: f64,
) -> PolarsResult<RespondentScores> {
    let n = frames.len();
    let subs: Vec<&str> = framework.subs().map(|(_, s)| s.code.as_str()).collect();
    let mut sub_scores: Vec<Vec<f64>> = vec![vec![f64::NAN; n]; subs.len()];
    for v in &frames.versions {
        let p = v.points;
        let span = f64::from(p.saturating_sub(1).max(1));
        for (si, code) in subs.iter().enumerate() {
            let cols: Vec<_> = v.items.iter().filter(|c| c.sub == *code).collect();
            if cols.is_empty() {
                continue;
            }
            let k = cols.len() as f64;
            let mut sum = vec![0u32; v.len()];
            let mut answered = vec![0u32; v.len()];
            for c in &cols {
                for (row, (s, a)) in sum.iter_mut().zip(&mut answered).enumerate() {
                    if let Some(x) = c.scored(row, p) {
                        *s += u32::from(x - 1);
                        *a += 1;
                    }
                }
            }
            let out = &mut sub_scores[si];
            for ((r, s), a) in v.rows.iter().zip(&sum).zip(&answered) {
                if *a > 0 && f64::from(*a) / k >= min_item_share - 1e-9 {
                    out[*r as usize] = 100.0 * f64::from(*s) / (f64::from(*a) * span);
                }
            }
        }
    }
    let mut codes: Vec<String> = Vec::new();
    let mut columns: Vec<Vec<f64>> = Vec::new();
    let mut tops: Vec<(Vec<f64>, f64)> = Vec::new();
    let mut si = 0;
    for top in &framework.indicators {
        let first = &sub_scores[si..si + top.children.len()];
        let parts: Vec<(&[f64], f64)> = first
            .iter()
            .zip(&top.children)
            .map(|(v, c)| (v.as_slice(), c.weight))
            .collect();
        tops.push((weighted_rows(&parts, n), top.weight));
        si += top.children.len();
    }
    let parts: Vec<(&[f64], f64)> = tops.iter().map(|(v, w)| (v.as_slice(), *w)).collect();
    let composite = weighted_rows(&parts, n);
    let mut si = 0;
    let mut sub_iter = sub_scores.into_iter();
    for (top, (values, _)) in framework.indicators.iter().zip(tops) {
        codes.push(top.code.clone());
        columns.push(values);
        for sub in &top.children {
            codes.push(sub.code.clone());
            columns.push(sub_iter.next().unwrap_or_default());
            si += 1;
        }
    }
    debug_assert_eq!(si, subs.len());
    codes.push(COMPOSITE.to_string());
    columns.push(composite);
    let mut cols = vec![frames.respondents.column("group")?.clone()];
    for (code, values) in codes.iter().zip(columns) {
        let ca: Float64Chunked = values
            .into_iter()
            .map(|x| (!x.is_nan()).then_some(x))
            .collect();
        cols.push(ca.with_name(score_column(code).into()).into_column());
    }
    Ok(RespondentScores {
        df: DataFrame::new(n, cols)?,
        codes,
    })
}

/// Key of one cell: group, breakdown value ("" for none), indicator.
pub type CellKey = (String, String, String);

/// n, mean, SD and CI per (group, value of `by` or "", indicator), from one group-by
/// over the respondent rows.
pub fn cell_stats(
    scores: &RespondentScores,
    respondents: Option<(&DataFrame, &str)>,
) -> PolarsResult<BTreeMap<CellKey, ScoreStat>> {
    const BY: &str = "__by";
    let mut keys = vec![col("group")];
    let lf = match respondents {
        Some((r, attr)) => {
            let mut df = scores.df.clone();
            df.with_column(r.column(attr)?.clone().with_name(BY.into()))?;
            keys.push(col(BY));
            df.lazy().filter(col(BY).is_not_null())
        }
        None => scores.df.clone().lazy(),
    };
    let weighted = scores.is_weighted();
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
                weighted_aggs(code, &c, n)
            } else {
                vec![
                    n,
                    col(c.as_str()).mean().alias(format!("m:{code}")),
                    col(c.as_str()).std(1).alias(format!("s:{code}")),
                ]
            }
        })
        .collect();
    let out = lf.group_by(keys).agg(aggs).collect()?;
    let groups = out.column("group")?.str()?;
    let values = match respondents {
        Some(_) => Some(out.column(BY)?.str()?),
        None => None,
    };
    let mut map = BTreeMap::new();
    for code in &scores.codes {
        let ns = out.column(&format!("n:{code}"))?.u64()?;
        let stat_of = cell_reader(&out, code, weighted)?;
        for i in 0..out.height() {
            let (Some(g), Some(n)) = (groups.get(i), ns.get(i)) else {
                continue;
            };
            if n == 0 {
                continue;
            }
            let Some(stat) = stat_of(i, n) else {
                continue;
            };
            let v = match values {
                Some(v) => match v.get(i) {
                    Some(v) => v.to_string(),
                    None => continue,
                },
                None => String::new(),
            };
            map.insert((g.to_string(), v, code.clone()), stat);
        }
    }
    Ok(map)
}

/// Σw, Σw², Σwx and Σwx² of score column `c` over the respondents who have a score.
fn weighted_aggs(code: &str, c: &str, n: Expr) -> Vec<Expr> {
    let has = col(c).is_not_null();
    let w = || col(WEIGHT).filter(has.clone());
    vec![
        n,
        w().sum().alias(format!("sw:{code}")),
        (w() * w()).sum().alias(format!("sw2:{code}")),
        (col(WEIGHT) * col(c)).sum().alias(format!("swx:{code}")),
        (col(WEIGHT) * col(c) * col(c))
            .sum()
            .alias(format!("swxx:{code}")),
    ]
}

/// Row `i` of an aggregated frame with `n` respondents -> its cell statistic.
type CellReader<'a> = Box<dyn Fn(usize, u64) -> Option<ScoreStat> + 'a>;

/// Reads row `i` of the aggregated frame as the cell statistic of `code`.
fn cell_reader<'a>(out: &'a DataFrame, code: &str, weighted: bool) -> PolarsResult<CellReader<'a>> {
    let f = |name: &str| -> PolarsResult<&'a Float64Chunked> {
        out.column(&format!("{name}:{code}"))?.f64()
    };
    if weighted {
        let (sw, sw2, swx, swxx) = (f("sw")?, f("sw2")?, f("swx")?, f("swxx")?);
        Ok(Box::new(move |i, n| {
            let sums = WeightedSums {
                n,
                sw: sw.get(i)?,
                sw2: sw2.get(i)?,
                swx: swx.get(i)?,
                swxx: swxx.get(i)?,
            };
            Some(sums.stat())
        }))
    } else {
        let (means, sds) = (f("m")?, f("s")?);
        Ok(Box::new(move |i, n| {
            Some(ScoreStat::from_moments(n, means.get(i)?, sds.get(i)))
        }))
    }
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
}
