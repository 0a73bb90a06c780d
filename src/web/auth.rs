//! Evaluator authentication: `Authorization: Bearer <token>` checked against the stored
//! hashes, or the workspace's session cookie (a random session id opened by logging in
//! with a token). Tokens are never stored, logged or put in a cookie in clear.

use std::future::Future;
use std::pin::Pin;

use actix_web::{dev::Payload, web, FromRequest, HttpRequest};
use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use rand::RngCore;

use super::AppState;
use crate::app;
use crate::error::ApiError;
pub use crate::store::access::Role;

/// The respondent attribute a school-scoped token is limited to.
pub const SCHOOL: &str = "school";

/// Name of the evaluator session cookie (set by the evaluator page's login form); it
/// holds a session id, never the token.
pub const COOKIE: &str = "chorus_session";

/// Proof that the request carries a valid evaluator token (Bearer header, or the
/// session cookie of the evaluator page), with what the audit log records about it.
pub struct Evaluator {
    /// Who, for the audit log: `evaluator:token` / `evaluator:session` for the
    /// installation's token, `token:<label>` for an issued one.
    pub actor: String,
    pub ip: Option<std::net::IpAddr>,
    pub role: Role,
    /// The one school (value of the `school` attribute) this token may see.
    pub school: Option<String>,
}

impl Evaluator {
    /// How this evaluator gets free text in raw data: as written for an admin,
    /// redacted for anyone else.
    pub fn raw_text(&self) -> crate::app::report::RawText {
        match self.role {
            Role::Admin => crate::app::report::RawText::AsWritten,
            Role::Evaluator => crate::app::report::RawText::Redacted,
        }
    }

    /// Refuses anyone but an admin (403 `forbidden`).
    pub fn require_admin(&self) -> Result<(), ApiError> {
        match self.role {
            Role::Admin => Ok(()),
            Role::Evaluator => Err(ApiError::Forbidden(
                "this token may read results but not manage questionnaires, invitations, tokens or the audit log; ask an admin".into(),
            )),
        }
    }

    /// The attribute filters a request may use: a school-scoped token always sees its
    /// own school only, and asking for another is refused (403), not silently changed.
    pub fn scope_filters(
        &self,
        mut filters: Vec<(String, String)>,
    ) -> Result<Vec<(String, String)>, ApiError> {
        let Some(school) = &self.school else {
            return Ok(filters);
        };
        if let Some((_, other)) = filters.iter().find(|(k, v)| k == SCHOOL && v != school) {
            return Err(ApiError::Forbidden(format!(
                "this token may only see school {school:?}, not {other:?}"
            )));
        }
        if !filters.iter().any(|(k, _)| k == SCHOOL) {
            filters.push((SCHOOL.to_string(), school.clone()));
        }
        Ok(filters)
    }

    /// Records an action in the audit log; the action fails if it cannot be recorded.
    pub async fn audit(
        &self,
        state: &AppState,
        action: &str,
        target: &str,
        detail: serde_json::Value,
    ) -> Result<(), ApiError> {
        // A database that cannot take the entry (away, full, read-only) is a 503.
        crate::app::access::record(&state.db, &self.actor, action, target, detail, self.ip)
            .await
            .map_err(ApiError::from)
    }
}

/// What a valid token grants.
pub struct Grant {
    /// For the audit log (see `Evaluator::actor`).
    pub actor: String,
    pub role: Role,
    pub school: Option<String>,
    /// The issued token (`None`: the installation's token), for opening a session.
    pub token_id: Option<i64>,
}

impl Grant {
    fn issued(a: crate::store::access::Access) -> Self {
        Grant {
            actor: format!("token:{}", a.label),
            role: a.role,
            school: a.school,
            token_id: Some(a.id),
        }
    }

    fn installation(actor: &str) -> Self {
        Grant {
            actor: actor.to_string(),
            role: Role::Admin,
            school: None,
            token_id: None,
        }
    }
}

/// Opens a workspace session for a checked grant; the id is for the cookie only.
pub async fn open_session(state: &AppState, grant: &Grant) -> Result<String, ApiError> {
    let holder = match grant.token_id {
        Some(id) => app::access::Holder::Issued(id),
        None => app::access::Holder::Installation(state.session_key.to_string()),
    };
    Ok(app::access::open_session(&state.db, &holder).await?)
}

/// The grant of the session in the request's cookie: none without a cookie, or when the
/// session is unknown, expired, logged out or its token revoked or replaced. A session
/// id is 256 random bits, so a miss is not a guess at a token and does not count
/// towards the lockout (logging in does).
pub async fn session_grant(state: &AppState, req: &HttpRequest) -> Result<Option<Grant>, ApiError> {
    let Some(id) = req.cookie(COOKIE).map(|c| c.value().to_string()) else {
        return Ok(None);
    };
    Ok(
        match app::access::session(&state.db, &id, &state.session_key).await? {
            Some(app::access::Live::Issued(a)) => Some(Grant::issued(a)),
            Some(app::access::Live::Installation) => Some(Grant::installation("evaluator:session")),
            None => None,
        },
    )
}

/// Checks a token presented from `ip` (a bearer header or the login form):
/// refused with 429 while the address is locked out, and each wrong token
/// counts towards the lockout. The only way in: every door that accepts a token calls
/// this, so none can be used to guess without limit.
pub async fn check_token_limited(
    state: &AppState,
    ip: Option<std::net::IpAddr>,
    token: String,
    bearer: bool,
) -> Result<Option<Grant>, ApiError> {
    if let Some(wait) = ip.and_then(|ip| state.auth_failures.blocked(ip)) {
        return Err(ApiError::TooManyAttempts(wait));
    }
    let grant = check_token(state, token, bearer).await?;
    if let Some(ip) = ip {
        if grant.is_some() {
            state.auth_failures.succeeded(ip);
        } else {
            state.auth_failures.failed(ip);
        }
    }
    Ok(grant)
}

/// Checks a token: an issued one by one indexed lookup of its SHA-256, else the
/// installation's token against its argon2 hash. `bearer` says how it came (header or
/// the evaluator page's session cookie), for the audit log.
async fn check_token(
    state: &AppState,
    token: String,
    bearer: bool,
) -> Result<Option<Grant>, ApiError> {
    if token.is_empty() || token.len() > 256 {
        return Ok(None);
    }
    if let Some(a) = crate::app::access::grant_of(&state.db, &token).await? {
        return Ok(Some(Grant::issued(a)));
    }
    let hash = state.token_hash.clone();
    let digest = state.verified.digest(&hash, &token);
    let ok = state.verified.contains(&digest) || {
        let ok = web::block(move || verify(&token, &hash))
            .await
            .map_err(ApiError::unexpected)?;
        if ok {
            state.verified.remember(digest);
        }
        ok
    };
    let actor = if bearer {
        "evaluator:token"
    } else {
        "evaluator:session"
    };
    Ok(ok.then(|| Grant::installation(actor)))
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
            .map(|t| t.trim().to_string());
        let req = req.clone();
        Box::pin(async move {
            if forged {
                return Err(ApiError::CrossSite);
            }
            let Some(state) = state else {
                return Err(ApiError::Unauthorized);
            };
            let grant = match token {
                Some(token) => check_token_limited(&state, ip, token, true).await?,
                None if bearer => None,
                None => session_grant(&state, &req).await?,
            };
            if let Some(Grant {
                actor,
                role,
                school,
                ..
            }) = grant
            {
                Ok(Evaluator {
                    actor,
                    ip,
                    role,
                    school,
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
///
/// Our pages are served with `Referrer-Policy: no-referrer`, under which browsers send
/// `Origin: null` even for a form posted from our own page; then `Sec-Fetch-Site`
/// decides, and without it the request is refused (a sandboxed frame also says null).
pub fn same_origin(req: &HttpRequest) -> bool {
    let headers = req.headers();
    let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    if let Some(origin) = headers.get(actix_web::http::header::ORIGIN) {
        if origin.as_bytes() == b"null" {
            return fetch_site == Some("same-origin");
        }
        let info = req.connection_info();
        let own = format!("{}://{}", info.scheme(), info.host());
        return origin.to_str().is_ok_and(|o| o == own);
    }
    match fetch_site {
        Some(site) => site == "same-origin" || site == "none",
        None => true,
    }
}

/// Installation tokens this process has verified against the argon2 hash, as keyed
/// digests, so that the hash (tens of milliseconds by design) is computed once per
/// token and not on every request. Only successes are kept: a wrong guess always pays
/// the hash and the failure limiter.
pub struct VerifiedTokens {
    /// Random per process, never stored, so the digests cannot be tested against
    /// guesses anywhere else.
    key: [u8; 32],
    held: std::sync::Mutex<Vec<[u8; 32]>>,
}

impl Default for VerifiedTokens {
    fn default() -> Self {
        VerifiedTokens {
            key: rand::random(),
            held: Default::default(),
        }
    }
}

/// Verified tokens kept at most (an installation has one token; a few more after a
/// change of token in the database).
const MAX_VERIFIED: usize = 8;

impl VerifiedTokens {
    /// The keyed digest of `token` checked against `phc`.
    pub fn digest(&self, phc: &str, token: &str) -> [u8; 32] {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        h.update(self.key);
        h.update((phc.len() as u64).to_le_bytes());
        h.update(phc.as_bytes());
        h.update(token.as_bytes());
        h.finalize().into()
    }

    /// Whether `digest` was verified before, compared in constant time.
    pub fn contains(&self, digest: &[u8; 32]) -> bool {
        let held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        held.iter().fold(false, |found, d| {
            let diff = d.iter().zip(digest).fold(0u8, |acc, (a, b)| acc | (a ^ b));
            found | (diff == 0)
        })
    }

    pub fn remember(&self, digest: [u8; 32]) {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        if !held.contains(&digest) {
            if held.len() >= MAX_VERIFIED {
                held.remove(0);
            }
            held.push(digest);
        }
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

/// The key an installation token set in the environment gives its sessions: argon2 of
/// the token under a fixed salt, so every instance and every restart with the same token
/// agree (their argon2 hashes, salted at random, do not) while the stored key is as slow
/// to guess from as the hash. A token stored in the database uses a digest of its
/// stored hash instead (`app::access::installation_key`), the same for every reader.
pub fn session_key(token: &str) -> anyhow::Result<String> {
    let mut key = [0u8; 32];
    Argon2::default()
        .hash_password_into(token.as_bytes(), b"chorus-workspace-sessions", &mut key)
        .map_err(|e| anyhow::anyhow!("deriving the session key failed: {e}"))?;
    Ok(hex::encode(key))
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

    /// A form posted from our own page by Chromium: `Origin: null` (no-referrer) with
    /// `Sec-Fetch-Site: same-origin` passes; null from elsewhere, or alone, does not.
    #[test]
    fn a_null_origin_is_decided_by_sec_fetch_site() {
        use actix_web::test::TestRequest;
        let req = |pairs: &[(&str, &str)]| {
            let mut r = TestRequest::post().uri("/admin/login");
            for (k, v) in pairs {
                r = r.insert_header((*k, *v));
            }
            r.to_http_request()
        };
        assert!(same_origin(&req(&[
            ("origin", "null"),
            ("sec-fetch-site", "same-origin")
        ])));
        assert!(!same_origin(&req(&[
            ("origin", "null"),
            ("sec-fetch-site", "cross-site")
        ])));
        assert!(!same_origin(&req(&[("origin", "null")])));
        assert!(!same_origin(&req(&[("origin", "https://evil.example")])));
        assert!(same_origin(&req(&[])));
    }

    #[test]
    fn hash_verifies_only_the_same_token() {
        let t = generate();
        assert_eq!(t.len(), 64);
        let h = hash(&t).expect("hash");
        assert!(!h.contains(&t));
        assert!(verify(&t, &h));
        assert!(!verify("wrong-token-wrong-token", &h));
        // Remembered successes are told apart by token, hash and process key.
        let seen = VerifiedTokens::default();
        let d = seen.digest(&h, &t);
        assert!(!seen.contains(&d));
        seen.remember(d);
        assert!(seen.contains(&d));
        assert!(!seen.contains(&seen.digest(&h, "wrong-token-wrong-token")));
        assert!(!seen.contains(&seen.digest("$argon2id$other", &t)));
        assert!(!seen.contains(&VerifiedTokens::default().digest(&h, &t)));
    }
}
