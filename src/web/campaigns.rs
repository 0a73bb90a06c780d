//! Evaluator API: campaigns, scores, raw data and the report. Every route requires
//! the evaluator token.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use serde::Serialize;

use super::auth::Evaluator;
use super::AppState;
use crate::app;
use crate::domain::ErrorCode;
use crate::error::ApiError;

#[derive(Serialize, utoipa::ToSchema)]
pub struct CampaignList {
    campaigns: Vec<CampaignItem>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CampaignItem {
    key: String,
    title: String,
    responses: u64,
    surveys: Vec<SurveyItem>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SurveyItem {
    slug: String,
    audience: String,
    title: String,
    version: i32,
    url: String,
}

/// Campaigns with their questionnaires and response counts.
#[utoipa::path(get, path = "/api/v1/campaigns", tag = "evaluators", security(("bearer" = [])),
    responses(
        (status = 200, description = "Campaigns", body = CampaignList),
        (status = 401, description = "No valid token (`unauthorized`) or too many wrong ones (429)", body = crate::web::openapi::ErrorBody), crate::web::openapi::Overloaded,
    ))]
pub async fn list(ev: Evaluator, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    // A school's token counts its own school's responses only.
    let filters = ev.scope_filters(Vec::new())?;
    ev.audit(&state, "campaigns.list", "", serde_json::json!({}))
        .await?;
    let mut items = Vec::new();
    for (c, responses) in app::campaigns::with_counts_matching(&state.db, &filters).await? {
        items.push(CampaignItem {
            responses,
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
    Ok(HttpResponse::Ok().json(CampaignList { campaigns: items }))
}

/// `/scores`: the indicator rows of the published analysis (the same cells, through
/// the same disclosure gate, as `/analysis` and the report).
#[derive(Serialize)]
pub struct PublishedScores {
    campaign: String,
    responses: std::collections::BTreeMap<crate::domain::Audience, u64>,
    group_weights: std::collections::BTreeMap<crate::domain::Audience, f64>,
    composite: crate::analysis::evaluation::IndicatorRow,
    indicators: Vec<crate::analysis::evaluation::IndicatorRow>,
}

async fn load_analysis(
    state: &AppState,
    key: String,
    filters: &[(String, String)],
    texts: bool,
) -> Result<crate::analysis::evaluation::Analysis, ApiError> {
    app::analyse::load_and_analyse(&state.db, &state.summaries, &key, filters, texts)
        .await
        .map_err(ApiError::unexpected)?
        .map(|a| a.analysis)
        .ok_or(ApiError::NotFound {
            what: "campaign",
            key,
        })
}

/// The campaign and the view's filters (within the token's scope, publishable), with the
/// read recorded as `action`.
async fn audited_view(
    ev: &Evaluator,
    state: &AppState,
    key: web::Path<String>,
    query: &crate::web::reports::FilterQuery,
    action: &str,
) -> Result<(String, Vec<(String, String)>), ApiError> {
    let key = key.into_inner();
    let filters = query.scoped(ev)?;
    let listed: Vec<String> = filters.iter().map(|(k, v)| format!("{k}={v}")).collect();
    ev.audit(state, action, &key, serde_json::json!({"filters": listed}))
        .await?;
    Ok((key, filters))
}

/// Indicator scores (0–100) per stakeholder group, with n, SD and 95% CI, of the whole
/// campaign or of the view the filters give (`?sector=herbs`, at most two filters).
#[utoipa::path(get, path = "/api/v1/campaigns/{campaign}/scores", tag = "evaluators", security(("bearer" = [])),
    params(("campaign" = String, Path, description = "Campaign key, e.g. pingshun-2025", example = "pingshun-2025"), crate::web::reports::FilterQuery),
    responses(
        (status = 200, description = "Scores", body = Object),
        (status = 401, description = "No valid token (`unauthorized`) or too many wrong ones (429)", body = crate::web::openapi::ErrorBody), (status = 403, description = "The token's role or school does not allow this (`forbidden`)", body = crate::web::openapi::ErrorBody), (status = 404, description = "Unknown campaign, questionnaire or format (`not_found`)", body = crate::web::openapi::ErrorBody), (status = 422, description = "A filter is invalid or the view cannot be published (`invalid_filter`, `too_many_filters`); `field` names it", body = crate::web::openapi::ErrorBody), crate::web::openapi::Overloaded,
    ))]
pub async fn scores(
    ev: Evaluator,
    state: web::Data<AppState>,
    key: web::Path<String>,
    query: web::Query<crate::web::reports::FilterQuery>,
) -> Result<HttpResponse, ApiError> {
    let (key, filters) = audited_view(&ev, &state, key, &query, "scores.view").await?;
    let a = load_analysis(&state, key, &filters, false).await?;
    Ok(HttpResponse::Ok().json(PublishedScores {
        campaign: a.campaign,
        responses: a.responses,
        group_weights: a.group_weights,
        composite: a.composite,
        indicators: a.indicators,
    }))
}

/// The full analysis: scores, breakdowns, reliability, gaps, item statistics, IPA, and
/// the results of the questions not scored into an indicator (`questions`), of the
/// whole campaign or of the view the filters give; every number passes the same
/// disclosure gate as the report of that view.
#[utoipa::path(get, path = "/api/v1/campaigns/{campaign}/analysis", tag = "evaluators", security(("bearer" = [])),
    params(("campaign" = String, Path, description = "Campaign key", example = "pingshun-2025"), crate::web::reports::FilterQuery),
    responses(
        (status = 200, description = "The analysis: scores, breakdowns, items, reliability, quality, weighting, and `text` (the open answers per group: terms, themes, distinctive terms, quotes; redacted and gated)", body = Object),
        (status = 401, description = "No valid token (`unauthorized`) or too many wrong ones (429)", body = crate::web::openapi::ErrorBody), (status = 403, description = "The token's role or school does not allow this (`forbidden`)", body = crate::web::openapi::ErrorBody), (status = 404, description = "Unknown campaign, questionnaire or format (`not_found`)", body = crate::web::openapi::ErrorBody), (status = 422, description = "A filter is invalid or the view cannot be published (`invalid_filter`, `too_many_filters`); `field` names it", body = crate::web::openapi::ErrorBody), crate::web::openapi::Overloaded,
    ))]
pub async fn analysis(
    ev: Evaluator,
    state: web::Data<AppState>,
    key: web::Path<String>,
    query: web::Query<crate::web::reports::FilterQuery>,
) -> Result<HttpResponse, ApiError> {
    let (key, filters) = audited_view(&ev, &state, key, &query, "analysis.view").await?;
    let analysis = load_analysis(&state, key, &filters, true).await?;
    Ok(HttpResponse::Ok().json(analysis))
}

/// Raw responses as CSV (UTF-8 with BOM), streamed. A body cut short (no final
/// chunk) means the export failed and must be discarded.
#[utoipa::path(get, path = "/api/v1/campaigns/{campaign}/responses.csv", tag = "evaluators", security(("bearer" = [])),
    params(("campaign" = String, Path, description = "Campaign key", example = "pingshun-2025")),
    responses(
        (status = 200, description = "One row per response", body = String, content_type = "text/csv"),
        (status = 401, description = "No valid token (`unauthorized`) or too many wrong ones (429)", body = crate::web::openapi::ErrorBody), (status = 403, description = "The token's role or school does not allow this (`forbidden`)", body = crate::web::openapi::ErrorBody), (status = 404, description = "Unknown campaign, questionnaire or format (`not_found`)", body = crate::web::openapi::ErrorBody), crate::web::openapi::Overloaded,
    ))]
pub async fn responses_csv(
    ev: Evaluator,
    state: web::Data<AppState>,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let key = key.into_inner();
    let meta = app::read::load_meta(&state.db, &key)
        .await
        .map_err(ApiError::unexpected)?
        .ok_or_else(|| ApiError::NotFound {
            what: "campaign",
            key: key.clone(),
        })?;
    let filters = ev.scope_filters(Vec::new())?;
    ev.audit(
        &state,
        "responses.export",
        &key,
        serde_json::json!({"format": "csv", "filters": filters.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>()}),
    )
    .await?;
    // Streamed: a million responses never sit in memory at once.
    let (tx, mut rx) = tokio::sync::mpsc::channel(4);
    let db = state.db.clone();
    let raw_text = ev.raw_text();
    actix_web::rt::spawn(async move {
        if let Err(e) = app::export::write_csv(&db, &meta, &filters, raw_text, tx).await {
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

#[derive(Serialize, utoipa::ToSchema)]
pub struct AuditList {
    entries: Vec<crate::store::audit::Entry>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TokenCreated {
    /// The bearer token; shown once, stored only as a SHA-256 hash.
    token: String,
    access: crate::store::access::Access,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TokenList {
    tokens: Vec<crate::store::access::Access>,
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// How many entries, 1–1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u64>,
}

/// The latest audit-log entries, newest first (`?limit=`, default 100, at most 1,000).
#[utoipa::path(get, path = "/api/v1/audit", tag = "admin", security(("bearer" = [])),
    params(AuditQuery),
    responses(
        (status = 200, description = "Entries, newest first", body = AuditList),
        (status = 401, description = "No valid token (`unauthorized`) or too many wrong ones (429)", body = crate::web::openapi::ErrorBody), (status = 403, description = "The token's role or school does not allow this (`forbidden`)", body = crate::web::openapi::ErrorBody), (status = 422, description = "A parameter is invalid; `field` names it", body = crate::web::openapi::ErrorBody), crate::web::openapi::Overloaded,
    ))]
pub async fn audit_log(
    ev: Evaluator,
    state: web::Data<AppState>,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, ApiError> {
    ev.require_admin()?;
    let limit = query.limit.unwrap_or(100);
    if !(1..=app::access::MAX_AUDIT_ENTRIES).contains(&limit) {
        return Err(ApiError::Invalid {
            code: ErrorCode::InvalidLimit,
            field: Some("limit".into()),
            message: format!("limit {limit} must be between 1 and 1000"),
        });
    }
    let entries = app::access::audit_trail(&state.db, limit).await?;
    Ok(HttpResponse::Ok().json(AuditList { entries }))
}

#[derive(serde::Deserialize, utoipa::ToSchema)]
pub struct NewToken {
    /// `admin` or `evaluator`.
    #[schema(pattern = "^(admin|evaluator)$")]
    role: String,
    /// Limits an evaluator to one school's data (the `school` attribute); not for admins.
    school: Option<String>,
    /// Who or which office holds the token, 1–100 characters.
    #[schema(min_length = 1, max_length = 100, pattern = "\\S")]
    label: String,
}

/// Issues a scoped token (admin only); the token is shown once.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "admin", security(("bearer" = [])),
    request_body(content = NewToken, content_type = "application/json"),
    responses(
        (status = 201, description = "Issued; the token is shown only here", body = TokenCreated),
        (status = 400, description = "Not JSON", body = crate::web::openapi::ErrorBody),
        (status = 401, description = "No valid token (`unauthorized`) or too many wrong ones (429)", body = crate::web::openapi::ErrorBody), (status = 403, description = "The token's role or school does not allow this (`forbidden`)", body = crate::web::openapi::ErrorBody), (status = 422, description = "A parameter is invalid; `field` names it", body = crate::web::openapi::ErrorBody), crate::web::openapi::Overloaded,
    ))]
pub async fn create_token(
    ev: Evaluator,
    state: web::Data<AppState>,
    body: super::json_body::JsonBody<NewToken>,
) -> Result<HttpResponse, ApiError> {
    ev.require_admin()?;
    let body = body.into_inner();
    let grant = app::access::Grant::parse(&body.role, body.school.as_deref(), &body.label)
        .map_err(|e| ApiError::Invalid {
            code: e.code,
            field: Some(e.field.into()),
            message: e.message,
        })?;
    let (token, access) = app::access::issue(&state.db, &grant).await?;
    ev.audit(
        &state,
        "token.create",
        &grant.label,
        serde_json::json!({"id": access.id, "role": grant.role.as_str(), "school": grant.school}),
    )
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(TokenCreated { token, access }))
}

/// Issued tokens (never the tokens themselves), admin only.
#[utoipa::path(get, path = "/api/v1/tokens", tag = "admin", security(("bearer" = [])),
    responses(
        (status = 200, description = "Issued tokens", body = TokenList),
        (status = 401, description = "No valid token (`unauthorized`) or too many wrong ones (429)", body = crate::web::openapi::ErrorBody), (status = 403, description = "The token's role or school does not allow this (`forbidden`)", body = crate::web::openapi::ErrorBody), crate::web::openapi::Overloaded,
    ))]
pub async fn list_tokens(
    ev: Evaluator,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    ev.require_admin()?;
    ev.audit(&state, "token.list", "", serde_json::json!({}))
        .await?;
    let tokens = app::access::tokens(&state.db).await?;
    Ok(HttpResponse::Ok().json(TokenList { tokens }))
}

/// Revokes an issued token, admin only.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Token id from the list")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, description = "No valid token (`unauthorized`) or too many wrong ones (429)", body = crate::web::openapi::ErrorBody), (status = 403, description = "The token's role or school does not allow this (`forbidden`)", body = crate::web::openapi::ErrorBody),
        (status = 404, description = "No such token", body = crate::web::openapi::ErrorBody),
        crate::web::openapi::Overloaded,
    ))]
pub async fn revoke_token(
    ev: Evaluator,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    ev.require_admin()?;
    let id = id.into_inner();
    if !app::access::revoke(&state.db, id).await? {
        return Err(ApiError::NotFound {
            what: "token",
            key: id.to_string(),
        });
    }
    ev.audit(
        &state,
        "token.revoke",
        &id.to_string(),
        serde_json::json!({}),
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
