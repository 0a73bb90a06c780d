//! The audit log: who published, invited, imported, downloaded what, and when.

use chrono::{SubsecRound, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use super::StoreError;
use crate::entities::audit_log;

/// One recorded action.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Entry {
    pub at: chrono::DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub detail: serde_json::Value,
    pub ip: Option<String>,
}

/// Appends an entry. `detail` is any JSON (formats, filters, counts).
pub async fn record(
    db: &DatabaseConnection,
    actor: &str,
    action: &str,
    target: &str,
    detail: serde_json::Value,
    ip: Option<std::net::IpAddr>,
) -> Result<(), StoreError> {
    audit_log::ActiveModel {
        at: Set(Utc::now().trunc_subsecs(3)),
        actor: Set(actor.to_string()),
        action: Set(action.to_string()),
        target: Set(target.to_string()),
        detail: Set(detail.to_string()),
        ip: Set(ip.map(|i| i.to_string())),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// The latest `limit` entries, newest first.
pub async fn latest(db: &DatabaseConnection, limit: u64) -> Result<Vec<Entry>, StoreError> {
    let rows = audit_log::Entity::find()
        .order_by_desc(audit_log::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    Ok(entries(rows))
}

/// The latest `limit` entries of `action` on `target` (a campaign's report downloads),
/// newest first.
pub async fn latest_of(
    db: &DatabaseConnection,
    action: &str,
    target: &str,
    limit: u64,
) -> Result<Vec<Entry>, StoreError> {
    let rows = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq(action))
        .filter(audit_log::Column::Target.eq(target))
        .order_by_desc(audit_log::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    Ok(entries(rows))
}

/// Whether `actor` has an entry of `action` on `target` at or after `since`.
pub async fn recorded_since(
    db: &DatabaseConnection,
    actor: &str,
    action: &str,
    target: &str,
    since: chrono::DateTime<Utc>,
) -> Result<bool, StoreError> {
    Ok(audit_log::Entity::find()
        .filter(audit_log::Column::Actor.eq(actor))
        .filter(audit_log::Column::Action.eq(action))
        .filter(audit_log::Column::Target.eq(target))
        .filter(audit_log::Column::At.gte(since))
        .one(db)
        .await?
        .is_some())
}

fn entries(rows: Vec<audit_log::Model>) -> Vec<Entry> {
    rows.into_iter()
        .map(|r| Entry {
            at: r.at,
            actor: r.actor,
            action: r.action,
            target: r.target,
            detail: serde_json::from_str(&r.detail).unwrap_or(serde_json::Value::Null),
            ip: r.ip,
        })
        .collect()
}
