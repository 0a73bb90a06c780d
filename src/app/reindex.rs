//! The packed answers the analysis reads (`domain::packed`): packing the stored
//! responses that have none — the backfill the service runs at start, in batches, so it
//! resumes wherever it was stopped — and rebuilding them (`chorus reindex`), with the
//! response tallies the fieldwork counts come from. The JSON answers stay the source of
//! truth; packing and tallies only derive from them.

use std::collections::{BTreeMap, HashMap};

use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::domain::packed::pack;
use crate::domain::{AnswerValue, Survey};
use crate::store::{campaigns, packed, surveys, tallies};

/// Responses packed per transaction.
const BATCH: u64 = 2_000;

/// How far packing has come.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    /// Responses packed so far.
    pub packed: u64,
    /// Responses that could not be packed (answers that are not valid JSON, or a
    /// questionnaire version that is not stored); the analysis reads their JSON.
    pub unreadable: u64,
    /// Responses without packed answers when packing started.
    pub total: u64,
    /// Response tally rows rebuilt (`store::tallies`), by `reindex` only.
    pub tallies: u64,
}

/// Why a reindex could not run.
#[derive(Debug, thiserror::Error)]
pub enum ReindexError {
    #[error("no campaign with key `{0}`; `chorus check` lists the campaigns in surveys/")]
    UnknownCampaign(String),
    #[error(transparent)]
    Store(#[from] anyhow::Error),
}

/// Packs every stored response that has no packed answers, `BATCH` per transaction,
/// telling `progress` after each batch.
pub async fn pack_unpacked(
    db: &DatabaseConnection,
    mut progress: impl FnMut(Progress),
) -> anyhow::Result<Progress> {
    let mut p = Progress {
        total: packed::count_unpacked(db).await?,
        ..Progress::default()
    };
    if p.total == 0 {
        return Ok(p);
    }
    let definitions = surveys::every_definition(db).await?;
    let mut after: Option<Uuid> = None;
    loop {
        let rows = packed::unpacked(db, after, BATCH).await?;
        let Some(last) = rows.last() else {
            break;
        };
        after = Some(last.0);
        let mut done = Vec::with_capacity(rows.len());
        for (id, version, answers) in rows {
            match packed_answers(&definitions, version, &answers) {
                Some(bytes) => done.push((id, bytes)),
                None => p.unreadable += 1,
            }
        }
        packed::store(db, &done).await?;
        p.packed += done.len() as u64;
        progress(p);
    }
    Ok(p)
}

/// The packed form of one stored response's answers, if they can be read.
fn packed_answers(
    definitions: &HashMap<i64, Survey>,
    version: i64,
    answers: &str,
) -> Option<Vec<u8>> {
    let survey = definitions.get(&version)?;
    let answers: BTreeMap<String, AnswerValue> = serde_json::from_str(answers).ok()?;
    Some(pack(survey, &answers))
}

/// Rebuilds the packed answers of one campaign (or of every campaign) from the JSON:
/// forgets them, then packs again. The analysis stays correct meanwhile (it reads the
/// JSON of rows without packed answers), only slower.
pub async fn reindex(
    db: &DatabaseConnection,
    campaign: Option<&str>,
    progress: impl FnMut(Progress),
) -> Result<Progress, ReindexError> {
    let id = match campaign {
        Some(key) => Some(
            campaigns::get(db, key)
                .await
                .map_err(anyhow::Error::from)?
                .ok_or_else(|| ReindexError::UnknownCampaign(key.to_string()))?
                .id,
        ),
        None => None,
    };
    let tallies = tallies::rebuild(db, id)
        .await
        .map_err(anyhow::Error::from)?;
    packed::clear(db, id).await.map_err(anyhow::Error::from)?;
    Ok(Progress {
        tallies,
        ..pack_unpacked(db, progress).await?
    })
}

/// The service's backfill at start: packs what earlier versions stored without packed
/// answers, logging progress about every tenth of the way.
pub async fn backfill_in_background(db: DatabaseConnection) {
    let mut next_log = 0u64;
    let result = pack_unpacked(&db, |p| {
        if p.packed + p.unreadable >= next_log {
            tracing::info!(
                packed = p.packed,
                unreadable = p.unreadable,
                of = p.total,
                "packing stored answers for the analysis"
            );
            next_log = p.packed + p.unreadable + (p.total / 10).max(BATCH);
        }
    })
    .await;
    match result {
        Ok(p) if p.total > 0 => tracing::info!(
            packed = p.packed,
            unreadable = p.unreadable,
            "stored answers packed"
        ),
        Ok(_) => {}
        Err(e) => {
            tracing::warn!(error = %e, "packing stored answers stopped; it resumes at the next start")
        }
    }
}
