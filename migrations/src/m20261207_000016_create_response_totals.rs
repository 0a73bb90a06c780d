//! Response totals: how many responses each campaign holds per questionnaire version,
//! kept by the service in the same transaction as each response it stores (beside the
//! finer tallies of step 14), so a campaign's data version and its count per group are
//! read from a few rows instead of summing every tally (112k tally rows at 1M demo
//! responses, ~44 ms a read). Sharded like the tallies; readers sum the shards.
//! Derived: this step fills it from the stored responses, and `chorus reindex`
//! rebuilds it.
//!
//! On SQLite the tallies' own triggers keep it (one writer; a separate statement per
//! group commit cost 3–6 % of the ingest rate through sqlx's worker hop); PostgreSQL's
//! writers add to it with a statement of their own, on a random shard.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ResponseTotals {
    Table,
    CampaignId,
    SurveyVersionId,
    Shard,
    N,
}

/// SQLite: every tally added to (inserted, or its `n` raised by the upsert) adds the
/// same to its campaign and version's total.
const SQLITE_TRIGGERS: [&str; 2] = [
    "CREATE TRIGGER response_totals_on_tally_insert AFTER INSERT ON response_tallies BEGIN \
     INSERT INTO response_totals (campaign_id, survey_version_id, shard, n) \
     VALUES (NEW.campaign_id, NEW.survey_version_id, 0, NEW.n) \
     ON CONFLICT (campaign_id, survey_version_id, shard) \
     DO UPDATE SET n = response_totals.n + excluded.n; END",
    "CREATE TRIGGER response_totals_on_tally_update AFTER UPDATE OF n ON response_tallies BEGIN \
     UPDATE response_totals SET n = n + NEW.n - OLD.n \
     WHERE campaign_id = NEW.campaign_id AND survey_version_id = NEW.survey_version_id \
     AND shard = 0; END",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ResponseTotals::Table)
                    .col(
                        ColumnDef::new(ResponseTotals::CampaignId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ResponseTotals::SurveyVersionId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ResponseTotals::Shard)
                            .small_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(ResponseTotals::N).big_integer().not_null())
                    .primary_key(
                        Index::create()
                            .col(ResponseTotals::CampaignId)
                            .col(ResponseTotals::SurveyVersionId)
                            .col(ResponseTotals::Shard),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(
                "INSERT INTO response_totals (campaign_id, survey_version_id, shard, n) \
                 SELECT campaign_id, survey_version_id, 0, count(*) \
                 FROM responses GROUP BY campaign_id, survey_version_id",
            )
            .await?;
        if manager.get_database_backend() == DbBackend::Sqlite {
            for trigger in SQLITE_TRIGGERS {
                manager.get_connection().execute_unprepared(trigger).await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Sqlite {
            for trigger in [
                "response_totals_on_tally_insert",
                "response_totals_on_tally_update",
            ] {
                manager
                    .get_connection()
                    .execute_unprepared(&format!("DROP TRIGGER IF EXISTS {trigger}"))
                    .await?;
            }
        }
        manager
            .drop_table(Table::drop().table(ResponseTotals::Table).to_owned())
            .await
    }
}
