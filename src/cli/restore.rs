//! `chorus restore`: Replace the SQLite database with a checked backup (stop the service first; the current file is kept as <file>.db.before-restore).

use std::path::PathBuf;
use std::process::ExitCode;

use crate::config::Settings;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(long)]
    pub from: PathBuf,
}

pub async fn run(settings: Settings, args: Args) -> anyhow::Result<ExitCode> {
    let Args { from } = args;
    let n = crate::app::backup::restore(&settings, &from).await?;
    println!(
        "restore: database replaced from {} ({n} responses)",
        from.display()
    );
    Ok(ExitCode::SUCCESS)
}
