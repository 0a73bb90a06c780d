//! Issue #19, filtered views read only their own responses: once a pass over the whole
//! campaign has summarised its fine cells (kept per data version), a view under filters
//! reads the responses matching them and nothing else, and publishes exactly what a
//! pass over the whole campaign publishes, on SQLite and PostgreSQL: with and without
//! `[quality] exclude`, with duplicates whose earlier response lies outside the view,
//! and with a new response arriving (the summary of older data is not used). The open
//! answers of every view, analysed alone (the workspace's open-answer page), are those
//! of the full evaluation.

use chorus::app::analyse::{load_and_analyse, load_and_analyse_text};
use chorus::app::read::Summaries;
use chorus::config::DEFAULT_KEPT_RESPONDENTS;
use chorus::startup::Application;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde_json::json;

use crate::both_backends;
use crate::helpers::TestApp;

both_backends!(filtered_views_read_only_their_responses_and_publish_the_same);

const CAMPAIGN: &str = "pingshun-2025";
const STUDENTS: &str = "pingshun-2025-students";

/// Views compared: the campaign, one filter, two filters, a value nobody has.
fn views() -> Vec<Vec<(String, String)>> {
    [
        vec![],
        vec![("sector", "herbs")],
        vec![("sector", "ecommerce")],
        vec![("grade", "g2")],
        vec![("school", "pszg")],
        vec![("sector", "herbs"), ("grade", "g1")],
        vec![("sector", "nowhere")],
    ]
    .into_iter()
    .map(|v| {
        v.into_iter()
            .map(|(k, x)| (k.to_string(), x.to_string()))
            .collect()
    })
    .collect()
}

/// The analysis of a view as published (JSON) and how many responses it read; its
/// open answers analysed alone must be the full evaluation's.
async fn analysed(
    db: &DatabaseConnection,
    summaries: &Summaries,
    filters: &[(String, String)],
) -> (String, usize) {
    let a = load_and_analyse(db, summaries, CAMPAIGN, filters, true)
        .await
        .expect("analysis")
        .expect("campaign");
    let alone = load_and_analyse_text(db, summaries, CAMPAIGN, filters)
        .await
        .expect("open answers")
        .expect("campaign");
    let full = a.analysis.text.as_ref().expect("texts kept");
    assert_eq!(
        serde_json::to_string(full).expect("json"),
        serde_json::to_string(&alone.text).expect("json"),
        "{filters:?}: the open answers alone"
    );
    assert_eq!(alone.min_cell_size, a.analysis.method.min_cell_size);
    if filters.is_empty() {
        assert!(
            alone.text.groups.iter().any(|g| !g.terms.is_empty()),
            "the demo's open answers are counted"
        );
    }
    (
        serde_json::to_string(&a.analysis).expect("json"),
        a.responses,
    )
}

/// The analysis of a view without its open answers (what `/scores` and the workspace
/// compute), as published (JSON), and how many responses it read.
async fn scored(
    db: &DatabaseConnection,
    summaries: &Summaries,
    filters: &[(String, String)],
) -> (String, usize) {
    let a = load_and_analyse(db, summaries, CAMPAIGN, filters, false)
        .await
        .expect("analysis")
        .expect("campaign");
    assert!(a.analysis.text.is_none(), "{filters:?}: no open answers");
    (
        serde_json::to_string(&a.analysis).expect("json"),
        a.responses,
    )
}

/// Every view, from a pass over the whole campaign (nothing kept) and from `warm`'s
/// summary (selected from the campaign's kept frames, or a narrowed read when a flag
/// excludes), must agree byte for byte, with and without open answers; so must the
/// views from a summary kept by a filtered view without open answers (the kept frames
/// have them all the same), and from summaries allowed too few respondents to keep
/// frames.
async fn assert_views_agree(db: &DatabaseConnection, warm: &Summaries, stage: &str) {
    // The unfiltered view leaves the summary in `warm`.
    analysed(db, warm, &[]).await;
    let lean = Summaries::keeping_frames(DEFAULT_KEPT_RESPONDENTS);
    scored(db, &lean, &views()[1]).await;
    // Frames of more respondents than allowed are not kept: views read theirs.
    let tight = Summaries::keeping_frames(10);
    analysed(db, &tight, &[]).await;
    for filters in views() {
        let whole = scored(db, &Summaries::default(), &filters).await;
        for summaries in [warm, &lean, &tight] {
            assert_same(
                &whole,
                &scored(db, summaries, &filters).await,
                stage,
                &filters,
            );
        }
        let whole = analysed(db, &Summaries::default(), &filters).await;
        for summaries in [warm, &lean, &tight] {
            assert_same(
                &whole,
                &analysed(db, summaries, &filters).await,
                stage,
                &filters,
            );
        }
    }
}

/// The report of a view as laid out (its document as JSON: every number, chart and the
/// fieldwork period on the cover).
async fn reported(
    db: &DatabaseConnection,
    summaries: &Summaries,
    filters: &[(String, String)],
) -> (String, usize) {
    let request = chorus::app::report::ReportRequest {
        filters: filters.to_vec(),
        ..Default::default()
    };
    let (document, _) = chorus::app::report::load_report(db, summaries, CAMPAIGN, &request)
        .await
        .expect("report")
        .expect("campaign");
    (serde_json::to_string(&document).expect("json"), 0)
}

/// The reports of two filtered views from `warm`'s summary are those of a pass over the whole
/// campaign.
async fn assert_reports_agree(db: &DatabaseConnection, warm: &Summaries, stage: &str) {
    for filters in [&views()[1], &views()[5]] {
        let whole = reported(db, &Summaries::default(), filters).await;
        assert_same(&whole, &reported(db, warm, filters).await, stage, filters);
    }
}

/// Two publications of one view, with where they first differ.
fn assert_same(
    whole: &(String, usize),
    narrowed: &(String, usize),
    stage: &str,
    filters: &[(String, String)],
) {
    assert_eq!(whole.1, narrowed.1, "{stage} {filters:?}: responses read");
    if whole.0 != narrowed.0 {
        let at = whole
            .0
            .chars()
            .zip(narrowed.0.chars())
            .position(|(a, b)| a != b)
            .unwrap_or(0);
        let near = |s: &str| {
            s.chars()
                .skip(at.saturating_sub(100))
                .take(240)
                .collect::<String>()
        };
        panic!(
            "{stage} {filters:?} differs at char {at}:\n{}\n---\n{}",
            near(&whole.0),
            near(&narrowed.0)
        );
    }
}

/// With the campaign's frames kept in `warm`'s summary, a view reads no response at
/// all: with the responses table out of the way, every view (with and without open
/// answers) is still published, the same.
async fn views_read_nothing_while_the_frames_are_kept(db: &DatabaseConnection, warm: &Summaries) {
    let mut before = Vec::new();
    for filters in views() {
        before.push((
            analysed(db, warm, &filters).await,
            scored(db, warm, &filters).await,
        ));
    }
    let rename =
        |from: &str, to: &str| format!("ALTER TABLE responses{from} RENAME TO responses{to}");
    db.execute_unprepared(&rename("", "_away"))
        .await
        .expect("moved away");
    for (filters, before) in views().into_iter().zip(before) {
        let after = (
            analysed(db, warm, &filters).await,
            scored(db, warm, &filters).await,
        );
        assert_same(&before.0, &after.0, "kept, table away", &filters);
        assert_same(&before.1, &after.1, "kept, table away", &filters);
    }
    let cold = load_and_analyse(db, &Summaries::default(), CAMPAIGN, &[], false).await;
    assert!(cold.is_err(), "without the summary the responses are read");
    db.execute_unprepared(&rename("_away", ""))
        .await
        .expect("moved back");
}

/// One browser answering alike for two sectors in turn: from the second response on,
/// each is a duplicate of a response in the other sector, outside a sector's view.
async fn one_client_in_two_sectors(app: &TestApp, n: usize) {
    let mut answers = app.valid_answers(STUDENTS, 4).await;
    for i in 0..n {
        let sector = if i % 2 == 0 { "ecommerce" } else { "herbs" };
        answers.insert("bg_sector".into(), json!(sector));
        app.submit(STUDENTS, json!(answers)).await;
    }
}

/// The quality flags of the herbs report's raw-data sheet are those of the whole
/// campaign's export: the herbs response repeating the ecommerce one before it is a
/// duplicate in both.
async fn raw_sheet_flags_are_the_campaigns(
    app: &TestApp,
    db: &DatabaseConnection,
    warm: &Summaries,
) {
    let (header, rows) = app.export_csv(CAMPAIGN).await;
    let col = |name: &str| header.iter().position(|h| h == name).expect(name);
    let (id, flags) = (col("response_id"), col("quality_flags"));
    let whole: std::collections::BTreeMap<String, String> = rows
        .iter()
        .map(|r| (r[id].to_string(), r[flags].to_string()))
        .collect();
    let request = chorus::app::report::ReportRequest {
        filters: views()[1].clone(),
        ..Default::default()
    };
    let (_, raw) = chorus::app::report::load_report(db, warm, CAMPAIGN, &request)
        .await
        .expect("report")
        .expect("campaign");
    let col = |name: &str| {
        raw.responses_header
            .iter()
            .position(|h| h == name)
            .expect(name)
    };
    let (id, flags) = (col("response_id"), col("quality_flags"));
    let mut duplicates = 0;
    for r in &raw.responses {
        let (rid, f) = (r[id].csv(), r[flags].csv());
        assert_eq!(whole.get(&rid), Some(&f), "flags of {rid}");
        duplicates += usize::from(f.contains("duplicate"));
    }
    assert_eq!(
        duplicates, 3,
        "every herbs response of the one client repeats another"
    );
}

/// Replaces the packed answers of every response of `sector` with bytes of another
/// format (the data version does not change: no response is added).
async fn corrupt_sector(db: &DatabaseConnection, sector: &str) {
    use sea_orm::ConnectionTrait;
    let pair = format!("%\"sector\":\"{sector}\"%");
    let sql = match db.get_database_backend() {
        sea_orm::DatabaseBackend::Postgres => {
            "UPDATE responses SET packed = '\\x0900000000'::bytea WHERE attributes LIKE $1"
        }
        _ => "UPDATE responses SET packed = x'0900000000' WHERE attributes LIKE ?",
    };
    let done = db
        .execute_raw(sea_orm::Statement::from_sql_and_values(
            db.get_database_backend(),
            sql,
            [pair.into()],
        ))
        .await
        .expect("corrupt");
    assert!(done.rows_affected() > 0, "{sector} rows corrupted");
}

async fn filtered_views_read_only_their_responses_and_publish_the_same(app: TestApp) {
    let db = chorus::store::connect(&app.settings).await.expect("db");
    chorus::app::demo::fill(&db, CAMPAIGN, 300, 23)
        .await
        .expect("demo");
    one_client_in_two_sectors(&app, 6).await;
    let warm = Summaries::keeping_frames(DEFAULT_KEPT_RESPONDENTS);
    assert_views_agree(&db, &warm, "kept").await;
    assert_reports_agree(&db, &warm, "kept").await;
    raw_sheet_flags_are_the_campaigns(&app, &db, &warm).await;
    views_read_nothing_while_the_frames_are_kept(&db, &warm).await;

    // A new response changes the data version: the older summary is not used.
    analysed(&db, &warm, &[]).await;
    let (_, before) = analysed(&db, &warm, &views()[2]).await;
    one_client_in_two_sectors(&app, 1).await;
    let narrowed = analysed(&db, &warm, &views()[2]).await;
    let whole = analysed(&db, &Summaries::default(), &views()[2]).await;
    assert_eq!(narrowed, whole, "after a new response");
    assert_eq!(whole.1, before + 1, "the new ecommerce response is read");

    // With duplicates and speeders excluded (the campaign published again).
    let toml = app
        .settings
        .surveys_dir
        .join(CAMPAIGN)
        .join("campaign.toml");
    let text = std::fs::read_to_string(&toml).expect("campaign.toml");
    let edited = text.replace(
        "exclude = []",
        "exclude = [\"duplicate\", \"speeder\", \"straightlining\"]",
    );
    assert_ne!(text, edited, "the fixture names its exclusions");
    std::fs::write(&toml, edited).expect("write");
    let server = Application::build(app.settings.clone())
        .await
        .expect("published again");
    drop(server);
    let warm = Summaries::keeping_frames(DEFAULT_KEPT_RESPONDENTS);
    assert_views_agree(&db, &warm, "excluding").await;
    let herbs = analysed(&db, &warm, &views()[1]).await;

    // A narrowed view does not read other responses: with every tourism response
    // unreadable, the herbs view still answers from the summary, while a pass over the
    // whole campaign fails naming the fix.
    corrupt_sector(&db, "tourism").await;
    assert_eq!(analysed(&db, &warm, &views()[1]).await, herbs);
    let failed = load_and_analyse(&db, &Summaries::default(), CAMPAIGN, &views()[1], true)
        .await
        .err()
        .expect("the whole campaign cannot be read");
    assert!(
        format!("{failed:#}").contains("chorus reindex"),
        "{failed:#}"
    );
}
