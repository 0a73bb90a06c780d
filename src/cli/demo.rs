//! `chorus demo`: Fill the database with deterministic synthetic responses.

use std::process::ExitCode;

use crate::config::Settings;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// How many responses to generate across the three groups.
    #[arg(long, default_value_t = 600)]
    pub responses: usize,
    /// Random seed; the same seed gives the same data.
    #[arg(long, default_value_t = 2025)]
    pub seed: u64,
    /// Campaign to fill (default: every campaign).
    #[arg(long)]
    pub campaign: Option<String>,
}

pub async fn run(settings: Settings, args: Args) -> anyhow::Result<ExitCode> {
    let Args {
        responses,
        seed,
        campaign,
    } = args;
    let prepared = crate::startup::prepare(&settings).await?;
    super::print_published(&prepared.published);
    let keys: Vec<String> = match campaign {
        Some(k) => vec![k],
        None => prepared.published.iter().map(|(k, _)| k.clone()).collect(),
    };
    for key in keys {
        let inserted = crate::app::demo::fill(&prepared.db, &key, responses, seed).await?;
        println!("demo: campaign {key}: {inserted} new response(s) stored ({responses} generated with seed {seed})");
    }
    Ok(ExitCode::SUCCESS)
}
