//! The raw-data export use-case: a campaign's responses as CSV, streamed in chunks
//! (only those matching the view's filters), never held in memory whole.

use sea_orm::DatabaseConnection;

use super::quality::RecordJudge;
use super::read::CampaignMeta;
use crate::store::responses::{self, RawRow};

/// Streams a campaign's raw-data CSV (only responses matching every filter) (UTF-8 with BOM, text neutralised against
/// formula injection) to `out` in chunks, without holding the responses in memory.
/// Returns the number of responses written. An error after the first chunk is sent
/// as an `Err` item so the receiver can abort rather than end a truncated file.
pub async fn write_csv(
    db: &DatabaseConnection,
    meta: &CampaignMeta,
    filters: &[(String, String)],
    out: tokio::sync::mpsc::Sender<Result<bytes::Bytes, std::io::Error>>,
) -> anyhow::Result<u64> {
    let filters = filters.to_vec();
    let names = responses::attribute_names(db, meta.campaign.id).await?;
    let versions = meta.versions.clone();
    let mut judge =
        RecordJudge::load(db, meta.campaign.id, &meta.campaign.info.quality, &versions).await?;
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<RawRow>>(4);
    let sink = out.clone();
    let encoder = tokio::task::spawn_blocking(move || -> anyhow::Result<u64> {
        let layout = crate::export::Layout::new(&versions, &names);
        let mut buf = Vec::from(*b"\xEF\xBB\xBF");
        {
            let mut w = csv::Writer::from_writer(&mut buf);
            w.write_record(layout.header())?;
            w.flush()?;
        }
        let mut n = 0u64;
        while let Some(chunk) = rx.blocking_recv() {
            {
                let mut w = csv::Writer::from_writer(&mut buf);
                for row in chunk {
                    let record = row.decode()?;
                    // Every row is judged, in order, so a duplicate's earlier response
                    // counts whatever the filters.
                    let flags = judge.flags(&record);
                    if !filters
                        .iter()
                        .all(|(k, v)| record.attributes.get(k) == Some(v))
                    {
                        continue;
                    }
                    let cells = layout.row(&record, &versions, flags);
                    w.write_record(cells.iter().map(crate::export::Value::csv))?;
                    n += 1;
                }
                w.flush()?;
            }
            if sink
                .blocking_send(Ok(bytes::Bytes::from(std::mem::take(&mut buf))))
                .is_err()
            {
                return Ok(n);
            }
        }
        if !buf.is_empty() {
            let _ = sink.blocking_send(Ok(bytes::Bytes::from(buf)));
        }
        Ok(n)
    });
    let read = responses::stream_raw(db, meta.campaign.id, 1024, tx).await;
    let written = encoder.await?;
    let result = read.map_err(anyhow::Error::from).and(written);
    if let Err(e) = &result {
        let _ = out
            .send(Err(std::io::Error::other(format!("export failed: {e}"))))
            .await;
    }
    result
}
