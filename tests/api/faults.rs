//! Issue #8, faults: PostgreSQL going away mid-load. The service reaches the database
//! through a TCP proxy the test controls; "taking the database away" drops every open
//! connection and refuses new ones (as a restarting server does). Submissions then get
//! 503 `storage_unavailable` with `Retry-After` and nothing is stored; when the database
//! is back the service reconnects by itself, the same submissions succeed, and every
//! acknowledged response is stored exactly once.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::helpers::{database_url, spawn_app_with, Backend};

/// A TCP proxy to PostgreSQL that can cut every connection and refuse new ones.
struct Proxy {
    port: u16,
    up: Arc<AtomicBool>,
    conns: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Proxy {
    async fn start(target: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let up = Arc::new(AtomicBool::new(true));
        let conns: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let (u, c) = (up.clone(), conns.clone());
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if !u.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let target = target.clone();
                let task = tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(&target).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                c.lock().expect("lock").push(task);
            }
        });
        Proxy { port, up, conns }
    }

    fn down(&self) {
        self.up.store(false, Ordering::SeqCst);
        for t in self.conns.lock().expect("lock").drain(..) {
            t.abort();
        }
    }

    fn up(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

#[tokio::test]
async fn postgres_going_away_gives_503_and_the_service_reconnects() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some(direct) = database_url(Backend::Postgres, dir.path()).await else {
        eprintln!("skipped: CHORUS_TEST_DATABASE_URL is not set");
        return;
    };
    let (prefix, rest) = direct.split_once("://").expect("postgres URL");
    let (auth, after) = rest.split_once('@').expect("user@host");
    let (hostport, db) = after.split_once('/').expect("host/db");
    let proxy = Proxy::start(hostport.to_string()).await;
    let via_proxy = format!("{prefix}://{auth}@127.0.0.1:{}/{db}", proxy.port);
    let app = spawn_app_with(Backend::Sqlite, None, |s| {
        s.database_url = via_proxy;
        s.submit_rate = 0;
    })
    .await
    .expect("app");
    let slug = "pingshun-2025-enterprises";
    let path = format!("/api/v1/surveys/{slug}/responses");
    let answers = app.valid_answers(slug, 4).await;
    let body = |id: uuid::Uuid| json!({"response_id": id, "answers": answers});
    let mut acknowledged = Vec::new();
    for _ in 0..20 {
        let id = uuid::Uuid::new_v4();
        assert_eq!(app.post_json(&path, &body(id)).await.status(), 201);
        acknowledged.push(id);
    }

    proxy.down();
    let mut refused = Vec::new();
    let started = Instant::now();
    for _ in 0..5 {
        let id = uuid::Uuid::new_v4();
        let r = app.post_json(&path, &body(id)).await;
        assert_eq!(r.status(), 503, "database away");
        assert!(r.headers().get("retry-after").is_some());
        let b: serde_json::Value = r.json().await.expect("json");
        assert_eq!(b["error"], "storage_unavailable", "{b}");
        refused.push(id);
    }
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "refusals come within the acquire timeout, not after a hang"
    );

    proxy.up();
    // The same submissions, retried as the page does, now succeed.
    let deadline = Instant::now() + Duration::from_secs(30);
    for id in &refused {
        loop {
            let status = app.post_json(&path, &body(*id)).await.status();
            if status == 201 {
                break;
            }
            assert_eq!(status, 503, "only 503 while reconnecting");
            assert!(Instant::now() < deadline, "service did not reconnect");
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        acknowledged.push(*id);
    }
    let csv = app
        .get_auth("/api/v1/campaigns/pingshun-2025/responses.csv")
        .await
        .text()
        .await
        .expect("csv");
    assert_eq!(
        csv.lines().count() - 1,
        acknowledged.len(),
        "each stored once"
    );
    for id in &acknowledged {
        assert!(
            csv.contains(&id.to_string()),
            "{id} acknowledged and stored"
        );
    }
}

/// Slow clients: a connection that sends a request head slowly (slowloris) is answered
/// 408 and closed after the 5 s head timeout, instead of holding a worker forever.
/// A raw-data export the database cuts off half-way must never look complete: the
/// chunked body ends without its final chunk, so clients report an error (curl exit 18,
/// browsers "network error", reqwest a body error) instead of saving a short file.
#[tokio::test]
async fn a_csv_export_cut_off_by_the_database_never_looks_complete() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some(direct) = database_url(Backend::Postgres, dir.path()).await else {
        eprintln!("skipped: CHORUS_TEST_DATABASE_URL is not set");
        return;
    };
    let (prefix, rest) = direct.split_once("://").expect("postgres URL");
    let (auth, after) = rest.split_once('@').expect("user@host");
    let (hostport, db) = after.split_once('/').expect("host/db");
    let proxy = Proxy::start(hostport.to_string()).await;
    let via_proxy = format!("{prefix}://{auth}@127.0.0.1:{}/{db}", proxy.port);
    let app = spawn_app_with(Backend::Sqlite, None, |s| {
        s.database_url = via_proxy;
    })
    .await
    .expect("app");
    let conn = sea_orm::Database::connect(&direct).await.expect("direct");
    let stored = chorus::app::demo::fill(&conn, "pingshun-2025", 30_000, 5)
        .await
        .expect("fill");
    // Complete when the database stays: every row and the body ends properly.
    let whole = app
        .get_auth("/api/v1/campaigns/pingshun-2025/responses.csv")
        .await
        .bytes()
        .await
        .expect("a complete export");
    let rows = whole.iter().filter(|b| **b == b'\n').count() - 1;
    assert_eq!(rows as u64, stored);

    let mut r = app
        .get_auth("/api/v1/campaigns/pingshun-2025/responses.csv")
        .await;
    assert_eq!(r.status(), 200);
    let first = r.chunk().await.expect("first chunk").expect("some data");
    assert!(!first.is_empty());
    proxy.down();
    let mut received = first.len();
    let ending = loop {
        match r.chunk().await {
            Ok(Some(c)) => received += c.len(),
            Ok(None) => break Ok(()),
            Err(e) => break Err(e),
        }
    };
    assert!(received < whole.len(), "the export was cut short");
    let err = ending.expect_err("a cut-off export ends in an error, not a clean end");
    assert!(
        err.is_body() || err.is_decode() || err.is_request(),
        "{err:?}"
    );
    proxy.up();
}

#[tokio::test]
async fn slow_request_heads_time_out() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = crate::helpers::spawn_app(Backend::Sqlite, None)
        .await
        .expect("sqlite");
    let addr = app.address.trim_start_matches("http://").to_string();
    let mut conn = TcpStream::connect(&addr).await.expect("connect");
    conn.write_all(
        b"POST /api/v1/surveys/pingshun-2025-students/responses HTTP/1.1\r\nHost: x\r\n",
    )
    .await
    .expect("write");
    let started = Instant::now();
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(20), conn.read_to_end(&mut buf)).await;
    assert!(read.is_ok(), "the server closed the slow connection");
    let text = String::from_utf8_lossy(&buf);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
}

/// Disk full (SQLite): the database lives on a 4 MiB tmpfs that the test fills up.
/// Submissions then get 503 `storage_unavailable`; every 201 is really committed (a
/// fresh connection sees exactly the acknowledged rows); when space returns the refused
/// submissions are stored once each and the database passes `PRAGMA integrity_check`.
/// Needs permission to mount a tmpfs (root, as on the CI machines); skipped elsewhere.
/// A small tmpfs the test can fill or make read-only; unmounted on drop.
struct Tmpfs {
    path: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl Tmpfs {
    /// `None` where mounting is not allowed (not root).
    fn mount(size: &str) -> Option<Self> {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("small");
        std::fs::create_dir_all(&path).expect("mount point");
        let mounted = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&path)
            .status()
            .is_ok_and(|s| s.success());
        mounted.then_some(Tmpfs { path, _dir: dir })
    }

    fn remount(&self, mode: &str) {
        let ok = std::process::Command::new("mount")
            .args(["-o", &format!("remount,{mode}")])
            .arg(&self.path)
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "remount {mode}");
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.path)
            .status();
    }
}

/// Rows in `responses` and `PRAGMA integrity_check`, through a fresh connection.
async fn committed_rows(url: &str) -> (usize, String) {
    use sea_orm::ConnectionTrait;
    let fresh = sea_orm::Database::connect(url).await.expect("fresh");
    let one =
        |sql: &str| sea_orm::Statement::from_string(sea_orm::DbBackend::Sqlite, sql.to_string());
    let count = fresh
        .query_one_raw(one("SELECT count(*) FROM responses"))
        .await
        .expect("query")
        .expect("row")
        .try_get_by_index::<i64>(0)
        .expect("count");
    let check = fresh
        .query_one_raw(one("PRAGMA integrity_check"))
        .await
        .expect("query")
        .expect("row")
        .try_get_by_index::<String>(0)
        .expect("text");
    (count as usize, check)
}

#[tokio::test]
async fn sqlite_disk_full_never_acknowledges_uncommitted_responses() {
    let Some(fs) = Tmpfs::mount("4m") else {
        eprintln!("skipped: cannot mount a tmpfs here (needs root)");
        return;
    };
    let mnt = fs.path.clone();
    let url = format!("sqlite://{}?mode=rwc", mnt.join("chorus.db").display());
    let app = spawn_app_with(Backend::Sqlite, None, |s| {
        s.database_url = url.clone();
        s.submit_rate = 0;
    })
    .await
    .expect("app");
    let slug = "pingshun-2025-teachers";
    let path = format!("/api/v1/surveys/{slug}/responses");
    let answers = app.valid_answers(slug, 4).await;
    let body = |id: uuid::Uuid| json!({"response_id": id, "answers": answers});
    let mut acknowledged = Vec::new();
    for _ in 0..3 {
        let id = uuid::Uuid::new_v4();
        assert_eq!(app.post_json(&path, &body(id)).await.status(), 201);
        acknowledged.push(id);
    }
    let filler = mnt.join("filler");
    {
        use std::io::Write;
        let mut f = std::fs::File::create(&filler).expect("filler");
        let block = vec![0u8; 64 * 1024];
        while f.write_all(&block).is_ok() {}
    }
    let mut refused = Vec::new();
    for _ in 0..10 {
        let id = uuid::Uuid::new_v4();
        let r = app.post_json(&path, &body(id)).await;
        match r.status().as_u16() {
            201 => acknowledged.push(id),
            503 => {
                let b: serde_json::Value = r.json().await.expect("json");
                assert_eq!(b["error"], "storage_unavailable", "{b}");
                refused.push(id);
            }
            other => panic!("disk full must give 201 or 503, got {other}"),
        }
    }
    assert!(!refused.is_empty(), "a full disk refuses submissions");
    std::fs::remove_file(&filler).expect("free space");
    for id in &refused {
        let r = app.post_json(&path, &body(*id)).await;
        let status = r.status();
        assert_eq!(
            status,
            201,
            "{id} after space returned: {:?}",
            r.text().await
        );
        acknowledged.push(*id);
    }
    // A fresh connection (not the service's pool) sees exactly what was acknowledged.
    let (count, check) = committed_rows(&url).await;
    assert_eq!(count, acknowledged.len(), "acknowledged == committed");
    assert_eq!(check, "ok");
    let csv = app
        .get_auth("/api/v1/campaigns/pingshun-2025/responses.csv")
        .await
        .text()
        .await
        .expect("csv");
    for id in &acknowledged {
        assert!(csv.contains(&id.to_string()), "{id} in the export");
    }
}

/// A database on a read-only volume (mounted read-only after a disk error, or a restored
/// file on a read-only share). SQLite would open it read-only without saying so, and a
/// service on it could acknowledge nothing; so Chorus refuses to start, naming the
/// folder and the fix, whether the database was left by a crash (its -wal and -shm
/// files present, which SQLite can open read-only) or stopped cleanly (which it cannot
/// open at all), and leaves every file untouched. Once the volume is writable the
/// service starts and every acknowledged response is there.
/// (A volume only turns read-only while no file on it is open for writing, so there is
/// no running-service case to test: the kernel's own remount-ro after a disk error
/// surfaces as I/O errors, answered 503 like a full disk.)
#[tokio::test]
async fn sqlite_on_a_read_only_volume_refuses_to_start_and_loses_nothing() {
    use crate::crash::{answers, free_port, start, wait_ready};
    let Some(fs) = Tmpfs::mount("64m") else {
        eprintln!("skipped: cannot mount a tmpfs here (needs root)");
        return;
    };
    let surveys = crate::helpers::repo_path("surveys");
    let url = format!("sqlite://{}?mode=rwc", fs.path.join("chorus.db").display());
    let client = reqwest::Client::new();
    let slug = "pingshun-2025-students";
    let files = || {
        let mut all: Vec<(String, Vec<u8>)> = std::fs::read_dir(&fs.path)
            .expect("dir")
            .map(|e| {
                let e = e.expect("entry");
                (
                    e.file_name().to_string_lossy().to_string(),
                    std::fs::read(e.path()).expect("read"),
                )
            })
            .collect();
        all.sort();
        all
    };
    let refuses_to_start = |label: &str| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_chorus"))
            .arg("serve")
            .env("CHORUS_DATABASE_URL", &url)
            .env("CHORUS_SURVEYS_DIR", &surveys)
            .env("CHORUS_BIND", format!("127.0.0.1:{}", free_port()))
            .env("CHORUS_ADMIN_TOKEN", crate::helpers::TOKEN)
            .output()
            .expect("run");
        assert!(!out.status.success(), "{label}: refuses to start");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("is not writable")
                && stderr.contains(&fs.path.display().to_string())
                && stderr.contains("CHORUS_DATABASE_URL"),
            "{label}: names the folder and the fix: {stderr}"
        );
    };
    let mut acknowledged = Vec::new();
    for round in ["crashed", "stopped cleanly"] {
        let port = free_port();
        let base = format!("http://127.0.0.1:{port}");
        let mut server = start(&url, &surveys, port);
        wait_ready(&client, &base).await;
        let valid = answers(&client, &base, slug).await;
        for _ in 0..3 {
            let id = uuid::Uuid::new_v4();
            let r = client
                .post(format!("{base}/api/v1/surveys/{slug}/responses"))
                .json(&json!({"response_id": id, "answers": valid}))
                .send()
                .await
                .expect("submit");
            assert_eq!(r.status(), 201);
            acknowledged.push(id);
        }
        if round == "crashed" {
            server.kill().expect("kill");
        } else {
            let _ = std::process::Command::new("kill")
                .args(["-TERM", &server.id().to_string()])
                .status();
        }
        let _ = server.wait();
        let before = files();
        assert_eq!(
            before.iter().any(|(n, _)| n.ends_with("-wal")),
            round == "crashed",
            "{round}: -wal left behind only by a crash"
        );
        fs.remount("ro");
        refuses_to_start(round);
        fs.remount("rw");
        assert!(files() == before, "{round}: files untouched");
    }
    let (count, check) = committed_rows(&url).await;
    assert_eq!(count, acknowledged.len(), "every acknowledged response");
    assert_eq!(check, "ok");
}
