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
    /// Leave out the open-answer analysis (`text`): scores only, faster.
    #[arg(long)]
    pub no_text: bool,
}

pub async fn run(settings: Settings, args: Args) -> anyhow::Result<ExitCode> {
    let Args {
        campaign,
        out,
        no_text,
    } = args;
    let prepared = crate::startup::prepare(&settings).await?;
    let Some(done) = crate::app::analyse::load_and_analyse(
        &prepared.db,
        &Default::default(),
        &campaign,
        &[],
        !no_text,
    )
    .await?
    else {
        return Err(super::no_campaign(&campaign, &settings));
    };
    if let Some((key, n)) = &done.previous {
        println!("analyse: compared with the previous wave {key:?} ({n} responses)");
    }
    println!(
        "analyse: {} responses read from storage in {:.3} s, analysed in {:.3} s, total {:.3} s",
        done.responses,
        done.read.as_secs_f64(),
        done.analysed.as_secs_f64(),
        (done.read + done.analysed).as_secs_f64()
    );
    if let Some(out) = out {
        std::fs::write(&out, serde_json::to_vec_pretty(&done.analysis)?)?;
        println!("analyse: {}", out.display());
    }
    Ok(ExitCode::SUCCESS)
}
