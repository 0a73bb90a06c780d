//! The respondent use-case, for the survey page and the JSON API alike: who may answer
//! now (the questionnaire's window, response cap and quotas, invitation tokens), opening
//! and resuming an invitation, saving partial answers, and telling a retry from a new
//! response. The doors only turn a `Refusal` into their page or error.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::domain::SurveyState;
use crate::store::invitations::{self, Invitation};
use crate::store::responses;
use crate::store::surveys::StoredSurvey;
use crate::store::StoreError;

/// Why a respondent may not answer (each has a page and an API error in `web`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    NotYetOpen(DateTime<Utc>),
    Closed,
    Full,
    QuotaFull { attribute: String, value: String },
    UnknownToken,
    TokenUsed,
}

/// Whether the questionnaire takes answers now.
pub async fn survey_state(
    db: &DatabaseConnection,
    stored: &StoredSurvey,
) -> Result<Option<Refusal>, StoreError> {
    let access = &stored.survey.access;
    let stored_count = match access.max_responses {
        Some(_) => responses::count_for_survey(db, &stored.survey.slug, None).await?,
        None => 0,
    };
    Ok(match access.state(Utc::now(), stored_count) {
        SurveyState::Open => None,
        SurveyState::NotYetOpen(t) => Some(Refusal::NotYetOpen(t)),
        SurveyState::Closed => Some(Refusal::Closed),
        SurveyState::Full => Some(Refusal::Full),
    })
}

/// The first quota that a respondent with these attributes would exceed.
pub async fn quota(
    db: &DatabaseConnection,
    stored: &StoredSurvey,
    attributes: &BTreeMap<String, String>,
) -> Result<Option<Refusal>, StoreError> {
    for q in &stored.survey.access.quotas {
        if attributes.get(&q.attribute) != Some(&q.value) {
            continue;
        }
        let n = responses::count_for_survey(
            db,
            &stored.survey.slug,
            Some((q.attribute.as_str(), q.value.as_str())),
        )
        .await?;
        if n >= q.max {
            return Ok(Some(Refusal::QuotaFull {
                attribute: q.attribute.clone(),
                value: q.value.clone(),
            }));
        }
    }
    Ok(None)
}

/// The invitation behind `token`, whether or not it was used (the writer refuses a used
/// one; a retry of its own response is still answered as a retry).
pub async fn invitation(
    db: &DatabaseConnection,
    stored: &StoredSurvey,
    token: &str,
) -> Result<Option<Invitation>, StoreError> {
    invitations::find(
        db,
        &stored.survey.slug,
        token,
        stored.survey.access.anonymous,
    )
    .await
}

/// The invitation behind `token` if it can still answer.
pub async fn open_invitation(
    db: &DatabaseConnection,
    stored: &StoredSurvey,
    token: &str,
) -> Result<Result<Invitation, Refusal>, StoreError> {
    Ok(match invitation(db, stored, token).await? {
        None => Err(Refusal::UnknownToken),
        Some(i) if i.completed => Err(Refusal::TokenUsed),
        Some(i) => Ok(i),
    })
}

/// An invited respondent opens the page: the invitation must be open and its group's
/// quota not reached; it is then marked started (for the participation rates).
pub async fn start(
    db: &DatabaseConnection,
    stored: &StoredSurvey,
    token: &str,
) -> Result<Result<Invitation, Refusal>, StoreError> {
    let inv = match open_invitation(db, stored, token).await? {
        Ok(i) => i,
        Err(r) => return Ok(Err(r)),
    };
    if let Some(r) = quota(db, stored, &inv.attributes).await? {
        return Ok(Err(r));
    }
    let anonymous = stored.survey.access.anonymous;
    invitations::mark_started(db, &stored.survey.slug, token, &inv, anonymous).await?;
    Ok(Ok(inv))
}

/// Whether the submitted response id is already stored: then it is answered as a retry,
/// whatever the questionnaire's state since. Asked at most once per request, and only
/// when a check would refuse, so a new response (the usual case) costs no lookup.
pub struct Retry {
    id: Option<Uuid>,
    stored: Option<bool>,
}

impl Retry {
    /// The retry question for a submission carrying `id` (none: a fresh id, never stored).
    pub fn of(id: Option<Uuid>) -> Self {
        Self { id, stored: None }
    }

    /// Whether the id is stored (looked up on the first call).
    pub async fn is_stored(&mut self, db: &DatabaseConnection) -> Result<bool, StoreError> {
        if let Some(known) = self.stored {
            return Ok(known);
        }
        let known = match self.id {
            Some(id) => responses::exists(db, id).await?,
            None => false,
        };
        self.stored = Some(known);
        Ok(known)
    }

    /// `refusal` unless the submission is a retry.
    async fn unless_stored(
        &mut self,
        db: &DatabaseConnection,
        refusal: Option<Refusal>,
    ) -> Result<Option<Refusal>, StoreError> {
        match refusal {
            Some(r) if !self.is_stored(db).await? => Ok(Some(r)),
            _ => Ok(None),
        }
    }
}

/// Why a new response may not be stored now (window, cap); none for a retry.
pub async fn refuse_new(
    db: &DatabaseConnection,
    stored: &StoredSurvey,
    retry: &mut Retry,
) -> Result<Option<Refusal>, StoreError> {
    let refusal = survey_state(db, stored).await?;
    retry.unless_stored(db, refusal).await
}

/// The quota a new response with these attributes would exceed; none for a retry.
pub async fn refuse_over_quota(
    db: &DatabaseConnection,
    stored: &StoredSurvey,
    attributes: &BTreeMap<String, String>,
    retry: &mut Retry,
) -> Result<Option<Refusal>, StoreError> {
    let refusal = quota(db, stored, attributes).await?;
    retry.unless_stored(db, refusal).await
}

/// Saves an invited respondent's answers so far (keys the questionnaire does not ask
/// are dropped); refused for an unknown or used invitation.
pub async fn save_partial(
    db: &DatabaseConnection,
    stored: &StoredSurvey,
    token: &str,
    answers: &serde_json::Map<String, serde_json::Value>,
) -> Result<Result<(), Refusal>, StoreError> {
    let keys = stored.survey.answer_keys();
    let answers: serde_json::Map<String, serde_json::Value> = answers
        .iter()
        .filter(|(k, _)| keys.contains(k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let slug = &stored.survey.slug;
    let anonymous = stored.survey.access.anonymous;
    if invitations::save_partial(db, slug, token, &answers, anonymous).await? {
        return Ok(Ok(()));
    }
    Ok(Err(match invitation(db, stored, token).await? {
        Some(_) => Refusal::TokenUsed,
        None => Refusal::UnknownToken,
    }))
}
