//! The packed answers of a response (see `domain::packed` in the service): the same
//! answers as the JSON column, one entry per question of its questionnaire version, a
//! byte per Likert answer, which the analysis reads instead of parsing JSON. Derived
//! and nullable: rows stored before this step have none until the service's backfill
//! (run at start, in batches, resumable) or `chorus reindex` packs them, and the
//! analysis reads the JSON of any row without one.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Responses {
    Table,
    Packed,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Responses::Table)
                    .add_column(ColumnDef::new(Responses::Packed).blob().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Responses::Table)
                    .drop_column(Responses::Packed)
                    .to_owned(),
            )
            .await
    }
}
