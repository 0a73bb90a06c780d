//! Respondent pages: a server-rendered form that works without JavaScript, validated on
//! the server; a hidden `response_id` makes double taps and retried posts store once.
//! Invitation links (`?t=`) prefill attributes and resume saved answers; the window,
//! response cap and quotas close the questionnaire politely.

use std::collections::BTreeMap;
use std::sync::Arc;

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;
use uuid::Uuid;

use super::admission::Refusal;
use super::survey_page::{self, FormValues, PageContext, Stamp};
use super::AppState;
use crate::app::respond;
use crate::domain::quality::Paradata;
use crate::domain::Lang;
use crate::domain::{NewResponse, QuestionKind, Survey};
use crate::error::ApiError;
use crate::store::ingest::IngestError;
use crate::store::responses::InsertOutcome;
use crate::store::surveys::StoredSurvey;

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

/// The survey page, gzip-compressed at the best level when the client accepts it (the
/// server-wide middleware uses a fast level; phones on weak networks pay per byte).
fn accepts_gzip(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|e| e.trim().starts_with("gzip")))
}

fn page(status: StatusCode, body: String, req: &HttpRequest) -> HttpResponse {
    use std::io::Write;
    let csp = (
        header::CONTENT_SECURITY_POLICY,
        survey_page::PAGE_CSP.as_str(),
    );
    if !accepts_gzip(req) {
        let mut res = html(status, body);
        if let Ok(v) = header::HeaderValue::from_str(csp.1) {
            res.headers_mut().insert(csp.0, v);
        }
        return res;
    }
    let mut enc = flate2::write::GzEncoder::new(
        Vec::with_capacity(body.len() / 3),
        flate2::Compression::best(),
    );
    match enc.write_all(body.as_bytes()).and_then(|()| enc.finish()) {
        Ok(bytes) => HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .insert_header((header::CONTENT_ENCODING, "gzip"))
            .insert_header((header::VARY, "Accept-Encoding"))
            .insert_header(csp)
            .body(bytes),
        Err(_) => html(status, body),
    }
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

fn refusal_page(r: &Refusal) -> Result<HttpResponse, ApiError> {
    let (heading, body, en) = r.page();
    message(r.status(), &heading, &body, &en)
}

#[derive(Deserialize)]
pub struct PageQuery {
    t: Option<String>,
    lang: Option<String>,
}

/// `?lang=` wins; otherwise, for a questionnaire with English texts, the browser's
/// preferred language; Chinese by default.
pub fn choose_lang(explicit: Option<&str>, req: &HttpRequest, translated: bool) -> Lang {
    if let Some(l) = explicit.and_then(Lang::parse) {
        return l;
    }
    if !translated {
        return Lang::Zh;
    }
    let accept = req
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mut best: Option<(f32, Lang)> = None;
    for part in accept.split(',') {
        let mut bits = part.trim().split(';');
        let tag = bits.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = bits
            .find_map(|b| {
                b.trim()
                    .strip_prefix("q=")
                    .and_then(|v| v.parse::<f32>().ok())
            })
            .unwrap_or(1.0);
        let lang = if tag.starts_with("zh") {
            Lang::Zh
        } else if tag.starts_with("en") {
            Lang::En
        } else {
            continue;
        };
        if best.is_none_or(|(bq, _)| q > bq) {
            best = Some((q, lang));
        }
    }
    best.map_or(Lang::Zh, |(_, l)| l)
}

async fn find(state: &AppState, slug: &str) -> Result<Option<Arc<StoredSurvey>>, ApiError> {
    Ok(state.surveys.current(&state.db, slug).await?)
}

fn not_found() -> Result<HttpResponse, ApiError> {
    message(
        StatusCode::NOT_FOUND,
        "找不到这份问卷",
        "请检查链接是否完整，或联系发放问卷的老师。",
        "This questionnaire does not exist. Check the link.",
    )
}

/// Saved answers as form values (lists as repeated values, rankings as rank fields).
fn values_from_answers(
    survey: &Survey,
    answers: &serde_json::Map<String, serde_json::Value>,
) -> FormValues {
    let mut values = FormValues::new();
    for (k, v) in answers {
        let ranking = survey
            .question(k)
            .is_some_and(|q| matches!(q.kind, QuestionKind::Ranking { .. }));
        match v {
            serde_json::Value::Array(items) if ranking => {
                for (i, code) in items.iter().enumerate() {
                    if let Some(c) = code.as_str() {
                        values.insert(format!("{k}/{c}"), vec![(i + 1).to_string()]);
                    }
                }
            }
            serde_json::Value::Array(items) => {
                values.insert(
                    k.clone(),
                    items
                        .iter()
                        .filter_map(|i| i.as_str().map(str::to_string))
                        .collect(),
                );
            }
            serde_json::Value::String(s) => {
                values.insert(k.clone(), vec![s.clone()]);
            }
            serde_json::Value::Number(n) => {
                values.insert(k.clone(), vec![n.to_string()]);
            }
            _ => {}
        }
    }
    values
}

/// An invitation's attributes prefill the questions that record them.
fn prefill(survey: &Survey, attributes: &BTreeMap<String, String>, values: &mut FormValues) {
    for q in survey.questions() {
        if let Some(v) = q.attribute.as_ref().and_then(|a| attributes.get(a)) {
            values
                .entry(q.id.clone())
                .or_insert_with(|| vec![v.clone()]);
        }
    }
}

pub async fn show(
    state: web::Data<AppState>,
    slug: web::Path<String>,
    query: web::Query<PageQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let Some(stored) = find(&state, &slug).await? else {
        return not_found();
    };
    let lang = choose_lang(
        query.lang.as_deref(),
        &req,
        stored.survey.title_en.is_some(),
    );
    if let Some(r) = respond::survey_state(&state.db, &stored).await? {
        return refusal_page(&r);
    }
    let token = query.t.as_deref().map(str::trim).filter(|t| !t.is_empty());
    if token.is_none() {
        // The open link: the same page for everyone but the id; served from the cache.
        let cached = state.pages.get_or_insert((stored.version_id, lang), || {
            let html = survey_page::render(
                &stored.survey,
                Stamp::Marker,
                &FormValues::new(),
                &[],
                &PageContext {
                    lang,
                    token: None,
                    fresh: true,
                },
            )
            .ok()?;
            super::page_cache::CachedPage::new(&html)
        });
        if let Some(p) = cached {
            let stamp = Stamp::fresh().html();
            let response = HttpResponse::build(StatusCode::OK)
                .content_type("text/html; charset=utf-8")
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .insert_header((
                    header::CONTENT_SECURITY_POLICY,
                    survey_page::PAGE_CSP.as_str(),
                ))
                .insert_header((header::VARY, "Accept-Encoding"))
                .take();
            let mut response = response;
            return Ok(if accepts_gzip(&req) {
                response
                    .insert_header((header::CONTENT_ENCODING, "gzip"))
                    .body(p.gzip(&stamp))
            } else {
                response.body(p.plain(&stamp))
            });
        }
    }
    let mut values = FormValues::new();
    let mut fresh = true;
    if let Some(token) = token {
        let inv = match respond::start(&state.db, &stored, token).await? {
            Ok(i) => i,
            Err(r) => return refusal_page(&r),
        };
        if let Some(partial) = &inv.partial {
            values = values_from_answers(&stored.survey, partial);
            fresh = false;
        }
        prefill(&stored.survey, &inv.attributes, &mut values);
    }
    let body = survey_page::render(
        &stored.survey,
        Stamp::fresh(),
        &values,
        &[],
        &PageContext { lang, token, fresh },
    )?;
    Ok(page(StatusCode::OK, body, &req))
}

pub async fn submit(
    state: web::Data<AppState>,
    slug: web::Path<String>,
    form: web::Form<Vec<(String, String)>>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    state.admit_submission(&req)?;
    let Some(stored) = find(&state, &slug).await? else {
        return not_found();
    };
    let mut values = FormValues::new();
    let (mut raw_id, mut token, mut lang, mut served) = (None, None, None, None);
    for (k, v) in form.into_inner() {
        match k.as_str() {
            "response_id" => raw_id = Some(v),
            "served" => served = Some(v),
            "t" => token = Some(v.trim().to_string()).filter(|t| !t.is_empty()),
            "lang" => lang = Some(v),
            _ => values.entry(k).or_default().push(v),
        }
    }
    let lang = choose_lang(lang.as_deref(), &req, stored.survey.title_en.is_some());
    // A retry of a stored response (a double tap, a resend after a lost reply) gets the
    // thanks page whatever the survey's state since; the checks are for new responses.
    let sent_id = raw_id
        .as_deref()
        .and_then(|s| Uuid::parse_str(s.trim()).ok());
    let mut retry = respond::Retry::of(sent_id);
    if let Some(r) = respond::refuse_new(&state.db, &stored, &mut retry).await? {
        return refusal_page(&r);
    }
    let mut prefilled = serde_json::Map::new();
    let mut issued = BTreeMap::new();
    if let Some(t) = &token {
        match respond::open_invitation(&state.db, &stored, t).await? {
            Ok(inv) => {
                for (k, v) in &inv.attributes {
                    prefilled.insert(k.clone(), serde_json::Value::String(v.clone()));
                }
                issued = inv.attributes;
            }
            // A double tap after success lands here: the same response is already
            // stored, so show the thanks page rather than an error.
            Err(Refusal::TokenUsed) if retry.is_stored(&state.db).await? => {
                return thanks_redirect(&stored.survey.slug, lang);
            }
            Err(r) => return refusal_page(&r),
        }
    }
    // A missing or mangled id gets a fresh one: the respondent must not lose answers.
    let response_id = sent_id.unwrap_or_else(Uuid::new_v4);
    let raw = survey_page::form_answers(&stored.survey, &values);
    let now = chrono::Utc::now().timestamp();
    let served = served.and_then(|s| s.trim().parse::<i64>().ok());
    let paradata = served
        .map_or_else(Paradata::default, |s| Paradata::from_served(s, now))
        .from_client(state.client_hash(&req));
    let parsed = NewResponse::parse(&stored.survey, response_id, &raw, &prefilled).and_then(|r| {
        r.agrees_with_invitation(&stored.survey, &issued)
            .map(|()| r.with_paradata(paradata))
    });
    let response = match parsed {
        Ok(r) => r,
        Err(errors) => {
            let body = survey_page::render(
                &stored.survey,
                Stamp::Request {
                    id: response_id,
                    // The first serving counts: the time spent correcting is answering.
                    served: served.unwrap_or(now),
                },
                &values,
                &errors,
                &PageContext {
                    lang,
                    token: token.as_deref(),
                    fresh: false,
                },
            )?;
            return Ok(page(StatusCode::UNPROCESSABLE_ENTITY, body, &req));
        }
    };
    if let Some(r) =
        respond::refuse_over_quota(&state.db, &stored, &response.attributes, &mut retry).await?
    {
        return refusal_page(&r);
    }
    let slug = stored.survey.slug.clone();
    let outcome =
        match state.ingest.submit(stored, response, token.clone()).await {
            Ok(o) => o,
            Err(IngestError::Busy) => return message(
                StatusCode::SERVICE_UNAVAILABLE,
                "服务器繁忙，答卷尚未保存",
                "请返回上一页，稍等片刻后再点一次“提交问卷”。",
                "The server is busy; nothing was saved yet. Go back and submit again in a moment.",
            ),
            Err(IngestError::Store(e)) if e.is_unavailable() => return message(
                StatusCode::SERVICE_UNAVAILABLE,
                "暂时无法保存，答卷尚未保存",
                "请返回上一页，稍等片刻后再点一次“提交问卷”，已填写的内容不会丢失。",
                "The database is unavailable for a moment; nothing was saved yet. Go back and submit again shortly.",
            ),
            Err(IngestError::Store(e)) => return Err(e.into()),
        };
    match outcome {
        InsertOutcome::Created(_) | InsertOutcome::Replayed(_) => thanks_redirect(&slug, lang),
        InsertOutcome::Conflict => message(
            StatusCode::CONFLICT,
            "这份问卷已经提交过了",
            "同一份答卷只能提交一次。如需重新填写，请重新打开问卷链接。",
            "This response was already submitted.",
        ),
        InsertOutcome::TokenUsed => refusal_page(&Refusal::TokenUsed),
        InsertOutcome::TokenUnknown => refusal_page(&Refusal::UnknownToken),
        InsertOutcome::Full => refusal_page(&Refusal::Full),
        InsertOutcome::QuotaFull { attribute, value } => {
            refusal_page(&Refusal::QuotaFull { attribute, value })
        }
    }
}

fn thanks_redirect(slug: &str, lang: Lang) -> Result<HttpResponse, ApiError> {
    let suffix = if lang == Lang::En { "?lang=en" } else { "" };
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("/s/{slug}/thanks{suffix}")))
        .finish())
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

#[derive(Deserialize)]
pub struct PartialBody {
    token: String,
    answers: serde_json::Map<String, serde_json::Value>,
}

/// Answers saved as an invited respondent goes (resumed from the invitation link).
#[utoipa::path(put, path = "/api/v1/surveys/{slug}/partial", tag = "respondents",
    params(("slug" = String, Path, description = "Questionnaire slug", example = "pingshun-2025-students")),
    request_body(content = crate::web::openapi::PartialSave, content_type = "application/json"),
    responses(
        (status = 204, description = "Saved"),
        (status = 400, description = "Not JSON", body = crate::web::openapi::ErrorBody),
        (status = 403, description = "Invitation unknown or already used", body = crate::web::openapi::ErrorBody),
        (status = 404, description = "Unknown campaign, questionnaire or format (`not_found`)", body = crate::web::openapi::ErrorBody),
        (status = 413, description = "Body over the size limit", body = crate::web::openapi::ErrorBody),
        (status = 422, description = "Wrong shape", body = crate::web::openapi::ErrorBody),
        crate::web::openapi::Overloaded,
    ))]
pub async fn save_partial(
    state: web::Data<AppState>,
    slug: web::Path<String>,
    body: super::json_body::JsonBody<PartialBody>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    state.admit_submission(&req)?;
    let Some(stored) = find(&state, &slug).await? else {
        return Err(ApiError::NotFound {
            what: "survey",
            key: slug.into_inner(),
        });
    };
    match respond::save_partial(&state.db, &stored, &body.token, &body.answers).await? {
        Ok(()) => Ok(HttpResponse::NoContent().finish()),
        Err(r) => Err(r.api_error()),
    }
}
