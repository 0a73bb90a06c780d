//! The command-line door: `Cli` is parsed in `main.rs`, and each command lives in its
//! own file here, parsing its arguments and calling the library's use-cases.

use clap::{Parser, Subcommand};

pub mod analyse;
pub mod backup;
pub mod check;
pub mod demo;
pub mod export;
pub mod export_xlsform;
pub mod import;
pub mod invite;
pub mod reindex;
pub mod report;
pub mod restore;
pub mod serve;

#[derive(Debug, Parser)]
#[command(
    name = "chorus",
    version,
    about = "多元主体评价：校企合作质量调研 / multi-stakeholder evaluation of school–enterprise cooperation"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run migrations, publish surveys/, and serve the survey pages and API.
    Serve,
    /// Fill the database with deterministic synthetic responses.
    Demo(demo::Args),
    /// Write the investigation report (调研报告) of a campaign.
    Report(report::Args),
    /// Write a campaign's raw responses as CSV (UTF-8 with BOM, one row per response).
    Export(export::Args),
    /// Analyse a campaign from storage (scores with CIs, reliability, gaps, suppression)
    /// and print how long reading and analysing took; the analysis as JSON with --out.
    Analyse(analyse::Args),
    /// Validate definition files or campaign folders (default: the surveys folder).
    Check(check::Args),
    /// Import an XLSForm spreadsheet as a campaign's questionnaire for one group,
    /// written to surveys/<campaign>/<audience>.toml and published.
    Import(import::Args),
    /// Create invitation tokens (each answers once) with prefilled attributes, print
    /// their links and write a printable sheet with one QR code per token.
    Invite(invite::Args),
    /// Copy the SQLite database to FILE, consistently, while the service may run
    /// (PostgreSQL: use pg_dump).
    Backup(backup::Args),
    /// Replace the SQLite database with a checked backup (stop the service first; the
    /// current file is kept as <file>.db.before-restore).
    Restore(restore::Args),
    /// Write a questionnaire from surveys/ as an XLSForm (for KoboToolbox, ODK, …).
    ExportXlsform(export_xlsform::Args),
    /// Rebuild the packed answers the analysis reads from the stored JSON answers
    /// (the service packs responses that have none when it starts).
    Reindex(reindex::Args),
}

/// Runs one command with the layered settings.
pub async fn run(cli: Cli) -> anyhow::Result<std::process::ExitCode> {
    let settings = crate::config::Settings::load()?;
    match cli.command {
        Command::Serve => serve::run(settings).await,
        Command::Demo(args) => demo::run(settings, args).await,
        Command::Report(args) => report::run(settings, args).await,
        Command::Export(args) => export::run(settings, args).await,
        Command::Analyse(args) => analyse::run(settings, args).await,
        Command::Check(args) => check::run(settings, args).await,
        Command::Import(args) => import::run(settings, args).await,
        Command::Invite(args) => invite::run(settings, args).await,
        Command::Backup(args) => backup::run(settings, args).await,
        Command::Restore(args) => restore::run(settings, args).await,
        Command::ExportXlsform(args) => export_xlsform::run(settings, args).await,
        Command::Reindex(args) => reindex::run(settings, args).await,
    }
}

/// What publishing did, one line per questionnaire.
pub(crate) fn print_published(published: &[(String, Vec<crate::store::campaigns::Published>)]) {
    for (key, list) in published {
        for p in list {
            let what = if p.created { "published" } else { "unchanged" };
            println!("campaign {key}: {} v{} {what}", p.slug, p.version);
        }
    }
}

/// The error for a campaign key that names no folder in `surveys/`.
pub(crate) fn no_campaign(campaign: &str, settings: &crate::config::Settings) -> anyhow::Error {
    anyhow::anyhow!(
        "campaign {campaign:?} not found; campaigns are the folders in {}",
        settings.surveys_dir.display()
    )
}

/// A campaign's definitions from the prepared database, or the error naming the folder.
pub(crate) async fn campaign_meta(
    db: &sea_orm::DatabaseConnection,
    campaign: &str,
    settings: &crate::config::Settings,
) -> anyhow::Result<crate::app::read::CampaignMeta> {
    crate::app::read::load_meta(db, campaign)
        .await?
        .ok_or_else(|| no_campaign(campaign, settings))
}

/// Creates the folder a file is written into.
pub(crate) fn create_parent(path: &std::path::Path) -> std::io::Result<()> {
    match path.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(dir) => std::fs::create_dir_all(dir),
        None => Ok(()),
    }
}
