//! From the store to typed results: loads a campaign's responses and analyses them off
//! the async threads (polars runs on its own pool).

use std::collections::HashMap;

use sea_orm::DatabaseConnection;

use crate::analysis::evaluation::{analyse, Analysis, PreviousWave};
use crate::analysis::frame::{build, Frames, ResponseInput};
use crate::analysis::{score_campaign, CampaignScores};
use crate::store::campaigns::{self, StoredCampaign};
use crate::store::responses::{self, ResponseRecord};
use crate::store::surveys::{self, StoredSurvey};

/// Everything a report or export needs about one campaign.
pub struct CampaignData {
    pub campaign: StoredCampaign,
    pub versions: HashMap<i64, StoredSurvey>,
    pub records: Vec<ResponseRecord>,
}

pub async fn load(db: &DatabaseConnection, key: &str) -> anyhow::Result<Option<CampaignData>> {
    let Some(campaign) = campaigns::get(db, key).await? else {
        return Ok(None);
    };
    let versions = surveys::all_versions(db, campaign.id, key).await?;
    let records = responses::for_campaign(db, campaign.id).await?;
    Ok(Some(CampaignData {
        campaign,
        versions,
        records,
    }))
}

/// The analysis frames of a loaded campaign (CPU-bound).
pub fn frames(data: &CampaignData) -> anyhow::Result<Frames> {
    let inputs = data.records.iter().filter_map(|r| {
        let v = data.versions.get(&r.survey_version_id)?;
        Some(ResponseInput {
            survey: &v.survey,
            attributes: &r.attributes,
            answers: &r.answers,
        })
    });
    Ok(build(inputs, &data.campaign.info.analysis.breakdowns)?)
}

/// Scores a loaded campaign (CPU-bound: call from `spawn_blocking`).
pub fn score(data: &CampaignData) -> anyhow::Result<CampaignScores> {
    Ok(score_campaign(&data.campaign.info, &frames(data)?)?)
}

/// The full evaluation, with the earlier wave when the campaign names one.
pub async fn load_and_analyse(
    db: &DatabaseConnection,
    key: &str,
) -> anyhow::Result<Option<(CampaignData, Analysis)>> {
    let Some(data) = load(db, key).await? else {
        return Ok(None);
    };
    let previous = match &data.campaign.info.analysis.previous_wave {
        Some(prev) => load(db, prev).await?,
        None => None,
    };
    let (data, analysis) = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
        let current = frames(&data)?;
        let prev_frames = previous.as_ref().map(frames).transpose()?;
        let wave = match (&previous, &prev_frames) {
            (Some(p), Some(f)) => Some(PreviousWave {
                info: &p.campaign.info,
                frames: f,
            }),
            _ => None,
        };
        let analysis = analyse(&data.campaign.info, &current, wave)?;
        Ok((data, analysis))
    })
    .await??;
    Ok(Some((data, analysis)))
}

/// Loads and scores in one call; `None` for an unknown campaign.
pub async fn load_and_score(
    db: &DatabaseConnection,
    key: &str,
) -> anyhow::Result<Option<(CampaignData, CampaignScores)>> {
    let Some(data) = load(db, key).await? else {
        return Ok(None);
    };
    let (data, scores) =
        tokio::task::spawn_blocking(move || score(&data).map(|s| (data, s))).await??;
    Ok(Some((data, scores)))
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
    let Some(mut data) = load(db, key).await? else {
        return Ok(None);
    };
    let previous = match &data.campaign.info.analysis.previous_wave {
        Some(prev) => load(db, prev).await?,
        None => None,
    };
    let request = request.clone();
    // Invitations by group (invited, completed), under the same filters.
    let progress = crate::store::invitations::progress(db, data.campaign.id).await?;
    let mut invited: std::collections::BTreeMap<crate::domain::Audience, (u64, u64)> =
        std::collections::BTreeMap::new();
    for (slug, attrs, _, completed) in &progress {
        let Some(s) = data
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
        data.records.retain(|r| {
            request
                .filters
                .iter()
                .all(|(k, v)| r.attributes.get(k) == Some(v))
        });
        let current = frames(&data)?;
        let prev_frames = previous.as_ref().map(frames).transpose()?;
        let wave = match (&previous, &prev_frames) {
            (Some(p), Some(f)) => Some(PreviousWave {
                info: &p.campaign.info,
                frames: f,
            }),
            _ => None,
        };
        let analysis = analyse(&data.campaign.info, &current, wave)?;
        let first = data.records.iter().map(|r| r.submitted_at).min();
        let last = data.records.iter().map(|r| r.submitted_at).max();
        let input = crate::report::ReportInput {
            info: &data.campaign.info,
            analysis: &analysis,
            surveys: data.campaign.surveys.iter().map(|s| &s.survey).collect(),
            fieldwork: first.zip(last).map(|(a, b)| {
                (
                    a.format("%Y-%m-%d").to_string(),
                    b.format("%Y-%m-%d").to_string(),
                )
            }),
            free_text: free_text(&data),
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
        let (header, rows) = crate::export::responses_table(&data);
        let raw = crate::report::RawData {
            responses_header: header,
            responses: rows,
            codebook: crate::export::codebook(&data),
        };
        Ok((doc, raw))
    })
    .await??;
    Ok(Some(out))
}

/// Answers to text questions marked `in_report`, at most 200 per question, in order.
fn free_text(data: &CampaignData) -> Vec<(crate::domain::Audience, String, Vec<String>)> {
    let mut out = Vec::new();
    for s in &data.campaign.surveys {
        for q in s.survey.questions() {
            if !matches!(
                q.kind,
                crate::domain::QuestionKind::Text {
                    in_report: true,
                    ..
                }
            ) {
                continue;
            }
            let answers: Vec<String> = data
                .records
                .iter()
                .filter(|r| r.audience == s.survey.audience.as_str())
                .filter_map(|r| match r.answers.get(&q.id) {
                    Some(crate::domain::AnswerValue::Text(t)) if !t.trim().is_empty() => {
                        Some(t.clone())
                    }
                    _ => None,
                })
                .take(200)
                .collect();
            if !answers.is_empty() {
                out.push((s.survey.audience, q.text.clone(), answers));
            }
        }
    }
    out
}
