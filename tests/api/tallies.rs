//! Issue #16 / #19, response tallies: the fieldwork counts come from tallies kept in the
//! same transaction as each response, so no workspace page groups every response. They
//! must count each stored response exactly once, whichever way it was stored (demo
//! generator, group-commit batch, invitation token, anonymous token, capped
//! questionnaire), never a replay, a conflict or a refused submission, and be rebuilt
//! identically by the migration's backfill and by `chorus reindex` — on SQLite and
//! PostgreSQL. The reference here is computed from the response rows by the test itself.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde_json::json;

use crate::both_backends;
use crate::helpers::{TestApp, TOKEN};

both_backends!(tallies_count_each_stored_response_once_and_rebuild_the_same);
both_backends!("tests/fixtures/distribution" =>
    tallies_follow_tokens_anonymous_answers_and_caps
);

const CAMPAIGN: &str = "pingshun-2025";
const STUDENTS: &str = "pingshun-2025-students";

/// (campaign, version, attributes text, day) → responses.
type Counts = BTreeMap<(i64, i64, String, String), i64>;

/// The responses counted from their own rows: the day is the Beijing-time date of
/// `submitted_at`, computed here.
async fn counted_from_responses(db: &DatabaseConnection) -> Counts {
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT campaign_id, survey_version_id, attributes, submitted_at FROM responses"
                .to_string(),
        ))
        .await
        .expect("responses");
    let mut out = Counts::new();
    for r in rows {
        let at: DateTime<Utc> = r.try_get("", "submitted_at").expect("submitted_at");
        let day = (at + Duration::hours(8)).format("%Y-%m-%d").to_string();
        let key = (
            r.try_get::<i64>("", "campaign_id").expect("campaign"),
            r.try_get::<i64>("", "survey_version_id").expect("version"),
            r.try_get::<String>("", "attributes").expect("attributes"),
            day,
        );
        *out.entry(key).or_default() += 1;
    }
    out
}

/// The tallies as stored, their shards summed; and how many rows they take.
async fn tallied(db: &DatabaseConnection) -> (Counts, usize) {
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT campaign_id, survey_version_id, attributes, day, shard, n FROM response_tallies"
                .to_string(),
        ))
        .await
        .expect("tallies");
    let mut out = Counts::new();
    for r in &rows {
        let key = (
            r.try_get::<i64>("", "campaign_id").expect("campaign"),
            r.try_get::<i64>("", "survey_version_id").expect("version"),
            r.try_get::<String>("", "attributes").expect("attributes"),
            r.try_get::<String>("", "day").expect("day"),
        );
        let shard: i16 = r.try_get("", "shard").expect("shard");
        assert!((0..chorus::store::tallies::SHARDS).contains(&shard));
        if db.get_database_backend() == sea_orm::DatabaseBackend::Sqlite {
            assert_eq!(shard, 0, "one writer, one row per key");
        }
        *out.entry(key).or_default() += r.try_get::<i64>("", "n").expect("n");
    }
    (out, rows.len())
}

/// The totals as stored, their shards summed: (campaign, version) → responses.
async fn totalled(db: &DatabaseConnection) -> BTreeMap<(i64, i64), i64> {
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT campaign_id, survey_version_id, shard, n FROM response_totals".to_string(),
        ))
        .await
        .expect("totals");
    let mut out = BTreeMap::new();
    for r in &rows {
        let key = (
            r.try_get::<i64>("", "campaign_id").expect("campaign"),
            r.try_get::<i64>("", "survey_version_id").expect("version"),
        );
        let shard: i16 = r.try_get("", "shard").expect("shard");
        assert!((0..chorus::store::tallies::SHARDS).contains(&shard));
        *out.entry(key).or_default() += r.try_get::<i64>("", "n").expect("n");
    }
    out
}

/// The tallies, and the totals per questionnaire version, equal the responses counted
/// from their rows.
pub async fn assert_tallies_match(db: &DatabaseConnection, stage: &str) {
    let expected = counted_from_responses(db).await;
    let mut per_version: BTreeMap<(i64, i64), i64> = BTreeMap::new();
    for ((campaign, version, _, _), n) in &expected {
        *per_version.entry((*campaign, *version)).or_default() += n;
    }
    assert_eq!(
        totalled(db).await,
        per_version,
        "{stage}: totals per (campaign, version)"
    );
    let (got, _) = tallied(db).await;
    assert!(!expected.is_empty(), "{stage}: responses stored");
    let wrong: Vec<_> = expected
        .keys()
        .chain(got.keys())
        .filter(|k| got.get(*k) != expected.get(*k))
        .map(|k| (k, got.get(k), expected.get(k)))
        .collect();
    assert!(
        wrong.is_empty(),
        "{stage}: (key, tallied, counted) {wrong:?}"
    );
}

/// Ten responses sent at once through the group-commit writer, each then sent again
/// (a retry, 200) and once with other answers (a conflict, 409).
async fn batch_with_retries_and_conflicts(app: &TestApp) {
    let answers = app.valid_answers(STUDENTS, 3).await;
    let bodies: Vec<serde_json::Value> = (0..10)
        .map(|i| {
            let mut a = answers.clone();
            a.insert(
                "bg_sector".into(),
                json!(["ecommerce", "herbs", "tourism"][i % 3]),
            );
            json!({"response_id": uuid::Uuid::new_v4(), "answers": a})
        })
        .collect();
    let url = format!("/api/v1/surveys/{STUDENTS}/responses");
    let send = |body: serde_json::Value| {
        let (app, url) = (app, url.clone());
        async move { app.post_json(&url, &body).await.status().as_u16() }
    };
    let first = futures_util::future::join_all(bodies.iter().cloned().map(send)).await;
    assert!(first.iter().all(|s| *s == 201), "{first:?}");
    let again = futures_util::future::join_all(bodies.iter().cloned().map(send)).await;
    assert!(again.iter().all(|s| *s == 200), "retries: {again:?}");
    let other = answers.clone().into_iter().map(|(k, v)| {
        let v = if v == json!(3) { json!(4) } else { v };
        (k, v)
    });
    let other: serde_json::Map<String, serde_json::Value> = other.collect();
    let conflict = send(json!({"response_id": bodies[0]["response_id"], "answers": other})).await;
    assert_eq!(conflict, 409, "same id, other answers");
}

/// The campaign's responses as the API's campaign list shows them (from the tallies).
async fn listed_total(app: &TestApp, key: &str) -> u64 {
    let list: serde_json::Value = app
        .get_auth("/api/v1/campaigns")
        .await
        .json()
        .await
        .expect("campaign list");
    list["campaigns"]
        .as_array()
        .expect("campaigns")
        .iter()
        .find(|c| c["key"] == key)
        .expect("campaign")["responses"]
        .as_u64()
        .expect("responses")
}

async fn tallies_count_each_stored_response_once_and_rebuild_the_same(app: TestApp) {
    let db = chorus::store::connect(&app.settings).await.expect("db");
    chorus::app::demo::fill(&db, CAMPAIGN, 120, 5)
        .await
        .expect("demo");
    batch_with_retries_and_conflicts(&app).await;
    assert_tallies_match(&db, "stored").await;
    let stored = counted_from_responses(&db).await.values().sum::<i64>() as u64;
    assert_eq!(listed_total(&app, CAMPAIGN).await, stored);

    // The migrations' backfills count what was stored before them (down three steps:
    // the tallies', the index step after it and the totals').
    let before = tallied(&db).await.0;
    use migrations::MigratorTrait;
    migrations::Migrator::down(&db, Some(3))
        .await
        .expect("down");
    migrations::Migrator::up(&db, None).await.expect("up");
    let (after, rows) = tallied(&db).await;
    assert_eq!(after, before, "backfilled");
    assert_eq!(rows, after.len(), "backfill writes one shard per key");
    assert_tallies_match(&db, "backfilled").await;

    // Tallies that went wrong are rebuilt by `chorus reindex`.
    db.execute_unprepared("UPDATE response_tallies SET n = n + 7")
        .await
        .expect("tamper");
    db.execute_unprepared("UPDATE response_totals SET n = n + 7")
        .await
        .expect("tamper with the totals");
    db.execute_unprepared(
        "INSERT INTO response_tallies (campaign_id, survey_version_id, attributes, day, shard, n) \
         VALUES (1, 1, '{\"sector\":\"ghost\"}', '2026-01-01', 3, 5)",
    )
    .await
    .expect("ghost");
    assert_ne!(listed_total(&app, CAMPAIGN).await, stored);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_chorus"))
        .arg("reindex")
        .env("CHORUS_DATABASE_URL", &app.settings.database_url)
        .env("CHORUS_SURVEYS_DIR", &app.settings.surveys_dir)
        .env("CHORUS_ADMIN_TOKEN", TOKEN)
        .output()
        .expect("reindex");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(
        stdout.contains(&format!("{} response tallies rebuilt", before.len())),
        "{stdout}"
    );
    assert_tallies_match(&db, "rebuilt").await;
    assert_eq!(listed_total(&app, CAMPAIGN).await, stored);
}

async fn tallies_follow_tokens_anonymous_answers_and_caps(app: TestApp) {
    let db = chorus::store::connect(&app.settings).await.expect("db");
    // Anonymous invitations: answered twice, once reused (refused).
    let created: serde_json::Value = app
        .client
        .post(app.url("/api/v1/surveys/anon-students/invitations"))
        .bearer_auth(TOKEN)
        .json(&json!({"count": 3, "attributes": {"sector": "herbs"}}))
        .send()
        .await
        .expect("post")
        .json()
        .await
        .expect("invitations");
    let tokens: Vec<String> = created["invitations"]
        .as_array()
        .expect("list")
        .iter()
        .map(|i| {
            let url = i["url"].as_str().expect("url");
            url.split("t=").nth(1).expect("token").to_string()
        })
        .collect();
    let url = "/api/v1/surveys/anon-students/responses";
    for t in &tokens[..2] {
        let body = json!({"response_id": uuid::Uuid::new_v4(), "answers": {"sector": "herbs", "Q1": 4}, "token": t});
        assert_eq!(app.post_json(url, &body).await.status(), 201);
    }
    let reuse = json!({"response_id": uuid::Uuid::new_v4(), "answers": {"sector": "herbs", "Q1": 4}, "token": tokens[0]});
    assert_eq!(app.post_json(url, &reuse).await.status(), 409);
    // A capped questionnaire refuses a burst beyond its quota inside the transaction.
    let capped = "/api/v1/surveys/states-enterprises/responses";
    let sends = (0..8).map(|_| async {
        let body =
            json!({"response_id": uuid::Uuid::new_v4(), "answers": {"sector": "herbs", "Q1": 4}});
        app.post_json(capped, &body).await.status().as_u16()
    });
    let statuses = futures_util::future::join_all(sends).await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_tallies_match(&db, "tokens and caps").await;
    let stored: i64 = counted_from_responses(&db).await.values().sum();
    assert_eq!(stored, 3, "two anonymous answers and one within the quota");
}
