//! The raw-data export use-case: a campaign's responses as CSV, streamed in chunks
//! (only those matching the view's filters), never held in memory whole.

use sea_orm::DatabaseConnection;

use super::quality::RecordJudge;
use super::read::{collect, CampaignMeta};
use crate::analysis::weighting::{weigh, CellWeights};
use crate::domain::quality::{FlagSet, QualitySettings};
use crate::domain::Audience;
use crate::store::responses::{self, RawRow, ResponseRecord};

/// A response's weight in the raw data: its cell's weight, or none when the analysis
/// leaves it out (`[quality] exclude`).
pub(crate) fn export_weight(
    weights: &CellWeights,
    quality: &QualitySettings,
    r: &ResponseRecord,
    flags: FlagSet,
) -> Option<f64> {
    if flags.intersects(quality.excluded()) {
        return None;
    }
    Some(weights.of(Audience::parse(&r.audience)?, &r.attributes))
}

/// The campaign's cell weights when it weights to a population (one analysis read of
/// the whole campaign, as the analysis computes them).
pub(crate) async fn campaign_weights(
    db: &DatabaseConnection,
    meta: &CampaignMeta,
) -> anyhow::Result<Option<CellWeights>> {
    let info = &meta.campaign.info;
    if !info.analysis.weighting.is_on() || info.population.is_none() {
        return Ok(None);
    }
    let view = collect(db, meta, &[], false).await?.view;
    let info = info.clone();
    let weights = tokio::task::spawn_blocking(move || {
        weigh(&info, &view.frames, view.lattice.as_ref()).map(|w| w.map(|w| w.cells))
    })
    .await??;
    Ok(weights)
}

/// Streams a campaign's raw-data CSV (only responses matching every filter) (UTF-8 with BOM, text neutralised against
/// formula injection, free text as `raw_text` says) to `out` in chunks, without holding
/// the responses in memory.
/// Returns the number of responses written. An error after the first chunk is sent
/// as an `Err` item so the receiver can abort rather than end a truncated file.
pub async fn write_csv(
    db: &DatabaseConnection,
    meta: &CampaignMeta,
    filters: &[(String, String)],
    raw_text: super::report::RawText,
    out: tokio::sync::mpsc::Sender<Result<bytes::Bytes, std::io::Error>>,
) -> anyhow::Result<u64> {
    let filters = filters.to_vec();
    let names = responses::attribute_names(db, meta.campaign.id).await?;
    let versions = meta.versions.clone();
    let mut judge =
        RecordJudge::load(db, meta.campaign.id, &meta.campaign.info.quality, &versions).await?;
    let weights = campaign_weights(db, meta).await?;
    let quality = meta.campaign.info.quality.clone();
    let redact = meta.campaign.info.text.redact.clone();
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<RawRow>>(4);
    let sink = out.clone();
    let encoder = tokio::task::spawn_blocking(move || -> anyhow::Result<u64> {
        let mut layout = crate::export::Layout::new(&versions, &names);
        if weights.is_some() {
            layout = layout.with_weight();
        }
        if raw_text == super::report::RawText::Redacted {
            layout = layout.with_redaction(&redact);
        }
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
                    let weight = weights
                        .as_ref()
                        .and_then(|w| export_weight(w, &quality, &record, flags));
                    let cells = layout.row(&record, &versions, flags, weight);
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
