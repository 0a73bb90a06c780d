//! Indicator scores per stakeholder group and combined.
//!
//! Method (documented in README, "How scores are computed"):
//! - a respondent's second-level score is the mean of the items of that indicator they
//!   answered (0–100, reverse-coded items flipped first);
//! - a respondent's first-level score is the weighted mean of their second-level
//!   scores, and their composite the weighted mean of their first-level scores, with
//!   weights re-normalised over the indicators they have data for;
//! - a group's score is the mean over its respondents, with SD and a t-based 95% CI;
//! - all groups combined use the campaign's fixed group weights (not headcount),
//!   re-normalised over groups with data (see `stats::combine_groups`).

use std::collections::BTreeMap;

use polars::prelude::*;
use serde::Serialize;

use super::stats::{combine_groups, ScoreStat};
use crate::domain::campaign::CampaignInfo;
use crate::domain::Audience;

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

/// Scores a campaign from its item frame (see `frame::item_frame`).
pub fn score_campaign(
    info: &CampaignInfo,
    items: DataFrame,
    responses: BTreeMap<Audience, u64>,
) -> PolarsResult<CampaignScores> {
    let stats = group_stats(info, items)?;
    let get = |group: Audience, code: &str| {
        stats
            .get(&(group.as_str().to_string(), code.to_string()))
            .copied()
    };
    let build = |code: &str, name: &str, level: Level, parent: Option<String>, weight: f64| {
        let mut by_group = BTreeMap::new();
        for g in Audience::ALL {
            if responses.get(&g).copied().unwrap_or(0) > 0 {
                by_group.insert(g, get(g, code).unwrap_or(ScoreStat::EMPTY));
            }
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
    for top in &info.framework.indicators {
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
    Ok(CampaignScores {
        campaign: info.key.clone(),
        composite: build(COMPOSITE, "综合指数", Level::Composite, None, 1.0),
        indicators,
        group_weights: info.group_weights.clone(),
        responses,
    })
}

/// (group, indicator code) -> n, mean, SD and CI, for all three levels.
fn group_stats(
    info: &CampaignInfo,
    items: DataFrame,
) -> PolarsResult<BTreeMap<(String, String), ScoreStat>> {
    let (mut sub_codes, mut parents, mut sub_w) = (Vec::new(), Vec::new(), Vec::new());
    let (mut top_codes, mut top_w) = (Vec::new(), Vec::new());
    for top in &info.framework.indicators {
        top_codes.push(top.code.as_str());
        top_w.push(top.weight);
        for sub in &top.children {
            sub_codes.push(sub.code.as_str());
            parents.push(top.code.as_str());
            sub_w.push(sub.weight);
        }
    }
    let sub_weights = DataFrame::new(
        sub_codes.len(),
        vec![
            Column::new("sub".into(), sub_codes),
            Column::new("parent".into(), parents),
            Column::new("w".into(), sub_w),
        ],
    )?;
    let top_weights = DataFrame::new(
        top_codes.len(),
        vec![
            Column::new("parent".into(), top_codes),
            Column::new("w_top".into(), top_w),
        ],
    )?;

    let second = items
        .lazy()
        .group_by([col("respondent"), col("group"), col("sub")])
        .agg([col("score").mean().alias("score")]);
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
            col("group"),
            lit(COMPOSITE).alias("indicator"),
            col("score"),
        ]);
    let all = concat(
        [
            second.select([col("group"), col("sub").alias("indicator"), col("score")]),
            first.select([col("group"), col("parent").alias("indicator"), col("score")]),
            composite,
        ],
        UnionArgs::default(),
    )?;
    let out = all
        .group_by([col("group"), col("indicator")])
        .agg([
            col("score").count().cast(DataType::UInt64).alias("n"),
            col("score").mean().alias("mean"),
            col("score").std(1).alias("sd"),
        ])
        .collect()?;

    let groups = out.column("group")?.str()?;
    let codes = out.column("indicator")?.str()?;
    let ns = out.column("n")?.u64()?;
    let means = out.column("mean")?.f64()?;
    let sds = out.column("sd")?.f64()?;
    let mut map = BTreeMap::new();
    for i in 0..out.height() {
        let (Some(g), Some(c), Some(n), Some(mean)) =
            (groups.get(i), codes.get(i), ns.get(i), means.get(i))
        else {
            continue;
        };
        map.insert(
            (g.to_string(), c.to_string()),
            ScoreStat::from_moments(n, mean, sds.get(i)),
        );
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::frame::{item_frame, ResponseInput};
    use crate::domain::{
        AnswerValue, Framework, Indicator, LikertScale, Question, QuestionKind, Section,
        SubIndicator, Survey,
    };

    fn info() -> CampaignInfo {
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
        }
    }

    fn survey(audience: Audience) -> Survey {
        let likert = |id: &str, ind: &str, reverse| Question {
            id: id.into(),
            text: id.into(),
            required: false,
            attribute: None,
            kind: QuestionKind::Likert {
                indicator: ind.into(),
                reverse,
            },
        };
        Survey {
            slug: audience.as_str().into(),
            audience,
            title: "t".into(),
            intro: String::new(),
            scale: LikertScale {
                points: 5,
                labels: vec![String::new(); 5],
            },
            sections: vec![Section {
                title: "s".into(),
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
    ///  r2: q1=3 (50), q4=2 (25)  (skipped q2, q3)
    ///      A1 = 50, A2 = -, A = 50 (re-normalised), B = 25, total = .6·50 + .4·25 = 40
    /// Students A1: n 2, mean 68.75; total: mean 58.4375.
    /// Teachers t1: q1=4 (75), q3=5 (100), q4 missing: A1 75, A2 100, A = 81.25, total 81.25.
    /// Combined A1 = .5·68.75 + .5·75 = 71.875; combined total = .5·58.4375 + .5·81.25 = 69.84375.
    #[test]
    fn pipeline_matches_hand_computation() {
        let (s, t) = (survey(Audience::Students), survey(Audience::Teachers));
        let a1 = answers(&[("q1", 5), ("q2", 2), ("q3", 3), ("q4", 4)]);
        let a2 = answers(&[("q1", 3), ("q4", 2)]);
        let a3 = answers(&[("q1", 4), ("q3", 5)]);
        let inputs = vec![
            ResponseInput {
                survey: &s,
                group: "students",
                answers: &a1,
            },
            ResponseInput {
                survey: &s,
                group: "students",
                answers: &a2,
            },
            ResponseInput {
                survey: &t,
                group: "teachers",
                answers: &a3,
            },
        ];
        let frame = item_frame(inputs).expect("frame");
        assert_eq!(frame.height(), 8);
        let counts = [(Audience::Students, 2), (Audience::Teachers, 1)]
            .into_iter()
            .collect();
        let scores = score_campaign(&info(), frame, counts).expect("scores");
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
        // A teacher has no B1 answer: combined B1 is students' alone.
        assert!(close(ind("B1").combined.mean, 50.0));
    }

    #[test]
    fn empty_campaign_scores_to_nothing_without_error() {
        let frame = item_frame(Vec::new()).expect("frame");
        let scores = score_campaign(&info(), frame, BTreeMap::new()).expect("scores");
        assert_eq!(scores.composite.combined.mean, None);
        assert!(scores.indicators.iter().all(|i| i.by_group.is_empty()));
    }
}
