//! Live updates of the fieldwork monitor: the page's one inline script (allowed by its
//! hash, nothing else runs), and how a refresh it makes is told from a visit, so the
//! audit log records who watched without one entry per refresh.

use actix_web::HttpRequest;

/// The script, inlined; comment lines and indentation stripped once.
pub static SCRIPT: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    include_str!("assets/live.js")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
});

/// The monitor's Content-Security-Policy: the default one plus its own script by hash,
/// fetching only from this server.
pub static CSP: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    use base64::Engine;
    use sha2::Digest;
    let hash =
        base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(SCRIPT.as_bytes()));
    format!(
        "{}; script-src 'sha256-{hash}'; connect-src 'self'",
        super::survey_page::DEFAULT_CSP
    )
});

/// How often the page refreshes itself, in milliseconds.
pub const EVERY_MS: u64 = 15_000;

/// Within this many minutes of a recorded view by the same evaluator, the page's own
/// refreshes are not recorded again (the visit already is).
pub const AUDIT_MINUTES: i64 = 30;

/// Whether the request is the page refreshing itself (the script's header).
pub fn is_refresh(req: &HttpRequest) -> bool {
    req.headers().contains_key("x-chorus-live")
}
