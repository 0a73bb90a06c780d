//! Shared application state handed to every handler.

use std::path::PathBuf;
use std::sync::Arc;

use sea_orm::DatabaseConnection;

/// A workspace view: campaign, the token's scope, the filters asked and the page's own
/// parameters.
pub type ViewKey = (
    String,
    Vec<(String, String)>,
    Vec<(String, String)>,
    Vec<String>,
);
pub type ExploredView =
    Result<Option<crate::app::explore::Explored>, crate::app::explore::ExploreError>;
pub type TextView = Result<
    Option<crate::app::explore::Explored<crate::app::analyse::AnalysedText>>,
    crate::app::explore::ExploreError,
>;
pub type CrossedView =
    Result<Option<crate::app::crosstab::Crossed>, crate::app::crosstab::CrossError>;

#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    /// argon2 PHC string of the evaluator token.
    pub token_hash: Arc<String>,
    /// What the installation token's workspace sessions carry to name it.
    pub session_key: Arc<String>,
    /// The definitions folder, where imported questionnaires are written.
    pub surveys_dir: Arc<PathBuf>,
    /// One definition import at a time (they write files, then publish).
    pub import_lock: Arc<tokio::sync::Mutex<()>>,
    /// Base of respondent links (`CHORUS_PUBLIC_URL`); None = from the request.
    pub public_url: Option<Arc<String>>,
    /// The group-commit queue every submission goes through.
    pub ingest: crate::store::ingest::Ingest,
    /// Open-link survey pages, rendered and compressed once per version and language.
    pub pages: super::page_cache::PageCache,
    /// Computed reports, one computation per campaign data version.
    pub reports: super::report_cache::ReportCache,
    /// Results-explorer views, one analysis per view and data version.
    pub views: super::report_cache::VersionCache<ViewKey, Arc<ExploredView>>,
    /// Open-answer views, likewise.
    pub text_views: super::report_cache::VersionCache<ViewKey, Arc<TextView>>,
    /// Cross-tabulations, likewise.
    pub crosstabs: super::report_cache::VersionCache<ViewKey, Arc<CrossedView>>,
    /// Each campaign's fine cells summarised at its data version, so that a filtered
    /// view reads only its own responses.
    pub summaries: Arc<crate::app::read::Summaries>,
    /// Current questionnaire versions, kept for a moment.
    pub surveys: super::survey_cache::SurveyCache,
    /// Installation tokens verified in this process (keyed digests).
    pub verified: Arc<super::auth::VerifiedTokens>,
    /// Wrong evaluator tokens per address.
    pub auth_failures: super::auth_limit::AuthLimiter,
    /// Submissions per client address.
    pub submissions: super::submit_limit::SubmitLimiter,
    /// Reverse proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Arc<Vec<std::net::IpAddr>>,
    /// Key of the client hash (`CHORUS_CLIENT_SALT`, else random per process).
    pub client_key: Arc<[u8; 32]>,
}

impl AppState {
    /// A keyed hash of the request's client address and browser (64 bits as hex), by
    /// which the data quality rules recognise a duplicate submission. Without the key,
    /// which never reaches the database, the address cannot be recovered from it.
    pub fn client_hash(&self, req: &actix_web::HttpRequest) -> Option<String> {
        use sha2::{Digest, Sha256};
        let ip = self.client_ip(req)?;
        let agent = req
            .headers()
            .get(actix_web::http::header::USER_AGENT)
            .map(|v| v.as_bytes())
            .unwrap_or_default();
        let mut h = Sha256::new();
        h.update(self.client_key.as_slice());
        h.update(ip.to_string().as_bytes());
        h.update([0]);
        h.update(agent);
        Some(hex::encode(&h.finalize()[..8]))
    }

    /// The client address of a request (see `client::client_ip`).
    pub fn client_ip(&self, req: &actix_web::HttpRequest) -> Option<std::net::IpAddr> {
        super::client::client_ip(req, &self.trusted_proxies)
    }

    /// Refuses a submission from a client over its allowance (429, nothing stored).
    pub fn admit_submission(
        &self,
        req: &actix_web::HttpRequest,
    ) -> Result<(), crate::error::ApiError> {
        match self.client_ip(req) {
            Some(ip) => self
                .submissions
                .take(ip)
                .map_err(crate::error::ApiError::RateLimited),
            None => Ok(()),
        }
    }
}
