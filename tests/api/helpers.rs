//! `spawn_app`: one isolated server per test, on SQLite or PostgreSQL.

use std::path::{Path, PathBuf};

use chorus::config::{Secret, Settings};
use chorus::startup::Application;
use sea_orm::{ConnectionTrait, Database};
use tempfile::TempDir;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub const TOKEN: &str = "test-evaluator-token-0123456789";

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub settings: Settings,
    /// Keeps the test's folder (SQLite file, surveys copy) alive as long as the app.
    pub _dir: TempDir,
}

/// Runs a test body against SQLite, then PostgreSQL when configured.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        $( $crate::both_backends!(@one $name, None); )*
    };
    ($surveys:literal => $($name:ident),* $(,)?) => {
        $( $crate::both_backends!(@one $name, Some($surveys)); )*
    };
    (@one $name:ident, $surveys:expr) => {
            mod $name {
                use $crate::helpers::{spawn_app, Backend};

                #[tokio::test]
                async fn sqlite() {
                    let app = spawn_app(Backend::Sqlite, $surveys).await.expect("sqlite always runs");
                    super::$name(app).await;
                }

                #[tokio::test]
                async fn postgres() {
                    match spawn_app(Backend::Postgres, $surveys).await {
                        Some(app) => super::$name(app).await,
                        None => eprintln!("skipped: CHORUS_TEST_DATABASE_URL is not set"),
                    }
                }
            }
    };
}

pub fn repo_path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// Copies a folder tree (campaign folders) so a test may edit its own copy.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create dir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}

/// A fresh database URL for this test, or `None` when PostgreSQL is not configured.
pub async fn database_url(backend: Backend, dir: &Path) -> Option<String> {
    match backend {
        Backend::Sqlite => Some(format!(
            "sqlite://{}?mode=rwc",
            dir.join("data/chorus.db").display()
        )),
        Backend::Postgres => {
            let base = std::env::var("CHORUS_TEST_DATABASE_URL").ok()?;
            let name = format!("chorus_t_{}", uuid::Uuid::new_v4().simple());
            let admin = Database::connect(&base)
                .await
                .expect("connect to CHORUS_TEST_DATABASE_URL");
            admin
                .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                .await
                .expect("create test database");
            let (prefix, _) = base
                .split('?')
                .next()
                .unwrap_or(&base)
                .rsplit_once('/')
                .expect("URL has a database");
            Some(format!("{prefix}/{name}"))
        }
    }
}

/// Starts the server with the campaigns of `surveys` (default: the repo's `surveys/`),
/// copied into the test's own folder.
pub async fn spawn_app(backend: Backend, surveys: Option<&str>) -> Option<TestApp> {
    spawn_app_with(backend, surveys, |_| {}).await
}

/// `spawn_app` with settings changed by `tweak` before the server starts.
pub async fn spawn_app_with(
    backend: Backend,
    surveys: Option<&str>,
    tweak: impl FnOnce(&mut Settings),
) -> Option<TestApp> {
    let dir = tempfile::tempdir().expect("tempdir");
    let database_url = database_url(backend, dir.path()).await?;
    let surveys_dir = dir.path().join("surveys");
    copy_dir(&repo_path(surveys.unwrap_or("surveys")), &surveys_dir);
    let mut settings = Settings {
        database_url,
        bind: "127.0.0.1:0".into(),
        surveys_dir,
        admin_token: Some(Secret::new(TOKEN)),
        ..Settings::default()
    };
    tweak(&mut settings);
    let app = Application::build(settings.clone())
        .await
        .expect("application builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    Some(TestApp {
        address,
        client,
        settings,
        _dir: dir,
    })
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// A GET with `token` that must answer 200.
    pub async fn get_ok_as(&self, token: &str, path: &str) -> reqwest::Response {
        let res = self
            .client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request");
        assert_eq!(res.status(), 200, "{path}");
        res
    }

    pub async fn get_auth(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(TOKEN)
            .send()
            .await
            .expect("request")
    }

    /// A campaign's raw-data CSV export, read back: header and rows.
    pub async fn export_csv(&self, campaign: &str) -> (csv::StringRecord, Vec<csv::StringRecord>) {
        let csv = self
            .get_auth(&format!("/api/v1/campaigns/{campaign}/responses.csv"))
            .await
            .text()
            .await
            .expect("csv");
        let mut reader = csv::Reader::from_reader(csv.trim_start_matches('\u{feff}').as_bytes());
        let header = reader.headers().expect("header").clone();
        let rows = reader.records().map(|r| r.expect("row")).collect();
        (header, rows)
    }

    /// Responses stored for the default campaign, counted from its CSV export.
    pub async fn stored_count(&self) -> usize {
        let csv = self
            .get_auth("/api/v1/campaigns/pingshun-2025/responses.csv")
            .await
            .text()
            .await
            .expect("csv");
        csv.lines().count() - 1
    }

    pub async fn post_json(&self, path: &str, body: &serde_json::Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .expect("request")
    }

    /// Submits `answers` to questionnaire `slug` as a new response; it must be stored.
    pub async fn submit(&self, slug: &str, answers: serde_json::Value) {
        let body = serde_json::json!({"response_id": uuid::Uuid::new_v4(), "answers": answers});
        let res = self
            .post_json(&format!("/api/v1/surveys/{slug}/responses"), &body)
            .await;
        let status = res.status();
        assert_eq!(status, 201, "{}", res.text().await.unwrap_or_default());
    }

    /// A valid full answer set for a questionnaire of the default campaign.
    pub async fn valid_answers(
        &self,
        slug: &str,
        likert: i64,
    ) -> serde_json::Map<String, serde_json::Value> {
        let def: serde_json::Value = self
            .client
            .get(self.url(&format!("/api/v1/surveys/{slug}")))
            .send()
            .await
            .expect("request")
            .json()
            .await
            .expect("json");
        let mut answers = serde_json::Map::new();
        for section in def["definition"]["sections"].as_array().expect("sections") {
            for q in section["questions"].as_array().expect("questions") {
                let id = q["id"].as_str().expect("id").to_string();
                match q["kind"]["type"].as_str().expect("type") {
                    "likert" => answers.insert(id, likert.into()),
                    "single" => answers.insert(id, q["kind"]["choices"][0]["code"].clone()),
                    "text" => answers.insert(id, "建议多安排企业实践".into()),
                    "integer" => answers.insert(id, q["kind"]["min"].clone()),
                    _ => None,
                };
            }
        }
        answers
    }
}
