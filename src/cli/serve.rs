//! `chorus serve`: Run migrations, publish surveys/, and serve the survey pages and API.

use std::process::ExitCode;

use crate::config::Settings;

pub async fn run(settings: Settings) -> anyhow::Result<ExitCode> {
    let app = crate::startup::Application::build(settings.clone()).await?;
    super::print_published(&app.published);
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
