//! Fieldwork counts grouped in the database: stored responses per questionnaire
//! version, attribute set and day (Beijing time), so the fieldwork monitor never reads a
//! response's answers and its cost grows with units × days, not with responses.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter, QuerySelect};

use super::StoreError;
use crate::entities::responses;

/// Responses of one questionnaire version with one attribute set on one day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayCount {
    pub version_id: i64,
    pub attributes: BTreeMap<String, String>,
    pub day: NaiveDate,
    pub n: u64,
}

/// The calendar day (UTC+8) of `submitted_at`, in SQL. Anonymous responses keep only
/// their UTC day (midnight), which stays on the same day here.
fn day_sql(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::Postgres => {
            "to_char((submitted_at AT TIME ZONE 'UTC') + interval '8 hours', 'YYYY-MM-DD')"
        }
        _ => "date(submitted_at, '+8 hours')",
    }
}

/// Stored responses of a campaign per questionnaire version, attribute set and day.
pub async fn responses_per_day(
    db: &DatabaseConnection,
    campaign_id: i64,
) -> Result<Vec<DayCount>, StoreError> {
    let day = day_sql(db.get_database_backend());
    let rows: Vec<(i64, String, String, i64)> = responses::Entity::find()
        .select_only()
        .column(responses::Column::SurveyVersionId)
        .column(responses::Column::Attributes)
        .column_as(Expr::cust(day), "day")
        .column_as(responses::Column::Id.count(), "n")
        .filter(responses::Column::CampaignId.eq(campaign_id))
        .group_by(responses::Column::SurveyVersionId)
        .group_by(responses::Column::Attributes)
        .group_by(Expr::cust(day))
        .into_tuple()
        .all(db)
        .await?;
    rows.into_iter()
        .map(|(version_id, attributes, day, n)| {
            Ok(DayCount {
                version_id,
                attributes: serde_json::from_str(&attributes)
                    .map_err(|e| StoreError::Corrupt(format!("response attributes: {e}")))?,
                day: NaiveDate::parse_from_str(&day, "%Y-%m-%d")
                    .map_err(|e| StoreError::Corrupt(format!("response day {day:?}: {e}")))?,
                n: u64::try_from(n).unwrap_or(0),
            })
        })
        .collect()
}
