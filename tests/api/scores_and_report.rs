//! Scores against the worked examples, the report against `/scores`, and the CSV
//! against what was submitted.

use std::collections::HashMap;

use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::TestApp;

both_backends!("tests/fixtures/surveys" => worked_example_scores, composite_example_renormalises_weights);
both_backends!(
    report_shows_the_scores_and_charts,
    csv_parses_back_to_the_stored_answers,
    questions_not_scored_are_tabulated_with_shares_and_nps
);

fn close(v: &Value, expected: f64, tol: f64) -> bool {
    v.as_f64().is_some_and(|x| (x - expected).abs() <= tol)
}

/// Issue #2: 4,5,3,4,2,5,3,4,4,3 -> 67.5 with 95% CI [50.53, 84.47] (numpy/scipy).
async fn worked_example_scores(app: TestApp) {
    for x in [4, 5, 3, 4, 2, 5, 3, 4, 4, 3] {
        let body = json!({"response_id": uuid::Uuid::new_v4(), "answers": {"q1": x}});
        let res = app
            .post_json("/api/v1/surveys/worked-students/responses", &body)
            .await;
        assert_eq!(res.status(), 201);
    }
    let scores: Value = app
        .get_auth("/api/v1/campaigns/worked/scores")
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
    let s = &a1["by_group"]["students"];
    assert_eq!(s["n"], 10);
    assert!(close(&s["mean"], 67.5, 1e-9), "{s}");
    assert!(close(&s["sd"], 0.948683 * 25.0, 1e-4), "{s}");
    assert!(close(&s["ci_low"], 50.53, 0.005), "{s}");
    assert!(close(&s["ci_high"], 84.47, 0.005), "{s}");
    // One group only: combined equals it; the composite equals it too (single indicator).
    assert!(close(&a1["combined"]["mean"], 67.5, 1e-9));
    assert!(close(&scores["composite"]["combined"]["mean"], 67.5, 1e-9));
    assert_eq!(scores["responses"]["students"], 10);
}

/// Issue #2: weights (0.25, 0.25, 0.30, 0.20) over (80, 60, missing, 70) -> 70.0.
async fn composite_example_renormalises_weights(app: TestApp) {
    // 11-point scale: code x scores 10·(x − 1); 9 -> 80, 7 -> 60, 8 -> 70.
    let body = json!({"response_id": uuid::Uuid::new_v4(), "answers": {"a": 9, "b": 7, "d": 8}});
    let res = app
        .post_json("/api/v1/surveys/composite-students/responses", &body)
        .await;
    assert_eq!(res.status(), 201);
    let scores: Value = app
        .get_auth("/api/v1/campaigns/composite/scores")
        .await
        .json()
        .await
        .expect("json");
    let composite = &scores["composite"]["by_group"]["students"];
    assert!(close(&composite["mean"], 70.0, 1e-9), "{composite}");
    assert!(close(&scores["composite"]["combined"]["mean"], 70.0, 1e-9));
    let c = scores["indicators"]
        .as_array()
        .expect("indicators")
        .iter()
        .find(|i| i["code"] == "C")
        .expect("C");
    assert_eq!(c["by_group"]["students"]["n"], 0);
}

async fn submit_many(app: &TestApp, plan: &[(&str, usize, i64)]) {
    for (slug, n, level) in plan {
        for i in 0..*n {
            let mut answers = app.valid_answers(slug, *level).await;
            // Vary one item so SDs are not zero.
            let first_likert = answers
                .iter()
                .find(|(_, v)| v.is_i64())
                .map(|(k, _)| k.clone())
                .expect("likert");
            answers.insert(first_likert, json!(1 + (i % 5)));
            let body = json!({"response_id": uuid::Uuid::new_v4(), "answers": answers});
            assert_eq!(
                app.post_json(&format!("/api/v1/surveys/{slug}/responses"), &body)
                    .await
                    .status(),
                201
            );
        }
    }
}

fn table_row<'a>(html: &'a str, table: &str, code: &str) -> &'a str {
    let t = html
        .split(&format!("id=\"{table}\""))
        .nth(1)
        .expect("table");
    let row = t.split(&format!("<td>{code}</td>")).nth(1).expect("row");
    row.split("</tr>").next().expect("row end")
}

async fn report_shows_the_scores_and_charts(app: TestApp) {
    // 12 students, 11 teachers, 3 enterprises: enterprises fall below the minimum cell
    // (10) and teachers are hidden too, so 3 cannot be derived from the total.
    submit_many(
        &app,
        &[
            ("pingshun-2025-students", 12, 4),
            ("pingshun-2025-teachers", 11, 3),
            ("pingshun-2025-enterprises", 3, 2),
        ],
    )
    .await;
    let analysis: Value = app
        .get_auth("/api/v1/campaigns/pingshun-2025/analysis")
        .await
        .json()
        .await
        .expect("json");
    let res = app
        .get_auth("/api/v1/campaigns/pingshun-2025/report.html")
        .await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.expect("body");

    assert!(html.matches("<svg").count() >= 2, "two inline SVG charts");
    assert!(html.contains("一级指标得分"));
    assert!(
        !html.contains("src=\"http") && !html.contains("href=\"http"),
        "no external requests"
    );
    let composite = analysis["composite"]["combined"]["mean"]
        .as_f64()
        .expect("composite");
    assert!(
        html.contains(&format!("综合指数为 {composite:.1} 分")),
        "composite {composite:.1}"
    );
    for ind in analysis["indicators"].as_array().expect("indicators") {
        let code = ind["code"].as_str().expect("code");
        let table = if ind["level"] == "first" {
            "first-level".to_string()
        } else {
            format!("scores-{}", ind["parent"].as_str().expect("parent"))
        };
        let row = table_row(&html, &table, code);
        let cells: Vec<&str> = row.split("<td").skip(2).collect();
        // Columns: students, teachers, enterprises, combined.
        for (i, group) in ["students", "teachers", "enterprises"].iter().enumerate() {
            let c = &ind["by_group"][group];
            match (c["suppressed"].as_str(), c["mean"].as_f64()) {
                (Some("no"), Some(m)) => assert!(
                    cells[i].contains(&format!(">{m:.1}<")),
                    "{code} {group}: {m:.1} in {}",
                    cells[i]
                ),
                (Some("no"), None) => assert!(cells[i].contains("无数据"), "{code} {group}"),
                _ => assert!(
                    cells[i].contains("样本不足"),
                    "{code} {group} must be hidden: {}",
                    cells[i]
                ),
            }
        }
        if let Some(m) = ind["combined"]["mean"].as_f64() {
            assert!(cells[3].contains(&format!("{m:.1}")), "{code} combined");
        }
    }
    // Suppression reached the page: enterprises (3) hidden and left out of the combined
    // cell, so the teachers need no secondary suppression (issue #14).
    let c2 = analysis["indicators"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["code"] == "C2")
        .expect("C2");
    let b1 = &c2["by_group"];
    assert_eq!(b1["enterprises"]["suppressed"], "primary");
    assert_eq!(b1["teachers"]["suppressed"], "no");
    assert_eq!(c2["excluded"], json!(["enterprises"]));
    assert!(html.contains("样本不足"));
    assert!(html.contains("信度检验") && html.contains("多主体比较"));
}

async fn csv_parses_back_to_the_stored_answers(app: TestApp) {
    let mut sent: HashMap<String, serde_json::Map<String, Value>> = HashMap::new();
    for (slug, level) in [
        ("pingshun-2025-students", 5),
        ("pingshun-2025-enterprises", 2),
    ] {
        let mut answers = app.valid_answers(slug, level).await;
        answers.insert(
            "suggestion".into(),
            json!("=HYPERLINK(\"http://x\",\"点我\")，建议增加实训"),
        );
        let id = uuid::Uuid::new_v4();
        let body = json!({"response_id": id, "answers": answers, "attributes": {"school": "平顺县职业高级中学"}});
        assert_eq!(
            app.post_json(&format!("/api/v1/surveys/{slug}/responses"), &body)
                .await
                .status(),
            201
        );
        sent.insert(id.to_string(), answers);
    }
    let res = app
        .get_auth("/api/v1/campaigns/pingshun-2025/responses.csv")
        .await;
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .expect("ct")
        .starts_with("text/csv"));
    let bytes = res.bytes().await.expect("body");
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF", "UTF-8 BOM for Excel");
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    let headers = reader.headers().expect("headers").clone();
    assert_eq!(
        &headers.iter().take(5).collect::<Vec<_>>(),
        &[
            "response_id",
            "survey",
            "version",
            "audience",
            "submitted_at"
        ]
    );
    let mut rows = 0;
    for record in reader.records() {
        let record = record.expect("record");
        let row: HashMap<&str, &str> = headers.iter().zip(record.iter()).collect();
        let answers = &sent[row["response_id"]];
        for (q, v) in answers {
            let cell = row[q.as_str()];
            match v {
                Value::Number(n) => assert_eq!(cell, n.to_string(), "{q}"),
                Value::String(s) if q == "suggestion" => {
                    assert_eq!(cell, format!("'{s}"), "formula neutralised")
                }
                Value::String(s) => assert_eq!(cell, s, "{q}"),
                _ => unreachable!(),
            }
        }
        // A background question answered in the form wins over a prefilled attribute.
        let school = answers
            .get("bg_school")
            .and_then(Value::as_str)
            .unwrap_or("平顺县职业高级中学");
        assert_eq!(row["school"], school);
        assert_eq!(
            row["sector"], "ecommerce",
            "attribute recorded from the background question"
        );
        rows += 1;
    }
    assert_eq!(rows, 2);
}

fn question<'a>(analysis: &'a Value, group: &str, id: &str) -> &'a Value {
    analysis["questions"]
        .as_array()
        .expect("questions")
        .iter()
        .find(|q| q["group"] == group && q["question"] == id)
        .unwrap_or_else(|| panic!("{group}/{id} in {}", analysis["questions"]))
}

fn share(q: &Value, code: &str) -> (u64, f64) {
    let o = q["options"]
        .as_array()
        .expect("options")
        .iter()
        .find(|o| o["code"] == code)
        .unwrap_or_else(|| panic!("{code} in {q}"));
    (
        o["count"].as_u64().expect("count"),
        o["percent"].as_f64().expect("percent"),
    )
}

/// Choice, multiple-choice and 0–10 questions outside the indicators get their own
/// tables: shares of those who answered, NPS, and suppression below the minimum cell.
async fn questions_not_scored_are_tabulated_with_shares_and_nps(app: TestApp) {
    // 12 students. Worked example by hand:
    // recommend 10 9 9 8 7 6 3 10 0 9 10 5 (11th and 12th answered, all 12 answered):
    //   promoters (9–10) 6/12 = 50 %, passives (7–8) 2/12, detractors (0–6) 4/12;
    //   NPS = 50 − 33.33 = 16.67; mean 86/12 = 7.1667; sorted median (8 + 9)/2 = 8.5.
    // bg_activities: 3 × [visit], 3 × [visit, lecture], 2 × [none], 2 × [lecture, contest],
    //   2 × [] (not answered): answered 10; visit 6 (60 %), lecture 5 (50 %), contest 2,
    //   none 2, order_class 0.
    // bg_intern: yes 8 (66.7 %), no 4.
    let recommend = [10, 9, 9, 8, 7, 6, 3, 10, 0, 9, 10, 5];
    let activities: [&[&str]; 12] = [
        &["visit"],
        &["visit"],
        &["visit"],
        &["visit", "lecture"],
        &["visit", "lecture"],
        &["visit", "lecture"],
        &["none"],
        &["none"],
        &["lecture", "contest"],
        &["lecture", "contest"],
        &[],
        &[],
    ];
    for i in 0..12 {
        let mut answers = app.valid_answers("pingshun-2025-students", 4).await;
        answers.insert("recommend".into(), json!(recommend[i]));
        answers.insert("bg_intern".into(), json!(if i < 8 { "yes" } else { "no" }));
        if !activities[i].is_empty() {
            answers.insert("bg_activities".into(), json!(activities[i]));
        }
        let body = json!({"response_id": uuid::Uuid::new_v4(), "answers": answers});
        let res = app
            .post_json("/api/v1/surveys/pingshun-2025-students/responses", &body)
            .await;
        assert_eq!(
            res.status(),
            201,
            "{}",
            res.text().await.unwrap_or_default()
        );
    }
    // 3 enterprises: below the minimum cell of 10, so their question is not published.
    submit_many(&app, &[("pingshun-2025-enterprises", 3, 4)]).await;

    let analysis: Value = app
        .get_auth("/api/v1/campaigns/pingshun-2025/analysis")
        .await
        .json()
        .await
        .expect("json");
    let rec = question(&analysis, "students", "recommend");
    assert_eq!(rec["n"], 12);
    assert_eq!(rec["kind"]["scale"]["min"], 0, "{rec}");
    assert!(
        close(&rec["nps"]["score"], 50.0 - 400.0 / 12.0, 1e-9),
        "{rec}"
    );
    assert!(close(&rec["nps"]["promoters"], 50.0, 1e-9));
    assert!(close(&rec["summary"]["mean"], 86.0 / 12.0, 1e-9));
    assert!(close(&rec["summary"]["median"], 8.5, 1e-12));
    assert_eq!(share(rec, "10"), (3, 25.0));

    let act = question(&analysis, "students", "bg_activities");
    assert_eq!(act["kind"], "multiple");
    assert_eq!(
        act["n"], 10,
        "the two without an answer are not in the base"
    );
    assert_eq!(share(act, "visit"), (6, 60.0));
    assert_eq!(share(act, "lecture"), (5, 50.0));
    assert_eq!(share(act, "contest"), (2, 20.0));
    assert_eq!(share(act, "order_class"), (0, 0.0));

    let intern = question(&analysis, "students", "bg_intern");
    assert_eq!(intern["kind"], "single");
    let (yes, pct) = share(intern, "yes");
    assert_eq!(yes, 8);
    assert!((pct - 200.0 / 3.0).abs() < 1e-9);
    // Background questions recorded as attributes are in the sample tables instead.
    assert!(analysis["questions"]
        .as_array()
        .expect("questions")
        .iter()
        .all(|q| q["question"] != "bg_sector"));

    let years = question(&analysis, "enterprises", "bg_years");
    assert_eq!(years["n"], 3);
    assert_eq!(years["suppressed"], true);
    assert_eq!(
        years["options"],
        json!([]),
        "no figures below the minimum cell"
    );

    // The same figures in the report.
    let html = app
        .get_auth("/api/v1/campaigns/pingshun-2025/report.html")
        .await
        .text()
        .await
        .expect("html");
    assert!(html.contains("其他题目调查结果"), "section heading");
    assert!(html.contains("id=\"q-students-recommend\""));
    assert!(html.contains("净推荐值 NPS = 16.7"), "NPS in the note");
    assert!(
        html.contains("的净推荐值（NPS）为 16.7（推荐者 50.0%，贬损者 33.3%，n = 12）"),
        "NPS in the summary"
    );
    assert!(html.contains("学生：你参加过哪些校企合作活动？（可多选）（多选，n = 10）"));
    let row = table_row(&html, "q-students-bg_activities", "企业参观");
    assert!(row.contains(">6<") && row.contains("60.0%"), "{row}");
    let years_table = html
        .split("id=\"q-enterprises-bg_years\"")
        .nth(1)
        .expect("enterprise table")
        .split("</table>")
        .next()
        .expect("end");
    assert!(
        years_table.contains("样本不足（少于 10 人）"),
        "{years_table}"
    );
    assert!(
        !years_table.contains('%'),
        "no shares below the minimum cell"
    );

    // And in the Excel report, as numbers on the question's own sheet.
    use calamine::{Data, Reader};
    let bytes = app
        .get_auth("/api/v1/campaigns/pingshun-2025/report.xlsx")
        .await
        .bytes()
        .await
        .expect("xlsx");
    let mut wb: calamine::Xlsx<_> =
        calamine::Xlsx::new(std::io::Cursor::new(bytes.to_vec())).expect("xlsx");
    let sheet = wb
        .worksheet_range("q-students-bg_activities")
        .expect("a sheet per question");
    let visit = sheet
        .rows()
        .find(|r| r.first() == Some(&Data::String("企业参观".into())))
        .expect("row");
    assert_eq!(visit[1], Data::Float(6.0));
    assert_eq!(visit[2], Data::Float(60.0));
}

/// Regression (#14, defect 11): the cached report's version key ignored invitations
/// (and the previous wave), so after an invitation batch the report still showed the
/// old response-rate table.
#[tokio::test]
async fn the_cached_report_is_rebuilt_when_invitations_change() {
    let app = crate::helpers::spawn_app(crate::helpers::Backend::Sqlite, None)
        .await
        .expect("sqlite");
    let db = sea_orm::Database::connect(&app.settings.database_url)
        .await
        .expect("db");
    chorus::app::demo::fill(&db, "pingshun-2025", 60, 5)
        .await
        .expect("fill");
    let path = "/api/v1/campaigns/pingshun-2025/report.html";
    let before = html(&app, path).await;
    assert_eq!(
        before,
        html(&app, path).await,
        "served from the cache meanwhile"
    );
    let created = app
        .client
        .post(app.url("/api/v1/surveys/pingshun-2025-students/invitations"))
        .bearer_auth(crate::helpers::TOKEN)
        .json(&json!({"count": 7}))
        .send()
        .await
        .expect("post");
    assert_eq!(created.status(), 201);
    let after = html(&app, path).await;
    assert_ne!(before, after, "the report shows the new invitations");
}

async fn html(app: &TestApp, path: &str) -> String {
    app.get_auth(path).await.text().await.expect("html")
}

/// Regression (#14, defect 12): the narrative assumed a 5-point scale ("满分 5 分",
/// `6 - mean` for reversed items, the IPA axis 1–5) while 2–11 points are accepted.
#[tokio::test]
async fn the_narrative_speaks_of_the_items_own_scale() {
    let app = crate::helpers::spawn_app(
        crate::helpers::Backend::Sqlite,
        Some("tests/fixtures/seven-point"),
    )
    .await
    .expect("sqlite");
    for x in [3, 4, 3, 2, 3, 4, 3, 3, 2, 3] {
        let body = json!({"response_id": uuid::Uuid::new_v4(), "answers": {"q1": x}});
        let res = app
            .post_json("/api/v1/surveys/seven-students/responses", &body)
            .await;
        assert_eq!(res.status(), 201);
    }
    let zh = html(&app, "/api/v1/campaigns/seven/report.html").await;
    assert!(
        zh.contains("满分 7 分"),
        "the item's scale in the problems found"
    );
    assert!(!zh.contains("满分 5 分"));
    let en = html(&app, "/api/v1/campaigns/seven/report.html?lang=en").await;
    assert!(en.contains("mean 3.00 of 7"), "the English narrative too");
}
