//! Weighting to the population (issue #17): constructed students raked to the
//! enrolment per school and per grade of `population.toml`; weighted scores, item
//! shares, Kish's effective n and the CI in `/analysis`, the campaign's weights kept
//! under a filter, and the report's statement of the weighting.

use std::io::Cursor;

use calamine::{Data, DataType, Reader, Xlsx};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::both_backends;
use crate::helpers::TestApp;

both_backends!("tests/fixtures/weighting" => raking_weights_scores_to_the_population);

const SLUG: &str = "weighting-students";

fn close(v: &Value, expected: f64) -> bool {
    v.as_f64().is_some_and(|x| (x - expected).abs() < 1e-6)
}

async fn respond(app: &TestApp, school: &str, grade: &str, answer: i64) {
    let body = json!({
        "response_id": Uuid::new_v4(),
        "answers": {"school": school, "grade": grade, "q1": answer},
    });
    let res = app
        .client
        .post(app.url(&format!("/api/v1/surveys/{SLUG}/responses")))
        .json(&body)
        .send()
        .await
        .expect("post");
    assert_eq!(
        res.status(),
        201,
        "{}",
        res.text().await.unwrap_or_default()
    );
}

async fn analysis(app: &TestApp, query: &str) -> Value {
    app.get_auth(&format!("/api/v1/campaigns/weighting/analysis{query}"))
        .await
        .json()
        .await
        .expect("json")
}

/// 13 students: 一校 一年级 4 × "5" (score 100), 一校 二年级 3 × "4" (75), 二校 一年级
/// 2 × "2" (25), 二校 二年级 4 × "3" (50); population 300 / 100 by school and 200 / 200
/// by grade. Unweighted mean 67.307692. Independently (numpy loop and ipfn 1.4.4 agree):
///   m = [[4,3],[2,4]]; rake rows to [300,100]·13/400, columns to [200,200]·13/400
///   -> weights [[1.363070, 1.432573], [0.523859, 0.550570]] (mean 1)
/// and with pandas, w = those weights per respondent, x = scores:
///   mean = Σwx/Σw = 77.220314; sd = √(Σw(x−m)²/Σw · 13/12) = 24.730734;
///   n_eff = (Σw)²/Σw² = 11.009768; deff = 13/n_eff = 1.180770;
///   CI = m ± scipy.stats.t.ppf(0.975, n_eff − 1)·sd/√n_eff = [60.615549, 93.825080];
///   item shares of "5", "4", "3", "2" = 41.940629, 33.059371, 16.940629, 8.059371 %.
/// 一校 only, with the campaign's weights: mean 88.980210, n_eff 6.995734.
async fn raking_weights_scores_to_the_population(app: TestApp) {
    // Arrange
    for (school, grade, answer, k) in [
        ("s1", "g1", 5, 4),
        ("s1", "g2", 4, 3),
        ("s2", "g1", 2, 2),
        ("s2", "g2", 3, 4),
    ] {
        for _ in 0..k {
            respond(&app, school, grade, answer).await;
        }
    }

    // Act
    let all = analysis(&app, "").await;
    let s1 = analysis(&app, "?school=s1").await;

    // Assert: the weighted composite with Kish's effective n ...
    let c = &all["composite"]["by_group"]["students"];
    assert_eq!(c["n"], 13, "counts stay respondents: {c}");
    assert!(close(&c["mean"], 77.220_314_479), "{c}");
    assert!(close(&c["sd"], 24.730_733_985), "{c}");
    assert!(close(&c["n_eff"], 11.009_767_602), "{c}");
    assert!(close(&c["ci_low"], 60.615_549_202), "{c}");
    assert!(close(&c["ci_high"], 93.825_079_756), "{c}");
    assert!(close(&all["composite"]["combined"]["mean"], 77.220_314_479));
    // ... the weighted answer shares, counts unweighted ...
    let item = &all["items"][0];
    assert_eq!(item["counts"], json!([0, 2, 4, 3, 4]), "{item}");
    let shares = item["percentages"].as_array().expect("shares");
    for (got, want) in shares.iter().zip([
        0.0,
        8.059_371_04,
        16.940_628_96,
        33.059_371_04,
        41.940_629_96,
    ]) {
        assert!((got.as_f64().expect("share") - want).abs() < 1e-6, "{item}");
    }
    // ... and the weighting report.
    let w = &all["weighting"];
    assert_eq!(w["method"], "raking");
    let g = &w["groups"][0];
    assert_eq!(g["group"], "students");
    assert_eq!(g["attributes"], json!(["grade", "school"]));
    assert!(close(&g["effective_n"], 11.009_767_602), "{g}");
    assert!(close(&g["design_effect"], 1.180_769_701), "{g}");
    assert_eq!(g["converged"], true);
    assert_eq!(g["empty"], json!([]));
    assert_eq!(g["unknown"], 0);

    // A filtered view keeps the campaign's weights (its own sample is not the
    // population the counts describe).
    let c1 = &s1["composite"]["by_group"]["students"];
    assert_eq!(c1["n"], 7);
    assert!(close(&c1["mean"], 88.980_209_653), "{c1}");
    assert!(close(&c1["n_eff"], 6.995_734_168), "{c1}");

    // The raw export carries each response's weight, after the quality flags.
    let (header, rows) = app.export_csv("weighting").await;
    let col = |name: &str| header.iter().position(|h| h == name).expect(name);
    assert_eq!(col("weight"), col("quality_flags") + 1, "{header:?}");
    let (school, grade, weight) = (col("school"), col("grade"), col("weight"));
    assert_eq!(rows.len(), 13);
    for r in &rows {
        let expected = match (&r[school], &r[grade]) {
            ("s1", "g1") => 1.363_070,
            ("s1", "g2") => 1.432_573,
            ("s2", "g1") => 0.523_859,
            _ => 0.550_570,
        };
        let got: f64 = r[weight].parse().expect("a weight");
        assert!((got - expected).abs() < 1e-6, "{r:?}");
    }

    // ... and so does the XLSX report's raw sheet; its weighting table has a sheet.
    let bytes = app
        .get_auth("/api/v1/campaigns/weighting/report.xlsx")
        .await
        .bytes()
        .await
        .expect("xlsx")
        .to_vec();
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).expect("xlsx");
    let raw = wb.worksheet_range("responses").expect("raw sheet");
    let head: Vec<String> = raw
        .rows()
        .next()
        .expect("header")
        .iter()
        .map(|c| c.to_string())
        .collect();
    let wcol = head
        .iter()
        .position(|h| h == "weight")
        .expect("weight column");
    let weights: Vec<f64> = raw
        .rows()
        .skip(1)
        .filter_map(|r| r[wcol].get_float())
        .collect();
    assert_eq!(weights.len(), 13, "{head:?}");
    assert!(
        (weights.iter().sum::<f64>() - 13.0).abs() < 1e-4,
        "mean weight 1: {weights:?}"
    );
    let table = wb.worksheet_range("weighting").expect("weighting sheet");
    assert!(
        table.rows().any(|r| r
            .iter()
            .any(|c| matches!(c, Data::String(s) if s == "学生"))),
        "one row per group"
    );

    // The report states the weighting, per group the effective n and design effect.
    for (lang, needles) in [
        (
            "zh",
            [
                "加权与有效样本量",
                "迭代比例拟合",
                "年级、学校",
                "11.0",
                "1.18",
            ],
        ),
        (
            "en",
            [
                "Weighting and effective sample size",
                "raking",
                "Grade, School",
                "11.0",
                "1.18",
            ],
        ),
    ] {
        let html = app
            .get_auth(&format!(
                "/api/v1/campaigns/weighting/report.html?lang={lang}"
            ))
            .await
            .text()
            .await
            .expect("html");
        for n in needles {
            assert!(html.contains(n), "{lang}: {n} missing");
        }
        assert!(html.contains("77.2"), "{lang}: the weighted composite");
    }

    // The workspace's results explorer shows the weighting and the weighted score.
    let cookie = crate::workspace::login(&app, crate::helpers::TOKEN).await;
    let page = crate::workspace::html_of(&app, "/admin/campaigns/weighting/results", &cookie).await;
    let table = &page[page.find("id=\"weighting\"").expect("weighting table")..];
    let row = &table[table.find("学生").expect("students row")..];
    let row = &row[..row.find("</tr>").expect("row end")];
    for cell in [
        "<td>年级、学校</td>",
        "<td>13</td>",
        "<td>11.0</td>",
        "<td>1.18</td>",
    ] {
        assert!(row.contains(cell), "{cell} in {row}");
    }
    assert!(page.contains("77.2"), "the weighted composite");

    // Benchmarking uses the weighted cells: 一校 (7 students) at 88.98 against the
    // county's 77.22, the funnel on the effective n.
    let html = crate::workspace::html_of(
        &app,
        "/admin/campaigns/weighting/benchmark?group=students",
        &cookie,
    )
    .await;
    assert!(
        html.contains("全县 · county<strong>77.2</strong>"),
        "{html}"
    );
    assert!(
        html.contains(
            "<td class=\"num\">7</td><td class=\"num\">89.0</td><td class=\"num\">+11.8</td>"
        ),
        "{html}"
    );
    assert!(
        html.contains("有效样本量 n_eff"),
        "the funnel's axis says so"
    );

    // Cross-tabulations are of the actual responses, and say so.
    let html =
        crate::workspace::html_of(&app, "/admin/campaigns/weighting/crosstab", &cookie).await;
    assert!(html.contains("<strong>未加权：</strong>"), "{html}");
}
