//! Campaigns: one row per campaign folder, holding its indicator framework.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum Campaigns {
    Table,
    Id,
    Key,
    Title,
    Framework,
    FrameworkHash,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Campaigns::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Campaigns::Id))
                    .col(string_uniq(Campaigns::Key))
                    .col(string(Campaigns::Title))
                    // The parsed framework as JSON text: identical on both backends.
                    .col(text(Campaigns::Framework))
                    .col(string(Campaigns::FrameworkHash))
                    .col(timestamp_with_time_zone(Campaigns::CreatedAt))
                    .col(timestamp_with_time_zone(Campaigns::UpdatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Campaigns::Table).to_owned())
            .await
    }
}
