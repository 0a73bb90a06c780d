//! Issue #16, the evaluator workspace's fieldwork monitor: after logging in on
//! `/admin`, `/admin/campaigns/{key}/fieldwork` shows the responses per questionnaire
//! (the same totals the API counts), per day (chart and data table), per unit, and the
//! invitation batches; a school's token sees nothing of another school; no session
//! goes back to the login. The results explorer shows, for up to two filters combined,
//! exactly what the gated analysis publishes for that view, and refuses a third.
//! Benchmarking lists every published school and sector against the county with a
//! funnel plot, and hidden units without figures. Admins issue, list and revoke tokens
//! on `/admin/tokens` with same-origin forms; a revoked token no longer logs in.

use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{TestApp, TOKEN};

both_backends!(
    the_fieldwork_monitor_counts_what_is_stored_within_the_token_scope,
    the_results_explorer_shows_what_the_gate_publishes_for_combined_filters,
    benchmarking_compares_published_units_with_the_county,
    admins_issue_list_and_revoke_tokens_from_the_page,
    an_admin_issues_a_batch_from_the_fieldwork_page_and_gets_its_qr_sheet,
    the_fieldwork_monitor_refreshes_itself_and_the_audit_records_the_watcher_once
);

pub(crate) async fn login(app: &TestApp, token: &str) -> String {
    let res = app
        .client
        .post(app.url("/admin/login"))
        .header("Origin", app.address.as_str())
        .form(&[("token", token)])
        .send()
        .await
        .expect("login");
    assert_eq!(res.status(), 303);
    res.headers()["set-cookie"]
        .to_str()
        .expect("cookie")
        .split(';')
        .next()
        .expect("pair")
        .to_string()
}

/// The audit trail as the admin reads it.
pub(crate) async fn audit_trail(app: &TestApp) -> Value {
    app.client
        .get(app.url("/api/v1/audit"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("audit")
        .json()
        .await
        .expect("json")
}

/// A page's HTML, with a session cookie.
pub(crate) async fn html_of(app: &TestApp, path: &str, cookie: &str) -> String {
    app.client
        .get(app.url(path))
        .header("Cookie", cookie)
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html")
}

/// A school evaluator's token for `school`, issued by the admin.
pub(crate) async fn school_token(app: &TestApp, school: &str) -> String {
    let body: Value = app
        .client
        .post(app.url("/api/v1/tokens"))
        .bearer_auth(TOKEN)
        .json(&json!({"role": "evaluator", "school": school, "label": "学校质量办"}))
        .send()
        .await
        .expect("issue")
        .json()
        .await
        .expect("json");
    body["token"].as_str().expect("token").to_string()
}

async fn page(app: &TestApp, cookie: Option<&str>) -> reqwest::Response {
    let mut req = app
        .client
        .get(app.url("/admin/campaigns/pingshun-2025/fieldwork"));
    if let Some(c) = cookie {
        req = req.header("Cookie", c);
    }
    req.send().await.expect("page")
}

async fn the_fieldwork_monitor_counts_what_is_stored_within_the_token_scope(app: TestApp) {
    let db = chorus::store::connect(&app.settings).await.expect("db");
    chorus::app::demo::fill(&db, "pingshun-2025", 120, 3)
        .await
        .expect("demo");
    let slug = "pingshun-2025-students";
    let res = app
        .client
        .post(app.url(&format!("/api/v1/surveys/{slug}/invitations")))
        .bearer_auth(TOKEN)
        .json(&json!({"count": 4, "attributes": {"school": "pszg"}, "batch": "二班-第一批"}))
        .send()
        .await
        .expect("invite");
    assert_eq!(res.status(), 201);

    // No session: back to the login.
    let anon = page(&app, None).await;
    assert_eq!(anon.status(), 303);
    assert_eq!(anon.headers()["location"], "/admin");

    let cookie = login(&app, TOKEN).await;
    let res = page(&app, Some(&cookie)).await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.expect("html");
    let list: Value = app
        .client
        .get(app.url("/api/v1/campaigns"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    let total = list["campaigns"]
        .as_array()
        .expect("campaigns")
        .iter()
        .find(|c| c["key"] == "pingshun-2025")
        .expect("campaign")["responses"]
        .as_u64()
        .expect("n");
    assert!(total > 0);
    assert!(
        html.contains(&format!(
            "累计 · total<strong data-total=\"{total}\">{total}</strong>"
        )),
        "{html}"
    );
    // The campaigns page: each campaign's state and responses today / this week / total.
    let campaigns = html_of(&app, "/admin", &cookie).await;
    assert!(
        campaigns.contains(&format!("累计 · total <strong>{total}</strong>")),
        "{campaigns}"
    );
    assert!(
        campaigns.contains("状态 <span class=\"badge\">"),
        "{campaigns}"
    );
    assert!(campaigns.contains("/admin/campaigns/pingshun-2025/fieldwork"));
    // The chart and its data table: the days add up to the total.
    assert!(
        html.contains("<svg") && html.contains("每日回收答卷"),
        "chart"
    );
    let days: u64 = html
        .split("<tr><td>")
        .skip(1)
        .filter_map(|row| {
            let (day, rest) = row.split_once("</td><td class=\"num\">")?;
            (day.len() == 10 && day.as_bytes()[4] == b'-')
                .then(|| rest.split('<').next()?.parse::<u64>().ok())?
        })
        .sum();
    assert_eq!(days, total, "the per-day table sums to the total: {html}");
    // Units by school, and the batch with its four invitations.
    assert!(html.contains("学校"), "units by school");
    assert!(
        html.contains("<th scope=\"row\">二班-第一批</th>"),
        "{html}"
    );
    assert!(html.contains("school=pszg</td><td class=\"num\">4</td>"));

    // A response stored after the pages were shown is on the next view of each (the
    // grouped counts are kept only while the data is unchanged).
    let answers = app.valid_answers(slug, 4).await;
    app.submit(slug, Value::Object(answers)).await;
    let total = total + 1;
    let html = page(&app, Some(&cookie)).await.text().await.expect("html");
    assert!(
        html.contains(&format!(
            "累计 · total<strong data-total=\"{total}\">{total}</strong>"
        )),
        "the new response is counted: {html}"
    );
    let campaigns = html_of(&app, "/admin", &cookie).await;
    assert!(
        campaigns.contains(&format!("累计 · total <strong>{total}</strong>")),
        "{campaigns}"
    );

    // A school's evaluator: only their school.
    let school_cookie = login(&app, &school_token(&app, "other-school").await).await;
    let html = page(&app, Some(&school_cookie))
        .await
        .text()
        .await
        .expect("html");
    assert!(html.contains("仅显示学校 <strong>other-school</strong>"));
    assert!(
        html.contains("累计 · total<strong data-total=\"0\">0</strong>"),
        "no response of another school is counted: {html}"
    );
    assert!(!html.contains("二班-第一批"), "no batch of another school");
    assert!(!html.contains("pszg"), "nothing names another school");
}

async fn results(app: &TestApp, cookie: &str, query: &str) -> reqwest::Response {
    app.client
        .get(app.url(&format!("/admin/campaigns/pingshun-2025/results{query}")))
        .header("Cookie", cookie)
        .send()
        .await
        .expect("page")
}

/// The text a published or hidden composite cell shows on the page.
fn shown(c: &chorus::analysis::evaluation::ScoreCell) -> String {
    match c.mean {
        Some(m) => format!("<span class=\"v\">{m:.1}</span>"),
        None if c.n == 0 => "<span class=\"v\">—</span>".to_string(),
        None => format!("<span class=\"v\">{}</span>", c.note.clone().expect("note")),
    }
}

async fn the_results_explorer_shows_what_the_gate_publishes_for_combined_filters(app: TestApp) {
    let db = chorus::store::connect(&app.settings).await.expect("db");
    chorus::app::demo::fill(&db, "pingshun-2025", 150, 11)
        .await
        .expect("demo");
    let analyse = |filters: Vec<(String, String)>| {
        let db = db.clone();
        async move {
            chorus::app::analyse::load_and_analyse(
                &db,
                &Default::default(),
                "pingshun-2025",
                &filters,
                false,
            )
            .await
            .expect("analysis")
            .expect("campaign")
            .analysis
        }
    };
    let whole = analyse(Vec::new()).await;
    let first_value = |attr: &str| -> String {
        whole
            .breakdowns
            .iter()
            .find(|b| b.attribute == attr)
            .and_then(|b| b.values.first())
            .map(|v| v.value.clone())
            .unwrap_or_else(|| panic!("a {attr} in the demo"))
    };
    let (school, sector) = (first_value("school"), first_value("sector"));

    let anon = app
        .client
        .get(app.url("/admin/campaigns/pingshun-2025/results"))
        .send()
        .await
        .expect("page");
    assert_eq!(anon.status(), 303);

    let cookie = login(&app, TOKEN).await;
    let html = results(&app, &cookie, "").await.text().await.expect("html");
    assert!(html.contains("<table id=\"scores\">"), "{html}");
    assert!(
        html.contains(&shown(&whole.composite.combined)),
        "whole composite"
    );
    assert!(html.contains("<svg"), "the first-level chart");
    assert!(
        html.contains("按学校") && html.contains("按产业方向"),
        "breakdowns"
    );

    // Two filters combined: the page shows what the gate publishes for that view.
    let both = vec![
        ("school".to_string(), school.clone()),
        ("sector".to_string(), sector.clone()),
    ];
    let view = analyse(both).await;
    let res = results(
        &app,
        &cookie,
        &format!("?school={school}&sector={sector}&grade="),
    )
    .await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.expect("html");
    assert!(html.contains(" 且 "), "both filters named: {html}");
    let composite_row = html
        .split("<tr class=\"d0\">")
        .nth(1)
        .expect("composite row")
        .split("</tr>")
        .next()
        .expect("row");
    for c in view.composite.by_group.values() {
        assert!(composite_row.contains(&shown(c)), "{composite_row}");
    }
    assert!(composite_row.contains(&shown(&view.composite.combined)));
    assert!(
        !html.contains("按学校") && !html.contains("按产业方向"),
        "no breakdown by a filter"
    );

    // A third filter, an unknown one: refused with the reason.
    let res = results(
        &app,
        &cookie,
        &format!("?school={school}&sector={sector}&grade=g1"),
    )
    .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.expect("html").contains("two filters"));
    let res = results(&app, &cookie, "?colour=red").await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.expect("html").contains("colour"));

    // A school's evaluator: their school only, and never another one.
    let school_cookie = login(&app, &school_token(&app, &school).await).await;
    let html = results(&app, &school_cookie, "")
        .await
        .text()
        .await
        .expect("html");
    let own = analyse(vec![("school".to_string(), school.clone())]).await;
    assert!(html.contains(&shown(&own.composite.combined)), "own school");
    let other = whole
        .breakdowns
        .iter()
        .find(|b| b.attribute == "school")
        .and_then(|b| b.values.iter().find(|v| v.value != school))
        .map(|v| v.value.clone())
        .expect("two schools in the demo");
    assert!(
        !html.contains(&format!("value=\"{other}\"")),
        "no other school offered"
    );
    let res = results(&app, &school_cookie, &format!("?school={other}")).await;
    assert_eq!(res.status(), 403);
    let audit = audit_trail(&app).await;
    assert!(
        audit.to_string().contains("results.view"),
        "views are audited"
    );
}

async fn benchmarking_compares_published_units_with_the_county(app: TestApp) {
    let db = chorus::store::connect(&app.settings).await.expect("db");
    chorus::app::demo::fill(&db, "pingshun-2025", 400, 13)
        .await
        .expect("demo");
    let whole = chorus::app::analyse::load_and_analyse(
        &db,
        &Default::default(),
        "pingshun-2025",
        &[],
        false,
    )
    .await
    .expect("analysis")
    .expect("campaign")
    .analysis;
    let cookie = login(&app, TOKEN).await;
    let get = |query: &'static str, cookie: String| {
        let app = &app;
        async move {
            app.client
                .get(app.url(&format!("/admin/campaigns/pingshun-2025/benchmark{query}")))
                .header("Cookie", cookie)
                .send()
                .await
                .expect("page")
        }
    };
    let res = get("?group=teachers", cookie.clone()).await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.expect("html");
    let g = chorus::domain::Audience::Teachers;
    let county = whole.composite.by_group[&g].mean.expect("county published");
    assert!(
        html.contains(&format!("全县 · county<strong>{county:.1}</strong>")),
        "{html}"
    );
    let mut published = 0;
    for b in whole
        .breakdowns
        .iter()
        .filter(|b| b.attribute == "school" || b.attribute == "sector")
    {
        for v in &b.values {
            let Some(c) = v.composite.by_group.get(&g) else {
                continue;
            };
            match c.mean {
                Some(m) => {
                    published += 1;
                    let cells = format!(
                        "<td class=\"num\">{}</td><td class=\"num\">{m:.1}</td><td class=\"num\">{:+.1}</td>",
                        c.n,
                        m - county
                    );
                    assert!(
                        html.contains(&cells),
                        "{} {}: {cells}",
                        b.attribute,
                        v.value
                    );
                }
                None if c.n > 0 => {
                    // Hidden: listed with its reason, never with a score.
                    let row = format!("<td class=\"num\">{}</td><td colspan=\"6\">", c.n);
                    assert!(html.contains(&row), "hidden {}: {html}", v.value);
                }
                None => {}
            }
        }
    }
    assert!(published > 0, "some unit is published in the demo");
    assert_eq!(
        html.matches("<circle").count(),
        published,
        "one funnel point per published unit"
    );

    for (query, status) in [
        ("?group=nobody", 422),
        ("?indicator=ZZ9", 422),
        ("?indicator=A&group=students", 200),
    ] {
        assert_eq!(get(query, cookie.clone()).await.status(), status, "{query}");
    }
    let school_cookie = login(&app, &school_token(&app, "pszg").await).await;
    assert_eq!(
        get("", school_cookie).await.status(),
        403,
        "county-wide: not for a school"
    );
}

async fn admins_issue_list_and_revoke_tokens_from_the_page(app: TestApp) {
    let cookie = login(&app, TOKEN).await;
    let post = |path: String, form: Vec<(&'static str, String)>, origin: String, cookie: String| {
        let app = &app;
        async move {
            app.client
                .post(app.url(&path))
                .header("Origin", origin)
                .header("Cookie", cookie)
                .form(&form)
                .send()
                .await
                .expect("post")
        }
    };
    let own = app.address.clone();
    let issue = |label: &str| {
        vec![
            ("role", "evaluator".to_string()),
            ("school", "pszg".to_string()),
            ("label", label.to_string()),
        ]
    };
    let res = post(
        "/admin/tokens".into(),
        issue("一校质量办"),
        own.clone(),
        cookie.clone(),
    )
    .await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.expect("html");
    let token = html
        .split("<code class=\"token\">")
        .nth(1)
        .and_then(|t| t.split('<').next())
        .expect("the new token, shown once")
        .to_string();
    assert!(
        token.len() >= 32 && token.chars().all(|c| c.is_ascii_alphanumeric()),
        "{token}"
    );
    assert!(html.contains("<th scope=\"row\">一校质量办</th>"));
    // Shown once: the list never shows it again.
    let list = html_of(&app, "/admin/tokens", &cookie).await;
    assert!(list.contains("一校质量办") && !list.contains(&token));
    // The new token logs in and sees its school only.
    let school_cookie = login(&app, &token).await;
    let page = html_of(
        &app,
        "/admin/campaigns/pingshun-2025/results",
        &school_cookie,
    )
    .await;
    assert!(page.contains("仅显示学校 <strong>pszg</strong>"), "{page}");
    // Not an admin: no token page.
    let res = app
        .client
        .get(app.url("/admin/tokens"))
        .header("Cookie", &school_cookie)
        .send()
        .await
        .expect("tokens");
    assert_eq!(res.status(), 403);
    // A form from another site, and a bad label, are refused.
    let res = post(
        "/admin/tokens".into(),
        issue("他站"),
        "https://evil.example".into(),
        cookie.clone(),
    )
    .await;
    assert_eq!(res.status(), 403);
    let res = post(
        "/admin/tokens".into(),
        issue("  "),
        own.clone(),
        cookie.clone(),
    )
    .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.expect("html").contains("label"));
    // Revoked: the token no longer logs in.
    let id = list
        .split("action=\"/admin/tokens/")
        .nth(1)
        .and_then(|t| t.split('/').next())
        .expect("a revoke form")
        .to_string();
    let res = post(
        format!("/admin/tokens/{id}/revoke"),
        Vec::new(),
        own.clone(),
        cookie.clone(),
    )
    .await;
    assert_eq!(res.status(), 303);
    let res = app
        .client
        .post(app.url("/admin/login"))
        .header("Origin", app.address.as_str())
        .form(&[("token", token.as_str())])
        .send()
        .await
        .expect("login");
    assert_eq!(res.status(), 401, "a revoked token no longer logs in");
    let audit = audit_trail(&app).await;
    let text = audit.to_string();
    assert!(
        text.contains("token.issue") && text.contains("token.revoke"),
        "{text}"
    );
    assert!(
        !text.contains(&token),
        "the token never reaches the audit log"
    );
}

async fn an_admin_issues_a_batch_from_the_fieldwork_page_and_gets_its_qr_sheet(app: TestApp) {
    let cookie = login(&app, TOKEN).await;
    let fieldwork = html_of(&app, "/admin/campaigns/pingshun-2025/fieldwork", &cookie).await;
    assert!(fieldwork.contains("action=\"/admin/campaigns/pingshun-2025/invitations\""));
    let post = |form: Vec<(&'static str, &'static str)>, origin: String, cookie: String| {
        let app = &app;
        async move {
            app.client
                .post(app.url("/admin/campaigns/pingshun-2025/invitations"))
                .header("Origin", origin)
                .header("Cookie", cookie)
                .form(&form)
                .send()
                .await
                .expect("post")
        }
    };
    let batch = vec![
        ("survey", "pingshun-2025-students"),
        ("count", "3"),
        ("batch", "页面批次"),
        ("school", "pszg"),
        ("sector", ""),
    ];
    let res = post(batch.clone(), app.address.clone(), cookie.clone()).await;
    assert_eq!(res.status(), 201);
    let sheet = res.text().await.expect("html");
    assert_eq!(sheet.matches("邀请码 ").count(), 3, "three cards: {sheet}");
    assert_eq!(sheet.matches("<svg").count(), 3, "one QR code each");
    assert!(sheet.contains("批次 页面批次 · 3 份邀请") && sheet.contains("school=pszg"));
    let fieldwork = html_of(&app, "/admin/campaigns/pingshun-2025/fieldwork", &cookie).await;
    assert!(
        fieldwork.contains("<th scope=\"row\">页面批次</th>"),
        "the batch is listed"
    );
    // Another site's form, another campaign's questionnaire, a school's token: refused.
    let res = post(batch.clone(), "https://evil.example".into(), cookie.clone()).await;
    assert_eq!(res.status(), 403);
    let mut foreign = batch.clone();
    foreign[0] = ("survey", "no-such-survey");
    assert_eq!(
        post(foreign, app.address.clone(), cookie.clone())
            .await
            .status(),
        422
    );
    let mut too_many = batch.clone();
    too_many[1] = ("count", "0");
    let res = post(too_many, app.address.clone(), cookie.clone()).await;
    assert_eq!(res.status(), 422);
    let school_cookie = login(&app, &school_token(&app, "pszg").await).await;
    assert_eq!(
        post(batch, app.address.clone(), school_cookie)
            .await
            .status(),
        403
    );
}

/// The monitor's live update: its one inline script is what the CSP allows (by hash,
/// fetching only from this server; other workspace pages run no script), and the
/// audit log records who watched without one entry per refresh: refreshes after a
/// recorded visit add nothing, a refresh with no recent visit is recorded as one.
async fn the_fieldwork_monitor_refreshes_itself_and_the_audit_records_the_watcher_once(
    app: TestApp,
) {
    use base64::Engine;
    use sha2::Digest;
    let path = "/admin/campaigns/pingshun-2025/fieldwork";
    let cookie = login(&app, TOKEN).await;
    let res = page(&app, Some(&cookie)).await;
    assert_eq!(res.status(), 200);
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .expect("csp")
        .to_string();
    let html = res.text().await.expect("html");
    let script = html
        .split_once("<script>")
        .and_then(|(_, rest)| rest.split_once("</script>"))
        .expect("an inline script")
        .0;
    let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(script));
    assert!(
        csp.contains(&format!("script-src 'sha256-{hash}'")),
        "{csp}"
    );
    assert!(csp.contains("connect-src 'self'") && csp.contains("default-src 'none'"));
    assert_eq!(html.matches("<script").count(), 1, "one script");
    assert!(html.contains("id=\"live\"") && html.contains("data-every=\"15000\""));
    assert!(
        html.contains("role=\"status\""),
        "announces arrivals politely"
    );
    let results = app
        .client
        .get(app.url("/admin/campaigns/pingshun-2025/results"))
        .header("Cookie", &cookie)
        .send()
        .await
        .expect("results");
    let other = results.headers()["content-security-policy"]
        .to_str()
        .expect("csp");
    assert!(
        !other.contains("script-src"),
        "no script elsewhere: {other}"
    );

    let refresh = |cookie: String| {
        let app = &app;
        async move {
            let res = app
                .client
                .get(app.url(path))
                .header("Cookie", cookie)
                .header("X-Chorus-Live", "1")
                .send()
                .await
                .expect("refresh");
            assert_eq!(res.status(), 200);
        }
    };
    let views = |actor: &'static str| {
        let app = &app;
        async move {
            audit_trail(app).await["entries"]
                .as_array()
                .expect("entries")
                .iter()
                .filter(|e| e["action"] == "fieldwork.view" && e["actor"] == actor)
                .map(|e| e["detail"].clone())
                .collect::<Vec<Value>>()
        }
    };
    refresh(cookie.clone()).await;
    refresh(cookie.clone()).await;
    assert_eq!(views("evaluator:session").await.len(), 1, "the visit only");

    let school = login(&app, &school_token(&app, "pszg").await).await;
    refresh(school.clone()).await;
    refresh(school).await;
    let watched = views("token:学校质量办").await;
    assert_eq!(
        watched,
        vec![json!({"refresh": true})],
        "one refresh recorded"
    );
}
