//! Schema migrations for Chorus: one small, reversible step per change, written with
//! `Iden` enums so the same step runs on SQLite and PostgreSQL.

pub use sea_orm_migration::prelude::*;

mod m20261129_000001_create_campaigns;
mod m20261129_000002_create_survey_versions;
mod m20261129_000003_create_responses;
mod m20261129_000004_create_admin_tokens;
mod m20261129_000005_create_invitations;
mod m20261130_000006_create_audit_log;
mod m20261130_000007_create_access_tokens;
mod m20261202_000008_create_anonymous_progress;
mod m20261204_000009_create_evaluator_sessions;
mod m20261204_000010_index_audit_log;
mod m20261204_000011_create_report_jobs;
mod m20261205_000012_add_response_paradata;
mod m20261206_000013_add_response_packed;
mod m20261206_000014_create_response_tallies;
mod m20261207_000015_index_responses_in_stored_order;
mod m20261207_000016_create_response_totals;

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
            Box::new(m20261129_000005_create_invitations::Migration),
            Box::new(m20261130_000006_create_audit_log::Migration),
            Box::new(m20261130_000007_create_access_tokens::Migration),
            Box::new(m20261202_000008_create_anonymous_progress::Migration),
            Box::new(m20261204_000009_create_evaluator_sessions::Migration),
            Box::new(m20261204_000010_index_audit_log::Migration),
            Box::new(m20261204_000011_create_report_jobs::Migration),
            Box::new(m20261205_000012_add_response_paradata::Migration),
            Box::new(m20261206_000013_add_response_packed::Migration),
            Box::new(m20261206_000014_create_response_tallies::Migration),
            Box::new(m20261207_000015_index_responses_in_stored_order::Migration),
            Box::new(m20261207_000016_create_response_totals::Migration),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm_migration::sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};

    async fn has_table(db: &DatabaseConnection, name: &str) -> bool {
        let sql =
            format!("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '{name}'");
        let row = db
            .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
            .await
            .expect("query")
            .expect("row");
        row.try_get_by_index::<i64>(0).expect("count") == 1
    }

    /// Every step is reversible: up, all the way down, and up again.
    #[tokio::test]
    async fn migrations_go_up_down_and_up_again() {
        let db = Database::connect("sqlite::memory:").await.expect("connect");
        Migrator::up(&db, None).await.expect("up");
        for table in [
            "campaigns",
            "survey_versions",
            "responses",
            "admin_tokens",
            "invitations",
            "audit_log",
            "access_tokens",
            "anonymous_progress",
            "evaluator_sessions",
            "report_jobs",
            "response_tallies",
            "response_totals",
        ] {
            assert!(has_table(&db, table).await, "{table} created");
        }
        Migrator::down(&db, None).await.expect("down");
        for table in [
            "campaigns",
            "survey_versions",
            "responses",
            "admin_tokens",
            "invitations",
            "anonymous_progress",
            "evaluator_sessions",
            "report_jobs",
            "response_tallies",
            "response_totals",
        ] {
            assert!(!has_table(&db, table).await, "{table} dropped");
        }
        Migrator::up(&db, None).await.expect("up again");
        assert_eq!(
            Migrator::get_pending_migrations(&db)
                .await
                .expect("pending")
                .len(),
            0
        );
    }

    #[test]
    fn migration_names_are_unique_and_ordered() {
        let names: Vec<String> = Migrator::migrations()
            .iter()
            .map(|m| m.name().to_string())
            .collect();
        let mut sorted = names.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(names, sorted);
    }
}
