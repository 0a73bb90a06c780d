//! `chorus backup` / `chorus restore` for the embedded SQLite database: an online,
//! consistent copy (`VACUUM INTO`, safe while the service runs), and a restore that
//! checks the copy before it replaces the database (with the service stopped).
//! PostgreSQL is backed up with its own tools (`pg_dump -Fc`), see docs/deployment.md.

use std::path::Path;

use sea_orm::{ConnectionTrait, Database, Statement};

use crate::config::Settings;

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("backups of PostgreSQL are made with pg_dump: pg_dump -Fc '{0}' > chorus.dump (restore with pg_restore); see docs/deployment.md")]
    Postgres(String),
    #[error("{0} already exists; choose a new file name so no backup is overwritten")]
    Exists(String),
    #[error("{path} is not a usable Chorus backup: {why}")]
    NotABackup { path: String, why: String },
    #[error("{0} is in use by a running Chorus service; stop the service first (restore replaces the database file), then run chorus restore again")]
    InUse(String),
    #[error("database error: {0}")]
    Db(#[from] sea_orm::DbErr),
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

fn sqlite_file(settings: &Settings) -> Result<std::path::PathBuf, BackupError> {
    settings
        .sqlite_file()
        .ok_or_else(|| BackupError::Postgres(settings.database_url.clone()))
}

/// Writes a consistent copy of the database to `out`; returns the number of responses.
pub async fn backup(settings: &Settings, out: &Path) -> Result<u64, BackupError> {
    sqlite_file(settings)?;
    if out.exists() {
        return Err(BackupError::Exists(out.display().to_string()));
    }
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| BackupError::Io {
            path: dir.display().to_string(),
            source,
        })?;
    }
    let db = crate::store::connect(settings)
        .await
        .map_err(|e| BackupError::NotABackup {
            path: settings.database_url.clone(),
            why: e.to_string(),
        })?;
    let target = out.display().to_string().replace('\'', "''");
    db.execute_unprepared(&format!("VACUUM INTO '{target}'"))
        .await?;
    check(out).await
}

/// Opens a backup read-only and checks it: integrity, and the Chorus tables.
pub async fn check(file: &Path) -> Result<u64, BackupError> {
    let not = |why: String| BackupError::NotABackup {
        path: file.display().to_string(),
        why,
    };
    if !file.is_file() {
        return Err(not("no such file".into()));
    }
    let db = Database::connect(format!("sqlite://{}?mode=ro", file.display()))
        .await
        .map_err(|e| not(e.to_string()))?;
    let backend = db.get_database_backend();
    let ok = db
        .query_one_raw(Statement::from_string(
            backend,
            "PRAGMA integrity_check".to_string(),
        ))
        .await
        .map_err(|e| not(e.to_string()))?
        .and_then(|r| r.try_get_by_index::<String>(0).ok())
        .unwrap_or_default();
    if ok != "ok" {
        return Err(not(format!("integrity check says {ok:?}")));
    }
    let n = db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT count(*) FROM responses".to_string(),
        ))
        .await
        .map_err(|e| not(format!("no responses table ({e})")))?
        .and_then(|r| r.try_get_by_index::<i64>(0).ok())
        .unwrap_or(0);
    db.close().await.map_err(|e| not(e.to_string()))?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Replaces the database with a checked backup, refusing while a service holds it.
/// The current database is kept beside it as `<file>.before-restore`, complete: its
/// write-ahead log is checkpointed into it first, and any -wal/-shm left are moved
/// with it, never deleted.
pub async fn restore(settings: &Settings, from: &Path) -> Result<u64, BackupError> {
    let target = sqlite_file(settings)?;
    let n = check(from).await?;
    let io = |path: &Path, source| BackupError::Io {
        path: path.display().to_string(),
        source,
    };
    if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    }
    let lock_path = crate::store::sqlite_lock::path(&target);
    let _alone = crate::store::sqlite_lock::try_exclusive(&target)
        .map_err(|e| io(&lock_path, e))?
        .ok_or_else(|| BackupError::InUse(target.display().to_string()))?;
    let staging = target.with_extension("restoring");
    std::fs::copy(from, &staging).map_err(|e| io(&staging, e))?;
    if target.exists() {
        checkpoint(&target).await?;
        let keep = target.with_extension("db.before-restore");
        for suffix in ["-wal", "-shm", ""] {
            let from = side_file(&target, suffix);
            if from.exists() {
                let to = side_file(&keep, suffix);
                std::fs::rename(&from, &to).map_err(|e| io(&to, e))?;
            }
        }
    }
    std::fs::rename(&staging, &target).map_err(|e| io(&target, e))?;
    Ok(n)
}

/// `<file><suffix>`: the database itself, or SQLite's -wal and -shm beside it.
fn side_file(file: &Path, suffix: &str) -> std::path::PathBuf {
    std::path::PathBuf::from(format!("{}{suffix}", file.display()))
}

/// Moves every committed transaction of the write-ahead log into the database file
/// (a service that crashed leaves them only in -wal).
async fn checkpoint(file: &Path) -> Result<(), BackupError> {
    let db = Database::connect(format!("sqlite://{}?mode=rw", file.display())).await?;
    let backend = db.get_database_backend();
    let busy = db
        .query_one_raw(Statement::from_string(
            backend,
            "PRAGMA wal_checkpoint(TRUNCATE)".to_string(),
        ))
        .await?
        .and_then(|r| r.try_get_by_index::<i32>(0).ok())
        .unwrap_or(0);
    db.close().await?;
    if busy != 0 {
        return Err(BackupError::InUse(file.display().to_string()));
    }
    Ok(())
}
