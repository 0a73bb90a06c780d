//! What is published and how far the fieldwork is: the campaigns with their current
//! questionnaires and response counts, one questionnaire by slug, a campaign's data
//! version (for caches), and the invitation response rates per questionnaire and per
//! prefilled attribute value.

use std::collections::BTreeMap;

use sea_orm::DatabaseConnection;
use serde::Serialize;

use crate::store::campaigns::{self, StoredCampaign};
use crate::store::invitations::{self, InvitationProgress};
use crate::store::surveys::{self, StoredSurvey};
use crate::store::{responses, tallies, StoreError};

/// Every campaign with its current questionnaires.
pub async fn published(db: &DatabaseConnection) -> Result<Vec<StoredCampaign>, StoreError> {
    campaigns::list(db).await
}

/// One campaign by key.
pub async fn find(
    db: &DatabaseConnection,
    key: &str,
) -> Result<Option<StoredCampaign>, StoreError> {
    campaigns::get(db, key).await
}

/// The current version of the questionnaire `slug`.
pub async fn survey(
    db: &DatabaseConnection,
    slug: &str,
) -> Result<Option<StoredSurvey>, StoreError> {
    surveys::current(db, slug).await
}

/// A value that changes whenever the campaign's data or definitions do (`None`: no such
/// campaign); a cached report is reused while it stays the same.
pub async fn data_version(
    db: &DatabaseConnection,
    key: &str,
) -> Result<Option<String>, StoreError> {
    campaigns::data_version(db, key).await
}

/// Every campaign with its stored responses per audience (`students`, …).
pub async fn with_counts_by_audience(
    db: &DatabaseConnection,
) -> Result<Vec<(StoredCampaign, BTreeMap<String, u64>)>, StoreError> {
    let mut out = Vec::new();
    for c in campaigns::list(db).await? {
        let counts = responses::counts_by_audience(db, c.id).await?;
        out.push((c, counts));
    }
    Ok(out)
}

/// Every campaign with its stored responses matching `filters` (attribute = value,
/// all of them; a school's token passes its school).
pub async fn with_counts_matching(
    db: &DatabaseConnection,
    filters: &[(String, String)],
) -> Result<Vec<(StoredCampaign, u64)>, StoreError> {
    let mut out = Vec::new();
    for c in campaigns::list(db).await? {
        let n = tallies::count_matching(db, c.id, filters).await?;
        out.push((c, n));
    }
    Ok(out)
}

/// Invitations issued, started and completed.
#[derive(Serialize, Default, Clone, Debug, PartialEq, utoipa::ToSchema)]
pub struct Rate {
    pub invited: u64,
    pub started: u64,
    pub completed: u64,
    /// completed / invited, when anyone was invited.
    pub rate: Option<f64>,
}

impl Rate {
    pub(crate) fn add(&mut self, started: bool, completed: bool) {
        self.invited += 1;
        self.started += u64::from(started);
        self.completed += u64::from(completed);
    }

    pub(crate) fn finish(mut self) -> Self {
        self.rate = (self.invited > 0).then(|| self.completed as f64 / self.invited as f64);
        self
    }
}

#[derive(Serialize, Debug, utoipa::ToSchema)]
pub struct Participation {
    pub campaign: String,
    pub surveys: Vec<SurveyRates>,
}

#[derive(Serialize, Debug, utoipa::ToSchema)]
pub struct SurveyRates {
    pub slug: String,
    pub audience: String,
    /// All stored responses, invited or through the open link.
    pub responses: u64,
    pub invitations: Rate,
    /// Invitations by prefilled attribute value: attribute -> value -> rate.
    pub by_attribute: BTreeMap<String, BTreeMap<String, Rate>>,
}

/// Response rates per questionnaire and per prefilled attribute value (`None`: no such
/// campaign).
pub async fn participation(
    db: &DatabaseConnection,
    key: &str,
) -> Result<Option<Participation>, StoreError> {
    let Some(c) = campaigns::get(db, key).await? else {
        return Ok(None);
    };
    let progress = invitations::progress(db, c.id).await?;
    let mut out = Vec::new();
    for s in &c.surveys {
        let slug = &s.survey.slug;
        let (invitations, by_attribute) = rates(progress.iter().filter(|p| &p.slug == slug));
        out.push(SurveyRates {
            slug: slug.clone(),
            audience: s.survey.audience.as_str().to_string(),
            responses: responses::count_for_survey(db, slug, None).await?,
            invitations,
            by_attribute,
        });
    }
    Ok(Some(Participation {
        campaign: c.info.key,
        surveys: out,
    }))
}

/// The overall rate and the rate per attribute value of these invitations.
fn rates<'a>(
    progress: impl Iterator<Item = &'a InvitationProgress>,
) -> (Rate, BTreeMap<String, BTreeMap<String, Rate>>) {
    let mut total = Rate::default();
    let mut by: BTreeMap<String, BTreeMap<String, Rate>> = BTreeMap::new();
    for p in progress {
        total.add(p.started, p.completed);
        for (k, v) in &p.attributes {
            by.entry(k.clone())
                .or_default()
                .entry(v.clone())
                .or_default()
                .add(p.started, p.completed);
        }
    }
    let by = by
        .into_iter()
        .map(|(k, m)| (k, m.into_iter().map(|(v, r)| (v, r.finish())).collect()))
        .collect();
    (total.finish(), by)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_count_each_invitation_once_overall_and_per_attribute_value() {
        let inv = |school: &str, started, completed| InvitationProgress {
            slug: "s".into(),
            batch: "b".into(),
            attributes: BTreeMap::from([("school".to_string(), school.to_string())]),
            started,
            completed,
        };
        let list = [
            inv("甲", true, true),
            inv("甲", true, false),
            inv("甲", false, false),
            inv("乙", true, true),
        ];
        let (total, by) = rates(list.iter());
        assert_eq!((total.invited, total.started, total.completed), (4, 3, 2));
        assert_eq!(total.rate, Some(0.5));
        let a = &by["school"]["甲"];
        assert_eq!((a.invited, a.started, a.completed), (3, 2, 1));
        assert_eq!(a.rate, Some(1.0 / 3.0));
        assert_eq!(by["school"]["乙"].rate, Some(1.0));
        let (none, by) = rates(std::iter::empty());
        assert_eq!((none.invited, none.rate), (0, None));
        assert!(by.is_empty());
    }
}
