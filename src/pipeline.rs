//! From the store to typed results: loads a campaign's responses and scores them off
//! the async threads (polars runs on its own pool).

use std::collections::{BTreeMap, HashMap};

use sea_orm::DatabaseConnection;

use crate::analysis::frame::{item_frame, ResponseInput};
use crate::analysis::{score_campaign, CampaignScores};
use crate::domain::Audience;
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

/// Scores a loaded campaign (CPU-bound: call from `spawn_blocking`).
pub fn score(data: &CampaignData) -> anyhow::Result<CampaignScores> {
    let mut counts: BTreeMap<Audience, u64> = BTreeMap::new();
    let inputs: Vec<ResponseInput<'_>> = data
        .records
        .iter()
        .filter_map(|r| {
            let v = data.versions.get(&r.survey_version_id)?;
            *counts.entry(v.survey.audience).or_default() += 1;
            Some(ResponseInput {
                survey: &v.survey,
                group: v.survey.audience.as_str(),
                answers: &r.answers,
            })
        })
        .collect();
    let frame = item_frame(inputs)?;
    Ok(score_campaign(&data.campaign.info, frame, counts)?)
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
