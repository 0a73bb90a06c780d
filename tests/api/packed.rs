//! Issue #19, the packed read path: responses are packed at ingest (demo and API alike),
//! and every output — `/analysis` with and without filters, the scores, the
//! cross-tabulation, the report (HTML and the spreadsheet's cells, on SQLite) and the CSV — is the
//! same byte for byte whether the analysis reads the packed answers, the JSON (packed
//! answers cleared, as for rows stored before the packed column existed), half and
//! half, or answers packed again by `chorus reindex`, on SQLite and PostgreSQL. A packed
//! value that cannot be read fails the analysis with a message naming the fix.

use chorus::startup::Application;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{TestApp, TOKEN};

both_backends!(
    outputs_are_the_same_from_packed_and_json_answers,
    the_service_packs_old_rows_when_it_starts
);

const CAMPAIGN: &str = "pingshun-2025";

/// A fresh server on the test's database (nothing cached), which leaves unpacked rows
/// as they are.
async fn fresh(app: &TestApp) -> String {
    let mut settings = app.settings.clone();
    settings.pack_on_start = false;
    let server = Application::build(settings)
        .await
        .expect("a fresh instance");
    let base = format!("http://127.0.0.1:{}", server.port());
    tokio::spawn(server.run_until_stopped());
    base
}

async fn get(app: &TestApp, base: &str, path: &str) -> Vec<u8> {
    let res = app
        .client
        .get(format!("{base}{path}"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 200, "{path}");
    let body = res.bytes().await.expect("body").to_vec();
    assert!(body.len() > 500, "{path} has content");
    body
}

/// What a fresh server answers for every output compared; with `reports`, the report
/// in HTML and the cells of its spreadsheet too (XLSX and DOCX carry their creation
/// time, so their content is compared; PDF and DOCX are laid out from the same model).
async fn outputs(app: &TestApp, reports: bool) -> Vec<(String, Vec<u8>)> {
    let base = fresh(app).await;
    let mut paths = vec![
        format!("/api/v1/campaigns/{CAMPAIGN}/analysis"),
        format!("/api/v1/campaigns/{CAMPAIGN}/analysis?sector=ecommerce"),
        format!("/api/v1/campaigns/{CAMPAIGN}/scores"),
        format!("/api/v1/campaigns/{CAMPAIGN}/crosstab?group=students&rows=q:bg_intern&target=q:bg_activities"),
        format!("/api/v1/campaigns/{CAMPAIGN}/crosstab?group=students&rows=attr:school&target=ind:TOTAL"),
        format!("/api/v1/campaigns/{CAMPAIGN}/responses.csv"),
    ];
    if reports {
        paths.push(format!("/api/v1/campaigns/{CAMPAIGN}/report.html"));
    }
    let mut out = Vec::new();
    for path in paths {
        let body = get(app, &base, &path).await;
        out.push((path, body));
    }
    if reports {
        let path = format!("/api/v1/campaigns/{CAMPAIGN}/report.xlsx");
        let cells = xlsx_cells(&get(app, &base, &path).await);
        out.push((path, cells));
    }
    out
}

/// Every sheet's name and cells, as text.
fn xlsx_cells(bytes: &[u8]) -> Vec<u8> {
    use calamine::{Reader, Xlsx};
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes.to_vec())).expect("xlsx");
    let mut text = String::new();
    for name in book.sheet_names() {
        let range = book.worksheet_range(&name).expect("sheet");
        text.push_str(&format!("## {name}\n"));
        for row in range.rows() {
            let cells: Vec<String> = row.iter().map(|c| c.to_string()).collect();
            text.push_str(&cells.join("\t"));
            text.push('\n');
        }
    }
    text.into_bytes()
}

async fn count(db: &sea_orm::DatabaseConnection, sql: &str) -> i64 {
    db.query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect("query")
        .expect("row")
        .try_get_by_index::<i64>(0)
        .expect("count")
}

/// The outputs of two stages agree byte for byte (on PostgreSQL too, whose heap order
/// moves when rows are updated: responses are read in the order they were stored).
fn assert_same(a: &[(String, Vec<u8>)], b: &[(String, Vec<u8>)], stage: &str) {
    assert_eq!(a.len(), b.len());
    for ((path, x), (_, y)) in a.iter().zip(b) {
        if x == y {
            continue;
        }
        let (x, y) = (String::from_utf8_lossy(x), String::from_utf8_lossy(y));
        let at = x
            .chars()
            .zip(y.chars())
            .position(|(p, q)| p != q)
            .unwrap_or(0);
        let near = |s: &str| {
            s.chars()
                .skip(at.saturating_sub(80))
                .take(200)
                .collect::<String>()
        };
        panic!(
            "{stage}: {path} differs at char {at}:\n{}\n---\n{}",
            near(&x),
            near(&y)
        );
    }
}

async fn outputs_are_the_same_from_packed_and_json_answers(app: TestApp) {
    let db = chorus::store::connect(&app.settings).await.expect("db");
    chorus::app::demo::fill(&db, CAMPAIGN, 400, 19)
        .await
        .expect("demo");
    // Through the API too: a choice, a multiple choice, an "other" text, a comment.
    let slug = "pingshun-2025-students";
    for i in 0..6 {
        let mut answers = app.valid_answers(slug, 2 + i % 3).await;
        answers.insert(
            "suggestion".into(),
            json!(format!("希望多安排顶岗实习 {i}")),
        );
        let body = json!({"response_id": uuid::Uuid::new_v4(), "answers": answers});
        let res = app
            .post_json(&format!("/api/v1/surveys/{slug}/responses"), &body)
            .await;
        assert_eq!(
            res.status(),
            201,
            "{}",
            res.text().await.unwrap_or_default()
        );
    }
    let total = count(&db, "SELECT count(*) FROM responses").await;
    assert_eq!(total, 406);
    assert_eq!(
        count(&db, "SELECT count(*) FROM responses WHERE packed IS NULL").await,
        0,
        "every response is packed when it is stored"
    );

    // The report is laid out from the same analysis on both backends: compared on
    // SQLite only, which keeps this test light beside the rest of the suite.
    let reports = app.settings.database_url.starts_with("sqlite");
    let packed = outputs(&app, reports).await;
    let analysis: Value = serde_json::from_slice(&packed[0].1).expect("json");
    assert!(
        analysis["composite"]["combined"]["mean"].is_f64(),
        "{analysis}"
    );

    // As rows stored before the packed column: read from their JSON.
    let cleared = chorus::store::packed::clear(&db, None)
        .await
        .expect("clear");
    assert_eq!(cleared, 406);
    assert_eq!(
        count(&db, "SELECT count(*) FROM responses WHERE packed IS NULL").await,
        406
    );
    assert_same(&packed, &outputs(&app, reports).await, "read from JSON");
    let packed: Vec<_> = packed
        .into_iter()
        .filter(|(path, _)| !path.contains("/report."))
        .collect();

    // Half packed, half JSON: the service's backfill stopped halfway.
    let mut seen = Vec::new();
    let p = chorus::app::reindex::pack_unpacked(&db, |p| seen.push(p.packed))
        .await
        .expect("pack");
    assert_eq!((p.packed, p.unreadable, p.total), (406, 0, 406));
    assert_eq!(seen, vec![406], "one batch");
    db.execute_unprepared(
        "UPDATE responses SET packed = NULL WHERE id IN (SELECT id FROM responses ORDER BY id LIMIT 200)",
    )
    .await
    .expect("unpack some");
    assert_same(&packed, &outputs(&app, false).await, "half packed");

    // `chorus reindex` rebuilds them all.
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_chorus"))
        .arg("reindex")
        .args(["--campaign", CAMPAIGN])
        .env("CHORUS_DATABASE_URL", &app.settings.database_url)
        .env("CHORUS_SURVEYS_DIR", &app.settings.surveys_dir)
        .output()
        .expect("chorus reindex");
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(stdout.contains("reindex: 406 responses packed"), "{stdout}");
    assert_eq!(
        count(&db, "SELECT count(*) FROM responses WHERE packed IS NULL").await,
        0
    );
    assert_same(&packed, &outputs(&app, false).await, "after chorus reindex");

    let unknown = std::process::Command::new(env!("CARGO_BIN_EXE_chorus"))
        .args(["reindex", "--campaign", "nope"])
        .env("CHORUS_DATABASE_URL", &app.settings.database_url)
        .env("CHORUS_SURVEYS_DIR", &app.settings.surveys_dir)
        .output()
        .expect("chorus reindex");
    assert!(!unknown.status.success());
    assert!(
        String::from_utf8_lossy(&unknown.stderr).contains("no campaign with key `nope`"),
        "{}",
        String::from_utf8_lossy(&unknown.stderr)
    );

    // A packed value that cannot be read is an error naming the fix, not wrong numbers.
    corrupt_one(&db).await;
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_chorus"))
        .args(["analyse", "--campaign", CAMPAIGN])
        .env("CHORUS_DATABASE_URL", &app.settings.database_url)
        .env("CHORUS_SURVEYS_DIR", &app.settings.surveys_dir)
        .output()
        .expect("chorus analyse");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(!run.status.success());
    assert!(
        stderr.contains("packed answers of format 9") && stderr.contains("run `chorus reindex`"),
        "{stderr}"
    );
}

/// Replaces one response's packed answers with bytes of another format.
async fn corrupt_one(db: &sea_orm::DatabaseConnection) {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
    let id: uuid::Uuid = chorus::entities::responses::Entity::find()
        .select_only()
        .column(chorus::entities::responses::Column::Id)
        .into_tuple()
        .one(db)
        .await
        .expect("query")
        .expect("a response");
    chorus::entities::responses::Entity::update_many()
        .col_expr(
            chorus::entities::responses::Column::Packed,
            sea_orm::sea_query::Expr::value(vec![9u8, 0, 0, 0, 0]),
        )
        .filter(chorus::entities::responses::Column::Id.eq(id))
        .exec(db)
        .await
        .expect("update");
}

/// Rows stored before the packed column (cleared here) are packed by the next `serve`
/// in the background; one whose answers cannot be read is skipped, not retried forever.
async fn the_service_packs_old_rows_when_it_starts(app: TestApp) {
    let db = chorus::store::connect(&app.settings).await.expect("db");
    chorus::app::demo::fill(&db, CAMPAIGN, 60, 3)
        .await
        .expect("demo");
    chorus::store::packed::clear(&db, None)
        .await
        .expect("clear");
    db.execute_unprepared(
        "UPDATE responses SET answers = 'not json' WHERE id IN (SELECT id FROM responses ORDER BY id LIMIT 1)",
    )
    .await
    .expect("corrupt one");
    let server = Application::build(app.settings.clone()).await.expect("app");
    tokio::spawn(server.run_until_stopped());
    let mut left = 60;
    for _ in 0..100 {
        left = count(&db, "SELECT count(*) FROM responses WHERE packed IS NULL").await;
        if left == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(left, 1, "all but the unreadable row packed");
    let p = chorus::app::reindex::pack_unpacked(&db, |_| {})
        .await
        .expect("pack");
    assert_eq!((p.packed, p.unreadable, p.total), (0, 1, 1));
}
