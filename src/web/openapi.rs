//! The OpenAPI 3.1 document of the JSON API, served at `/openapi.json`. Paths are
//! declared beside their handlers (`#[utoipa::path]`); this module gathers them and
//! holds the wire shapes that exist only on the wire (errors, envelopes).

use std::collections::BTreeMap;
use std::sync::OnceLock;

use actix_web::HttpResponse;
use serde::Serialize;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

/// Every refusal: a stable code, a message for people and, when one field is at
/// fault, its name.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable machine-readable code, one of `domain::ErrorCode` (listed with their
    /// meaning in docs/api.md).
    pub error: crate::domain::ErrorCode,
    /// What went wrong and how to fix it (zh-CN and/or English).
    pub message: String,
    /// The request field at fault (`answers.q3`, `count`, `lang` ...), when there is one.
    #[schema(nullable = false)]
    pub field: Option<String>,
    /// Every problem found, when a whole document is refused (e.g. an XLSForm).
    #[schema(nullable = false)]
    pub problems: Option<Vec<String>>,
}

/// The refusals of every evaluator operation before it runs: no valid token, or a
/// token whose role or school does not allow it.
#[derive(utoipa::IntoResponses)]
pub enum Denied {
    #[response(status = 401, description = "No valid token (`unauthorized`)")]
    Unauthorized(ErrorBody),
    #[response(
        status = 403,
        description = "The token's role or school does not allow this (`forbidden`)"
    )]
    Forbidden(ErrorBody),
}

/// The refusals of every operation that meets the rate limits or the database: try
/// again after `Retry-After`, nothing was changed.
#[derive(utoipa::IntoResponses)]
pub enum Overloaded {
    #[response(status = 429, description = "Too many requests; see Retry-After")]
    TooMany(ErrorBody),
    #[response(
        status = 503,
        description = "Database unavailable; nothing changed, retry after Retry-After"
    )]
    Unavailable(ErrorBody),
}

/// A response submission. `response_id` is chosen by the client so retries are
/// idempotent: the same id with the same answers is acknowledged again (200), with
/// different answers refused (409).
#[derive(Serialize, ToSchema)]
pub struct Submission {
    pub response_id: uuid::Uuid,
    /// Question id (or `matrix.row`) -> answer: a number, a string, or a list of
    /// option codes, as the published definition says.
    #[schema(value_type = Object)]
    pub answers: serde_json::Map<String, serde_json::Value>,
    /// Respondent attributes the questionnaire asks for (school, sector ...).
    #[schema(nullable = false)]
    pub attributes: Option<BTreeMap<String, String>>,
    /// The invitation code of a personal link (`?t=`).
    #[schema(nullable = false, min_length = 1, max_length = 64, pattern = "\\S")]
    pub token: Option<String>,
    /// How long answering took, as the page measured it (no clock time).
    #[schema(nullable = false)]
    pub paradata: Option<ParadataDoc>,
}

/// Seconds spent answering: the whole response and each page, each at most a week.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ParadataDoc {
    #[schema(nullable = false, minimum = 0, maximum = 604800)]
    pub duration_s: Option<u32>,
    #[schema(nullable = false, max_items = 100, value_type = Option<Vec<u32>>)]
    pub page_seconds: Option<Vec<u32>>,
}

/// Answers saved so far by an invited respondent.
#[derive(Serialize, ToSchema)]
pub struct PartialSave {
    /// The invitation code of the personal link.
    #[schema(min_length = 1, max_length = 64)]
    pub token: String,
    #[schema(value_type = Object)]
    pub answers: serde_json::Map<String, serde_json::Value>,
}

/// A published questionnaire as respondents' clients need it.
#[derive(Serialize, ToSchema)]
pub struct SurveyDocument {
    pub slug: String,
    /// The campaign's key.
    pub campaign: String,
    /// The published version; a submission is stored against it.
    pub version: i32,
    /// The questionnaire: sections, questions, options, texts.
    #[schema(value_type = Object)]
    pub definition: serde_json::Value,
    /// Display logic and `required_if` rules as expression trees.
    #[schema(value_type = Object)]
    pub logic: serde_json::Value,
}

/// Liveness and database readiness.
#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok`, or `unavailable` when the database does not answer.
    pub status: String,
    #[schema(nullable = false)]
    pub error: Option<String>,
}

/// `Authorization: Bearer <token>`: the installation token or an issued one.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Chorus API",
        description = "多元主体评价 — questionnaires, responses, scores and reports of school–enterprise cooperation. Evaluator endpoints need `Authorization: Bearer <token>`; errors are `{error, message, field?}` with stable codes.",
        license(name = "Apache-2.0")
    ),
    paths(
        super::health::healthz,
        super::responses::definition,
        super::responses::create,
        super::respondent::save_partial,
        super::campaigns::list,
        super::campaigns::scores,
        super::campaigns::analysis,
        super::crosstab_api::crosstab,
        super::campaigns::responses_csv,
        super::campaigns::audit_log,
        super::campaigns::list_tokens,
        super::campaigns::create_token,
        super::campaigns::revoke_token,
        super::invitations::create,
        super::invitations::qr_code,
        super::invitations::poster,
        super::invitations::participation,
        super::xlsform::import,
        super::xlsform::export,
        super::reports::download,
    ),
    components(schemas(ErrorBody)),
    modifiers(&BearerAuth),
    tags(
        (name = "respondents", description = "Published questionnaires and submissions (no login)"),
        (name = "evaluators", description = "Scores, analyses, raw data and reports"),
        (name = "admin", description = "Invitations, questionnaires, tokens, audit log"),
    )
)]
pub struct ApiDoc;

/// The document, serialised once.
pub fn document() -> &'static str {
    static DOC: OnceLock<String> = OnceLock::new();
    DOC.get_or_init(|| {
        ApiDoc::openapi()
            .to_pretty_json()
            .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    })
}

pub async fn serve() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(document())
}
