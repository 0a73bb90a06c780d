//! `chorus import`: Import an XLSForm spreadsheet as a campaign's questionnaire for one group, written to surveys/<campaign>/<audience>.toml and published.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::config::Settings;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The .xlsx (or .xls/.ods) file.
    pub file: PathBuf,
    #[arg(long)]
    pub campaign: String,
    /// students, teachers or enterprises.
    #[arg(long)]
    pub audience: String,
    /// Survey slug (default: <campaign>-<audience>).
    #[arg(long)]
    pub slug: Option<String>,
    /// Overwrite an existing questionnaire file for this group.
    #[arg(long)]
    pub replace: bool,
}

pub async fn run(settings: Settings, args: Args) -> anyhow::Result<ExitCode> {
    let Args {
        file,
        campaign,
        audience,
        slug,
        replace,
    } = args;
    let audience = crate::domain::Audience::parse(&audience).ok_or_else(|| {
        anyhow::anyhow!(
            "--audience {audience:?} is not known; use students, teachers or enterprises"
        )
    })?;
    let bytes =
        std::fs::read(&file).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
    let outcome = match crate::app::import::import_into(
        &settings.surveys_dir,
        &campaign,
        audience,
        &bytes,
        slug.as_deref(),
        replace,
    ) {
        Ok(o) => o,
        Err(e) => {
            for line in e.lines() {
                println!("{}: {line}", file.display());
            }
            println!("import refused: {e}; nothing was written");
            return Ok(ExitCode::FAILURE);
        }
    };
    for note in &outcome.notes {
        println!("{}: note: {note}", file.display());
    }
    let db = crate::startup::connect(&settings).await?;
    let origin = crate::app::publish::Origin {
        actor: "cli",
        detail: serde_json::Map::from_iter([
            ("source".to_string(), serde_json::Value::from("xlsform")),
            (
                "file".to_string(),
                serde_json::Value::from(file.display().to_string()),
            ),
        ]),
        ip: None,
    };
    let published = match crate::app::publish::publish_import(&db, &outcome, &origin).await {
        Ok(p) => p,
        Err(e) => {
            println!("import refused: {e}");
            return Ok(ExitCode::FAILURE);
        }
    };
    if outcome.created_campaign {
        println!(
                "created campaign {campaign} with a flat framework of the indicators used (edit its campaign.toml)"
            );
    }
    println!(
        "imported {} into {}",
        file.display(),
        outcome.file.display()
    );
    super::print_published(&[(campaign, published)]);
    Ok(ExitCode::SUCCESS)
}
