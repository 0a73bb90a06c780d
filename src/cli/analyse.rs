//! `chorus analyse`: Analyse a campaign from storage (scores with CIs, reliability, gaps, suppression) and print how long reading and analysing took; the analysis as JSON with --out.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::config::Settings;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(long)]
    pub campaign: String,
    #[arg(long)]
    pub out: Option<PathBuf>,
}

pub async fn run(settings: Settings, args: Args) -> anyhow::Result<ExitCode> {
    let Args { campaign, out } = args;
    let prepared = crate::startup::prepare(&settings).await?;
    let started = std::time::Instant::now();
    let meta = super::campaign_meta(&prepared.db, &campaign, &settings).await?;
    let view = crate::app::read::collect(&prepared.db, &meta, &[], false)
        .await?
        .view;
    // The earlier wave the campaign compares with, as `/analysis` does.
    let previous = crate::app::read::previous_wave(&prepared.db, &meta, &[]).await?;
    let read = started.elapsed();
    let n = view.frames.len();
    if let Some((p, v)) = &previous {
        println!(
            "analyse: compared with the previous wave {:?} ({} responses)",
            p.campaign.info.key,
            v.frames.len()
        );
    }
    let t = std::time::Instant::now();
    let analysis = tokio::task::spawn_blocking(move || {
        let wave = previous
            .as_ref()
            .map(|(p, v)| crate::analysis::evaluation::PreviousWave {
                info: &p.campaign.info,
                view: v,
            });
        crate::analysis::evaluation::analyse(&meta.campaign.info, &view, wave)
    })
    .await??;
    let analysed = t.elapsed();
    println!(
        "analyse: {n} responses read from storage in {:.3} s, analysed in {:.3} s, total {:.3} s",
        read.as_secs_f64(),
        analysed.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    if let Some(out) = out {
        std::fs::write(&out, serde_json::to_vec_pretty(&analysis)?)?;
        println!("analyse: {}", out.display());
    }
    Ok(ExitCode::SUCCESS)
}
