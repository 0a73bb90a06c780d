//! Invitation tokens: one per respondent, answering once. Only a SHA-256 of the token is
//! stored. For anonymous questionnaires nothing here points at the response.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Invitations {
    Table,
    Id,
    CampaignId,
    SurveySlug,
    Batch,
    TokenHash,
    Attributes,
    CreatedAt,
    StartedAt,
    Completed,
    CompletedAt,
    ResponseId,
    Partial,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Invitations::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Invitations::Id))
                    .col(big_integer(Invitations::CampaignId))
                    .col(text(Invitations::SurveySlug))
                    .col(text(Invitations::Batch))
                    .col(text(Invitations::TokenHash).unique_key())
                    .col(text(Invitations::Attributes))
                    .col(timestamp_with_time_zone(Invitations::CreatedAt))
                    .col(timestamp_with_time_zone_null(Invitations::StartedAt))
                    .col(boolean(Invitations::Completed).default(false))
                    .col(timestamp_with_time_zone_null(Invitations::CompletedAt))
                    .col(uuid_null(Invitations::ResponseId))
                    .col(text_null(Invitations::Partial))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_invitations_survey")
                    .table(Invitations::Table)
                    .col(Invitations::SurveySlug)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Invitations::Table).to_owned())
            .await
    }
}
