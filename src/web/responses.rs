//! Respondent JSON API: the published definition and idempotent response submission.

use actix_web::error::JsonPayloadError;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::{Map, Value};
use uuid::Uuid;
use validator::{Validate, ValidationError};

use super::AppState;
use crate::error::ApiError;
use crate::store::responses::{self, InsertOutcome};
use crate::store::surveys;

/// Most answers one response may carry (guards memory; questionnaires have < 200).
pub const MAX_ANSWERS: usize = 500;

/// The wire shape of a submission; `NewResponse::parse` turns it into a domain value.
#[derive(Debug, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct ResponsePayload {
    pub response_id: Uuid,
    #[validate(custom(function = "at_most_max_answers"))]
    pub answers: Map<String, Value>,
    #[serde(default)]
    pub attributes: Map<String, Value>,
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
        JsonPayloadError::Deserialize(e) if e.is_data() => {
            let msg = e.to_string();
            let field = ["response_id", "answers", "attributes"]
                .into_iter()
                .find(|f| msg.contains(&format!("`{f}`")))
                .map(str::to_string);
            ApiError::Invalid { code: "invalid_payload", field, message: msg }
        }
        JsonPayloadError::Deserialize(e) => ApiError::MalformedJson(e.to_string()),
        JsonPayloadError::ContentType => ApiError::MalformedJson("send Content-Type: application/json".into()),
        other => ApiError::MalformedJson(other.to_string()),
    };
    api.into()
}

pub async fn definition(state: web::Data<AppState>, slug: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let stored = surveys::current(&state.db, &slug)
        .await?
        .ok_or_else(|| ApiError::NotFound { what: "survey", key: slug.into_inner() })?;
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "slug": stored.survey.slug,
        "campaign": stored.campaign_key,
        "version": stored.version,
        "definition": stored.survey,
    })))
}

pub async fn create(
    state: web::Data<AppState>,
    slug: web::Path<String>,
    payload: web::Json<ResponsePayload>,
) -> Result<HttpResponse, ApiError> {
    let stored = surveys::current(&state.db, &slug)
        .await?
        .ok_or_else(|| ApiError::NotFound { what: "survey", key: slug.into_inner() })?;
    let payload = payload.into_inner();
    if payload.validate().is_err() {
        return Err(ApiError::Invalid {
            code: "too_many_answers",
            field: Some("answers".into()),
            message: format!("at most {MAX_ANSWERS} answers are accepted"),
        });
    }
    let response = crate::domain::NewResponse::parse(&stored.survey, payload.response_id, &payload.answers, &payload.attributes)
        .map_err(|errors| {
            let first = errors.into_iter().next();
            match first {
                Some(e) => ApiError::Invalid { code: e.code, field: Some(e.field), message: e.message },
                None => ApiError::unexpected(anyhow::anyhow!("validation failed without an error")),
            }
        })?;
    match responses::insert(&state.db, &stored, &response).await? {
        InsertOutcome::Created(receipt) => Ok(HttpResponse::Created().json(receipt)),
        InsertOutcome::Replayed(receipt) => Ok(HttpResponse::Ok().json(receipt)),
        InsertOutcome::Conflict => Err(ApiError::Conflict(response.id)),
    }
}
