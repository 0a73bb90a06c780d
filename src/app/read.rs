//! Reading a campaign: its definitions, and one streamed pass over its stored responses
//! into the columnar analysis frames (rows are read on the async side in chunks and
//! decoded on a blocking thread), under the view's filters; and the previous wave under
//! the same filters. The other use-cases start here.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;

use crate::analysis::disclosure::Partition;
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
