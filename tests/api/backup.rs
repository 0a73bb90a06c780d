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

async fn count_responses(file: &std::path::Path) -> i64 {
    use sea_orm::{ConnectionTrait, Statement};
    let db = sea_orm::Database::connect(format!("sqlite://{}?mode=ro", file.display()))
        .await
        .expect("open");
    let n = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT count(*) FROM responses".to_string(),
        ))
        .await
        .expect("count")
        .and_then(|r| r.try_get_by_index::<i64>(0).ok())
        .expect("row");
    db.close().await.expect("close");
    n
}

/// Regression: `restore` replaced the file under a running service, and deleted the
/// -wal of the database it kept, losing whatever was committed only there (the state a
/// crashed service leaves).
#[tokio::test]
async fn restore_refuses_a_running_service_and_keeps_the_old_database_whole() {
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
    let bin = env!("CARGO_BIN_EXE_chorus");
    let dir = tempfile::tempdir().expect("dir");
    let backup = dir.path().join("empty-backup.db");
    let run = |args: &[&str], url: &str| {
        Command::new(bin)
            .args(args)
            .env("CHORUS_DATABASE_URL", url)
            .env("CHORUS_SURVEYS_DIR", &app.settings.surveys_dir)
            .output()
            .expect("run")
    };
    // A backup of another, empty database.
    let other = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("other.db").display()
    );
    let out = run(&["backup", "--out", backup.to_str().expect("p")], &other);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The service holds its database: refused, nothing replaced.
    let out = run(
        &["restore", "--from", backup.to_str().expect("p")],
        &app.settings.database_url,
    );
    assert!(!out.status.success(), "restore under a running service");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("in use by a running Chorus service"),
        "{stderr}"
    );
    assert_eq!(csv(&app, &app.address).await.len(), 5, "still served whole");

    // What a crash leaves: the database file with its write-ahead log beside it, the
    // five responses committed in the log only.
    let live = app.settings.sqlite_file().expect("sqlite file");
    let crashed = dir.path().join("crashed");
    std::fs::create_dir_all(&crashed).expect("dir");
    let image = crashed.join("chorus.db");
    std::fs::copy(&live, &image).expect("copy db");
    let wal = std::fs::read(format!("{}-wal", live.display())).expect("the live -wal");
    assert!(!wal.is_empty(), "the responses are in the write-ahead log");
    std::fs::write(format!("{}-wal", image.display()), wal).expect("copy wal");

    let url = format!("sqlite://{}?mode=rwc", image.display());
    let out = run(&["restore", "--from", backup.to_str().expect("p")], &url);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(count_responses(&image).await, 0, "the backup is in place");
    assert_eq!(
        count_responses(&crashed.join("chorus.db.before-restore")).await,
        5,
        "the kept database has every committed response"
    );
}
