//! The progress ledger of anonymous questionnaires (migration 8): whether an invitation
//! was opened (the day only), its saved draft, and whether it was answered, keyed by a
//! second hash of the token. The invitation row keeps SHA-256(token); this key is
//! SHA-256 of the token under another prefix, so without the token (100 random bits,
//! shown once, never stored) nobody can tell which ledger row belongs to which
//! invitation. A submission writes only this row and the response, so no invitation
//! row changes with an anonymous response: no shared `xmin` on PostgreSQL, no updated
//! invitation in the same write-ahead-log commit on SQLite, no order of updates to
//! line up with the order of responses. The ledger row shares the response's
//! transaction, but holds nothing the response does not (its attributes are the
//! invitation's, which the response carries too; see `NewResponse::agrees_with_invitation`).

use std::collections::BTreeMap;

use chrono::Utc;
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set,
    SqlErr,
};
use sha2::{Digest, Sha256};

use super::StoreError;
use crate::entities::anonymous_progress as ledger;

/// The ledger key of `token` for questionnaire `slug`.
pub fn key(slug: &str, token: &str) -> String {
    let text = format!("chorus:anonymous-progress\n{slug}\n{}", token.trim());
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// What the ledger knows of one invitation.
#[derive(Debug, Clone, Default)]
pub struct Progress {
    pub completed: bool,
    pub draft: Option<serde_json::Map<String, serde_json::Value>>,
}

fn attributes_json(attributes: &BTreeMap<String, String>) -> Result<String, StoreError> {
    serde_json::to_string(attributes).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub async fn find<C: ConnectionTrait>(
    db: &C,
    slug: &str,
    token: &str,
) -> Result<Option<Progress>, StoreError> {
    Ok(ledger::Entity::find_by_id(key(slug, token))
        .one(db)
        .await?
        .map(|row| Progress {
            completed: row.completed,
            draft: row
                .draft
                .as_deref()
                .and_then(|d| serde_json::from_str(d).ok()),
        }))
}

/// Records the first opening (its day); later calls change nothing.
pub async fn opened<C: ConnectionTrait>(
    db: &C,
    slug: &str,
    token: &str,
    attributes: &BTreeMap<String, String>,
) -> Result<(), StoreError> {
    if find(db, slug, token).await?.is_some() {
        return Ok(());
    }
    insert(db, slug, token, attributes, false).await.map(|_| ())
}

/// A new ledger row; `Ok(false)` when a concurrent request wrote it first.
async fn insert<C: ConnectionTrait>(
    db: &C,
    slug: &str,
    token: &str,
    attributes: &BTreeMap<String, String>,
    completed: bool,
) -> Result<bool, StoreError> {
    let row = ledger::ActiveModel {
        key: Set(key(slug, token)),
        survey_slug: Set(slug.to_string()),
        attributes: Set(attributes_json(attributes)?),
        started_on: Set(Utc::now().date_naive().to_string()),
        draft: Set(None),
        completed: Set(completed),
    };
    match row.insert(db).await {
        Ok(_) => Ok(true),
        Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Saves the answers given so far; false when the invitation was already answered.
pub async fn save_draft<C: ConnectionTrait>(
    db: &C,
    slug: &str,
    token: &str,
    attributes: &BTreeMap<String, String>,
    answers: &serde_json::Map<String, serde_json::Value>,
) -> Result<bool, StoreError> {
    opened(db, slug, token, attributes).await?;
    let text = serde_json::to_string(answers).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let done = ledger::Entity::update_many()
        .col_expr(ledger::Column::Draft, Expr::value(Some(text)))
        .filter(ledger::Column::Key.eq(key(slug, token)))
        .filter(ledger::Column::Completed.eq(false))
        .exec(db)
        .await?;
    Ok(done.rows_affected == 1)
}

/// Marks the invitation answered and drops its draft, inside the transaction that
/// stores the response; false when it was already answered (a token answers once).
pub async fn complete<C: ConnectionTrait>(
    txn: &C,
    slug: &str,
    token: &str,
    attributes: &BTreeMap<String, String>,
) -> Result<bool, StoreError> {
    let done = ledger::Entity::update_many()
        .col_expr(ledger::Column::Completed, Expr::value(true))
        .col_expr(ledger::Column::Draft, Expr::value(Option::<String>::None))
        .filter(ledger::Column::Key.eq(key(slug, token)))
        .filter(ledger::Column::Completed.eq(false))
        .exec(txn)
        .await?;
    if done.rows_affected == 1 {
        return Ok(true);
    }
    if find(txn, slug, token).await?.is_some() {
        return Ok(false);
    }
    insert(txn, slug, token, attributes, true).await
}

/// Ledger rows per questionnaire and attributes: (opened, answered).
pub async fn tally<C: ConnectionTrait>(
    db: &C,
    slugs: &[String],
) -> Result<BTreeMap<(String, BTreeMap<String, String>), (u64, u64)>, StoreError> {
    let rows = ledger::Entity::find()
        .filter(ledger::Column::SurveySlug.is_in(slugs.iter().cloned()))
        .all(db)
        .await?;
    let mut out: BTreeMap<(String, BTreeMap<String, String>), (u64, u64)> = BTreeMap::new();
    for r in rows {
        let attrs = serde_json::from_str(&r.attributes).unwrap_or_default();
        let e = out.entry((r.survey_slug, attrs)).or_default();
        e.0 += 1;
        e.1 += u64::from(r.completed);
    }
    Ok(out)
}
