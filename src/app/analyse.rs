//! The analysis use-case: read a campaign under filters, with its previous wave, and
//! evaluate it through the disclosure gate off the async threads.

use std::time::{Duration, Instant};

use sea_orm::DatabaseConnection;

use super::read::{collect_view, load_meta, previous_wave, CampaignMeta, Summaries};
use crate::analysis::evaluation::{analyse, analyse_text, Analysis, PreviousWave};
use crate::analysis::text::TextReport;

/// An evaluation with what it read and how long reading and analysing took.
pub struct Analysed {
    pub meta: CampaignMeta,
    pub analysis: Analysis,
    /// Responses read (under the filters).
    pub responses: usize,
    /// The earlier wave compared with: its key and responses read.
    pub previous: Option<(String, usize)>,
    pub read: Duration,
    pub analysed: Duration,
}

/// The full evaluation, with the earlier wave when the campaign names one, and the
/// open-answer analysis when `texts` is set; `None` for an unknown campaign. The
/// campaign's fine cells come from `summaries` when its data has not changed since.
pub async fn load_and_analyse(
    db: &DatabaseConnection,
    summaries: &Summaries,
    key: &str,
    filters: &[(String, String)],
    texts: bool,
) -> anyhow::Result<Option<Analysed>> {
    let started = Instant::now();
    let Some(meta) = load_meta(db, key).await? else {
        return Ok(None);
    };
    let current = collect_view(db, &meta, filters, texts, summaries)
        .await?
        .view;
    let previous = previous_wave(db, &meta, filters).await?;
    let read = started.elapsed();
    let responses = current.frames.len();
    let previous_read = previous
        .as_ref()
        .map(|(p, v)| (p.campaign.info.key.clone(), v.frames.len()));
    let t = Instant::now();
    let (meta, analysis) = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
        let wave = previous.as_ref().map(|(p, v)| PreviousWave {
            info: &p.campaign.info,
            view: v,
        });
        let analysis = analyse(&meta.campaign.info, &current, wave)?;
        Ok((meta, analysis))
    })
    .await??;
    Ok(Some(Analysed {
        meta,
        analysis,
        responses,
        previous: previous_read,
        read,
        analysed: t.elapsed(),
    }))
}

/// The open-answer analysis of a view on its own: its campaign's definitions, the
/// report (through the same gate as the full evaluation, and identical to its `text`)
/// and the minimum cell it was published with.
pub struct AnalysedText {
    pub meta: CampaignMeta,
    pub text: TextReport,
    pub min_cell_size: u64,
}

/// The open answers of a view analysed without scoring anything (what a page about the
/// open answers shows); `None` for an unknown campaign.
pub async fn load_and_analyse_text(
    db: &DatabaseConnection,
    summaries: &Summaries,
    key: &str,
    filters: &[(String, String)],
) -> anyhow::Result<Option<AnalysedText>> {
    let Some(meta) = load_meta(db, key).await? else {
        return Ok(None);
    };
    let view = collect_view(db, &meta, filters, true, summaries)
        .await?
        .view;
    let (meta, text) = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
        let text = analyse_text(&meta.campaign.info, &view)?.unwrap_or_default();
        Ok((meta, text))
    })
    .await??;
    let min_cell_size = meta.campaign.info.analysis.min_cell_size;
    Ok(Some(AnalysedText {
        meta,
        text,
        min_cell_size,
    }))
}

/// Checks the filters of a view before reading anything: known attributes, each once,
/// at most `MAX_FILTERS` (a school's token counts as its school filter).
pub fn check_filters(
    filters: &[(String, String)],
) -> Result<(), crate::analysis::disclosure::FilterError> {
    crate::analysis::disclosure::check_filters(filters)
}
