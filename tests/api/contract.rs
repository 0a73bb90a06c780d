//! Issue #8, API contract: `/openapi.json` documents every API route the server has,
//! methods a path does not serve get 405, and a bounded schemathesis run (PyPI) against
//! the real server finds no 5xx and no response that breaks the document.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

use crate::helpers::{spawn_app_with, Backend, TOKEN};

/// API paths registered in `src/web/mod.rs` (the only place routes are declared).
fn registered_api_paths() -> BTreeSet<String> {
    let source = include_str!("../../src/web/mod.rs");
    source
        .split("web::resource(\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter(|p| p.starts_with("/api/") || *p == "/healthz")
        .map(str::to_string)
        .collect()
}

#[tokio::test]
async fn openapi_documents_every_api_route() {
    let app = spawn_app_with(Backend::Sqlite, None, |_| {})
        .await
        .expect("app");
    let r = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 200);
    let doc: serde_json::Value = r.json().await.expect("json");
    assert!(doc["openapi"].as_str().expect("version").starts_with("3."));
    let documented: BTreeSet<String> = doc["paths"]
        .as_object()
        .expect("paths")
        .keys()
        .cloned()
        .collect();
    let registered = registered_api_paths();
    assert!(registered.len() >= 18, "{registered:?}");
    assert_eq!(
        documented, registered,
        "every API route is documented, and nothing else"
    );
    // Evaluator and admin operations declare the bearer scheme; respondents' do not.
    for (path, ops) in doc["paths"].as_object().expect("paths") {
        for (method, op) in ops.as_object().expect("operations") {
            let secured = op.get("security").is_some();
            let public = path == "/healthz"
                || (path.starts_with("/api/v1/surveys/")
                    && (path.ends_with("/responses")
                        || path.ends_with("/partial")
                        || path == "/api/v1/surveys/{slug}"));
            assert_eq!(secured, !public, "{method} {path}");
            assert!(
                op["responses"].as_object().expect("responses").len() >= 2,
                "{method} {path} documents its errors"
            );
        }
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
}

#[tokio::test]
async fn a_method_a_path_does_not_serve_gets_405_with_allow() {
    let app = spawn_app_with(Backend::Sqlite, None, |_| {})
        .await
        .expect("app");
    let r = app
        .client
        .delete(app.url("/api/v1/campaigns"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 405);
    let allow = r
        .headers()
        .get("allow")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(allow.contains("GET"), "Allow: {allow:?}");
    let r = app
        .client
        .get(app.url("/api/v1/surveys/pingshun-2025-students/responses"))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 405);
    // A path parameter of the wrong type is a JSON 404, a bad query a JSON 422.
    let r = app
        .client
        .delete(app.url("/api/v1/tokens/not-a-number"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 404);
    let b: serde_json::Value = r.json().await.expect("json 404");
    assert_eq!(b["error"], "not_found");
    let r = app.get_auth("/api/v1/audit?limit=many").await;
    assert_eq!(r.status(), 422);
    let b: serde_json::Value = r.json().await.expect("json 422");
    assert_eq!(b["error"], "invalid_query", "{b}");
}

/// `st` from `CHORUS_SCHEMATHESIS`, the venv `.ci/run` makes, or PATH.
fn schemathesis() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("CHORUS_SCHEMATHESIS").map(PathBuf::from),
        std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/chorus-venv/bin/st")),
        Some(PathBuf::from("st")),
    ];
    candidates.into_iter().flatten().find(|c| {
        Command::new(c)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

#[tokio::test]
async fn schemathesis_finds_no_server_error_and_no_schema_violation() {
    let Some(st) = schemathesis() else {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "CI must run schemathesis: .ci/run installs it into ~/.cache/chorus-venv"
        );
        eprintln!("skipped: schemathesis (st) not installed; pip install schemathesis");
        return;
    };
    let app = spawn_app_with(Backend::Sqlite, None, |s| s.submit_rate = 0)
        .await
        .expect("app");
    // Data to score and report on, so those operations do real work.
    let db = sea_orm::Database::connect(&app.settings.database_url)
        .await
        .expect("db");
    chorus::app::demo::fill(&db, "pingshun-2025", 120, 3)
        .await
        .expect("fill");
    let examples: u32 = std::env::var("CHORUS_SCHEMATHESIS_EXAMPLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let config = crate::helpers::repo_path("tests/contract/schemathesis.toml");
    let address = app.address.clone();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(st)
            .arg("--config-file")
            .arg(&config)
            .arg("run")
            .arg(format!("{address}/openapi.json"))
            .args(["--max-examples", &examples.to_string()])
            .args(["--seed", "8"])
            .args(["--workers", "1"])
            // The first report of a data version builds all four formats (PDF included)
            // in a debug build, beside another test: minutes, not a server fault.
            .args(["--request-timeout", "180"])
            .args(["-H", &format!("Authorization: Bearer {TOKEN}")])
            .env("NO_COLOR", "1")
            .output()
            .expect("run schemathesis")
    })
    .await
    .expect("join");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "schemathesis found problems:\n{stdout}\n{stderr}"
    );
    // Every operation was tested, and every generated case passed every check
    // (no 5xx, responses match the document, invalid input refused, ...).
    assert!(
        stdout.contains("Tested: 20"),
        "all operations tested:\n{stdout}"
    );
    let cases = stdout
        .lines()
        .skip_while(|l| !l.starts_with("Test cases:"))
        .nth(1)
        .unwrap_or_default()
        .trim()
        .to_string();
    let numbers: Vec<u64> = cases
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .collect();
    assert!(
        numbers.len() >= 2 && numbers[0] == numbers[1] && numbers[0] >= 300,
        "every generated case passed, and enough were generated: {cases:?}"
    );
    eprintln!("schemathesis: {cases}");
}

/// Every stable error code is one variant of `domain::ErrorCode`: the API document's
/// `ErrorCode` schema lists exactly those, and docs/api.md carries the generated table.
#[tokio::test]
async fn every_error_code_is_documented() {
    use strum::IntoEnumIterator;
    let app = crate::helpers::spawn_app(Backend::Sqlite, None)
        .await
        .expect("app");
    let doc: serde_json::Value = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    let listed: Vec<String> = doc["components"]["schemas"]["ErrorCode"]["enum"]
        .as_array()
        .expect("the ErrorCode schema lists its values")
        .iter()
        .map(|v| v.as_str().expect("code").to_string())
        .collect();
    let codes: Vec<String> = chorus::domain::ErrorCode::iter()
        .map(|c| c.as_str().to_string())
        .collect();
    assert_eq!(listed, codes);
    assert_eq!(
        doc["components"]["schemas"]["ErrorBody"]["properties"]["error"]["$ref"],
        "#/components/schemas/ErrorCode"
    );
    let api = std::fs::read_to_string(crate::helpers::repo_path("docs/api.md")).expect("docs");
    let table = chorus::domain::codes::markdown_table();
    let start =
        "<!-- error-codes: generated from domain::ErrorCode; tests/api/contract.rs checks it -->\n";
    let block = api
        .split_once(start)
        .and_then(|(_, rest)| rest.split_once("<!-- /error-codes -->"))
        .map(|(b, _)| b)
        .expect("docs/api.md has the error-codes markers");
    assert_eq!(
        block, table,
        "docs/api.md's error-code table is out of date; replace it with:\n{table}"
    );
}
