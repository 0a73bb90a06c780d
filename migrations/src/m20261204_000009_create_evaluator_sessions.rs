//! Evaluator sessions of the workspace: the browser's cookie holds a random session id
//! (stored only as SHA-256), never the token it logged in with, so a page view costs
//! one indexed lookup and revoking the token ends its sessions.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum EvaluatorSessions {
    Table,
    Id,
    SessionHash,
    TokenId,
    InstallKey,
    CreatedAt,
    ExpiresAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(EvaluatorSessions::Table)
                    .if_not_exists()
                    .col(big_pk_auto(EvaluatorSessions::Id))
                    .col(string_uniq(EvaluatorSessions::SessionHash))
                    .col(big_integer_null(EvaluatorSessions::TokenId))
                    .col(string_null(EvaluatorSessions::InstallKey))
                    .col(timestamp_with_time_zone(EvaluatorSessions::CreatedAt))
                    .col(timestamp_with_time_zone(EvaluatorSessions::ExpiresAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(EvaluatorSessions::Table).to_owned())
            .await
    }
}
