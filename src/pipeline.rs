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
