//! Workspace sessions: a random id in the browser's cookie, its SHA-256 here, tied to
//! the token that opened it. A session holds no rights of its own: each lookup reads
//! them from that token, so a revoked or replaced token ends its sessions at once.

use chrono::{Duration, SubsecRound, Utc};
use rand::RngCore;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};

use super::access::{self, Access};
use super::invitations::token_hash;
use super::StoreError;
use crate::entities::evaluator_sessions;

/// Which token a session was opened with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Holder {
    /// An issued token (`access_tokens.id`).
    Issued(i64),
    /// The installation's token, named by a digest of its stored hash.
    Installation(String),
}

/// What a live session stands for.
#[derive(Debug, Clone)]
pub enum Live {
    Issued(Access),
    Installation,
}

/// Opens a session for `holder` lasting `ttl`; returns the id for the cookie (shown to
/// the browser only). Expired sessions are cleared on the way.
pub async fn open(
    db: &DatabaseConnection,
    holder: &Holder,
    ttl: Duration,
) -> Result<String, StoreError> {
    let now = Utc::now().trunc_subsecs(3);
    evaluator_sessions::Entity::delete_many()
        .filter(evaluator_sessions::Column::ExpiresAt.lte(now))
        .exec(db)
        .await?;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let id = hex::encode(bytes);
    let (token_id, install_key) = match holder {
        Holder::Issued(id) => (Some(*id), None),
        Holder::Installation(key) => (None, Some(key.clone())),
    };
    evaluator_sessions::ActiveModel {
        session_hash: Set(token_hash(&id)),
        token_id: Set(token_id),
        install_key: Set(install_key),
        created_at: Set(now),
        expires_at: Set(now + ttl),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(id)
}

/// What session `id` stands for: none when unknown, expired, or its token is revoked
/// or (the installation's) no longer the one whose digest is `install_key`.
pub async fn find(
    db: &DatabaseConnection,
    id: &str,
    install_key: &str,
) -> Result<Option<Live>, StoreError> {
    if id.is_empty() || id.len() > 128 {
        return Ok(None);
    }
    let Some(s) = evaluator_sessions::Entity::find()
        .filter(evaluator_sessions::Column::SessionHash.eq(token_hash(id)))
        .filter(evaluator_sessions::Column::ExpiresAt.gt(Utc::now()))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    match (s.token_id, s.install_key) {
        (Some(token), _) => Ok(access::by_id(db, token)
            .await?
            .filter(|a| !a.revoked)
            .map(Live::Issued)),
        (None, Some(key)) if key == install_key => Ok(Some(Live::Installation)),
        _ => Ok(None),
    }
}

/// Ends session `id` (logging out); nothing to do when there is none.
pub async fn close(db: &DatabaseConnection, id: &str) -> Result<(), StoreError> {
    evaluator_sessions::Entity::delete_many()
        .filter(evaluator_sessions::Column::SessionHash.eq(token_hash(id)))
        .exec(db)
        .await?;
    Ok(())
}

/// Ends every session of issued token `token` (when it is revoked).
pub async fn close_all_of(db: &DatabaseConnection, token: i64) -> Result<(), StoreError> {
    evaluator_sessions::Entity::delete_many()
        .filter(evaluator_sessions::Column::TokenId.eq(token))
        .exec(db)
        .await?;
    Ok(())
}
