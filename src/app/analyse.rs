//! The analysis use-case: read a campaign under filters, with its previous wave, and
//! evaluate it through the disclosure gate off the async threads.

use sea_orm::DatabaseConnection;

use super::read::{collect, load_meta, previous_wave, CampaignMeta};
use crate::analysis::evaluation::{analyse, Analysis, PreviousWave};

/// The full evaluation, with the earlier wave when the campaign names one.
pub async fn load_and_analyse(
    db: &DatabaseConnection,
    key: &str,
    filters: &[(String, String)],
) -> anyhow::Result<Option<(CampaignMeta, Analysis)>> {
    let Some(meta) = load_meta(db, key).await? else {
        return Ok(None);
    };
    let current = collect(db, &meta, filters, false).await?.view;
    let previous = previous_wave(db, &meta, filters).await?;
    let (meta, analysis) = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
        let wave = previous.as_ref().map(|(p, v)| PreviousWave {
            info: &p.campaign.info,
            view: v,
        });
        let analysis = analyse(&meta.campaign.info, &current, wave)?;
        Ok((meta, analysis))
    })
    .await??;
    Ok(Some((meta, analysis)))
}
