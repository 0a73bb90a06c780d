//! The storage ceiling for the ingest benchmark: the same kind of rows the service
//! stores, inserted into the same database in a tight loop (512 per transaction, no
//! HTTP, no validation). Prints one JSON line.
//!
//! CHORUS_DATABASE_URL=… cargo run --release --example ingest_ceiling -- 200000

use std::time::Instant;

use chorus::config::Settings;
use chorus::store::{self, responses};
use sea_orm::{EntityTrait, TransactionTrait};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let n: usize = std::env::args().nth(1).map_or(Ok(100_000), |s| s.parse())?;
    let settings = Settings::load()?;
    let prepared = chorus::startup::prepare(&settings).await?;
    let campaign = store::campaigns::get(&prepared.db, "pingshun-2025")
        .await?
        .ok_or_else(|| anyhow::anyhow!("campaign pingshun-2025 not published"))?;
    // Fresh ids each run (seed from the clock), the demo generator's realistic answers.
    let seed = chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0) as u64;
    let generated = chorus::app::demo::generate(&campaign, n, seed);
    let rows: Vec<_> = generated
        .iter()
        .map(|(i, r, at)| {
            let s = &campaign.surveys[*i];
            responses::prepare(s, r).stored_at(s, *at).0
        })
        .collect();
    let started = Instant::now();
    let mut rest = rows;
    while !rest.is_empty() {
        let tail = rest.split_off(rest.len().min(512));
        let chunk = std::mem::replace(&mut rest, tail);
        let txn = prepared.db.begin().await?;
        chorus::entities::responses::Entity::insert_many(chunk)
            .exec(&txn)
            .await?;
        txn.commit().await?;
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{}",
        serde_json::json!({"mode": "storage-ceiling", "rows": generated.len(), "seconds": secs, "per_second": generated.len() as f64 / secs})
    );
    Ok(())
}
