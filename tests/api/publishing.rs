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
