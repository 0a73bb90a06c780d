//! Load generator for the benchmarks (benches/ingest.sh): posts valid JSON responses
//! (a fresh `response_id` each) with C concurrent connections for D seconds, fetches
//! the survey page, or walks the respondent's flow as a phone does (`flow`: GET the
//! page gzipped, read its hidden `response_id` and `served`, POST the form, follow the
//! redirect to the thanks page); prints one JSON line of figures. `--ceiling` first
//! starts a bare actix handler returning a constant, so the same client measures the
//! HTTP ceiling; it posts empty answer sets unless `--bodies-from URL` names a running
//! server whose questionnaire it then answers, so the bare handler reads the very
//! bodies a submission run sends (`submit-ceiling-same-bodies`).
//!
//! cargo run --release --example loadgen -- --url http://127.0.0.1:8080 \
//!     --slug pingshun-2025-students --connections 256 --seconds 60 [--mode submit|page|flow]

use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use serde_json::{json, Map, Value};

struct Args {
    url: String,
    slug: String,
    connections: usize,
    seconds: u64,
    mode: String,
    ceiling: bool,
    /// With `--ceiling`: the server whose questionnaire the bodies answer.
    bodies_from: Option<String>,
}

fn args() -> Args {
    let mut a = Args {
        url: "http://127.0.0.1:8080".into(),
        slug: "pingshun-2025-students".into(),
        connections: 64,
        seconds: 10,
        mode: "submit".into(),
        ceiling: false,
        bodies_from: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let mut v = || it.next().expect("a value after the flag");
        match k.as_str() {
            "--url" => a.url = v(),
            "--slug" => a.slug = v(),
            "--connections" => a.connections = v().parse().expect("number"),
            "--seconds" => a.seconds = v().parse().expect("number"),
            "--mode" => a.mode = v(),
            "--ceiling" => a.ceiling = true,
            "--bodies-from" => a.bodies_from = Some(v()),
            other => panic!("unknown flag {other}"),
        }
    }
    a
}

/// A valid answer set for the questionnaire, with random scale points.
fn answers(definition: &Value, rng: &mut impl Rng) -> Map<String, Value> {
    let mut out = Map::new();
    for section in definition["sections"].as_array().into_iter().flatten() {
        for q in section["questions"].as_array().into_iter().flatten() {
            let id = q["id"].as_str().unwrap_or_default().to_string();
            let kind = &q["kind"];
            match kind["type"].as_str().unwrap_or_default() {
                "likert" | "importance" => {
                    out.insert(id, json!(rng.random_range(1..=5)));
                }
                "single" => {
                    let choices = kind["choices"].as_array().cloned().unwrap_or_default();
                    if !choices.is_empty() {
                        let c = &choices[rng.random_range(0..choices.len())];
                        out.insert(id, c["code"].clone());
                    }
                }
                "integer" => {
                    out.insert(id, kind["min"].clone());
                }
                _ => {}
            }
        }
    }
    out
}

/// The value of the hidden input `name` in a page.
fn hidden(page: &str, name: &str) -> Option<String> {
    let at = page.find(&format!("name=\"{name}\" value=\""))? + name.len() + 15;
    let end = page[at..].find('"')?;
    Some(page[at..at + end].to_string())
}

/// `application/x-www-form-urlencoded` of `pairs`.
fn form_body(pairs: &[(String, String)]) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// One respondent: the page (gzipped, as phones ask for it), the form posted with the
/// page's hidden fields, the redirect followed; the thanks page's status, the bytes
/// received, and whether the flow ended on the thanks page.
async fn flow(
    client: &reqwest::Client,
    url: &str,
    slug: &str,
    answers: Map<String, Value>,
) -> Result<(reqwest::StatusCode, u64, bool), reqwest::Error> {
    use std::io::Read;
    let page = client
        .get(format!("{url}/s/{slug}"))
        .header("Accept-Encoding", "gzip")
        .send()
        .await?;
    let gzipped = page
        .headers()
        .get("content-encoding")
        .is_some_and(|v| v == "gzip");
    let raw = page.bytes().await?;
    let mut html = String::new();
    if gzipped {
        let _ = flate2::read::GzDecoder::new(&raw[..]).read_to_string(&mut html);
    } else {
        html = String::from_utf8_lossy(&raw).into_owned();
    }
    let mut pairs: Vec<(String, String)> = ["response_id", "served"]
        .iter()
        .filter_map(|n| Some((n.to_string(), hidden(&html, n)?)))
        .collect();
    pairs.extend(answers.into_iter().map(|(k, v)| {
        let v = match v {
            Value::String(s) => s,
            other => other.to_string(),
        };
        (k, v)
    }));
    let done = client
        .post(format!("{url}/s/{slug}"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(form_body(&pairs))
        .send()
        .await?;
    let thanks = done.url().path().ends_with("/thanks");
    let status = done.status();
    let bytes = raw.len() as u64 + done.bytes().await?.len() as u64;
    Ok((status, bytes, thanks))
}

async fn bare_server() -> String {
    use actix_web::{web, App, HttpResponse, HttpServer};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let server = HttpServer::new(|| {
        // The body is read whole, as any handler of a submission must.
        App::new()
            .app_data(web::PayloadConfig::new(1 << 20))
            .default_service(web::to(|body: web::Bytes| async move {
                let _ = body.len();
                HttpResponse::Created()
                    .json(json!({"response_id": "00000000-0000-0000-0000-000000000000"}))
            }))
    })
    .listen(listener)
    .expect("listen")
    .run();
    tokio::spawn(server);
    format!("http://127.0.0.1:{port}")
}

#[tokio::main]
async fn main() {
    let a = args();
    let url = if a.ceiling {
        bare_server().await
    } else {
        a.url.clone()
    };
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(a.connections)
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    let definition: Value = if a.ceiling && a.bodies_from.is_none() {
        json!({})
    } else {
        let from = a.bodies_from.as_deref().unwrap_or(&url);
        client
            .get(format!("{from}/api/v1/surveys/{}", a.slug))
            .send()
            .await
            .expect("definition")
            .json::<Value>()
            .await
            .expect("json")["definition"]
            .clone()
    };
    let deadline = Instant::now() + Duration::from_secs(a.seconds);
    let mut tasks = Vec::new();
    for w in 0..a.connections {
        let client = client.clone();
        let url = url.clone();
        let slug = a.slug.clone();
        let mode = a.mode.clone();
        let definition = definition.clone();
        tasks.push(tokio::spawn(async move {
            let mut rng = rand::rngs::StdRng::from_os_rng();
            let mut lat = Vec::new();
            let (mut ok, mut errors, mut bytes) = (0u64, 0u64, 0u64);
            let mut acked = Vec::new();
            let _ = w;
            while Instant::now() < deadline {
                let t = Instant::now();
                if mode == "flow" {
                    match flow(&client, &url, &slug, answers(&definition, &mut rng)).await {
                        Ok((status, b, true)) if status.is_success() => {
                            bytes += b;
                            ok += 1;
                            acked.push(uuid::Uuid::nil());
                        }
                        _ => errors += 1,
                    }
                    lat.push(t.elapsed().as_secs_f64() * 1000.0);
                    continue;
                }
                let res = if mode == "page" {
                    client
                        .get(format!("{url}/s/{slug}"))
                        .header("Accept-Encoding", "gzip")
                        .send()
                        .await
                } else {
                    let id = uuid::Uuid::new_v4();
                    let body =
                        json!({"response_id": id, "answers": answers(&definition, &mut rng)});
                    let r = client
                        .post(format!("{url}/api/v1/surveys/{slug}/responses"))
                        .json(&body)
                        .send()
                        .await;
                    if let Ok(r) = &r {
                        if r.status().is_success() {
                            acked.push(id);
                        }
                    }
                    r
                };
                match res {
                    Ok(r) if r.status().is_success() => {
                        let b = r.bytes().await.map(|b| b.len()).unwrap_or(0);
                        bytes += b as u64;
                        ok += 1;
                    }
                    Ok(r) => {
                        let _ = r.bytes().await;
                        errors += 1;
                    }
                    Err(_) => errors += 1,
                }
                lat.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            (lat, ok, errors, bytes, acked.len() as u64)
        }));
    }
    let started = Instant::now();
    let mut lat = Vec::new();
    let (mut ok, mut errors, mut bytes, mut acked) = (0, 0, 0, 0);
    for t in tasks {
        let (l, o, e, b, a) = t.await.expect("task");
        lat.extend(l);
        ok += o;
        errors += e;
        bytes += b;
        acked += a;
    }
    let secs = started.elapsed().as_secs_f64().max(a.seconds as f64);
    lat.sort_by(|x, y| x.total_cmp(y));
    let q = |p: f64| {
        lat.get(((lat.len() as f64 - 1.0) * p).round() as usize)
            .copied()
            .unwrap_or(f64::NAN)
    };
    println!(
        "{}",
        json!({
            "mode": match (a.ceiling, &a.bodies_from) {
                (true, Some(_)) => format!("{}-ceiling-same-bodies", a.mode),
                (true, None) => format!("{}-ceiling", a.mode),
                _ => a.mode.clone(),
            },
            "connections": a.connections,
            "seconds": secs,
            "ok": ok,
            "errors": errors,
            "acknowledged": acked,
            "per_second": ok as f64 / secs,
            "p50_ms": q(0.5),
            "p95_ms": q(0.95),
            "p99_ms": q(0.99),
            "max_ms": lat.last().copied().unwrap_or(f64::NAN),
            "bytes_per_response": bytes.checked_div(ok).unwrap_or(0),
        })
    );
}
