//! `responses` table: one row per response, answers as one JSON object.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "responses")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub campaign_id: i64,
    pub survey_version_id: i64,
    pub audience: String,
    pub submitted_at: ChronoDateTimeUtc,
    #[sea_orm(column_type = "Text")]
    pub attributes: String,
    #[sea_orm(column_type = "Text")]
    pub answers: String,
    pub fingerprint: String,
    /// Seconds spent answering, when measured.
    pub duration_s: Option<i32>,
    /// Seconds per page as a JSON array, when the page script measured them.
    #[sea_orm(column_type = "Text", nullable)]
    pub page_seconds: Option<String>,
    /// Keyed hash of the client (named questionnaires, while the campaign is open).
    pub client_hash: Option<String>,
    /// The duplicate rule's verdict, kept when the client hash is cleared.
    pub duplicate: Option<bool>,
    /// The answers packed for the analysis (`domain::packed`); derived from `answers`.
    #[sea_orm(column_type = "Blob", nullable)]
    pub packed: Option<Vec<u8>>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
