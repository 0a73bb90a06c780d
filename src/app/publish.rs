//! Publishing definitions, for the server's start, the XLSForm upload and the CLI
//! import alike: a campaign's questionnaires stored as new versions where they changed,
//! each new version recorded in the audit log; an import's written files are taken back
//! when the database refuses the campaign.

use sea_orm::DatabaseConnection;
use serde_json::{Map, Value};

use super::import::ImportOutcome;
use crate::domain::Campaign;
use crate::store::campaigns::{self, Published};
use crate::store::StoreError;

/// Who publishes, and what the audit entry says about where the definition came from
/// (merged into each entry's detail next to the campaign and version).
pub struct Origin<'a> {
    pub actor: &'a str,
    pub detail: Map<String, Value>,
    pub ip: Option<std::net::IpAddr>,
}

/// Stores the campaign's definitions; every questionnaire that got a new version is
/// recorded as `questionnaire.publish`.
pub async fn publish(
    db: &DatabaseConnection,
    campaign: &Campaign,
    origin: &Origin<'_>,
) -> Result<Vec<Published>, StoreError> {
    let published = campaigns::publish(db, campaign).await?;
    record(db, campaign, &published, origin).await?;
    Ok(published)
}

/// Publishes what an import wrote; if the database refuses it, the written files are
/// restored so the folder and the database agree.
pub async fn publish_import(
    db: &DatabaseConnection,
    outcome: &ImportOutcome,
    origin: &Origin<'_>,
) -> Result<Vec<Published>, StoreError> {
    let published = match campaigns::publish(db, &outcome.campaign).await {
        Ok(p) => p,
        Err(e) => {
            outcome.undo();
            return Err(e);
        }
    };
    record(db, &outcome.campaign, &published, origin).await?;
    Ok(published)
}

async fn record(
    db: &DatabaseConnection,
    campaign: &Campaign,
    published: &[Published],
    origin: &Origin<'_>,
) -> Result<(), StoreError> {
    for p in published.iter().filter(|p| p.created) {
        super::access::record(
            db,
            origin.actor,
            "questionnaire.publish",
            &p.slug,
            entry_detail(&campaign.info.key, p.version, &origin.detail),
            origin.ip,
        )
        .await?;
    }
    Ok(())
}

/// `{"campaign": key, "version": n, …origin}`.
fn entry_detail(key: &str, version: i32, origin: &Map<String, Value>) -> Value {
    let mut detail = Map::new();
    detail.insert("campaign".into(), Value::from(key));
    detail.insert("version".into(), Value::from(version));
    detail.extend(origin.clone());
    Value::Object(detail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_names_the_campaign_the_version_and_the_origin() {
        let mut origin = Map::new();
        origin.insert("source".into(), "xlsform".into());
        origin.insert("replace".into(), true.into());
        let d = entry_detail("pingshun-2025", 3, &origin);
        assert_eq!(
            d,
            serde_json::json!({"campaign": "pingshun-2025", "version": 3, "source": "xlsform", "replace": true})
        );
    }
}
