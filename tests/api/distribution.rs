//! Issue #4: page weight, languages, survey states, quotas, invitations (each answers
//! once, prefilled attributes, resume), QR codes, response rates and the anonymity
//! guarantee — on SQLite and PostgreSQL.

use std::io::Read;

use sea_orm::{ConnectionTrait, Database, Statement};
use serde_json::json;

use crate::both_backends;
use crate::helpers::{TestApp, TOKEN};

both_backends!(
    first_page_fits_the_budget_and_speaks_both_languages,
    invitations_answer_once_prefill_resume_and_count
);
both_backends!("tests/fixtures/distribution" =>
    not_yet_open_closed_and_full_questionnaires_refuse_politely,
    a_retry_is_answered_as_a_retry_after_the_quota_and_the_cap_are_reached,
    concurrent_submissions_never_overshoot_a_quota_or_the_cap,
    quota_counts_match_attribute_values_exactly,
    anonymous_invitations_leave_no_link_to_the_answers
);

/// Every invitation row, every column as text, in id order.
async fn invitation_rows(db: &sea_orm::DatabaseConnection) -> Vec<String> {
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT id, token_hash, attributes, CAST(started_at AS TEXT) AS s, completed, CAST(completed_at AS TEXT) AS c, CAST(response_id AS TEXT) AS r, partial FROM invitations ORDER BY id".to_string(),
        ))
        .await
        .expect("invitations");
    rows.iter()
        .map(|r| {
            format!(
                "{:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?}",
                r.try_get::<i64>("", "id").ok(),
                r.try_get::<String>("", "token_hash").ok(),
                r.try_get::<String>("", "attributes").ok(),
                r.try_get::<Option<String>>("", "s").ok(),
                r.try_get::<bool>("", "completed").ok(),
                r.try_get::<Option<String>>("", "c").ok(),
                r.try_get::<Option<String>>("", "r").ok(),
                r.try_get::<Option<String>>("", "partial").ok(),
            )
        })
        .collect()
}

/// PostgreSQL's `xmin` of every row of `table` (the transaction that wrote it); empty
/// on SQLite, which keeps no such thing.
async fn xmins(db: &sea_orm::DatabaseConnection, table: &str) -> Vec<String> {
    if db.get_database_backend() != sea_orm::DatabaseBackend::Postgres {
        return Vec::new();
    }
    let rows = db
        .query_all_raw(Statement::from_string(
            sea_orm::DatabaseBackend::Postgres,
            format!("SELECT xmin::text AS x FROM {table} ORDER BY xmin::text"),
        ))
        .await
        .expect("xmin");
    rows.iter()
        .map(|r| r.try_get::<String>("", "x").expect("x"))
        .collect()
}

async fn get(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut req = app.client.get(app.url(path));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.expect("get")
}

/// The page budget of the issue: ≤ 40 KB uncompressed, ≤ 12 KB gzip on the wire.
async fn first_page_fits_the_budget_and_speaks_both_languages(app: TestApp) {
    for group in ["students", "teachers", "enterprises"] {
        let res = get(
            &app,
            &format!("/s/pingshun-2025-{group}"),
            &[("Accept-Encoding", "gzip")],
        )
        .await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-encoding"], "gzip");
        let wire = res.bytes().await.expect("bytes");
        let mut html = String::new();
        flate2::read::GzDecoder::new(&wire[..])
            .read_to_string(&mut html)
            .expect("gunzip");
        eprintln!(
            "page weight {group}: {} B uncompressed, {} B gzip",
            html.len(),
            wire.len()
        );
        assert!(
            html.len() <= 40 * 1024,
            "{group}: {} bytes uncompressed",
            html.len()
        );
        assert!(
            wire.len() <= 12 * 1024,
            "{group}: {} bytes gzip",
            wire.len()
        );
        assert!(html.contains("<html lang=\"zh-CN\">"));
    }
    // Content-Security-Policy: only the page's own inline script runs, by its hash.
    let res = get(&app, "/s/pingshun-2025-students", &[]).await;
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .expect("csp")
        .to_string();
    let html = res.text().await.expect("html");
    let script = html
        .rsplit("<script>")
        .next()
        .and_then(|r| r.split("</script>").next())
        .expect("inline script");
    let hash = {
        use base64::Engine;
        use sha2::Digest;
        base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(script.as_bytes()))
    };
    assert!(
        csp.contains(&format!("script-src 'sha256-{hash}'")),
        "{csp}"
    );
    assert!(csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"));
    let other = get(&app, "/s/pingshun-2025-students/thanks", &[]).await;
    let csp = other.headers()["content-security-policy"]
        .to_str()
        .expect("csp");
    assert!(
        !csp.contains("script-src"),
        "no script anywhere else: {csp}"
    );
    // Served from the per-version cache, each page still carries its own response_id.
    let mut ids = std::collections::HashSet::new();
    for _ in 0..3 {
        let wire = get(
            &app,
            "/s/pingshun-2025-students",
            &[("Accept-Encoding", "gzip")],
        )
        .await
        .bytes()
        .await
        .expect("bytes");
        let mut html = String::new();
        flate2::read::GzDecoder::new(&wire[..])
            .read_to_string(&mut html)
            .expect("gunzip");
        let id = html
            .split("name=\"response_id\" value=\"")
            .nth(1)
            .and_then(|r| r.get(..36))
            .expect("id");
        uuid::Uuid::parse_str(id).expect("a UUID");
        ids.insert(id.to_string());
    }
    assert_eq!(ids.len(), 3, "a fresh id per page");
    // Without gzip the same page comes uncompressed.
    let plain = get(&app, "/s/pingshun-2025-students", &[]).await;
    assert!(plain.headers().get("content-encoding").is_none());
    // ?lang=en switches the interface; an untranslated questionnaire keeps Chinese for
    // a browser that merely prefers English.
    let en = get(&app, "/s/pingshun-2025-students?lang=en", &[])
        .await
        .text()
        .await
        .expect("html");
    assert!(en.contains("<html lang=\"en\">") && en.contains(">Submit</button>"));
    assert!(en.contains("\"page\":\"Page {i} of {n}\""));
    let browser_en = get(
        &app,
        "/s/pingshun-2025-students",
        &[("Accept-Language", "en-US,en;q=0.9")],
    )
    .await
    .text()
    .await
    .expect("html");
    assert!(
        browser_en.contains("<html lang=\"zh-CN\">"),
        "no English texts: Chinese"
    );
}

async fn create_invitations(
    app: &TestApp,
    slug: &str,
    body: serde_json::Value,
) -> serde_json::Value {
    let res = app
        .client
        .post(app.url(&format!("/api/v1/surveys/{slug}/invitations")))
        .bearer_auth(TOKEN)
        .json(&body)
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 201);
    res.json().await.expect("json")
}

fn token_of(url: &str) -> String {
    url.split("?t=").nth(1).expect("token in link").to_string()
}

async fn invitations_answer_once_prefill_resume_and_count(app: TestApp) {
    let slug = "pingshun-2025-students";
    let path = format!("/api/v1/surveys/{slug}/invitations");
    let anonymous = app
        .client
        .post(app.url(&path))
        .json(&json!({"count": 1}))
        .send()
        .await
        .expect("post");
    assert_eq!(anonymous.status(), 401);
    for bad in [
        json!({"count": 0}),
        json!({"count": 5001}),
        json!({"count": 1, "attributes": {"Bad Name": "x"}}),
    ] {
        let res = app
            .client
            .post(app.url(&path))
            .bearer_auth(TOKEN)
            .json(&bad)
            .send()
            .await
            .expect("post");
        assert_eq!(res.status(), 422, "{bad}");
    }
    // Well-formed JSON of the wrong shape: 422 naming the path of the bad value.
    for (bad, field) in [
        (json!({"count": 1.5}), "count"),
        (json!({"count": "3"}), "count"),
        (
            json!({"count": 1, "attributes": {"school": 7}}),
            "attributes.school",
        ),
        (json!({"attributes": {}}), "count"),
    ] {
        let res = app
            .client
            .post(app.url(&path))
            .bearer_auth(TOKEN)
            .json(&bad)
            .send()
            .await
            .expect("post");
        assert_eq!(res.status(), 422, "{bad}");
        let err: serde_json::Value = res.json().await.expect("json");
        assert_eq!(err["error"], "invalid_payload", "{bad}: {err}");
        assert_eq!(err["field"], field, "{bad}: {err}");
    }
    // Labels are normalised to the codes the questionnaire records.
    let created = create_invitations(&app, slug, json!({"count": 3, "batch": "class-2-1", "attributes": {"school": "平顺县职业高级中学", "sector": "中药材"}})).await;
    assert_eq!(
        created["attributes"],
        json!({"school": "pszg", "sector": "herbs"})
    );
    let tokens: Vec<String> = created["invitations"]
        .as_array()
        .expect("list")
        .iter()
        .map(|i| token_of(i["url"].as_str().expect("url")))
        .collect();
    assert_eq!(tokens.len(), 3);
    assert!(tokens.iter().all(|t| t.len() == 20));

    // The printable sheet: one QR code per token.
    let sheet = app
        .client
        .post(app.url(&format!("{path}?format=html")))
        .bearer_auth(TOKEN)
        .json(&json!({"count": 2}))
        .send()
        .await
        .expect("post");
    assert_eq!(sheet.status(), 201);
    let sheet = sheet.text().await.expect("html");
    assert_eq!(sheet.matches("<svg").count(), 2, "one QR per invitation");
    assert_eq!(sheet.matches("?t=").count(), 2);

    // Opening the link: the sector question is prefilled from the invitation.
    let t = &tokens[0];
    let page = get(&app, &format!("/s/{slug}?t={t}"), &[])
        .await
        .text()
        .await
        .expect("html");
    assert!(
        page.contains("name=\"bg_sector\" value=\"herbs\" checked"),
        "prefilled"
    );
    assert!(page.contains(&format!("data-token=\"{t}\"")));
    // Answers saved as the respondent goes come back on the next visit (resume link).
    let saved = app
        .client
        .put(app.url(&format!("/api/v1/surveys/{slug}/partial")))
        .json(&json!({"token": t, "answers": {"S01": "2", "bg_activities": ["visit", "contest"], "nope": 1}}))
        .send()
        .await
        .expect("put");
    assert_eq!(saved.status(), 204);
    let resumed = get(&app, &format!("/s/{slug}?t={t}"), &[])
        .await
        .text()
        .await
        .expect("html");
    assert!(
        resumed.contains("name=\"S01\" value=\"2\" checked"),
        "resumed"
    );
    assert!(resumed.contains("name=\"bg_activities\" value=\"contest\" checked"));

    // Submitting with the token: attributes come from the invitation, which decides
    // (#14, item 14): an answer contradicting it is refused naming the question.
    let mut answers = app.valid_answers(slug, 4).await;
    answers.insert("bg_sector".into(), "ecommerce".into());
    let contradicting = app
        .post_json(
            &format!("/api/v1/surveys/{slug}/responses"),
            &json!({"response_id": uuid::Uuid::new_v4(), "answers": answers, "token": t}),
        )
        .await;
    assert_eq!(contradicting.status(), 422);
    let err: serde_json::Value = contradicting.json().await.expect("json");
    assert_eq!(
        (err["error"].as_str(), err["field"].as_str()),
        (Some("attribute_mismatch"), Some("bg_sector")),
        "{err}"
    );
    answers.insert("bg_sector".into(), "herbs".into());
    let id = uuid::Uuid::new_v4();
    let body = json!({"response_id": id, "answers": answers, "token": t});
    let first = app
        .post_json(&format!("/api/v1/surveys/{slug}/responses"), &body)
        .await;
    assert_eq!(first.status(), 201);
    let replay = app
        .post_json(&format!("/api/v1/surveys/{slug}/responses"), &body)
        .await;
    assert_eq!(
        replay.status(),
        200,
        "a retry of the same submission is not a reuse"
    );
    let reuse = app
        .post_json(
            &format!("/api/v1/surveys/{slug}/responses"),
            &json!({"response_id": uuid::Uuid::new_v4(), "answers": answers, "token": t}),
        )
        .await;
    assert_eq!(reuse.status(), 409);
    assert_eq!(
        reuse.json::<serde_json::Value>().await.expect("json")["error"],
        "token_used"
    );
    let used_page = get(&app, &format!("/s/{slug}?t={t}"), &[]).await;
    assert_eq!(used_page.status(), 409);
    assert!(used_page
        .text()
        .await
        .expect("html")
        .contains("这份邀请已经使用过了"));
    let unknown = get(&app, &format!("/s/{slug}?t=notarealtoken0000000"), &[]).await;
    assert_eq!(unknown.status(), 404);
    assert!(unknown.text().await.expect("html").contains("邀请码无效"));
    let unknown_api = app
        .post_json(&format!("/api/v1/surveys/{slug}/responses"), &json!({"response_id": uuid::Uuid::new_v4(), "answers": answers, "token": "notarealtoken0000000"}))
        .await;
    assert_eq!(unknown_api.status(), 404);
    let late_partial = app
        .client
        .put(app.url(&format!("/api/v1/surveys/{slug}/partial")))
        .json(&json!({"token": t, "answers": {}}))
        .send()
        .await
        .expect("put");
    assert_eq!(late_partial.status(), 409);
    // The form path refuses a used token too, with the friendly page.
    let mut form: Vec<(String, String)> = answers
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                v.as_str().map_or_else(|| v.to_string(), str::to_string),
            )
        })
        .collect();
    form.push(("t".into(), t.clone()));
    form.push(("response_id".into(), uuid::Uuid::new_v4().to_string()));
    let again = app
        .client
        .post(app.url(&format!("/s/{slug}")))
        .form(&form)
        .send()
        .await
        .expect("post");
    assert_eq!(again.status(), 409);

    let csv = app
        .get_auth("/api/v1/campaigns/pingshun-2025/responses.csv")
        .await
        .text()
        .await
        .expect("csv");
    assert_eq!(csv.lines().count(), 2, "one response");
    assert!(
        csv.contains(",herbs,pszg,"),
        "the invitation gives sector and school: {csv}"
    );

    // Response rates: 5 invited (3 + 2), 1 opened and answered, by attribute value.
    let rates: serde_json::Value = app
        .get_auth("/api/v1/campaigns/pingshun-2025/participation")
        .await
        .json()
        .await
        .expect("json");
    let students = rates["surveys"]
        .as_array()
        .expect("surveys")
        .iter()
        .find(|s| s["slug"] == slug)
        .expect("students");
    assert_eq!(students["invitations"]["invited"], 5);
    assert_eq!(students["invitations"]["started"], 1);
    assert_eq!(students["invitations"]["completed"], 1);
    assert!((students["invitations"]["rate"].as_f64().expect("rate") - 0.2).abs() < 1e-12);
    assert_eq!(students["by_attribute"]["school"]["pszg"]["invited"], 3);
    assert_eq!(students["by_attribute"]["school"]["pszg"]["completed"], 1);
    assert_eq!(students["responses"], 1);
    let anonymous = get(&app, "/api/v1/campaigns/pingshun-2025/participation", &[]).await;
    assert_eq!(anonymous.status(), 401);

    // The report's response table shows invited counts and the rate.
    let report = app
        .get_auth("/api/v1/campaigns/pingshun-2025/report.html")
        .await
        .text()
        .await
        .expect("html");
    let table = report
        .split("id=\"response-table\"")
        .nth(1)
        .expect("response table");
    let table = table.split("</table>").next().expect("end");
    assert!(table.contains(">5<") && table.contains("20.0%"), "{table}");

    // QR codes: the open link and one invitation, PNG and SVG; a poster.
    let png = app
        .get_auth(&format!("/api/v1/surveys/{slug}/qr.png"))
        .await;
    assert_eq!(png.headers()["content-type"], "image/png");
    assert!(png.bytes().await.expect("png").starts_with(b"\x89PNG"));
    let svg = app
        .get_auth(&format!("/api/v1/surveys/{slug}/qr.svg?t={}", tokens[1]))
        .await;
    assert_eq!(svg.status(), 200);
    assert!(svg.text().await.expect("svg").contains("<svg"));
    let missing = app
        .get_auth(&format!("/api/v1/surveys/{slug}/qr.svg?t=nope"))
        .await;
    assert_eq!(missing.status(), 404);
    let poster = app
        .get_auth(&format!("/api/v1/surveys/{slug}/poster"))
        .await
        .text()
        .await
        .expect("html");
    assert!(poster.contains("<svg") && poster.contains(&format!("/s/{slug}")));
    assert_eq!(
        get(&app, &format!("/api/v1/surveys/{slug}/qr.png"), &[])
            .await
            .status(),
        401
    );
}

async fn not_yet_open_closed_and_full_questionnaires_refuse_politely(app: TestApp) {
    let answers = |sector: &str| json!({"sector": sector, "Q1": 4});
    let submit = |slug: &'static str, sector: &'static str| {
        let app = &app;
        async move {
            app.post_json(
                &format!("/api/v1/surveys/{slug}/responses"),
                &json!({"response_id": uuid::Uuid::new_v4(), "answers": answers(sector)}),
            )
            .await
        }
    };
    // Not yet open: a page saying when; submissions refused with 403.
    let page = get(&app, "/s/states-students", &[]).await;
    assert_eq!(page.status(), 403);
    let text = page.text().await.expect("html");
    assert!(
        text.contains("问卷尚未开放") && text.contains("2099-09-01 08:00"),
        "{text}"
    );
    let res = submit("states-students", "herbs").await;
    assert_eq!(res.status(), 403);
    assert_eq!(
        res.json::<serde_json::Value>().await.expect("json")["error"],
        "survey_not_open"
    );
    // Closed: a clear page and 410 on submit (form and API).
    let page = get(&app, "/s/states-teachers", &[]).await;
    assert_eq!(page.status(), 410);
    assert!(page.text().await.expect("html").contains("问卷已结束"));
    let res = submit("states-teachers", "herbs").await;
    assert_eq!(res.status(), 410);
    assert_eq!(
        res.json::<serde_json::Value>().await.expect("json")["error"],
        "survey_closed"
    );
    let form = app
        .client
        .post(app.url("/s/states-teachers"))
        .form(&[
            ("sector", "herbs"),
            ("Q1", "4"),
            ("response_id", &uuid::Uuid::new_v4().to_string()),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(form.status(), 410);
    // Quota: one herbs respondent; a second gets the polite page (form) or 410 (API).
    assert_eq!(submit("states-enterprises", "herbs").await.status(), 201);
    let res = submit("states-enterprises", "herbs").await;
    assert_eq!(res.status(), 410);
    assert_eq!(
        res.json::<serde_json::Value>().await.expect("json")["error"],
        "quota_full"
    );
    let form = app
        .client
        .post(app.url("/s/states-enterprises"))
        .form(&[
            ("sector", "herbs"),
            ("Q1", "4"),
            ("response_id", &uuid::Uuid::new_v4().to_string()),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(form.status(), 410);
    assert!(form.text().await.expect("html").contains("该类别名额已满"));
    // Response cap: the second response fills it; then the questionnaire is full.
    assert_eq!(
        submit("states-enterprises", "ecommerce").await.status(),
        201
    );
    let res = submit("states-enterprises", "ecommerce").await;
    assert_eq!(res.status(), 410);
    assert_eq!(
        res.json::<serde_json::Value>().await.expect("json")["error"],
        "survey_full"
    );
    let page = get(&app, "/s/states-enterprises", &[]).await;
    assert_eq!(page.status(), 410);
    assert!(page.text().await.expect("html").contains("问卷已收满"));
    let csv = app
        .get_auth("/api/v1/campaigns/states/responses.csv")
        .await
        .text()
        .await
        .expect("csv");
    assert_eq!(
        csv.lines().count(),
        3,
        "exactly the two accepted responses: {csv}"
    );
}

/// Anonymous mode: the token is marked used, but nothing stored links it to the
/// answers — not the token, its hash or id, nor a time precise enough to join on.
async fn anonymous_invitations_leave_no_link_to_the_answers(app: TestApp) {
    let slug = "anon-students";
    let created = create_invitations(
        &app,
        slug,
        json!({"count": 3, "attributes": {"sector": "herbs"}}),
    )
    .await;
    let tokens: Vec<String> = created["invitations"]
        .as_array()
        .expect("list")
        .iter()
        .map(|i| token_of(i["url"].as_str().expect("url")))
        .collect();
    let db = Database::connect(&app.settings.database_url)
        .await
        .expect("db");
    let issued = invitation_rows(&db).await;
    let issued_xmins = xmins(&db, "invitations").await;
    // An English-preferring browser gets English on a translated questionnaire.
    let en = get(
        &app,
        &format!("/s/{slug}?t={}", tokens[0]),
        &[("Accept-Language", "en-GB,en;q=0.8,zh;q=0.5")],
    )
    .await
    .text()
    .await
    .expect("html");
    assert!(en.contains("<html lang=\"en\">") && en.contains("Anonymous questionnaire"));
    let saved = app
        .client
        .put(app.url(&format!("/api/v1/surveys/{slug}/partial")))
        .json(&json!({"token": tokens[0], "answers": {"Q1": "3"}}))
        .send()
        .await
        .expect("put");
    assert_eq!(saved.status(), 204);
    let mut ids = Vec::new();
    for t in &tokens[..2] {
        let id = uuid::Uuid::new_v4();
        let res = app
            .post_json(
                &format!("/api/v1/surveys/{slug}/responses"),
                // With paradata (#17): durations only, never a clock time.
                &json!({"response_id": id, "answers": {"sector": "herbs", "Q1": 4}, "token": t, "paradata": {"duration_s": 95, "page_seconds": [95]}}),
            )
            .await;
        assert_eq!(res.status(), 201);
        ids.push(id);
    }
    let reuse = app
        .post_json(&format!("/api/v1/surveys/{slug}/responses"), &json!({"response_id": uuid::Uuid::new_v4(), "answers": {"sector": "herbs", "Q1": 4}, "token": tokens[0]}))
        .await;
    assert_eq!(reuse.status(), 409, "still answers once");

    // Read the database as an attacker would.
    let backend = db.get_database_backend();
    // Regression (#14, defect 4): the invitation was marked used in the response's
    // transaction, so on PostgreSQL both rows carried the same xmin (and the order of
    // updated invitation rows followed the order of responses). Now no invitation row
    // of an anonymous questionnaire is written after it is issued: not when opened, not
    // for a draft, not when answered.
    assert_eq!(
        invitation_rows(&db).await,
        issued,
        "invitation rows unchanged since issue"
    );
    assert_eq!(xmins(&db, "invitations").await, issued_xmins);
    let response_xmins = xmins(&db, "responses").await;
    assert!(
        response_xmins.iter().all(|x| !issued_xmins.contains(x)),
        "no response shares a transaction with an invitation"
    );
    // Progress is still counted, from the ledger, exactly.
    let rates: serde_json::Value = app
        .get_auth("/api/v1/campaigns/anon/participation")
        .await
        .json()
        .await
        .expect("json");
    let rate = rates["surveys"]
        .as_array()
        .expect("surveys")
        .iter()
        .find(|s| s["slug"] == slug)
        .expect("anon-students")["invitations"]
        .clone();
    assert_eq!(
        (
            rate["invited"].as_u64(),
            rate["started"].as_u64(),
            rate["completed"].as_u64()
        ),
        (Some(3), Some(2), Some(2)),
        "{rate}"
    );
    // The ledger keys match no invitation's hash, and answered rows keep no draft.
    let ledger = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT key, draft, completed, started_on FROM anonymous_progress".to_string(),
        ))
        .await
        .expect("ledger");
    assert_eq!(ledger.len(), 2);
    for row in &ledger {
        let key: String = row.try_get("", "key").expect("key");
        assert!(!issued.iter().any(|r| r.contains(&key)), "unlinkable key");
        let draft: Option<String> = row.try_get("", "draft").expect("draft");
        assert!(draft.is_none(), "the draft goes with the answer");
        let day: String = row.try_get("", "started_on").expect("day");
        assert_eq!(day.len(), 10, "a day, never a time: {day}");
    }
    let inv = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT * FROM invitations WHERE survey_slug = 'anon-students' ORDER BY id".to_string(),
        ))
        .await
        .expect("invitations");
    assert_eq!(inv.len(), 3);
    for row in &inv {
        let completed: bool = row.try_get("", "completed").expect("completed");
        assert!(!completed, "the invitation row never says it was answered");
    }
    let hashes: Vec<String> = tokens
        .iter()
        .map(|t| chorus::store::invitations::token_hash(t))
        .collect();
    let resp = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT id, submitted_at, attributes, answers, fingerprint, duration_s, page_seconds, client_hash FROM responses".to_string(),
        ))
        .await
        .expect("responses");
    assert_eq!(resp.len(), 2);
    for row in &resp {
        // Paradata: seconds spent, stored as sent; nothing that dates the answering.
        let duration: Option<i32> = row.try_get("", "duration_s").expect("duration");
        let pages: Option<String> = row.try_get("", "page_seconds").expect("pages");
        assert_eq!((duration, pages.as_deref()), (Some(95), Some("[95]")));
        // No client hash for an anonymous questionnaire: it could join the access log.
        let client: Option<String> = row.try_get("", "client_hash").expect("client");
        assert_eq!(client, None);
        let at: chrono::DateTime<chrono::Utc> = row.try_get("", "submitted_at").expect("at");
        assert_eq!(
            at,
            at.date_naive()
                .and_hms_opt(0, 0, 0)
                .expect("midnight")
                .and_utc(),
            "the response keeps only its date"
        );
        let text = format!(
            "{}{}{}",
            row.try_get::<String>("", "attributes").expect("attributes"),
            row.try_get::<String>("", "answers").expect("answers"),
            row.try_get::<String>("", "fingerprint")
                .expect("fingerprint"),
        );
        for secret in tokens.iter().chain(hashes.iter()) {
            assert!(
                !text.contains(secret.as_str()),
                "no token or hash in the response"
            );
        }
        for r in &inv {
            let inv_id: i64 = r.try_get("", "id").expect("id");
            assert!(
                !text.contains(&format!("\"invitation\":{inv_id}")),
                "no invitation id"
            );
        }
    }
    // Two used invitations, two responses, identical in every stored respect that could
    // pair them: the link cannot be recovered.
    let attrs: Vec<String> = resp
        .iter()
        .map(|r| r.try_get::<String>("", "attributes").expect("a"))
        .collect();
    assert_eq!(attrs[0], attrs[1]);
}

/// Issue #14, defect 7: quotas and `max_responses` were counted before the insert, not
/// in the writer's transaction, so submissions arriving together all passed the check
/// (and the group-commit writer stored them in one batch).
async fn concurrent_submissions_never_overshoot_a_quota_or_the_cap(app: TestApp) {
    let url = "/api/v1/surveys/states-enterprises/responses";
    let burst = |sector: &'static str| {
        let app = &app;
        async move {
            let sends = (0..16).map(|_| async move {
                let body = json!({"response_id": uuid::Uuid::new_v4(), "answers": {"sector": sector, "Q1": 4}});
                let res = app.post_json(url, &body).await;
                let status = res.status().as_u16();
                let code = res.json::<serde_json::Value>().await.expect("json")["error"]
                    .as_str()
                    .map(str::to_string);
                (status, code)
            });
            futures_util::future::join_all(sends).await
        }
    };
    // The herbs quota is 1.
    let herbs = burst("herbs").await;
    assert_eq!(
        herbs.iter().filter(|(s, _)| *s == 201).count(),
        1,
        "{herbs:?}"
    );
    assert!(
        herbs
            .iter()
            .filter(|(s, _)| *s != 201)
            .all(|(s, c)| *s == 410 && c.as_deref() == Some("quota_full")),
        "{herbs:?}"
    );
    // The questionnaire takes 2 in all.
    let rest = burst("ecommerce").await;
    assert_eq!(
        rest.iter().filter(|(s, _)| *s == 201).count(),
        1,
        "{rest:?}"
    );
    assert!(
        rest.iter()
            .filter(|(s, _)| *s != 201)
            .all(|(s, c)| *s == 410 && c.as_deref() == Some("survey_full")),
        "{rest:?}"
    );
    let db = Database::connect(&app.settings.database_url)
        .await
        .expect("db");
    let stored = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT count(*) AS n FROM responses".to_string(),
        ))
        .await
        .expect("count")
        .and_then(|r| r.try_get::<i64>("", "n").ok());
    assert_eq!(stored, Some(2), "exactly the cap is stored");
}

/// Regression (#14, defect 13): quotas were counted with LIKE on the JSON text, which
/// ignores ASCII case on SQLite but not on PostgreSQL, so the two backends counted
/// differently.
async fn quota_counts_match_attribute_values_exactly(app: TestApp) {
    let url = "/api/v1/surveys/states-enterprises/responses";
    for school in ["PSZG", "pszg-east", "pszg"] {
        let body = json!({"response_id": uuid::Uuid::new_v4(), "answers": {"sector": "ecommerce", "Q1": 4}, "attributes": {"school": school}});
        let res = app.post_json(url, &body).await;
        if school == "pszg" {
            // max_responses = 2: the third is refused, which is not what is tested.
            assert_eq!(res.status(), 410);
        } else {
            assert_eq!(res.status(), 201, "{school}");
        }
    }
    let db = Database::connect(&app.settings.database_url)
        .await
        .expect("db");
    let count = |value: &'static str| {
        let db = db.clone();
        async move {
            chorus::store::responses::count_for_survey(
                &db,
                "states-enterprises",
                Some(("school", value)),
            )
            .await
            .expect("count")
        }
    };
    assert_eq!(count("pszg").await, 0, "neither PSZG nor pszg-east is pszg");
    assert_eq!(count("PSZG").await, 1);
    assert_eq!(count("pszg-east").await, 1);
    assert_eq!(count("psz").await, 0);
}

/// Issue #14, defect 6: the open/full/quota checks ran before the "already stored?"
/// lookup, so a retry of the very response that filled a quota or the questionnaire got
/// 410 and the page said 问卷已结束 although the answers were stored.
async fn a_retry_is_answered_as_a_retry_after_the_quota_and_the_cap_are_reached(app: TestApp) {
    let first = uuid::Uuid::new_v4();
    let body = |id: uuid::Uuid, sector: &str| json!({"response_id": id, "answers": {"sector": sector, "Q1": 4}});
    let url = "/api/v1/surveys/states-enterprises/responses";
    // This response fills the herbs quota (1).
    assert_eq!(
        app.post_json(url, &body(first, "herbs")).await.status(),
        201
    );
    assert_eq!(
        app.post_json(url, &body(uuid::Uuid::new_v4(), "herbs"))
            .await
            .status(),
        410
    );
    let retry = app.post_json(url, &body(first, "herbs")).await;
    assert_eq!(retry.status(), 200, "a retry after the quota filled");
    // This one fills the questionnaire (max_responses = 2).
    let last = uuid::Uuid::new_v4();
    assert_eq!(
        app.post_json(url, &body(last, "ecommerce")).await.status(),
        201
    );
    assert_eq!(
        app.post_json(url, &body(uuid::Uuid::new_v4(), "ecommerce"))
            .await
            .status(),
        410
    );
    let retry = app.post_json(url, &body(last, "ecommerce")).await;
    assert_eq!(
        retry.status(),
        200,
        "a retry after the questionnaire filled"
    );
    // The form: a resend of the stored response lands on the thanks page.
    let form = app
        .client
        .post(app.url("/s/states-enterprises"))
        .form(&[
            ("sector", "ecommerce"),
            ("Q1", "4"),
            ("response_id", &last.to_string()),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(form.status(), 303);
    assert!(form.headers()["location"]
        .to_str()
        .expect("location")
        .contains("/thanks"));
    // A different answer under a stored id is still a conflict, not a replay.
    assert_eq!(app.post_json(url, &body(last, "herbs")).await.status(), 409);
}
