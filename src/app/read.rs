//! Reading a campaign: its definitions, and one streamed pass over its stored responses
//! into the columnar analysis frames (rows are read on the async side in chunks and
//! decoded on a blocking thread), under the view's filters; and the previous wave under
//! the same filters. The other use-cases start here.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;

use crate::analysis::cube::Coord;
use crate::analysis::disclosure::{Lattice, ATTRIBUTES};
use crate::analysis::evaluation::View;
use crate::analysis::frame::{Attributes, FrameBuilder};
use crate::domain::{Audience, QuestionKind};
use crate::store::campaigns::{self, StoredCampaign};
use crate::store::responses::{self, AnalysisRow};
use crate::store::surveys::{self, StoredSurvey};

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

/// The disclosure attributes of a campaign: [`ATTRIBUTES`] and its breakdowns, sorted.
pub(crate) fn lattice_attributes(breakdowns: &[String]) -> Vec<String> {
    let mut out: Vec<String> = ATTRIBUTES.iter().map(|a| a.to_string()).collect();
    out.extend(breakdowns.iter().cloned());
    out.sort();
    out.dedup();
    out
}

/// A stored row's attributes and its fine cell's key: its value of each lattice
/// attribute.
pub(crate) fn fine_key<'a>(
    stored: &'a str,
    attributes: &[String],
) -> anyhow::Result<(Attributes<'a>, Vec<Option<String>>)> {
    let attrs: Attributes<'a> = serde_json::from_str(stored)
        .map_err(|e| anyhow::anyhow!("stored attributes are not valid JSON: {e}"))?;
    let key = attributes
        .iter()
        .map(|a| attrs.get(a.as_str()).map(str::to_string))
        .collect();
    Ok((attrs, key))
}

/// Turns the fine cells keyed by their values into the view's lattice, each cell's
/// content through `finish`.
pub(crate) fn lattice<T, U>(
    attributes: Vec<String>,
    fine: BTreeMap<Vec<Option<String>>, T>,
    filters: &[(String, String)],
    mut finish: impl FnMut(T) -> anyhow::Result<U>,
) -> anyhow::Result<Lattice<U>> {
    let mut values: Vec<BTreeSet<String>> = vec![BTreeSet::new(); attributes.len()];
    for key in fine.keys() {
        for (d, v) in key.iter().enumerate() {
            if let Some(v) = v {
                values[d].insert(v.clone());
            }
        }
    }
    let values: Vec<Vec<String>> = values
        .into_iter()
        .map(|v| v.into_iter().collect())
        .collect();
    let coord = |d: usize, v: &Option<String>| match v {
        Some(v) => Coord::Value(values[d].binary_search(v).unwrap_or(0) as u32),
        None => Coord::Missing,
    };
    let mut cells = Vec::with_capacity(fine.len());
    for (key, b) in fine {
        let cell: Vec<Coord> = key.iter().enumerate().map(|(d, v)| coord(d, v)).collect();
        cells.push((cell, finish(b)?));
    }
    let mut out = Lattice {
        attributes,
        values,
        fine: cells,
        view: Vec::new(),
    };
    out.view = out.cell_of(filters).ok_or_else(|| {
        anyhow::anyhow!("a filter names an attribute views cannot be narrowed by")
    })?;
    Ok(out)
}

/// Streams the campaign's responses that match every `(attribute, value)` filter into
/// analysis frames, collecting quotes for the report when `quotes` is set. Every
/// response also goes into its fine cell of the campaign's lattice (its values of the
/// disclosure attributes), which the disclosure gate decides with.
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
    let attributes = lattice_attributes(&breakdowns);
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
        let mut fine: BTreeMap<Vec<Option<String>>, FrameBuilder> = BTreeMap::new();
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
                let (attrs, key) = fine_key(&row.attributes, &attributes)?;
                fine.entry(key)
                    .or_insert_with(|| FrameBuilder::new(&breakdowns))
                    .push_json(row.survey_version_id, &v.survey, &attrs, &row.answers)?;
                if !filters
                    .iter()
                    .all(|(k, val)| attrs.get(k.as_str()) == Some(val.as_str()))
                {
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
        let lattice = lattice(attributes, fine, &filters, |b| Ok(b.finish()?))?;
        Ok(Collected {
            view: View {
                frames: builder.finish()?,
                lattice: Some(lattice),
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
