//! Settings in layers: built-in defaults, `configuration/base.toml`, an optional
//! `configuration/local.toml` (or the file named by `CHORUS_CONFIG`), then `CHORUS_*`
//! environment variables. Unknown keys are rejected so a typo never goes unnoticed.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Submissions per client address per minute unless `CHORUS_SUBMIT_RATE` says otherwise
/// (a classroom behind one school NAT address submits in the same minute).
pub const DEFAULT_SUBMIT_RATE: u32 = 600;

/// A secret that never prints.
#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Everything the service needs to start.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `sqlite://path?mode=rwc` (default `data/chorus.db`) or `postgres://...`.
    pub database_url: String,
    /// host:port the HTTP server listens on.
    pub bind: String,
    /// Folder holding one sub-folder per campaign.
    pub surveys_dir: PathBuf,
    /// Evaluator token; when set it replaces the generated one.
    pub admin_token: Option<Secret>,
    /// Largest JSON body accepted by the API, in bytes.
    pub json_limit: usize,
    /// Largest form body accepted by respondent pages, in bytes.
    pub form_limit: usize,
    /// The address respondents use (e.g. `https://survey.example.cn`), for invitation
    /// links and QR codes; default: the address of the request.
    pub public_url: Option<String>,
    /// Submissions accepted per minute from one client address (0 = no limit).
    pub submit_rate: u32,
    /// Reverse proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Key of the client hash that recognises duplicate submissions (data quality);
    /// none = a random key per process, so several instances should share one.
    pub client_salt: Option<Secret>,
    /// Whether `serve` packs, in the background, stored responses that have no packed
    /// answers yet (rows from before the packed column; see `chorus reindex`).
    pub pack_on_start: bool,
    /// Respondents whose analysis frames the server keeps in memory at most, over all
    /// campaigns, so that filtered views of unchanged data are selected rather than
    /// read (0 = keep none).
    pub kept_respondents: usize,
}

/// The default of [`Settings::kept_respondents`].
pub const DEFAULT_KEPT_RESPONDENTS: usize = 2_000_000;

impl Default for Settings {
    fn default() -> Self {
        Self {
            database_url: "sqlite://data/chorus.db?mode=rwc".into(),
            bind: "127.0.0.1:8080".into(),
            surveys_dir: PathBuf::from("surveys"),
            admin_token: None,
            json_limit: 256 * 1024,
            form_limit: 256 * 1024,
            public_url: None,
            submit_rate: DEFAULT_SUBMIT_RATE,
            trusted_proxies: Vec::new(),
            client_salt: None,
            pack_on_start: true,
            kept_respondents: DEFAULT_KEPT_RESPONDENTS,
        }
    }
}

/// One settings file; every field optional so files only state what they change.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    database_url: Option<String>,
    bind: Option<String>,
    surveys_dir: Option<PathBuf>,
    admin_token: Option<Secret>,
    json_limit: Option<usize>,
    form_limit: Option<usize>,
    public_url: Option<String>,
    submit_rate: Option<u32>,
    trusted_proxies: Option<Vec<std::net::IpAddr>>,
    client_salt: Option<Secret>,
    pack_on_start: Option<bool>,
    kept_respondents: Option<usize>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: String, message: String },
    #[error("environment variable {name}: {message}")]
    Env { name: &'static str, message: String },
}

impl Settings {
    /// Defaults, then files under `configuration/`, then the environment.
    pub fn load() -> Result<Self, ConfigError> {
        let mut settings = Settings::default();
        let dir = Path::new("configuration");
        for name in ["base.toml", "local.toml"] {
            settings.apply_file(&dir.join(name), false)?;
        }
        if let Ok(path) = std::env::var("CHORUS_CONFIG") {
            settings.apply_file(Path::new(&path), true)?;
        }
        settings.apply_env(|k| std::env::var(k).ok())?;
        Ok(settings)
    }

    fn apply_file(&mut self, path: &Path, required: bool) -> Result<(), ConfigError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => return Ok(()),
            Err(source) => {
                return Err(ConfigError::Read {
                    path: path.display().to_string(),
                    source,
                })
            }
        };
        let file: FileSettings = toml::from_str(&text).map_err(|e| ConfigError::Parse {
            path: path.display().to_string(),
            message: e.message().to_string(),
        })?;
        if let Some(v) = file.database_url {
            self.database_url = v;
        }
        if let Some(v) = file.bind {
            self.bind = v;
        }
        if let Some(v) = file.surveys_dir {
            self.surveys_dir = v;
        }
        if let Some(v) = file.admin_token {
            self.admin_token = Some(v);
        }
        if let Some(v) = file.json_limit {
            self.json_limit = v;
        }
        if let Some(v) = file.form_limit {
            self.form_limit = v;
        }
        if let Some(v) = file.public_url {
            self.public_url = Some(v);
        }
        if let Some(v) = file.submit_rate {
            self.submit_rate = v;
        }
        if let Some(v) = file.trusted_proxies {
            self.trusted_proxies = v;
        }
        if let Some(v) = file.client_salt {
            self.client_salt = Some(v);
        }
        if let Some(v) = file.pack_on_start {
            self.pack_on_start = v;
        }
        if let Some(v) = file.kept_respondents {
            self.kept_respondents = v;
        }
        Ok(())
    }

    /// Environment overrides; the names are a public contract.
    pub fn apply_env(
        &mut self,
        get: impl Fn(&'static str) -> Option<String>,
    ) -> Result<(), ConfigError> {
        if let Some(v) = get("CHORUS_DATABASE_URL") {
            if !(v.starts_with("sqlite:")
                || v.starts_with("postgres://")
                || v.starts_with("postgresql://"))
            {
                return Err(ConfigError::Env {
                    name: "CHORUS_DATABASE_URL",
                    message: format!("unsupported URL {v:?}; use sqlite://path/to/file.db or postgres://user@host/db"),
                });
            }
            self.database_url = v;
        }
        if let Some(v) = get("CHORUS_BIND") {
            if !v.contains(':') {
                return Err(ConfigError::Env {
                    name: "CHORUS_BIND",
                    message: format!("{v:?} is not host:port, e.g. 127.0.0.1:8080"),
                });
            }
            self.bind = v;
        }
        if let Some(v) = get("CHORUS_PUBLIC_URL") {
            if !(v.starts_with("http://") || v.starts_with("https://")) {
                return Err(ConfigError::Env {
                    name: "CHORUS_PUBLIC_URL",
                    message: format!(
                        "{v:?} is not an http(s) address, e.g. https://survey.example.cn"
                    ),
                });
            }
            self.public_url = Some(v.trim_end_matches('/').to_string());
        }
        if let Some(v) = get("CHORUS_SUBMIT_RATE") {
            self.submit_rate = v.trim().parse().map_err(|_| ConfigError::Env {
                name: "CHORUS_SUBMIT_RATE",
                message: format!("{v:?} is not a whole number of submissions per minute per client (0 = no limit)"),
            })?;
        }
        if let Some(v) = get("CHORUS_TRUSTED_PROXIES") {
            self.trusted_proxies = v
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| {
                    s.parse().map_err(|_| ConfigError::Env {
                        name: "CHORUS_TRUSTED_PROXIES",
                        message: format!(
                            "{s:?} is not an IP address; list proxy addresses separated by commas"
                        ),
                    })
                })
                .collect::<Result<_, _>>()?;
        }
        if let Some(v) = get("CHORUS_PACK_ON_START") {
            self.pack_on_start = match v.trim() {
                "true" | "1" => true,
                "false" | "0" => false,
                _ => {
                    return Err(ConfigError::Env {
                        name: "CHORUS_PACK_ON_START",
                        message: format!("{v:?} is neither true nor false"),
                    })
                }
            };
        }
        if let Some(v) = get("CHORUS_KEPT_RESPONDENTS") {
            self.kept_respondents = v.trim().parse().map_err(|_| ConfigError::Env {
                name: "CHORUS_KEPT_RESPONDENTS",
                message: format!(
                    "{v:?} is not a whole number of respondents (0 = keep no frames in memory)"
                ),
            })?;
        }
        if let Some(v) = get("CHORUS_SURVEYS_DIR") {
            self.surveys_dir = PathBuf::from(v);
        }
        if let Some(v) = get("CHORUS_ADMIN_TOKEN") {
            if v.len() < 16 {
                return Err(ConfigError::Env {
                    name: "CHORUS_ADMIN_TOKEN",
                    message: "must be at least 16 characters".into(),
                });
            }
            self.admin_token = Some(Secret::new(v));
        }
        if let Some(v) = get("CHORUS_CLIENT_SALT") {
            if v.len() < 16 {
                return Err(ConfigError::Env {
                    name: "CHORUS_CLIENT_SALT",
                    message: "must be at least 16 characters".into(),
                });
            }
            self.client_salt = Some(Secret::new(v));
        }
        Ok(())
    }

    /// For SQLite URLs, the database file's folder, so it can be created first.
    /// For SQLite URLs, the database file.
    pub fn sqlite_file(&self) -> Option<PathBuf> {
        let rest = self.database_url.strip_prefix("sqlite://")?;
        let path = rest.split('?').next().unwrap_or(rest);
        if path.is_empty() || path == ":memory:" {
            return None;
        }
        Some(PathBuf::from(path))
    }

    pub fn sqlite_parent_dir(&self) -> Option<PathBuf> {
        let rest = self.database_url.strip_prefix("sqlite://")?;
        let path = rest.split('?').next().unwrap_or(rest);
        if path.is_empty() || path == ":memory:" {
            return None;
        }
        Path::new(path).parent().map(Path::to_path_buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_overrides_use_the_documented_names() {
        let mut s = Settings::default();
        s.apply_env(|k| match k {
            "CHORUS_DATABASE_URL" => Some("postgres://postgres@127.0.0.1/test".into()),
            "CHORUS_BIND" => Some("0.0.0.0:9000".into()),
            "CHORUS_SURVEYS_DIR" => Some("/tmp/s".into()),
            "CHORUS_ADMIN_TOKEN" => Some("0123456789abcdef0123".into()),
            "CHORUS_KEPT_RESPONDENTS" => Some("50000".into()),
            _ => None,
        })
        .expect("valid overrides");
        assert_eq!(s.kept_respondents, 50_000);
        assert_eq!(s.database_url, "postgres://postgres@127.0.0.1/test");
        assert_eq!(s.bind, "0.0.0.0:9000");
        assert_eq!(s.surveys_dir, PathBuf::from("/tmp/s"));
        assert_eq!(
            s.admin_token.as_ref().map(Secret::expose),
            Some("0123456789abcdef0123")
        );
        assert!(
            !format!("{s:?}").contains("0123456789abcdef"),
            "secret printed"
        );
    }

    #[test]
    fn bad_env_values_name_the_variable() {
        let mut s = Settings::default();
        let err = s
            .apply_env(|k| (k == "CHORUS_DATABASE_URL").then(|| "mysql://x".to_string()))
            .expect_err("mysql is not supported");
        assert!(err.to_string().contains("CHORUS_DATABASE_URL"));
        let err = s
            .apply_env(|k| (k == "CHORUS_KEPT_RESPONDENTS").then(|| "2M".to_string()))
            .expect_err("not a number");
        assert!(err.to_string().contains("CHORUS_KEPT_RESPONDENTS"), "{err}");
    }

    #[test]
    fn files_are_layered_and_unknown_keys_rejected() {
        let dir = tempfile::tempdir().expect("tempdir");
        let good = dir.path().join("good.toml");
        std::fs::write(&good, "bind = \"0.0.0.0:9999\"\nform_limit = 1024\n").expect("write");
        let mut s = Settings::default();
        s.apply_file(&good, true).expect("valid file");
        assert_eq!((s.bind.as_str(), s.form_limit), ("0.0.0.0:9999", 1024));
        assert_eq!(
            s.database_url,
            Settings::default().database_url,
            "unstated keys keep their value"
        );

        let bad = dir.path().join("bad.toml");
        std::fs::write(&bad, "bnid = \"x\"\n").expect("write");
        let err = s.apply_file(&bad, true).expect_err("typo must be refused");
        assert!(err.to_string().contains("bnid"), "{err}");
        assert!(
            s.apply_file(&dir.path().join("missing.toml"), false)
                .is_ok(),
            "optional layer may be absent"
        );
    }

    #[test]
    fn shipped_base_file_matches_the_defaults() {
        let mut s = Settings::default();
        s.apply_file(
            Path::new(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/configuration/base.toml"
            )),
            true,
        )
        .expect("base.toml parses");
        let d = Settings::default();
        assert_eq!(
            (s.database_url, s.bind, s.surveys_dir),
            (d.database_url, d.bind, d.surveys_dir)
        );
        assert_eq!(s.kept_respondents, d.kept_respondents);
    }

    #[test]
    fn sqlite_parent_dir_is_found() {
        let s = Settings::default();
        assert_eq!(s.sqlite_parent_dir(), Some(PathBuf::from("data")));
    }
}
