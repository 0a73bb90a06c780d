//! `response_tallies` table: responses per campaign, questionnaire version, attribute
//! set, day (UTC+8) and shard, kept with each stored response (`store::tallies`).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "response_tallies")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub campaign_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub survey_version_id: i64,
    /// The responses' stored attributes text (compact JSON of a sorted map).
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub attributes: String,
    /// `YYYY-MM-DD`, Beijing time.
    #[sea_orm(primary_key, auto_increment = false)]
    pub day: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub shard: i16,
    pub n: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
