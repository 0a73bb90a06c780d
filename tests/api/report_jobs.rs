//! Issue #16, reports in the workspace: `/admin/campaigns/{key}/reports` starts a report
//! of a view as a background job (this site's forms only); the job's page shows its
//! stage and refreshes itself until the file is ready; the download is the same
//! report the API gives for that view and is recorded in the audit trail, which the
//! reports page lists. Nobody else sees a job, and a school's token makes its school's
//! reports only.

use std::io::Read;
use std::time::{Duration, Instant};

use crate::both_backends;
use crate::helpers::{TestApp, TOKEN};
use crate::workspace::{audit_trail, html_of, login, school_token};

both_backends!(a_report_is_a_job_with_a_status_a_file_and_an_audited_download);

const KEY: &str = "pingshun-2025";

/// Posts the report form as this site does; the answer, not followed.
async fn start(app: &TestApp, cookie: &str, form: &[(&str, &str)]) -> reqwest::Response {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .post(app.url(&format!("/admin/campaigns/{KEY}/reports")))
        .header("Cookie", cookie)
        .header("Origin", app.address.as_str())
        .form(form)
        .send()
        .await
        .expect("post")
}

/// The job page until it offers the download (or the time is up).
async fn wait_ready(app: &TestApp, cookie: &str, job: &str) -> String {
    let started = Instant::now();
    loop {
        let html = html_of(app, job, cookie).await;
        if html.contains("id=\"download\"") || started.elapsed() > Duration::from_secs(120) {
            return html;
        }
        assert!(
            html.contains("http-equiv=\"refresh\"") && html.contains("role=\"status\""),
            "a running job refreshes itself and says where it is: {html}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn a_report_is_a_job_with_a_status_a_file_and_an_audited_download(app: TestApp) {
    let db = chorus::store::connect(&app.settings).await.expect("db");
    chorus::app::demo::fill(&db, KEY, 150, 7)
        .await
        .expect("demo");
    let cookie = login(&app, TOKEN).await;
    let page = html_of(&app, &format!("/admin/campaigns/{KEY}/reports"), &cookie).await;
    assert!(
        page.contains("name=\"format\"") && page.contains("尚无下载"),
        "{page}"
    );

    // Another site's form is refused.
    let res = reqwest::Client::new()
        .post(app.url(&format!("/admin/campaigns/{KEY}/reports")))
        .header("Cookie", &cookie)
        .header("Origin", "https://evil.example")
        .form(&[("format", "docx")])
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 403);

    // A Word report of one sector: a job, then the file.
    let res = start(
        &app,
        &cookie,
        &[("format", "docx"), ("lang", "zh"), ("sector", "ecommerce")],
    )
    .await;
    assert_eq!(res.status(), 303);
    let job = res.headers()["location"]
        .to_str()
        .expect("location")
        .to_string();
    assert!(job.starts_with("/admin/reports/"), "{job}");
    let ready = wait_ready(&app, &cookie, &job).await;
    assert!(
        ready.contains("id=\"download\""),
        "ready within two minutes: {ready}"
    );
    assert!(
        !ready.contains("http-equiv=\"refresh\""),
        "a finished job stops refreshing"
    );
    let res = app
        .client
        .get(app.url(&format!("{job}/download")))
        .header("Cookie", &cookie)
        .send()
        .await
        .expect("download");
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-disposition"]
        .to_str()
        .expect("disposition")
        .contains(".docx"));
    let bytes = res.bytes().await.expect("bytes").to_vec();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a docx is a zip");
    let mut xml = String::new();
    zip.by_name("word/document.xml")
        .expect("document.xml")
        .read_to_string(&mut xml)
        .expect("utf-8");
    assert!(
        xml.contains("sector = ecommerce"),
        "the view's filter is in the report"
    );

    // The same view from the API: the same numbers (the HTML of both).
    let res = start(
        &app,
        &cookie,
        &[("format", "html"), ("sector", "ecommerce")],
    )
    .await;
    let html_job = res.headers()["location"]
        .to_str()
        .expect("location")
        .to_string();
    wait_ready(&app, &cookie, &html_job).await;
    let from_job = app
        .client
        .get(app.url(&format!("{html_job}/download")))
        .header("Cookie", &cookie)
        .send()
        .await
        .expect("download")
        .text()
        .await
        .expect("html");
    let from_api = app
        .get_auth(&format!(
            "/api/v1/campaigns/{KEY}/report.html?sector=ecommerce"
        ))
        .await
        .text()
        .await
        .expect("html");
    assert_eq!(from_job, from_api);

    // The downloads are audited and listed, with the job.
    let audit = audit_trail(&app).await.to_string();
    assert!(audit.contains("report.job") && audit.contains(&job["/admin/reports/".len()..]));
    let page = html_of(&app, &format!("/admin/campaigns/{KEY}/reports"), &cookie).await;
    let downloads = page
        .split("id=\"downloads\"")
        .nth(1)
        .expect("downloads table");
    assert!(
        downloads.contains("docx") && downloads.contains("sector=ecommerce"),
        "{downloads}"
    );
    assert!(
        page.contains(&format!("href=\"{job}\"")),
        "the job is listed"
    );

    // Bad input is named; a third filter is refused; nobody else sees the job.
    let res = start(&app, &cookie, &[("format", "odt")]).await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.expect("html").contains("format"));
    let res = start(
        &app,
        &cookie,
        &[
            ("format", "pdf"),
            ("school", "a"),
            ("sector", "b"),
            ("grade", "c"),
        ],
    )
    .await;
    assert_eq!(res.status(), 422);
    let school = school_token(&app, "pszg").await;
    let school_cookie = login(&app, &school).await;
    let res = app
        .client
        .get(app.url(&job))
        .header("Cookie", &school_cookie)
        .send()
        .await
        .expect("page");
    assert_eq!(res.status(), 404, "another evaluator's job");
    let res = app
        .client
        .get(app.url(&format!("{job}/download")))
        .header("Cookie", &school_cookie)
        .send()
        .await
        .expect("download");
    assert_eq!(res.status(), 404);
    // A school's token: its school's report, whatever the form says.
    let res = start(
        &app,
        &school_cookie,
        &[("format", "html"), ("school", "other")],
    )
    .await;
    assert_eq!(res.status(), 403);
    let res = start(&app, &school_cookie, &[("format", "html")]).await;
    let own = res.headers()["location"]
        .to_str()
        .expect("location")
        .to_string();
    let ready = wait_ready(&app, &school_cookie, &own).await;
    assert!(
        ready.contains("学校：") || ready.contains("pszg"),
        "{ready}"
    );
    let page = html_of(
        &app,
        &format!("/admin/campaigns/{KEY}/reports"),
        &school_cookie,
    )
    .await;
    let downloads = page.split("<h2 id=\"h-audit\">").nth(1).expect("downloads");
    assert!(
        !downloads.contains("sector=ecommerce"),
        "not the admin's downloads"
    );
}
