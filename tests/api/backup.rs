//! `chorus backup` while the service runs, and `chorus restore` onto a fresh database:
//! the restored service exports exactly what was backed up.

use std::process::Command;

use chorus::startup::Application;

use crate::helpers::{spawn_app, Backend, TestApp};

async fn csv(app: &TestApp, address: &str) -> Vec<String> {
    let text = app
        .client
        .get(format!(
            "{address}/api/v1/campaigns/pingshun-2025/responses.csv"
        ))
        .bearer_auth(crate::helpers::TOKEN)
        .send()
        .await
        .expect("csv")
        .text()
        .await
        .expect("text");
    let mut lines: Vec<String> = text.lines().skip(1).map(str::to_string).collect();
    lines.sort();
    lines
}

#[tokio::test]
async fn backup_online_then_restore_elsewhere_gives_the_same_data() {
    let app = spawn_app(Backend::Sqlite, None).await.expect("sqlite");
    let slug = "pingshun-2025-students";
    for level in 1..=5 {
        let answers = app.valid_answers(slug, level).await;
        let res = app
            .post_json(
                &format!("/api/v1/surveys/{slug}/responses"),
                &serde_json::json!({"response_id": uuid::Uuid::new_v4(), "answers": answers}),
            )
            .await;
        assert_eq!(res.status(), 201);
    }
    let before = csv(&app, &app.address).await;
    assert_eq!(before.len(), 5);

    let bin = env!("CARGO_BIN_EXE_chorus");
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("backups/chorus-backup.db");
    let run = |args: &[&str], url: &str| {
        Command::new(bin)
            .args(args)
            .env("CHORUS_DATABASE_URL", url)
            .env("CHORUS_SURVEYS_DIR", &app.settings.surveys_dir)
            .output()
            .expect("run")
    };
    let out = run(
        &["backup", "--out", file.to_str().expect("p")],
        &app.settings.database_url,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("(5 responses)"));
    let again = run(
        &["backup", "--out", file.to_str().expect("p")],
        &app.settings.database_url,
    );
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));

    // The live database moves on; the backup does not.
    let answers = app.valid_answers(slug, 3).await;
    app.post_json(
        &format!("/api/v1/surveys/{slug}/responses"),
        &serde_json::json!({"response_id": uuid::Uuid::new_v4(), "answers": answers}),
    )
    .await;

    // Restore onto a new machine's database and serve it.
    let fresh = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("new/chorus.db").display()
    );
    let out = run(&["restore", "--from", file.to_str().expect("p")], &fresh);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut settings = app.settings.clone();
    settings.database_url = fresh.clone();
    let restored = Application::build(settings)
        .await
        .expect("restored service");
    let address = format!("http://127.0.0.1:{}", restored.port());
    tokio::spawn(restored.run_until_stopped());
    assert_eq!(
        csv(&app, &address).await,
        before,
        "exactly the backed-up responses"
    );

    // Not a backup: refused, nothing replaced.
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, b"not a database").expect("write");
    let out = run(&["restore", "--from", junk.to_str().expect("p")], &fresh);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a usable Chorus backup"));
    let out = run(
        &["backup", "--out", "x.db"],
        "postgres://postgres@127.0.0.1/none",
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("pg_dump"));
}
