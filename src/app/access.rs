//! Evaluator access: issuing, listing and revoking scoped tokens, workspace sessions,
//! and reading the audit trail; a token request is checked here into a typed grant before anything is stored.

use sea_orm::DatabaseConnection;

use crate::domain::ErrorCode;
use crate::store::access::{self, Access, Role};
use crate::store::audit::{self, Entry};
use crate::store::sessions;
pub use crate::store::sessions::{Holder, Live};
use crate::store::StoreError;

/// The most audit entries one read returns.
pub const MAX_AUDIT_ENTRIES: u64 = 1000;

/// A token request that does not hold: which field, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantError {
    pub code: ErrorCode,
    pub field: &'static str,
    pub message: String,
}

/// What a new token grants, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub role: Role,
    pub school: Option<String>,
    pub label: String,
}

impl Grant {
    /// A role (`admin` or `evaluator`), an optional school (evaluators only) and a
    /// label of 1–100 characters naming the holder.
    pub fn parse(role: &str, school: Option<&str>, label: &str) -> Result<Self, GrantError> {
        let role = Role::parse(role).ok_or_else(|| GrantError {
            code: ErrorCode::InvalidRole,
            field: "role",
            message: format!("role {role:?} is not known; use admin or evaluator"),
        })?;
        let label = label.trim();
        if label.is_empty() || label.chars().count() > 100 {
            return Err(GrantError {
                code: ErrorCode::InvalidLabel,
                field: "label",
                message: "label must name the person or office, 1–100 characters".into(),
            });
        }
        let school = school.map(str::trim).filter(|s| !s.is_empty());
        if role == Role::Admin && school.is_some() {
            return Err(GrantError {
                code: ErrorCode::AdminHasNoSchool,
                field: "school",
                message: "an admin sees every school; issue an evaluator token for one school"
                    .into(),
            });
        }
        Ok(Grant {
            role,
            school: school.map(str::to_string),
            label: label.to_string(),
        })
    }
}

/// Issues a token for `grant`: the token in clear (shown once) and what it grants.
pub async fn issue(db: &DatabaseConnection, grant: &Grant) -> Result<(String, Access), StoreError> {
    access::create(db, grant.role, grant.school.as_deref(), &grant.label).await
}

/// Issued tokens (never the tokens themselves).
pub async fn tokens(db: &DatabaseConnection) -> Result<Vec<Access>, StoreError> {
    access::list(db).await
}

/// Revokes token `id` and ends its workspace sessions; `false` when there is no such
/// token.
pub async fn revoke(db: &DatabaseConnection, id: i64) -> Result<bool, StoreError> {
    let revoked = access::revoke(db, id).await?;
    // Lookups already refuse a revoked token's sessions; this clears them away.
    sessions::close_all_of(db, id).await?;
    Ok(revoked)
}

/// How long a workspace session lasts from login: a working day. Logging out, revoking
/// the token or replacing the installation's token ends it sooner.
pub const SESSION_HOURS: i64 = 12;

/// Opens a workspace session for `holder`; the id goes into the cookie only.
pub async fn open_session(db: &DatabaseConnection, holder: &Holder) -> Result<String, StoreError> {
    sessions::open(db, holder, chrono::Duration::hours(SESSION_HOURS)).await
}

/// What the session in a cookie stands for, unless unknown, expired or its token gone.
pub async fn session(
    db: &DatabaseConnection,
    id: &str,
    install_key: &str,
) -> Result<Option<Live>, StoreError> {
    sessions::find(db, id, install_key).await
}

/// Ends a workspace session (logging out).
pub async fn close_session(db: &DatabaseConnection, id: &str) -> Result<(), StoreError> {
    sessions::close(db, id).await
}

/// Names the installation's token in its sessions: a digest of its stored argon2 hash,
/// so replacing the token (a new hash) ends the sessions of the old one.
pub fn installation_key(phc: &str) -> String {
    crate::store::invitations::token_hash(phc)
}

/// What a presented token grants, unless unknown or revoked.
pub async fn grant_of(db: &DatabaseConnection, token: &str) -> Result<Option<Access>, StoreError> {
    access::find(db, token).await
}

/// The latest audit entries, newest first.
pub async fn audit_trail(db: &DatabaseConnection, limit: u64) -> Result<Vec<Entry>, StoreError> {
    audit::latest(db, limit.min(MAX_AUDIT_ENTRIES)).await
}

/// The latest report downloads of campaign `key`, newest first.
pub async fn report_downloads(
    db: &DatabaseConnection,
    key: &str,
    limit: u64,
) -> Result<Vec<Entry>, StoreError> {
    audit::latest_of(db, "report.download", key, limit.min(MAX_AUDIT_ENTRIES)).await
}

/// Records who did what to which target (never a token or an answer).
pub async fn record(
    db: &DatabaseConnection,
    actor: &str,
    action: &str,
    target: &str,
    detail: serde_json::Value,
    ip: Option<std::net::IpAddr>,
) -> Result<(), StoreError> {
    audit::record(db, actor, action, target, detail, ip).await
}

/// Records a page's own refresh, unless the same actor's visit to it is recorded within
/// `quiet` already (a watched page would otherwise log one entry per refresh).
pub async fn record_refresh(
    db: &DatabaseConnection,
    actor: &str,
    action: &str,
    target: &str,
    ip: Option<std::net::IpAddr>,
    quiet: chrono::Duration,
) -> Result<(), StoreError> {
    let since = chrono::Utc::now() - quiet;
    if audit::recorded_since(db, actor, action, target, since).await? {
        return Ok(());
    }
    audit::record(
        db,
        actor,
        action,
        target,
        serde_json::json!({"refresh": true}),
        ip,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_grant_is_checked_field_by_field() {
        let g = Grant::parse("evaluator", Some(" 平顺职中 "), " 质量办 ").expect("valid");
        assert_eq!(g.role, Role::Evaluator);
        assert_eq!(g.school.as_deref(), Some("平顺职中"));
        assert_eq!(g.label, "质量办");
        assert_eq!(
            Grant::parse("admin", Some("  "), "局")
                .expect("valid")
                .school,
            None
        );
        let field =
            |r: &str, s: Option<&str>, l: &str| Grant::parse(r, s, l).expect_err("refused").field;
        assert_eq!(field("root", None, "x"), "role");
        assert_eq!(field("evaluator", None, "  "), "label");
        assert_eq!(field("evaluator", None, &"字".repeat(101)), "label");
        assert_eq!(field("admin", Some("平顺职中"), "局"), "school");
    }
}
