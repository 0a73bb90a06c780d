//! `evaluator_sessions` table: workspace sessions, the session id as SHA-256 only.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "evaluator_sessions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub session_hash: String,
    /// The issued token it logged in with (`access_tokens.id`), or none for the
    /// installation's token.
    pub token_id: Option<i64>,
    /// For the installation's token: which one (a digest of its stored hash), so a new
    /// installation token ends the old one's sessions.
    pub install_key: Option<String>,
    pub created_at: ChronoDateTimeUtc,
    pub expires_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
