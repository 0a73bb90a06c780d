//! Issue #3: every question type and the logic work from a TOML definition and from the
//! same questionnaire moved through XLSForm, through to stored answers, the CSV export
//! and the scores.

use std::collections::BTreeMap;

use serde_json::json;

use crate::both_backends;
use crate::helpers::{TestApp, TOKEN};

both_backends!("tests/fixtures/surveys" => every_type_from_toml_and_from_xlsform_reaches_the_csv);

fn answers() -> serde_json::Value {
    json!({
        "sector": "herbs",
        "langs": ["zh", "other"], "langs_other": "苗语",
        "age": 16, "hours": 12.5, "started": "2024-09-01",
        "R1": 6, "R2": 2, "R3": 4, "R4": 6, "R1_importance": 7, "R_check": 6,
        "nps": 5, "why": "设备旧",
        "rank": ["pay", "skill", "near"]
    })
}

async fn submit(app: &TestApp, slug: &str, answers: serde_json::Value) -> reqwest::Response {
    app.post_json(
        &format!("/api/v1/surveys/{slug}/responses"),
        &json!({ "response_id": uuid::Uuid::new_v4(), "answers": answers }),
    )
    .await
}

/// Question columns of the only row of a campaign's CSV, by header.
async fn csv_row(app: &TestApp, campaign: &str) -> BTreeMap<String, String> {
    let csv = app
        .get_auth(&format!("/api/v1/campaigns/{campaign}/responses.csv"))
        .await
        .text()
        .await
        .expect("csv");
    let mut reader = csv::Reader::from_reader(csv.trim_start_matches('\u{feff}').as_bytes());
    let header = reader.headers().expect("header").clone();
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    assert_eq!(rows.len(), 1, "{csv}");
    header
        .iter()
        .zip(rows[0].iter())
        .filter(|(h, _)| !["response_id", "survey", "version", "submitted_at"].contains(h))
        .map(|(h, v)| (h.to_string(), v.to_string()))
        .collect()
}

async fn every_type_from_toml_and_from_xlsform_reaches_the_csv(app: TestApp) {
    let slug = "alltypes-students";
    // Each rule refuses with its code and field.
    let refusals = [
        (json!({"age": 17, "hours": null}), "missing_answer", "hours"),
        (
            json!({"rank": ["pay", "skill"]}),
            "incomplete_ranking",
            "rank",
        ),
        (
            json!({"langs": ["zh", "en", "none"]}),
            "selection_count",
            "langs",
        ),
        (json!({"langs": ["zh", "none"]}), "constraint", "langs"),
        (json!({"langs_other": null}), "missing_other", "langs_other"),
        (json!({"started": "2014-06-01"}), "out_of_range", "started"),
        (json!({"hours": 61}), "out_of_range", "hours"),
        (json!({"R1": 8}), "out_of_scale", "R1"),
        (json!({"R_check": 8}), "out_of_scale", "R_check"),
        (json!({"R_check": null}), "missing_answer", "R_check"),
        (json!({"nps": 11}), "out_of_range", "nps"),
        (json!({"why": "旧"}), "constraint", "why"),
        (json!({"intro_note": "x"}), "unknown_question", "intro_note"),
    ];
    for (change, code, field) in refusals {
        let mut a = answers();
        for (k, v) in change.as_object().expect("obj") {
            a[k] = v.clone();
        }
        let res = submit(&app, slug, a).await;
        assert_eq!(res.status(), 422, "{change}");
        let body: serde_json::Value = res.json().await.expect("json");
        assert_eq!(
            (body["error"].as_str(), body["field"].as_str()),
            (Some(code), Some(field)),
            "{change}: {body}"
        );
    }
    // Hidden questions: an adult need not give hours; "why" is hidden when nps > 6;
    // a sector of "other" hides the whole second page.
    let mut hidden = answers();
    hidden["sector"] = json!("other");
    hidden["sector_other"] = json!("文旅");
    hidden["age"] = json!(30);
    hidden["hours"] = json!(null);
    hidden["rank"] = json!(["pay"]);
    let res = submit(&app, slug, hidden).await;
    assert_eq!(
        res.status(),
        201,
        "{}",
        res.text().await.unwrap_or_default()
    );
    // Start again with only the full answer set stored.
    let csv = app
        .get_auth("/api/v1/campaigns/alltypes/responses.csv")
        .await
        .text()
        .await
        .expect("csv");
    assert!(csv.contains("文旅"), "other text stored");
    assert!(
        !csv.contains(",pay,"),
        "the hidden page's ranking was discarded"
    );

    // The same questionnaire through XLSForm, as a second campaign.
    let xlsx = app
        .get_auth(&format!("/api/v1/surveys/{slug}/xlsform"))
        .await
        .bytes()
        .await
        .expect("xlsx");
    let res = app
        .client
        .post(app.url("/api/v1/campaigns/alltypes-x/xlsform?audience=students"))
        .bearer_auth(TOKEN)
        .body(xlsx.to_vec())
        .send()
        .await
        .expect("upload");
    assert_eq!(
        res.status(),
        201,
        "{}",
        res.text().await.unwrap_or_default()
    );
    let a = submit(&app, "alltypes-x-students", answers()).await;
    assert_eq!(a.status(), 201);

    let from_xlsform = csv_row(&app, "alltypes-x").await;
    assert_eq!(from_xlsform["langs"], "zh other");
    assert_eq!(from_xlsform["langs/zh"], "1");
    assert_eq!(from_xlsform["langs/en"], "0");
    assert_eq!(from_xlsform["langs/other"], "1");
    assert_eq!(from_xlsform["langs_other"], "苗语");
    assert_eq!(from_xlsform["hours"], "12.5");
    assert_eq!(from_xlsform["started"], "2024-09-01");
    assert_eq!(from_xlsform["rank"], "pay skill near");
    assert_eq!(
        (
            from_xlsform["rank/pay"].as_str(),
            from_xlsform["rank/skill"].as_str(),
            from_xlsform["rank/near"].as_str()
        ),
        ("1", "2", "3")
    );
    assert_eq!(from_xlsform["R2"], "2");
    // The attention check survives the XLSForm round trip (its `expect` column) and,
    // answered as told, flags nothing.
    assert_eq!(from_xlsform["R_check"], "6");
    assert_eq!(from_xlsform["quality_flags"], "");
    let def: serde_json::Value = app
        .client
        .get(app.url("/api/v1/surveys/alltypes-x-students"))
        .send()
        .await
        .expect("definition")
        .json()
        .await
        .expect("json");
    let question = |id: &str| {
        def["definition"]["sections"]
            .as_array()
            .expect("sections")
            .iter()
            .flat_map(|s| s["questions"].as_array().expect("questions"))
            .find(|q| q["id"] == id)
            .unwrap_or_else(|| panic!("{id}"))
            .clone()
    };
    let check = question("R_check");
    assert_eq!(check["kind"], json!({"type": "attention", "expect": 6}));
    // So does an attention check among a matrix's statements (a row with `expect`).
    let row = question("R4");
    assert_eq!(row["kind"], json!({"type": "attention", "expect": 6}));
    assert_eq!(row["matrix"]["id"], "M1", "{row}");
    assert_eq!(from_xlsform["R4"], "6");
    assert_eq!(from_xlsform["nps"], "5");
    assert_eq!(from_xlsform["why"], "设备旧");
    assert!(
        !from_xlsform.contains_key("intro_note"),
        "notes have no column"
    );

    // Scores of the XLSForm campaign: R1 = 6 → 83.33, R2 reversed (2 → 6) → 83.33 on a
    // 7-point scale (100·(x−1)/6); the unscored R3 (4 → 50) is left out (else 72.22).
    // Nine more identical respondents reach the default minimum cell of 10, below which
    // no mean is published.
    for _ in 0..9 {
        assert_eq!(
            submit(&app, "alltypes-x-students", answers())
                .await
                .status(),
            201
        );
    }
    let scores: serde_json::Value = app
        .get_auth("/api/v1/campaigns/alltypes-x/scores")
        .await
        .json()
        .await
        .expect("json");
    let a1 = scores["indicators"]
        .as_array()
        .expect("indicators")
        .iter()
        .find(|i| i["code"] == "A1")
        .expect("A1");
    let mean = a1["by_group"]["students"]["mean"].as_f64().expect("mean");
    assert!((mean - 500.0 / 6.0).abs() < 1e-9, "{a1}");
}
