//! Evaluator endpoints require the token; the campaign list names every questionnaire.

use serde_json::Value;

use crate::both_backends;
use crate::helpers::TestApp;

both_backends!(
    evaluator_endpoints_require_the_token,
    campaigns_list_their_surveys
);

const ENDPOINTS: [&str; 4] = [
    "/api/v1/campaigns",
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
