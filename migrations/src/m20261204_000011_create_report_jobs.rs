//! Report jobs of the workspace, in the database so that every instance behind a load
//! balancer sees the same jobs and a finished report survives a restart: who asked, for
//! which view and format, where the job is, and the finished file (kept an hour).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ReportJobs {
    Table,
    Id,
    Owner,
    Campaign,
    Format,
    Lang,
    Filters,
    CreatedAt,
    Stage,
    Error,
    TookMs,
    Size,
    File,
}

const BY_OWNER: &str = "ix_report_jobs_owner";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ReportJobs::Table)
                    .if_not_exists()
                    .col(string(ReportJobs::Id).primary_key())
                    .col(string(ReportJobs::Owner))
                    .col(string(ReportJobs::Campaign))
                    .col(string(ReportJobs::Format))
                    .col(string(ReportJobs::Lang))
                    .col(text(ReportJobs::Filters))
                    .col(timestamp_with_time_zone(ReportJobs::CreatedAt))
                    .col(string(ReportJobs::Stage))
                    .col(text_null(ReportJobs::Error))
                    .col(big_integer_null(ReportJobs::TookMs))
                    .col(big_integer_null(ReportJobs::Size))
                    .col(blob_null(ReportJobs::File))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(BY_OWNER)
                    .table(ReportJobs::Table)
                    .col(ReportJobs::Owner)
                    .col(ReportJobs::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ReportJobs::Table).to_owned())
            .await
    }
}
