//! Stored responses -> the frames every analysis is computed from, with declared schemas.
//!
//! - `items`: one row per answered scored item:
//!   `respondent: u32, group: str, survey: str, item: str, sub: str, x: i64, score: f64`
//!   where `x` is the answer on the scale in the scored direction (reverse-coded items
//!   flipped) and `score` is `x` on 0–100.
//! - `respondents`: `respondent: u32, group: str` and one nullable `str` column per
//!   breakdown attribute.
//! - `item_counts`: `survey: str, sub: str, n_items: u32`, the scored items each
//!   questionnaire version has per second-level indicator.
//! - `importance`: `respondent: u32, group: str, item: str, x: i64`, importance ratings
//!   keyed by the Likert item they rate (item ids are unique within a group's questionnaire).

use std::collections::{BTreeMap, HashMap};

use polars::prelude::*;

use super::stats::scale_to_100;
use crate::domain::{AnswerValue, QuestionKind, Survey};

/// One response as the analysis needs it.
pub struct ResponseInput<'a> {
    pub survey: &'a Survey,
    pub attributes: &'a BTreeMap<String, String>,
    pub answers: &'a BTreeMap<String, AnswerValue>,
}

pub struct Frames {
    pub items: DataFrame,
    pub respondents: DataFrame,
    pub item_counts: DataFrame,
    pub importance: DataFrame,
    /// Respondents per group.
    pub counts: BTreeMap<crate::domain::Audience, u64>,
    /// Scale points per questionnaire version (the `survey` column's values).
    pub points: BTreeMap<String, u8>,
    /// The questionnaire behind each `survey` key.
    pub surveys: BTreeMap<String, Survey>,
}

struct SurveyItems<'a> {
    key: String,
    scored: Vec<(&'a str, &'a str, bool)>,
    importance: Vec<(&'a str, &'a str)>,
}

fn survey_items(s: &Survey, idx: usize) -> SurveyItems<'_> {
    let mut scored = Vec::new();
    let mut importance = Vec::new();
    for q in s.questions() {
        match &q.kind {
            QuestionKind::Likert {
                indicator: Some(indicator),
                reverse,
            } => scored.push((q.id.as_str(), indicator.as_str(), *reverse)),
            QuestionKind::Importance { of } => importance.push((q.id.as_str(), of.as_str())),
            _ => {}
        }
    }
    SurveyItems {
        key: format!("{}#{idx}", s.slug),
        scored,
        importance,
    }
}

/// Builds all frames. `breakdowns` names the attribute columns of `respondents`.
pub fn build<'a>(
    responses: impl IntoIterator<Item = ResponseInput<'a>>,
    breakdowns: &[String],
) -> PolarsResult<Frames> {
    let (mut respondent, mut group, mut survey, mut item, mut sub, mut xs, mut score) = (
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::<f64>::new(),
    );
    let (mut r_id, mut r_group) = (Vec::<u32>::new(), Vec::<&str>::new());
    let mut r_attrs: Vec<Vec<Option<String>>> = vec![Vec::new(); breakdowns.len()];
    let (mut i_resp, mut i_group, mut i_item, mut i_x) = (
        Vec::<u32>::new(),
        Vec::<&str>::new(),
        Vec::<String>::new(),
        Vec::<i64>::new(),
    );
    let mut surveys: HashMap<*const Survey, SurveyItems<'a>> = HashMap::new();
    let mut points = BTreeMap::new();
    let mut counts = BTreeMap::new();
    let mut definitions = BTreeMap::new();
    for (i, r) in responses.into_iter().enumerate() {
        let next = surveys.len();
        let si = surveys
            .entry(r.survey as *const Survey)
            .or_insert_with(|| survey_items(r.survey, next));
        if !points.contains_key(&si.key) {
            points.insert(si.key.clone(), r.survey.scale.points);
            definitions.insert(si.key.clone(), r.survey.clone());
        }
        let idx = u32::try_from(i).unwrap_or(u32::MAX);
        let g = r.survey.audience.as_str();
        *counts.entry(r.survey.audience).or_insert(0) += 1;
        r_id.push(idx);
        r_group.push(g);
        for (col, name) in r_attrs.iter_mut().zip(breakdowns) {
            col.push(r.attributes.get(name).cloned());
        }
        let p = i64::from(r.survey.scale.points);
        for (qid, indicator, reverse) in &si.scored {
            if let Some(AnswerValue::Number(x)) = r.answers.get(*qid) {
                if let Some(s) = scale_to_100(*x, r.survey.scale.points, *reverse) {
                    respondent.push(idx);
                    group.push(g);
                    survey.push(si.key.clone());
                    item.push(*qid);
                    sub.push(*indicator);
                    xs.push(if *reverse { p + 1 - x } else { *x });
                    score.push(s);
                }
            }
        }
        for (qid, of) in &si.importance {
            if let Some(AnswerValue::Number(x)) = r.answers.get(*qid) {
                i_resp.push(idx);
                i_group.push(g);
                i_item.push((*of).to_string());
                i_x.push(*x);
            }
        }
    }
    let (mut c_survey, mut c_sub, mut c_n) = (Vec::new(), Vec::new(), Vec::<u32>::new());
    for si in surveys.values() {
        let mut per: BTreeMap<&str, u32> = BTreeMap::new();
        for (_, indicator, _) in &si.scored {
            *per.entry(indicator).or_default() += 1;
        }
        for (k, n) in per {
            c_survey.push(si.key.clone());
            c_sub.push(k);
            c_n.push(n);
        }
    }
    let items = DataFrame::new(
        respondent.len(),
        vec![
            Column::new("respondent".into(), respondent),
            Column::new("group".into(), group),
            Column::new("survey".into(), survey),
            Column::new("item".into(), item),
            Column::new("sub".into(), sub),
            Column::new("x".into(), xs),
            Column::new("score".into(), score),
        ],
    )?;
    let mut cols = vec![
        Column::new("respondent".into(), r_id.clone()),
        Column::new("group".into(), r_group),
    ];
    for (name, values) in breakdowns.iter().zip(r_attrs) {
        cols.push(Column::new(name.as_str().into(), values));
    }
    let respondents = DataFrame::new(r_id.len(), cols)?;
    let item_counts = DataFrame::new(
        c_survey.len(),
        vec![
            Column::new("survey".into(), c_survey),
            Column::new("sub".into(), c_sub),
            Column::new("n_items".into(), c_n),
        ],
    )?;
    let importance = DataFrame::new(
        i_resp.len(),
        vec![
            Column::new("respondent".into(), i_resp),
            Column::new("group".into(), i_group),
            Column::new("item".into(), i_item),
            Column::new("x".into(), i_x),
        ],
    )?;
    Ok(Frames {
        items,
        respondents,
        item_counts,
        importance,
        counts,
        points,
        surveys: definitions,
    })
}
