//! Report jobs: a report of one view in one format made in the background, its stage
//! readable from every instance (the rows are in the database), its file kept an hour.
//! The web door runs the work and reports each stage here.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::report::{Format, Lang};
use crate::store::report_jobs::{self as rows, JobRow, NewJob};
use crate::store::StoreError;

/// Jobs one evaluator may have running at once.
pub const RUNNING_PER_OWNER: u64 = 3;
/// How long a job and its file are kept after it was asked for.
pub const KEEP_MINUTES: i64 = 60;
/// A job still running after this long was cut off (its instance stopped or restarted):
/// it shows as failed and no longer counts against the owner's running jobs.
pub const STALE_MINUTES: i64 = 20;
/// The most jobs a reports page lists.
const LISTED: u64 = 64;

/// Where a job is.
#[derive(Debug, Clone, PartialEq)]
pub enum Stage {
    Reading,
    Rendering,
    Done { size: u64, took: Duration },
    Failed(String),
}

impl Stage {
    pub fn finished(&self) -> bool {
        matches!(self, Stage::Done { .. } | Stage::Failed(_))
    }
}

#[derive(Debug, Clone)]
pub struct Job {
    pub id: Uuid,
    pub campaign: String,
    pub format: Format,
    pub lang: Lang,
    pub filters: Vec<(String, String)>,
    pub created: DateTime<Utc>,
    pub stage: Stage,
}

/// What a stopped instance left running reads as.
const CUT_OFF: &str =
    "任务中断（服务重启或实例停止），请重新生成。Interrupted (the service stopped); ask again.";

fn typed(r: JobRow, now: DateTime<Utc>) -> Result<Job, StoreError> {
    let corrupt = |what: &str| StoreError::Corrupt(format!("report job {}: {what}", r.id));
    let stale = now - chrono::Duration::minutes(STALE_MINUTES);
    let stage = match r.stage.as_str() {
        rows::READING | rows::RENDERING if r.created_at < stale => Stage::Failed(CUT_OFF.into()),
        rows::READING => Stage::Reading,
        rows::RENDERING => Stage::Rendering,
        rows::DONE => Stage::Done {
            size: u64::try_from(r.size.unwrap_or(0)).unwrap_or(0),
            took: Duration::from_millis(u64::try_from(r.took_ms.unwrap_or(0)).unwrap_or(0)),
        },
        _ => Stage::Failed(r.error.clone().unwrap_or_default()),
    };
    Ok(Job {
        id: Uuid::parse_str(&r.id).map_err(|_| corrupt("id"))?,
        format: r.format.parse().map_err(|_| corrupt("format"))?,
        lang: Lang::parse(&r.lang).ok_or_else(|| corrupt("lang"))?,
        filters: serde_json::from_str(&r.filters).map_err(|_| corrupt("filters"))?,
        campaign: r.campaign,
        created: r.created_at,
        stage,
    })
}

/// Registers a job for `owner` (old jobs are cleared on the way), or `None` when they
/// have `RUNNING_PER_OWNER` running already.
pub async fn start_job(
    db: &DatabaseConnection,
    owner: &str,
    campaign: &str,
    format: Format,
    lang: Lang,
    filters: &[(String, String)],
) -> Result<Option<Uuid>, StoreError> {
    let now = Utc::now();
    rows::purge(db, now - chrono::Duration::minutes(KEEP_MINUTES)).await?;
    let since = now - chrono::Duration::minutes(STALE_MINUTES);
    if rows::running_of(db, owner, since).await? >= RUNNING_PER_OWNER {
        return Ok(None);
    }
    let id = Uuid::new_v4();
    let filters = serde_json::to_string(filters).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let lang = match lang {
        Lang::Zh => "zh",
        Lang::En => "en",
    };
    rows::insert(
        db,
        NewJob {
            id: &id.to_string(),
            owner,
            campaign,
            format: format.extension(),
            lang,
            filters,
        },
    )
    .await?;
    Ok(Some(id))
}

/// The job has read and analysed its responses and is laying out the file.
pub async fn job_rendering(db: &DatabaseConnection, id: Uuid) -> Result<(), StoreError> {
    rows::set_stage(db, &id.to_string(), rows::RENDERING).await
}

/// The job is done: its file, kept until the job expires.
pub async fn job_done(
    db: &DatabaseConnection,
    id: Uuid,
    file: Vec<u8>,
    took: Duration,
) -> Result<(), StoreError> {
    let ms = i64::try_from(took.as_millis()).unwrap_or(i64::MAX);
    rows::finish(db, &id.to_string(), file, ms).await
}

/// The job failed, and why (shown to its owner).
pub async fn job_failed(db: &DatabaseConnection, id: Uuid, why: &str) -> Result<(), StoreError> {
    rows::fail(db, &id.to_string(), why).await
}

/// Job `id` if `owner` asked for it.
pub async fn job(
    db: &DatabaseConnection,
    id: Uuid,
    owner: &str,
) -> Result<Option<Job>, StoreError> {
    let now = Utc::now();
    rows::find(db, &id.to_string(), owner)
        .await?
        .map(|r| typed(r, now))
        .transpose()
}

/// `owner`'s jobs for `campaign`, newest first.
pub async fn jobs_of(
    db: &DatabaseConnection,
    campaign: &str,
    owner: &str,
) -> Result<Vec<Job>, StoreError> {
    let now = Utc::now();
    rows::of(db, campaign, owner, LISTED)
        .await?
        .into_iter()
        .map(|r| typed(r, now))
        .collect()
}

/// The file of done job `id`, if `owner` asked for it.
pub async fn job_file(
    db: &DatabaseConnection,
    id: Uuid,
    owner: &str,
) -> Result<Option<Vec<u8>>, StoreError> {
    rows::file(db, &id.to_string(), owner).await
}
