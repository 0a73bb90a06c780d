//! Evaluator endpoints for XLSForm: upload a spreadsheet as a campaign's questionnaire
//! (written to `surveys/` and published), and download any questionnaire as XLSForm.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::auth::Evaluator;
use super::AppState;
use crate::app;
use crate::app::import::{self as importer, ImportError};
use crate::domain::Audience;
use crate::domain::ErrorCode;
use crate::error::ApiError;

/// Largest spreadsheet accepted (XLSForms are a few hundred KB at most).
pub const MAX_XLSFORM_BYTES: usize = 5 * 1024 * 1024;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// `students`, `teachers` or `enterprises`.
    #[param(pattern = "^(students|teachers|enterprises)$")]
    audience: String,
    /// Publish a new version over an existing questionnaire.
    #[serde(default)]
    replace: bool,
    /// The questionnaire's slug (default: from the form's settings).
    slug: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ImportBody {
    campaign: String,
    slug: String,
    version: i32,
    created_campaign: bool,
    questions: usize,
    file: String,
    notes: Vec<String>,
}

fn rejected(status: StatusCode, code: ErrorCode, e: &ImportError) -> ApiError {
    ApiError::Rejected {
        status,
        code,
        message: e.to_string(),
        problems: e.lines(),
    }
}

/// Imports an XLSForm (.xlsx body) as a questionnaire of the campaign (admin).
#[utoipa::path(post, path = "/api/v1/campaigns/{campaign}/xlsform", tag = "admin", security(("bearer" = [])),
    params(("campaign" = String, Path, description = "Campaign key (created if new)", example = "pingshun-2025"), ImportQuery),
    request_body(description = "The .xlsx file's bytes (any Content-Type)", content(
        (Vec<u8> = "application/octet-stream"),
        (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    )),
    responses(
        (status = 201, description = "Published", body = ImportBody),
        crate::web::openapi::Denied,
        (status = 409, description = "The questionnaire exists; pass replace=true", body = crate::web::openapi::ErrorBody),
        (status = 413, description = "Over 5 MiB", body = crate::web::openapi::ErrorBody),
        (status = 422, description = "Not a valid XLSForm; `problems` lists sheet, row and column of each", body = crate::web::openapi::ErrorBody),
        crate::web::openapi::Overloaded,
    ))]
pub async fn import(
    ev: Evaluator,
    state: web::Data<AppState>,
    campaign: web::Path<String>,
    query: web::Query<ImportQuery>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    ev.require_admin()?;
    let audience = Audience::parse(&query.audience).ok_or_else(|| ApiError::Invalid {
        code: ErrorCode::InvalidAudience,
        field: Some("audience".into()),
        message: format!(
            "audience {:?} is not known; use students, teachers or enterprises",
            query.audience
        ),
    })?;
    if body.len() > MAX_XLSFORM_BYTES {
        return Err(ApiError::TooLarge {
            limit: MAX_XLSFORM_BYTES,
        });
    }
    if body.is_empty() {
        return Err(ApiError::Invalid {
            code: ErrorCode::EmptyBody,
            field: Some("body".into()),
            message: "send the .xlsx file as the request body".into(),
        });
    }
    let _guard = state.import_lock.lock().await;
    let dir = state.surveys_dir.as_ref().clone();
    let key = campaign.into_inner();
    let (replace, slug) = (query.replace, query.slug.clone());
    let k = key.clone();
    let outcome = web::block(move || {
        importer::import_into(&dir, &k, audience, &body, slug.as_deref(), replace)
    })
    .await
    .map_err(ApiError::unexpected)?;
    let outcome = match outcome {
        Ok(o) => o,
        Err(e @ ImportError::Exists { .. }) => {
            return Err(rejected(
                StatusCode::CONFLICT,
                ErrorCode::QuestionnaireExists,
                &e,
            ))
        }
        Err(e @ ImportError::Io { .. }) => return Err(ApiError::unexpected(e)),
        Err(e) => {
            return Err(rejected(
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::InvalidXlsform,
                &e,
            ))
        }
    };
    let origin = app::publish::Origin {
        actor: &ev.actor,
        detail: serde_json::Map::from_iter([
            ("source".to_string(), serde_json::Value::from("xlsform")),
            (
                "replace".to_string(),
                serde_json::Value::from(query.replace),
            ),
        ]),
        ip: ev.ip,
    };
    let published = app::publish::publish_import(&state.db, &outcome, &origin).await;
    // Whatever the audit entry's fate, a stored version must be seen at once.
    state.surveys.clear();
    let published = published?;
    let Some(survey) = outcome
        .campaign
        .surveys
        .iter()
        .find(|s| s.audience == audience)
    else {
        return Err(ApiError::unexpected(anyhow::anyhow!(
            "imported questionnaire missing after load"
        )));
    };
    let version = published
        .iter()
        .find(|p| p.slug == survey.slug)
        .map_or(0, |p| p.version);
    Ok(HttpResponse::Created().json(ImportBody {
        campaign: key,
        slug: survey.slug.clone(),
        version,
        created_campaign: outcome.created_campaign,
        questions: survey.answer_keys().len(),
        file: outcome.file.display().to_string(),
        notes: outcome.notes,
    }))
}

/// The questionnaire as an XLSForm.
#[utoipa::path(get, path = "/api/v1/surveys/{slug}/xlsform", tag = "evaluators", security(("bearer" = [])),
    params(("slug" = String, Path, description = "Questionnaire slug", example = "pingshun-2025-students")),
    responses(
        (status = 200, description = "XLSForm workbook", body = Vec<u8>, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 401, description = "No valid token (`unauthorized`)", body = crate::web::openapi::ErrorBody), (status = 404, description = "Unknown campaign, questionnaire or format (`not_found`)", body = crate::web::openapi::ErrorBody), crate::web::openapi::Overloaded,
    ))]
pub async fn export(
    ev: Evaluator,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    ev.audit(&state, "xlsform.export", &slug, serde_json::json!({}))
        .await?;
    let Some(stored) = app::campaigns::survey(&state.db, &slug).await? else {
        return Err(ApiError::NotFound {
            what: "questionnaire",
            key: slug.into_inner(),
        });
    };
    let bytes = app::definitions::xlsform(&stored.survey).map_err(ApiError::unexpected)?;
    Ok(HttpResponse::Ok()
        .content_type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"{}-v{}.xlsx\"",
                stored.survey.slug, stored.version
            ),
        ))
        .body(bytes))
}
