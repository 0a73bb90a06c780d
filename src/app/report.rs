//! The report use-case: read, analyse and lay out a campaign's investigation report
//! (调研报告) under one filter, with the response-rate table and the raw-data sheet.

use std::collections::BTreeMap;

use sea_orm::DatabaseConnection;

use super::quality::RecordJudge;
use super::read::{collect_view, load_meta, previous_wave, Collected, Summaries};
use crate::analysis::evaluation::{analyse, PreviousWave};
use crate::domain::quality::FlagSet;
use crate::domain::Audience;
use crate::export::CampaignData;
use crate::report::RAW_SHEET_LIMIT;
use crate::store::responses;

/// A report request: filters on respondent attributes and the language.
#[derive(Debug, Clone, Default)]
pub struct ReportRequest {
    pub filters: Vec<(String, String)>,
    pub lang: crate::report::Lang,
}

/// Loads, filters, analyses and lays out the report of a campaign; `None` for an
/// unknown campaign.
pub async fn load_report(
    db: &DatabaseConnection,
    summaries: &Summaries,
    key: &str,
    request: &ReportRequest,
) -> anyhow::Result<Option<(crate::report::Document, crate::report::RawData)>> {
    let Some(meta) = load_meta(db, key).await? else {
        return Ok(None);
    };
    let request = request.clone();
    let collected = collect_view(db, &meta, &request.filters, true, summaries).await?;
    let previous = previous_wave(db, &meta, &request.filters).await?;
    // Raw responses for the spreadsheet, when they fit in it.
    let raw_records = if collected.view.frames.len() as u64 <= RAW_SHEET_LIMIT {
        let mut records = responses::for_campaign(db, meta.campaign.id, &request.filters).await?;
        records.retain(|r| {
            request
                .filters
                .iter()
                .all(|(k, v)| r.attributes.get(k) == Some(v))
        });
        Some(records)
    } else {
        None
    };
    // Invitations by group (invited, completed), under the same filters.
    let progress = crate::store::invitations::progress(db, meta.campaign.id).await?;
    let mut invited: BTreeMap<Audience, (u64, u64)> = BTreeMap::new();
    for p in &progress {
        let (slug, attrs, completed) = (&p.slug, &p.attributes, &p.completed);
        let Some(s) = meta
            .campaign
            .surveys
            .iter()
            .find(|s| &s.survey.slug == slug)
        else {
            continue;
        };
        if !request.filters.iter().all(|(k, v)| attrs.get(k) == Some(v)) {
            continue;
        }
        let e = invited.entry(s.survey.audience).or_default();
        e.0 += 1;
        e.1 += u64::from(*completed);
    }
    // Flags for the raw-data sheet's quality column, with the analysis's duplicate
    // verdicts (a view's response may repeat one outside the view).
    let mut judge = match &raw_records {
        Some(_) => Some(
            RecordJudge::load(
                db,
                meta.campaign.id,
                &meta.campaign.info.quality,
                &meta.versions,
            )
            .await?
            .with_known_duplicates(collected.duplicates.clone()),
        ),
        None => None,
    };
    let out = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
        let Collected {
            view, fieldwork, ..
        } = collected;
        let wave = previous.as_ref().map(|(p, v)| PreviousWave {
            info: &p.campaign.info,
            view: v,
        });
        let analysis = analyse(&meta.campaign.info, &view, wave)?;
        let n = view.frames.len() as u64;
        drop(view);
        let input = crate::report::ReportInput {
            info: &meta.campaign.info,
            analysis: &analysis,
            surveys: meta.campaign.surveys.iter().map(|s| &s.survey).collect(),
            fieldwork: fieldwork.map(|(a, b)| {
                (
                    a.format("%Y-%m-%d").to_string(),
                    b.format("%Y-%m-%d").to_string(),
                )
            }),
            invited,
            filters: request
                .filters
                .iter()
                .map(|(k, v)| format!("{k} = {v}"))
                .collect(),
            date: chrono::Local::now().format("%Y年%m月%d日").to_string(),
            lang: request.lang,
        };
        let doc = crate::report::view::build(&input)?;
        let data = CampaignData {
            campaign: meta.campaign,
            versions: meta.versions,
            records: raw_records.unwrap_or_default(),
        };
        let raw = if n <= RAW_SHEET_LIMIT {
            let weights = analysis.respondent_weights.as_ref();
            let quality = &data.campaign.info.quality;
            let table = crate::export::responses_table(&data, weights.is_some(), |r| {
                let flags = judge.as_mut().map_or(FlagSet::EMPTY, |j| j.flags(r));
                let weight =
                    weights.and_then(|w| super::export::export_weight(w, quality, r, flags));
                (flags, weight)
            });
            crate::report::RawData {
                responses_header: table.header,
                responses: table.rows,
                codebook: crate::export::codebook(&data),
                omitted: None,
                text_columns: table.text_columns,
                redact: data.campaign.info.text.redact.clone(),
            }
        } else {
            crate::report::RawData {
                codebook: crate::export::codebook(&data),
                omitted: Some(n),
                ..Default::default()
            }
        };
        Ok((doc, raw))
    })
    .await??;
    Ok(Some(out))
}

/// Who reads the raw data: only an admin gets the open answers as written; anyone else
/// gets them with personal information removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawText {
    AsWritten,
    Redacted,
}

/// A laid-out report in one format; the spreadsheet carries the raw-data sheets, its
/// free text as `raw_text` says.
pub fn render(
    doc: &crate::report::Document,
    raw: &crate::report::RawData,
    format: crate::report::Format,
    raw_text: RawText,
) -> anyhow::Result<Vec<u8>> {
    match (format, raw_text) {
        (crate::report::Format::Xlsx, RawText::Redacted) => {
            crate::report::render(doc, format, Some(&raw.redacted()))
        }
        _ => crate::report::render(doc, format, Some(raw)),
    }
}
