//! From the store to typed results: streams a campaign's stored responses into the
//! columnar analysis frames and analyses them off the async threads (rows are read on
//! the async side in chunks and decoded on a blocking thread; polars runs on its own
//! pool).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;

use crate::analysis::disclosure::Partition;
use crate::analysis::evaluation::{analyse, Analysis, PreviousWave, View};
use crate::analysis::frame::{Attributes, FrameBuilder};
use crate::domain::{Audience, QuestionKind};
use crate::store::campaigns::{self, StoredCampaign};
use crate::store::responses::{self, AnalysisRow, RawRow, ResponseRecord};
use crate::store::surveys::{self, StoredSurvey};

/// Most responses written into the report's spreadsheet (`report::RAW_SHEET_LIMIT`).
pub use crate::report::RAW_SHEET_LIMIT;

/// Answers quoted per open question in a report.
const QUOTES: usize = 200;

/// An open answer with its submission time and read order (for "earliest first").
type Quote = (DateTime<Utc>, u64, String);

/// Rows per chunk handed from the reader to the decoder.
const CHUNK: usize = 4096;

/// A campaign's definitions: every questionnaire version, without responses.
pub struct CampaignMeta {
    pub campaign: StoredCampaign,
    pub versions: HashMap<i64, StoredSurvey>,
}

/// Everything a raw export needs about one campaign: definitions and decoded responses.
pub struct CampaignData {
    pub campaign: StoredCampaign,
    pub versions: HashMap<i64, StoredSurvey>,
    pub records: Vec<ResponseRecord>,
}

pub async fn load_meta(db: &DatabaseConnection, key: &str) -> anyhow::Result<Option<CampaignMeta>> {
    let Some(campaign) = campaigns::get(db, key).await? else {
        return Ok(None);
    };
    let versions = surveys::all_versions(db, campaign.id, key).await?;
    Ok(Some(CampaignMeta { campaign, versions }))
}

/// What one pass over a campaign's stored responses collects.
pub struct Collected {
    /// The respondents matching every filter, and for each filter the wider view split
    /// by its values (for the disclosure gate).
    pub view: View,
    /// Earliest and latest submission.
    pub fieldwork: Option<(DateTime<Utc>, DateTime<Utc>)>,
    /// Open answers to `in_report` text questions, earliest first, at most 200 each:
    /// (group, question text, answers).
    pub free_text: Vec<(Audience, String, Vec<String>)>,
}

/// A value of a filter attribute in a partition: values in order, respondents without
/// a value last.
type PartKey = (bool, String);

fn part_key(value: Option<&str>) -> PartKey {
    match value {
        Some(v) => (false, v.to_string()),
        None => (true, String::new()),
    }
}

/// Streams the campaign's responses that match every `(attribute, value)` filter into
/// analysis frames, collecting quotes for the report when `quotes` is set. For each
/// filter, the responses matching every other filter are collected too, split by the
/// filter attribute's value, so the disclosure gate can compare the view with its
/// siblings.
pub async fn collect(
    db: &DatabaseConnection,
    meta: &CampaignMeta,
    filters: &[(String, String)],
    quotes: bool,
) -> anyhow::Result<Collected> {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<AnalysisRow>>(4);
    let versions: HashMap<i64, StoredSurvey> =
        meta.versions.iter().map(|(k, v)| (*k, v.clone())).collect();
    let breakdowns = meta.campaign.info.analysis.breakdowns.clone();
    let filters = filters.to_vec();
    let current_quoted: Vec<(Audience, String, String)> = meta
        .campaign
        .surveys
        .iter()
        .flat_map(|s| {
            s.survey
                .questions()
                .filter(|q| is_quoted(&q.kind))
                .map(|q| (s.survey.audience, q.id.clone(), q.text.clone()))
        })
        .collect();
    let decoder = tokio::task::spawn_blocking(move || -> anyhow::Result<Collected> {
        let mut builder = FrameBuilder::new(&breakdowns);
        let mut siblings: Vec<BTreeMap<PartKey, FrameBuilder>> =
            (0..filters.len()).map(|_| BTreeMap::new()).collect();
        let mut matched = vec![false; filters.len()];
        let mut first: Option<DateTime<Utc>> = None;
        let mut last: Option<DateTime<Utc>> = None;
        // Quoted questions per version.
        let mut found: Vec<(String, String)> = Vec::new();
        let quoted: HashMap<i64, Vec<String>> = if quotes {
            versions
                .iter()
                .map(|(id, v)| {
                    let qs = v
                        .survey
                        .questions()
                        .filter(|q| is_quoted(&q.kind))
                        .map(|q| q.id.clone())
                        .collect();
                    (*id, qs)
                })
                .collect()
        } else {
            HashMap::new()
        };
        let mut texts: HashMap<(Audience, String), Vec<Quote>> = HashMap::new();
        let mut seq = 0u64;
        while let Some(chunk) = rx.blocking_recv() {
            for row in chunk {
                seq += 1;
                let Some(v) = versions.get(&row.survey_version_id) else {
                    continue;
                };
                let attrs: Attributes<'_> = serde_json::from_str(&row.attributes)
                    .map_err(|e| anyhow::anyhow!("stored attributes are not valid JSON: {e}"))?;
                for (m, (k, val)) in matched.iter_mut().zip(&filters) {
                    *m = attrs.get(k.as_str()) == Some(val.as_str());
                }
                let misses = matched.iter().filter(|m| !**m).count();
                if misses == 1 {
                    // A sibling of the view: it misses exactly one filter.
                    let i = matched.iter().position(|m| !*m).unwrap_or(0);
                    siblings[i]
                        .entry(part_key(attrs.get(filters[i].0.as_str())))
                        .or_insert_with(|| FrameBuilder::new(&breakdowns))
                        .push_json(row.survey_version_id, &v.survey, &attrs, &row.answers)?;
                }
                if misses > 0 {
                    continue;
                }
                let qs = quoted
                    .get(&row.survey_version_id)
                    .map_or(&[][..], |q| q.as_slice());
                found.clear();
                builder.push_json_quoting(
                    row.survey_version_id,
                    &v.survey,
                    &attrs,
                    &row.answers,
                    qs,
                    &mut found,
                )?;
                first = Some(first.map_or(row.submitted_at, |f| f.min(row.submitted_at)));
                last = Some(last.map_or(row.submitted_at, |l| l.max(row.submitted_at)));
                for (id, t) in found.drain(..) {
                    if t.trim().is_empty() {
                        continue;
                    }
                    let list = texts.entry((v.survey.audience, id)).or_default();
                    list.push((row.submitted_at, seq, t));
                    if list.len() >= 2 * QUOTES {
                        list.sort();
                        list.truncate(QUOTES);
                    }
                }
            }
        }
        // In the order of the current questionnaires, with their wording.
        let mut free_text = Vec::new();
        for (group, id, text) in current_quoted {
            if let Some(mut list) = texts.remove(&(group, id)) {
                list.sort();
                list.truncate(QUOTES);
                free_text.push((group, text, list.into_iter().map(|(_, _, t)| t).collect()));
            }
        }
        let mut partitions = Vec::new();
        for ((attribute, own), parts) in filters.iter().zip(siblings) {
            let own = part_key(Some(own));
            let mut keys: Vec<PartKey> = parts.keys().cloned().collect();
            keys.push(own.clone());
            keys.sort();
            let mut parts = parts;
            let mut out = Vec::new();
            for k in keys {
                out.push(match parts.remove(&k) {
                    Some(b) if k != own => Some(b.finish()?),
                    _ => None,
                });
            }
            partitions.push(Partition {
                attribute: attribute.clone(),
                parts: out,
            });
        }
        Ok(Collected {
            view: View {
                frames: builder.finish()?,
                partitions,
            },
            fieldwork: first.zip(last),
            free_text,
        })
    });
    let read = responses::stream_for_analysis(db, meta.campaign.id, CHUNK, tx).await;
    let collected = decoder.await??;
    read?;
    Ok(collected)
}

fn is_quoted(kind: &QuestionKind) -> bool {
    matches!(
        kind,
        QuestionKind::Text {
            in_report: true,
            ..
        }
    )
}

/// The previous wave's definitions and respondents under the same filters as the
/// current view, when the campaign names one.
pub async fn previous_wave(
    db: &DatabaseConnection,
    meta: &CampaignMeta,
    filters: &[(String, String)],
) -> anyhow::Result<Option<(CampaignMeta, View)>> {
    let Some(prev) = &meta.campaign.info.analysis.previous_wave else {
        return Ok(None);
    };
    let Some(prev) = load_meta(db, prev).await? else {
        return Ok(None);
    };
    let view = collect(db, &prev, filters, false).await?.view;
    Ok(Some((prev, view)))
}

/// The full evaluation, with the earlier wave when the campaign names one.
pub async fn load_and_analyse(
    db: &DatabaseConnection,
    key: &str,
    filters: &[(String, String)],
) -> anyhow::Result<Option<(CampaignMeta, Analysis)>> {
    let Some(meta) = load_meta(db, key).await? else {
        return Ok(None);
    };
    let current = collect(db, &meta, filters, false).await?.view;
    let previous = previous_wave(db, &meta, filters).await?;
    let (meta, analysis) = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
        let wave = previous.as_ref().map(|(p, v)| PreviousWave {
            info: &p.campaign.info,
            view: v,
        });
        let analysis = analyse(&meta.campaign.info, &current, wave)?;
        Ok((meta, analysis))
    })
    .await??;
    Ok(Some((meta, analysis)))
}

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
                    let record = ResponseRecord {
                        id: row.id,
                        survey_version_id: row.survey_version_id,
                        audience: row.audience,
                        submitted_at: row.submitted_at,
                        attributes: serde_json::from_str(&row.attributes)?,
                        answers: serde_json::from_str(&row.answers)?,
                    };
                    if !filters
                        .iter()
                        .all(|(k, v)| record.attributes.get(k) == Some(v))
                    {
                        continue;
                    }
                    let cells = layout.row(&record, &versions);
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
    key: &str,
    request: &ReportRequest,
) -> anyhow::Result<Option<(crate::report::Document, crate::report::RawData)>> {
    let Some(meta) = load_meta(db, key).await? else {
        return Ok(None);
    };
    let request = request.clone();
    let collected = collect(db, &meta, &request.filters, true).await?;
    let previous = previous_wave(db, &meta, &request.filters).await?;
    // Raw responses for the spreadsheet, when they fit in it.
    let raw_records = if collected.view.frames.len() as u64 <= RAW_SHEET_LIMIT {
        let mut records = responses::for_campaign(db, meta.campaign.id).await?;
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
    for (slug, attrs, _, completed) in &progress {
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
    let out = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
        let Collected {
            view,
            fieldwork,
            free_text,
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
            free_text,
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
            let (header, rows) = crate::export::responses_table(&data);
            crate::report::RawData {
                responses_header: header,
                responses: rows,
                codebook: crate::export::codebook(&data),
                omitted: None,
            }
        } else {
            crate::report::RawData {
                responses_header: Vec::new(),
                responses: Vec::new(),
                codebook: crate::export::codebook(&data),
                omitted: Some(n),
            }
        };
        Ok((doc, raw))
    })
    .await??;
    Ok(Some(out))
}
