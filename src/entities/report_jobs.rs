//! `report_jobs` table: the workspace's report jobs and, once done, their file.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "report_jobs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Who asked (audit actor and school): only they see the job.
    pub owner: String,
    pub campaign: String,
    pub format: String,
    pub lang: String,
    /// The view's filters, a JSON array of `[attribute, value]`.
    #[sea_orm(column_type = "Text")]
    pub filters: String,
    pub created_at: ChronoDateTimeUtc,
    /// `reading`, `rendering`, `done` or `failed`.
    pub stage: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub error: Option<String>,
    pub took_ms: Option<i64>,
    /// The file's size in bytes, once done.
    pub size: Option<i64>,
    #[sea_orm(column_type = "Blob", nullable)]
    pub file: Option<Vec<u8>>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
