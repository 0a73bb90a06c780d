//! Building the application: database, migrations, publishing, token, routes.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::{middleware, web, App, HttpServer};
use sea_orm::DatabaseConnection;

use crate::config::Settings;
use crate::store::{self, campaigns::Published};
use crate::web::responses::{json_error, path_error, query_error};
use crate::web::{auth, routes, AppState};

/// What start-up did, for the console.
pub struct Prepared {
    pub db: DatabaseConnection,
    pub published: Vec<(String, Vec<Published>)>,
    /// The open-answer settings of each campaign in the surveys folder (their
    /// segmenters are loaded in the background when the server starts).
    pub texts: Vec<crate::domain::text::TextSettings>,
}

/// Connects to the configured database and brings its schema up to date.
pub async fn connect(settings: &Settings) -> anyhow::Result<DatabaseConnection> {
    Ok(store::connect(settings).await?)
}

/// Connects, migrates, and publishes every campaign in the surveys folder. Definition
/// problems stop start-up with their `file:line:col` list.
pub async fn prepare(settings: &Settings) -> anyhow::Result<Prepared> {
    let db = store::connect(settings).await?;
    let campaigns = if settings.surveys_dir.is_dir() {
        crate::app::definitions::load_folder(&settings.surveys_dir)?
    } else {
        tracing::warn!(dir = %settings.surveys_dir.display(), "surveys folder not found; nothing published");
        Vec::new()
    };
    let origin = crate::app::publish::Origin {
        actor: "system:startup",
        detail: serde_json::Map::from_iter([(
            "source".to_string(),
            serde_json::Value::from("surveys folder"),
        )]),
        ip: None,
    };
    let mut published = Vec::new();
    for c in &campaigns {
        let list = crate::app::publish::publish(&db, c, &origin).await?;
        published.push((c.info.key.clone(), list));
    }
    let texts = campaigns.iter().map(|c| c.info.text.clone()).collect();
    Ok(Prepared {
        db,
        published,
        texts,
    })
}

/// The installation's evaluator token as the service holds it: the argon2 hash to check
/// it against, the key its workspace sessions carry, and a freshly generated token to
/// show once.
pub struct InstallationToken {
    pub hash: String,
    /// The same on every instance and after a restart for the same token, another for
    /// another token (see `web::auth::session_key`).
    pub session_key: String,
    pub new_token: Option<String>,
}

/// The evaluator token to accept: `CHORUS_ADMIN_TOKEN` if set, else the stored one, else
/// a new one (stored as its hash).
pub async fn token_hash(
    settings: &Settings,
    db: &DatabaseConnection,
) -> anyhow::Result<InstallationToken> {
    if let Some(token) = &settings.admin_token {
        let t = token.expose().to_string();
        let (hash, session_key) = tokio::task::spawn_blocking(move || {
            Ok::<_, anyhow::Error>((auth::hash(&t)?, auth::session_key(&t)?))
        })
        .await??;
        return Ok(InstallationToken {
            hash,
            session_key,
            new_token: None,
        });
    }
    let stored = |hash: String, new_token| InstallationToken {
        session_key: crate::app::access::installation_key(&hash),
        hash,
        new_token,
    };
    if let Some(hash) = store::tokens::current_hash(db).await? {
        return Ok(stored(hash, None));
    }
    let token = auth::generate();
    let t = token.clone();
    let hash = tokio::task::spawn_blocking(move || auth::hash(&t)).await??;
    store::tokens::store_hash(db, hash.clone()).await?;
    Ok(stored(hash, Some(token)))
}

pub struct Application {
    port: u16,
    server: Server,
    db: sea_orm::DatabaseConnection,
    pub new_token: Option<String>,
    pub published: Vec<(String, Vec<Published>)>,
    /// Held while the service runs so `chorus restore` refuses to replace the SQLite
    /// file under it (`store::sqlite_lock`).
    _holds: Option<std::fs::File>,
}

/// The service's shared lock on its SQLite file, if it uses one.
fn hold_sqlite(settings: &Settings) -> anyhow::Result<Option<std::fs::File>> {
    let Some(file) = settings.sqlite_file() else {
        return Ok(None);
    };
    // After `prepare`: the folder exists and is writable (store::connect checks).
    store::sqlite_lock::hold_shared(&file)
        .map(Some)
        .map_err(|e| {
            anyhow::anyhow!(
                "cannot lock {}: {e}; the folder of the SQLite database must be writable",
                store::sqlite_lock::path(&file).display()
            )
        })
}

/// Client hashes go when their campaign closes: checked at start, then every hour.
async fn forget_clients_hourly(db: DatabaseConnection) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
    loop {
        tick.tick().await;
        match crate::app::quality::forget_closed_clients(&db).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(responses = n, "client hashes of closed campaigns cleared"),
            Err(e) => tracing::warn!(error = %e, "clearing the client hashes of closed campaigns"),
        }
    }
}

/// The client hash's key: from `CHORUS_CLIENT_SALT`, or random for this process.
fn client_key(settings: &Settings) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    match &settings.client_salt {
        Some(s) => Sha256::digest(s.expose().as_bytes()).into(),
        None => rand::random(),
    }
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let prepared = prepare(&settings).await?;
        let holds = hold_sqlite(&settings)?;
        let installation = token_hash(&settings, &prepared.db).await?;
        let new_token = installation.new_token.clone();
        let listener = TcpListener::bind(&settings.bind).map_err(|e| {
            anyhow::anyhow!(
                "cannot listen on {}: {e}; set CHORUS_BIND to a free host:port",
                settings.bind
            )
        })?;
        let port = listener.local_addr()?.port();
        let ingest = crate::store::ingest::Ingest::start(prepared.db.clone());
        tokio::spawn(forget_clients_hourly(prepared.db.clone()));
        // The word segmenter's dictionaries take ~0.1 s to load: loaded now, the first
        // open-answer view does not wait for them.
        let texts = prepared.texts.clone();
        tokio::task::spawn_blocking(move || crate::analysis::text::segment::warm(&texts));
        if settings.pack_on_start {
            tokio::spawn(crate::app::reindex::backfill_in_background(
                prepared.db.clone(),
            ));
        }
        let db = prepared.db.clone();
        let state = web::Data::new(AppState {
            ingest,
            pages: crate::web::page_cache::PageCache::default(),
            reports: crate::web::report_cache::ReportCache::default(),
            views: Default::default(),
            text_views: Default::default(),
            crosstabs: Default::default(),
            summaries: Arc::new(crate::app::read::Summaries::keeping_frames(
                settings.kept_respondents,
            )),
            verified: Default::default(),
            surveys: crate::web::survey_cache::SurveyCache::default(),
            auth_failures: crate::web::auth_limit::AuthLimiter::default(),
            submissions: crate::web::submit_limit::SubmitLimiter::new(settings.submit_rate),
            trusted_proxies: Arc::new(settings.trusted_proxies.clone()),
            client_key: Arc::new(client_key(&settings)),
            db: prepared.db,
            token_hash: Arc::new(installation.hash),
            session_key: Arc::new(installation.session_key),
            surveys_dir: Arc::new(settings.surveys_dir.clone()),
            import_lock: Arc::new(tokio::sync::Mutex::new(())),
            public_url: settings.public_url.clone().map(Arc::new),
        });
        let (json_limit, form_limit) = (settings.json_limit, settings.form_limit);
        let server = HttpServer::new(move || {
            App::new()
                .wrap(middleware::Compress::default())
                .wrap(
                    middleware::DefaultHeaders::new()
                        .add(("X-Content-Type-Options", "nosniff"))
                        .add(("Referrer-Policy", "no-referrer"))
                        .add(("X-Frame-Options", "DENY"))
                        .add((
                            "Content-Security-Policy",
                            crate::web::survey_page::DEFAULT_CSP,
                        )),
                )
                .wrap(
                    // The request line without invitation codes or tokens.
                    middleware::Logger::new("%{request}xi %s %Dms")
                        .custom_request_replace("request", crate::web::access_log::request_line)
                        .exclude("/healthz"),
                )
                .app_data(state.clone())
                .app_data(
                    web::JsonConfig::default()
                        .limit(json_limit)
                        .error_handler(json_error),
                )
                .app_data(web::FormConfig::default().limit(form_limit))
                .app_data(web::QueryConfig::default().error_handler(query_error))
                .app_data(web::PathConfig::default().error_handler(path_error))
                .app_data(web::PayloadConfig::new(
                    crate::web::xlsform::MAX_XLSFORM_BYTES,
                ))
                .configure(routes)
        })
        // Slow clients: a request head not received within 5 s gets 408 and the
        // connection is closed (slowloris); idle keep-alive connections go after 30 s.
        .client_request_timeout(std::time::Duration::from_secs(5))
        .client_disconnect_timeout(std::time::Duration::from_secs(2))
        .keep_alive(std::time::Duration::from_secs(30))
        .listen(listener)?
        .run();
        Ok(Self {
            port,
            server,
            db,
            new_token,
            published: prepared.published,
            _holds: holds,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGTERM/SIGINT; in-flight requests finish (so every acknowledged
    /// submission is committed), then the pool is closed, which on SQLite checkpoints
    /// the WAL into the database file and removes the -wal and -shm files.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await?;
        if let Err(e) = self.db.close().await {
            tracing::warn!(error = %e, "closing the database pool");
        }
        Ok(())
    }
}
