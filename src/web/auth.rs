//! Evaluator authentication: `Authorization: Bearer <token>` checked against the stored
//! argon2 hash. Tokens are never stored or logged in clear.

use std::future::Future;
use std::pin::Pin;

use actix_web::{dev::Payload, web, FromRequest, HttpRequest};
use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use rand::RngCore;

use super::AppState;
use crate::error::ApiError;

/// Name of the evaluator session cookie (set by the evaluator page's login form).
pub const COOKIE: &str = "chorus_token";

/// Proof that the request carries a valid evaluator token (Bearer header, or the
/// session cookie of the evaluator page), with what the audit log records about it.
pub struct Evaluator {
    /// How the evaluator authenticated: `evaluator:token` or `evaluator:session`.
    pub actor: &'static str,
    pub ip: Option<std::net::IpAddr>,
}

impl Evaluator {
    /// Records an action in the audit log; the action fails if it cannot be recorded.
    pub async fn audit(
        &self,
        state: &AppState,
        action: &str,
        target: &str,
        detail: serde_json::Value,
    ) -> Result<(), ApiError> {
        crate::store::audit::record(&state.db, self.actor, action, target, detail, self.ip)
            .await
            .map_err(ApiError::unexpected)
    }
}

impl FromRequest for Evaluator {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let ip = state.as_ref().and_then(|s| s.client_ip(req));
        let bearer = req
            .headers()
            .get(actix_web::http::header::AUTHORIZATION)
            .is_some();
        let unsafe_method = !matches!(
            *req.method(),
            actix_web::http::Method::GET | actix_web::http::Method::HEAD
        );
        // A cookie rides along with cross-site requests a bearer token never does.
        let forged = !bearer && unsafe_method && !same_origin(req);
        let token = req
            .headers()
            .get(actix_web::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|t| t.trim().to_string())
            .or_else(|| req.cookie(COOKIE).map(|c| c.value().to_string()));
        Box::pin(async move {
            if forged {
                return Err(ApiError::CrossSite);
            }
            let (Some(state), Some(token)) = (state, token) else {
                return Err(ApiError::Unauthorized);
            };
            if let Some(wait) = ip.and_then(|ip| state.auth_failures.blocked(ip)) {
                return Err(ApiError::TooManyAttempts(wait));
            }
            let hash = state.token_hash.clone();
            let ok = !token.is_empty()
                && token.len() <= 256
                && web::block(move || verify(&token, &hash))
                    .await
                    .map_err(ApiError::unexpected)?;
            if let Some(ip) = ip {
                if ok {
                    state.auth_failures.succeeded(ip);
                } else {
                    state.auth_failures.failed(ip);
                }
            }
            if ok {
                Ok(Evaluator {
                    actor: if bearer {
                        "evaluator:token"
                    } else {
                        "evaluator:session"
                    },
                    ip,
                })
            } else {
                Err(ApiError::Unauthorized)
            }
        })
    }
}

/// Whether a state-changing browser request comes from this site (CSRF defence on
/// top of the SameSite=Strict cookie): an `Origin` must match the request's own
/// address, and `Sec-Fetch-Site` must not say cross-site. Clients that send neither
/// (scripts, curl) are not browsers acting on someone's behalf.
pub fn same_origin(req: &HttpRequest) -> bool {
    let headers = req.headers();
    if let Some(origin) = headers.get(actix_web::http::header::ORIGIN) {
        let info = req.connection_info();
        let own = format!("{}://{}", info.scheme(), info.host());
        return origin.to_str().is_ok_and(|o| o == own);
    }
    match headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        Some(site) => site == "same-origin" || site == "none",
        None => true,
    }
}

/// Constant-time verification of a token against an argon2 PHC string.
pub fn verify(token: &str, phc: &str) -> bool {
    Argon2::default()
        .verify_password(token.as_bytes(), phc)
        .is_ok()
}

pub fn hash(token: &str) -> anyhow::Result<String> {
    Argon2::default()
        .hash_password(token.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing the evaluator token failed: {e}"))
}

/// A fresh random token: 32 bytes, hex (64 characters).
pub fn generate() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_verifies_only_the_same_token() {
        let t = generate();
        assert_eq!(t.len(), 64);
        let h = hash(&t).expect("hash");
        assert!(!h.contains(&t));
        assert!(verify(&t, &h));
        assert!(!verify("wrong-token-wrong-token", &h));
    }
}
