//! Response caps (`max_responses`) and quotas counted inside the transaction that
//! stores the response, so that concurrent submissions, from several writer tasks or
//! several instances, never take more than the cap: the transaction first takes the
//! questionnaire's write lock, then stores the row, then counts with it included and
//! rolls back when a limit is exceeded.

use sea_orm::{ConnectionTrait, DbBackend, Statement};

use super::responses::{count_for_survey, InsertOutcome};
use super::surveys::StoredSurvey;
use super::StoreError;
use crate::domain::NewResponse;

/// Whether any limit can refuse this response.
pub fn applies(survey: &StoredSurvey, response: &NewResponse) -> bool {
    let access = &survey.survey.access;
    access.max_responses.is_some()
        || access
            .quotas
            .iter()
            .any(|q| response.attributes.get(&q.attribute) == Some(&q.value))
}

/// Takes the write lock the rest of the transaction relies on. SQLite: the database's
/// one write lock, taken now by a write statement (a transaction that read first could
/// not upgrade after another connection's commit). PostgreSQL, for a limited
/// questionnaire: a transaction-scoped advisory lock per questionnaire, so counts are
/// taken one transaction at a time.
pub async fn lock<C: ConnectionTrait>(
    txn: &C,
    slug: &str,
    limited: bool,
) -> Result<(), StoreError> {
    match txn.get_database_backend() {
        DbBackend::Sqlite => {
            txn.execute_unprepared(
                "UPDATE anonymous_progress SET completed = completed WHERE 1 = 0",
            )
            .await?;
        }
        DbBackend::Postgres if limited => {
            txn.execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT pg_advisory_xact_lock($1)",
                [lock_key(slug).into()],
            ))
            .await?;
        }
        _ => {}
    }
    Ok(())
}

/// A stable 64-bit key per questionnaire (FNV-1a of the slug).
fn lock_key(slug: &str) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in format!("chorus:caps:{slug}").bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    i64::from_ne_bytes(h.to_ne_bytes())
}

/// After the row is stored in `txn`: the refusal when it takes a limit past its maximum.
pub async fn exceeded<C: ConnectionTrait>(
    txn: &C,
    survey: &StoredSurvey,
    response: &NewResponse,
) -> Result<Option<InsertOutcome>, StoreError> {
    let access = &survey.survey.access;
    let slug = &survey.survey.slug;
    if let Some(max) = access.max_responses {
        if count_for_survey(txn, slug, None).await? > max {
            return Ok(Some(InsertOutcome::Full));
        }
    }
    for q in &access.quotas {
        if response.attributes.get(&q.attribute) != Some(&q.value) {
            continue;
        }
        let n = count_for_survey(txn, slug, Some((q.attribute.as_str(), q.value.as_str()))).await?;
        if n > q.max {
            return Ok(Some(InsertOutcome::QuotaFull {
                attribute: q.attribute.clone(),
                value: q.value.clone(),
            }));
        }
    }
    Ok(None)
}
