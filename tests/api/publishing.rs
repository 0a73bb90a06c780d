//! Publishing questionnaires: unchanged files are a no-op, changed files a new version.

use chorus::startup;

use crate::both_backends;
use crate::helpers::TestApp;

both_backends!(
    republishing_unchanged_files_is_a_no_op,
    changing_a_file_publishes_a_new_version
);

async fn republishing_unchanged_files_is_a_no_op(app: TestApp) {
    // Arrange: the server already published everything once.
    // Act
    let again = startup::prepare(&app.settings).await.expect("prepare");
    // Assert
    let list = &again.published[0].1;
    assert_eq!(list.len(), 3);
    assert!(
        list.iter().all(|p| !p.created && p.version == 1),
        "{list:?}"
    );
}

async fn changing_a_file_publishes_a_new_version(app: TestApp) {
    let file = app.settings.surveys_dir.join("pingshun-2025/teachers.toml");
    let text = std::fs::read_to_string(&file).expect("read");
    std::fs::write(&file, text.replace("教师问卷：", "教师问卷（修订）：")).expect("write");

    let again = startup::prepare(&app.settings).await.expect("prepare");

    let list = &again.published[0].1;
    let teachers = list
        .iter()
        .find(|p| p.slug == "pingshun-2025-teachers")
        .expect("teachers");
    assert!(teachers.created);
    assert_eq!(teachers.version, 2);
    assert!(list
        .iter()
        .filter(|p| p.slug != "pingshun-2025-teachers")
        .all(|p| !p.created && p.version == 1));
    let def: serde_json::Value = app
        .client
        .get(app.url("/api/v1/surveys/pingshun-2025-teachers"))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert_eq!(def["version"], 2);
    assert!(def["definition"]["title"]
        .as_str()
        .expect("title")
        .contains("修订"));
}

both_backends!(
    removing_an_answered_question_is_refused_unless_declared_a_new_version,
    answers_to_hidden_questions_are_discarded_on_submit
);

/// Issue #3: a change that would orphan stored answers is refused with an explanation,
/// unless the file publishes it explicitly as a new version.
async fn removing_an_answered_question_is_refused_unless_declared_a_new_version(app: TestApp) {
    let slug = "pingshun-2025-students";
    let mut answers = app.valid_answers(slug, 4).await;
    answers.insert(
        "bg_activities".into(),
        serde_json::json!(["visit", "contest"]),
    );
    let res = app
        .post_json(
            &format!("/api/v1/surveys/{slug}/responses"),
            &serde_json::json!({ "response_id": uuid::Uuid::new_v4(), "answers": answers }),
        )
        .await;
    assert_eq!(
        res.status(),
        201,
        "{}",
        res.text().await.unwrap_or_default()
    );

    let file = app.settings.surveys_dir.join("pingshun-2025/students.toml");
    let original = std::fs::read_to_string(&file).expect("read");
    // Dropping a chosen choice ("contest") orphans one stored answer.
    let without_choice = original.replace("  { code = \"contest\", label = \"技能竞赛\" },\n", "");
    assert_ne!(without_choice, original);
    std::fs::write(&file, &without_choice).expect("write");
    let err = startup::prepare(&app.settings)
        .await
        .err()
        .expect("refused")
        .to_string();
    assert!(err.contains("choice \"contest\" of question \"bg_activities\" was removed but 1 stored response(s) chose it"), "{err}");
    assert!(
        err.contains("version = 2"),
        "the way forward is named: {err}"
    );

    // Removing a choice nobody chose is fine (a new version, nothing orphaned).
    let unchosen = original.replace(
        "  { code = \"lecture\", label = \"企业人员讲座或授课\" },\n",
        "",
    );
    std::fs::write(&file, &unchosen).expect("write");
    let ok = startup::prepare(&app.settings)
        .await
        .expect("nothing orphaned");
    let students = ok.published[0]
        .1
        .iter()
        .find(|p| p.slug == slug)
        .expect("students");
    assert_eq!((students.created, students.version), (true, 2));

    // Declaring version = 2 publishes the orphaning change explicitly.
    let declared = without_choice.replace(
        "audience = \"students\"",
        "version = 2\naudience = \"students\"",
    );
    std::fs::write(&file, &declared).expect("write");
    let ok = startup::prepare(&app.settings)
        .await
        .expect("explicit new version");
    let students = ok.published[0]
        .1
        .iter()
        .find(|p| p.slug == slug)
        .expect("students");
    assert_eq!((students.created, students.version), (true, 3));
    // The stored answer is still there and still exported by question id.
    let csv = app
        .get_auth("/api/v1/campaigns/pingshun-2025/responses.csv")
        .await
        .text()
        .await
        .expect("csv");
    assert!(csv.contains("visit contest"), "{csv}");
}

/// Display logic is enforced by the server: answers to questions hidden by `relevant`
/// are discarded, and hidden questions are not required.
async fn answers_to_hidden_questions_are_discarded_on_submit(app: TestApp) {
    let slug = "pingshun-2025-students";
    let mut answers = app.valid_answers(slug, 4).await;
    answers.insert("bg_intern".into(), "no".into());
    // S12 is in the internship matrix, asked only when bg_intern = yes.
    let mut without = answers.clone();
    for id in ["S12", "S13", "S14", "S15"] {
        without.remove(id);
    }
    let res = app
        .post_json(
            &format!("/api/v1/surveys/{slug}/responses"),
            &serde_json::json!({ "response_id": uuid::Uuid::new_v4(), "answers": without }),
        )
        .await;
    assert_eq!(res.status(), 201, "hidden questions are not required");
    let id = uuid::Uuid::new_v4();
    let res = app
        .post_json(
            &format!("/api/v1/surveys/{slug}/responses"),
            &serde_json::json!({ "response_id": id, "answers": answers }),
        )
        .await;
    assert_eq!(res.status(), 201);
    let csv = app
        .get_auth("/api/v1/campaigns/pingshun-2025/responses.csv")
        .await
        .text()
        .await
        .expect("csv");
    let mut rows = csv::Reader::from_reader(csv.trim_start_matches('\u{feff}').as_bytes());
    let header = rows.headers().expect("header").clone();
    let s12 = header.iter().position(|h| h == "S12").expect("S12 column");
    let row = rows
        .records()
        .map(|r| r.expect("row"))
        .find(|r| r.get(0) == Some(&id.to_string()))
        .expect("stored");
    assert_eq!(row.get(s12), Some(""), "the hidden answer was discarded");

    // Shown (bg_intern = yes) and left out: required.
    answers.insert("bg_intern".into(), "yes".into());
    answers.remove("S12");
    let res = app
        .post_json(
            &format!("/api/v1/surveys/{slug}/responses"),
            &serde_json::json!({ "response_id": uuid::Uuid::new_v4(), "answers": answers }),
        )
        .await;
    assert_eq!(res.status(), 422);
    let body: serde_json::Value = res.json().await.expect("json");
    assert!(body.to_string().contains("S12"), "{body}");
}
