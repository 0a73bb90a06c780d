//! Scoped access tokens: an admin, or an evaluator optionally limited to one school.
//! Tokens are random (100 bits) and stored only as SHA-256.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AccessTokens {
    Table,
    Id,
    TokenHash,
    Role,
    School,
    Label,
    CreatedAt,
    Revoked,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AccessTokens::Table)
                    .if_not_exists()
                    .col(big_pk_auto(AccessTokens::Id))
                    .col(string_uniq(AccessTokens::TokenHash))
                    .col(string(AccessTokens::Role))
                    .col(string_null(AccessTokens::School))
                    .col(string(AccessTokens::Label))
                    .col(timestamp_with_time_zone(AccessTokens::CreatedAt))
                    .col(boolean(AccessTokens::Revoked).default(false))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AccessTokens::Table).to_owned())
            .await
    }
}
