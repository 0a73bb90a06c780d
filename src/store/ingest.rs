//! Group commit for submissions: handlers queue a checked response and wait; writer
//! tasks drain the queue, store a whole batch in one transaction, and only then
//! acknowledge every request in it. A full queue answers "busy" (503 + Retry-After)
//! instead of growing without bound.

use std::sync::Arc;

use chrono::{SubsecRound, Utc};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter, QuerySelect, SqlErr,
    TransactionTrait,
};
use tokio::sync::{mpsc, oneshot, Mutex};
use uuid::Uuid;

use super::responses::{self, InsertOutcome, Prepared, Receipt};
use super::surveys::StoredSurvey;
use super::tallies;
use super::StoreError;
use crate::domain::NewResponse;
use crate::entities::responses as rows;

/// Most responses stored in one transaction.
pub const MAX_BATCH: usize = 512;
/// Submissions waiting for a writer before new ones are turned away.
pub const QUEUE: usize = 8_192;

struct Job {
    survey: Arc<StoredSurvey>,
    response: NewResponse,
    prepared: Prepared,
    token: Option<String>,
    reply: oneshot::Sender<Result<InsertOutcome, StoreError>>,
}

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("the server is busy storing other responses; retry shortly")]
    Busy,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The queue in front of the writers; cheap to clone.
#[derive(Clone)]
pub struct Ingest {
    tx: mpsc::Sender<Job>,
}

impl Ingest {
    /// Starts the writer tasks: one for SQLite (a single writer anyway), several for
    /// PostgreSQL.
    pub fn start(db: DatabaseConnection) -> Self {
        let (tx, rx) = mpsc::channel(QUEUE);
        let rx = Arc::new(Mutex::new(rx));
        let writers = match db.get_database_backend() {
            DbBackend::Sqlite => 1,
            _ => 4,
        };
        for _ in 0..writers {
            tokio::spawn(writer(db.clone(), rx.clone()));
        }
        Self { tx }
    }

    /// Stores `response` (durably) and returns what happened; waits for the batch.
    pub async fn submit(
        &self,
        survey: Arc<StoredSurvey>,
        response: NewResponse,
        token: Option<String>,
    ) -> Result<InsertOutcome, IngestError> {
        let (reply, wait) = oneshot::channel();
        // Made here, on the request's thread: the writer of a group commit only stores.
        let prepared = responses::prepare(&survey, &response);
        self.tx
            .try_send(Job {
                survey,
                response,
                prepared,
                token,
                reply,
            })
            .map_err(|_| IngestError::Busy)?;
        match wait.await {
            Ok(r) => Ok(r?),
            Err(_) => Err(IngestError::Busy),
        }
    }
}

async fn writer(db: DatabaseConnection, rx: Arc<Mutex<mpsc::Receiver<Job>>>) {
    loop {
        let mut batch = Vec::new();
        {
            let mut rx = rx.lock().await;
            match rx.recv().await {
                Some(job) => batch.push(job),
                None => return,
            }
            while batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(_) => break,
                }
            }
        }
        process(&db, batch).await;
    }
}

/// One job at a time, through the ordinary idempotent insert (tokens, retries after a
/// failed batch, duplicates within a batch).
async fn one_by_one(db: &DatabaseConnection, jobs: Vec<Job>) {
    for job in jobs {
        let r = responses::insert_with_token(db, &job.survey, &job.response, job.token.as_deref())
            .await;
        let _ = job.reply.send(r);
    }
}

async fn process(db: &DatabaseConnection, batch: Vec<Job>) {
    let mut seen = std::collections::HashSet::new();
    let (plain, special): (Vec<Job>, Vec<Job>) = batch.into_iter().partition(|j| {
        // Limited questionnaires are counted in each response's own transaction.
        j.token.is_none()
            && !super::caps::applies(&j.survey, &j.response)
            && seen.insert(j.response.id)
    });
    if !plain.is_empty() {
        match store_batch(db, &plain).await {
            Ok(outcomes) => {
                for (job, outcome) in plain.into_iter().zip(outcomes) {
                    let _ = job.reply.send(Ok(outcome));
                }
            }
            // A concurrent instance stored one of these ids between our check and our
            // insert, or the batch failed for another reason: settle each on its own.
            Err(_) => one_by_one(db, plain).await,
        }
    }
    one_by_one(db, special).await;
}

/// Stores every new response of the batch in one transaction; replays and conflicts are
/// recognised from the fingerprints already stored.
async fn store_batch(
    db: &DatabaseConnection,
    jobs: &[Job],
) -> Result<Vec<InsertOutcome>, StoreError> {
    let ids: Vec<Uuid> = jobs.iter().map(|j| j.response.id).collect();
    let existing: std::collections::HashMap<Uuid, String> = rows::Entity::find()
        .select_only()
        .column(rows::Column::Id)
        .column(rows::Column::Fingerprint)
        .filter(rows::Column::Id.is_in(ids))
        .into_tuple::<(Uuid, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let submitted_at = Utc::now().trunc_subsecs(3);
    let mut outcomes = Vec::with_capacity(jobs.len());
    let mut new_rows = Vec::new();
    let mut keys = Vec::new();
    for job in jobs {
        match existing.get(&job.response.id) {
            Some(stored) if *stored == job.prepared.fingerprint => {
                outcomes.push(None);
            }
            Some(_) => outcomes.push(Some(InsertOutcome::Conflict)),
            None => {
                let (row, key) = job.prepared.stored_at(&job.survey, submitted_at);
                new_rows.push(row);
                keys.push(key);
                outcomes.push(Some(InsertOutcome::Created(Receipt {
                    response_id: job.response.id,
                    survey: job.survey.survey.slug.clone(),
                    version: job.survey.version,
                    submitted_at,
                })));
            }
        }
    }
    if !new_rows.is_empty() {
        let txn = db.begin().await?;
        // Stay well under SQLite's bound-parameter limit (8 columns per row).
        let mut rest = new_rows;
        while !rest.is_empty() {
            let tail = rest.split_off(rest.len().min(1_000));
            let chunk = std::mem::replace(&mut rest, tail);
            if let Err(e) = rows::Entity::insert_many(chunk).exec(&txn).await {
                let _ = txn.rollback().await;
                if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) {
                    return Err(StoreError::Corrupt(
                        "concurrent insert of the same id".into(),
                    ));
                }
                return Err(e.into());
            }
        }
        let keys: Vec<&tallies::Key> = keys.iter().collect();
        if let Err(e) = tallies::add(&txn, &keys).await {
            let _ = txn.rollback().await;
            return Err(e.into());
        }
        txn.commit().await?;
    }
    // Replays need the stored receipt (its original time and version).
    let mut out = Vec::with_capacity(jobs.len());
    for (job, outcome) in jobs.iter().zip(outcomes) {
        match outcome {
            Some(o) => out.push(o),
            None => {
                out.push(responses::insert_with_token(db, &job.survey, &job.response, None).await?)
            }
        }
    }
    Ok(out)
}
