//! Fieldwork counts: stored responses per questionnaire version, attribute set and day
//! (Beijing time), read from the response tallies (`store::tallies`), so the fieldwork
//! monitor never reads a response and its cost grows with units × days, not with
//! responses.

use std::collections::{BTreeMap, HashMap};

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
    // A campaign has a few hundred attribute sets, each on many days: parse each once.
    let mut parsed: HashMap<String, BTreeMap<String, String>> = HashMap::new();
    let mut out = Vec::new();
    for t in tallies::of_campaign(db, campaign_id).await? {
        let attributes = match parsed.get(&t.attributes) {
            Some(a) => a.clone(),
            None => {
                let a: BTreeMap<String, String> = serde_json::from_str(&t.attributes)
                    .map_err(|e| StoreError::Corrupt(format!("response attributes: {e}")))?;
                parsed.insert(t.attributes, a.clone());
                a
            }
        };
        out.push(DayCount {
            version_id: t.version_id,
            attributes,
            day: NaiveDate::parse_from_str(&t.day, "%Y-%m-%d")
                .map_err(|e| StoreError::Corrupt(format!("response day {:?}: {e}", t.day)))?,
            n: t.n,
        });
    }
    Ok(out)
}
