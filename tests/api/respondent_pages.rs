//! The respondent form: server-rendered, validated on the server, idempotent on retry.

use crate::both_backends;
use crate::helpers::TestApp;

both_backends!(
    form_page_renders_in_chinese,
    form_submit_stores_once_and_thanks,
    invalid_form_keeps_answers_and_marks_errors,
    every_question_type_works_through_the_form
);

const SLUG: &str = "pingshun-2025-students";

fn form(
    answers: &serde_json::Map<String, serde_json::Value>,
    response_id: &str,
) -> Vec<(String, String)> {
    let mut f: Vec<(String, String)> = answers
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                v.as_str().map_or_else(|| v.to_string(), str::to_string),
            )
        })
        .collect();
    f.push(("response_id".into(), response_id.into()));
    f
}

async fn form_page_renders_in_chinese(app: TestApp) {
    let res = app
        .client
        .get(app.url(&format!("/s/{SLUG}")))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .expect("ct")
        .starts_with("text/html"));
    let body = res.text().await.expect("body");
    assert!(body.contains("name=\"viewport\""));
    assert!(body.contains("学生问卷"));
    assert!(body.contains("name=\"response_id\""));
    assert!(body.contains("实训室的设备"));
    // Works without JavaScript: a plain form post with a submit button; the script
    // only enhances. One document: no external script, style, font or image.
    assert!(
        body.contains(&format!(
            "<form id=\"survey\" method=\"post\" action=\"/s/{SLUG}\""
        )),
        "a plain HTML form"
    );
    assert!(body.contains("<button type=\"submit\">"));
    for external in [
        "<script src",
        "<link",
        "<img",
        "url(",
        "@import",
        "http://",
        "https://",
    ] {
        assert!(
            !body.contains(external),
            "no external request: found {external}"
        );
    }

    let missing = app
        .client
        .get(app.url("/s/no-such-survey"))
        .send()
        .await
        .expect("request");
    assert_eq!(missing.status(), 404);
    assert!(missing
        .text()
        .await
        .expect("body")
        .contains("找不到这份问卷"));
}

async fn form_submit_stores_once_and_thanks(app: TestApp) {
    let answers = app.valid_answers(SLUG, 4).await;
    let id = uuid::Uuid::new_v4().to_string();

    let first = app
        .client
        .post(app.url(&format!("/s/{SLUG}")))
        .form(&form(&answers, &id))
        .send()
        .await
        .expect("post");
    // A double tap: the same form posted again.
    let second = app
        .client
        .post(app.url(&format!("/s/{SLUG}")))
        .form(&form(&answers, &id))
        .send()
        .await
        .expect("post");

    for res in [&first, &second] {
        assert_eq!(res.status(), 303);
        assert_eq!(res.headers()["location"], format!("/s/{SLUG}/thanks"));
    }
    assert_eq!(app.stored_count().await, 1);
    let thanks = app
        .client
        .get(app.url(&format!("/s/{SLUG}/thanks")))
        .send()
        .await
        .expect("get");
    assert!(thanks.text().await.expect("body").contains("提交成功"));

    // The same id with different answers is refused, the stored one kept.
    let other = app.valid_answers(SLUG, 2).await;
    let conflict = app
        .client
        .post(app.url(&format!("/s/{SLUG}")))
        .form(&form(&other, &id))
        .send()
        .await
        .expect("post");
    assert_eq!(conflict.status(), 409);
    assert_eq!(app.stored_count().await, 1);
}

async fn invalid_form_keeps_answers_and_marks_errors(app: TestApp) {
    let mut answers = app.valid_answers(SLUG, 4).await;
    answers.remove("S03");
    answers.insert("S05".into(), "9".into());
    let id = uuid::Uuid::new_v4().to_string();

    let res = app
        .client
        .post(app.url(&format!("/s/{SLUG}")))
        .form(&form(&answers, &id))
        .send()
        .await
        .expect("post");

    assert_eq!(res.status(), 422);
    let body = res.text().await.expect("body");
    assert!(body.contains("有 2 处需要修改"), "error summary");
    assert!(body.contains("此题为必答题"));
    assert!(body.contains("请选择 1 到 5 之间的选项"));
    // The error sits inside the question's own fieldset.
    let s03 = body.split("id=\"q-S03\"").nth(1).expect("S03 fieldset");
    let s03 = s03.split("</fieldset>").next().expect("fieldset end");
    assert!(s03.contains("此题为必答题"));
    // Answers given are kept: S01 was answered 4.
    let s01 = body
        .split("id=\"q-S01\"")
        .nth(1)
        .expect("S01")
        .split("</fieldset>")
        .next()
        .expect("end");
    assert!(s01.contains("value=\"4\" checked"), "kept answer");
    assert!(
        body.contains(&id),
        "same response_id so a corrected resubmit stores once"
    );
    assert_eq!(app.stored_count().await, 0);
}

/// Issue #3: matrix, multiple choice with "other", rating, skip rule and constraint
/// through the no-JavaScript form; the page carries the logic for client-side use.
async fn every_question_type_works_through_the_form(app: TestApp) {
    let page = app
        .client
        .get(app.url(&format!("/s/{SLUG}")))
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("html");
    // One matrix block whose statements share the scale legend.
    let matrix = page
        .split("id=\"q-M_training\"")
        .nth(1)
        .expect("matrix block");
    let matrix = matrix.split("</fieldset>").next().expect("end");
    assert!(matrix.contains("1=非常不同意"), "scale legend");
    for id in ["S01", "S02", "S03", "S04", "S05"] {
        assert!(
            matrix.contains(&format!("name=\"{id}\" value=\"5\"")),
            "{id} row"
        );
    }
    assert!(page.contains("type=\"checkbox\" name=\"bg_activities\" value=\"visit\""));
    assert!(
        page.contains("name=\"bg_activities_other\""),
        "other, please specify"
    );
    assert!(
        page.contains("name=\"recommend\" value=\"10\""),
        "0-10 rating"
    );
    // The logic travels with the page as syntax trees (no '<' can close the script).
    let logic = page
        .split("<script type=\"application/json\" id=\"chorus-logic\">")
        .nth(1)
        .and_then(|r| r.split("</script>").next())
        .expect("logic JSON");
    let logic: serde_json::Value = serde_json::from_str(logic).expect("valid JSON");
    assert_eq!(logic["questions"]["S12"]["relevant"]["t"], "bin");
    assert_eq!(
        logic["questions"]["S12"]["relevant"]["l"]["name"],
        "bg_intern"
    );
    assert_eq!(
        logic["questions"]["bg_activities"]["constraint"]["t"],
        "call"
    );

    // Ticked boxes arrive as repeated fields; "none" with another box breaks the constraint.
    let mut answers = app.valid_answers(SLUG, 4).await;
    answers.insert("bg_intern".into(), "no".into());
    let id = uuid::Uuid::new_v4().to_string();
    let mut fields = form(&answers, &id);
    fields.push(("bg_activities".into(), "none".into()));
    fields.push(("bg_activities".into(), "visit".into()));
    let res = app
        .client
        .post(app.url(&format!("/s/{SLUG}")))
        .form(&fields)
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 422);
    let body = res.text().await.expect("html");
    assert!(body.contains("选择了“都没有参加过”，就不能再选其他活动"));
    assert!(body.contains("value=\"none\" checked"), "ticks are kept");

    // Corrected: two activities, "other" specified, a rating; internship items hidden.
    let mut fields = form(&answers, &id);
    for (k, v) in [
        ("bg_activities", "visit"),
        ("bg_activities", "other"),
        ("bg_activities_other", "非遗工坊"),
        ("recommend", "9"),
    ] {
        fields.push((k.into(), v.into()));
    }
    let res = app
        .client
        .post(app.url(&format!("/s/{SLUG}")))
        .form(&fields)
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 303);
    let csv = app
        .get_auth("/api/v1/campaigns/pingshun-2025/responses.csv")
        .await
        .text()
        .await
        .expect("csv");
    let mut reader = csv::Reader::from_reader(csv.trim_start_matches('\u{feff}').as_bytes());
    let header = reader.headers().expect("header").clone();
    let row = reader.records().next().expect("one row").expect("row");
    let cell = |name: &str| {
        let i = header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("column {name}"));
        row.get(i).unwrap_or_default().to_string()
    };
    assert_eq!(cell("bg_activities"), "visit other");
    assert_eq!(cell("bg_activities/visit"), "1");
    assert_eq!(cell("bg_activities/contest"), "0");
    assert_eq!(cell("bg_activities/other"), "1");
    assert_eq!(cell("bg_activities_other"), "非遗工坊");
    assert_eq!(cell("recommend"), "9");
    assert_eq!(cell("S12"), "", "hidden by the skip rule");
}
