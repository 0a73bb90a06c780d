//! `chorus export-xlsform`: Write a questionnaire from surveys/ as an XLSForm (for KoboToolbox, ODK, …).

use std::path::PathBuf;
use std::process::ExitCode;

use crate::config::Settings;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The questionnaire's slug, e.g. pingshun-2025-students.
    #[arg(long)]
    pub survey: String,
    #[arg(long)]
    pub out: PathBuf,
}

pub async fn run(settings: Settings, args: Args) -> anyhow::Result<ExitCode> {
    let Args { survey, out } = args;
    let bytes = crate::app::definitions::xlsform_from_folder(&settings.surveys_dir, &survey)?;
    super::create_parent(&out)?;
    std::fs::write(&out, bytes)?;
    println!("wrote {} (XLSForm of {survey})", out.display());
    Ok(ExitCode::SUCCESS)
}
