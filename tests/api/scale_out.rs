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

/// A report job asked for on one instance is followed and downloaded on the other (its
/// row and file are in the database); a job its instance left running is shown as
/// interrupted once stale and no longer counts against its owner's running jobs.
#[tokio::test]
async fn a_report_job_is_seen_and_downloaded_on_every_instance() {
    use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, Set};
    let Some(first) = spawn_app(Backend::Postgres, None).await else {
        eprintln!("skipped: CHORUS_TEST_DATABASE_URL is not set");
        return;
    };
    let second = Application::build(first.settings.clone())
        .await
        .expect("second instance on the same database");
    let second_url = format!("http://127.0.0.1:{}", second.port());
    tokio::spawn(second.run_until_stopped());
    let db = chorus::store::connect(&first.settings).await.expect("db");
    chorus::app::demo::fill(&db, "pingshun-2025", 60, 11)
        .await
        .expect("demo");
    let cookie = crate::workspace::login(&first, crate::helpers::TOKEN).await;
    let no_redirect = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let asked = no_redirect
        .post(first.url("/admin/campaigns/pingshun-2025/reports"))
        .header("Cookie", &cookie)
        .header("Origin", first.address.as_str())
        .form(&[("format", "xlsx")])
        .send()
        .await
        .expect("start");
    assert_eq!(asked.status(), 303);
    let job = asked.headers()["location"]
        .to_str()
        .expect("location")
        .to_string();
    let on_second = |path: String| {
        let (client, cookie, base) = (first.client.clone(), cookie.clone(), second_url.clone());
        async move {
            client
                .get(format!("{base}{path}"))
                .header("Cookie", cookie)
                .send()
                .await
                .expect("request")
        }
    };
    let started = std::time::Instant::now();
    loop {
        let page = on_second(job.clone()).await;
        assert_eq!(page.status(), 200, "the other instance knows the job");
        if page.text().await.expect("html").contains("id=\"download\"") {
            break;
        }
        assert!(
            started.elapsed().as_secs() < 120,
            "ready within two minutes"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let file = on_second(format!("{job}/download")).await;
    assert_eq!(file.status(), 200);
    let bytes = file.bytes().await.expect("bytes");
    assert!(
        bytes.starts_with(b"PK"),
        "an xlsx (zip) from the other instance"
    );

    // Left running by a stopped instance: interrupted once stale.
    let id = job.trim_start_matches("/admin/reports/").to_string();
    let row = chorus::entities::report_jobs::Entity::find_by_id(id.clone())
        .one(&db)
        .await
        .expect("read")
        .expect("row");
    let mut stale = row.into_active_model();
    stale.stage = Set("reading".into());
    stale.created_at = Set(chrono::Utc::now() - chrono::Duration::minutes(25));
    stale.update(&db).await.expect("update");
    let page = on_second(job.clone()).await.text().await.expect("html");
    assert!(page.contains("任务中断"), "{page}");
    assert!(
        !page.contains("http-equiv=\"refresh\""),
        "no longer refreshing"
    );
    // Two more left behind: three stale jobs, and a new one is still taken.
    let mut left = chorus::entities::report_jobs::Entity::find_by_id(id)
        .one(&db)
        .await
        .expect("read")
        .expect("row");
    for _ in 0..2 {
        left.id = uuid::Uuid::new_v4().to_string();
        let copy: chorus::entities::report_jobs::ActiveModel = left.clone().into();
        copy.insert(&db).await.expect("insert");
    }
    let again = no_redirect
        .post(format!(
            "{second_url}/admin/campaigns/pingshun-2025/reports"
        ))
        .header("Cookie", &cookie)
        .header("Origin", second_url.as_str())
        .form(&[("format", "html")])
        .send()
        .await
        .expect("start");
    assert_eq!(again.status(), 303, "stale jobs do not count as running");
}
