//! Command-line interface: `serve`, `demo`, `report`, `check`, `import`, `export-xlsform`,
//! `invite`.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

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
    Demo {
        /// How many responses to generate across the three groups.
        #[arg(long, default_value_t = 600)]
        responses: usize,
        /// Random seed; the same seed gives the same data.
        #[arg(long, default_value_t = 2025)]
        seed: u64,
        /// Campaign to fill (default: every campaign).
        #[arg(long)]
        campaign: Option<String>,
    },
    /// Write the investigation report (调研报告) of a campaign.
    Report {
        #[arg(long)]
        campaign: String,
        /// Output file (its folder is created); with --format all, the extension is
        /// replaced per format.
        #[arg(long, default_value = "reports/out/report.html")]
        out: PathBuf,
        /// html, docx, pdf, xlsx or all (default: from the --out extension).
        #[arg(long)]
        format: Option<String>,
        /// zh (default) or en.
        #[arg(long, default_value = "zh")]
        lang: String,
        /// Restrict to respondents with an attribute value, e.g. --filter sector=herbs.
        #[arg(long = "filter", value_name = "ATTR=VALUE")]
        filters: Vec<String>,
    },
    /// Write a campaign's raw responses as CSV (UTF-8 with BOM, one row per response).
    Export {
        #[arg(long)]
        campaign: String,
        #[arg(long)]
        out: PathBuf,
    },
    /// Analyse a campaign from storage (scores with CIs, reliability, gaps, suppression)
    /// and print how long reading and analysing took; the analysis as JSON with --out.
    Analyse {
        #[arg(long)]
        campaign: String,
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Validate definition files or campaign folders (default: the surveys folder).
    Check { paths: Vec<PathBuf> },
    /// Import an XLSForm spreadsheet as a campaign's questionnaire for one group,
    /// written to surveys/<campaign>/<audience>.toml and published.
    Import {
        /// The .xlsx (or .xls/.ods) file.
        file: PathBuf,
        #[arg(long)]
        campaign: String,
        /// students, teachers or enterprises.
        #[arg(long)]
        audience: String,
        /// Survey slug (default: <campaign>-<audience>).
        #[arg(long)]
        slug: Option<String>,
        /// Overwrite an existing questionnaire file for this group.
        #[arg(long)]
        replace: bool,
    },
    /// Create invitation tokens (each answers once) with prefilled attributes, print
    /// their links and write a printable sheet with one QR code per token.
    Invite {
        /// The questionnaire's slug, e.g. pingshun-2025-students.
        #[arg(long)]
        survey: String,
        #[arg(long)]
        count: usize,
        /// Prefilled respondent attribute, e.g. --attr school=平顺县职业高级中学 (a choice
        /// label or code); repeatable.
        #[arg(long = "attr", value_name = "NAME=VALUE")]
        attrs: Vec<String>,
        /// A name for the batch (default: the date and time).
        #[arg(long)]
        batch: Option<String>,
        /// Address respondents use (default: CHORUS_PUBLIC_URL, else http://<bind>).
        #[arg(long)]
        base_url: Option<String>,
        /// Printable sheet (HTML, one QR code per token).
        #[arg(long, default_value = "reports/out/invitations.html")]
        out: PathBuf,
    },
    /// Copy the SQLite database to FILE, consistently, while the service may run
    /// (PostgreSQL: use pg_dump).
    Backup {
        #[arg(long)]
        out: PathBuf,
    },
    /// Replace the SQLite database with a checked backup (stop the service first; the
    /// current file is kept as <file>.db.before-restore).
    Restore {
        #[arg(long)]
        from: PathBuf,
    },
    /// Write a questionnaire from surveys/ as an XLSForm (for KoboToolbox, ODK, …).
    ExportXlsform {
        /// The questionnaire's slug, e.g. pingshun-2025-students.
        #[arg(long)]
        survey: String,
        #[arg(long)]
        out: PathBuf,
    },
}
