//! All database access. Handlers call these functions; they never build queries.

pub mod access;
pub mod anonymous;
pub mod attribute_numbers;
pub mod audit;
pub mod campaigns;
pub mod caps;
pub mod fieldwork;
pub mod ingest;
pub mod invitations;
pub mod packed;
mod pg_copy;
pub mod report_jobs;
pub mod responses;
pub mod sessions;
pub mod sqlite_lock;
mod sqlite_scan;
pub mod surveys;
pub mod tallies;
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
    /// SQLite could not open or set up its database because the folder cannot be
    /// written (a read-only volume or share).
    #[error("cannot open the SQLite database in {path}: the folder is not writable ({source}); SQLite writes the database and its -wal and -shm files there. Fix: make the volume writable, or point CHORUS_DATABASE_URL at a writable folder (原因：数据库所在目录不可写)")]
    NotWritable {
        path: String,
        source: std::io::Error,
    },
}

impl StoreError {
    /// The database is away or cannot take writes right now (connection lost or
    /// refused, server restarting, disk full, read-only file, locked): nothing was
    /// stored and the same request may succeed later, so clients get 503 + Retry-After
    /// rather than 500.
    pub fn is_unavailable(&self) -> bool {
        let StoreError::Db(e) = self else {
            return false;
        };
        if matches!(
            e,
            sea_orm::DbErr::Conn(_) | sea_orm::DbErr::ConnectionAcquire(_)
        ) {
            return true;
        }
        let text = e.to_string().to_lowercase();
        [
            // SQLite
            "database or disk is full",
            "readonly database",
            "read-only",
            "disk i/o error",
            "database is locked",
            "unable to open database",
            // PostgreSQL and the network
            "connection",
            "broken pipe",
            "terminating connection",
            "shutting down",
            "starting up",
            "no space left",
            "could not extend file",
            "timed out",
            "pool closed",
            "unexpected eof",
            "error communicating with database",
            "io error",
        ]
        .iter()
        .any(|p| text.contains(p))
    }
}

/// A SQLite start-up failure in a folder that cannot be written says so, with the fix
/// (SQLite itself only says "unable to open database file").
fn explain_sqlite_failure(settings: &Settings, e: StoreError) -> StoreError {
    let Some(dir) = settings.sqlite_parent_dir() else {
        return e;
    };
    let dir = if dir.as_os_str().is_empty() {
        std::path::PathBuf::from(".")
    } else {
        dir
    };
    let probe = dir.join(format!(".chorus-write-probe-{}", std::process::id()));
    match std::fs::File::create(&probe) {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            e
        }
        Err(source) => StoreError::NotWritable {
            path: dir.display().to_string(),
            source,
        },
    }
}

/// The SQLite pool. A connection must come back to the pool outside any transaction:
/// after a failed COMMIT (a full disk) SQLite and sqlx can disagree about whether a
/// transaction is still open, and a connection left inside one would take later
/// batches into a transaction that never commits while they are acknowledged. Every
/// released connection is probed with `BEGIN`/`ROLLBACK` and closed if the probe fails.
async fn sqlite_pool(url: &str) -> Result<DatabaseConnection, StoreError> {
    use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
    use sea_orm::sqlx::Executor;
    use std::str::FromStr;
    let conn_err = |e: sea_orm::sqlx::Error| {
        StoreError::Db(sea_orm::DbErr::Conn(sea_orm::RuntimeErr::Internal(
            e.to_string(),
        )))
    };
    // Statement journals in memory: every multi-row insert of a group commit keeps one
    // (the responses table has foreign keys), and on disk it spilled to a temporary
    // file, a write syscall per page (15 % of the SQLite worker's time under load).
    let options = SqliteConnectOptions::from_str(url)
        .map_err(conn_err)?
        .pragma("temp_store", "memory");
    let pool = SqlitePoolOptions::new()
        .max_connections(16)
        .min_connections(1)
        .acquire_timeout(std::time::Duration::from_secs(5))
        .after_release(|conn, _| {
            Box::pin(async move {
                match conn.execute("BEGIN").await {
                    Ok(_) => {
                        conn.execute("ROLLBACK").await?;
                        Ok(true)
                    }
                    Err(_) => Ok(false),
                }
            })
        })
        .connect_with(options)
        .await
        .map_err(conn_err)?;
    Ok(sea_orm::SqlxSqliteConnector::from_sqlx_sqlite_pool(pool))
}

/// Brings the query planner's statistics of the responses up to date after a bulk
/// load. PostgreSQL plans the analysis read (`ORDER BY submitted_at, id`) from them:
/// until autovacuum next analyses the table, a freshly loaded million rows were read by
/// a bitmap scan and an external sort on disk (0.84 s in the server) instead of the
/// stored-order index (0.52 s), and `chorus analyse` took 1.7 s to read instead of 1.1 s.
/// SQLite's analysis read does not depend on its statistics (see
/// `responses::stream_for_analysis`).
pub async fn refresh_statistics(db: &DatabaseConnection) -> Result<(), StoreError> {
    if db.get_database_backend() == DbBackend::Postgres {
        db.execute_unprepared("ANALYZE responses").await?;
    }
    Ok(())
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
    if url.starts_with("sqlite:") {
        let opened = async {
            let db = sqlite_pool(&url).await?;
            // WAL lets readers (reports) run while respondents write; sqlx already uses
            // synchronous=FULL, so an acknowledged commit survives a power cut.
            db.execute_unprepared("PRAGMA journal_mode=WAL").await?;
            Migrator::up(&db, None).await?;
            // SQLite opens a file it cannot write read-only without saying so (and every
            // later connection of this process would share that state): a real write
            // here makes a read-only volume a start-up error with a clear message,
            // instead of a service that acknowledges nothing.
            let version = db
                .query_one_raw(sea_orm::Statement::from_string(
                    DbBackend::Sqlite,
                    "PRAGMA user_version".to_string(),
                ))
                .await?
                .and_then(|row| row.try_get_by_index::<i64>(0).ok())
                .unwrap_or(0);
            db.execute_unprepared(&format!("PRAGMA user_version = {version}"))
                .await?;
            Ok::<_, StoreError>(db)
        }
        .await;
        return opened.map_err(|e| explain_sqlite_failure(settings, e));
    }
    let mut opts = ConnectOptions::new(url);
    opts.sqlx_logging(false)
        .max_connections(16)
        .min_connections(1)
        // While the database is away (restart, network), requests fail within seconds
        // with 503 + Retry-After instead of hanging; the pool reconnects by itself.
        .acquire_timeout(std::time::Duration::from_secs(5))
        .connect_timeout(std::time::Duration::from_secs(5));
    let db = Database::connect(opts).await?;
    if db.get_database_backend() == DbBackend::Sqlite {
        // WAL lets readers (reports) run while respondents write; sqlx already uses
        // synchronous=FULL, so an acknowledged commit survives a power cut.
        db.execute_unprepared("PRAGMA journal_mode=WAL").await?;
    }
    Migrator::up(&db, None).await?;
    Ok(db)
}
