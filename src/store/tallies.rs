//! Response tallies (migration 14): responses per campaign, questionnaire version,
//! stored attributes text and day (Beijing time), added to in the same transaction as
//! the responses they count, so the fieldwork monitor, the campaign list and the data
//! version count a campaign from grouped tallies instead of reading every response. On
//! PostgreSQL each key is split over [`SHARDS`] rows (a transaction adds to one, chosen
//! at random) so concurrent writers seldom wait on the same row; SQLite has one writer
//! at a time and keeps one row per key. Readers sum the shards. Derived from the
//! responses: [`rebuild`] recomputes them (`chorus reindex`). Beside them, the totals
//! (migration 16) count responses per campaign and questionnaire version only, for the
//! readers that need no finer key (the data version, the campaign list): added to by
//! the same transaction, through triggers on the tallies on SQLite.
//!
//! A tally holds nothing its responses do not (their version, attributes and day), and
//! is written only by the response's own transaction, so it links nothing an anonymous
//! response does not already show.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, Utc};
use rand::Rng;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter,
    QuerySelect, Statement, TransactionTrait, Value,
};

use super::StoreError;
use crate::entities::response_tallies as tallies;
use crate::entities::response_totals as totals;

/// Rows each key is split over.
pub const SHARDS: i16 = 16;

/// Keys upserted per statement (6 values each, well under SQLite's parameter limit).
const PER_STATEMENT: usize = 500;

/// What one stored response adds to: its campaign, questionnaire version, stored
/// attributes text and the time it was stored as.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Key {
    pub campaign_id: i64,
    pub version_id: i64,
    pub attributes: String,
    pub day: String,
}

impl Key {
    pub fn new(campaign_id: i64, version_id: i64, attributes: String, at: DateTime<Utc>) -> Self {
        Key {
            campaign_id,
            version_id,
            attributes,
            day: day_of(at),
        }
    }
}

/// The calendar day of `t` in Beijing time (UTC+8), `YYYY-MM-DD`; the same as
/// [`day_sql`] computes from a stored `submitted_at`.
pub fn day_of(t: DateTime<Utc>) -> String {
    let offset = FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset");
    t.with_timezone(&offset).format("%Y-%m-%d").to_string()
}

/// [`day_of`] in SQL, over the `submitted_at` column.
pub fn day_sql(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::Postgres => {
            "to_char((submitted_at AT TIME ZONE 'UTC') + interval '8 hours', 'YYYY-MM-DD')"
        }
        _ => "date(submitted_at, '+8 hours')",
    }
}

/// Adds one response per key to the tallies and to the totals per questionnaire
/// version, inside the caller's transaction (the one that stores those responses). Keys
/// are added in sorted order, so two transactions never wait on each other's rows in
/// opposite orders.
pub async fn add<C: ConnectionTrait>(txn: &C, keys: &[&Key]) -> Result<(), sea_orm::DbErr> {
    let mut counts: BTreeMap<&Key, i64> = BTreeMap::new();
    let mut totals: BTreeMap<(i64, i64), i64> = BTreeMap::new();
    for k in keys {
        *counts.entry(*k).or_default() += 1;
        *totals.entry((k.campaign_id, k.version_id)).or_default() += 1;
    }
    let backend = txn.get_database_backend();
    let shard = match backend {
        // Concurrent writers: spread them over the shards.
        DbBackend::Postgres => rand::rng().random_range(0..SHARDS),
        // One writer at a time: one row per key keeps the tallies as small as they can be.
        _ => 0,
    };
    let counts: Vec<(&Key, i64)> = counts.into_iter().collect();
    for part in counts.chunks(PER_STATEMENT) {
        txn.execute_raw(upsert(backend, part, shard)).await?;
    }
    // SQLite's triggers on the tallies add to the totals (migration 16).
    if backend == DbBackend::Postgres && !totals.is_empty() {
        txn.execute_raw(upsert_totals(backend, &totals, shard))
            .await?;
    }
    Ok(())
}

/// `INSERT INTO {table} ({columns}) VALUES … ON CONFLICT ({key}) DO UPDATE SET n = n +
/// excluded.n`, one row of placeholders per row of `values`.
fn adding(
    backend: DbBackend,
    table: &str,
    columns: &str,
    key: &str,
    rows: Vec<Vec<Value>>,
) -> Statement {
    let mut values: Vec<Value> = Vec::with_capacity(rows.iter().map(Vec::len).sum());
    let mut marks = Vec::with_capacity(rows.len());
    for row in rows {
        let first = values.len();
        let row_marks: Vec<String> = (first + 1..=first + row.len())
            .map(|i| match backend {
                DbBackend::Postgres => format!("${i}"),
                _ => "?".to_string(),
            })
            .collect();
        marks.push(format!("({})", row_marks.join(", ")));
        values.extend(row);
    }
    let sql = format!(
        "INSERT INTO {table} ({columns}) VALUES {} ON CONFLICT ({key}) \
         DO UPDATE SET n = {table}.n + excluded.n",
        marks.join(", ")
    );
    Statement::from_sql_and_values(backend, sql, values)
}

/// One upsert adding `part`'s counts to shard `shard` of the tallies.
fn upsert(backend: DbBackend, part: &[(&Key, i64)], shard: i16) -> Statement {
    let rows = part
        .iter()
        .map(|(k, n)| {
            vec![
                k.campaign_id.into(),
                k.version_id.into(),
                k.attributes.clone().into(),
                k.day.clone().into(),
                shard.into(),
                (*n).into(),
            ]
        })
        .collect();
    adding(
        backend,
        "response_tallies",
        "campaign_id, survey_version_id, attributes, day, shard, n",
        "campaign_id, survey_version_id, attributes, day, shard",
        rows,
    )
}

/// One upsert adding responses per (campaign, questionnaire version) to shard `shard`
/// of the totals.
fn upsert_totals(backend: DbBackend, totals: &BTreeMap<(i64, i64), i64>, shard: i16) -> Statement {
    let rows = totals
        .iter()
        .map(|((campaign, version), n)| {
            vec![
                (*campaign).into(),
                (*version).into(),
                shard.into(),
                (*n).into(),
            ]
        })
        .collect();
    adding(
        backend,
        "response_totals",
        "campaign_id, survey_version_id, shard, n",
        "campaign_id, survey_version_id, shard",
        rows,
    )
}

/// A campaign's tally rows holding every `(attribute, value)` pair of `scope`, with
/// their summed count as `n` (group them to sum per group).
fn scoped(
    db: &DatabaseConnection,
    campaign_id: i64,
    scope: &[(String, String)],
) -> sea_orm::Select<tallies::Entity> {
    let mut query = tallies::Entity::find()
        .select_only()
        .filter(tallies::Column::CampaignId.eq(campaign_id));
    for (a, v) in scope {
        query = query.filter(super::responses::attribute_pair(db, a, v));
    }
    query
}

/// The summed count column.
fn summed() -> sea_orm::sea_query::SimpleExpr {
    Expr::cust("CAST(SUM(n) AS BIGINT)")
}

/// Responses in `scope` per questionnaire version and stored attributes text, all days.
pub async fn per_attributes(
    db: &DatabaseConnection,
    campaign_id: i64,
    scope: &[(String, String)],
) -> Result<Vec<(i64, String, u64)>, StoreError> {
    let rows: Vec<(i64, String, i64)> = scoped(db, campaign_id, scope)
        .column(tallies::Column::SurveyVersionId)
        .column(tallies::Column::Attributes)
        .column_as(summed(), "n")
        .group_by(tallies::Column::SurveyVersionId)
        .group_by(tallies::Column::Attributes)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(v, a, n)| (v, a, u64::try_from(n).unwrap_or(0)))
        .collect())
}

/// Responses in `scope` per questionnaire version and day (`YYYY-MM-DD`), all units.
pub async fn per_day(
    db: &DatabaseConnection,
    campaign_id: i64,
    scope: &[(String, String)],
) -> Result<Vec<(i64, String, u64)>, StoreError> {
    let rows: Vec<(i64, String, i64)> = scoped(db, campaign_id, scope)
        .column(tallies::Column::SurveyVersionId)
        .column(tallies::Column::Day)
        .column_as(summed(), "n")
        .group_by(tallies::Column::SurveyVersionId)
        .group_by(tallies::Column::Day)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(v, d, n)| (v, d, u64::try_from(n).unwrap_or(0)))
        .collect())
}

/// Responses of a campaign per questionnaire version, from the totals (a few rows).
pub async fn per_version(
    db: &DatabaseConnection,
    campaign_id: i64,
) -> Result<BTreeMap<i64, u64>, StoreError> {
    let rows: Vec<(i64, i64)> = totals::Entity::find()
        .select_only()
        .column(totals::Column::SurveyVersionId)
        .column_as(summed(), "n")
        .filter(totals::Column::CampaignId.eq(campaign_id))
        .group_by(totals::Column::SurveyVersionId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(v, n)| (v, u64::try_from(n).unwrap_or(0)))
        .collect())
}

/// The share of all stored responses that are `campaign_id`'s (0 when none are stored),
/// from the totals.
pub async fn share_of_all(db: &DatabaseConnection, campaign_id: i64) -> Result<f64, StoreError> {
    let rows: Vec<(i64, i64)> = totals::Entity::find()
        .select_only()
        .column(totals::Column::CampaignId)
        .column_as(summed(), "n")
        .group_by(totals::Column::CampaignId)
        .into_tuple()
        .all(db)
        .await?;
    let all: i64 = rows.iter().map(|(_, n)| n).sum();
    let own: i64 = rows
        .iter()
        .filter(|(c, _)| *c == campaign_id)
        .map(|(_, n)| n)
        .sum();
    Ok(if all > 0 {
        own as f64 / all as f64
    } else {
        0.0
    })
}

/// Responses of a campaign whose attributes hold every `(attribute, value)` pair.
pub async fn count_matching(
    db: &DatabaseConnection,
    campaign_id: i64,
    filters: &[(String, String)],
) -> Result<u64, StoreError> {
    let mut query = tallies::Entity::find()
        .select_only()
        .column_as(summed(), "n")
        .filter(tallies::Column::CampaignId.eq(campaign_id));
    for (a, v) in filters {
        query = query.filter(super::responses::attribute_pair(db, a, v));
    }
    let n: Option<Option<i64>> = query.into_tuple().one(db).await?;
    Ok(n.flatten().map_or(0, |n| u64::try_from(n).unwrap_or(0)))
}

/// Recomputes the tallies and totals of one campaign (or of every campaign) from the
/// stored responses in one transaction; returns how many tally rows it wrote. On
/// PostgreSQL both tables are locked against writers meanwhile, so a response stored then is counted
/// once, after it.
pub async fn rebuild(db: &DatabaseConnection, campaign_id: Option<i64>) -> Result<u64, StoreError> {
    let backend = db.get_database_backend();
    let txn = db.begin().await?;
    if backend == DbBackend::Postgres {
        txn.execute_unprepared("LOCK TABLE response_tallies, response_totals IN EXCLUSIVE MODE")
            .await?;
    }
    let (only, values): (&str, Vec<Value>) = match (campaign_id, backend) {
        (Some(id), DbBackend::Postgres) => (" WHERE campaign_id = $1", vec![id.into()]),
        (Some(id), _) => (" WHERE campaign_id = ?", vec![id.into()]),
        (None, _) => ("", Vec::new()),
    };
    let statement = |sql: String| Statement::from_sql_and_values(backend, sql, values.clone());
    txn.execute_raw(statement(format!("DELETE FROM response_tallies{only}")))
        .await?;
    txn.execute_raw(statement(format!("DELETE FROM response_totals{only}")))
        .await?;
    // SQLite's triggers total the tallies inserted below (migration 16).
    if backend == DbBackend::Postgres {
        txn.execute_raw(statement(format!(
            "INSERT INTO response_totals (campaign_id, survey_version_id, shard, n) \
             SELECT campaign_id, survey_version_id, 0, count(*) \
             FROM responses{only} GROUP BY campaign_id, survey_version_id"
        )))
        .await?;
    }
    let day = day_sql(backend);
    let done = txn
        .execute_raw(statement(format!(
            "INSERT INTO response_tallies (campaign_id, survey_version_id, attributes, day, shard, n) \
             SELECT campaign_id, survey_version_id, attributes, {day}, 0, count(*) \
             FROM responses{only} GROUP BY campaign_id, survey_version_id, attributes, {day}"
        )))
        .await?;
    txn.commit().await?;
    Ok(done.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_day_is_beijing_time() {
        let t = |s: &str| DateTime::parse_from_rfc3339(s).expect("time").to_utc();
        assert_eq!(day_of(t("2026-12-05T15:59:59.999Z")), "2026-12-05");
        assert_eq!(day_of(t("2026-12-05T16:00:00Z")), "2026-12-06");
        // An anonymous response keeps its UTC midnight, which stays on its day.
        assert_eq!(day_of(t("2026-12-05T00:00:00Z")), "2026-12-05");
    }

    #[test]
    fn an_upsert_numbers_its_values_per_backend() {
        let k = Key::new(1, 2, "{}".into(), Utc::now());
        let s = upsert(DbBackend::Postgres, &[(&k, 3), (&k, 1)], 5);
        assert!(s
            .sql
            .contains("($1, $2, $3, $4, $5, $6), ($7, $8, $9, $10, $11, $12)"));
        assert_eq!(s.values.map(|v| v.0.len()), Some(12));
        let s = upsert(DbBackend::Sqlite, &[(&k, 3)], 5);
        assert!(s.sql.contains("(?, ?, ?, ?, ?, ?)"));
        let totals = BTreeMap::from([((1, 2), 3), ((1, 4), 1)]);
        let s = upsert_totals(DbBackend::Postgres, &totals, 5);
        assert!(s.sql.contains("($1, $2, $3, $4), ($5, $6, $7, $8)"));
        assert!(s
            .sql
            .contains("ON CONFLICT (campaign_id, survey_version_id, shard)"));
        assert_eq!(s.values.map(|v| v.0.len()), Some(8));
    }
}
