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
use super::stats::{combine_groups, ScoreStat};
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

#[derive(Debug, Clone, Serialize)]
pub struct CampaignScores {
    pub campaign: String,
    pub responses: BTreeMap<Audience, u64>,
    pub group_weights: BTreeMap<Audience, f64>,
    pub composite: IndicatorScores,
    /// First-level indicators in framework order, each followed by its children.
    pub indicators: Vec<IndicatorScores>,
}

fn weight_frames(framework: &Framework) -> PolarsResult<(DataFrame, DataFrame)> {
    let (mut sub_codes, mut parents, mut sub_w) = (Vec::new(), Vec::new(), Vec::new());
    let (mut top_codes, mut top_w) = (Vec::new(), Vec::new());
    for top in &framework.indicators {
        top_codes.push(top.code.as_str());
        top_w.push(top.weight);
        for sub in &top.children {
            sub_codes.push(sub.code.as_str());
            parents.push(top.code.as_str());
            sub_w.push(sub.weight);
        }
    }
    let subs = DataFrame::new(
        sub_codes.len(),
        vec![
            Column::new("sub".into(), sub_codes),
            Column::new("parent".into(), parents),
            Column::new("w".into(), sub_w),
        ],
    )?;
    let tops = DataFrame::new(
        top_codes.len(),
        vec![
            Column::new("parent".into(), top_codes),
            Column::new("w_top".into(), top_w),
        ],
    )?;
    Ok((subs, tops))
}

/// Respondent-level scores at every level:
/// `respondent: u32, group: str, indicator: str, level: str, score: f64`.
pub fn respondent_scores(
    framework: &Framework,
    frames: &Frames,
    min_item_share: f64,
) -> PolarsResult<LazyFrame> {
    let (sub_weights, top_weights) = weight_frames(framework)?;
    let second = frames
        .items
        .clone()
        .lazy()
        .group_by([col("respondent"), col("group"), col("survey"), col("sub")])
        .agg([
            col("score").mean().alias("score"),
            col("score").count().alias("answered"),
        ])
        .join(
            frames.item_counts.clone().lazy(),
            cols_sub_survey(),
            cols_sub_survey(),
            JoinArgs::new(JoinType::Inner),
        )
        .filter(
            (col("answered").cast(DataType::Float64) / col("n_items").cast(DataType::Float64))
                .gt_eq(lit(min_item_share - 1e-9)),
        )
        .select([col("respondent"), col("group"), col("sub"), col("score")]);
    let first = second
        .clone()
        .inner_join(sub_weights.lazy(), col("sub"), col("sub"))
        .group_by([col("respondent"), col("group"), col("parent")])
        .agg([((col("score") * col("w")).sum() / col("w").sum()).alias("score")]);
    let composite = first
        .clone()
        .inner_join(top_weights.lazy(), col("parent"), col("parent"))
        .group_by([col("respondent"), col("group")])
        .agg([((col("score") * col("w_top")).sum() / col("w_top").sum()).alias("score")])
        .select([
            col("respondent"),
            col("group"),
            lit(COMPOSITE).alias("indicator"),
            lit("composite").alias("level"),
            col("score"),
        ]);
    concat(
        [
            second.select([
                col("respondent"),
                col("group"),
                col("sub").alias("indicator"),
                lit("second").alias("level"),
                col("score"),
            ]),
            first.select([
                col("respondent"),
                col("group"),
                col("parent").alias("indicator"),
                lit("first").alias("level"),
                col("score"),
            ]),
            composite,
        ],
        UnionArgs::default(),
    )
}

fn cols_sub_survey() -> [Expr; 2] {
    [col("survey"), col("sub")]
}

/// Key of one cell: group, breakdown value ("" for none), indicator.
pub type CellKey = (String, String, String);

/// n, mean, SD and CI per (group, value of `by` or "", indicator).
pub fn cell_stats(
    scores: LazyFrame,
    respondents: Option<(&DataFrame, &str)>,
) -> PolarsResult<BTreeMap<CellKey, ScoreStat>> {
    let (lf, by) = match respondents {
        Some((r, attr)) => (
            scores
                .inner_join(
                    r.clone()
                        .lazy()
                        .select([col("respondent"), col(attr).alias("by")]),
                    col("respondent"),
                    col("respondent"),
                )
                .filter(col("by").is_not_null()),
            true,
        ),
        None => (scores.with_column(lit("").alias("by")), false),
    };
    let out = lf
        .group_by([col("group"), col("by"), col("indicator")])
        .agg([
            col("score").count().cast(DataType::UInt64).alias("n"),
            col("score").mean().alias("mean"),
            col("score").std(1).alias("sd"),
        ])
        .collect()?;
    let groups = out.column("group")?.str()?;
    let values = out.column("by")?.str()?;
    let codes = out.column("indicator")?.str()?;
    let ns = out.column("n")?.u64()?;
    let means = out.column("mean")?.f64()?;
    let sds = out.column("sd")?.f64()?;
    let mut map = BTreeMap::new();
    for i in 0..out.height() {
        let (Some(g), Some(v), Some(c), Some(n), Some(mean)) = (
            groups.get(i),
            values.get(i),
            codes.get(i),
            ns.get(i),
            means.get(i),
        ) else {
            continue;
        };
        let v = if by { v.to_string() } else { String::new() };
        map.insert(
            (g.to_string(), v, c.to_string()),
            ScoreStat::from_moments(n, mean, sds.get(i)),
        );
    }
    Ok(map)
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
pub fn score_campaign(info: &CampaignInfo, frames: &Frames) -> PolarsResult<CampaignScores> {
    let (framework, _) = super::evaluation::effective_framework(info, frames)?;
    let scores = respondent_scores(&framework, frames, info.analysis.min_item_share)?;
    let stats = cell_stats(scores, None)?;
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
mod tests {
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
            ahp: Vec::new(),
            recommendations: BTreeMap::new(),
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
        assert_eq!(frames.items.height(), 8);
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
