//! Campaigns and publishing: a campaign folder becomes a campaign row and one survey
//! version per changed questionnaire.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionTrait,
};
use sha2::{Digest, Sha256};

use super::surveys::{self, StoredSurvey};
use super::StoreError;
use crate::domain::campaign::CampaignInfo;
use crate::domain::Campaign;
use crate::entities::campaigns;

/// What publishing did to one questionnaire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    pub slug: String,
    pub version: i32,
    pub created: bool,
}

/// A stored campaign with the current version of each questionnaire.
#[derive(Debug, Clone)]
pub struct StoredCampaign {
    pub id: i64,
    pub info: CampaignInfo,
    pub surveys: Vec<StoredSurvey>,
}

pub(crate) fn hash(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// Stores the campaign and publishes each questionnaire: an unchanged definition is a
/// no-op, a changed one becomes a new immutable version.
pub async fn publish(
    db: &DatabaseConnection,
    campaign: &Campaign,
) -> Result<Vec<Published>, StoreError> {
    let framework =
        serde_json::to_string(&campaign.info).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let framework_hash = hash(&framework);
    let txn = db.begin().await?;
    let now = Utc::now();
    let existing = campaigns::Entity::find()
        .filter(campaigns::Column::Key.eq(&campaign.info.key))
        .one(&txn)
        .await?;
    let campaign_id = match existing {
        Some(row) if row.framework_hash == framework_hash => row.id,
        Some(row) => {
            let id = row.id;
            let mut active: campaigns::ActiveModel = row.into();
            active.title = Set(campaign.info.title.clone());
            active.framework = Set(framework);
            active.framework_hash = Set(framework_hash);
            active.updated_at = Set(now);
            active.update(&txn).await?;
            id
        }
        None => {
            campaigns::ActiveModel {
                key: Set(campaign.info.key.clone()),
                title: Set(campaign.info.title.clone()),
                framework: Set(framework),
                framework_hash: Set(framework_hash),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?
            .id
        }
    };
    let mut out = Vec::new();
    for survey in &campaign.surveys {
        out.push(surveys::publish(&txn, campaign_id, survey, now).await?);
    }
    txn.commit().await?;
    Ok(out)
}

fn decode(row: &campaigns::Model) -> Result<CampaignInfo, StoreError> {
    serde_json::from_str(&row.framework)
        .map_err(|e| StoreError::Corrupt(format!("campaign {}: {e}", row.key)))
}

pub async fn list(db: &DatabaseConnection) -> Result<Vec<StoredCampaign>, StoreError> {
    let rows = campaigns::Entity::find()
        .order_by_asc(campaigns::Column::Key)
        .all(db)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let surveys = surveys::current_for_campaign(db, row.id, &row.key).await?;
        out.push(StoredCampaign {
            id: row.id,
            info: decode(&row)?,
            surveys,
        });
    }
    Ok(out)
}

/// Changes whenever the campaign's data does: its framework, a new questionnaire
/// version, or a new response. `None` for an unknown campaign.
pub async fn data_version(
    db: &DatabaseConnection,
    key: &str,
) -> Result<Option<String>, StoreError> {
    let Some(own) = own_data_version(db, key).await? else {
        return Ok(None);
    };
    // A report also shows the previous wave it compares with.
    let previous = match get(db, key)
        .await?
        .and_then(|c| c.info.analysis.previous_wave)
    {
        Some(p) if p != key => own_data_version(db, &p).await?.unwrap_or_default(),
        _ => String::new(),
    };
    Ok(Some(format!("{own}|{previous}")))
}

/// What a campaign's report is computed from: framework, definitions, responses and
/// invitations (the participation tables).
async fn own_data_version(
    db: &DatabaseConnection,
    key: &str,
) -> Result<Option<String>, StoreError> {
    use crate::entities::invitations;
    use sea_orm::PaginatorTrait;
    let Some(row) = campaigns::Entity::find()
        .filter(campaigns::Column::Key.eq(key))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let versions = crate::entities::survey_versions::Entity::find()
        .filter(crate::entities::survey_versions::Column::CampaignId.eq(row.id))
        .count(db)
        .await?;
    let responses: u64 = super::tallies::per_version(db, row.id)
        .await?
        .values()
        .sum();
    let invited = invitations::Entity::find()
        .filter(invitations::Column::CampaignId.eq(row.id))
        .count(db)
        .await?;
    let completed = invitations::Entity::find()
        .filter(invitations::Column::CampaignId.eq(row.id))
        .filter(invitations::Column::Completed.eq(true))
        .count(db)
        .await?;
    Ok(Some(format!(
        "{}:{}:{versions}:{responses}:{invited}:{completed}",
        row.framework_hash,
        row.updated_at.timestamp_millis()
    )))
}

pub async fn get(db: &DatabaseConnection, key: &str) -> Result<Option<StoredCampaign>, StoreError> {
    let Some(row) = campaigns::Entity::find()
        .filter(campaigns::Column::Key.eq(key))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let surveys = surveys::current_for_campaign(db, row.id, &row.key).await?;
    Ok(Some(StoredCampaign {
        id: row.id,
        info: decode(&row)?,
        surveys,
    }))
}
