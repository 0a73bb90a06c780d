//! Evaluator token hashes.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, QueryOrder, Set};

use super::StoreError;
use crate::entities::admin_tokens;

/// The newest stored token hash, if any.
pub async fn current_hash(db: &DatabaseConnection) -> Result<Option<String>, StoreError> {
    Ok(admin_tokens::Entity::find()
        .order_by_desc(admin_tokens::Column::Id)
        .one(db)
        .await?
        .map(|m| m.token_hash))
}

pub async fn store_hash(db: &DatabaseConnection, hash: String) -> Result<(), StoreError> {
    admin_tokens::ActiveModel {
        token_hash: Set(hash),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}
