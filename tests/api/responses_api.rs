//! The respondent JSON API: created, replayed, conflicting and every refusal.

use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::TestApp;

both_backends!(
    submission_is_created_then_replayed_then_conflicts,
    invalid_submissions_are_refused_with_codes,
    malformed_oversized_and_unknown_are_refused,
    definition_is_published_and_health_is_ok,
    concurrent_submissions_are_batched_and_each_acknowledged_once,
    unicode_free_text_round_trips_into_csv_and_report,
);

/// Mixed scripts, emoji (with modifiers and ZWJ), right-to-left and bidi controls and
/// zero-width characters in free text are stored faithfully, exported faithfully in the
/// CSV, and quoted escaped in the HTML report; markup stays inert. NUL is refused with a
/// message naming the question, and nothing is stored.
async fn unicode_free_text_round_trips_into_csv_and_report(app: TestApp) {
    let mut answers = app.valid_answers(SLUG, 4).await;
    answers.insert("suggestion".into(), json!("NUL[\u{0}]"));
    let nul = app
        .post_json(
            PATH,
            &json!({"response_id": uuid::Uuid::new_v4(), "answers": answers}),
        )
        .await;
    assert_eq!(nul.status(), 422);
    let b: Value = nul.json().await.expect("json");
    assert_eq!(
        (b["error"].as_str(), b["field"].as_str()),
        (Some("invalid_text"), Some("suggestion"))
    );
    assert_eq!(app.stored_count().await, 0);
    let text = "建议：多安排实践 👩🏽‍🍳 مرحبا שלום \u{202e}txt.exe a\u{200b}b\u{feff} <b>x</b> &amp;";
    answers.insert("suggestion".into(), json!(text));
    let id = uuid::Uuid::new_v4();
    let r = app
        .post_json(PATH, &json!({"response_id": id, "answers": answers}))
        .await;
    assert_eq!(r.status(), 201, "{:?}", r.text().await);
    // The same body again is a replay: what was stored is exactly what was sent.
    let again = app
        .post_json(PATH, &json!({"response_id": id, "answers": answers}))
        .await;
    assert_eq!(again.status(), 200);
    // Quotes appear once the group reaches the minimum cell size (10).
    let plain = app.valid_answers(SLUG, 3).await;
    for _ in 0..9 {
        let r = app
            .post_json(
                PATH,
                &json!({"response_id": uuid::Uuid::new_v4(), "answers": plain}),
            )
            .await;
        assert_eq!(r.status(), 201);
    }
    let csv = app
        .get_auth("/api/v1/campaigns/pingshun-2025/responses.csv")
        .await
        .text()
        .await
        .expect("csv");
    let mut reader =
        csv::ReaderBuilder::new().from_reader(csv.trim_start_matches('\u{feff}').as_bytes());
    let header = reader.headers().expect("header").clone();
    let col = header
        .iter()
        .position(|h| h == "suggestion")
        .expect("column");
    let stored: Vec<String> = reader
        .records()
        .map(|r| r.expect("row")[col].to_string())
        .collect();
    assert!(stored.iter().any(|s| s == text), "{stored:?}");
    let html = app
        .get_auth("/api/v1/campaigns/pingshun-2025/report.html")
        .await
        .text()
        .await
        .expect("html");
    assert!(html.contains("👩🏽‍🍳 مرحبا שלום"), "quoted faithfully");
    assert!(
        html.contains("&lt;b&gt;x&lt;/b&gt;") || html.contains("&#60;b&#62;x&#60;/b&#62;"),
        "markup escaped: {}",
        html.split("txt.exe")
            .nth(1)
            .unwrap_or("")
            .chars()
            .take(120)
            .collect::<String>()
    );
    assert!(!html.contains("<b>x</b>"));
    // Word: the quote is in document.xml, characters intact, markup as text.
    let docx = app
        .get_auth("/api/v1/campaigns/pingshun-2025/report.docx")
        .await
        .bytes()
        .await
        .expect("docx");
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(docx.to_vec())).expect("zip");
    let mut xml = String::new();
    std::io::Read::read_to_string(
        &mut zip.by_name("word/document.xml").expect("document.xml"),
        &mut xml,
    )
    .expect("utf-8");
    assert!(
        xml.contains("建议：多安排实践 👩🏽‍🍳 مرحبا שלום \u{202e}txt.exe a\u{200b}b"),
        "quoted faithfully in DOCX"
    );
    assert!(
        xml.contains("&lt;b&gt;x&lt;/b&gt; &amp;amp;"),
        "escaped in DOCX"
    );
    // Excel: the raw-responses sheet holds the exact text.
    let xlsx = app
        .get_auth("/api/v1/campaigns/pingshun-2025/report.xlsx")
        .await
        .bytes()
        .await
        .expect("xlsx");
    use calamine::Reader;
    let mut wb: calamine::Xlsx<_> =
        calamine::Xlsx::new(std::io::Cursor::new(xlsx.to_vec())).expect("xlsx");
    let sheet = wb.worksheet_range("responses").expect("responses sheet");
    assert!(
        sheet
            .rows()
            .flat_map(|r| r.iter())
            .any(|c| c == &calamine::Data::String(text.to_string())),
        "exact text in the XLSX"
    );
    // PDF: rendered (fonts for every script or a fallback), text extractable.
    let pdf = app
        .get_auth("/api/v1/campaigns/pingshun-2025/report.pdf")
        .await;
    assert_eq!(pdf.status(), 200);
    let pdf = pdf.bytes().await.expect("pdf");
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("r.pdf");
    std::fs::write(&path, &pdf).expect("write");
    let out = std::process::Command::new("pdftotext")
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext");
    let extracted = String::from_utf8_lossy(&out.stdout);
    assert!(extracted.contains("建议：多安排实践"), "quote in the PDF");
    for script in ["مرحبا", "שלום", "🍳"] {
        assert!(
            extracted.contains(script),
            "{script} in the PDF: {extracted}"
        );
    }
    // After U+202E (right-to-left override) the text is drawn reversed, as the writer
    // asked; the markup in it is still plain text.
    assert!(extracted.contains(">b/<x>b<"), "markup drawn as text");
}

const SLUG: &str = "pingshun-2025-enterprises";
const PATH: &str = "/api/v1/surveys/pingshun-2025-enterprises/responses";

async fn submission_is_created_then_replayed_then_conflicts(app: TestApp) {
    let answers = app.valid_answers(SLUG, 5).await;
    let id = uuid::Uuid::new_v4();
    let body = json!({"response_id": id, "answers": answers, "attributes": {"school": "平顺县职业高级中学"}});

    let created = app.post_json(PATH, &body).await;
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.expect("json");
    assert_eq!(created["response_id"], id.to_string());
    assert_eq!(created["survey"], SLUG);
    assert_eq!(created["version"], 1);

    let replay = app.post_json(PATH, &body).await;
    assert_eq!(replay.status(), 200);
    assert_eq!(
        replay.json::<Value>().await.expect("json"),
        created,
        "replay returns the same body"
    );

    let mut changed = body.clone();
    changed["answers"]["E01"] = json!(1);
    let conflict = app.post_json(PATH, &changed).await;
    assert_eq!(conflict.status(), 409);
    let err: Value = conflict.json().await.expect("json");
    assert_eq!(err["error"], "response_conflict");
    assert_eq!(app.stored_count().await, 1);
}

async fn invalid_submissions_are_refused_with_codes(app: TestApp) {
    let valid = app.valid_answers(SLUG, 3).await;
    let with = |k: &str, v: Value| {
        let mut a = valid.clone();
        a.insert(k.into(), v);
        a
    };
    let without = |k: &str| {
        let mut a = valid.clone();
        a.remove(k);
        a
    };
    // (what, answers, attributes, status, code, field)
    type Case<'a> = (
        &'a str,
        serde_json::Map<String, Value>,
        Value,
        u16,
        &'a str,
        &'a str,
    );
    let cases: Vec<Case> = vec![
        (
            "unknown question",
            with("Z99", json!(3)),
            json!({}),
            422,
            "unknown_question",
            "Z99",
        ),
        (
            "value above the scale",
            with("E01", json!(6)),
            json!({}),
            422,
            "out_of_scale",
            "E01",
        ),
        (
            "value below the scale",
            with("E01", json!(0)),
            json!({}),
            422,
            "out_of_scale",
            "E01",
        ),
        (
            "missing required answer",
            without("E02"),
            json!({}),
            422,
            "missing_answer",
            "E02",
        ),
        (
            "text for a scale item",
            with("E03", json!("很好")),
            json!({}),
            422,
            "wrong_type",
            "E03",
        ),
        (
            "number for a choice",
            with("bg_sector", json!(1)),
            json!({}),
            422,
            "wrong_type",
            "bg_sector",
        ),
        (
            "unknown choice code",
            with("bg_sector", json!("mining")),
            json!({}),
            422,
            "unknown_choice",
            "bg_sector",
        ),
        (
            "fraction for a scale item",
            with("E04", json!(3.5)),
            json!({}),
            422,
            "wrong_type",
            "E04",
        ),
        (
            "bad attribute name",
            valid.clone(),
            json!({"School Name": "x"}),
            422,
            "invalid_attribute",
            "attributes.School Name",
        ),
        (
            "attribute not a string",
            valid.clone(),
            json!({"school": 5}),
            422,
            "invalid_attribute",
            "attributes.school",
        ),
    ];
    for (what, answers, attributes, status, code, field) in cases {
        let body = json!({"response_id": uuid::Uuid::new_v4(), "answers": answers, "attributes": attributes});
        let res = app.post_json(PATH, &body).await;
        assert_eq!(res.status().as_u16(), status, "{what}");
        let err: Value = res.json().await.expect("json");
        assert_eq!(err["error"], code, "{what}: {err}");
        assert_eq!(err["field"], field, "{what}: {err}");
        assert!(
            err["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{what}"
        );
    }
    // Wrong shapes of the payload itself.
    let shape_cases = [
        ("no response_id", json!({"answers": valid}), "response_id"),
        (
            "response_id not a UUID",
            json!({"response_id": "abc", "answers": valid}),
            "response_id",
        ),
        (
            "response_id a number",
            json!({"response_id": 5, "answers": valid}),
            "response_id",
        ),
        (
            "no answers",
            json!({"response_id": uuid::Uuid::new_v4()}),
            "answers",
        ),
        (
            "unknown top-level field",
            json!({"response_id": uuid::Uuid::new_v4(), "answers": valid, "extra": 1}),
            "extra",
        ),
        (
            "attributes not an object",
            json!({"response_id": uuid::Uuid::new_v4(), "answers": valid, "attributes": "x"}),
            "attributes",
        ),
        (
            "answers not an object",
            json!({"response_id": uuid::Uuid::new_v4(), "answers": [1, 2]}),
            "answers",
        ),
    ];
    for (what, body, field) in shape_cases {
        let res = app.post_json(PATH, &body).await;
        assert_eq!(res.status(), 422, "{what}");
        let err: Value = res.json().await.expect("json");
        assert_eq!(err["error"], "invalid_payload", "{what}");
        assert_eq!(err["field"], field, "{what}: {err}");
    }
    assert_eq!(app.stored_count().await, 0, "nothing stored");
}

async fn malformed_oversized_and_unknown_are_refused(app: TestApp) {
    let malformed = app
        .client
        .post(app.url(PATH))
        .header("content-type", "application/json")
        .body("{\"response_id\": ")
        .send()
        .await
        .expect("request");
    assert_eq!(malformed.status(), 400);
    assert_eq!(
        malformed.json::<Value>().await.expect("json")["error"],
        "malformed_json"
    );

    let huge = format!(
        "{{\"response_id\": \"{}\", \"answers\": {{\"suggestion\": \"{}\"}}}}",
        uuid::Uuid::new_v4(),
        "长".repeat(200_000)
    );
    let too_large = app
        .client
        .post(app.url(PATH))
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .expect("request");
    assert_eq!(too_large.status(), 413);
    assert_eq!(
        too_large.json::<Value>().await.expect("json")["error"],
        "payload_too_large"
    );

    let unknown = app
        .post_json(
            "/api/v1/surveys/no-such-survey/responses",
            &json!({"response_id": uuid::Uuid::new_v4(), "answers": {}}),
        )
        .await;
    assert_eq!(unknown.status(), 404);
    let err: Value = unknown.json().await.expect("json");
    assert_eq!(err["error"], "not_found");
    assert_eq!(app.stored_count().await, 0);
}

async fn definition_is_published_and_health_is_ok(app: TestApp) {
    let health = app
        .client
        .get(app.url("/healthz"))
        .send()
        .await
        .expect("request");
    assert_eq!(health.status(), 200);

    let def: Value = app
        .client
        .get(app.url(&format!("/api/v1/surveys/{SLUG}")))
        .send()
        .await
        .expect("req")
        .json()
        .await
        .expect("json");
    assert_eq!(def["slug"], SLUG);
    assert_eq!(def["campaign"], "pingshun-2025");
    assert_eq!(def["definition"]["audience"], "enterprises");
    let likert = def["definition"]["sections"]
        .as_array()
        .expect("sections")
        .iter()
        .flat_map(|s| s["questions"].as_array().expect("questions").iter())
        .filter(|q| q["kind"]["type"] == "likert")
        .count();
    assert!((20..=30).contains(&likert), "{likert} Likert items");
}

/// Group commit: a burst of concurrent submissions, including the same response sent
/// twice at once and a conflicting reuse, is stored exactly once each and every
/// acknowledgement matches what is stored.
async fn concurrent_submissions_are_batched_and_each_acknowledged_once(app: TestApp) {
    let slug = "pingshun-2025-teachers";
    let answers = app.valid_answers(slug, 4).await;
    let mut other = answers.clone();
    let first_likert = other
        .iter()
        .find(|(_, v)| v.as_i64() == Some(4))
        .map(|(k, _)| k.clone())
        .expect("a likert item");
    other.insert(first_likert, 2.into());
    let ids: Vec<uuid::Uuid> = (0..150).map(|_| uuid::Uuid::new_v4()).collect();
    let twice = ids[0];
    let mut bodies: Vec<serde_json::Value> = ids
        .iter()
        .map(|id| serde_json::json!({"response_id": id, "answers": answers}))
        .collect();
    bodies.push(serde_json::json!({"response_id": twice, "answers": answers}));
    bodies.push(serde_json::json!({"response_id": ids[1], "answers": other}));
    let path = format!("/api/v1/surveys/{slug}/responses");
    let results = futures_like_join(&app, &path, bodies).await;
    let created = results.iter().filter(|s| **s == 201).count();
    let replayed = results.iter().filter(|s| **s == 200).count();
    let conflicts = results.iter().filter(|s| **s == 409).count();
    assert_eq!(created + replayed, 151, "{results:?}");
    assert!((149..=150).contains(&created), "{results:?}");
    assert_eq!(
        conflicts, 1,
        "the changed reuse of an id conflicts: {results:?}"
    );
    let csv = app
        .get_auth("/api/v1/campaigns/pingshun-2025/responses.csv")
        .await
        .text()
        .await
        .expect("csv");
    assert_eq!(csv.lines().count() - 1, 150, "stored once each");
}

/// Sends every body concurrently; returns the status codes.
async fn futures_like_join(app: &TestApp, path: &str, bodies: Vec<serde_json::Value>) -> Vec<u16> {
    let mut set = tokio::task::JoinSet::new();
    for body in bodies {
        let client = app.client.clone();
        let url = app.url(path);
        set.spawn(async move {
            client
                .post(url)
                .json(&body)
                .send()
                .await
                .expect("post")
                .status()
                .as_u16()
        });
    }
    let mut out = Vec::new();
    while let Some(r) = set.join_next().await {
        out.push(r.expect("task"));
    }
    out
}

/// Per-client submission limit: over the allowance a client gets 429 `rate_limited`
/// with `Retry-After` and nothing is stored; another client is unaffected; behind a
/// trusted proxy the forwarded address is the client, from anyone else the header is
/// ignored. Fails if the limit is removed (the 4th submission would be stored).
#[tokio::test]
async fn submissions_over_the_per_client_limit_get_429_and_are_not_stored() {
    use crate::helpers::{spawn_app_with, Backend};
    let app = spawn_app_with(Backend::Sqlite, None, |s| {
        s.submit_rate = 3;
        s.trusted_proxies = vec!["127.0.0.1".parse().expect("ip")];
    })
    .await
    .expect("sqlite");
    let answers = app.valid_answers(SLUG, 4).await;
    let post = |ip: &'static str| {
        let body = json!({"response_id": uuid::Uuid::new_v4(), "answers": answers});
        let req = app
            .client
            .post(app.url(PATH))
            .header("X-Forwarded-For", format!("198.51.100.1, {ip}"))
            .json(&body);
        async move { req.send().await.expect("post") }
    };
    for _ in 0..3 {
        assert_eq!(post("203.0.113.5").await.status(), 201);
    }
    let refused = post("203.0.113.5").await;
    assert_eq!(refused.status(), 429);
    let wait: u64 = refused
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After seconds");
    assert!((1..=60).contains(&wait), "{wait}");
    let body: Value = refused.json().await.expect("json");
    assert_eq!(body["error"], "rate_limited", "{body}");
    // The form and the partial save count against the same allowance.
    let form = app
        .client
        .post(app.url(&format!("/s/{SLUG}")))
        .header("X-Forwarded-For", "203.0.113.5")
        .header("Origin", app.address.clone())
        .form(&[("response_id", uuid::Uuid::new_v4().to_string())])
        .send()
        .await
        .expect("form");
    assert_eq!(form.status(), 429);
    // Another client behind the same proxy is not affected.
    assert_eq!(post("203.0.113.6").await.status(), 201);
    let csv = app
        .get_auth("/api/v1/campaigns/pingshun-2025/responses.csv")
        .await
        .text()
        .await
        .expect("csv");
    assert_eq!(
        csv.lines().count() - 1,
        4,
        "refused submissions are not stored"
    );

    // Without a trusted proxy the header is ignored: every request is 127.0.0.1's.
    let direct = spawn_app_with(Backend::Sqlite, None, |s| s.submit_rate = 2)
        .await
        .expect("sqlite");
    let mut codes = Vec::new();
    for ip in ["203.0.113.7", "203.0.113.8", "203.0.113.9"] {
        let body = json!({"response_id": uuid::Uuid::new_v4(), "answers": answers});
        let r = direct
            .client
            .post(direct.url(PATH))
            .header("X-Forwarded-For", ip)
            .json(&body)
            .send()
            .await
            .expect("post");
        codes.push(r.status().as_u16());
    }
    assert_eq!(codes, vec![201, 201, 429]);
}
