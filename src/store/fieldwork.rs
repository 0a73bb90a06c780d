//! Fieldwork counts from the response tallies (`store::tallies`): stored responses per
//! questionnaire version and attribute set (for units and quotas), and per version and
//! day (Beijing time, for the recent counts and the chart), each grouped in the
//! database within the token's scope. The fieldwork monitor never reads a response, and
//! its cost grows with units + days, not with responses or units × days.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use sea_orm::DatabaseConnection;

use super::{tallies, StoreError};

/// Responses of one questionnaire version with one attribute set, all days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitCount {
    pub version_id: i64,
    pub attributes: BTreeMap<String, String>,
    pub n: u64,
}

/// Responses of one questionnaire version on one day, all units in scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayCount {
    pub version_id: i64,
    pub day: NaiveDate,
    pub n: u64,
}

/// A campaign's fieldwork counts within a scope.
#[derive(Debug, Clone, Default)]
pub struct Counts {
    pub units: Vec<UnitCount>,
    pub days: Vec<DayCount>,
}

/// Stored responses of a campaign holding every `(attribute, value)` of `scope`, per
/// version and attribute set and per version and day.
pub async fn counts(
    db: &DatabaseConnection,
    campaign_id: i64,
    scope: &[(String, String)],
) -> Result<Counts, StoreError> {
    let in_scope =
        |attrs: &BTreeMap<String, String>| scope.iter().all(|(k, v)| attrs.get(k) == Some(v));
    let mut units = Vec::new();
    for (version_id, text, n) in tallies::per_attributes(db, campaign_id, scope).await? {
        let attributes: BTreeMap<String, String> = serde_json::from_str(&text)
            .map_err(|e| StoreError::Corrupt(format!("response attributes: {e}")))?;
        // The query's substring test, checked exactly.
        if in_scope(&attributes) {
            units.push(UnitCount {
                version_id,
                attributes,
                n,
            });
        }
    }
    let days = tallies::per_day(db, campaign_id, scope)
        .await?
        .into_iter()
        .map(|(version_id, day, n)| {
            Ok(DayCount {
                version_id,
                day: NaiveDate::parse_from_str(&day, "%Y-%m-%d")
                    .map_err(|e| StoreError::Corrupt(format!("response day {day:?}: {e}")))?,
                n,
            })
        })
        .collect::<Result<_, StoreError>>()?;
    Ok(Counts { units, days })
}
