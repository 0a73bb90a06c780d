//! Report jobs as rows, so every instance sees the same jobs and a finished file outlives
//! a restart. Rows carry plain strings; `app::report_jobs` gives them their types.

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait,
    FromQueryResult, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::StoreError;
use crate::entities::report_jobs::{self, Column};

/// A job as its pages show it (everything but the file).
#[derive(Debug, Clone, FromQueryResult)]
pub struct JobRow {
    pub id: String,
    pub owner: String,
    pub campaign: String,
    pub format: String,
    pub lang: String,
    pub filters: String,
    pub created_at: DateTime<Utc>,
    pub stage: String,
    pub error: Option<String>,
    pub took_ms: Option<i64>,
    pub size: Option<i64>,
}

/// The stages a job goes through, as stored.
pub const READING: &str = "reading";
pub const RENDERING: &str = "rendering";
pub const DONE: &str = "done";
pub const FAILED: &str = "failed";

/// A new job, in its first stage.
pub struct NewJob<'a> {
    pub id: &'a str,
    pub owner: &'a str,
    pub campaign: &'a str,
    pub format: &'a str,
    pub lang: &'a str,
    pub filters: String,
}

pub async fn insert(db: &DatabaseConnection, job: NewJob<'_>) -> Result<(), StoreError> {
    report_jobs::ActiveModel {
        id: Set(job.id.to_string()),
        owner: Set(job.owner.to_string()),
        campaign: Set(job.campaign.to_string()),
        format: Set(job.format.to_string()),
        lang: Set(job.lang.to_string()),
        filters: Set(job.filters),
        created_at: Set(Utc::now().trunc_subsecs(3)),
        stage: Set(READING.to_string()),
        error: Set(None),
        took_ms: Set(None),
        size: Set(None),
        file: Set(None),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Deletes every job asked for before `before` (finished files included).
pub async fn purge(db: &DatabaseConnection, before: DateTime<Utc>) -> Result<(), StoreError> {
    report_jobs::Entity::delete_many()
        .filter(Column::CreatedAt.lt(before))
        .exec(db)
        .await?;
    Ok(())
}

/// How many of `owner`'s jobs asked for since `since` are still running.
pub async fn running_of(
    db: &DatabaseConnection,
    owner: &str,
    since: DateTime<Utc>,
) -> Result<u64, StoreError> {
    Ok(report_jobs::Entity::find()
        .filter(Column::Owner.eq(owner))
        .filter(Column::CreatedAt.gte(since))
        .filter(Column::Stage.is_in([READING, RENDERING]))
        .count(db)
        .await?)
}

/// Moves job `id` to `stage` (unless it is finished already).
pub async fn set_stage(db: &DatabaseConnection, id: &str, stage: &str) -> Result<(), StoreError> {
    report_jobs::Entity::update_many()
        .col_expr(Column::Stage, Expr::value(stage))
        .filter(Column::Id.eq(id))
        .filter(Column::Stage.is_in([READING, RENDERING]))
        .exec(db)
        .await?;
    Ok(())
}

/// Job `id` is done: its file and how long it took.
pub async fn finish(
    db: &DatabaseConnection,
    id: &str,
    file: Vec<u8>,
    took_ms: i64,
) -> Result<(), StoreError> {
    let size = i64::try_from(file.len()).unwrap_or(i64::MAX);
    report_jobs::Entity::update_many()
        .col_expr(Column::Stage, Expr::value(DONE))
        .col_expr(Column::TookMs, Expr::value(took_ms))
        .col_expr(Column::Size, Expr::value(size))
        .col_expr(Column::File, Expr::value(file))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Job `id` failed, and why.
pub async fn fail(db: &DatabaseConnection, id: &str, why: &str) -> Result<(), StoreError> {
    report_jobs::Entity::update_many()
        .col_expr(Column::Stage, Expr::value(FAILED))
        .col_expr(Column::Error, Expr::value(why))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

fn rows() -> sea_orm::Select<report_jobs::Entity> {
    report_jobs::Entity::find().select_only().columns([
        Column::Id,
        Column::Owner,
        Column::Campaign,
        Column::Format,
        Column::Lang,
        Column::Filters,
        Column::CreatedAt,
        Column::Stage,
        Column::Error,
        Column::TookMs,
        Column::Size,
    ])
}

/// Job `id` if `owner` asked for it (without its file).
pub async fn find(
    db: &DatabaseConnection,
    id: &str,
    owner: &str,
) -> Result<Option<JobRow>, StoreError> {
    Ok(rows()
        .filter(Column::Id.eq(id))
        .filter(Column::Owner.eq(owner))
        .into_model::<JobRow>()
        .one(db)
        .await?)
}

/// `owner`'s latest jobs for `campaign`, newest first.
pub async fn of(
    db: &DatabaseConnection,
    campaign: &str,
    owner: &str,
    limit: u64,
) -> Result<Vec<JobRow>, StoreError> {
    Ok(rows()
        .filter(Column::Campaign.eq(campaign))
        .filter(Column::Owner.eq(owner))
        .order_by_desc(Column::CreatedAt)
        .order_by_desc(Column::Id)
        .limit(limit)
        .into_model::<JobRow>()
        .all(db)
        .await?)
}

/// The finished file of job `id`, if `owner` asked for it and it is done.
pub async fn file(
    db: &DatabaseConnection,
    id: &str,
    owner: &str,
) -> Result<Option<Vec<u8>>, StoreError> {
    Ok(report_jobs::Entity::find()
        .filter(Column::Id.eq(id))
        .filter(Column::Owner.eq(owner))
        .filter(Column::Stage.eq(DONE))
        .one(db)
        .await?
        .and_then(|m| m.file))
}
