//! Data quality (issue #17): answering times from the API, the page script and the
//! plain form; each flag firing and not firing on constructed respondents; what
//! `[quality] exclude` leaves out; the sensitivity table and its disclosure rule; the
//! flags in the raw export and the report.

use std::collections::BTreeMap;

use serde_json::{json, Value};
use uuid::Uuid;

use crate::both_backends;
use crate::helpers::TestApp;

both_backends!("tests/fixtures/quality" => flags_exclusion_and_sensitivity_follow_the_rules);
both_backends!(
    paradata_is_stored_without_changing_what_a_retry_is,
    the_plain_form_measures_from_the_served_time
);

#[tokio::test]
async fn duplicates_are_flagged_per_client_and_outlive_the_client_hash_sqlite() {
    duplicates_are_flagged_per_client_and_outlive_the_client_hash(crate::helpers::Backend::Sqlite)
        .await;
}

#[tokio::test]
async fn duplicates_are_flagged_per_client_and_outlive_the_client_hash_postgres() {
    duplicates_are_flagged_per_client_and_outlive_the_client_hash(
        crate::helpers::Backend::Postgres,
    )
    .await;
}

const SLUG: &str = "quality-students";

fn close(v: &Value, expected: f64) -> bool {
    v.as_f64().is_some_and(|x| (x - expected).abs() < 1e-6)
}

/// Stores one respondent of the fixture: `school`, the six matrix answers (0 = blank),
/// answered in `seconds`, the attention check answered as told; returns its id.
async fn respond(app: &TestApp, school: &str, answers: [i64; 6], seconds: u64) -> Uuid {
    respond_checked(app, school, answers, seconds, 4).await
}

/// [`respond`] with the attention check answered `check` (4 as told; 0 blank).
async fn respond_checked(
    app: &TestApp,
    school: &str,
    answers: [i64; 6],
    seconds: u64,
    check: i64,
) -> Uuid {
    let mut a = serde_json::Map::new();
    a.insert("school".into(), json!(school));
    if check > 0 {
        a.insert("check".into(), json!(check));
    }
    for (i, x) in answers.iter().enumerate() {
        if *x > 0 {
            a.insert(format!("q{}", i + 1), json!(x));
        }
    }
    let id = Uuid::new_v4();
    let body = json!({"response_id": id, "answers": a, "paradata": {"duration_s": seconds, "page_seconds": [seconds]}});
    // Each respondent on a phone of their own (else identical answers from one
    // browser are likely duplicates).
    let res = app
        .client
        .post(app.url(&format!("/api/v1/surveys/{SLUG}/responses")))
        .header("User-Agent", format!("phone-{id}"))
        .json(&body)
        .send()
        .await
        .expect("post");
    let status = res.status();
    assert_eq!(status, 201, "{}", res.text().await.unwrap_or_default());
    id
}

/// The raw export as (response id -> (duration_s, quality_flags)).
async fn exported(app: &TestApp, campaign: &str) -> BTreeMap<String, (String, String)> {
    let (header, rows) = app.export_csv(campaign).await;
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("column {name} in {header:?}"))
    };
    let (id, duration, flags) = (col("response_id"), col("duration_s"), col("quality_flags"));
    rows.iter()
        .map(|r| {
            (
                r[id].to_string(),
                (r[duration].to_string(), r[flags].to_string()),
            )
        })
        .collect()
}

/// Ten careful respondents (one too fast, one agreeing with an item and its reverse,
/// one choosing 2 on the attention check that says choose 4),
/// five straight-liners and one who left five of six statements blank. The fixture
/// excludes straight-lining only.
///
/// Composite by hand (5-point items, score = 100·(x−1)/4, reverse item flipped; A1 and
/// A2 weigh 0.5 each): [4,4,4,4,4,2] → 75; [4,4,4,5,4,4] → A1 75, A2 (4+3+1)/12 =
/// 66.667 → 70.833; [5,5,5,5,5,1] → 100; [3,3,3,3,3,3] → 50; a single answer is under
/// min_item_share and has no score. Python: statistics.mean([75]*4 + [70.8333…] +
/// [100]*5) = 87.083333; with the five 50s: 74.722222; difference 12.361111.
async fn flags_exclusion_and_sensitivity_follow_the_rules(app: TestApp) {
    // Arrange
    let mut ids = BTreeMap::new();
    // careful0 fails the attention check (chose 2 where told 4); careful1 skips it.
    for (i, check) in [2, 0, 4, 4].into_iter().enumerate() {
        ids.insert(
            format!("careful{i}"),
            respond_checked(&app, "s1", [4, 4, 4, 4, 4, 2], 300, check).await,
        );
    }
    ids.insert(
        "contradiction".into(),
        respond(&app, "s1", [4, 4, 4, 5, 4, 4], 300).await,
    );
    for i in 0..4 {
        ids.insert(
            format!("top{i}"),
            respond(&app, "s2", [5, 5, 5, 5, 5, 1], 300).await,
        );
    }
    ids.insert(
        "speeder".into(),
        respond(&app, "s2", [5, 5, 5, 5, 5, 1], 5).await,
    );
    for i in 0..5 {
        let school = if i < 3 { "s1" } else { "s2" };
        ids.insert(
            format!("straight{i}"),
            respond(&app, school, [3, 3, 3, 3, 3, 3], 300).await,
        );
    }
    ids.insert(
        "blank".into(),
        respond(&app, "s1", [4, 0, 0, 0, 0, 0], 300).await,
    );

    // Act
    let analysis: Value = app
        .get_auth("/api/v1/campaigns/quality/analysis")
        .await
        .json()
        .await
        .expect("json");
    let csv = exported(&app, "quality").await;

    // Assert: the straight-liners are left out of the scores ...
    let students = &analysis["composite"]["by_group"]["students"];
    assert!(close(&students["mean"], 87.083_333_333), "{students}");
    assert_eq!(students["n"], 10, "{students}");
    // ... each flag fires where built to, and nowhere else.
    let q = &analysis["quality"];
    let group = &q["groups"][0];
    assert_eq!(group["group"], "students");
    assert_eq!(group["responses"], 16, "{group}");
    assert_eq!(
        group["flagged"],
        json!([
            ["speeder", 1],
            ["straightlining", 5],
            ["contradiction", 1],
            ["nonresponse", 1],
            ["attention", 1],
            ["duplicate", 0]
        ]),
        "{group}"
    );
    assert_eq!(group["any"], 9);
    assert_eq!(group["excluded"], 5);
    assert_eq!(q["compared"], json!(["straightlining"]));
    assert_eq!(q["medians"][0]["timed"], 16);
    assert!(close(&q["medians"][0]["median_s"], 300.0), "{q}");
    let flags_of = |who: &str| csv[&ids[who].to_string()].1.clone();
    assert_eq!(flags_of("careful0"), "attention");
    assert_eq!(flags_of("careful1"), "", "a skipped check fails nothing");
    assert_eq!(flags_of("top0"), "");
    assert_eq!(flags_of("contradiction"), "contradiction");
    assert_eq!(flags_of("speeder"), "speeder");
    assert_eq!(flags_of("straight4"), "straightlining");
    assert_eq!(flags_of("blank"), "nonresponse");
    assert_eq!(csv[&ids["speeder"].to_string()].0, "5");
    assert_eq!(
        csv.len(),
        16,
        "the export keeps every response, flagged or not"
    );
    // The sensitivity table: with and without the excluded straight-liners (5 and 11
    // respondents, both at least the minimum cell of 5).
    let total = &q["sensitivity"][0];
    assert_eq!(total["code"], "TOTAL");
    let cell = &total["by_group"]["students"];
    assert!(close(&cell["with_flagged"], 74.722_222_222), "{cell}");
    assert!(close(&cell["without_flagged"], 87.083_333_333), "{cell}");
    assert!(close(&cell["difference"], 12.361_111_111), "{cell}");
    assert!(close(&total["combined"]["difference"], 12.361_111_111));

    // A filtered view gives no sensitivity table: differences between views could
    // isolate a few flagged responses.
    let s1: Value = app
        .get_auth("/api/v1/campaigns/quality/analysis?school=s1")
        .await
        .json()
        .await
        .expect("json");
    assert!(s1["quality"]["sensitivity"].is_null(), "{}", s1["quality"]);

    // The report says what was flagged and left out, in every language.
    let html = app
        .get_auth("/api/v1/campaigns/quality/report.html")
        .await
        .text()
        .await
        .expect("html");
    for needle in [
        "数据质量",
        "矩阵题同一答案",
        "敏感性分析",
        "+12.4",
        "74.7",
        "87.1",
    ] {
        assert!(html.contains(needle), "report lacks {needle}");
    }
    let en = app
        .get_auth("/api/v1/campaigns/quality/report.html?lang=en")
        .await
        .text()
        .await
        .expect("html");
    assert!(en.contains("Data quality") && en.contains("Straight-lining"));

    // The workspace's results explorer shows the same counts.
    let cookie = crate::workspace::login(&app, crate::helpers::TOKEN).await;
    let page = crate::workspace::html_of(&app, "/admin/campaigns/quality/results", &cookie).await;
    let table = &page[page.find("id=\"quality\"").expect("quality table")..];
    let row = |label: &str| {
        let start = table.find(label).unwrap_or_else(|| panic!("{label} row"));
        let end = table[start..].find("</tr>").expect("row end") + start;
        table[start..end].to_string()
    };
    assert!(row("矩阵题同一答案").contains("<td>5</td>"));
    assert!(row("任一标记").contains("<td>9</td>"));
    assert!(row("已剔除").contains("<td>5</td>"));
    assert!(page.contains("得分不含被标记为“矩阵题同一答案”的答卷"));
}

/// Fewer flagged respondents than the minimum cell: the sensitivity cell is withheld
/// (its difference would be the mean of those few).
#[tokio::test]
async fn a_sensitivity_cell_with_few_flagged_respondents_is_withheld() {
    let Some(app) = crate::helpers::spawn_app(
        crate::helpers::Backend::Sqlite,
        Some("tests/fixtures/quality"),
    )
    .await
    else {
        return;
    };
    for _ in 0..10 {
        respond(&app, "s1", [4, 4, 4, 4, 4, 2], 300).await;
    }
    for _ in 0..4 {
        respond(&app, "s2", [3, 3, 3, 3, 3, 3], 300).await;
    }
    let analysis: Value = app
        .get_auth("/api/v1/campaigns/quality/analysis")
        .await
        .json()
        .await
        .expect("json");
    let cell = &analysis["quality"]["sensitivity"][0]["by_group"]["students"];
    assert_eq!(cell["hidden"], true, "{cell}");
    assert!(cell["with_flagged"].is_null() && cell["difference"].is_null());
    assert!(analysis["quality"]["sensitivity"][0]["combined"]["hidden"] == true);
}

/// Paradata is stored with the response but is not part of its content: a retry with
/// other times is still a retry. Bad paradata is refused naming its field.
async fn paradata_is_stored_without_changing_what_a_retry_is(app: TestApp) {
    let answers = app.valid_answers("pingshun-2025-students", 4).await;
    let id = Uuid::new_v4();
    let path = "/api/v1/surveys/pingshun-2025-students/responses";
    let first = app
        .post_json(
            path,
            &json!({"response_id": id, "answers": answers, "paradata": {"duration_s": 412, "page_seconds": [100, 200, 112]}}),
        )
        .await;
    assert_eq!(first.status(), 201);
    let retry = app
        .post_json(
            path,
            &json!({"response_id": id, "answers": answers, "paradata": {"duration_s": 9}}),
        )
        .await;
    assert_eq!(retry.status(), 200, "a retry, whatever its times");
    let csv = exported(&app, "pingshun-2025").await;
    assert_eq!(csv[&id.to_string()].0, "412", "the first time is kept");

    let cases = [
        (json!({"duration_s": -1}), "paradata.duration_s"),
        (json!({"duration_s": 1_000_000}), "paradata.duration_s"),
        (json!({"duration_s": "fast"}), "paradata.duration_s"),
        (
            json!({"page_seconds": [1, 2.5]}),
            "paradata.page_seconds[1]",
        ),
        (json!({"page_seconds": 3}), "paradata.page_seconds"),
        (
            json!({"started_at": "2025-11-03T08:00:00Z"}),
            "paradata.started_at",
        ),
        (json!([1]), "paradata"),
    ];
    for (paradata, field) in cases {
        let res = app
            .post_json(
                path,
                &json!({"response_id": Uuid::new_v4(), "answers": answers, "paradata": paradata}),
            )
            .await;
        assert_eq!(res.status(), 422, "{paradata}");
        let body: Value = res.json().await.expect("json");
        assert_eq!(body["error"], "invalid_payload", "{paradata}: {body}");
        assert_eq!(body["field"], field, "{paradata}: {body}");
    }
    assert_eq!(app.stored_count().await, 1, "nothing bad was stored");
}

/// Without the page script, the time runs from when the page was served (its hidden
/// `served` field) to the post.
async fn the_plain_form_measures_from_the_served_time(app: TestApp) {
    let page = app
        .client
        .get(app.url("/s/pingshun-2025-teachers"))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    let field = |name: &str| {
        let marker = format!("name=\"{name}\" value=\"");
        let start = page.find(&marker).map(|i| i + marker.len())?;
        let end = page[start..].find('"')? + start;
        Some(page[start..end].to_string())
    };
    let served: i64 = field("served")
        .expect("served field")
        .parse()
        .expect("seconds");
    let id = field("response_id").expect("response id");
    let now = chrono::Utc::now().timestamp();
    assert!((served - now).abs() <= 5, "served {served}, now {now}");
    let answers = app.valid_answers("pingshun-2025-teachers", 4).await;
    let mut form: Vec<(String, String)> = vec![
        ("response_id".into(), id.clone()),
        // As if the page had been open for two minutes.
        ("served".into(), (served - 120).to_string()),
    ];
    for (k, v) in &answers {
        let v = match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        form.push((k.clone(), v));
    }
    let res = app
        .client
        .post(app.url("/s/pingshun-2025-teachers"))
        .form(&form)
        .send()
        .await
        .expect("post");
    assert_eq!(
        res.status(),
        303,
        "{}",
        res.text().await.unwrap_or_default()
    );
    let csv = exported(&app, "pingshun-2025").await;
    let seconds: i64 = csv[&id].0.parse().expect("a duration");
    assert!((120..=130).contains(&seconds), "{seconds} s");
}

/// Stores answers to the fixture from a browser named `agent`.
async fn respond_from(app: &TestApp, agent: &str, answers: [i64; 6]) -> Uuid {
    let mut a = serde_json::Map::new();
    a.insert("school".into(), json!("s1"));
    for (i, x) in answers.iter().enumerate() {
        a.insert(format!("q{}", i + 1), json!(x));
    }
    let id = Uuid::new_v4();
    let res = app
        .client
        .post(app.url(&format!("/api/v1/surveys/{SLUG}/responses")))
        .header("User-Agent", agent)
        .json(&json!({"response_id": id, "answers": a}))
        .send()
        .await
        .expect("post");
    let status = res.status();
    assert_eq!(status, 201, "{}", res.text().await.unwrap_or_default());
    id
}

/// The same answers twice from one browser within the hour: the second is a likely
/// duplicate; from another browser, or with other answers, nothing is. The keyed
/// client hashes are cleared when the campaign closes; the verdicts stay.
async fn duplicates_are_flagged_per_client_and_outlive_the_client_hash(
    backend: crate::helpers::Backend,
) {
    // Arrange: the fixture, closing a few seconds from now.
    let dir = tempfile::tempdir().expect("tempdir");
    crate::helpers::copy_dir(
        &crate::helpers::repo_path("tests/fixtures/quality"),
        dir.path(),
    );
    let file = dir.path().join("quality/students.toml");
    // Long enough for the steps before the close on a loaded machine.
    let closes = chrono::Utc::now() + chrono::Duration::seconds(20);
    let text = std::fs::read_to_string(&file).expect("read");
    let text = text.replacen(
        "[scale]",
        &format!("closes = \"{}\"\n\n[scale]", closes.to_rfc3339()),
        1,
    );
    std::fs::write(&file, text).expect("write");
    let surveys = dir.path().to_str().expect("utf-8 path");
    let Some(app) = crate::helpers::spawn_app(backend, Some(surveys)).await else {
        eprintln!("skipped: CHORUS_TEST_DATABASE_URL is not set");
        return;
    };
    let same = [4, 4, 4, 4, 5, 2];
    let first = respond_from(&app, "phone-a", same).await;
    let again = respond_from(&app, "phone-a", same).await;
    let other_phone = respond_from(&app, "phone-b", same).await;
    let other_answers = respond_from(&app, "phone-a", [1, 2, 5, 1, 3, 5]).await;

    // Act / Assert: flagged while the hashes are there ...
    let flags = |csv: &BTreeMap<String, (String, String)>, id: Uuid| csv[&id.to_string()].1.clone();
    let csv = exported(&app, "quality").await;
    assert_eq!(flags(&csv, first), "");
    assert_eq!(flags(&csv, again), "duplicate");
    assert_eq!(flags(&csv, other_phone), "", "another browser");
    assert_eq!(flags(&csv, other_answers), "", "other answers");
    let db = sea_orm::Database::connect(&app.settings.database_url)
        .await
        .expect("db");
    let hashes = client_hashes(&db).await;
    assert_eq!(hashes.len(), 4);
    for h in hashes.iter().flatten() {
        assert_eq!(h.len(), 16, "64 bits as hex: {h}");
        // Hex digits only, so no trace of the client's address ("127.0.0.1") in clear
        // (a random hash holds "127" in about one run in seventy: not a leak).
        assert!(h.chars().all(|c| c.is_ascii_hexdigit()), "{h}");
    }
    assert!(hashes.iter().all(Option::is_some));
    // ... nothing cleared while the questionnaire is open ...
    assert_eq!(
        chorus::app::quality::forget_closed_clients(&db)
            .await
            .expect("forget"),
        0
    );
    // ... and after it closes, the hashes are gone and the verdict stays.
    let left = (closes - chrono::Utc::now()).num_milliseconds().max(0) as u64 + 1000;
    tokio::time::sleep(std::time::Duration::from_millis(left)).await;
    assert_eq!(
        chorus::app::quality::forget_closed_clients(&db)
            .await
            .expect("forget"),
        4
    );
    assert!(client_hashes(&db).await.iter().all(Option::is_none));
    let csv = exported(&app, "quality").await;
    assert_eq!(flags(&csv, again), "duplicate");
    assert_eq!(flags(&csv, first), "");
    assert_eq!(flags(&csv, other_phone), "");
}

async fn client_hashes(db: &sea_orm::DatabaseConnection) -> Vec<Option<String>> {
    use sea_orm::{ConnectionTrait, Statement};
    db.query_all_raw(Statement::from_string(
        db.get_database_backend(),
        "SELECT client_hash FROM responses".to_string(),
    ))
    .await
    .expect("query")
    .iter()
    .map(|r| {
        r.try_get::<Option<String>>("", "client_hash")
            .expect("column")
    })
    .collect()
}
