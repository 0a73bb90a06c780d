//! Respondent JSON API: the published definition and idempotent response submission.

use actix_web::error::JsonPayloadError;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{Map, Value};
use uuid::Uuid;
use validator::{Validate, ValidationError};

use super::admission::Refusal;
use super::AppState;
use crate::app::respond;
use crate::domain::quality::{Paradata, ParadataError};
use crate::domain::ErrorCode;
use crate::error::ApiError;
use crate::store::responses::InsertOutcome;

/// Most answers one response may carry (guards memory; questionnaires have < 200).
pub const MAX_ANSWERS: usize = 500;

/// The wire shape of a submission; `NewResponse::parse` turns it into a domain value.
#[derive(Debug, Validate)]
pub struct ResponsePayload {
    pub response_id: Uuid,
    #[validate(custom(function = "at_most_max_answers"))]
    pub answers: Map<String, Value>,
    pub attributes: Map<String, Value>,
    /// An invitation token (`?t=` of the invitation link); answers once.
    pub token: Option<String>,
    /// How long answering took, as the page script measured it.
    pub paradata: Paradata,
}

impl ResponsePayload {
    /// Reads the payload field by field so every shape error names its field.
    pub fn from_value(v: Value) -> Result<Self, ApiError> {
        let invalid = |field: &str, message: String| ApiError::Invalid {
            code: ErrorCode::InvalidPayload,
            field: Some(field.to_string()),
            message,
        };
        let Value::Object(mut obj) = v else {
            return Err(invalid(
                "",
                "the body must be a JSON object with response_id and answers".into(),
            ));
        };
        if let Some(k) = obj.keys().find(|k| !FIELDS.contains(&k.as_str())) {
            return Err(invalid(
                k,
                format!("unknown field {k:?}; expected {}", FIELDS.join(", ")),
            ));
        }
        let token = match obj.remove("token") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if !s.trim().is_empty() && s.len() <= 64 => {
                Some(s.trim().to_string())
            }
            Some(_) => {
                return Err(invalid(
                    "token",
                    "token must be the invitation code from the link (a short string)".into(),
                ))
            }
        };
        let response_id = match obj.remove("response_id") {
            None => {
                return Err(invalid(
                    "response_id",
                    "missing field `response_id`: a UUID chosen by the client".into(),
                ))
            }
            Some(Value::String(s)) => Uuid::parse_str(s.trim()).map_err(|e| {
                invalid(
                    "response_id",
                    format!("response_id {s:?} is not a UUID: {e}"),
                )
            })?,
            Some(other) => {
                return Err(invalid(
                    "response_id",
                    format!("response_id must be a UUID string, got {other}"),
                ))
            }
        };
        let answers = match obj.remove("answers") {
            None => {
                return Err(invalid(
                    "answers",
                    "missing field `answers`: an object of question id -> answer".into(),
                ))
            }
            Some(Value::Object(m)) => m,
            Some(other) => {
                return Err(invalid(
                    "answers",
                    format!(
                        "answers must be an object of question id -> answer, got {}",
                        kind(&other)
                    ),
                ))
            }
        };
        let attributes = match obj.remove("attributes") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(m)) => m,
            Some(other) => {
                return Err(invalid(
                    "attributes",
                    format!(
                        "attributes must be an object of name -> text, got {}",
                        kind(&other)
                    ),
                ))
            }
        };
        let paradata =
            paradata(obj.remove("paradata")).map_err(|e| invalid(&e.field, e.message))?;
        Ok(Self {
            response_id,
            answers,
            attributes,
            token,
            paradata,
        })
    }
}

/// The fields a submission may have.
const FIELDS: [&str; 5] = ["response_id", "answers", "attributes", "token", "paradata"];

/// `{"duration_s": 312, "page_seconds": [40, 272]}`, both optional.
fn paradata(v: Option<Value>) -> Result<Paradata, ParadataError> {
    let shape = |field: &str, message: &str| ParadataError {
        field: field.to_string(),
        message: message.to_string(),
    };
    let mut obj = match v {
        None | Some(Value::Null) => return Ok(Paradata::default()),
        Some(Value::Object(m)) => m,
        Some(_) => return Err(shape(
            "paradata",
            "paradata must be an object like {\"duration_s\": 312, \"page_seconds\": [40, 272]}",
        )),
    };
    if let Some(k) = obj
        .keys()
        .find(|k| !["duration_s", "page_seconds"].contains(&k.as_str()))
    {
        return Err(shape(
            &format!("paradata.{k}"),
            "unknown field; expected duration_s and page_seconds",
        ));
    }
    let seconds = "a whole number of seconds";
    let duration = match obj.remove("duration_s") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => Some(
            n.as_u64()
                .ok_or_else(|| shape("paradata.duration_s", seconds))?,
        ),
        Some(_) => return Err(shape("paradata.duration_s", seconds)),
    };
    let pages = match obj.remove("page_seconds") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a
            .iter()
            .enumerate()
            .map(|(i, v)| {
                v.as_u64()
                    .ok_or_else(|| shape(&format!("paradata.page_seconds[{i}]"), seconds))
            })
            .collect::<Result<_, _>>()?,
        Some(_) => {
            return Err(shape(
                "paradata.page_seconds",
                "page_seconds must be a list of whole numbers of seconds, one per page",
            ))
        }
    };
    Paradata::parse(duration, &pages)
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn at_most_max_answers(m: &Map<String, Value>) -> Result<(), ValidationError> {
    if m.len() > MAX_ANSWERS {
        return Err(ValidationError::new("too_many_answers"));
    }
    Ok(())
}

/// Maps body errors to our codes: syntax -> 400, wrong shape -> 422, size -> 413.
pub fn json_error(err: JsonPayloadError, _req: &HttpRequest) -> actix_web::Error {
    let api = match &err {
        JsonPayloadError::Overflow { limit } => ApiError::TooLarge { limit: *limit },
        JsonPayloadError::OverflowKnownLength { limit, .. } => ApiError::TooLarge { limit: *limit },
        // Well-formed JSON of the wrong shape (a missing field, a wrong type) is 422.
        JsonPayloadError::Deserialize(e) if e.is_data() => ApiError::Invalid {
            code: ErrorCode::InvalidPayload,
            field: field_named_in(&e.to_string()),
            message: e.to_string(),
        },
        JsonPayloadError::Deserialize(e) => ApiError::MalformedJson(e.to_string()),
        JsonPayloadError::ContentType => {
            ApiError::MalformedJson("send Content-Type: application/json".into())
        }
        other => ApiError::MalformedJson(other.to_string()),
    };
    api.into()
}

/// The field serde names in a message such as "missing field `label`".
pub(crate) fn field_named_in(message: &str) -> Option<String> {
    message
        .split('`')
        .nth(1)
        .filter(|f| {
            f.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                && f.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
        .map(str::to_string)
}

/// A query string that does not parse: 422 naming the parameter when serde says which.
pub fn query_error(
    err: actix_web::error::QueryPayloadError,
    _req: &HttpRequest,
) -> actix_web::Error {
    let message = err.to_string();
    ApiError::Invalid {
        code: ErrorCode::InvalidQuery,
        field: field_named_in(&message),
        message: format!("the query string is invalid: {message}"),
    }
    .into()
}

/// A path segment of the wrong type (e.g. a token id that is not a number): 404.
pub fn path_error(err: actix_web::error::PathError, req: &HttpRequest) -> actix_web::Error {
    ApiError::NotFound {
        what: "resource",
        key: format!("{} ({err})", req.path()),
    }
    .into()
}

/// The published questionnaire (current version).
#[utoipa::path(get, path = "/api/v1/surveys/{slug}", tag = "respondents",
    params(("slug" = String, Path, description = "Questionnaire slug, e.g. pingshun-2025-students", example = "pingshun-2025-students")),
    responses(
        (status = 200, description = "The questionnaire", body = crate::web::openapi::SurveyDocument),
        (status = 404, description = "Unknown campaign, questionnaire or format (`not_found`)", body = crate::web::openapi::ErrorBody), (status = 503, description = "Database unavailable; nothing changed, retry after Retry-After", body = crate::web::openapi::ErrorBody),
    ))]
pub async fn definition(
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let stored = state
        .surveys
        .current(&state.db, &slug)
        .await?
        .ok_or_else(|| ApiError::NotFound {
            what: "survey",
            key: slug.into_inner(),
        })?;
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "slug": stored.survey.slug,
        "campaign": stored.campaign_key,
        "version": stored.version,
        "definition": stored.survey,
        "logic": stored.survey.logic(),
    })))
}

/// Submits one response. Acknowledged (200/201) means durably stored.
#[utoipa::path(post, path = "/api/v1/surveys/{slug}/responses", tag = "respondents",
    params(("slug" = String, Path, description = "Questionnaire slug", example = "pingshun-2025-students")),
    request_body(content = crate::web::openapi::Submission, content_type = "application/json"),
    responses(
        (status = 201, description = "Stored", body = crate::store::responses::Receipt),
        (status = 200, description = "The same response_id and answers were already stored", body = crate::store::responses::Receipt),
        (status = 400, description = "Not JSON (`malformed_json`)", body = crate::web::openapi::ErrorBody),
        (status = 403, description = "Survey closed, not yet open, or the invitation is used/unknown", body = crate::web::openapi::ErrorBody),
        (status = 404, description = "Unknown campaign, questionnaire or format (`not_found`)", body = crate::web::openapi::ErrorBody),
        (status = 409, description = "The response_id was stored with different answers", body = crate::web::openapi::ErrorBody),
        (status = 413, description = "Body over the size limit", body = crate::web::openapi::ErrorBody),
        (status = 422, description = "An answer or attribute is invalid; `field` names it", body = crate::web::openapi::ErrorBody),
        crate::web::openapi::Overloaded,
    ))]
pub async fn create(
    state: web::Data<AppState>,
    slug: web::Path<String>,
    payload: web::Json<Value>,
    req: actix_web::HttpRequest,
) -> Result<HttpResponse, ApiError> {
    state.admit_submission(&req)?;
    let stored = state
        .surveys
        .current(&state.db, &slug)
        .await?
        .ok_or_else(|| ApiError::NotFound {
            what: "survey",
            key: slug.into_inner(),
        })?;
    let payload = ResponsePayload::from_value(payload.into_inner())?;
    if payload.validate().is_err() {
        return Err(ApiError::Invalid {
            code: ErrorCode::TooManyAnswers,
            field: Some("answers".into()),
            message: format!("at most {MAX_ANSWERS} answers are accepted"),
        });
    }
    // A retry of a stored response is answered as a retry whatever the survey's state
    // since (closed, full, quota reached by this very response): the checks below are
    // for new responses only, and the writer tells a replay from a conflict.
    let mut retry = respond::Retry::of(Some(payload.response_id));
    if let Some(r) = respond::refuse_new(&state.db, &stored, &mut retry).await? {
        return Err(r.api_error());
    }
    let mut attributes = payload.attributes.clone();
    let mut issued = std::collections::BTreeMap::new();
    if let Some(token) = &payload.token {
        match respond::invitation(&state.db, &stored, token).await? {
            None => return Err(Refusal::UnknownToken.api_error()),
            // Invitation attributes are authoritative over client-sent ones.
            Some(inv) => {
                for (k, v) in &inv.attributes {
                    attributes.insert(k.clone(), Value::String(v.clone()));
                }
                issued = inv.attributes;
            }
        }
    }
    let first_error = |errors: Vec<crate::domain::AnswerError>| {
        let first = errors.into_iter().next();
        match first {
            Some(e) => ApiError::Invalid {
                code: e.code,
                field: Some(e.field),
                message: e.message,
            },
            None => ApiError::unexpected(anyhow::anyhow!("validation failed without an error")),
        }
    };
    let response = crate::domain::NewResponse::parse(
        &stored.survey,
        payload.response_id,
        &payload.answers,
        &attributes,
    )
    .map_err(first_error)?
    .with_paradata(
        payload
            .paradata
            .clone()
            .from_client(state.client_hash(&req)),
    );
    // ... and over the answers too (docs/security.md, "Invitations").
    response
        .agrees_with_invitation(&stored.survey, &issued)
        .map_err(first_error)?;
    if let Some(r) =
        respond::refuse_over_quota(&state.db, &stored, &response.attributes, &mut retry).await?
    {
        return Err(r.api_error());
    }
    let id = response.id;
    match state
        .ingest
        .submit(stored, response, payload.token.clone())
        .await?
    {
        InsertOutcome::Created(receipt) => Ok(HttpResponse::Created().json(receipt)),
        InsertOutcome::Replayed(receipt) => Ok(HttpResponse::Ok().json(receipt)),
        InsertOutcome::Conflict => Err(ApiError::Conflict(id)),
        InsertOutcome::TokenUsed => Err(Refusal::TokenUsed.api_error()),
        InsertOutcome::TokenUnknown => Err(Refusal::UnknownToken.api_error()),
        InsertOutcome::Full => Err(Refusal::Full.api_error()),
        InsertOutcome::QuotaFull { attribute, value } => {
            Err(Refusal::QuotaFull { attribute, value }.api_error())
        }
    }
}
