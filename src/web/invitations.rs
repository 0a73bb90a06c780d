//! Evaluator endpoints for distribution: invitation batches (JSON, or a printable sheet
//! with one QR code per token), QR codes of the open link and of one invitation, a
//! notice-board poster, and response rates (invited, started, completed).

use std::collections::BTreeMap;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::{Deserialize, Serialize};

use super::auth::Evaluator;
use super::AppState;
use crate::app::{self, invite};
use crate::domain::ErrorCode;
use crate::error::ApiError;
use crate::qr;
use crate::store::surveys::StoredSurvey;

/// The address respondents use: `CHORUS_PUBLIC_URL`, else the request's own.
pub fn base_url(state: &AppState, req: &HttpRequest) -> String {
    match &state.public_url {
        Some(u) => u.trim_end_matches('/').to_string(),
        None => {
            let info = req.connection_info();
            format!("{}://{}", info.scheme(), info.host())
        }
    }
}

async fn survey(state: &AppState, slug: &str) -> Result<StoredSurvey, ApiError> {
    app::campaigns::survey(&state.db, slug)
        .await?
        .ok_or_else(|| ApiError::NotFound {
            what: "questionnaire",
            key: slug.to_string(),
        })
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct CreateBody {
    /// How many invitations, 1–5,000.
    #[schema(minimum = 1, maximum = 5000)]
    count: usize,
    /// Prefilled respondent attributes (school, sector ...) the questionnaire declares.
    #[serde(default)]
    attributes: BTreeMap<String, String>,
    /// A name for the batch (default: the time of issue).
    batch: Option<String>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FormatQuery {
    /// `html` for a printable sheet with one QR code per invitation; JSON otherwise.
    #[param(pattern = "^(html|json)$")]
    format: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CreatedItem {
    token: String,
    url: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Created {
    survey: String,
    batch: String,
    count: usize,
    attributes: BTreeMap<String, String>,
    invitations: Vec<CreatedItem>,
}

struct Card {
    qr: String,
    code: String,
    link: String,
}

#[derive(Template)]
#[template(path = "invitations.html")]
struct Sheet<'a> {
    title: &'a str,
    subtitle: String,
    poster: bool,
    cards: Vec<Card>,
}

/// The printable sheet: one card with a QR code per link.
pub fn sheet_html(
    title: &str,
    subtitle: String,
    links: &[(String, String)],
    poster: bool,
) -> Result<String, ApiError> {
    let cards = links
        .iter()
        .map(|(code, link)| {
            Ok(Card {
                qr: qr::svg(link, 160).map_err(ApiError::unexpected)?,
                code: code.clone(),
                link: link.clone(),
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    Sheet {
        title,
        subtitle,
        poster,
        cards,
    }
    .render()
    .map_err(ApiError::unexpected)
}

fn describe(attributes: &BTreeMap<String, String>) -> String {
    attributes
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("，")
}

/// Issues a batch for questionnaire `slug` (the API and the workspace form alike).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn issue_batch(
    state: &AppState,
    req: &HttpRequest,
    slug: &str,
    count: usize,
    attributes: &BTreeMap<String, String>,
    batch: Option<String>,
    actor: invite::Actor<'_>,
) -> Result<(StoredSurvey, invite::Issued), ApiError> {
    let stored = survey(state, slug).await?;
    let issued = invite::issue(
        &state.db,
        &stored,
        count,
        attributes,
        batch,
        &base_url(state, req),
        actor,
    )
    .await
    .map_err(|e| match e {
        invite::InviteError::Invalid(p) => ApiError::Invalid {
            code: ErrorCode::InvalidInvitation,
            field: Some(p.field),
            message: p.message,
        },
        invite::InviteError::Store(e) => e.into(),
    })?;
    Ok((stored, issued))
}

/// The printable QR sheet of a batch just issued (201, never cached).
pub(crate) async fn sheet_response(
    stored: &StoredSurvey,
    issued: invite::Issued,
) -> Result<HttpResponse, ApiError> {
    let invite::Issued {
        batch,
        attributes,
        links,
    } = issued;
    let subtitle = format!(
        "批次 {batch} · {} 份邀请 · 每个二维码只能提交一次{}",
        links.len(),
        if attributes.is_empty() {
            String::new()
        } else {
            format!(" · {}", describe(&attributes))
        }
    );
    // Thousands of QR codes: rendered on the blocking pool, not an HTTP worker.
    let title = stored.survey.title.clone();
    let page = web::block(move || sheet_html(&title, subtitle, &links, false))
        .await
        .map_err(ApiError::unexpected)??;
    Ok(HttpResponse::Created()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(page))
}

/// Issues a batch of single-use invitation links (admin).
#[utoipa::path(post, path = "/api/v1/surveys/{slug}/invitations", tag = "admin", security(("bearer" = [])),
    params(("slug" = String, Path, description = "Questionnaire slug", example = "pingshun-2025-students"), FormatQuery),
    request_body(content = CreateBody, content_type = "application/json"),
    responses(
        (status = 201, description = "Issued", content(
            (Created = "application/json"),
            (String = "text/html"),
        )),
        (status = 400, description = "Not JSON", body = crate::web::openapi::ErrorBody),
        crate::web::openapi::Denied, (status = 404, description = "Unknown campaign, questionnaire or format (`not_found`)", body = crate::web::openapi::ErrorBody), (status = 422, description = "A parameter is invalid; `field` names it", body = crate::web::openapi::ErrorBody), crate::web::openapi::Overloaded,
    ))]
pub async fn create(
    ev: Evaluator,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    query: web::Query<FormatQuery>,
    body: super::json_body::JsonBody<CreateBody>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    ev.require_admin()?;
    let html = match query.format.as_deref() {
        None | Some("json") => false,
        Some("html") => true,
        Some(other) => {
            return Err(ApiError::Invalid {
                code: ErrorCode::InvalidFormat,
                field: Some("format".into()),
                message: format!("format {other:?} is not known; use json (default) or html"),
            })
        }
    };
    let (stored, issued) = issue_batch(
        &state,
        &req,
        &slug,
        body.count,
        &body.attributes,
        body.batch.clone(),
        invite::Actor {
            name: &ev.actor,
            ip: ev.ip,
        },
    )
    .await?;
    if html {
        return sheet_response(&stored, issued).await;
    }
    let invite::Issued {
        batch,
        attributes,
        links,
    } = issued;
    let tokens = links.len();
    Ok(HttpResponse::Created()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(Created {
            survey: stored.survey.slug.clone(),
            batch,
            count: tokens,
            attributes,
            invitations: links
                .into_iter()
                .map(|(token, url)| CreatedItem { token, url })
                .collect(),
        }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QrQuery {
    /// An invitation code: the QR code of that personal link instead of the open one.
    t: Option<String>,
}

/// `qr.svg` / `qr.png` of the open link, or of one invitation with `?t=`.
#[utoipa::path(get, path = "/api/v1/surveys/{slug}/qr.{format}", tag = "admin", security(("bearer" = [])),
    params(
        ("slug" = String, Path, description = "Questionnaire slug", example = "pingshun-2025-students"),
        ("format" = String, Path, description = "`svg` or `png`", pattern = "^(svg|png)$", example = "svg"),
        QrQuery,
    ),
    responses(
        (status = 200, description = "The QR code", content(
            (String = "image/svg+xml"),
            (Vec<u8> = "image/png"),
        )),
        crate::web::openapi::Denied, (status = 404, description = "Unknown campaign, questionnaire or format (`not_found`)", body = crate::web::openapi::ErrorBody), crate::web::openapi::Overloaded,
    ))]
pub async fn qr_code(
    ev: Evaluator,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    query: web::Query<QrQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    ev.require_admin()?;
    let (slug, format) = path.into_inner();
    let stored = survey(&state, &slug).await?;
    // The invitation code itself never goes into the audit log.
    ev.audit(
        &state,
        "qr.render",
        &stored.survey.slug,
        serde_json::json!({"format": format, "personal": query.t.is_some()}),
    )
    .await?;
    if let Some(t) = &query.t {
        if app::respond::invitation(&state.db, &stored, t)
            .await?
            .is_none()
        {
            return Err(ApiError::NotFound {
                what: "invitation",
                key: t.clone(),
            });
        }
    }
    let link = invite::survey_link(
        &base_url(&state, &req),
        &stored.survey.slug,
        query.t.as_deref(),
    );
    match format.as_str() {
        "svg" => Ok(HttpResponse::Ok()
            .content_type("image/svg+xml")
            .body(qr::svg(&link, 300).map_err(ApiError::unexpected)?)),
        "png" => Ok(HttpResponse::Ok()
            .content_type("image/png")
            .body(qr::png(&link, 8).map_err(ApiError::unexpected)?)),
        other => Err(ApiError::NotFound {
            what: "QR format (use svg or png)",
            key: other.to_string(),
        }),
    }
}

/// A notice-board poster with one large QR code of the open link.
#[utoipa::path(get, path = "/api/v1/surveys/{slug}/poster", tag = "admin", security(("bearer" = [])),
    params(("slug" = String, Path, description = "Questionnaire slug", example = "pingshun-2025-students")),
    responses(
        (status = 200, description = "A printable page", body = String, content_type = "text/html"),
        crate::web::openapi::Denied, (status = 404, description = "Unknown campaign, questionnaire or format (`not_found`)", body = crate::web::openapi::ErrorBody), crate::web::openapi::Overloaded,
    ))]
pub async fn poster(
    ev: Evaluator,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    ev.require_admin()?;
    let stored = survey(&state, &slug).await?;
    ev.audit(
        &state,
        "poster.render",
        &stored.survey.slug,
        serde_json::json!({}),
    )
    .await?;
    let link = invite::survey_link(&base_url(&state, &req), &stored.survey.slug, None);
    let page = sheet_html(
        &stored.survey.title,
        "公开链接 · open link".into(),
        &[(String::new(), link)],
        true,
    )?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(page))
}

/// Response rates per questionnaire and per prefilled attribute value.
#[utoipa::path(get, path = "/api/v1/campaigns/{campaign}/participation", tag = "admin", security(("bearer" = [])),
    params(("campaign" = String, Path, description = "Campaign key", example = "pingshun-2025")),
    responses(
        (status = 200, description = "Rates", body = app::campaigns::Participation),
        crate::web::openapi::Denied, (status = 404, description = "Unknown campaign, questionnaire or format (`not_found`)", body = crate::web::openapi::ErrorBody), crate::web::openapi::Overloaded,
    ))]
pub async fn participation(
    ev: Evaluator,
    state: web::Data<AppState>,
    campaign: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    ev.require_admin()?;
    let Some(p) = app::campaigns::participation(&state.db, &campaign).await? else {
        return Err(ApiError::NotFound {
            what: "campaign",
            key: campaign.into_inner(),
        });
    };
    ev.audit(
        &state,
        "participation.view",
        &p.campaign,
        serde_json::json!({}),
    )
    .await?;
    Ok(HttpResponse::Ok().json(p))
}
