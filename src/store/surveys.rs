//! Survey definition versions.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use super::campaigns::hash;
use super::StoreError;
use crate::domain::{AnswerValue, QuestionKind, Survey, OTHER_CODE};
use crate::entities::{campaigns, responses, survey_versions};

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
    if let Some(latest) = &latest {
        refuse_orphans(db, latest, survey).await?;
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

/// Answer keys (question, or question + choice code) the old version had and the new
/// one drops.
pub fn removed_answers(old: &Survey, new: &Survey) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    for q in old.questions() {
        if matches!(q.kind, QuestionKind::Note) {
            continue;
        }
        let Some(n) = new.question(&q.id) else {
            out.push((q.id.clone(), None));
            continue;
        };
        for c in q.kind.choices() {
            if !n.kind.choices().iter().any(|x| x.code == c.code) {
                out.push((q.id.clone(), Some(c.code.clone())));
            }
        }
        if q.kind.has_other() && !n.kind.has_other() {
            out.push((q.id.clone(), Some(OTHER_CODE.to_string())));
        }
    }
    out
}

/// Refuses a new version that would orphan stored answers (a removed question or choice
/// that respondents have answered) unless the file declares a higher `version`.
async fn refuse_orphans<C: ConnectionTrait>(
    db: &C,
    latest: &survey_versions::Model,
    survey: &Survey,
) -> Result<(), StoreError> {
    let old: Survey = serde_json::from_str(&latest.definition).map_err(|e| {
        StoreError::Corrupt(format!("survey {} v{}: {e}", latest.slug, latest.version))
    })?;
    let removed = removed_answers(&old, survey);
    if removed.is_empty() || survey.declared_version > old.declared_version {
        return Ok(());
    }
    let version_ids: Vec<i64> = survey_versions::Entity::find()
        .filter(survey_versions::Column::Slug.eq(&survey.slug))
        .all(db)
        .await?
        .into_iter()
        .map(|v| v.id)
        .collect();
    let rows: Vec<String> = responses::Entity::find()
        .select_only()
        .column(responses::Column::Answers)
        .filter(responses::Column::SurveyVersionId.is_in(version_ids))
        .into_tuple()
        .all(db)
        .await?;
    let mut counts = vec![0u64; removed.len()];
    for row in rows {
        let Ok(answers) = serde_json::from_str::<BTreeMap<String, AnswerValue>>(&row) else {
            continue;
        };
        for (i, (qid, code)) in removed.iter().enumerate() {
            let hit = match (answers.get(qid), code) {
                (Some(_), None) => true,
                (Some(AnswerValue::Text(t)), Some(c)) => t == c,
                (Some(AnswerValue::List(l)), Some(c)) => l.contains(c),
                _ => false,
            };
            counts[i] += u64::from(hit);
        }
    }
    let blocking: Vec<String> = removed
        .iter()
        .zip(&counts)
        .filter(|(_, n)| **n > 0)
        .map(|((qid, code), n)| match code {
            None => format!("question {qid:?} was removed but {n} stored response(s) answer it"),
            Some(c) => format!(
                "choice {c:?} of question {qid:?} was removed but {n} stored response(s) chose it"
            ),
        })
        .collect();
    if blocking.is_empty() {
        return Ok(());
    }
    let next = old.declared_version.unwrap_or(1) + 1;
    Err(StoreError::Refused(format!(
        "questionnaire {}: {}. Publishing this change would orphan those answers. Keep them in the definition, or publish the change explicitly as a new version by setting `version = {next}` at the top of the questionnaire file (stored answers stay with version {} and are still analysed by question id).",
        survey.slug,
        blocking.join("; "),
        latest.version
    )))
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

/// Every stored questionnaire version of every campaign, by version id (to pack the
/// answers of any stored response).
pub async fn every_definition<C: ConnectionTrait>(
    db: &C,
) -> Result<HashMap<i64, Survey>, StoreError> {
    let rows = survey_versions::Entity::find().all(db).await?;
    rows.into_iter()
        .map(|r| decode(r, String::new()).map(|s| (s.version_id, s.survey)))
        .collect()
}
