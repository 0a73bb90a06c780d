//! Invitation tokens: created in batches with prefilled attributes, looked up by the
//! SHA-256 of the token (the token itself is never stored), progress and partial
//! answers. For anonymous questionnaires the row keeps no time or id that could be
//! joined to the response.

use std::collections::BTreeMap;

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use rand::RngCore;
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set,
    TransactionTrait,
};
use sha2::{Digest, Sha256};

use super::surveys::StoredSurvey;
use super::StoreError;
use crate::entities::invitations;

/// Largest batch created at once.
pub const MAX_BATCH: usize = 5_000;

const ALPHABET: &[u8; 32] = b"abcdefghijkmnpqrstuvwxyz23456789";

/// A new random token: 100 bits in 20 characters without look-alikes (no l, o, 0, 1).
pub fn new_token() -> String {
    let mut bytes = [0u8; 20];
    rand::rng().fill_bytes(&mut bytes);
    bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(b % 32)]))
        .collect()
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.trim().as_bytes()))
}

/// An invitation as the respondent pages need it.
#[derive(Debug, Clone)]
pub struct Invitation {
    pub id: i64,
    pub token_hash: String,
    pub attributes: BTreeMap<String, String>,
    pub completed: bool,
    pub started: bool,
    pub partial: Option<serde_json::Map<String, serde_json::Value>>,
}

/// Anonymous questionnaires keep dates only, never a time that could be joined on.
pub fn coarse(now: DateTime<Utc>, anonymous: bool) -> DateTime<Utc> {
    if anonymous {
        now.duration_trunc(TimeDelta::days(1)).unwrap_or(now)
    } else {
        now
    }
}

/// Creates `count` invitations for `survey`; returns the tokens (shown once).
pub async fn create(
    db: &sea_orm::DatabaseConnection,
    survey: &StoredSurvey,
    count: usize,
    attributes: &BTreeMap<String, String>,
    batch: &str,
) -> Result<Vec<String>, StoreError> {
    let attrs =
        serde_json::to_string(attributes).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let now = Utc::now();
    let txn = db.begin().await?;
    let mut tokens = Vec::with_capacity(count);
    for _ in 0..count {
        let token = new_token();
        invitations::ActiveModel {
            campaign_id: Set(survey.campaign_id),
            survey_slug: Set(survey.survey.slug.clone()),
            batch: Set(batch.to_string()),
            token_hash: Set(token_hash(&token)),
            attributes: Set(attrs.clone()),
            created_at: Set(now),
            started_at: Set(None),
            completed: Set(false),
            completed_at: Set(None),
            response_id: Set(None),
            partial: Set(None),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        tokens.push(token);
    }
    txn.commit().await?;
    Ok(tokens)
}

fn decode(row: invitations::Model) -> Invitation {
    Invitation {
        id: row.id,
        token_hash: row.token_hash,
        attributes: serde_json::from_str(&row.attributes).unwrap_or_default(),
        completed: row.completed,
        started: row.started_at.is_some() || row.partial.is_some(),
        partial: row
            .partial
            .as_deref()
            .and_then(|p| serde_json::from_str(p).ok()),
    }
}

/// The invitation of `token` for questionnaire `slug`.
pub async fn find<C: ConnectionTrait>(
    db: &C,
    slug: &str,
    token: &str,
) -> Result<Option<Invitation>, StoreError> {
    Ok(invitations::Entity::find()
        .filter(invitations::Column::TokenHash.eq(token_hash(token)))
        .filter(invitations::Column::SurveySlug.eq(slug))
        .one(db)
        .await?
        .map(decode))
}

/// Records that the respondent opened the questionnaire (first time only).
pub async fn mark_started<C: ConnectionTrait>(
    db: &C,
    id: i64,
    anonymous: bool,
) -> Result<(), StoreError> {
    invitations::Entity::update_many()
        .col_expr(
            invitations::Column::StartedAt,
            Expr::value(coarse(Utc::now(), anonymous)),
        )
        .filter(invitations::Column::Id.eq(id))
        .filter(invitations::Column::StartedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Saves answers given so far; false when the token is unknown or already used.
pub async fn save_partial<C: ConnectionTrait>(
    db: &C,
    slug: &str,
    token: &str,
    answers: &serde_json::Map<String, serde_json::Value>,
    anonymous: bool,
) -> Result<bool, StoreError> {
    let text = serde_json::to_string(answers).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let hash = token_hash(token);
    let done = invitations::Entity::update_many()
        .col_expr(invitations::Column::Partial, Expr::value(Some(text)))
        .filter(invitations::Column::TokenHash.eq(&hash))
        .filter(invitations::Column::SurveySlug.eq(slug))
        .filter(invitations::Column::Completed.eq(false))
        .exec(db)
        .await?;
    invitations::Entity::update_many()
        .col_expr(
            invitations::Column::StartedAt,
            Expr::value(coarse(Utc::now(), anonymous)),
        )
        .filter(invitations::Column::TokenHash.eq(&hash))
        .filter(invitations::Column::StartedAt.is_null())
        .exec(db)
        .await?;
    Ok(done.rows_affected == 1)
}

/// Progress of every invitation of a campaign: (survey slug, attributes, started,
/// completed).
pub async fn progress<C: ConnectionTrait>(
    db: &C,
    campaign_id: i64,
) -> Result<Vec<(String, BTreeMap<String, String>, bool, bool)>, StoreError> {
    let rows = invitations::Entity::find()
        .filter(invitations::Column::CampaignId.eq(campaign_id))
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let started = r.started_at.is_some() || r.partial.is_some() || r.completed;
            let attrs = serde_json::from_str(&r.attributes).unwrap_or_default();
            (r.survey_slug, attrs, started, r.completed)
        })
        .collect())
}
