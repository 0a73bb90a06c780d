//! Evaluator endpoints require the token; the campaign list names every questionnaire.

use serde_json::Value;

use crate::both_backends;
use crate::helpers::TestApp;

both_backends!(
    evaluator_endpoints_require_the_token,
    campaigns_list_their_surveys,
    repeated_wrong_tokens_are_locked_out,
    a_session_cookie_is_not_the_token,
    sessions_end_with_their_time_and_token,
    cross_site_form_posts_are_refused,
    evaluator_actions_are_in_the_audit_log,
    every_read_and_download_is_audited_too
);

/// Audit log: publishing at start-up, invitations, a report download and the raw-data
/// export are recorded with actor, target, detail and address; reading the log needs the
/// token. Fails if any of these actions stops being recorded.
async fn evaluator_actions_are_in_the_audit_log(app: TestApp) {
    let slug = "pingshun-2025-teachers";
    let created = app
        .client
        .post(app.url(&format!("/api/v1/surveys/{slug}/invitations")))
        .bearer_auth(crate::helpers::TOKEN)
        .json(&serde_json::json!({"count": 2, "attributes": {"school": "平顺县职业高级中学"}}))
        .send()
        .await
        .expect("invite");
    assert_eq!(created.status(), 201, "{:?}", created.text().await);
    let report = app
        .get_auth("/api/v1/campaigns/pingshun-2025/report.xlsx?lang=en")
        .await;
    assert_eq!(report.status(), 200);
    let csv = app
        .get_auth("/api/v1/campaigns/pingshun-2025/responses.csv")
        .await;
    assert_eq!(csv.status(), 200);
    assert_eq!(
        app.client
            .get(app.url("/api/v1/audit"))
            .send()
            .await
            .expect("audit")
            .status(),
        401
    );
    let log: Value = app
        .get_auth("/api/v1/audit?limit=50")
        .await
        .json()
        .await
        .expect("json");
    let entries = log["entries"].as_array().expect("entries");
    let find = |action: &str| {
        entries
            .iter()
            .find(|e| e["action"] == action)
            .unwrap_or_else(|| panic!("{action} recorded: {log}"))
    };
    let publish = find("questionnaire.publish");
    assert_eq!(publish["actor"], "system:startup");
    let invite = find("invitations.create");
    assert_eq!(invite["actor"], "evaluator:token");
    assert_eq!(invite["target"], slug);
    assert_eq!(invite["detail"]["count"], 2);
    assert_eq!(invite["ip"], "127.0.0.1");
    let download = find("report.download");
    assert_eq!(download["target"], "pingshun-2025");
    assert_eq!(download["detail"]["format"], "xlsx");
    assert_eq!(find("responses.export")["target"], "pingshun-2025");
    // Newest first.
    assert_eq!(entries[0]["action"], "responses.export", "{log}");
}

/// CSRF: a state-changing request carrying the session cookie from another site is
/// refused; the same request from Chorus's own page (or a script with a bearer token)
/// goes through.
async fn cross_site_form_posts_are_refused(app: TestApp) {
    let login = |origin: &'static str| {
        app.client
            .post(app.url("/admin/login"))
            .header("Origin", origin)
            .form(&[("token", crate::helpers::TOKEN)])
            .send()
    };
    assert_eq!(
        login("http://evil.example").await.expect("post").status(),
        403
    );
    let own = app.address.clone();
    let ok = app
        .client
        .post(app.url("/admin/login"))
        .header("Origin", own.as_str())
        .form(&[("token", crate::helpers::TOKEN)])
        .send()
        .await
        .expect("post");
    assert_eq!(ok.status(), 303);
    let cookie = ok.headers()["set-cookie"]
        .to_str()
        .expect("cookie")
        .split(';')
        .next()
        .expect("pair")
        .to_string();
    // Creating invitations with the cookie from another site: refused before anything.
    let forged = app
        .client
        .post(app.url("/api/v1/surveys/pingshun-2025-students/invitations"))
        .header("Cookie", cookie.as_str())
        .header("Origin", "http://evil.example")
        .json(&serde_json::json!({"count": 1}))
        .send()
        .await
        .expect("post");
    assert_eq!(forged.status(), 403);
    assert_eq!(
        forged.json::<Value>().await.expect("json")["error"],
        "cross_site_request"
    );
    let same = app
        .client
        .post(app.url("/api/v1/surveys/pingshun-2025-students/invitations"))
        .header("Cookie", cookie.as_str())
        .header("Sec-Fetch-Site", "same-origin")
        .json(&serde_json::json!({"count": 1}))
        .send()
        .await
        .expect("post");
    assert_eq!(same.status(), 201);
    let logout = app
        .client
        .post(app.url("/admin/logout"))
        .header("Origin", "https://evil.example")
        .send()
        .await
        .expect("post");
    assert_eq!(logout.status(), 403);
}

/// Issue #8: after 10 wrong tokens from one address, further attempts (even the right
/// token) get 429 with Retry-After; respondents are not affected.
async fn repeated_wrong_tokens_are_locked_out(app: TestApp) {
    let path = "/api/v1/campaigns";
    for i in 0..10 {
        let res = app
            .client
            .get(app.url(path))
            .bearer_auth(format!("guess-{i}-0123456789abcdef"))
            .send()
            .await
            .expect("request");
        assert_eq!(res.status(), 401, "attempt {i}");
    }
    let locked = app.get_auth(path).await;
    assert_eq!(locked.status(), 429, "even the right token waits");
    let wait: u64 = locked.headers()["retry-after"]
        .to_str()
        .expect("header")
        .parse()
        .expect("seconds");
    assert!((1..=300).contains(&wait));
    assert_eq!(
        locked.json::<Value>().await.expect("json")["error"],
        "too_many_attempts"
    );
    let login = app
        .client
        .post(app.url("/admin/login"))
        .form(&[("token", crate::helpers::TOKEN)])
        .send()
        .await
        .expect("post");
    assert_eq!(login.status(), 429, "the login form too");
    // Missing tokens do not count, and respondents are not affected.
    let page = app
        .client
        .get(app.url("/s/pingshun-2025-students"))
        .send()
        .await
        .expect("get");
    assert_eq!(page.status(), 200);
}

/// Regression (#14, defect 10): `/scores`, the campaign list, participation, QR codes,
/// the poster, the XLSForm export and the token list were not audited, though the
/// documentation said every evaluator action is.
async fn every_read_and_download_is_audited_too(app: TestApp) {
    let slug = "pingshun-2025-students";
    for path in [
        "/api/v1/campaigns".to_string(),
        "/api/v1/campaigns/pingshun-2025/scores".to_string(),
        "/api/v1/campaigns/pingshun-2025/participation".to_string(),
        format!("/api/v1/surveys/{slug}/qr.svg"),
        format!("/api/v1/surveys/{slug}/poster"),
        format!("/api/v1/surveys/{slug}/xlsform"),
        "/api/v1/tokens".to_string(),
    ] {
        let res = app.get_auth(&path).await;
        assert!(res.status().is_success(), "{path}: {}", res.status());
    }
    let log: Value = app
        .get_auth("/api/v1/audit?limit=100")
        .await
        .json()
        .await
        .expect("json");
    let actions: Vec<&str> = log["entries"]
        .as_array()
        .or_else(|| log.as_array())
        .expect("entries")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for action in [
        "campaigns.list",
        "scores.view",
        "participation.view",
        "qr.render",
        "poster.render",
        "xlsform.export",
        "token.list",
    ] {
        assert!(actions.contains(&action), "{action} audited: {actions:?}");
    }
}

/// The workspace's cookie holds a random session id, never the token: the token itself
/// in the cookie logs nobody in, the database keeps only the id's SHA-256, the id is no
/// bearer token, misses on it do not lock the address out (a 256-bit id is no guess at
/// a token), and logging out ends the session for good.
async fn a_session_cookie_is_not_the_token(app: TestApp) {
    let token = crate::helpers::TOKEN;
    let admin = |cookie: String| {
        let app = &app;
        async move {
            let res = app
                .client
                .get(app.url("/admin"))
                .header("Cookie", cookie)
                .send()
                .await
                .expect("request");
            assert_eq!(res.status(), 200);
            res.text().await.expect("body").contains("/admin/logout")
        }
    };
    let cookie = crate::workspace::login(&app, token).await;
    let (name, id) = cookie.split_once('=').expect("name=value");
    assert_eq!(name, "chorus_session");
    assert_eq!(id.len(), 64, "256 bits in hex: {id}");
    assert!(!id.contains(token) && id != token);
    assert!(admin(cookie.clone()).await, "the session logs in");
    for forged in [
        format!("chorus_session={token}"),
        format!("chorus_token={token}"),
    ] {
        assert!(
            !admin(forged.clone()).await,
            "{forged}: the token is no session"
        );
    }
    let by_bearer = app
        .client
        .get(app.url("/api/v1/campaigns"))
        .bearer_auth(id)
        .send()
        .await
        .expect("request");
    assert_eq!(by_bearer.status(), 401, "a session id is no bearer token");

    let stored = session_rows(&app).await;
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert!(
        stored
            .iter()
            .all(|row| !row.contains(id) && !row.contains(token)),
        "only a digest is stored: {stored:?}"
    );

    for i in 0..12 {
        assert!(!admin(format!("chorus_session=miss-{i}")).await);
    }
    assert!(admin(cookie.clone()).await, "misses locked nobody out");
    assert_eq!(app.get_auth("/api/v1/campaigns").await.status(), 200);

    let logout = app
        .client
        .post(app.url("/admin/logout"))
        .header("Origin", app.address.as_str())
        .header("Cookie", cookie.clone())
        .send()
        .await
        .expect("logout");
    assert_eq!(logout.status(), 303);
    assert!(!admin(cookie).await, "a logged-out session is over");
    assert!(session_rows(&app).await.is_empty(), "and deleted");
}

/// A session ends with its time, and with the installation token it was opened with:
/// one opened for a replaced token (another key) or past its expiry opens nothing; the
/// key of a token is the same however often it is derived (every instance agrees).
async fn sessions_end_with_their_time_and_token(app: TestApp) {
    use chorus::store::sessions::{self, Holder};
    let db = sea_orm::Database::connect(&app.settings.database_url)
        .await
        .expect("connect");
    // The test service's token comes from the environment (CHORUS_ADMIN_TOKEN).
    let key = |token: &str| chorus::web::auth::session_key(token).expect("key");
    let current = Holder::Installation(key(crate::helpers::TOKEN));
    let replaced = Holder::Installation(key("the-token-before-it-was-replaced"));
    assert_eq!(current, Holder::Installation(key(crate::helpers::TOKEN)));
    let hours = chrono::Duration::hours(1);
    let live = sessions::open(&db, &current, hours).await.expect("open");
    let old = sessions::open(&db, &replaced, hours).await.expect("open");
    let expired = sessions::open(&db, &current, -chrono::Duration::seconds(1))
        .await
        .expect("open");
    let opens = |id: String| {
        let app = &app;
        async move {
            let res = app
                .client
                .get(app.url("/admin"))
                .header("Cookie", format!("chorus_session={id}"))
                .send()
                .await
                .expect("request");
            res.text().await.expect("body").contains("/admin/logout")
        }
    };
    assert!(opens(live).await, "the current token's session");
    assert!(!opens(old).await, "a replaced token's session");
    assert!(!opens(expired).await, "an expired session");
}

/// Every stored session row, its columns joined, as text.
async fn session_rows(app: &TestApp) -> Vec<String> {
    use sea_orm::{ConnectionTrait, Statement};
    let db = sea_orm::Database::connect(&app.settings.database_url)
        .await
        .expect("connect");
    let sql = "SELECT session_hash, COALESCE(install_key, ''), COALESCE(CAST(token_id AS TEXT), '') FROM evaluator_sessions";
    db.query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect("query")
        .iter()
        .map(|row| {
            (0..3)
                .map(|i| row.try_get_by_index::<String>(i).expect("text"))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

const ENDPOINTS: [&str; 6] = [
    "/api/v1/campaigns",
    "/api/v1/audit",
    "/api/v1/campaigns/pingshun-2025/analysis",
    "/api/v1/campaigns/pingshun-2025/scores",
    "/api/v1/campaigns/pingshun-2025/responses.csv",
    "/api/v1/campaigns/pingshun-2025/report.html",
];

async fn evaluator_endpoints_require_the_token(app: TestApp) {
    for path in ENDPOINTS {
        let none = app.client.get(app.url(path)).send().await.expect("request");
        assert_eq!(none.status(), 401, "{path} without a token");
        assert_eq!(
            none.json::<Value>().await.expect("json")["error"],
            "unauthorized"
        );

        let wrong = app
            .client
            .get(app.url(path))
            .bearer_auth("not-the-token-at-all")
            .send()
            .await
            .expect("request");
        assert_eq!(wrong.status(), 401, "{path} with a wrong token");

        let basic = app
            .client
            .get(app.url(path))
            .basic_auth("admin", Some("x"))
            .send()
            .await
            .expect("request");
        assert_eq!(basic.status(), 401, "{path} with basic auth");

        let ok = app.get_auth(path).await;
        assert_eq!(ok.status(), 200, "{path} with the token");
    }
    let unknown = app.get_auth("/api/v1/campaigns/nope/scores").await;
    assert_eq!(unknown.status(), 404);
}

async fn campaigns_list_their_surveys(app: TestApp) {
    let body: Value = app
        .get_auth("/api/v1/campaigns")
        .await
        .json()
        .await
        .expect("json");
    let campaigns = body["campaigns"].as_array().expect("campaigns");
    assert_eq!(campaigns.len(), 1);
    let c = &campaigns[0];
    assert_eq!(c["key"], "pingshun-2025");
    let audiences: Vec<&str> = c["surveys"]
        .as_array()
        .expect("surveys")
        .iter()
        .map(|s| s["audience"].as_str().expect("a"))
        .collect();
    assert_eq!(audiences, ["students", "teachers", "enterprises"]);
    for s in c["surveys"].as_array().expect("surveys") {
        let slug = s["slug"].as_str().expect("slug");
        assert_eq!(s["url"], format!("/s/{slug}"));
    }
}
