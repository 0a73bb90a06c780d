//! The analysis read on PostgreSQL as one `COPY (SELECT …) TO STDOUT (FORMAT binary)`:
//! sea-orm's rows are decoded column by column, each looked up by name through two
//! layers of type machinery (~13 % of a PostgreSQL analysis). The binary COPY stream
//! is the same data as length-prefixed fields, read here in place. COPY takes no bind
//! parameters, so the statement carries only an integer and hex digits.

use std::fmt::Write as _;
use std::ops::Range;

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::attribute_numbers::AttributeNumbers;
use super::responses::{free_spent, AnalysisRow, Spent, StoredAnswers};
use super::StoreError;

/// Why the read failed, as a store error.
fn failure(what: impl std::fmt::Display) -> StoreError {
    StoreError::Db(sea_orm::DbErr::Custom(format!("analysis read: {what}")))
}

/// Why the stream is not what this reader asked for.
fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("analysis read (binary COPY): {what}"))
}

/// The start of every binary COPY stream.
const SIGNATURE: &[u8; 11] = b"PGCOPY\n\xff\r\n\0";

/// Seconds from the Unix epoch to PostgreSQL's (2000-01-01 UTC).
const POSTGRES_EPOCH: i64 = 946_684_800;

/// Columns of each row, in the order the statement selects them.
const COLUMNS: usize = 9;

/// The statement: the analysis columns of a campaign's responses, in stored order
/// (`submitted_at, id`), only rows whose attributes hold each needle of `narrow`.
/// The needles travel as hex (`decode(…, 'hex')`), so no value can end the literal.
fn statement(campaign_id: i64, needles: &[String]) -> String {
    let mut sql = format!(
        "COPY (SELECT id, survey_version_id, submitted_at, attributes, packed, \
         CASE WHEN packed IS NULL THEN answers END, duration_s, client_hash, duplicate \
         FROM responses WHERE campaign_id = {campaign_id}"
    );
    for needle in needles {
        let hex: String = needle.bytes().fold(String::new(), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        });
        let _ = write!(
            sql,
            " AND strpos(attributes, convert_from(decode('{hex}', 'hex'), 'UTF8')) > 0"
        );
    }
    sql.push_str(" ORDER BY submitted_at, id) TO STDOUT (FORMAT binary)");
    sql
}

/// Reads the analysis rows of `campaign_id` (attributes holding every needle) through
/// one binary COPY, sending them in chunks of `chunk` to `tx` and freeing the chunks
/// handed back on `spent`; returns how many were sent. The statement sees one snapshot, as any single statement does.
pub(super) async fn analysis_rows(
    db: &DatabaseConnection,
    campaign_id: i64,
    needles: &[String],
    chunk: usize,
    tx: tokio::sync::mpsc::Sender<Vec<AnalysisRow>>,
    spent: Option<Spent>,
) -> Result<u64, StoreError> {
    let mut conn = db
        .get_postgres_connection_pool()
        .acquire()
        .await
        .map_err(failure)?;
    let read = copy_rows(&mut conn, campaign_id, needles, chunk, &tx, spent).await;
    if !matches!(read, Ok((_, true))) {
        // Refused, abandoned (the receiver left) or cut short: the connection may
        // still have the rest of the COPY queued, so it is closed rather than handed
        // back to the pool for the next query.
        conn.close_on_drop();
    }
    read.map(|(sent, _)| sent)
}

/// [`analysis_rows`] on `conn`: how many rows were sent, and whether the COPY was read
/// to its end (not when the receiver left).
async fn copy_rows(
    conn: &mut sea_orm::sqlx::PgConnection,
    campaign_id: i64,
    needles: &[String],
    chunk: usize,
    tx: &tokio::sync::mpsc::Sender<Vec<AnalysisRow>>,
    spent: Option<Spent>,
) -> Result<(u64, bool), StoreError> {
    let mut stream = conn
        .copy_out_raw(&statement(campaign_id, needles))
        .await
        .map_err(failure)?;
    let mut reader = CopyReader::default();
    let mut numbers = AttributeNumbers::default();
    let mut sent = 0u64;
    let mut batch = Vec::with_capacity(chunk);
    let mut complete = false;
    'read: while let Some(bytes) = stream.next().await {
        reader.feed(&bytes.map_err(failure)?);
        while let Some(fields) = reader.next_tuple()? {
            let Some(fields) = fields else {
                complete = true;
                break;
            };
            batch.push(analysis_row(&reader.buf, fields, &mut numbers)?);
            if batch.len() == chunk {
                sent += batch.len() as u64;
                let full = std::mem::replace(&mut batch, Vec::with_capacity(chunk));
                if tx.send(full).await.is_err() {
                    break 'read;
                }
                free_spent(spent.as_ref());
            }
        }
    }
    drop(stream);
    if !complete {
        if !tx.is_closed() {
            return Err(corrupt("the stream ended before its trailer"));
        }
        return Ok((sent, false));
    }
    if !batch.is_empty() {
        sent += batch.len() as u64;
        let _ = tx.send(batch).await;
    }
    Ok((sent, true))
}

/// Where the fields of one tuple lie in the reader's buffer, each `None` when NULL.
type Fields = [Option<Range<usize>>; COLUMNS];

/// A binary COPY stream cut into tuples, whatever the sizes of the pieces it comes in.
#[derive(Default)]
struct CopyReader {
    buf: Vec<u8>,
    at: usize,
    header_read: bool,
}

impl CopyReader {
    fn feed(&mut self, bytes: &[u8]) {
        if self.at > 0 && self.at == self.buf.len() {
            self.buf.clear();
            self.at = 0;
        } else if self.at > 1 << 16 {
            self.buf.drain(..self.at);
            self.at = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// The next whole tuple: `Some(Some(fields))`, `Some(None)` at the trailer, `None`
    /// when more bytes are needed.
    fn next_tuple(&mut self) -> Result<Option<Option<Fields>>, StoreError> {
        if !self.header_read {
            let Some(len) = self.header_len()? else {
                return Ok(None);
            };
            self.at += len;
            self.header_read = true;
        }
        let mut cursor = Cursor {
            data: &self.buf,
            at: self.at,
        };
        let Some(count) = cursor.i16() else {
            return Ok(None);
        };
        if count == -1 {
            self.at = cursor.at;
            return Ok(Some(None));
        }
        if count != COLUMNS as i16 {
            return Err(corrupt(format!("a tuple of {count} fields, not {COLUMNS}")));
        }
        let mut fields: Fields = Default::default();
        for field in &mut fields {
            let Some(len) = cursor.i32() else {
                return Ok(None);
            };
            if len == -1 {
                continue;
            }
            let len = usize::try_from(len).map_err(|_| corrupt("a negative field length"))?;
            let start = cursor.at;
            if cursor.take(len).is_none() {
                return Ok(None);
            }
            *field = Some(start..cursor.at);
        }
        self.at = cursor.at;
        Ok(Some(Some(fields)))
    }

    /// The header's length once all of it is here.
    fn header_len(&self) -> Result<Option<usize>, StoreError> {
        let data = &self.buf[self.at..];
        if data.len() < SIGNATURE.len() + 8 {
            return Ok(None);
        }
        if &data[..SIGNATURE.len()] != SIGNATURE {
            return Err(corrupt("not a binary COPY stream"));
        }
        let mut cursor = Cursor {
            data,
            at: SIGNATURE.len() + 4,
        };
        let extension = cursor.i32().unwrap_or_default();
        let extension =
            usize::try_from(extension).map_err(|_| corrupt("a negative header extension"))?;
        Ok(cursor.take(extension).map(|_| cursor.at))
    }
}

/// Big-endian reads from a slice; `None` past its end.
struct Cursor<'a> {
    data: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, len: usize) -> Option<&'a [u8]> {
        let bytes = self.data.get(self.at..self.at.checked_add(len)?)?;
        self.at += len;
        Some(bytes)
    }

    fn i16(&mut self) -> Option<i16> {
        self.take(2)
            .and_then(|b| b.try_into().ok())
            .map(i16::from_be_bytes)
    }

    fn i32(&mut self) -> Option<i32> {
        self.take(4)
            .and_then(|b| b.try_into().ok())
            .map(i32::from_be_bytes)
    }
}

/// A field of a fixed width (`int8`, `int4`, `bool`, `uuid`), checked.
fn fixed<const N: usize>(field: Option<&[u8]>, name: &str) -> Result<Option<[u8; N]>, StoreError> {
    field
        .map(|b| {
            b.try_into()
                .map_err(|_| corrupt(format!("{name}: {} bytes, not {N}", b.len())))
        })
        .transpose()
}

/// A text field as a string.
fn text(field: Option<&[u8]>, name: &str) -> Result<Option<String>, StoreError> {
    field
        .map(|b| {
            std::str::from_utf8(b)
                .map(str::to_string)
                .map_err(|e| corrupt(format!("{name}: {e}")))
        })
        .transpose()
}

/// A `timestamptz`: microseconds since 2000-01-01 UTC.
fn timestamp(bytes: [u8; 8]) -> Result<DateTime<Utc>, StoreError> {
    let micros = i64::from_be_bytes(bytes);
    micros
        .checked_add(POSTGRES_EPOCH * 1_000_000)
        .and_then(DateTime::from_timestamp_micros)
        .ok_or_else(|| corrupt(format!("submitted_at: {micros} µs is out of range")))
}

/// One tuple of [`statement`], its fields in `buf`, as the analysis reads it.
fn analysis_row(
    buf: &[u8],
    fields: Fields,
    numbers: &mut AttributeNumbers,
) -> Result<AnalysisRow, StoreError> {
    let [id, version, at, attributes, packed, json, duration, client_hash, duplicate] =
        fields.map(|f| f.map(|r| &buf[r]));
    let required = |name: &str| corrupt(format!("{name} is NULL"));
    let mut row = AnalysisRow {
        id: Uuid::from_bytes(fixed::<16>(id, "id")?.ok_or_else(|| required("id"))?),
        survey_version_id: i64::from_be_bytes(
            fixed::<8>(version, "survey_version_id")?
                .ok_or_else(|| required("survey_version_id"))?,
        ),
        submitted_at: timestamp(
            fixed::<8>(at, "submitted_at")?.ok_or_else(|| required("submitted_at"))?,
        )?,
        attributes: String::new(),
        attributes_no: None,
        answers: match packed {
            Some(p) => StoredAnswers::Packed(p.to_vec()),
            None => StoredAnswers::Json(text(json, "answers")?.unwrap_or_default()),
        },
        duration_s: fixed::<4>(duration, "duration_s")?.map(i32::from_be_bytes),
        client_hash: text(client_hash, "client_hash")?,
        duplicate: fixed::<1>(duplicate, "duplicate")? == Some([1]),
    };
    numbers
        .fill(
            Some(attributes.ok_or_else(|| required("attributes"))?),
            &mut row,
        )
        .map_err(|e| corrupt(format!("attributes: {e}")))?;
    Ok(row)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::attribute_numbers::AttributeTexts;
    use chrono::TimeZone;

    /// A field as COPY writes it: its length, then its bytes; NULL as length -1.
    fn field(out: &mut Vec<u8>, bytes: Option<&[u8]>) {
        match bytes {
            Some(b) => {
                out.extend_from_slice(&(b.len() as i32).to_be_bytes());
                out.extend_from_slice(b);
            }
            None => out.extend_from_slice(&(-1i32).to_be_bytes()),
        }
    }

    /// A binary COPY stream of `rows` tuples in the statement's layout: row `i` has
    /// packed answers when `i` is even, else JSON; NULL durations and client hashes on
    /// odd rows. The header carries a 3-byte extension a reader must skip.
    fn stream(rows: usize) -> Vec<u8> {
        stream_with_ids_of(rows, 16)
    }

    /// [`stream`] with ids of `id_len` bytes.
    fn stream_with_ids_of(rows: usize, id_len: usize) -> Vec<u8> {
        let mut out = SIGNATURE.to_vec();
        out.extend_from_slice(&0i32.to_be_bytes());
        out.extend_from_slice(&3i32.to_be_bytes());
        out.extend_from_slice(b"ext");
        for i in 0..rows {
            out.extend_from_slice(&(COLUMNS as i16).to_be_bytes());
            field(&mut out, Some(&vec![i as u8; id_len]));
            field(&mut out, Some(&(7_i64 + i as i64).to_be_bytes()));
            field(&mut out, Some(&815_472_097_123_456_i64.to_be_bytes()));
            field(&mut out, Some("{\"school\":\"平顺职校\"}".as_bytes()));
            let even = i % 2 == 0;
            field(&mut out, even.then_some(&[9u8, 0, 1][..]));
            field(&mut out, (!even).then_some(&b"{\"q1\":4}"[..]));
            field(&mut out, even.then_some(&300_i32.to_be_bytes()[..]));
            field(&mut out, (!even).then_some(&b"hash"[..]));
            field(&mut out, Some(&[u8::from(even)]));
        }
        out.extend_from_slice(&(-1i16).to_be_bytes());
        out
    }

    /// Every tuple of `bytes` fed in pieces of `piece` bytes, then whether the trailer
    /// came.
    fn rows_in_pieces(bytes: &[u8], piece: usize) -> (Vec<AnalysisRow>, bool) {
        let mut reader = CopyReader::default();
        let mut numbers = AttributeNumbers::default();
        let mut rows = Vec::new();
        for part in bytes.chunks(piece) {
            reader.feed(part);
            while let Some(tuple) = reader.next_tuple().expect("a valid stream") {
                match tuple {
                    Some(fields) => {
                        rows.push(analysis_row(&reader.buf, fields, &mut numbers).expect("a row"))
                    }
                    None => return (rows, true),
                }
            }
        }
        (rows, false)
    }

    #[test]
    fn tuples_are_read_whatever_pieces_the_stream_comes_in() {
        let bytes = stream(5);
        // 2025-11-03T08:01:37.123456Z is 815472097123456 µs after 2000-01-01 UTC
        // (Python's datetime, subtracting the two instants).
        let at = Utc
            .with_ymd_and_hms(2025, 11, 3, 8, 1, 37)
            .single()
            .expect("an instant")
            + chrono::Duration::microseconds(123_456);
        for piece in [1, 2, 3, 7, 19, 64, bytes.len()] {
            let (rows, ended) = rows_in_pieces(&bytes, piece);
            assert!(ended, "piece {piece}");
            assert_eq!(rows.len(), 5, "piece {piece}");
            let mut texts = AttributeTexts::default();
            for (i, r) in rows.iter().enumerate() {
                assert_eq!(r.id, Uuid::from_bytes([i as u8; 16]));
                assert_eq!(r.survey_version_id, 7 + i as i64);
                assert_eq!(r.submitted_at, at);
                // One text: numbered 0, sent with the first row only.
                assert_eq!(r.attributes_no, Some(0));
                assert_eq!(r.attributes.is_empty(), i > 0);
                assert_eq!(texts.of(r), "{\"school\":\"平顺职校\"}");
                let even = i % 2 == 0;
                match &r.answers {
                    StoredAnswers::Packed(p) => assert!(even && p == &[9, 0, 1]),
                    StoredAnswers::Json(j) => assert!(!even && j == "{\"q1\":4}"),
                }
                assert_eq!(r.duration_s, even.then_some(300));
                assert_eq!(r.client_hash.as_deref(), (!even).then_some("hash"));
                assert_eq!(r.duplicate, even);
            }
        }
        // Cut anywhere before the trailer, the stream is not complete.
        let (rows, ended) = rows_in_pieces(&bytes[..bytes.len() - 2], 5);
        assert!(!ended);
        assert_eq!(rows.len(), 5);
    }

    #[test]
    fn streams_not_in_the_statements_layout_are_refused() {
        let mut reader = CopyReader::default();
        reader.feed(b"PGCOPY\nXXXXXXXXXXXXXXXX");
        assert!(reader.next_tuple().is_err(), "a wrong signature");

        let mut bytes = stream(1);
        let header = SIGNATURE.len() + 8 + 3;
        bytes[header..header + 2].copy_from_slice(&8i16.to_be_bytes());
        let mut reader = CopyReader::default();
        reader.feed(&bytes);
        assert!(reader.next_tuple().is_err(), "eight fields");

        // A field of 15 bytes where a uuid's 16 belong is not a uuid.
        let mut reader = CopyReader::default();
        reader.feed(&stream_with_ids_of(1, 15));
        let fields = reader.next_tuple().expect("fields").expect("a tuple");
        let numbers = &mut AttributeNumbers::default();
        let err = analysis_row(&reader.buf, fields.expect("not the trailer"), numbers).err();
        assert!(format!("{err:?}").contains("id: 15 bytes"), "{err:?}");

        assert!(timestamp(i64::MAX.to_be_bytes()).is_err(), "infinity");
    }

    #[test]
    fn needles_travel_as_hex_digits_only() {
        let sql = statement(42, &["\"school\":\"O'Brien\"".to_string()]);
        assert!(sql.contains("campaign_id = 42 AND"), "{sql}");
        // `"school":"O'Brien"` in UTF-8, as hex.
        assert!(
            sql.contains("decode('227363686f6f6c223a224f27427269656e22', 'hex')"),
            "{sql}"
        );
        assert!(!sql.contains("O'B"), "{sql}");
        assert!(sql.ends_with("ORDER BY submitted_at, id) TO STDOUT (FORMAT binary)"));
    }
}
