//! The analysis read on SQLite without sqlx's row-by-row hand-off: sqlx hands each
//! row from its worker thread to the async side as a message and decodes each value
//! through its type machinery (~5 µs a row of nine columns, 5–10× the sqlite3 scan
//! floor). Here a read-only connection of its own (rusqlite, on the same SQLite
//! library) steps the statement on a blocking thread, decodes rows in place and sends
//! them on in chunks. The statement is the one sea-query builds for every backend.

use std::path::PathBuf;

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags, Row};
use sea_orm::{DatabaseConnection, Value};
use uuid::Uuid;

use super::responses::{free_spent, AnalysisRow, Spent, StoredAnswers};
use super::StoreError;

/// Why the scan failed, as a store error.
fn failure(what: impl std::fmt::Display) -> StoreError {
    StoreError::Db(sea_orm::DbErr::Custom(format!("analysis read: {what}")))
}

/// The database file behind the pool, when it is one (not an in-memory database).
pub(super) fn database_file(db: &DatabaseConnection) -> Option<PathBuf> {
    let options = db.get_sqlite_connection_pool().connect_options();
    let path = options.get_filename();
    path.is_file().then(|| path.to_path_buf())
}

/// A column's bytes (a blob, or a text's UTF-8); None when NULL.
fn bytes<'r>(row: &'r Row<'_>, col: usize) -> Result<Option<&'r [u8]>, StoreError> {
    match row.get_ref(col).map_err(failure)? {
        ValueRef::Null => Ok(None),
        ValueRef::Blob(b) | ValueRef::Text(b) => Ok(Some(b)),
        other => Err(failure(format!(
            "column {col}: unexpected {:?}",
            other.data_type()
        ))),
    }
}

fn text(row: &Row<'_>, col: usize) -> Result<Option<String>, StoreError> {
    bytes(row, col)?
        .map(|b| String::from_utf8(b.to_vec()).map_err(failure))
        .transpose()
}

fn int(row: &Row<'_>, col: usize) -> Result<Option<i64>, StoreError> {
    match row.get_ref(col).map_err(failure)? {
        ValueRef::Null => Ok(None),
        ValueRef::Integer(n) => Ok(Some(n)),
        other => Err(failure(format!(
            "column {col}: unexpected {:?}",
            other.data_type()
        ))),
    }
}

/// A stored UUID: 16 bytes as sqlx writes it, or its text.
fn uuid(b: &[u8]) -> Result<Uuid, StoreError> {
    Uuid::from_slice(b)
        .or_else(|_| Uuid::try_parse_ascii(b))
        .map_err(failure)
}

/// A stored timestamp, read as sqlx reads it: RFC 3339 (as sea-orm writes it), the
/// other SQLite text forms, or Unix seconds.
fn timestamp(value: ValueRef<'_>) -> Result<DateTime<Utc>, StoreError> {
    let text = match value {
        ValueRef::Integer(secs) => {
            return Utc
                .timestamp_opt(secs, 0)
                .single()
                .ok_or_else(|| failure(format!("timestamp {secs} out of range")))
        }
        ValueRef::Text(t) => std::str::from_utf8(t).map_err(failure)?,
        other => {
            return Err(failure(format!(
                "submitted_at: unexpected {:?}",
                other.data_type()
            )))
        }
    };
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    for format in ["%F %T%.f%:z", "%FT%T%.f%:z"] {
        if let Ok(t) = DateTime::parse_from_str(text, format) {
            return Ok(t.with_timezone(&Utc));
        }
    }
    for format in ["%F %T%.f", "%FT%T%.f", "%F %T%.fZ", "%FT%T%.fZ"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, format) {
            return Ok(Utc.from_utc_datetime(&t));
        }
    }
    Err(failure(format!("submitted_at {text:?} is not a timestamp")))
}

/// One row of the statement [`super::responses::stream_for_analysis`] builds.
fn analysis_row(row: &Row<'_>) -> Result<AnalysisRow, StoreError> {
    let answers = match bytes(row, 4)? {
        Some(p) => StoredAnswers::Packed(p.to_vec()),
        None => StoredAnswers::Json(text(row, 5)?.unwrap_or_default()),
    };
    Ok(AnalysisRow {
        id: uuid(bytes(row, 0)?.unwrap_or_default())?,
        survey_version_id: int(row, 1)?.unwrap_or_default(),
        submitted_at: timestamp(row.get_ref(2).map_err(failure)?)?,
        attributes: text(row, 3)?.unwrap_or_default(),
        answers,
        duration_s: int(row, 6)?.and_then(|d| i32::try_from(d).ok()),
        client_hash: text(row, 7)?,
        duplicate: int(row, 8)? == Some(1),
    })
}

/// A query parameter as SQLite takes it (the analysis query binds integers and texts).
fn parameter(v: Value) -> Result<rusqlite::types::Value, StoreError> {
    use rusqlite::types::Value as Sql;
    match v {
        Value::BigInt(Some(n)) => Ok(Sql::Integer(n)),
        Value::Int(Some(n)) => Ok(Sql::Integer(i64::from(n))),
        Value::String(Some(s)) => Ok(Sql::Text(s)),
        other => Err(failure(format!("unexpected parameter {other:?}"))),
    }
}

/// Runs the analysis statement `sql` with `values` on its own read connection to
/// `file` (WAL: a consistent snapshot while respondents write), sending its rows in
/// chunks of `chunk` to `tx` and freeing the chunks handed back on `spent`; returns how
/// many were sent.
pub(super) async fn analysis_rows(
    file: PathBuf,
    sql: String,
    values: Vec<Value>,
    chunk: usize,
    tx: tokio::sync::mpsc::Sender<Vec<AnalysisRow>>,
    spent: Option<Spent>,
) -> Result<u64, StoreError> {
    tokio::task::spawn_blocking(move || -> Result<u64, StoreError> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(&file, flags).map_err(failure)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(failure)?;
        let params = values
            .into_iter()
            .map(parameter)
            .collect::<Result<Vec<_>, _>>()?;
        let mut stmt = conn.prepare(&sql).map_err(failure)?;
        let mut rows = stmt
            .query(rusqlite::params_from_iter(params))
            .map_err(failure)?;
        let mut sent = 0u64;
        let mut batch = Vec::with_capacity(chunk);
        while let Some(row) = rows.next().map_err(failure)? {
            batch.push(analysis_row(row)?);
            if batch.len() == chunk {
                sent += batch.len() as u64;
                let full = std::mem::replace(&mut batch, Vec::with_capacity(chunk));
                if tx.blocking_send(full).is_err() {
                    return Ok(sent);
                }
                free_spent(spent.as_ref());
            }
        }
        if !batch.is_empty() {
            sent += batch.len() as u64;
            let _ = tx.blocking_send(batch);
        }
        Ok(sent)
    })
    .await
    .map_err(failure)?
}

#[cfg(test)]
mod tests {
    use super::*;

    // The forms sqlx writes and reads: sea-orm stores RFC 3339 with an offset.
    #[test]
    fn stored_uuids_are_blobs_or_text() {
        let id = Uuid::parse_str("963ad62f-4686-4790-b173-af6a9d18b45a").expect("a uuid");
        assert_eq!(uuid(id.as_bytes()).expect("blob"), id);
        assert_eq!(uuid(id.to_string().as_bytes()).expect("text"), id);
        assert!(uuid(b"not a uuid").is_err());
    }

    // sea-orm writes `2025-11-03T08:01:37+00:00`; SQLite's own functions write
    // `2025-11-03 08:01:37`; both are the same instant, in UTC.
    #[test]
    fn stored_timestamps_read_as_sqlx_reads_them() {
        let want = Utc
            .with_ymd_and_hms(2025, 11, 3, 8, 1, 37)
            .single()
            .expect("a valid date");
        for text in [
            "2025-11-03T08:01:37+00:00",
            "2025-11-03T16:01:37+08:00",
            "2025-11-03 08:01:37",
            "2025-11-03 08:01:37.000",
            "2025-11-03 16:01:37+08:00",
        ] {
            assert_eq!(
                timestamp(ValueRef::Text(text.as_bytes())).expect("a timestamp"),
                want,
                "{text}"
            );
        }
        assert_eq!(
            timestamp(ValueRef::Integer(want.timestamp())).expect("seconds"),
            want
        );
        assert!(timestamp(ValueRef::Text(b"yesterday")).is_err());
    }
}
