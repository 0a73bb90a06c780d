//! Progress of invitations to anonymous questionnaires, kept apart from the
//! invitations: one row per invitation that was opened, saved or answered, keyed by a
//! second hash of the token that the invitation's own hash cannot be matched with. A
//! submission writes only here and to `responses`, so no invitation row changes in the
//! transaction of an anonymous response (PostgreSQL's `xmin`, the order of updated rows
//! and SQLite's write-ahead log would otherwise link the two).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AnonymousProgress {
    Table,
    Key,
    SurveySlug,
    Attributes,
    StartedOn,
    Draft,
    Completed,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AnonymousProgress::Table)
                    .if_not_exists()
                    .col(string(AnonymousProgress::Key).primary_key())
                    .col(string(AnonymousProgress::SurveySlug))
                    .col(text(AnonymousProgress::Attributes))
                    .col(string(AnonymousProgress::StartedOn))
                    .col(text_null(AnonymousProgress::Draft))
                    .col(boolean(AnonymousProgress::Completed).default(false))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_anonymous_progress_survey")
                    .table(AnonymousProgress::Table)
                    .col(AnonymousProgress::SurveySlug)
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AnonymousProgress::Table).to_owned())
            .await
    }
}
