//! The invitation use-case, for the web and the CLI alike: check a batch request, issue
//! single-use tokens with their prefilled attributes, record the batch in the audit log
//! (never the tokens), and make each token's link.

use std::collections::BTreeMap;

use sea_orm::DatabaseConnection;

use crate::store::invitations::{self, MAX_BATCH};
use crate::store::surveys::StoredSurvey;
use crate::store::StoreError;

/// What is wrong with a batch request, and which field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchProblem {
    pub field: String,
    pub message: String,
}

impl std::fmt::Display for BatchProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum InviteError {
    #[error("{0}")]
    Invalid(BatchProblem),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A batch just issued: its name, the attributes as stored (codes), and each token
/// with its link (shown once).
pub struct Issued {
    pub batch: String,
    pub attributes: BTreeMap<String, String>,
    pub links: Vec<(String, String)>,
}

/// Who asks, for the audit log.
pub struct Actor<'a> {
    pub name: &'a str,
    pub ip: Option<std::net::IpAddr>,
}

/// Issues `count` invitations to `survey` with prefilled `attributes` (labels or codes),
/// in the batch named `batch` (default: the date and time), linked under `base`.
pub async fn issue(
    db: &DatabaseConnection,
    survey: &StoredSurvey,
    count: usize,
    attributes: &BTreeMap<String, String>,
    batch: Option<String>,
    base: &str,
    actor: Actor<'_>,
) -> Result<Issued, InviteError> {
    let attributes = check_batch(survey, count, attributes).map_err(InviteError::Invalid)?;
    let batch = batch
        .filter(|b| !b.trim().is_empty())
        .unwrap_or_else(|| chrono::Utc::now().format("%Y%m%d-%H%M%S").to_string());
    let tokens = invitations::create(db, survey, count, &attributes, &batch).await?;
    crate::store::audit::record(
        db,
        actor.name,
        "invitations.create",
        &survey.survey.slug,
        serde_json::json!({"count": tokens.len(), "batch": batch, "attributes": attributes}),
        actor.ip,
    )
    .await?;
    let base = base.trim_end_matches('/');
    let links = tokens
        .into_iter()
        .map(|t| {
            let link = survey_link(base, &survey.survey.slug, Some(&t));
            (t, link)
        })
        .collect();
    Ok(Issued {
        batch,
        attributes,
        links,
    })
}

/// The survey page's address, personal with an invitation token.
pub fn survey_link(base: &str, slug: &str, token: Option<&str>) -> String {
    match token {
        Some(t) => format!("{base}/s/{slug}?t={t}"),
        None => format!("{base}/s/{slug}"),
    }
}

fn invalid(field: &str, message: String) -> BatchProblem {
    BatchProblem {
        field: field.to_string(),
        message,
    }
}

/// Checks a batch request; attribute values given as choice labels become codes.
pub fn check_batch(
    survey: &StoredSurvey,
    count: usize,
    attributes: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, BatchProblem> {
    if count == 0 || count > MAX_BATCH {
        return Err(invalid(
            "count",
            format!("count {count} must be between 1 and {MAX_BATCH}"),
        ));
    }
    if attributes.len() > crate::domain::answers::MAX_ATTRIBUTES {
        return Err(invalid("attributes", "too many attributes".into()));
    }
    let mut out = BTreeMap::new();
    for (k, v) in attributes {
        let valid = !k.is_empty()
            && k.len() <= 32
            && k.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !valid {
            return Err(invalid(
                &format!("attributes.{k}"),
                "attribute names are 1-32 characters of a-z, 0-9 and _".into(),
            ));
        }
        if v.trim().is_empty() || v.chars().count() > crate::domain::answers::MAX_ATTRIBUTE_LEN {
            return Err(invalid(
                &format!("attributes.{k}"),
                "attribute values are 1-200 characters".into(),
            ));
        }
        out.insert(k.clone(), survey.survey.attribute_code(k, v));
    }
    Ok(out)
}
