//! Issue #16, the evaluator workspace's fieldwork monitor: after logging in on
//! `/admin`, `/admin/campaigns/{key}/fieldwork` shows the responses per questionnaire
//! (the same totals the API counts), per day (chart and data table), per unit, and the
//! invitation batches; a school's token sees nothing of another school; no session
//! goes back to the login.

use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{TestApp, TOKEN};

both_backends!(the_fieldwork_monitor_counts_what_is_stored_within_the_token_scope);

async fn login(app: &TestApp, token: &str) -> String {
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
        html.contains(&format!("累计 · total<strong>{total}</strong>")),
        "{html}"
    );
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

    // A school's evaluator: only their school.
    let body: Value = app
        .client
        .post(app.url("/api/v1/tokens"))
        .bearer_auth(TOKEN)
        .json(&json!({"role": "evaluator", "school": "other-school", "label": "他校质量办"}))
        .send()
        .await
        .expect("issue")
        .json()
        .await
        .expect("json");
    let school_token = body["token"].as_str().expect("token");
    let school_cookie = login(&app, school_token).await;
    let html = page(&app, Some(&school_cookie))
        .await
        .text()
        .await
        .expect("html");
    assert!(html.contains("仅显示学校 <strong>other-school</strong>"));
    assert!(
        html.contains("累计 · total<strong>0</strong>"),
        "no response of another school is counted: {html}"
    );
    assert!(!html.contains("二班-第一批"), "no batch of another school");
    assert!(!html.contains("pszg"), "nothing names another school");
}
