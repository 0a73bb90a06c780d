//! `chorus check`: Validate definition files or campaign folders (default: the surveys folder).

use std::path::PathBuf;
use std::process::ExitCode;

use crate::config::Settings;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Files or folders to check (default: the surveys folder).
    pub paths: Vec<PathBuf>,
}

pub async fn run(settings: Settings, args: Args) -> anyhow::Result<ExitCode> {
    let Args { paths } = args;
    let paths = if paths.is_empty() {
        vec![settings.surveys_dir.clone()]
    } else {
        paths
    };
    let problems = crate::app::definitions::check(&paths);
    for p in &problems {
        println!("{p}");
    }
    if problems.is_empty() {
        println!(
            "ok: {} checked, no problems",
            paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
        Ok(ExitCode::SUCCESS)
    } else {
        println!("{} problem(s) found", problems.len());
        Ok(ExitCode::FAILURE)
    }
}
