//! `chorus` binary: parse the command line, load settings, hand over to the library.

use std::process::ExitCode;

use chorus::cli::{Cli, Command};
use chorus::config::Settings;
use chorus::startup::{self, Application};
use chorus::{definitions, demo, pipeline, report};
use clap::Parser;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn,usvg=error")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match run(cli).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let settings = Settings::load()?;
    match cli.command {
        Command::Check { paths } => {
            let paths = if paths.is_empty() {
                vec![settings.surveys_dir.clone()]
            } else {
                paths
            };
            let problems = definitions::check_paths(&paths);
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
        Command::Import {
            file,
            campaign,
            audience,
            slug,
            replace,
        } => {
            let audience = chorus::domain::Audience::parse(&audience).ok_or_else(|| {
                anyhow::anyhow!(
                    "--audience {audience:?} is not known; use students, teachers or enterprises"
                )
            })?;
            let bytes = std::fs::read(&file)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
            let outcome = match chorus::importer::import_into(
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
            let db = chorus::store::connect(&settings).await?;
            let published = match chorus::store::campaigns::publish(&db, &outcome.campaign).await {
                Ok(p) => {
                    for v in p.iter().filter(|v| v.created) {
                        chorus::store::audit::record(
                            &db,
                            "cli",
                            "questionnaire.publish",
                            &v.slug,
                            serde_json::json!({"campaign": campaign, "version": v.version, "source": "xlsform", "file": file.display().to_string()}),
                            None,
                        )
                        .await?;
                    }
                    p
                }
                Err(e) => {
                    outcome.undo();
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
            print_published(&[(campaign, published)]);
            Ok(ExitCode::SUCCESS)
        }
        Command::Invite {
            survey,
            count,
            attrs,
            batch,
            base_url,
            out,
        } => {
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
            let prepared = startup::prepare(&settings).await?;
            let Some(stored) = chorus::store::surveys::current(&prepared.db, &survey).await? else {
                anyhow::bail!(
                    "no questionnaire {survey:?}; see `chorus serve` for the published slugs"
                );
            };
            let attributes = chorus::web::invitations::check_batch(&stored, count, &attributes)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let batch =
                batch.unwrap_or_else(|| chrono::Utc::now().format("%Y%m%d-%H%M%S").to_string());
            let tokens = chorus::store::invitations::create(
                &prepared.db,
                &stored,
                count,
                &attributes,
                &batch,
            )
            .await?;
            chorus::store::audit::record(
                &prepared.db,
                "cli",
                "invitations.create",
                &stored.survey.slug,
                serde_json::json!({"count": tokens.len(), "batch": batch, "attributes": attributes}),
                None,
            )
            .await?;
            let base = base_url
                .or_else(|| settings.public_url.clone())
                .unwrap_or_else(|| {
                    format!("http://{}", settings.bind.replace("0.0.0.0", "127.0.0.1"))
                });
            let links: Vec<(String, String)> = tokens
                .iter()
                .map(|t| {
                    (
                        t.clone(),
                        chorus::web::invitations::survey_link(
                            base.trim_end_matches('/'),
                            &survey,
                            Some(t),
                        ),
                    )
                })
                .collect();
            for (_, link) in &links {
                println!("{link}");
            }
            let subtitle = format!("批次 {batch} · {count} 份邀请 · 每个二维码只能提交一次");
            let page =
                chorus::web::invitations::sheet_html(&stored.survey.title, subtitle, &links, false)
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
            if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::write(&out, page)?;
            eprintln!(
                "invite: {count} invitation(s) for {survey} (batch {batch}); printable sheet: {}",
                out.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Backup { out } => {
            let n = chorus::backup::backup(&settings, &out).await?;
            println!(
                "backup: {} written and checked ({n} responses)",
                out.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Restore { from } => {
            let n = chorus::backup::restore(&settings, &from).await?;
            println!(
                "restore: database replaced from {} ({n} responses)",
                from.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::ExportXlsform { survey, out } => {
            let campaigns = definitions::load_dir(&settings.surveys_dir).map_err(|p| {
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
            if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::write(&out, chorus::xlsform::to_xlsx(found)?)?;
            println!("wrote {} (XLSForm of {survey})", out.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve => {
            let app = Application::build(settings.clone()).await?;
            print_published(&app.published);
            let base = format!("http://{}", settings.bind.replace("0.0.0.0", "127.0.0.1"));
            println!("Chorus listening on {base}");
            for (_, list) in &app.published {
                for p in list {
                    println!("  问卷 questionnaire: {base}/s/{}", p.slug);
                }
            }
            match &app.new_token {
                Some(t) => println!(
                    "\n评估员令牌 evaluator token (shown once, stored only as a hash):\n  {t}\nUse it as: Authorization: Bearer {t}\n"
                ),
                None if settings.admin_token.is_some() => println!("evaluator token: from CHORUS_ADMIN_TOKEN"),
                None => println!("evaluator token: the one printed at first start (set CHORUS_ADMIN_TOKEN to replace it)"),
            }
            app.run_until_stopped().await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo {
            responses,
            seed,
            campaign,
        } => {
            let prepared = startup::prepare(&settings).await?;
            print_published(&prepared.published);
            let keys: Vec<String> = match campaign {
                Some(k) => vec![k],
                None => prepared.published.iter().map(|(k, _)| k.clone()).collect(),
            };
            for key in keys {
                let inserted = demo::fill(&prepared.db, &key, responses, seed).await?;
                println!("demo: campaign {key}: {inserted} new response(s) stored ({responses} generated with seed {seed})");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Report {
            campaign,
            out,
            format,
            lang,
            filters,
        } => {
            let lang = report::Lang::parse(&lang)
                .ok_or_else(|| anyhow::anyhow!("--lang {lang:?} is not supported; use zh or en"))?;
            let formats: Vec<report::Format> = match format.as_deref() {
                Some("all") => report::Format::ALL.to_vec(),
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
                        .ok_or_else(|| {
                            anyhow::anyhow!("--filter {f:?} must look like sector=herbs")
                        })
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            let prepared = startup::prepare(&settings).await?;
            if filters.len() > chorus::analysis::disclosure::MAX_FILTERS {
                anyhow::bail!(
                    "--filter given {} times; a report may be narrowed by at most {} attribute (small groups could otherwise be derived from the two-way table); keep one --filter and read the breakdown by the other inside the report",
                    filters.len(),
                    chorus::analysis::disclosure::MAX_FILTERS
                );
            }
            let request = pipeline::ReportRequest { filters, lang };
            let started = std::time::Instant::now();
            let Some((doc, raw)) = pipeline::load_report(&prepared.db, &campaign, &request).await?
            else {
                anyhow::bail!(
                    "campaign {campaign:?} not found; campaigns are the folders in {}",
                    settings.surveys_dir.display()
                );
            };
            let analysed = started.elapsed();
            if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)?;
            }
            println!(
                "report: analysed and laid out in {:.2} s",
                analysed.as_secs_f64()
            );
            for f in formats {
                let t = std::time::Instant::now();
                let bytes = report::render(&doc, f, Some(&raw))?;
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
        Command::Export { campaign, out } => {
            let prepared = startup::prepare(&settings).await?;
            let started = std::time::Instant::now();
            let Some(meta) = pipeline::load_meta(&prepared.db, &campaign).await? else {
                anyhow::bail!(
                    "campaign {campaign:?} not found; campaigns are the folders in {}",
                    settings.surveys_dir.display()
                );
            };
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
            let n = pipeline::write_csv(&prepared.db, &meta, &[], tx).await?;
            writer.await??;
            println!(
                "export: {n} responses written to {} in {:.2} s",
                out.display(),
                started.elapsed().as_secs_f64()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Analyse { campaign, out } => {
            let prepared = startup::prepare(&settings).await?;
            let started = std::time::Instant::now();
            let Some(meta) = pipeline::load_meta(&prepared.db, &campaign).await? else {
                anyhow::bail!(
                    "campaign {campaign:?} not found; campaigns are the folders in {}",
                    settings.surveys_dir.display()
                );
            };
            let view = pipeline::collect(&prepared.db, &meta, &[], false)
                .await?
                .view;
            // The earlier wave the campaign compares with, as `/analysis` does.
            let previous = pipeline::previous_wave(&prepared.db, &meta, &[]).await?;
            let read = started.elapsed();
            let n = view.frames.len();
            if let Some((p, v)) = &previous {
                println!(
                    "analyse: compared with the previous wave {:?} ({} responses)",
                    p.campaign.info.key,
                    v.frames.len()
                );
            }
            let t = std::time::Instant::now();
            let analysis = tokio::task::spawn_blocking(move || {
                let wave =
                    previous
                        .as_ref()
                        .map(|(p, v)| chorus::analysis::evaluation::PreviousWave {
                            info: &p.campaign.info,
                            view: v,
                        });
                chorus::analysis::evaluation::analyse(&meta.campaign.info, &view, wave)
            })
            .await??;
            let analysed = t.elapsed();
            println!(
                "analyse: {n} responses read from storage in {:.3} s, analysed in {:.3} s, total {:.3} s",
                read.as_secs_f64(),
                analysed.as_secs_f64(),
                started.elapsed().as_secs_f64()
            );
            if let Some(out) = out {
                std::fs::write(&out, serde_json::to_vec_pretty(&analysis)?)?;
                println!("analyse: {}", out.display());
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn print_published(published: &[(String, Vec<chorus::store::campaigns::Published>)]) {
    for (key, list) in published {
        for p in list {
            let what = if p.created { "published" } else { "unchanged" };
            println!("campaign {key}: {} v{} {what}", p.slug, p.version);
        }
    }
}
