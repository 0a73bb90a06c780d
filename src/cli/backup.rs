//! `chorus backup`: Copy the SQLite database to FILE, consistently, while the service may run (PostgreSQL: use pg_dump).

use std::path::PathBuf;
use std::process::ExitCode;

use crate::config::Settings;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(long)]
    pub out: PathBuf,
}

pub async fn run(settings: Settings, args: Args) -> anyhow::Result<ExitCode> {
    let Args { out } = args;
    let n = crate::app::backup::backup(&settings, &out).await?;
    println!(
        "backup: {} written and checked ({n} responses)",
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}
