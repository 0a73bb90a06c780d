//! Responses: idempotent insert keyed by the client's `response_id`, and bulk reads.

use std::collections::BTreeMap;

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, SqlErr,
    TransactionTrait,
};
use uuid::Uuid;

use super::surveys::StoredSurvey;
use super::StoreError;
use crate::domain::packed::pack;
use crate::domain::quality::Paradata;
use crate::domain::{AnswerValue, NewResponse};
use crate::entities::{responses, survey_versions};

/// What is returned to the client for a stored response (same body on replay).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Receipt {
    pub response_id: Uuid,
    pub survey: String,
    pub version: i32,
    pub submitted_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InsertOutcome {
    Created(Receipt),
    /// The same `response_id` was already stored with the same content.
    Replayed(Receipt),
    /// The same `response_id` was already stored with different content.
    Conflict,
    /// The invitation token was already used for another response.
    TokenUsed,
    /// No such invitation token for this questionnaire.
    TokenUnknown,
    /// Storing it would exceed the questionnaire's `max_responses` (checked in the
    /// writer's transaction, so concurrent submissions cannot overshoot).
    Full,
    /// Storing it would exceed the quota for `attribute = value`.
    QuotaFull {
        attribute: String,
        value: String,
    },
}

/// One stored response, decoded.
#[derive(Debug, Clone)]
pub struct ResponseRecord {
    pub id: Uuid,
    pub survey_version_id: i64,
    pub audience: String,
    pub submitted_at: DateTime<Utc>,
    pub attributes: BTreeMap<String, String>,
    pub answers: BTreeMap<String, AnswerValue>,
    /// Seconds spent answering, when measured.
    pub duration_s: Option<i32>,
    /// Keyed hash of the submitting client, while the campaign is open.
    pub client_hash: Option<String>,
    /// Judged a duplicate when the client hashes were cleared.
    pub duplicate: bool,
}

pub fn fingerprint(slug: &str, response: &NewResponse) -> String {
    super::campaigns::hash(&format!("{slug}\n{}", response.fingerprint()))
}

/// A response made ready to store: its fingerprint, its row and its stored attributes
/// text, everything but the time it is stored at. Made by the request's own thread, so
/// the single writer of a group commit only stores.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub fingerprint: String,
    row: responses::ActiveModel,
    attributes: String,
}

/// `response` to `survey`, ready to store.
pub fn prepare(survey: &StoredSurvey, response: &NewResponse) -> Prepared {
    let attributes = json(&response.attributes);
    let fingerprint = fingerprint(&survey.survey.slug, response);
    let row = responses::ActiveModel {
        id: Set(response.id),
        campaign_id: Set(survey.campaign_id),
        survey_version_id: Set(survey.version_id),
        audience: Set(survey.survey.audience.as_str().to_string()),
        submitted_at: NotSet,
        attributes: Set(attributes.clone()),
        answers: Set(json(&response.answers)),
        packed: Set(Some(pack(&survey.survey, &response.answers))),
        fingerprint: Set(fingerprint.clone()),
        duration_s: Set(duration(&response.paradata)),
        page_seconds: Set(page_seconds(&response.paradata)),
        // Never for an anonymous questionnaire: it could join the access log.
        client_hash: Set(response
            .paradata
            .client
            .clone()
            .filter(|_| !survey.survey.access.anonymous)),
        duplicate: Set(None),
    };
    Prepared {
        fingerprint,
        row,
        attributes,
    }
}

impl Prepared {
    /// The row stored at `submitted_at`, and the tally it adds to.
    pub fn stored_at(
        &self,
        survey: &StoredSurvey,
        submitted_at: DateTime<Utc>,
    ) -> (responses::ActiveModel, super::tallies::Key) {
        let mut row = self.row.clone();
        row.submitted_at = Set(submitted_at);
        let key = super::tallies::Key::new(
            survey.campaign_id,
            survey.version_id,
            self.attributes.clone(),
            submitted_at,
        );
        (row, key)
    }
}

/// The stored duration: whole seconds, at most a week, so it fits.
fn duration(p: &Paradata) -> Option<i32> {
    p.duration_s.and_then(|d| i32::try_from(d).ok())
}

fn page_seconds(p: &Paradata) -> Option<String> {
    (!p.page_seconds.is_empty()).then(|| json(&p.page_seconds))
}

/// Stores the response in one statement, or recognises a replay of it.
pub async fn insert(
    db: &DatabaseConnection,
    survey: &StoredSurvey,
    response: &NewResponse,
) -> Result<InsertOutcome, StoreError> {
    insert_with_token(db, survey, response, None).await
}

/// Stores the response; with an invitation token, marks the token used in the same
/// transaction (a token answers once): on the invitation row for a named
/// questionnaire, in the unlinkable ledger (`store::anonymous`) for an anonymous one,
/// whose invitation row is never written at all. A questionnaire with a response cap
/// or quotas is counted inside the same transaction, serialised per questionnaire, so
/// concurrent submissions never overshoot them.
pub async fn insert_with_token(
    db: &DatabaseConnection,
    survey: &StoredSurvey,
    response: &NewResponse,
    token: Option<&str>,
) -> Result<InsertOutcome, StoreError> {
    let prepared = prepare(survey, response);
    let fp = &prepared.fingerprint;
    if let Some(outcome) = existing(db, response.id, fp).await? {
        return Ok(outcome);
    }
    let anonymous = survey.survey.access.anonymous;
    // Millisecond precision: both backends store it exactly, so a replay returns the
    // very same body.
    let submitted_at =
        super::invitations::coarse(Utc::now().trunc_subsecs(3), anonymous && token.is_some());
    let txn = db.begin().await?;
    let capped = super::caps::applies(survey, response);
    super::caps::lock(&txn, &survey.survey.slug, capped).await?;
    if let Some(token) = token {
        if let Some(refused) = spend_token(&txn, survey, response, token, submitted_at).await? {
            txn.rollback().await?;
            return Ok(refused);
        }
    }
    let (new_row, key) = prepared.stored_at(survey, submitted_at);
    let stored = match new_row.insert(&txn).await {
        Ok(_) => super::tallies::add(&txn, &[&key]).await,
        Err(e) => Err(e),
    };
    let inserted = match stored {
        Ok(_) if capped => match super::caps::exceeded(&txn, survey, response).await {
            Ok(Some(refused)) => {
                txn.rollback().await?;
                return Ok(refused);
            }
            Ok(None) => txn.commit().await,
            Err(e) => {
                txn.rollback().await?;
                return Err(e);
            }
        },
        Ok(_) => txn.commit().await,
        Err(e) => {
            txn.rollback().await?;
            Err(e)
        }
    };
    match inserted {
        Ok(()) => Ok(InsertOutcome::Created(Receipt {
            response_id: response.id,
            survey: survey.survey.slug.clone(),
            version: survey.version,
            submitted_at,
        })),
        Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            // Lost a race with a concurrent retry of the same submission.
            existing(db, response.id, fp).await?.ok_or_else(|| {
                StoreError::Corrupt(format!(
                    "response {} vanished after a conflict",
                    response.id
                ))
            })
        }
        Err(e) => Err(e.into()),
    }
}

/// Marks `token` used inside the response's transaction; the refusal when it cannot be.
async fn spend_token(
    txn: &sea_orm::DatabaseTransaction,
    survey: &StoredSurvey,
    response: &NewResponse,
    token: &str,
    submitted_at: DateTime<Utc>,
) -> Result<Option<InsertOutcome>, StoreError> {
    use crate::entities::invitations;
    use sea_orm::sea_query::Expr;
    let slug = &survey.survey.slug;
    if survey.survey.access.anonymous {
        // Read only: the invitation row is not touched (not even locked, which would
        // stamp it on PostgreSQL).
        return Ok(
            match super::invitations::find(txn, slug, token, true).await? {
                None => Some(InsertOutcome::TokenUnknown),
                Some(inv) if inv.completed => Some(InsertOutcome::TokenUsed),
                Some(inv) => (!super::anonymous::complete(txn, slug, token, &inv.attributes)
                    .await?)
                    .then_some(InsertOutcome::TokenUsed),
            },
        );
    }
    let hash = super::invitations::token_hash(token);
    let done = invitations::Entity::update_many()
        .col_expr(invitations::Column::Completed, Expr::value(true))
        .col_expr(
            invitations::Column::Partial,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            invitations::Column::CompletedAt,
            Expr::value(Some(submitted_at)),
        )
        .col_expr(
            invitations::Column::ResponseId,
            Expr::value(Some(response.id)),
        )
        .filter(invitations::Column::TokenHash.eq(&hash))
        .filter(invitations::Column::SurveySlug.eq(slug))
        .filter(invitations::Column::Completed.eq(false))
        .exec(txn)
        .await?;
    if done.rows_affected == 1 {
        return Ok(None);
    }
    let known = invitations::Entity::find()
        .filter(invitations::Column::TokenHash.eq(&hash))
        .filter(invitations::Column::SurveySlug.eq(slug))
        .one(txn)
        .await?
        .is_some();
    Ok(Some(if known {
        InsertOutcome::TokenUsed
    } else {
        InsertOutcome::TokenUnknown
    }))
}

/// Whether a response with this id is stored.
pub async fn exists(db: &DatabaseConnection, id: Uuid) -> Result<bool, StoreError> {
    let found = responses::Entity::find_by_id(id)
        .select_only()
        .column(responses::Column::Id)
        .into_tuple::<Uuid>()
        .one(db)
        .await?;
    Ok(found.is_some())
}

async fn existing(
    db: &DatabaseConnection,
    id: Uuid,
    fp: &str,
) -> Result<Option<InsertOutcome>, StoreError> {
    let Some(row) = responses::Entity::find_by_id(id).one(db).await? else {
        return Ok(None);
    };
    if row.fingerprint != fp {
        return Ok(Some(InsertOutcome::Conflict));
    }
    let version = survey_versions::Entity::find_by_id(row.survey_version_id)
        .one(db)
        .await?
        .ok_or_else(|| {
            StoreError::Corrupt(format!("response {id} refers to a missing survey version"))
        })?;
    Ok(Some(InsertOutcome::Replayed(Receipt {
        response_id: row.id,
        survey: version.slug,
        version: version.version,
        submitted_at: row.submitted_at,
    })))
}

/// Every response of a campaign, oldest first.
///
/// `narrow`: only rows whose attributes hold each `(attribute, value)` pair are read (a
/// substring test in the query; the caller still checks each row's attributes).
pub async fn for_campaign(
    db: &DatabaseConnection,
    campaign_id: i64,
    narrow: &[(String, String)],
) -> Result<Vec<ResponseRecord>, StoreError> {
    let mut query = responses::Entity::find().filter(responses::Column::CampaignId.eq(campaign_id));
    for (a, v) in narrow {
        query = query.filter(attribute_pair(db, a, v));
    }
    let rows = query
        .order_by_asc(responses::Column::SubmittedAt)
        .order_by_asc(responses::Column::Id)
        .all(db)
        .await?;
    rows.into_iter()
        .map(|r| {
            let corrupt =
                |e: serde_json::Error| StoreError::Corrupt(format!("response {}: {e}", r.id));
            Ok(ResponseRecord {
                id: r.id,
                survey_version_id: r.survey_version_id,
                audience: r.audience.clone(),
                submitted_at: r.submitted_at,
                attributes: serde_json::from_str(&r.attributes).map_err(corrupt)?,
                answers: serde_json::from_str(&r.answers).map_err(corrupt)?,
                duration_s: r.duration_s,
                client_hash: r.client_hash.clone(),
                duplicate: r.duplicate == Some(true),
            })
        })
        .collect()
}

/// Number of responses per audience for a campaign (from its tallies).
pub async fn counts_by_audience(
    db: &DatabaseConnection,
    campaign_id: i64,
) -> Result<BTreeMap<String, u64>, StoreError> {
    let per_version = super::tallies::per_version(db, campaign_id).await?;
    let audiences: Vec<(i64, String)> = survey_versions::Entity::find()
        .select_only()
        .column(survey_versions::Column::Id)
        .column(survey_versions::Column::Audience)
        .filter(survey_versions::Column::CampaignId.eq(campaign_id))
        .into_tuple()
        .all(db)
        .await?;
    let mut out = BTreeMap::new();
    for (id, audience) in audiences {
        if let Some(n) = per_version.get(&id) {
            *out.entry(audience).or_default() += n;
        }
    }
    Ok(out)
}

/// Responses stored for questionnaire `slug` (every version), optionally only those
/// whose attribute `attr` is `value` (for quotas).
pub async fn count_for_survey<C: ConnectionTrait>(
    db: &C,
    slug: &str,
    attr: Option<(&str, &str)>,
) -> Result<u64, StoreError> {
    let ids: Vec<i64> = survey_versions::Entity::find()
        .filter(survey_versions::Column::Slug.eq(slug))
        .all(db)
        .await?
        .into_iter()
        .map(|v| v.id)
        .collect();
    let mut query = responses::Entity::find().filter(responses::Column::SurveyVersionId.is_in(ids));
    if let Some((a, v)) = attr {
        query = query.filter(attribute_pair(db, a, v));
    }
    Ok(query.count(db).await?)
}

/// Rows whose stored attributes hold exactly `attr = value`. Attributes are stored as
/// compact JSON of a sorted map, so the pair is a fixed substring; it is found with a
/// plain case-sensitive substring search on both backends (LIKE would ignore ASCII
/// case on SQLite but not on PostgreSQL, so the two would count differently).
/// The text a response's stored attributes hold when `attr` is `value`: the pair as
/// serde_json writes it inside the object.
fn attribute_needle(attr: &str, value: &str) -> String {
    let pair = serde_json::to_string(&BTreeMap::from([(attr, value)])).unwrap_or_default();
    pair.trim_start_matches('{')
        .trim_end_matches('}')
        .to_string()
}

pub(super) fn attribute_pair<C: ConnectionTrait>(
    db: &C,
    attr: &str,
    value: &str,
) -> sea_orm::sea_query::SimpleExpr {
    let inner = attribute_needle(attr, value);
    let sql = match db.get_database_backend() {
        sea_orm::DatabaseBackend::Postgres => r#"strpos("attributes", $1) > 0"#,
        _ => r#"instr("attributes", ?) > 0"#,
    };
    sea_orm::sea_query::Expr::cust_with_values(sql, [inner])
}

/// Bulk insert used by the demo generator: one transaction per batch, existing ids skipped.
pub async fn insert_many(
    db: &DatabaseConnection,
    survey: &StoredSurvey,
    batch: &[(NewResponse, DateTime<Utc>)],
) -> Result<u64, StoreError> {
    let txn = db.begin().await?;
    let mut inserted = 0;
    let mut keys = Vec::new();
    for (response, at) in batch {
        if responses::Entity::find_by_id(response.id)
            .one(&txn)
            .await?
            .is_some()
        {
            continue;
        }
        let (mut row, key) = prepare(survey, response).stored_at(survey, at.trunc_subsecs(3));
        row.client_hash = Set(None);
        row.insert(&txn).await?;
        keys.push(key);
        inserted += 1;
    }
    super::tallies::add(&txn, &keys.iter().collect::<Vec<_>>()).await?;
    txn.commit().await?;
    Ok(inserted)
}

/// Maps of strings and numbers always serialise.
fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// A stored response as the analysis reads it: the raw JSON columns, not decoded.
pub struct RawRow {
    pub id: Uuid,
    pub audience: String,
    pub survey_version_id: i64,
    pub submitted_at: DateTime<Utc>,
    pub attributes: String,
    pub answers: String,
    pub duration_s: Option<i32>,
    pub client_hash: Option<String>,
    /// Judged a duplicate when the client hashes were cleared.
    pub duplicate: bool,
}

impl RawRow {
    /// The row with its JSON decoded.
    pub fn decode(self) -> Result<ResponseRecord, serde_json::Error> {
        Ok(ResponseRecord {
            id: self.id,
            survey_version_id: self.survey_version_id,
            audience: self.audience,
            submitted_at: self.submitted_at,
            attributes: serde_json::from_str(&self.attributes)?,
            answers: serde_json::from_str(&self.answers)?,
            duration_s: self.duration_s,
            client_hash: self.client_hash,
            duplicate: self.duplicate,
        })
    }
}

/// Streams every response of a campaign in the order they were stored, in chunks of `chunk` rows,
/// without building models or decoding JSON (the receiver does that off the async
/// threads). Stops early, without error, when the receiver is dropped. Returns the
/// number of rows sent.
pub async fn stream_raw(
    db: &DatabaseConnection,
    campaign_id: i64,
    chunk: usize,
    tx: tokio::sync::mpsc::Sender<Vec<RawRow>>,
) -> Result<u64, StoreError> {
    let query = responses::Entity::find()
        .select_only()
        .column(responses::Column::Id)
        .column(responses::Column::Audience)
        .column(responses::Column::SurveyVersionId)
        .column(responses::Column::SubmittedAt)
        .column(responses::Column::Attributes)
        .column(responses::Column::Answers)
        .column(responses::Column::DurationS)
        .column(responses::Column::ClientHash)
        .column(responses::Column::Duplicate)
        .filter(responses::Column::CampaignId.eq(campaign_id));
    let stream = in_stored_order(db, query)
        .into_tuple::<RawTuple>()
        .stream(db)
        .await?;
    send_in_chunks(stream, chunk, tx, |t: RawTuple| RawRow {
        id: t.0,
        audience: t.1,
        survey_version_id: t.2,
        submitted_at: t.3,
        attributes: t.4,
        answers: t.5,
        duration_s: t.6,
        client_hash: t.7,
        duplicate: t.8 == Some(true),
    })
    .await
}

/// `query` in the order the responses were stored, so that every pass (the analysis,
/// its lists of answers, the export) sees them in the same order whatever happened to
/// the rows since. SQLite reads a table in rowid order, which is the order of storing
/// and never changes. PostgreSQL's heap order moves whenever a row is updated (packing
/// it, clearing its client hash), so the order is explicit there.
fn in_stored_order(
    db: &DatabaseConnection,
    query: sea_orm::Select<responses::Entity>,
) -> sea_orm::Select<responses::Entity> {
    if db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        query
            .order_by_asc(responses::Column::SubmittedAt)
            .order_by_asc(responses::Column::Id)
    } else {
        query
    }
}

/// The columns of a [`RawRow`], as read.
type RawTuple = (
    Uuid,
    String,
    i64,
    DateTime<Utc>,
    String,
    String,
    Option<i32>,
    Option<String>,
    Option<bool>,
);

/// A stored response as the analysis reads it: only the columns it uses.
#[derive(Clone)]
pub struct AnalysisRow {
    pub id: Uuid,
    pub survey_version_id: i64,
    pub submitted_at: DateTime<Utc>,
    /// The attributes text (JSON): on every unnumbered row, and on the first row of
    /// each number; later rows of a number leave it empty (read it through
    /// [`super::attribute_numbers::AttributeTexts`]).
    pub attributes: String,
    /// The attributes text's number in this read, when the reader numbered it
    /// ([`super::attribute_numbers`]).
    pub attributes_no: Option<u32>,
    pub answers: StoredAnswers,
    /// Seconds spent answering, when measured.
    pub duration_s: Option<i32>,
    /// Keyed hash of the submitting client, while the campaign is open.
    pub client_hash: Option<String>,
    /// Judged a duplicate when the client hashes were cleared.
    pub duplicate: bool,
}

/// A row's answers as read: packed when the row has them, else the JSON.
#[derive(Clone)]
pub enum StoredAnswers {
    Packed(Vec<u8>),
    Json(String),
}

/// The columns of an [`AnalysisRow`], as read.
type AnalysisTuple = (
    Uuid,
    i64,
    DateTime<Utc>,
    String,
    Option<Vec<u8>>,
    Option<String>,
    Option<i32>,
    Option<String>,
    Option<bool>,
);

/// Spent chunks of rows the decoder hands back, to be freed by the thread that read
/// (allocated) them: freed on the decoder's thread, a chunk's strings cost that thread
/// a quarter of its time in the allocator, contending with the reader's.
pub type Spent = std::sync::mpsc::Receiver<Vec<AnalysisRow>>;

/// Frees the chunks handed back so far.
pub(super) fn free_spent(spent: Option<&Spent>) {
    if let Some(spent) = spent {
        spent.try_iter().for_each(drop);
    }
}

/// The share of the stored responses from which a campaign's analysis read on SQLite
/// scans the whole table instead of looking each row up through the campaign index:
/// at 1M rows of one campaign the scan took 0.45–0.50 s against 0.62–0.86 s through
/// the index (the nine columns summed in the sqlite3 library, no decoding).
const WHOLE_TABLE_SHARE: f64 = 0.5;

/// [`stream_raw`] without the columns the analysis does not use (id, audience), and
/// with the packed answers instead of the JSON wherever a row has them (the JSON is
/// not even read then).
///
/// `narrow`: only rows whose attributes hold each `(attribute, value)` pair are read (a
/// substring test in the query; the caller still checks each row's attributes).
/// `spent`: where the caller hands chunks back once read, freed here ([`Spent`]).
///
/// PostgreSQL reads through one binary COPY of the same statement ([`super::pg_copy`]),
/// a SQLite file through a connection of its own ([`super::sqlite_scan`]), an
/// in-memory SQLite database through sea-orm.
pub async fn stream_for_analysis(
    db: &DatabaseConnection,
    campaign_id: i64,
    narrow: &[(String, String)],
    chunk: usize,
    tx: tokio::sync::mpsc::Sender<Vec<AnalysisRow>>,
    spent: Option<Spent>,
) -> Result<u64, StoreError> {
    if db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        let needles: Vec<String> = narrow.iter().map(|(a, v)| attribute_needle(a, v)).collect();
        return super::pg_copy::analysis_rows(db, campaign_id, &needles, chunk, tx, spent).await;
    }
    let mut query = responses::Entity::find()
        .select_only()
        .column(responses::Column::Id)
        .column(responses::Column::SurveyVersionId)
        .column(responses::Column::SubmittedAt)
        .column(responses::Column::Attributes)
        .column(responses::Column::Packed)
        .column_as(
            sea_orm::sea_query::Expr::cust("CASE WHEN packed IS NULL THEN answers END"),
            "answers",
        )
        .column(responses::Column::DurationS)
        .column(responses::Column::ClientHash)
        .column(responses::Column::Duplicate);
    query = if super::tallies::share_of_all(db, campaign_id).await? >= WHOLE_TABLE_SHARE {
        // `+campaign_id` keeps SQLite off the campaign index: the table is read in
        // rowid order (the same order) without a lookup per row.
        query.filter(sea_orm::sea_query::Expr::cust_with_values(
            "+\"campaign_id\" = ?",
            [campaign_id],
        ))
    } else {
        query.filter(responses::Column::CampaignId.eq(campaign_id))
    };
    for (a, v) in narrow {
        query = query.filter(attribute_pair(db, a, v));
    }
    let query = in_stored_order(db, query);
    let file = (db.get_database_backend() == sea_orm::DatabaseBackend::Sqlite)
        .then(|| super::sqlite_scan::database_file(db))
        .flatten();
    if let Some(file) = file {
        let stmt = sea_orm::QueryTrait::build(&query, sea_orm::DatabaseBackend::Sqlite);
        let values = stmt.values.map(|v| v.0).unwrap_or_default();
        return super::sqlite_scan::analysis_rows(file, stmt.sql, values, chunk, tx, spent).await;
    }
    let stream = query.into_tuple::<AnalysisTuple>().stream(db).await?;
    send_in_chunks(
        stream,
        chunk,
        tx,
        |(id, version, submitted_at, attributes, packed, json, duration_s, client_hash, dup)| {
            AnalysisRow {
                id,
                survey_version_id: version,
                submitted_at,
                attributes,
                attributes_no: None,
                answers: match (packed, json) {
                    (Some(p), _) => StoredAnswers::Packed(p),
                    (None, j) => StoredAnswers::Json(j.unwrap_or_default()),
                },
                duration_s,
                client_hash,
                duplicate: dup == Some(true),
            }
        },
    )
    .await
}

/// Forgets the client hashes of a campaign's responses (when it has closed), keeping
/// the duplicate rule's verdict on `duplicates` in the same transaction; returns how
/// many hashes were cleared.
pub async fn forget_clients(
    db: &DatabaseConnection,
    campaign_id: i64,
    duplicates: &[Uuid],
) -> Result<u64, StoreError> {
    use sea_orm::sea_query::Expr;
    let txn = db.begin().await?;
    for ids in duplicates.chunks(500) {
        responses::Entity::update_many()
            .col_expr(responses::Column::Duplicate, Expr::value(Some(true)))
            .filter(responses::Column::Id.is_in(ids.iter().copied()))
            .exec(&txn)
            .await?;
    }
    let done = responses::Entity::update_many()
        .col_expr(
            responses::Column::ClientHash,
            Expr::value(Option::<String>::None),
        )
        .filter(responses::Column::CampaignId.eq(campaign_id))
        .filter(responses::Column::ClientHash.is_not_null())
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(done.rows_affected)
}

/// The answering times of a campaign's timed responses: (survey version, seconds).
pub async fn durations(
    db: &DatabaseConnection,
    campaign_id: i64,
) -> Result<Vec<(i64, i32)>, StoreError> {
    Ok(responses::Entity::find()
        .select_only()
        .column(responses::Column::SurveyVersionId)
        .column(responses::Column::DurationS)
        .filter(responses::Column::CampaignId.eq(campaign_id))
        .filter(responses::Column::DurationS.is_not_null())
        .into_tuple::<(i64, i32)>()
        .all(db)
        .await?)
}

/// Sends the rows of `stream`, mapped by `row`, to `tx` in chunks of `chunk`.
async fn send_in_chunks<T, R>(
    mut stream: impl futures_util::Stream<Item = Result<T, sea_orm::DbErr>> + Unpin,
    chunk: usize,
    tx: tokio::sync::mpsc::Sender<Vec<R>>,
    row: impl Fn(T) -> R,
) -> Result<u64, StoreError> {
    use futures_util::StreamExt;
    let mut sent = 0u64;
    let mut batch = Vec::with_capacity(chunk);
    while let Some(r) = stream.next().await {
        batch.push(row(r?));
        if batch.len() == chunk {
            sent += batch.len() as u64;
            if tx
                .send(std::mem::replace(&mut batch, Vec::with_capacity(chunk)))
                .await
                .is_err()
            {
                return Ok(sent);
            }
        }
    }
    if !batch.is_empty() {
        sent += batch.len() as u64;
        let _ = tx.send(batch).await;
    }
    Ok(sent)
}

/// The attribute names used by a campaign's responses (one streaming pass over the
/// attributes column only).
pub async fn attribute_names(
    db: &DatabaseConnection,
    campaign_id: i64,
) -> Result<std::collections::BTreeSet<String>, StoreError> {
    use futures_util::StreamExt;
    let mut stream = responses::Entity::find()
        .select_only()
        .column(responses::Column::Attributes)
        .filter(responses::Column::CampaignId.eq(campaign_id))
        .into_tuple::<String>()
        .stream(db)
        .await?;
    let mut names = std::collections::BTreeSet::new();
    while let Some(row) = stream.next().await {
        let row = row?;
        let keys: BTreeMap<std::borrow::Cow<'_, str>, serde::de::IgnoredAny> =
            serde_json::from_str(&row)
                .map_err(|e| StoreError::Corrupt(format!("stored attributes: {e}")))?;
        for k in keys.into_keys() {
            if !names.contains(k.as_ref()) {
                names.insert(k.into_owned());
            }
        }
    }
    Ok(names)
}
