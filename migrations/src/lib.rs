//! Schema migrations for Chorus: one small, reversible step per change, written with
//! `Iden` enums so the same step runs on SQLite and PostgreSQL.

pub use sea_orm_migration::prelude::*;

mod m20261129_000001_create_campaigns;
mod m20261129_000002_create_survey_versions;
mod m20261129_000003_create_responses;
mod m20261129_000004_create_admin_tokens;

/// Every migration, in the order it must run.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261129_000001_create_campaigns::Migration),
            Box::new(m20261129_000002_create_survey_versions::Migration),
            Box::new(m20261129_000003_create_responses::Migration),
            Box::new(m20261129_000004_create_admin_tokens::Migration),
        ]
    }
}
