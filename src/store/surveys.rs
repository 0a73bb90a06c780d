//! Survey definition versions.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

use super::campaigns::hash;
use super::StoreError;
use crate::domain::Survey;
use crate::entities::{campaigns, survey_versions};

/// One published questionnaire version.
#[derive(Debug, Clone)]
pub struct StoredSurvey {
    pub version_id: i64,
    pub version: i32,
    pub campaign_id: i64,
    pub campaign_key: String,
    pub survey: Survey,
}

pub(super) async fn publish<C: ConnectionTrait>(
    db: &C,
    campaign_id: i64,
    survey: &Survey,
    now: DateTime<Utc>,
) -> Result<super::campaigns::Published, StoreError> {
    let definition =
        serde_json::to_string(survey).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let content_hash = hash(&definition);
    let latest = survey_versions::Entity::find()
        .filter(survey_versions::Column::Slug.eq(&survey.slug))
        .order_by_desc(survey_versions::Column::Version)
        .one(db)
        .await?;
    if let Some(latest) = &latest {
        if latest.content_hash == content_hash && latest.campaign_id == campaign_id {
            return Ok(super::campaigns::Published {
                slug: survey.slug.clone(),
                version: latest.version,
                created: false,
            });
        }
    }
    let version = latest.map_or(1, |l| l.version + 1);
    survey_versions::ActiveModel {
        campaign_id: Set(campaign_id),
        slug: Set(survey.slug.clone()),
        audience: Set(survey.audience.as_str().to_string()),
        version: Set(version),
        content_hash: Set(content_hash),
        definition: Set(definition),
        published_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(super::campaigns::Published {
        slug: survey.slug.clone(),
        version,
        created: true,
    })
}

fn decode(row: survey_versions::Model, campaign_key: String) -> Result<StoredSurvey, StoreError> {
    let survey: Survey = serde_json::from_str(&row.definition)
        .map_err(|e| StoreError::Corrupt(format!("survey {} v{}: {e}", row.slug, row.version)))?;
    Ok(StoredSurvey {
        version_id: row.id,
        version: row.version,
        campaign_id: row.campaign_id,
        campaign_key,
        survey,
    })
}

/// The current (newest) version of the questionnaire with this slug.
pub async fn current<C: ConnectionTrait>(
    db: &C,
    slug: &str,
) -> Result<Option<StoredSurvey>, StoreError> {
    let Some(row) = survey_versions::Entity::find()
        .filter(survey_versions::Column::Slug.eq(slug))
        .order_by_desc(survey_versions::Column::Version)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let key = campaigns::Entity::find_by_id(row.campaign_id)
        .one(db)
        .await?
        .map(|c| c.key)
        .unwrap_or_default();
    decode(row, key).map(Some)
}

/// The newest version of each questionnaire of a campaign, in audience order.
pub async fn current_for_campaign<C: ConnectionTrait>(
    db: &C,
    campaign_id: i64,
    key: &str,
) -> Result<Vec<StoredSurvey>, StoreError> {
    let rows = survey_versions::Entity::find()
        .filter(survey_versions::Column::CampaignId.eq(campaign_id))
        .order_by_asc(survey_versions::Column::Slug)
        .order_by_desc(survey_versions::Column::Version)
        .all(db)
        .await?;
    let mut out: Vec<StoredSurvey> = Vec::new();
    for row in rows {
        if out.iter().any(|s| s.survey.slug == row.slug) {
            continue;
        }
        out.push(decode(row, key.to_string())?);
    }
    out.sort_by_key(|s| s.survey.audience);
    Ok(out)
}

/// Every version of every questionnaire of a campaign, by version id (for analysis
/// and export of responses to older versions).
pub async fn all_versions<C: ConnectionTrait>(
    db: &C,
    campaign_id: i64,
    key: &str,
) -> Result<HashMap<i64, StoredSurvey>, StoreError> {
    let rows = survey_versions::Entity::find()
        .filter(survey_versions::Column::CampaignId.eq(campaign_id))
        .all(db)
        .await?;
    rows.into_iter()
        .map(|r| decode(r, key.to_string()).map(|s| (s.version_id, s)))
        .collect()
}
