//! Respondent pages: a server-rendered form that works without JavaScript, validated on
//! the server; a hidden `response_id` makes double taps and retried posts store once.

use std::collections::HashMap;

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use askama::Template;
use uuid::Uuid;

use super::AppState;
use crate::domain::{
    AnswerError, NewResponse, Question, QuestionKind, Survey, OTHER_CODE, OTHER_SUFFIX,
};
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
    /// The logic syntax trees as JSON, safe inside a `<script>` element.
    logic: String,
}

struct SectionView<'a> {
    title: &'a str,
    questions: Vec<QuestionView<'a>>,
}

/// One block on the page: a question, or a Likert matrix whose `rows` are its statements.
struct QuestionView<'a> {
    id: &'a str,
    number: String,
    text: &'a str,
    hint: Option<&'a str>,
    required: bool,
    conditional: bool,
    kind: &'static str,
    options: Vec<OptionView<'a>>,
    value: String,
    other: bool,
    other_value: String,
    max_length: usize,
    min_label: Option<&'a str>,
    max_label: Option<&'a str>,
    rows: Vec<QuestionView<'a>>,
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

/// Form values by field name; a multiple choice sends one value per ticked box.
type FormValues = HashMap<String, Vec<String>>;

fn first(values: &FormValues, key: &str) -> String {
    values
        .get(key)
        .and_then(|v| v.first())
        .cloned()
        .unwrap_or_default()
}

fn choice_options<'a>(
    choices: &'a [crate::domain::Choice],
    other: bool,
    selected: &[String],
) -> Vec<OptionView<'a>> {
    let mut out: Vec<OptionView<'a>> = choices
        .iter()
        .map(|c| OptionView {
            checked: selected.contains(&c.code),
            value: c.code.clone(),
            label: &c.label,
        })
        .collect();
    if other {
        out.push(OptionView {
            checked: selected.iter().any(|s| s == OTHER_CODE),
            value: OTHER_CODE.into(),
            label: "其他（请注明）",
        });
    }
    out
}

fn scale_options<'a>(
    labels: impl Iterator<Item = (String, &'a str)>,
    value: &str,
) -> Vec<OptionView<'a>> {
    labels
        .map(|(v, label)| OptionView {
            checked: value == v,
            value: v,
            label,
        })
        .collect()
}

fn base_view<'a>(
    q: &'a Question,
    number: String,
    values: &FormValues,
    errors: &[AnswerError],
) -> QuestionView<'a> {
    let value = first(values, &q.id);
    let other_key = format!("{}{OTHER_SUFFIX}", q.id);
    QuestionView {
        id: &q.id,
        number,
        text: &q.text,
        hint: q.hint.as_deref(),
        required: q.required || q.required_if.is_some(),
        conditional: q.relevant.is_some() || q.required_if.is_some(),
        kind: "text",
        options: Vec::new(),
        value: if value.is_empty() {
            q.default.clone().unwrap_or_default()
        } else {
            value.clone()
        },
        other: q.kind.has_other(),
        other_value: first(values, &other_key),
        max_length: 0,
        min_label: None,
        max_label: None,
        rows: Vec::new(),
        error: errors
            .iter()
            .find(|e| e.field == q.id || e.field == other_key)
            .map(|e| e.message_zh.clone()),
    }
}

fn question_view<'a>(
    survey: &'a Survey,
    q: &'a Question,
    number: String,
    values: &FormValues,
    errors: &[AnswerError],
) -> QuestionView<'a> {
    let selected: Vec<String> = values.get(&q.id).cloned().unwrap_or_default();
    let mut view = base_view(q, number, values, errors);
    match &q.kind {
        QuestionKind::Single { choices, other } => {
            view.kind = "single";
            view.options = choice_options(choices, *other, std::slice::from_ref(&view.value));
        }
        QuestionKind::Multiple { choices, other, .. } => {
            view.kind = "multiple";
            let sel = if selected.is_empty() {
                q.default
                    .as_deref()
                    .map(|d| d.split_whitespace().map(str::to_string).collect())
                    .unwrap_or_default()
            } else {
                selected
            };
            view.options = choice_options(choices, *other, &sel);
        }
        QuestionKind::Likert { .. } | QuestionKind::Importance { .. } => {
            view.kind = "likert";
            view.options = scale_options(
                survey
                    .scale
                    .labels
                    .iter()
                    .enumerate()
                    .map(|(i, l)| ((i + 1).to_string(), l.as_str())),
                &view.value,
            );
        }
        QuestionKind::Rating {
            min,
            max,
            min_label,
            max_label,
        } => {
            view.kind = "rating";
            view.min_label = min_label.as_deref();
            view.max_label = max_label.as_deref();
            view.options = (*min..=*max)
                .map(|v| OptionView {
                    checked: view.value == v.to_string(),
                    value: v.to_string(),
                    label: "",
                })
                .collect();
        }
        QuestionKind::Integer { .. } => view.kind = "integer",
        QuestionKind::Decimal { .. } => view.kind = "decimal",
        QuestionKind::Date { .. } => view.kind = "date",
        QuestionKind::Note => view.kind = "note",
        QuestionKind::Text {
            max_length,
            multiline,
            ..
        } => {
            view.kind = if *multiline { "textarea" } else { "text" };
            view.max_length = *max_length;
        }
        QuestionKind::Ranking { choices } => {
            view.kind = "ranking";
            // One rank selector per choice: field `<id>/<code>` holds its position.
            view.options = choices
                .iter()
                .map(|c| OptionView {
                    value: c.code.clone(),
                    label: &c.label,
                    checked: false,
                })
                .collect();
            view.rows = choices
                .iter()
                .map(|c| {
                    let mut r = base_view(q, String::new(), &FormValues::new(), &[]);
                    r.kind = "rank";
                    r.value = first(values, &format!("{}/{}", q.id, c.code));
                    r.other_value = c.code.clone();
                    r.options = (1..=choices.len())
                        .map(|i| OptionView {
                            checked: r.value == i.to_string(),
                            value: i.to_string(),
                            label: "",
                        })
                        .collect();
                    r.text = &c.label;
                    r
                })
                .collect();
        }
    }
    view
}

fn render(
    survey: &Survey,
    response_id: Uuid,
    values: &FormValues,
    errors: &[AnswerError],
) -> Result<String, ApiError> {
    let mut number = 0;
    let mut sections = Vec::new();
    for s in &survey.sections {
        let mut blocks: Vec<QuestionView<'_>> = Vec::new();
        let mut i = 0;
        while i < s.questions.len() {
            let q = &s.questions[i];
            if let Some(m) = &q.matrix {
                number += 1;
                let rows: Vec<&Question> = s.questions[i..]
                    .iter()
                    .take_while(|r| r.matrix.as_ref().is_some_and(|h| h.id == m.id))
                    .collect();
                let mut block = question_view(survey, q, number.to_string(), values, &[]);
                block.id = &m.id;
                block.text = &m.text;
                block.kind = "matrix";
                block.error = None;
                block.options = scale_options(
                    survey
                        .scale
                        .labels
                        .iter()
                        .enumerate()
                        .map(|(i, l)| ((i + 1).to_string(), l.as_str())),
                    "",
                );
                block.rows = rows
                    .iter()
                    .enumerate()
                    .map(|(k, r)| {
                        question_view(survey, r, format!("{number}.{}", k + 1), values, errors)
                    })
                    .collect();
                if block.rows.iter().any(|r| r.error.is_some()) {
                    block.error = Some("请为每一行选择一个选项".into());
                }
                i += rows.len();
                blocks.push(block);
                continue;
            }
            let n = if matches!(q.kind, QuestionKind::Note) {
                String::new()
            } else {
                number += 1;
                number.to_string()
            };
            blocks.push(question_view(survey, q, n, values, errors));
            i += 1;
        }
        sections.push(SectionView {
            title: &s.title,
            questions: blocks,
        });
    }
    SurveyPage {
        title: &survey.title,
        intro: &survey.intro,
        action: format!("/s/{}", survey.slug),
        response_id: response_id.to_string(),
        error_count: errors.len(),
        sections,
        logic: script_json(&survey.logic()),
    }
    .render()
    .map_err(ApiError::unexpected)
}

/// JSON that cannot close the `<script>` element it sits in.
fn script_json(v: &serde_json::Value) -> String {
    v.to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

/// Turns posted form fields into the JSON answers the parser takes: ticked boxes become
/// a list, per-choice rank selectors an ordered list.
fn form_answers(
    survey: &Survey,
    values: &FormValues,
) -> serde_json::Map<String, serde_json::Value> {
    use serde_json::Value;
    let mut raw = serde_json::Map::new();
    for (k, v) in values {
        if k.contains('/') {
            continue;
        }
        let multiple = survey
            .question(k)
            .is_some_and(|q| matches!(q.kind, QuestionKind::Multiple { .. }));
        let value = if multiple {
            Value::Array(
                v.iter()
                    .filter(|s| !s.trim().is_empty())
                    .map(|s| Value::String(s.clone()))
                    .collect(),
            )
        } else {
            Value::String(v.last().cloned().unwrap_or_default())
        };
        raw.insert(k.clone(), value);
    }
    for q in survey.questions() {
        if let QuestionKind::Ranking { choices } = &q.kind {
            let mut ranked: Vec<(usize, &str)> = choices
                .iter()
                .filter_map(|c| {
                    let rank = first(values, &format!("{}/{}", q.id, c.code));
                    rank.trim()
                        .parse::<usize>()
                        .ok()
                        .map(|r| (r, c.code.as_str()))
                })
                .collect();
            if ranked.is_empty() {
                continue;
            }
            ranked.sort();
            let mut ranks: Vec<usize> = ranked.iter().map(|(r, _)| *r).collect();
            ranks.dedup();
            let codes: Vec<Value> = if ranks.len() == ranked.len() {
                ranked
                    .iter()
                    .map(|(_, c)| Value::String((*c).to_string()))
                    .collect()
            } else {
                // Two choices share a rank: send a duplicate so the parser says so.
                vec![Value::String(ranked[0].1.to_string()); choices.len().max(2)]
            };
            raw.insert(q.id.clone(), Value::Array(codes));
        }
    }
    raw
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
    let page = render(&stored.survey, Uuid::new_v4(), &FormValues::new(), &[])?;
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
    let mut values = FormValues::new();
    let mut raw_id = None;
    for (k, v) in form.into_inner() {
        if k == "response_id" {
            raw_id = Some(v);
        } else {
            values.entry(k).or_default().push(v);
        }
    }
    // A missing or mangled id gets a fresh one: the respondent must not lose answers.
    let response_id = raw_id
        .as_deref()
        .and_then(|s| Uuid::parse_str(s.trim()).ok());
    let raw = form_answers(&stored.survey, &values);
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

#[cfg(test)]
mod tests {
    use super::script_json;

    #[test]
    fn logic_json_cannot_close_its_script_element() {
        let v = serde_json::json!({"s": "'</script><img src=x onerror=alert(1)>' & more"});
        let out = script_json(&v);
        assert!(
            !out.contains('<') && !out.contains('>') && !out.contains('&'),
            "{out}"
        );
        let back: serde_json::Value = serde_json::from_str(&out).expect("still JSON");
        assert_eq!(back, v);
    }
}
