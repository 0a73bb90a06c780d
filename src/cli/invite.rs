//! `chorus invite`: Create invitation tokens (each answers once) with prefilled attributes, print their links and write a printable sheet with one QR code per token.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::config::Settings;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The questionnaire's slug, e.g. pingshun-2025-students.
    #[arg(long)]
    pub survey: String,
    #[arg(long)]
    pub count: usize,
    /// Prefilled respondent attribute, e.g. --attr school=平顺县职业高级中学 (a choice
    /// label or code); repeatable.
    #[arg(long = "attr", value_name = "NAME=VALUE")]
    pub attrs: Vec<String>,
    /// A name for the batch (default: the date and time).
    #[arg(long)]
    pub batch: Option<String>,
    /// Address respondents use (default: CHORUS_PUBLIC_URL, else http://<bind>).
    #[arg(long)]
    pub base_url: Option<String>,
    /// Printable sheet (HTML, one QR code per token).
    #[arg(long, default_value = "reports/out/invitations.html")]
    pub out: PathBuf,
}

pub async fn run(settings: Settings, args: Args) -> anyhow::Result<ExitCode> {
    let Args {
        survey,
        count,
        attrs,
        batch,
        base_url,
        out,
    } = args;
    let attributes = attrs
        .iter()
        .map(|a| {
            a.split_once('=')
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                .ok_or_else(|| {
                    anyhow::anyhow!("--attr {a:?} must look like school=平顺县职业高级中学")
                })
        })
        .collect::<anyhow::Result<std::collections::BTreeMap<_, _>>>()?;
    let prepared = crate::startup::prepare(&settings).await?;
    let Some(stored) = crate::app::campaigns::survey(&prepared.db, &survey).await? else {
        anyhow::bail!("no questionnaire {survey:?}; see `chorus serve` for the published slugs");
    };
    let base = base_url
        .or_else(|| settings.public_url.clone())
        .unwrap_or_else(|| format!("http://{}", settings.bind.replace("0.0.0.0", "127.0.0.1")));
    let crate::app::invite::Issued { batch, links, .. } = crate::app::invite::issue(
        &prepared.db,
        &stored,
        count,
        &attributes,
        batch,
        &base,
        crate::app::invite::Actor {
            name: "cli",
            ip: None,
        },
    )
    .await?;
    for (_, link) in &links {
        println!("{link}");
    }
    let subtitle = format!("批次 {batch} · {count} 份邀请 · 每个二维码只能提交一次");
    let page = crate::web::invitations::sheet_html(&stored.survey.title, subtitle, &links, false)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    super::create_parent(&out)?;
    std::fs::write(&out, page)?;
    eprintln!(
        "invite: {count} invitation(s) for {survey} (batch {batch}); printable sheet: {}",
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}
