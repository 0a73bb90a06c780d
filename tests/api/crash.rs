//! Durability under faults: the real binary on a SQLite file, loaded with concurrent
//! submissions, killed with SIGKILL at random moments 20 times (then SIGTERM once):
//! every response that got a 2xx is stored, completely, and nothing is stored twice.

use std::collections::HashSet;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use rand::Rng;

use crate::helpers::{repo_path, TOKEN};

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

pub fn start(db_url: &str, surveys: &std::path::Path, port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_chorus"))
        .arg("serve")
        .env("CHORUS_DATABASE_URL", db_url)
        .env("CHORUS_SURVEYS_DIR", surveys)
        .env("CHORUS_BIND", format!("127.0.0.1:{port}"))
        .env("CHORUS_ADMIN_TOKEN", TOKEN)
        // The load comes from one address; the per-client limit is tested elsewhere.
        .env("CHORUS_SUBMIT_RATE", "0")
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chorus serve")
}

pub async fn wait_ready(client: &reqwest::Client, base: &str) {
    for _ in 0..200 {
        if client
            .get(format!("{base}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("server did not start");
}

/// A full valid answer set from the published definition.
pub async fn answers(client: &reqwest::Client, base: &str, slug: &str) -> serde_json::Value {
    let def: serde_json::Value = client
        .get(format!("{base}/api/v1/surveys/{slug}"))
        .send()
        .await
        .expect("definition")
        .json()
        .await
        .expect("json");
    let mut out = serde_json::Map::new();
    for section in def["definition"]["sections"].as_array().expect("sections") {
        for q in section["questions"].as_array().expect("questions") {
            let id = q["id"].as_str().expect("id").to_string();
            match q["kind"]["type"].as_str().expect("type") {
                "likert" => {
                    out.insert(id, 4.into());
                }
                "single" => {
                    out.insert(id, q["kind"]["choices"][0]["code"].clone());
                }
                "integer" => {
                    out.insert(id, q["kind"]["min"].clone());
                }
                _ => {}
            }
        }
    }
    serde_json::Value::Object(out)
}

/// Posts fresh responses from `workers` tasks until the server goes away; returns the
/// ids that were acknowledged.
async fn load(
    client: &reqwest::Client,
    base: &str,
    body: &serde_json::Value,
    workers: usize,
    count: std::sync::Arc<std::sync::atomic::AtomicUsize>,
) -> Vec<uuid::Uuid> {
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..workers {
        let (client, base, body) = (client.clone(), base.to_string(), body.clone());
        let count = count.clone();
        set.spawn(async move {
            let mut acked = Vec::new();
            let mut failures = 0;
            while failures < 3 {
                let id = uuid::Uuid::new_v4();
                let res = client
                    .post(format!(
                        "{base}/api/v1/surveys/pingshun-2025-teachers/responses"
                    ))
                    .json(&serde_json::json!({"response_id": id, "answers": body}))
                    .send()
                    .await;
                match res {
                    Ok(r) if r.status().is_success() => {
                        acked.push(id);
                        count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    }
                    _ => {
                        failures += 1;
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                }
            }
            acked
        });
    }
    let mut all = Vec::new();
    while let Some(r) = set.join_next().await {
        all.extend(r.expect("task"));
    }
    all
}

#[tokio::test]
async fn killed_at_random_moments_never_loses_or_splits_an_acknowledged_response() {
    let dir = tempfile::tempdir().expect("dir");
    let db_url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("crash.db").display()
    );
    kill_rounds(&db_url, "sqlite").await;
}

#[tokio::test]
async fn killed_at_random_moments_on_postgres_never_loses_an_acknowledged_response() {
    let dir = tempfile::tempdir().expect("dir");
    let Some(db_url) =
        crate::helpers::database_url(crate::helpers::Backend::Postgres, dir.path()).await
    else {
        eprintln!("skipped: CHORUS_TEST_DATABASE_URL is not set");
        return;
    };
    kill_rounds(&db_url, "postgres").await;
}

async fn kill_rounds(db_url: &str, backend: &str) {
    let db_url = db_url.to_string();
    let surveys = repo_path("surveys");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .expect("client");
    let mut acked: HashSet<uuid::Uuid> = HashSet::new();
    let mut rng = rand::rng();
    let kills = 20;
    for round in 0..=kills {
        let port = free_port();
        let base = format!("http://127.0.0.1:{port}");
        let mut child = start(&db_url, &surveys, port);
        wait_ready(&client, &base).await;
        let body = answers(&client, &base, "pingshun-2025-teachers").await;
        let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let loader = {
            let (client, base, body) = (client.clone(), base.clone(), body.clone());
            let count = count.clone();
            tokio::spawn(async move { load(&client, &base, &body, 16, count).await })
        };
        // Kill while submissions are in flight: once the server is acknowledging (a
        // loaded CI machine may need a while after start-up), at a random moment.
        let started = std::time::Instant::now();
        while count.load(std::sync::atomic::Ordering::SeqCst) == 0
            && started.elapsed() < Duration::from_secs(60)
        {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        tokio::time::sleep(Duration::from_millis(rng.random_range(20..500))).await;
        if round < kills {
            child.kill().expect("SIGKILL");
        } else {
            // The last round ends with SIGTERM: a graceful stop finishes what it acked.
            Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status()
                .expect("kill -TERM");
        }
        child.wait().expect("exit");
        let ids = loader.await.expect("loader");
        assert!(
            !ids.is_empty(),
            "round {round}: some responses were acknowledged"
        );
        acked.extend(ids);
    }
    // Restart and read everything back.
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut child = start(&db_url, &surveys, port);
    wait_ready(&client, &base).await;
    let csv = client
        .get(format!(
            "{base}/api/v1/campaigns/pingshun-2025/responses.csv"
        ))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("csv")
        .text()
        .await
        .expect("text");
    child.kill().expect("stop");
    let _ = child.wait();
    let mut reader = csv::Reader::from_reader(csv.trim_start_matches('\u{feff}').as_bytes());
    let header = reader.headers().expect("header").clone();
    let t01 = header.iter().position(|h| h == "T01").expect("T01 column");
    let items: Vec<usize> = header
        .iter()
        .enumerate()
        .filter(|(_, h)| {
            h.len() == 3 && h.starts_with('T') && h[1..].chars().all(|c| c.is_ascii_digit())
        })
        .map(|(i, _)| i)
        .collect();
    let last_item = *items.last().expect("last item");
    let mut stored = HashSet::new();
    for row in reader.records() {
        let row = row.expect("row");
        let id: uuid::Uuid = row.get(0).expect("id").parse().expect("uuid");
        assert!(stored.insert(id), "response {id} stored twice");
        // Whole responses only: the first and the last item are both there.
        assert_eq!(row.get(t01), Some("4"), "{id} partially stored");
        assert_eq!(row.get(last_item), Some("4"), "{id} partially stored");
    }
    let lost: Vec<_> = acked.difference(&stored).collect();
    assert!(
        lost.is_empty(),
        "{} acknowledged responses lost, e.g. {:?}",
        lost.len(),
        lost.first()
    );
    eprintln!(
        "crash test ({backend}): {kills} SIGKILLs + 1 SIGTERM, {} acknowledged, {} stored",
        acked.len(),
        stored.len()
    );
}
