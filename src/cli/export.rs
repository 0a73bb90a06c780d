//! `chorus export`: Write a campaign's raw responses as CSV (UTF-8 with BOM, one row per response).

use std::path::PathBuf;
use std::process::ExitCode;

use crate::config::Settings;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(long)]
    pub campaign: String,
    #[arg(long)]
    pub out: PathBuf,
}

pub async fn run(settings: Settings, args: Args) -> anyhow::Result<ExitCode> {
    let Args { campaign, out } = args;
    let prepared = crate::startup::prepare(&settings).await?;
    let started = std::time::Instant::now();
    let meta = super::campaign_meta(&prepared.db, &campaign, &settings).await?;
    let (tx, mut rx) = tokio::sync::mpsc::channel(4);
    let path = out.clone();
    let writer = tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
        use std::io::Write;
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path)?);
        while let Some(chunk) = rx.blocking_recv() {
            let chunk: bytes::Bytes = chunk?;
            f.write_all(&chunk)?;
        }
        f.flush()?;
        Ok(())
    });
    // The CLI runs with the installation's own rights: open answers as written.
    let raw_text = crate::app::report::RawText::AsWritten;
    let n = crate::app::export::write_csv(&prepared.db, &meta, &[], raw_text, tx).await?;
    writer.await??;
    println!(
        "export: {n} responses written to {} in {:.2} s",
        out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}
