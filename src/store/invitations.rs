//! Invitation tokens: created in batches with prefilled attributes, looked up by the
//! SHA-256 of the token (the token itself is never stored), progress and partial
//! answers. For anonymous questionnaires the row keeps no time or id that could be
//! joined to the response.

use std::collections::BTreeMap;

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use rand::RngCore;
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, Set, TransactionTrait,
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

/// The invitation of `token` for questionnaire `slug`; for an anonymous questionnaire
/// with its progress from the ledger (`store::anonymous`), not from the row.
pub async fn find<C: ConnectionTrait>(
    db: &C,
    slug: &str,
    token: &str,
    anonymous: bool,
) -> Result<Option<Invitation>, StoreError> {
    let Some(mut inv) = invitations::Entity::find()
        .filter(invitations::Column::TokenHash.eq(token_hash(token)))
        .filter(invitations::Column::SurveySlug.eq(slug))
        .one(db)
        .await?
        .map(decode)
    else {
        return Ok(None);
    };
    if anonymous {
        if let Some(p) = super::anonymous::find(db, slug, token).await? {
            inv.started = true;
            // A row answered before the ledger existed stays answered.
            inv.completed |= p.completed;
            inv.partial = p.draft;
        }
    }
    Ok(Some(inv))
}

/// Records that the respondent opened the questionnaire (first time only); for an
/// anonymous questionnaire in the ledger, never on the invitation row.
pub async fn mark_started<C: ConnectionTrait>(
    db: &C,
    slug: &str,
    token: &str,
    invitation: &Invitation,
    anonymous: bool,
) -> Result<(), StoreError> {
    if anonymous {
        return super::anonymous::opened(db, slug, token, &invitation.attributes).await;
    }
    invitations::Entity::update_many()
        .col_expr(
            invitations::Column::StartedAt,
            Expr::value(Some(Utc::now())),
        )
        .filter(invitations::Column::Id.eq(invitation.id))
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
    if anonymous {
        let Some(inv) = find(db, slug, token, true).await? else {
            return Ok(false);
        };
        if inv.completed {
            return Ok(false);
        }
        return super::anonymous::save_draft(db, slug, token, &inv.attributes, answers).await;
    }
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
            Expr::value(Some(Utc::now())),
        )
        .filter(invitations::Column::TokenHash.eq(&hash))
        .filter(invitations::Column::StartedAt.is_null())
        .exec(db)
        .await?;
    Ok(done.rows_affected == 1)
}

/// Where one invitation stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvitationProgress {
    pub slug: String,
    pub batch: String,
    pub attributes: BTreeMap<String, String>,
    pub started: bool,
    pub completed: bool,
}

/// Progress of every invitation of a campaign. For anonymous questionnaires the ledger says how many invitations of
/// each questionnaire and attributes were opened and answered, never which: those
/// counts are spread over the group's invitations, so every total is exact.
pub async fn progress<C: ConnectionTrait>(
    db: &C,
    campaign_id: i64,
) -> Result<Vec<InvitationProgress>, StoreError> {
    let rows = invitations::Entity::find()
        .filter(invitations::Column::CampaignId.eq(campaign_id))
        .order_by_asc(invitations::Column::Id)
        .all(db)
        .await?;
    let mut slugs: Vec<String> = rows.iter().map(|r| r.survey_slug.clone()).collect();
    slugs.sort();
    slugs.dedup();
    let mut ledger = super::anonymous::tally(db, &slugs).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let mut started = r.started_at.is_some() || r.partial.is_some() || r.completed;
            let mut completed = r.completed;
            let attrs: BTreeMap<String, String> =
                serde_json::from_str(&r.attributes).unwrap_or_default();
            if let Some((opened, answered)) =
                ledger.get_mut(&(r.survey_slug.clone(), attrs.clone()))
            {
                // `opened` counts every ledger row, answered ones included.
                if !completed && *answered > 0 {
                    *answered -= 1;
                    *opened = opened.saturating_sub(1);
                    (started, completed) = (true, true);
                } else if !started && *opened > *answered {
                    *opened -= 1;
                    started = true;
                }
            }
            InvitationProgress {
                slug: r.survey_slug,
                batch: r.batch,
                attributes: attrs,
                started,
                completed,
            }
        })
        .collect())
}
