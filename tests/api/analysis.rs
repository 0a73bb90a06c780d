//! `/analysis`: every method computed from stored responses, checked against worked
//! examples and against independent recomputation.

use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{spawn_app, Backend, TestApp};

both_backends!(
    "tests/fixtures/surveys" =>
    suppression_hides_small_cells_and_their_complements,
    importance_performance_quadrants,
    waves_are_compared_with_welch,
    ahp_weights_come_from_the_matrix,
    entropy_weights_come_from_the_data,
);
both_backends!(
    demo_analysis_is_complete_and_consistent,
    the_analysis_of_a_view_takes_the_report_filters_through_the_gate
);

async fn post(app: &TestApp, slug: &str, answers: Value) {
    let body = json!({"response_id": uuid::Uuid::new_v4(), "answers": answers});
    let res = app
        .post_json(&format!("/api/v1/surveys/{slug}/responses"), &body)
        .await;
    assert_eq!(
        res.status(),
        201,
        "{}",
        res.text().await.unwrap_or_default()
    );
}

async fn analysis(app: &TestApp, campaign: &str) -> Value {
    let res = app
        .get_auth(&format!("/api/v1/campaigns/{campaign}/analysis"))
        .await;
    assert_eq!(res.status(), 200);
    res.json().await.expect("json")
}

fn close(v: &Value, want: f64, tol: f64) -> bool {
    v.as_f64().is_some_and(|x| (x - want).abs() <= tol)
}

/// Issue #5: enterprises by sector 14, 6, 12 with minimum 10.
async fn suppression_hides_small_cells_and_their_complements(app: TestApp) {
    for (sector, n) in [("ecommerce", 14), ("herbs", 6), ("tourism", 12)] {
        for i in 0..n {
            post(
                &app,
                "cells-enterprises",
                json!({"sector": sector, "q1": 1 + (i % 5)}),
            )
            .await;
        }
    }
    let a = analysis(&app, "cells").await;
    let sector = a["breakdowns"]
        .as_array()
        .expect("breakdowns")
        .iter()
        .find(|b| b["attribute"] == "sector")
        .expect("sector");
    let cell = |value: &str| {
        let v = sector["values"]
            .as_array()
            .expect("values")
            .iter()
            .find(|v| v["value"] == value)
            .expect("value");
        v["indicators"]
            .as_array()
            .expect("rows")
            .iter()
            .find(|r| r["code"] == "A1")
            .expect("A1")["by_group"]["enterprises"]
            .clone()
    };
    assert_eq!(cell("herbs")["suppressed"], "primary");
    assert!(cell("herbs")["mean"].is_null(), "no mean for 6 respondents");
    assert!(cell("herbs")["note"]
        .as_str()
        .expect("note")
        .contains("样本不足"));
    assert_eq!(cell("tourism")["suppressed"], "secondary");
    assert!(cell("tourism")["mean"].is_null());
    assert_eq!(cell("ecommerce")["suppressed"], "no");
    assert!(cell("ecommerce")["mean"].is_number());
    // The group total (32) is published: 6 cannot be recovered from 32 − 14 − 12.
    assert_eq!(
        a["indicators"]
            .as_array()
            .expect("rows")
            .iter()
            .find(|r| r["code"] == "A1")
            .expect("A1")["by_group"]["enterprises"]["n"],
        32
    );
}

/// Means by hand: p1 = (2+2+3)/3 = 2.333, p2 = (5+4+4)/3 = 4.333; importance i1 = 5,
/// i2 = (2+3+2)/3 = 2.333. Grand means: I 3.667, P 3.333 -> p1 concentrate (I high,
/// P low), p2 possible overkill (I low, P high).
async fn importance_performance_quadrants(app: TestApp) {
    for (p1, p2, i1, i2) in [(2, 5, 5, 2), (2, 4, 5, 3), (3, 4, 5, 2)] {
        post(
            &app,
            "ipa-students",
            json!({"p1": p1, "p2": p2, "i1": i1, "i2": i2}),
        )
        .await;
    }
    let a = analysis(&app, "ipa").await;
    let g = &a["ipa"][0];
    assert_eq!(g["group"], "students");
    assert_eq!(g["items"], json!(["p1", "p2"]));
    let quads: Vec<&Value> = g["ipa"]["items"]
        .as_array()
        .expect("points")
        .iter()
        .map(|i| &i["quadrant"])
        .collect();
    assert_eq!(quads, [&json!("concentrate"), &json!("possible_overkill")]);
    assert!(close(&g["ipa"]["importance_mean"], 11.0 / 3.0, 1e-9), "{g}");
    assert!(
        close(&g["ipa"]["performance_mean"], 10.0 / 3.0, 1e-9),
        "{g}"
    );
    // Importance items are not scored: A1 is the mean of p1 and p2 only.
    let a1 = a["indicators"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["code"] == "A1")
        .expect("A1");
    assert_eq!(a1["by_group"]["students"]["n"], 3);
}

/// Issue #5's Welch example as two waves: 2025 answers 4,5,3,4,4,5,3,4,4,3,5,4 vs 2024
/// answers 3,2,4,3,2,3,3,2 (t is scale-free: t = 3.804430, df 15.625070, p 0.001618).
async fn waves_are_compared_with_welch(app: TestApp) {
    for x in [3, 2, 4, 3, 2, 3, 3, 2] {
        post(&app, "wave-2024-students", json!({"q1": x})).await;
    }
    for x in [4, 5, 3, 4, 4, 5, 3, 4, 4, 3, 5, 4] {
        post(&app, "wave-2025-students", json!({"q1": x})).await;
    }
    let a = analysis(&app, "wave-2025").await;
    assert_eq!(a["wave"]["previous"], "wave-2024");
    let change = a["wave"]["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .find(|c| c["code"] == "A1" && c["group"] == "students")
        .expect("A1 students");
    // Means on 0–100: 2025 (48/12 − 1)·25 = 75, 2024 (22/8 − 1)·25 = 43.75.
    assert!(close(&change["current"], 75.0, 1e-9));
    assert!(close(&change["previous"], 43.75, 1e-9));
    assert!(close(&change["change"], 31.25, 1e-9));
    assert!(close(&change["welch"]["t"], 3.804430, 1e-6), "{change}");
    assert!(close(&change["welch"]["df"], 15.625070, 1e-6));
    assert!(close(&change["welch"]["p"], 0.001618, 1e-6));

    // `chorus analyse` compares with the same wave as `/analysis`.
    let out = app._dir.path().join("analysis.json");
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_chorus"))
        .args(["analyse", "--campaign", "wave-2025", "--out"])
        .arg(&out)
        .env("CHORUS_DATABASE_URL", &app.settings.database_url)
        .env("CHORUS_SURVEYS_DIR", &app.settings.surveys_dir)
        .output()
        .expect("run chorus analyse");
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(
        stdout.contains("previous wave \"wave-2024\" (8 responses)"),
        "{stdout}"
    );
    let cli: Value = serde_json::from_slice(&std::fs::read(&out).expect("out")).expect("json");
    assert_eq!(cli["wave"], a["wave"], "CLI and API agree");
}

/// AHP weights (0.636986, 0.258285, 0.104729) from issue #5's matrix; B's two children
/// from [[1, 2], [1/2, 1]] -> (2/3, 1/3) by hand.
async fn ahp_weights_come_from_the_matrix(app: TestApp) {
    post(
        &app,
        "ahp-students",
        json!({"a": 5, "b1": 3, "b2": 1, "c": 2}),
    )
    .await;
    let a = analysis(&app, "ahp").await;
    assert_eq!(a["weights"]["method"], "ahp");
    let first: Vec<f64> = a["weights"]["first_level"]
        .as_array()
        .expect("w")
        .iter()
        .map(|p| p[1].as_f64().expect("w"))
        .collect();
    for (got, want) in first.iter().zip([0.636986, 0.258285, 0.104729]) {
        assert!((got - want).abs() < 1e-5, "{first:?}");
    }
    let top = a["weights"]["ahp"]
        .as_array()
        .expect("ahp")
        .iter()
        .find(|r| r["scope"] == "top")
        .expect("top");
    assert!(close(&top["cr"], 0.0332, 1e-4));
    // Composite by hand: A = 100, B = (2/3)·50 + (1/3)·0 = 33.33, C = 25;
    // 0.636986·100 + 0.258285·33.333 + 0.104729·25 = 63.6986 + 8.6095 + 2.6182 = 74.926.
    let composite = &a["composite"]["by_group"]["students"];
    // min_cell_size = 1 in this worked example; /analysis and /scores publish the same
    // cell through the same gate.
    assert_eq!(composite["suppressed"], "no");
    assert!(close(&a["composite"]["combined"]["mean"], 74.926, 1e-3));
    let scores: Value = app
        .get_auth("/api/v1/campaigns/ahp/scores")
        .await
        .json()
        .await
        .expect("json");
    assert!(
        close(&scores["composite"]["combined"]["mean"], 74.926, 1e-3),
        "{}",
        scores["composite"]
    );
}

async fn demo_analysis_is_complete_and_consistent(app: TestApp) {
    let db = chorus::store::connect(&app.settings).await.expect("db");
    chorus::app::demo::fill(&db, "pingshun-2025", 400, 11)
        .await
        .expect("demo");
    let a = analysis(&app, "pingshun-2025").await;
    let scores: Value = app
        .get_auth("/api/v1/campaigns/pingshun-2025/scores")
        .await
        .json()
        .await
        .expect("json");

    // Same pipeline: the published composite equals /scores.
    assert_eq!(
        a["composite"]["combined"]["mean"],
        scores["composite"]["combined"]["mean"]
    );
    assert!(a["composite"]["combined"]["grade"].is_string());
    // 24 + 23 + 23 Likert items.
    assert_eq!(a["items"].as_array().expect("items").len(), 70);
    for item in a["items"].as_array().expect("items") {
        let pct: f64 = item["percentages"]
            .as_array()
            .expect("pct")
            .iter()
            .map(|p| p.as_f64().expect("p"))
            .sum();
        assert!((pct - 100.0).abs() < 1e-9, "{item}");
        let counts: u64 = item["counts"]
            .as_array()
            .expect("counts")
            .iter()
            .map(|c| c.as_u64().expect("c"))
            .sum();
        assert_eq!(counts, item["n"].as_u64().expect("n"));
    }
    // Reliability: one row per questionnaire and per multi-item scale, α within (−∞, 1].
    let rel = a["reliability"].as_array().expect("reliability");
    assert_eq!(
        rel.iter().filter(|r| r["scale"] == "questionnaire").count(),
        3
    );
    for r in rel {
        if let Some(alpha) = r["alpha"].as_f64() {
            assert!(alpha <= 1.0);
            assert_eq!(r["low_alpha"], alpha < 0.7);
        }
    }
    // Gaps are ranked by size.
    let gaps: Vec<f64> = a["gaps"]
        .as_array()
        .expect("gaps")
        .iter()
        .map(|g| g["gap"].as_f64().expect("gap"))
        .collect();
    assert!(!gaps.is_empty());
    assert!(gaps.windows(2).all(|w| w[0] >= w[1]));
    // Fuzzy: B sums to 1 for every first-level indicator.
    let fuzzy = a["fuzzy"]["first_level"].as_array().expect("fuzzy");
    assert_eq!(fuzzy.len(), 5);
    for f in fuzzy {
        let b: f64 = f["b"]
            .as_array()
            .expect("b")
            .iter()
            .map(|x| x.as_f64().expect("x"))
            .sum();
        assert!((b - 1.0).abs() < 1e-9);
    }
    assert!(a["fuzzy"]["overall"]["score"]
        .as_f64()
        .is_some_and(|s| (0.0..=100.0).contains(&s)));
    // Breakdowns never show a mean for fewer than the minimum.
    for b in a["breakdowns"].as_array().expect("breakdowns") {
        for v in b["values"].as_array().expect("values") {
            for row in v["indicators"].as_array().expect("rows") {
                for cell in row["by_group"].as_object().expect("cells").values() {
                    let n = cell["n"].as_u64().expect("n");
                    if n > 0 && n < 10 {
                        assert!(
                            cell["mean"].is_null(),
                            "{} {} {cell}",
                            b["attribute"],
                            row["code"]
                        );
                    }
                }
            }
        }
    }
    // Scores computed on SQLite and PostgreSQL from the same seed are identical.
    if app.settings.database_url.starts_with("sqlite") {
        if let Some(pg) = spawn_app(Backend::Postgres, None).await {
            let pg_db = chorus::store::connect(&pg.settings).await.expect("db");
            chorus::app::demo::fill(&pg_db, "pingshun-2025", 400, 11)
                .await
                .expect("demo");
            let b = analysis(&pg, "pingshun-2025").await;
            if let Some(path) = first_difference(&a, &b, "") {
                panic!("SQLite and PostgreSQL analyses differ at {path}");
            }
        }
    }
}

/// The path of the first value that differs (numbers compared to 1e-9 relative).
fn first_difference(a: &Value, b: &Value, path: &str) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            if x.len() != y.len() {
                return Some(format!("{path} (keys)"));
            }
            x.iter().find_map(|(k, v)| {
                first_difference(v, y.get(k).unwrap_or(&Value::Null), &format!("{path}.{k}"))
            })
        }
        (Value::Array(x), Value::Array(y)) => {
            if x.len() != y.len() {
                return Some(format!("{path} (length)"));
            }
            x.iter()
                .zip(y)
                .enumerate()
                .find_map(|(i, (v, w))| first_difference(v, w, &format!("{path}[{i}]")))
        }
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (
                x.as_f64().unwrap_or(f64::NAN),
                y.as_f64().unwrap_or(f64::NAN),
            );
            ((x - y).abs() > 1e-9 * x.abs().max(1.0)).then(|| format!("{path}: {x} vs {y}"))
        }
        _ => (a != b).then(|| format!("{path}: {a} vs {b}")),
    }
}

/// One respondent per school, so unit means are the answers. On 0–100, A1 over schools
/// is (0, 50, 100) and A2 (25, 75, 25). numpy (min–max, p ln p, d = 1 − e): e = (0.579380,
/// 0), w = (0.296082, 0.703918); composite mean (0·w1 + 25·w2, 50·w1 + 75·w2,
/// 100·w1 + 25·w2)/3 = 44.134016.
async fn entropy_weights_come_from_the_data(app: TestApp) {
    for (school, a1, a2) in [("s1", 1, 2), ("s2", 3, 4), ("s3", 5, 2)] {
        post(
            &app,
            "entropy-students",
            json!({"school": school, "a1": a1, "a2": a2}),
        )
        .await;
    }
    let a = analysis(&app, "entropy").await;
    assert_eq!(a["weights"]["method"], "entropy");
    assert_eq!(a["weights"]["entropy_units"], json!(["s1", "s2", "s3"]));
    let second: Vec<f64> = a["weights"]["second_level"]
        .as_array()
        .expect("w")
        .iter()
        .map(|p| p[1].as_f64().expect("w"))
        .collect();
    assert!(
        (second[0] - 0.296082).abs() < 1e-6 && (second[1] - 0.703918).abs() < 1e-6,
        "{second:?}"
    );
    assert!(
        close(&a["composite"]["combined"]["mean"], 44.134016, 1e-6),
        "{}",
        a["composite"]
    );
    let scores: Value = app
        .get_auth("/api/v1/campaigns/entropy/scores")
        .await
        .json()
        .await
        .expect("json");
    assert!(
        close(&scores["composite"]["combined"]["mean"], 44.134016, 1e-6),
        "/scores uses the same weights"
    );
}

/// `/analysis` and `/scores` take the report's filters: the view's respondents are the
/// breakdown's for that value, its composite is the report's for the same view, the
/// gate's limits hold (a third filter 422 naming it, a school token cannot leave its
/// school), and the audit log records the filters.
async fn the_analysis_of_a_view_takes_the_report_filters_through_the_gate(app: TestApp) {
    let db = chorus::store::connect(&app.settings).await.expect("db");
    chorus::app::demo::fill(&db, "pingshun-2025", 300, 13)
        .await
        .expect("demo");
    let whole = analysis(&app, "pingshun-2025").await;
    let ecommerce = whole["breakdowns"]
        .as_array()
        .expect("breakdowns")
        .iter()
        .find(|b| b["attribute"] == "sector")
        .expect("sector")["values"]
        .as_array()
        .expect("values")
        .iter()
        .find(|v| v["value"] == "ecommerce")
        .expect("ecommerce")
        .clone();
    let res = app
        .get_auth("/api/v1/campaigns/pingshun-2025/analysis?sector=ecommerce")
        .await;
    assert_eq!(res.status(), 200);
    let view: Value = res.json().await.expect("json");
    assert_eq!(
        view["responses"], ecommerce["respondents"],
        "the view's respondents are the breakdown's"
    );
    assert!(
        view["breakdowns"]
            .as_array()
            .expect("breakdowns")
            .iter()
            .all(|b| b["attribute"] != "sector"),
        "no breakdown by the attribute filtered on"
    );
    let scores: Value = app
        .get_auth("/api/v1/campaigns/pingshun-2025/scores?sector=ecommerce")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(view["composite"], scores["composite"]);
    let mean = view["composite"]["combined"]["mean"]
        .as_f64()
        .expect("published");
    let report = app
        .get_auth("/api/v1/campaigns/pingshun-2025/report.html?sector=ecommerce")
        .await
        .text()
        .await
        .expect("html");
    assert!(
        report.contains(&format!("{mean:.1}")),
        "the report's composite"
    );
    assert_ne!(
        view["composite"], whole["composite"],
        "a view, not the whole"
    );

    let three = app
        .get_auth("/api/v1/campaigns/pingshun-2025/analysis?sector=ecommerce&school=pszg&grade=g1")
        .await;
    assert_eq!(three.status(), 422);
    let body: Value = three.json().await.expect("json");
    assert_eq!(body["error"], "too_many_filters");
    assert!(body["field"].is_string(), "{body}");
    let empty = app
        .get_auth("/api/v1/campaigns/pingshun-2025/scores?sector=")
        .await;
    assert_eq!(empty.status(), 422);

    let school = crate::workspace::school_token(&app, "pszg").await;
    let other = app
        .client
        .get(app.url("/api/v1/campaigns/pingshun-2025/analysis?school=other"))
        .bearer_auth(&school)
        .send()
        .await
        .expect("get");
    assert_eq!(other.status(), 403);

    let audit = crate::workspace::audit_trail(&app).await;
    assert!(
        audit["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .any(|e| e["action"] == "analysis.view"
                && e["detail"]["filters"] == json!(["sector=ecommerce"])),
        "the view is audited with its filters"
    );
}
