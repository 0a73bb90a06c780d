//! Paradata on responses: how long answering took (whole seconds) and, when the page
//! script measured them, the seconds per page as a JSON array; and, for named
//! questionnaires only, a keyed hash of the client's address and browser that
//! recognises duplicate submissions, cleared when the campaign closes, when the
//! verdict it gave is kept in `duplicate` instead. All nullable:
//! older responses and API clients that send none have none. No clock time is added,
//! so an anonymous response stays unlinkable.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Responses {
    Table,
    DurationS,
    PageSeconds,
    ClientHash,
    Duplicate,
}

/// One new nullable column each; one statement per column, as SQLite alters one thing
/// at a time.
fn columns() -> [ColumnDef; 4] {
    [
        ColumnDef::new(Responses::DurationS)
            .integer()
            .null()
            .to_owned(),
        ColumnDef::new(Responses::PageSeconds)
            .text()
            .null()
            .to_owned(),
        ColumnDef::new(Responses::ClientHash)
            .string()
            .null()
            .to_owned(),
        ColumnDef::new(Responses::Duplicate)
            .boolean()
            .null()
            .to_owned(),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for mut column in columns() {
            manager
                .alter_table(
                    Table::alter()
                        .table(Responses::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            Responses::Duplicate,
            Responses::ClientHash,
            Responses::PageSeconds,
            Responses::DurationS,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Responses::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
