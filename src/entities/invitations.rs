//! `invitations` table: one row per invitation token (SHA-256 only), with its
//! prefilled attributes, progress and, for non-anonymous questionnaires, the response.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invitations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub campaign_id: i64,
    #[sea_orm(column_type = "Text")]
    pub survey_slug: String,
    #[sea_orm(column_type = "Text")]
    pub batch: String,
    #[sea_orm(column_type = "Text", unique)]
    pub token_hash: String,
    #[sea_orm(column_type = "Text")]
    pub attributes: String,
    pub created_at: ChronoDateTimeUtc,
    pub started_at: Option<ChronoDateTimeUtc>,
    pub completed: bool,
    pub completed_at: Option<ChronoDateTimeUtc>,
    pub response_id: Option<Uuid>,
    #[sea_orm(column_type = "Text", nullable)]
    pub partial: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
