//! Issue #7, scale-out: `chorus serve` instances are stateless; two of them on one
//! PostgreSQL store a response posted to both at the same time exactly once, and share
//! the workspace sessions.

use chorus::startup::Application;

use crate::helpers::{spawn_app, Backend};

#[tokio::test]
async fn two_instances_on_one_postgres_store_a_double_post_once() {
    let Some(first) = spawn_app(Backend::Postgres, None).await else {
        eprintln!("skipped: CHORUS_TEST_DATABASE_URL is not set");
        return;
    };
    let second = Application::build(first.settings.clone())
        .await
        .expect("second instance on the same database");
    let second_url = format!("http://127.0.0.1:{}", second.port());
    tokio::spawn(second.run_until_stopped());

    let slug = "pingshun-2025-enterprises";
    let answers = first.valid_answers(slug, 3).await;
    let path = format!("/api/v1/surveys/{slug}/responses");
    for _ in 0..20 {
        let body = serde_json::json!({"response_id": uuid::Uuid::new_v4(), "answers": answers});
        let a = first.client.post(first.url(&path)).json(&body).send();
        let b = first
            .client
            .post(format!("{second_url}{path}"))
            .json(&body)
            .send();
        let (a, b) = tokio::join!(a, b);
        let mut codes = [
            a.expect("a").status().as_u16(),
            b.expect("b").status().as_u16(),
        ];
        codes.sort_unstable();
        assert_eq!(codes, [200, 201], "one stores, the other replays");
    }
    assert_eq!(first.stored_count().await, 20);
}

/// A workspace session opened on one instance works on the other (no sticky sessions
/// needed behind a round-robin balancer), and logging out on either ends it on both.
#[tokio::test]
async fn a_workspace_session_works_on_every_instance() {
    let Some(first) = spawn_app(Backend::Postgres, None).await else {
        eprintln!("skipped: CHORUS_TEST_DATABASE_URL is not set");
        return;
    };
    let second = Application::build(first.settings.clone())
        .await
        .expect("second instance on the same database");
    let second_url = format!("http://127.0.0.1:{}", second.port());
    tokio::spawn(second.run_until_stopped());
    let cookie = crate::workspace::login(&first, crate::helpers::TOKEN).await;
    let logged_in = |base: String| {
        let (client, cookie) = (first.client.clone(), cookie.clone());
        async move {
            let res = client
                .get(format!("{base}/admin"))
                .header("Cookie", cookie)
                .send()
                .await
                .expect("page");
            res.text().await.expect("body").contains("/admin/logout")
        }
    };
    assert!(logged_in(first.address.clone()).await);
    assert!(logged_in(second_url.clone()).await, "the other instance");
    let out = first
        .client
        .post(format!("{second_url}/admin/logout"))
        .header("Origin", second_url.as_str())
        .header("Cookie", cookie.clone())
        .send()
        .await
        .expect("logout");
    assert_eq!(out.status(), 303);
    assert!(
        !logged_in(first.address.clone()).await,
        "over on the first too"
    );
}
