//! All database access. Handlers call these functions; they never build queries.

pub mod audit;
pub mod campaigns;
pub mod ingest;
pub mod invitations;
pub mod responses;
pub mod surveys;
pub mod tokens;

use migrations::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend};

use crate::config::Settings;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Db(#[from] sea_orm::DbErr),
    #[error("stored data is unreadable: {0}")]
    Corrupt(String),
    /// A change the store will not make, with the reason and the way to make it.
    #[error("{0}")]
    Refused(String),
    #[error("cannot create database folder {path}: {source}")]
    Folder {
        path: String,
        source: std::io::Error,
    },
}

/// Opens the database named by the settings (creating a SQLite file and its folder)
/// and brings its schema up to date.
pub async fn connect(settings: &Settings) -> Result<DatabaseConnection, StoreError> {
    if let Some(dir) = settings.sqlite_parent_dir() {
        if !dir.as_os_str().is_empty() {
            std::fs::create_dir_all(&dir).map_err(|source| StoreError::Folder {
                path: dir.display().to_string(),
                source,
            })?;
        }
    }
    let mut url = settings.database_url.clone();
    if url.starts_with("sqlite:") && !url.contains("mode=") {
        url.push_str(if url.contains('?') {
            "&mode=rwc"
        } else {
            "?mode=rwc"
        });
    }
    let mut opts = ConnectOptions::new(url);
    opts.sqlx_logging(false)
        .max_connections(16)
        .min_connections(1);
    let db = Database::connect(opts).await?;
    if db.get_database_backend() == DbBackend::Sqlite {
        // WAL lets readers (reports) run while respondents write; sqlx already uses
        // synchronous=FULL, so an acknowledged commit survives a power cut.
        db.execute_unprepared("PRAGMA journal_mode=WAL").await?;
    }
    Migrator::up(&db, None).await?;
    Ok(db)
}
