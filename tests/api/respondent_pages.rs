//! The respondent form: server-rendered, validated on the server, idempotent on retry.

use crate::both_backends;
use crate::helpers::TestApp;

both_backends!(
    form_page_renders_in_chinese,
    form_submit_stores_once_and_thanks,
    invalid_form_keeps_answers_and_marks_errors
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
    assert!(
        !body.contains("<script"),
        "the form must work without JavaScript"
    );

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
