//! Evaluator API: campaigns, scores, raw data and the report. Every route requires
//! the evaluator token.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use serde::Serialize;

use super::auth::Evaluator;
use super::AppState;
use crate::error::ApiError;
use crate::pipeline;
use crate::store::{campaigns, responses};

#[derive(Serialize)]
struct CampaignItem {
    key: String,
    title: String,
    responses: u64,
    surveys: Vec<SurveyItem>,
}

#[derive(Serialize)]
struct SurveyItem {
    slug: String,
    audience: String,
    title: String,
    version: i32,
    url: String,
}

pub async fn list(_: Evaluator, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let mut items = Vec::new();
    for c in campaigns::list(&state.db).await? {
        items.push(CampaignItem {
            responses: responses::count(&state.db, c.id).await?,
            key: c.info.key,
            title: c.info.title,
            surveys: c
                .surveys
                .into_iter()
                .map(|s| SurveyItem {
                    url: format!("/s/{}", s.survey.slug),
                    slug: s.survey.slug,
                    audience: s.survey.audience.as_str().into(),
                    title: s.survey.title,
                    version: s.version,
                })
                .collect(),
        });
    }
    Ok(HttpResponse::Ok().json(serde_json::json!({ "campaigns": items })))
}

async fn load_scored(
    state: &AppState,
    key: String,
) -> Result<(pipeline::CampaignMeta, crate::analysis::CampaignScores), ApiError> {
    pipeline::load_and_score(&state.db, &key)
        .await
        .map_err(ApiError::unexpected)?
        .ok_or(ApiError::NotFound {
            what: "campaign",
            key,
        })
}

pub async fn scores(
    _: Evaluator,
    state: web::Data<AppState>,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (_, scores) = load_scored(&state, key.into_inner()).await?;
    Ok(HttpResponse::Ok().json(scores))
}

pub async fn analysis(
    ev: Evaluator,
    state: web::Data<AppState>,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let key = key.into_inner();
    ev.audit(&state, "analysis.view", &key, serde_json::json!({}))
        .await?;
    let (_, analysis) = pipeline::load_and_analyse(&state.db, &key)
        .await
        .map_err(ApiError::unexpected)?
        .ok_or(ApiError::NotFound {
            what: "campaign",
            key,
        })?;
    Ok(HttpResponse::Ok().json(analysis))
}

pub async fn responses_csv(
    ev: Evaluator,
    state: web::Data<AppState>,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let key = key.into_inner();
    let meta = pipeline::load_meta(&state.db, &key)
        .await
        .map_err(ApiError::unexpected)?
        .ok_or_else(|| ApiError::NotFound {
            what: "campaign",
            key: key.clone(),
        })?;
    ev.audit(
        &state,
        "responses.export",
        &key,
        serde_json::json!({"format": "csv"}),
    )
    .await?;
    // Streamed: a million responses never sit in memory at once.
    let (tx, mut rx) = tokio::sync::mpsc::channel(4);
    let db = state.db.clone();
    actix_web::rt::spawn(async move {
        if let Err(e) = pipeline::write_csv(&db, &meta, tx).await {
            tracing::error!(error = %e, "raw-data export failed");
        }
    });
    let body = futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx));
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{key}-responses.csv\""),
        ))
        .streaming(body))
}

#[derive(serde::Deserialize)]
pub struct AuditQuery {
    limit: Option<u64>,
}

/// The latest audit-log entries, newest first (`?limit=`, default 100, at most 1,000).
pub async fn audit_log(
    _: Evaluator,
    state: web::Data<AppState>,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, ApiError> {
    let limit = query.limit.unwrap_or(100).clamp(1, 1000);
    let entries = crate::store::audit::latest(&state.db, limit).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "entries": entries })))
}
