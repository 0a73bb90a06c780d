//! Stored responses -> the long item frame every score is computed from.
//!
//! Schema (one row per answered scored item):
//! `respondent: u32, group: str, sub: str, score: f64` where `score` is the item
//! answer on 0–100 after reverse-coding.

use std::collections::HashMap;

use polars::prelude::*;

use super::stats::scale_to_100;
use crate::domain::{AnswerValue, QuestionKind, Survey};

/// One response as the analysis needs it: its group and its answers.
pub struct ResponseInput<'a> {
    pub survey: &'a Survey,
    pub group: &'a str,
    pub answers: &'a std::collections::BTreeMap<String, AnswerValue>,
}

/// Builds the item frame with its declared schema.
pub fn item_frame<'a>(
    responses: impl IntoIterator<Item = ResponseInput<'a>>,
) -> PolarsResult<DataFrame> {
    let mut respondent: Vec<u32> = Vec::new();
    let mut group: Vec<&str> = Vec::new();
    let mut sub: Vec<&str> = Vec::new();
    let mut score: Vec<f64> = Vec::new();
    // Scored items per survey, computed once per questionnaire version.
    let mut items_cache: HashMap<*const Survey, Vec<(&str, &str, bool)>> = HashMap::new();
    for (i, r) in responses.into_iter().enumerate() {
        let items = items_cache
            .entry(r.survey as *const Survey)
            .or_insert_with(|| {
                r.survey
                    .questions()
                    .filter_map(|q| match &q.kind {
                        QuestionKind::Likert { indicator, reverse } => {
                            Some((q.id.as_str(), indicator.as_str(), *reverse))
                        }
                        _ => None,
                    })
                    .collect()
            });
        let idx = u32::try_from(i).unwrap_or(u32::MAX);
        for (qid, indicator, reverse) in items.iter() {
            if let Some(AnswerValue::Number(x)) = r.answers.get(*qid) {
                if let Some(s) = scale_to_100(*x, r.survey.scale.points, *reverse) {
                    respondent.push(idx);
                    group.push(r.group);
                    sub.push(indicator);
                    score.push(s);
                }
            }
        }
    }
    let height = respondent.len();
    DataFrame::new(
        height,
        vec![
            Column::new("respondent".into(), respondent),
            Column::new("group".into(), group),
            Column::new("sub".into(), sub),
            Column::new("score".into(), score),
        ],
    )
}
