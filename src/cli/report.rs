//! `chorus report`: Write the investigation report (调研报告) of a campaign.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::config::Settings;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(long)]
    pub campaign: String,
    /// Output file (its folder is created); with --format all, the extension is
    /// replaced per format.
    #[arg(long, default_value = "reports/out/report.html")]
    pub out: PathBuf,
    /// html, docx, pdf, xlsx or all (default: from the --out extension).
    #[arg(long)]
    pub format: Option<String>,
    /// zh (default) or en.
    #[arg(long, default_value = "zh")]
    pub lang: String,
    /// Restrict to respondents with an attribute value, e.g. --filter sector=herbs.
    #[arg(long = "filter", value_name = "ATTR=VALUE")]
    pub filters: Vec<String>,
}

pub async fn run(settings: Settings, args: Args) -> anyhow::Result<ExitCode> {
    let Args {
        campaign,
        out,
        format,
        lang,
        filters,
    } = args;
    let lang = crate::report::Lang::parse(&lang)
        .ok_or_else(|| anyhow::anyhow!("--lang {lang:?} is not supported; use zh or en"))?;
    let formats: Vec<crate::report::Format> = match format.as_deref() {
        Some("all") => crate::report::Format::ALL.to_vec(),
        Some(f) => vec![f.parse().map_err(anyhow::Error::msg)?],
        None => {
            let ext = out.extension().and_then(|e| e.to_str()).unwrap_or("html");
            vec![ext
                .parse()
                .map_err(|e: String| anyhow::anyhow!("{e}; or pass --format"))?]
        }
    };
    let filters = filters
        .iter()
        .map(|f| {
            f.split_once('=')
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                .ok_or_else(|| anyhow::anyhow!("--filter {f:?} must look like sector=herbs"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let prepared = crate::startup::prepare(&settings).await?;
    crate::app::analyse::check_filters(&filters)
        .map_err(|e| anyhow::anyhow!("--filter: {e}; a report may combine at most {} filters (read a third attribute as the breakdown inside the report)", crate::analysis::disclosure::MAX_FILTERS))?;
    let request = crate::app::report::ReportRequest { filters, lang };
    let started = std::time::Instant::now();
    let (doc, raw) =
        crate::app::report::load_report(&prepared.db, &Default::default(), &campaign, &request)
            .await?
            .ok_or_else(|| super::no_campaign(&campaign, &settings))?;
    let analysed = started.elapsed();
    super::create_parent(&out)?;
    println!(
        "report: analysed and laid out in {:.2} s",
        analysed.as_secs_f64()
    );
    for f in formats {
        let t = std::time::Instant::now();
        // The CLI runs with the installation's own rights: open answers as written.
        let bytes =
            crate::app::report::render(&doc, &raw, f, crate::app::report::RawText::AsWritten)?;
        let path = out.with_extension(f.extension());
        std::fs::write(&path, bytes)?;
        println!(
            "report: {} ({:.2} s)",
            path.display(),
            t.elapsed().as_secs_f64()
        );
    }
    Ok(ExitCode::SUCCESS)
}
