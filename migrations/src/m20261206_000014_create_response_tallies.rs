//! Response tallies: how many responses each campaign holds per questionnaire version,
//! attribute set and calendar day (UTC+8), kept by the service in the same transaction
//! as each response it stores, so the fieldwork monitor and the workspace count units
//! without reading every response. A row per key is split over a few `shard`s so
//! concurrent writers seldom wait on one row; readers sum the shards. Derived: this step
//! fills it from the stored responses, and `chorus reindex` rebuilds it.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ResponseTallies {
    Table,
    CampaignId,
    SurveyVersionId,
    Attributes,
    Day,
    Shard,
    N,
}

/// The calendar day (UTC+8) of a response's `submitted_at`, as `YYYY-MM-DD`.
fn day_sql(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::Postgres => {
            "to_char((submitted_at AT TIME ZONE 'UTC') + interval '8 hours', 'YYYY-MM-DD')"
        }
        _ => "date(submitted_at, '+8 hours')",
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ResponseTallies::Table)
                    .col(
                        ColumnDef::new(ResponseTallies::CampaignId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ResponseTallies::SurveyVersionId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ResponseTallies::Attributes)
                            .text()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ResponseTallies::Day)
                            .string_len(10)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ResponseTallies::Shard)
                            .small_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(ResponseTallies::N).big_integer().not_null())
                    .primary_key(
                        Index::create()
                            .col(ResponseTallies::CampaignId)
                            .col(ResponseTallies::SurveyVersionId)
                            .col(ResponseTallies::Attributes)
                            .col(ResponseTallies::Day)
                            .col(ResponseTallies::Shard),
                    )
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        let day = day_sql(db.get_database_backend());
        db.execute_unprepared(&format!(
            "INSERT INTO response_tallies (campaign_id, survey_version_id, attributes, day, shard, n) \
             SELECT campaign_id, survey_version_id, attributes, {day}, 0, count(*) \
             FROM responses GROUP BY campaign_id, survey_version_id, attributes, {day}"
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ResponseTallies::Table).to_owned())
            .await
    }
}
