//! The evaluator page: log in with the installation token or an issued one, see each
//! campaign's response progress and download the report in every format. The session
//! is an HttpOnly, SameSite=Strict cookie holding a random session id (never the
//! token); each request reads the rights from the token behind it, so a revoked token
//! ends its sessions at once.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::auth::{self, Grant, COOKIE};
use super::AppState;
use crate::app;
use crate::error::ApiError;

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminPage {
    logged_in: bool,
    error: Option<String>,
    campaigns: Vec<CampaignView>,
    /// Who is logged in: the token's label, or the installation token.
    who: String,
    /// A school-scoped token: the one school whose data it sees.
    school: Option<String>,
    /// May issue and revoke tokens.
    is_admin: bool,
}

impl AdminPage {
    fn login(error: Option<String>) -> Self {
        AdminPage {
            logged_in: false,
            error,
            campaigns: Vec::new(),
            who: String::new(),
            school: None,
            is_admin: false,
        }
    }
}

struct CampaignView {
    key: String,
    title: String,
    /// State and responses today / this week / in all, within the token's scope.
    phase: (&'static str, &'static str),
    recent: app::fieldwork::Recent,
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

pub(crate) async fn session(
    req: &HttpRequest,
    state: &AppState,
) -> Result<Option<Grant>, ApiError> {
    auth::session_grant(state, req).await
}

/// The login page saying how long a locked-out address waits, with `Retry-After`.
fn locked_out(wait: u64) -> Result<HttpResponse, ApiError> {
    let message = format!(
        "错误令牌尝试次数过多，请 {wait} 秒后再试。Too many wrong tokens; try again in {wait} s."
    );
    let mut res = page(
        StatusCode::TOO_MANY_REQUESTS,
        AdminPage::login(Some(message)),
    )?;
    res.headers_mut().insert(
        header::RETRY_AFTER,
        header::HeaderValue::from_str(&wait.to_string()).map_err(ApiError::unexpected)?,
    );
    Ok(res)
}

pub async fn show(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let grant = match session(&req, &state).await {
        Ok(Some(grant)) => grant,
        Ok(None) => return page(StatusCode::OK, AdminPage::login(None)),
        Err(ApiError::TooManyAttempts(wait)) => return locked_out(wait),
        Err(e) => return Err(e),
    };
    let mut list = Vec::new();
    for (c, counts) in app::campaigns::with_counts_by_audience(&state.db).await? {
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
            phase: ("", ""),
            recent: app::fieldwork::Recent::default(),
            sectors,
        });
    }
    let scope: Vec<(String, String)> = grant
        .school
        .iter()
        .map(|s| (auth::SCHOOL.to_string(), s.clone()))
        .collect();
    let now = chrono::Utc::now();
    for c in &mut list {
        if let Some(f) =
            app::fieldwork::monitor(&state.db, &state.summaries.counts, &c.key, &scope, now).await?
        {
            c.phase = (f.phase.label_zh(), f.phase.label_en());
            c.recent = f.responses;
        }
    }
    if grant.school.is_some() {
        // Counts over every school are not this token's to see.
        for c in &mut list {
            c.total = 0;
            c.groups.clear();
        }
    }
    page(
        StatusCode::OK,
        AdminPage {
            logged_in: true,
            error: None,
            campaigns: list,
            who: who(&grant),
            is_admin: grant.role == auth::Role::Admin,
            school: grant.school,
        },
    )
}

/// Who is logged in, as the pages say it.
pub(crate) fn who(grant: &Grant) -> String {
    match grant.actor.strip_prefix("token:") {
        Some(label) => format!("{label}（{}）", role_zh(grant.role)),
        None => "安装令牌（管理员）".into(),
    }
}

fn role_zh(role: auth::Role) -> &'static str {
    match role {
        auth::Role::Admin => "管理员",
        auth::Role::Evaluator => "评估员",
    }
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
    let grant = match auth::check_token_limited(&state, state.client_ip(&req), token, false).await {
        Ok(Some(grant)) => grant,
        Ok(None) => {
            return page(
                StatusCode::UNAUTHORIZED,
                AdminPage::login(Some("令牌不正确或已被撤销，请检查后重试。".into())),
            )
        }
        Err(ApiError::TooManyAttempts(wait)) => return locked_out(wait),
        Err(e) => return Err(e),
    };
    let session = auth::open_session(&state, &grant).await?;
    let secure = req.connection_info().scheme() == "https";
    let cookie = Cookie::build(COOKIE, session)
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

pub async fn logout(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    if !auth::same_origin(&req) {
        return Ok(HttpResponse::Forbidden().finish());
    }
    if let Some(id) = req.cookie(COOKIE) {
        app::access::close_session(&state.db, id.value()).await?;
    }
    let mut cookie = Cookie::build(COOKIE, "")
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .finish();
    cookie.make_removal();
    Ok(HttpResponse::SeeOther()
        .cookie(cookie)
        .insert_header((header::LOCATION, "/admin"))
        .finish())
}
