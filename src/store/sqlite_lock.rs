//! Who holds the embedded SQLite database: a running service holds a shared lock on a
//! file beside it (`<file>.lock`) for its whole life, so `chorus restore`, which needs
//! the database to itself, can see the service and refuse instead of replacing a file
//! under it. An advisory `flock` on a separate file, never on the database itself:
//! closing any other handle of the database file would drop SQLite's own POSIX locks.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

/// The lock file of the database at `db`.
pub fn path(db: &Path) -> PathBuf {
    PathBuf::from(format!("{}.lock", db.display()))
}

fn open(db: &Path) -> std::io::Result<File> {
    OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path(db))
}

/// Taken by the service (shared: several instances may serve one file); released
/// when the returned handle is dropped, and by the kernel if the process dies.
pub fn hold_shared(db: &Path) -> std::io::Result<File> {
    let file = open(db)?;
    file.lock_shared()?;
    Ok(file)
}

/// Taken by `restore`: `Ok(None)` when a service holds the database.
pub fn try_exclusive(db: &Path) -> std::io::Result<Option<File>> {
    let file = open(db)?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(TryLockError::WouldBlock) => Ok(None),
        Err(TryLockError::Error(e)) => Err(e),
    }
}
