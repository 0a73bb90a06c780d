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

use super::attribute_numbers::AttributeNumbers;
use super::responses::{AnalysisRow, Spent, StoredAnswers};
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

/// The form sea-orm writes, `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, read by hand
/// (a row's most expensive column through chrono's general parser); None for any other
/// form, which the general parsers then read.
fn rfc3339(b: &[u8]) -> Option<DateTime<Utc>> {
    let digits = |at: usize, n: usize| -> Option<u32> {
        let part = b.get(at..at + n)?;
        part.iter().try_fold(0u32, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    let separators = [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':')];
    if separators.iter().any(|&(at, c)| b.get(at) != Some(&c)) {
        return None;
    }
    let date = chrono::NaiveDate::from_ymd_opt(
        i32::try_from(digits(0, 4)?).ok()?,
        digits(5, 2)?,
        digits(8, 2)?,
    )?;
    let mut at = 19;
    let mut nanos = 0u32;
    if b.get(at) == Some(&b'.') {
        let end = at
            + 1
            + b[at + 1..]
                .iter()
                .take_while(|c| c.is_ascii_digit())
                .count();
        let width = end - at - 1;
        if width == 0 || width > 9 {
            return None;
        }
        nanos = digits(at + 1, width)? * 10u32.pow((9 - width) as u32);
        at = end;
    }
    let time = date.and_hms_nano_opt(digits(11, 2)?, digits(14, 2)?, digits(17, 2)?, nanos)?;
    let offset_s = match b.get(at..)? {
        b"Z" => 0,
        [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
            let s = i64::from(digits(at + 1, 2)? * 3600 + digits(at + 4, 2)? * 60);
            if *sign == b'-' {
                -s
            } else {
                s
            }
        }
        _ => return None,
    };
    let utc = if offset_s == 0 {
        time
    } else {
        time.checked_sub_signed(chrono::Duration::seconds(offset_s))?
    };
    Some(Utc.from_utc_datetime(&utc))
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
    if let Some(t) = rfc3339(text.as_bytes()) {
        return Ok(t);
    }
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

/// Copies a column's text into `out`, reusing its allocation; false when NULL.
fn text_into(row: &Row<'_>, col: usize, out: &mut String) -> Result<bool, StoreError> {
    out.clear();
    let Some(b) = bytes(row, col)? else {
        return Ok(false);
    };
    out.push_str(std::str::from_utf8(b).map_err(failure)?);
    Ok(true)
}

/// An empty row whose buffers the scan fills ([`fill_row`]).
fn empty_row() -> AnalysisRow {
    AnalysisRow {
        id: Uuid::nil(),
        survey_version_id: 0,
        submitted_at: DateTime::<Utc>::MIN_UTC,
        attributes: String::new(),
        attributes_no: None,
        answers: StoredAnswers::Packed(Vec::new()),
        duration_s: None,
        client_hash: None,
        duplicate: false,
    }
}

/// Reads one row of the statement [`super::responses::stream_for_analysis`] builds
/// into `out`, reusing the allocations of the row it held before (a chunk handed back
/// by the decoder), so the scan does not allocate and free three buffers a row.
fn fill_row(
    row: &Row<'_>,
    numbers: &mut AttributeNumbers,
    out: &mut AnalysisRow,
) -> Result<(), StoreError> {
    match (bytes(row, 4)?, &mut out.answers) {
        (Some(p), StoredAnswers::Packed(buf)) => {
            buf.clear();
            buf.extend_from_slice(p);
        }
        (Some(p), answers) => *answers = StoredAnswers::Packed(p.to_vec()),
        (None, StoredAnswers::Json(buf)) => {
            text_into(row, 5, buf)?;
        }
        (None, answers) => {
            let mut buf = String::new();
            text_into(row, 5, &mut buf)?;
            *answers = StoredAnswers::Json(buf);
        }
    }
    out.id = uuid(bytes(row, 0)?.unwrap_or_default())?;
    out.survey_version_id = int(row, 1)?.unwrap_or_default();
    out.submitted_at = timestamp(row.get_ref(2).map_err(failure)?)?;
    numbers.fill(bytes(row, 3)?, out).map_err(failure)?;
    out.duration_s = int(row, 6)?.and_then(|d| i32::try_from(d).ok());
    let mut hash = out.client_hash.take().unwrap_or_default();
    out.client_hash = text_into(row, 7, &mut hash)?.then_some(hash);
    out.duplicate = int(row, 8)? == Some(1);
    Ok(())
}

/// A chunk to fill: one handed back by the decoder when there is one (its rows'
/// buffers are reused), else a new one.
fn next_chunk(spent: Option<&Spent>, chunk: usize) -> Vec<AnalysisRow> {
    spent
        .and_then(|s| s.try_recv().ok())
        .unwrap_or_else(|| Vec::with_capacity(chunk))
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
/// chunks of `chunk` to `tx` and refilling the chunks handed back on `spent`; returns
/// how many were sent.
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
        let mut numbers = AttributeNumbers::default();
        let mut sent = 0u64;
        let mut batch = next_chunk(spent.as_ref(), chunk);
        let mut filled = 0;
        while let Some(row) = rows.next().map_err(failure)? {
            if filled == batch.len() {
                batch.push(empty_row());
            }
            fill_row(row, &mut numbers, &mut batch[filled])?;
            filled += 1;
            if filled == chunk {
                sent += filled as u64;
                batch.truncate(filled);
                let next = next_chunk(spent.as_ref(), chunk);
                if tx
                    .blocking_send(std::mem::replace(&mut batch, next))
                    .is_err()
                {
                    return Ok(sent);
                }
                filled = 0;
            }
        }
        if filled > 0 {
            sent += filled as u64;
            batch.truncate(filled);
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

    // The hand-read form gives what chrono's RFC 3339 parser gives, and leaves every
    // other form (or a malformed one) to the general parsers.
    #[test]
    fn the_hand_read_form_agrees_with_chrono() {
        for text in [
            "2025-11-03T08:01:37+00:00",
            "2025-11-03T16:01:37+08:00",
            "2025-11-03T01:01:37-07:00",
            "2025-11-03T08:01:37Z",
            "2025-11-03T08:01:37.5+00:00",
            "2025-11-03T08:01:37.123456789+05:30",
            "2024-02-29T23:59:59.000001Z",
            "1999-12-31T23:30:00-00:30",
        ] {
            let chrono = DateTime::parse_from_rfc3339(text)
                .expect("valid RFC 3339")
                .with_timezone(&Utc);
            assert_eq!(rfc3339(text.as_bytes()), Some(chrono), "{text}");
        }
        for text in [
            "2025-11-03 08:01:37",
            "2025-11-03 08:01:37+08:00",
            "2025-11-03T08:01:37",
            "2025-11-03T08:01:37.+00:00",
            "2025-11-03T08:01:37.1234567891Z",
            "2025-13-03T08:01:37Z",
            "2025-02-30T08:01:37Z",
            "2025-11-03T24:01:37Z",
            "2025-11-03T08:01:37+0800",
            "2025-11-03T08:01:37+08:00 ",
            "2025-1a-03T08:01:37Z",
            "",
        ] {
            assert_eq!(rfc3339(text.as_bytes()), None, "{text:?}");
        }
    }
}
