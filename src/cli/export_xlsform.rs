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
    let campaigns = crate::definitions::load_dir(&settings.surveys_dir).map_err(|p| {
        anyhow::anyhow!(
            "the definitions have problems:\n{}",
            p.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        )
    })?;
    let Some(found) = campaigns
        .iter()
        .flat_map(|c| c.surveys.iter())
        .find(|s| s.slug == survey)
    else {
        anyhow::bail!(
            "no questionnaire {survey:?} in {}; slugs are {}",
            settings.surveys_dir.display(),
            campaigns
                .iter()
                .flat_map(|c| c.surveys.iter().map(|s| s.slug.clone()))
                .collect::<Vec<_>>()
                .join(", ")
        );
    };
    super::create_parent(&out)?;
    std::fs::write(&out, crate::xlsform::to_xlsx(found)?)?;
    println!("wrote {} (XLSForm of {survey})", out.display());
    Ok(ExitCode::SUCCESS)
}
