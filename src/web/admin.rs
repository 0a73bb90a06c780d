//! The evaluator page: log in with the token, see each campaign's response progress and
//! download the report in every format. The session is an HttpOnly, SameSite=Strict
//! cookie holding the token (verified against the stored hash on every request).

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::auth::{self, COOKIE};
use super::AppState;
use crate::error::ApiError;
use crate::store::{campaigns, responses};

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminPage {
    logged_in: bool,
    error: Option<String>,
    campaigns: Vec<CampaignView>,
}

struct CampaignView {
    key: String,
    title: String,
    total: u64,
    groups: Vec<(String, u64)>,
    surveys: Vec<(String, String)>,
    sectors: Vec<(String, String)>,
}

fn page(status: StatusCode, p: AdminPage) -> Result<HttpResponse, ApiError> {
    let body = p.render().map_err(ApiError::unexpected)?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body))
}

async fn is_logged_in(req: &HttpRequest, state: &AppState) -> bool {
    let Some(token) = req.cookie(COOKIE).map(|c| c.value().to_string()) else {
        return false;
    };
    let hash = state.token_hash.clone();
    web::block(move || auth::verify(&token, &hash))
        .await
        .unwrap_or(false)
}

pub async fn show(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    if !is_logged_in(&req, &state).await {
        return page(
            StatusCode::OK,
            AdminPage {
                logged_in: false,
                error: None,
                campaigns: Vec::new(),
            },
        );
    }
    let mut list = Vec::new();
    for c in campaigns::list(&state.db).await? {
        let counts = responses::counts_by_audience(&state.db, c.id).await?;
        let sectors = c
            .surveys
            .iter()
            .flat_map(|s| {
                s.survey
                    .questions()
                    .filter(|q| q.attribute.as_deref() == Some("sector"))
            })
            .find_map(|q| match &q.kind {
                crate::domain::QuestionKind::Single { choices, .. } => Some(
                    choices
                        .iter()
                        .map(|ch| (ch.code.clone(), ch.label.clone()))
                        .collect(),
                ),
                _ => None,
            })
            .unwrap_or_default();
        list.push(CampaignView {
            total: counts.values().sum(),
            groups: c
                .surveys
                .iter()
                .map(|s| {
                    (
                        s.survey.audience.label_zh().to_string(),
                        counts.get(s.survey.audience.as_str()).copied().unwrap_or(0),
                    )
                })
                .collect(),
            surveys: c
                .surveys
                .iter()
                .map(|s| (s.survey.title.clone(), format!("/s/{}", s.survey.slug)))
                .collect(),
            key: c.info.key,
            title: c.info.title,
            sectors,
        });
    }
    page(
        StatusCode::OK,
        AdminPage {
            logged_in: true,
            error: None,
            campaigns: list,
        },
    )
}

#[derive(Deserialize)]
pub struct LoginForm {
    token: String,
}

pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, ApiError> {
    if !auth::same_origin(&req) {
        return Err(ApiError::CrossSite);
    }
    let token = form.into_inner().token.trim().to_string();
    let ip = state.client_ip(&req);
    if let Some(wait) = ip.and_then(|ip| state.auth_failures.blocked(ip)) {
        return Err(ApiError::TooManyAttempts(wait));
    }
    let hash = state.token_hash.clone();
    let candidate = token.clone();
    let ok = !token.is_empty()
        && token.len() <= 256
        && web::block(move || auth::verify(&candidate, &hash))
            .await
            .map_err(ApiError::unexpected)?;
    if let Some(ip) = ip {
        if ok {
            state.auth_failures.succeeded(ip);
        } else {
            state.auth_failures.failed(ip);
        }
    }
    if !ok {
        return page(
            StatusCode::UNAUTHORIZED,
            AdminPage {
                logged_in: false,
                error: Some("令牌不正确，请检查后重试。".into()),
                campaigns: Vec::new(),
            },
        );
    }
    let secure = req.connection_info().scheme() == "https";
    let cookie = Cookie::build(COOKIE, token)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .finish();
    Ok(HttpResponse::SeeOther()
        .cookie(cookie)
        .insert_header((header::LOCATION, "/admin"))
        .finish())
}

pub async fn logout(req: HttpRequest) -> HttpResponse {
    if !auth::same_origin(&req) {
        return HttpResponse::Forbidden().finish();
    }
    let mut cookie = Cookie::build(COOKIE, "")
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .finish();
    cookie.make_removal();
    HttpResponse::SeeOther()
        .cookie(cookie)
        .insert_header((header::LOCATION, "/admin"))
        .finish()
}
