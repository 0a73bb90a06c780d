//! Issue #8, roles: the installation token is an admin; admins issue tokens to
//! evaluators, optionally limited to one school. Each boundary is tested by trying to
//! cross it: a school's evaluator cannot see another school's results by URL or by filter
//! parameter, and evaluators cannot manage questionnaires, invitations, tokens or read
//! the audit log.

use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{TestApp, TOKEN};

both_backends!(
    school_evaluators_see_only_their_school,
    evaluators_cannot_manage,
    issued_tokens_log_into_the_evaluator_page
);

async fn issue(app: &TestApp, by: &str, body: Value) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/tokens"))
        .bearer_auth(by)
        .json(&body)
        .send()
        .await
        .expect("issue")
}

async fn get(app: &TestApp, token: &str, path: &str) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .expect("get")
}

fn schools_in_csv(csv: &str) -> Vec<String> {
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let col = header
        .iter()
        .position(|h| *h == "school")
        .expect("school column");
    lines
        .map(|l| l.split(',').nth(col).unwrap_or("").to_string())
        .collect()
}

async fn school_evaluators_see_only_their_school(app: TestApp) {
    let db = chorus::store::connect(&app.settings).await.expect("db");
    chorus::app::demo::fill(&db, "pingshun-2025", 400, 11)
        .await
        .expect("demo");
    let all_csv = get(&app, TOKEN, "/api/v1/campaigns/pingshun-2025/responses.csv")
        .await
        .text()
        .await
        .expect("csv");
    let all = schools_in_csv(&all_csv);
    let ours = all.iter().filter(|s| *s == "pszg").count();
    assert!(ours > 0 && ours < all.len(), "demo data has two schools");

    let created = issue(
        &app,
        TOKEN,
        json!({"role": "evaluator", "school": "pszg", "label": "平顺职高质量办"}),
    )
    .await;
    assert_eq!(created.status(), 201);
    let body: Value = created.json().await.expect("json");
    let token = body["token"].as_str().expect("token").to_string();
    assert_eq!(body["access"]["school"], "pszg");

    // Raw data: only their school's rows.
    let csv = get(
        &app,
        &token,
        "/api/v1/campaigns/pingshun-2025/responses.csv",
    )
    .await
    .text()
    .await
    .expect("csv");
    let rows = schools_in_csv(&csv);
    assert_eq!(rows.len(), ours, "{csv:.300}");
    assert!(rows.iter().all(|s| s == "pszg"));

    // Analysis and scores: computed over their school only.
    let analysis: Value = get(&app, &token, "/api/v1/campaigns/pingshun-2025/analysis")
        .await
        .json()
        .await
        .expect("analysis");
    let n: u64 = analysis["responses"]
        .as_object()
        .expect("responses")
        .values()
        .map(|v| v.as_u64().unwrap_or(0))
        .sum();
    assert_eq!(n as usize, ours);
    // A school's view has no breakdown by school: it would be the view itself under
    // another key (issue #14), and it never lists another school.
    assert!(
        analysis["breakdowns"]
            .as_array()
            .expect("breakdowns")
            .iter()
            .all(|b| b["attribute"] != "school"),
        "no breakdown by school in a school's view"
    );
    let admin_scores: Value = get(&app, TOKEN, "/api/v1/campaigns/pingshun-2025/scores")
        .await
        .json()
        .await
        .expect("scores");
    let our_scores: Value = get(&app, &token, "/api/v1/campaigns/pingshun-2025/scores")
        .await
        .json()
        .await
        .expect("scores");
    assert_ne!(admin_scores["responses"], our_scores["responses"]);

    // Another school by filter parameter: refused, for every report format.
    for ext in ["html", "xlsx"] {
        let r = get(
            &app,
            &token,
            &format!("/api/v1/campaigns/pingshun-2025/report.{ext}?school=other"),
        )
        .await;
        assert_eq!(r.status(), 403, "{ext}");
        let b: Value = r.json().await.expect("json");
        assert_eq!(b["error"], "forbidden");
    }
    // Their own school (explicitly or implicitly) is fine.
    let own = get(
        &app,
        &token,
        "/api/v1/campaigns/pingshun-2025/report.html?school=pszg",
    )
    .await;
    assert_eq!(own.status(), 200);
    let implicit = get(&app, &token, "/api/v1/campaigns/pingshun-2025/report.html")
        .await
        .text()
        .await
        .expect("html");
    assert!(
        implicit.contains("school = pszg"),
        "the report says it is filtered"
    );

    // Revoked: no access at all.
    let id = body["access"]["id"].as_i64().expect("id");
    let revoked = app
        .client
        .delete(app.url(&format!("/api/v1/tokens/{id}")))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("revoke");
    assert_eq!(revoked.status(), 204);
    assert_eq!(
        get(&app, &token, "/api/v1/campaigns/pingshun-2025/analysis")
            .await
            .status(),
        401
    );
}

async fn evaluators_cannot_manage(app: TestApp) {
    let body: Value = issue(
        &app,
        TOKEN,
        json!({"role": "evaluator", "label": "县教育局"}),
    )
    .await
    .json()
    .await
    .expect("json");
    let evaluator = body["token"].as_str().expect("token").to_string();
    // Reading results: allowed, all schools.
    assert_eq!(
        get(&app, &evaluator, "/api/v1/campaigns/pingshun-2025/scores")
            .await
            .status(),
        200
    );
    // Managing: refused with 403 forbidden.
    let slug = "pingshun-2025-students";
    let invite = app
        .client
        .post(app.url(&format!("/api/v1/surveys/{slug}/invitations")))
        .bearer_auth(&evaluator)
        .json(&json!({"count": 1}))
        .send()
        .await
        .expect("invite");
    assert_eq!(invite.status(), 403);
    let import = app
        .client
        .post(app.url("/api/v1/campaigns/pingshun-2025/xlsform?audience=students"))
        .bearer_auth(&evaluator)
        .body(vec![1u8, 2, 3])
        .send()
        .await
        .expect("import");
    assert_eq!(import.status(), 403);
    for path in [
        "/api/v1/audit",
        "/api/v1/tokens",
        "/api/v1/campaigns/pingshun-2025/participation",
    ] {
        assert_eq!(get(&app, &evaluator, path).await.status(), 403, "{path}");
    }
    let escalate = issue(&app, &evaluator, json!({"role": "admin", "label": "me"})).await;
    assert_eq!(escalate.status(), 403, "an evaluator cannot issue tokens");
    // An issued admin token can.
    let admin: Value = issue(&app, TOKEN, json!({"role": "admin", "label": "质量办主任"}))
        .await
        .json()
        .await
        .expect("json");
    let admin = admin["token"].as_str().expect("token").to_string();
    assert_eq!(get(&app, &admin, "/api/v1/audit").await.status(), 200);
    let bad = issue(&app, &admin, json!({"role": "owner", "label": "x"})).await;
    assert_eq!(bad.status(), 422);
    let b: Value = bad.json().await.expect("json");
    assert_eq!(b["field"], "role");
    // The log names who issued what.
    let log: Value = get(&app, &admin, "/api/v1/audit")
        .await
        .json()
        .await
        .expect("log");
    assert!(log["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .any(|e| e["action"] == "token.create" && e["target"] == "县教育局"));
}

/// The browser page accepts issued tokens too: a school's evaluator logs in, is told
/// which school they see, gets no all-school counts, downloads data of their school only
/// through the session cookie, and revoking the token ends the session at once.
async fn issued_tokens_log_into_the_evaluator_page(app: TestApp) {
    let db = chorus::store::connect(&app.settings).await.expect("db");
    chorus::app::demo::fill(&db, "pingshun-2025", 200, 5)
        .await
        .expect("demo");
    let body: Value = issue(
        &app,
        TOKEN,
        json!({"role": "evaluator", "school": "pszg", "label": "平顺职教中心质量办"}),
    )
    .await
    .json()
    .await
    .expect("json");
    let token = body["token"].as_str().expect("token").to_string();
    let id = body["access"]["id"].as_i64().expect("id");
    let login = app
        .client
        .post(app.url("/admin/login"))
        .header("Origin", app.address.as_str())
        .form(&[("token", token.as_str())])
        .send()
        .await
        .expect("login");
    assert_eq!(login.status(), 303);
    let cookie = login.headers()["set-cookie"]
        .to_str()
        .expect("cookie")
        .split(';')
        .next()
        .expect("pair")
        .to_string();
    let page = |c: String| {
        let app = &app;
        async move {
            app.client
                .get(app.url("/admin"))
                .header("Cookie", c)
                .send()
                .await
                .expect("page")
                .text()
                .await
                .expect("html")
        }
    };
    let html = page(cookie.clone()).await;
    assert!(html.contains("平顺职教中心质量办（评估员）"), "{html}");
    assert!(html.contains("仅可查看学校 <strong>pszg</strong>"));
    assert!(html.contains("退出登录"));
    assert!(
        !html.contains("有效问卷"),
        "no all-school counts for a school token"
    );
    let csv = app
        .client
        .get(app.url("/api/v1/campaigns/pingshun-2025/responses.csv"))
        .header("Cookie", cookie.as_str())
        .send()
        .await
        .expect("csv")
        .text()
        .await
        .expect("text");
    let schools = schools_in_csv(&csv);
    assert!(!schools.is_empty());
    assert!(schools.iter().all(|s| s == "pszg"), "{schools:?}");
    // Revoked: the cookie no longer opens the page or the data.
    let revoked = app
        .client
        .delete(app.url(&format!("/api/v1/tokens/{id}")))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("revoke");
    assert_eq!(revoked.status(), 204);
    let html = page(cookie.clone()).await;
    assert!(html.contains("id=\"token\""), "back to the login form");
    let csv = app
        .client
        .get(app.url("/api/v1/campaigns/pingshun-2025/responses.csv"))
        .header("Cookie", cookie.as_str())
        .send()
        .await
        .expect("csv");
    assert_eq!(csv.status(), 401);
    // A revoked token cannot log in again.
    let again = app
        .client
        .post(app.url("/admin/login"))
        .header("Origin", app.address.as_str())
        .form(&[("token", token.as_str())])
        .send()
        .await
        .expect("login");
    assert_eq!(again.status(), 401);
}
