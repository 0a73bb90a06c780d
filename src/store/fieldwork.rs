//! Fieldwork counts: stored responses per questionnaire version, attribute set and day
//! (Beijing time), read from the response tallies (`store::tallies`), so the fieldwork
//! monitor never reads a response and its cost grows with units × days, not with
//! responses.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use sea_orm::DatabaseConnection;

use super::{tallies, StoreError};

/// Responses of one questionnaire version with one attribute set on one day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayCount {
    pub version_id: i64,
    pub attributes: BTreeMap<String, String>,
    pub day: NaiveDate,
    pub n: u64,
}

/// Stored responses of a campaign per questionnaire version, attribute set and day.
pub async fn responses_per_day(
    db: &DatabaseConnection,
    campaign_id: i64,
) -> Result<Vec<DayCount>, StoreError> {
    tallies::of_campaign(db, campaign_id)
        .await?
        .into_iter()
        .map(|t| {
            Ok(DayCount {
                version_id: t.version_id,
                attributes: serde_json::from_str(&t.attributes)
                    .map_err(|e| StoreError::Corrupt(format!("response attributes: {e}")))?,
                day: NaiveDate::parse_from_str(&t.day, "%Y-%m-%d")
                    .map_err(|e| StoreError::Corrupt(format!("response day {:?}: {e}", t.day)))?,
                n: t.n,
            })
        })
        .collect()
}
