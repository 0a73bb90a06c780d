//! Survey definition versions: immutable snapshots of one questionnaire file.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261129_000001_create_campaigns::Campaigns;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum SurveyVersions {
    Table,
    Id,
    CampaignId,
    Slug,
    Audience,
    Version,
    ContentHash,
    Definition,
    PublishedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SurveyVersions::Table)
                    .if_not_exists()
                    .col(big_pk_auto(SurveyVersions::Id))
                    .col(big_integer(SurveyVersions::CampaignId))
                    .col(string(SurveyVersions::Slug))
                    .col(string(SurveyVersions::Audience))
                    .col(integer(SurveyVersions::Version))
                    .col(string(SurveyVersions::ContentHash))
                    .col(text(SurveyVersions::Definition))
                    .col(timestamp_with_time_zone(SurveyVersions::PublishedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_survey_versions_campaign")
                            .from(SurveyVersions::Table, SurveyVersions::CampaignId)
                            .to(Campaigns::Table, Campaigns::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_survey_versions_slug_version")
                    .table(SurveyVersions::Table)
                    .col(SurveyVersions::Slug)
                    .col(SurveyVersions::Version)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SurveyVersions::Table).to_owned())
            .await
    }
}
