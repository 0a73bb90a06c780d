//! `chorus reindex`: rebuild the packed answers the analysis reads from the stored JSON
//! answers, and the response tallies the fieldwork counts come from (after a restore
//! from an older backup, or to check them), printing progress.

use std::io::Write;
use std::process::ExitCode;

use crate::app::reindex::{reindex, Progress};
use crate::config::Settings;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only this campaign's responses (default: every campaign).
    #[arg(long)]
    pub campaign: Option<String>,
}

pub async fn run(settings: Settings, args: Args) -> anyhow::Result<ExitCode> {
    let db = crate::startup::prepare(&settings).await?.db;
    let started = std::time::Instant::now();
    let show = |p: Progress| {
        eprint!(
            "\rreindex: {} / {} responses packed",
            p.packed + p.unreadable,
            p.total
        );
        let _ = std::io::stderr().flush();
    };
    let p = reindex(&db, args.campaign.as_deref(), show).await?;
    eprintln!();
    println!(
        "reindex: {} responses packed and {} response tallies rebuilt in {:.1} s{}",
        p.packed,
        p.tallies,
        started.elapsed().as_secs_f64(),
        if p.unreadable > 0 {
            format!(
                "; {} could not be read (answers that are not valid JSON or a questionnaire version that is not stored) and are analysed from their JSON",
                p.unreadable
            )
        } else {
            String::new()
        }
    );
    Ok(ExitCode::SUCCESS)
}
