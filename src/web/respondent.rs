//! Respondent pages: a server-rendered form that works without JavaScript, validated on
//! the server; a hidden `response_id` makes double taps and retried posts store once.

use std::collections::HashMap;

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use askama::Template;
use uuid::Uuid;

use super::AppState;
use crate::domain::{AnswerError, NewResponse, QuestionKind, Survey};
use crate::error::ApiError;
use crate::store::responses::{self, InsertOutcome};
use crate::store::surveys;

#[derive(Template)]
#[template(path = "survey.html")]
struct SurveyPage<'a> {
    title: &'a str,
    intro: &'a str,
    action: String,
    response_id: String,
    error_count: usize,
    sections: Vec<SectionView<'a>>,
}

struct SectionView<'a> {
    title: &'a str,
    questions: Vec<QuestionView<'a>>,
}

struct QuestionView<'a> {
    id: &'a str,
    number: usize,
    text: &'a str,
    required: bool,
    kind: &'static str,
    options: Vec<OptionView<'a>>,
    value: String,
    max_length: usize,
    error: Option<String>,
}

struct OptionView<'a> {
    value: String,
    label: &'a str,
    checked: bool,
}

#[derive(Template)]
#[template(path = "message.html")]
pub struct MessagePage<'a> {
    pub heading: &'a str,
    pub body: &'a str,
    pub body_en: &'a str,
}

fn html(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body)
}

pub fn message(
    status: StatusCode,
    heading: &str,
    body: &str,
    body_en: &str,
) -> Result<HttpResponse, ApiError> {
    let page = MessagePage {
        heading,
        body,
        body_en,
    }
    .render()
    .map_err(ApiError::unexpected)?;
    Ok(html(status, page))
}

fn render(
    survey: &Survey,
    response_id: Uuid,
    values: &HashMap<String, String>,
    errors: &[AnswerError],
) -> Result<String, ApiError> {
    let mut number = 0;
    let sections = survey
        .sections
        .iter()
        .map(|s| SectionView {
            title: &s.title,
            questions: s
                .questions
                .iter()
                .map(|q| {
                    number += 1;
                    let value = values.get(&q.id).cloned().unwrap_or_default();
                    let (kind, options, max_length) = match &q.kind {
                        QuestionKind::Single { choices } => (
                            "single",
                            choices
                                .iter()
                                .map(|c| OptionView {
                                    checked: value == c.code,
                                    value: c.code.clone(),
                                    label: &c.label,
                                })
                                .collect(),
                            0,
                        ),
                        QuestionKind::Likert { .. } | QuestionKind::Importance { .. } => (
                            "likert",
                            survey
                                .scale
                                .labels
                                .iter()
                                .enumerate()
                                .map(|(i, label)| {
                                    let v = (i + 1).to_string();
                                    OptionView {
                                        checked: value == v,
                                        value: v,
                                        label,
                                    }
                                })
                                .collect(),
                            0,
                        ),
                        QuestionKind::Integer { .. } => ("integer", Vec::new(), 0),
                        QuestionKind::Text {
                            max_length,
                            multiline,
                            ..
                        } => (
                            if *multiline { "textarea" } else { "text" },
                            Vec::new(),
                            *max_length,
                        ),
                    };
                    QuestionView {
                        id: &q.id,
                        number,
                        text: &q.text,
                        required: q.required,
                        kind,
                        options,
                        value,
                        max_length,
                        error: errors
                            .iter()
                            .find(|e| e.field == q.id)
                            .map(|e| e.message_zh.clone()),
                    }
                })
                .collect(),
        })
        .collect();
    SurveyPage {
        title: &survey.title,
        intro: &survey.intro,
        action: format!("/s/{}", survey.slug),
        response_id: response_id.to_string(),
        error_count: errors.len(),
        sections,
    }
    .render()
    .map_err(ApiError::unexpected)
}

async fn find(state: &AppState, slug: &str) -> Result<Option<surveys::StoredSurvey>, ApiError> {
    Ok(surveys::current(&state.db, slug).await?)
}

fn not_found() -> Result<HttpResponse, ApiError> {
    message(
        StatusCode::NOT_FOUND,
        "找不到这份问卷",
        "请检查链接是否完整，或联系发放问卷的老师。",
        "This questionnaire does not exist. Check the link.",
    )
}

pub async fn show(
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let Some(stored) = find(&state, &slug).await? else {
        return not_found();
    };
    let page = render(&stored.survey, Uuid::new_v4(), &HashMap::new(), &[])?;
    Ok(html(StatusCode::OK, page))
}

pub async fn submit(
    state: web::Data<AppState>,
    slug: web::Path<String>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, ApiError> {
    let Some(stored) = find(&state, &slug).await? else {
        return not_found();
    };
    let mut values: HashMap<String, String> = HashMap::new();
    let mut raw_id = None;
    for (k, v) in form.into_inner() {
        if k == "response_id" {
            raw_id = Some(v);
        } else {
            values.insert(k, v);
        }
    }
    // A missing or mangled id gets a fresh one: the respondent must not lose answers.
    let response_id = raw_id
        .as_deref()
        .and_then(|s| Uuid::parse_str(s.trim()).ok());
    let raw: serde_json::Map<String, serde_json::Value> = values
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
        .collect();
    let parsed = NewResponse::parse(
        &stored.survey,
        response_id.unwrap_or_else(Uuid::new_v4),
        &raw,
        &serde_json::Map::new(),
    );
    let response = match parsed {
        Ok(r) => r,
        Err(errors) => {
            let page = render(
                &stored.survey,
                response_id.unwrap_or_else(Uuid::new_v4),
                &values,
                &errors,
            )?;
            return Ok(html(StatusCode::UNPROCESSABLE_ENTITY, page));
        }
    };
    match responses::insert(&state.db, &stored, &response).await? {
        InsertOutcome::Created(_) | InsertOutcome::Replayed(_) => Ok(HttpResponse::SeeOther()
            .insert_header((
                header::LOCATION,
                format!("/s/{}/thanks", stored.survey.slug),
            ))
            .finish()),
        InsertOutcome::Conflict => message(
            StatusCode::CONFLICT,
            "这份问卷已经提交过了",
            "同一份答卷只能提交一次。如需重新填写，请重新打开问卷链接。",
            "This response was already submitted.",
        ),
    }
}

pub async fn thanks(
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let Some(_) = find(&state, &slug).await? else {
        return not_found();
    };
    message(
        StatusCode::OK,
        "提交成功，感谢您的参与！",
        "您的回答已保存。本调查结果仅用于改进校企合作质量。",
        "Thank you, your answers have been saved.",
    )
}
