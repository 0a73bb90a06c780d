//! The evaluator workspace's token page (`/admin/tokens`, admins only): issue a token
//! for a person or office (an admin, a county evaluator, or a school's evaluator who sees
//! that school only), list the issued ones and revoke them. The new token is shown once,
//! on the page that issued it, and never stored in clear. Every form posts back to this
//! site only (the same-origin check of the login) and is audited.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::auth::{self, Grant};
use super::workspace::{evaluator, html, refused};
use super::AppState;
use crate::app;
use crate::error::ApiError;

struct TokenRow {
    id: i64,
    role: &'static str,
    school: String,
    label: String,
    created: String,
    revoked: bool,
}

#[derive(Template)]
#[template(path = "tokens.html")]
struct TokensPage {
    who: String,
    rows: Vec<TokenRow>,
    /// The token just issued, shown once, with its label.
    issued: Option<(String, String)>,
    error: Option<String>,
}

fn role_zh(role: &str) -> &'static str {
    match role {
        "admin" => "管理员 · admin",
        _ => "评估员 · evaluator",
    }
}

async fn page(
    state: &AppState,
    grant: &Grant,
    status: StatusCode,
    issued: Option<(String, String)>,
    error: Option<String>,
) -> Result<HttpResponse, ApiError> {
    let rows = app::access::tokens(&state.db)
        .await?
        .into_iter()
        .map(|t| TokenRow {
            id: t.id,
            role: role_zh(t.role.as_str()),
            school: t.school.unwrap_or_else(|| "全部 · all".into()),
            label: t.label,
            created: t
                .created_at
                .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8"))
                .format("%Y-%m-%d %H:%M")
                .to_string(),
            revoked: t.revoked,
        })
        .collect();
    let body = TokensPage {
        who: super::admin::who(grant),
        rows,
        issued,
        error,
    }
    .render()
    .map_err(ApiError::unexpected)?;
    Ok(html(status, body))
}

/// An admin's session, or the page to answer with instead.
async fn admin(
    req: &HttpRequest,
    state: &AppState,
) -> Result<Result<Grant, HttpResponse>, ApiError> {
    let grant = match evaluator(req, state).await? {
        Ok((grant, _)) => grant,
        Err(login) => return Ok(Err(login)),
    };
    if grant.role != auth::Role::Admin {
        return Ok(Err(refused(
            StatusCode::FORBIDDEN,
            "只有管理员可以签发和撤销令牌。",
            "Only an admin issues and revokes tokens.",
        )?));
    }
    Ok(Ok(grant))
}

/// A form post from this site by an admin, or the answer to give instead.
async fn admin_form(
    req: &HttpRequest,
    state: &AppState,
) -> Result<Result<Grant, HttpResponse>, ApiError> {
    if !auth::same_origin(req) {
        return Err(ApiError::CrossSite);
    }
    admin(req, state).await
}

/// The token list with the form to issue one.
pub async fn show(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let grant = match admin(&req, &state).await? {
        Ok(g) => g,
        Err(page) => return Ok(page),
    };
    page(&state, &grant, StatusCode::OK, None, None).await
}

#[derive(Deserialize)]
pub struct IssueForm {
    role: String,
    #[serde(default)]
    school: String,
    label: String,
}

/// Issues a token from the form; the page shows it once.
pub async fn issue(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<IssueForm>,
) -> Result<HttpResponse, ApiError> {
    let grant = match admin_form(&req, &state).await? {
        Ok(g) => g,
        Err(page) => return Ok(page),
    };
    let form = form.into_inner();
    let asked = match app::access::Grant::parse(&form.role, Some(&form.school), &form.label) {
        Ok(g) => g,
        Err(e) => {
            let message = format!("{}：{}", e.field, e.message);
            return page(
                &state,
                &grant,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                Some(message),
            )
            .await;
        }
    };
    let (token, access) = app::access::issue(&state.db, &asked).await?;
    app::access::record(
        &state.db,
        &grant.actor,
        "token.issue",
        &access.id.to_string(),
        serde_json::json!({"role": asked.role.as_str(), "school": asked.school, "label": asked.label}),
        state.client_ip(&req),
    )
    .await?;
    page(
        &state,
        &grant,
        StatusCode::OK,
        Some((token, asked.label)),
        None,
    )
    .await
}

/// Revokes token `id`, then back to the list.
pub async fn revoke(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let grant = match admin_form(&req, &state).await? {
        Ok(g) => g,
        Err(page) => return Ok(page),
    };
    let id = id.into_inner();
    if !app::access::revoke(&state.db, id).await? {
        return refused(
            StatusCode::NOT_FOUND,
            &format!("没有编号为 {id} 的令牌。"),
            &format!("There is no token {id}."),
        );
    }
    app::access::record(
        &state.db,
        &grant.actor,
        "token.revoke",
        &id.to_string(),
        serde_json::json!({}),
        state.client_ip(&req),
    )
    .await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/admin/tokens"))
        .finish())
}
