//! `response_totals` table: responses per campaign, questionnaire version and shard,
//! kept with each stored response beside the tallies (`store::tallies`).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "response_totals")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub campaign_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub survey_version_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub shard: i16,
    pub n: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
