//! Evaluator tokens, stored only as argon2 hashes.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AdminTokens {
    Table,
    Id,
    TokenHash,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AdminTokens::Table)
                    .if_not_exists()
                    .col(big_pk_auto(AdminTokens::Id))
                    .col(text(AdminTokens::TokenHash))
                    .col(timestamp_with_time_zone(AdminTokens::CreatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AdminTokens::Table).to_owned())
            .await
    }
}
