//! API errors with stable codes: `{"error": code, "message": ..., "field": ...}`.
//! Unexpected failures are logged with their cause chain; the client gets an opaque 500.

use crate::domain::ErrorCode;
use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{message}")]
    Invalid {
        code: ErrorCode,
        field: Option<String>,
        message: String,
    },
    #[error("malformed JSON: {0}")]
    MalformedJson(String),
    #[error("request body is larger than {limit} bytes")]
    TooLarge { limit: usize },
    #[error("{what} {key:?} not found")]
    NotFound { what: &'static str, key: String },
    #[error("response {0} was already submitted with different answers")]
    Conflict(uuid::Uuid),
    #[error("a valid evaluator token is required: send Authorization: Bearer <token>")]
    Unauthorized,
    #[error("the server is busy storing other responses; nothing was stored, retry in a moment")]
    Busy,
    #[error("the database is unavailable right now (暂时无法保存); nothing was stored, retry in a moment")]
    Unavailable,
    #[error("too many wrong evaluator tokens from this address; try again in {0} s")]
    TooManyAttempts(u64),
    #[error(
        "too many submissions from this address (提交过于频繁); nothing was stored, retry in {0} s"
    )]
    RateLimited(u64),
    #[error("{0}")]
    Forbidden(String),
    #[error("this request came from another site; evaluator actions are accepted only from Chorus's own pages")]
    CrossSite,
    /// Refused as a whole, with every problem listed (e.g. a spreadsheet's).
    #[error("{message}")]
    Rejected {
        status: StatusCode,
        code: ErrorCode,
        message: String,
        problems: Vec<String>,
    },
    #[error("unexpected error")]
    Unexpected(#[from] anyhow::Error),
}

#[derive(Serialize)]
struct Body<'a> {
    error: &'a str,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    problems: &'a [String],
}

impl ApiError {
    pub fn code(&self) -> ErrorCode {
        match self {
            ApiError::Invalid { code, .. } => *code,
            ApiError::MalformedJson(_) => ErrorCode::MalformedJson,
            ApiError::TooLarge { .. } => ErrorCode::PayloadTooLarge,
            ApiError::NotFound { .. } => ErrorCode::NotFound,
            ApiError::Conflict(_) => ErrorCode::ResponseConflict,
            ApiError::Unauthorized => ErrorCode::Unauthorized,
            ApiError::Busy => ErrorCode::Busy,
            ApiError::Forbidden(_) => ErrorCode::Forbidden,
            ApiError::Unavailable => ErrorCode::StorageUnavailable,
            ApiError::TooManyAttempts(_) => ErrorCode::TooManyAttempts,
            ApiError::RateLimited(_) => ErrorCode::RateLimited,
            ApiError::CrossSite => ErrorCode::CrossSiteRequest,
            ApiError::Rejected { code, .. } => *code,
            ApiError::Unexpected(_) => ErrorCode::InternalError,
        }
    }

    pub fn unexpected(e: impl Into<anyhow::Error>) -> Self {
        ApiError::Unexpected(e.into())
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::MalformedJson(_) => StatusCode::BAD_REQUEST,
            ApiError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::NotFound { .. } => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Busy | ApiError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::TooManyAttempts(_) | ApiError::RateLimited(_) => {
                StatusCode::TOO_MANY_REQUESTS
            }
            ApiError::CrossSite | ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::Rejected { status, .. } => *status,
            ApiError::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let message = match self {
            ApiError::Unexpected(e) => {
                tracing::error!(error = ?e, "unexpected error");
                "an unexpected error occurred; it has been logged".to_string()
            }
            other => other.to_string(),
        };
        let field = match self {
            ApiError::Invalid { field, .. } => field.as_deref(),
            _ => None,
        };
        let mut builder = HttpResponse::build(self.status_code());
        if matches!(self, ApiError::Unauthorized) {
            builder.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        if matches!(self, ApiError::Busy) {
            builder.insert_header((header::RETRY_AFTER, "1"));
        }
        if matches!(self, ApiError::Unavailable) {
            builder.insert_header((header::RETRY_AFTER, "5"));
        }
        if let ApiError::TooManyAttempts(s) | ApiError::RateLimited(s) = self {
            builder.insert_header((header::RETRY_AFTER, s.to_string()));
        }
        let problems = match self {
            ApiError::Rejected { problems, .. } => problems.as_slice(),
            _ => &[],
        };
        builder.json(Body {
            error: self.code().as_str(),
            message,
            field,
            problems,
        })
    }
}

impl From<crate::store::ingest::IngestError> for ApiError {
    fn from(e: crate::store::ingest::IngestError) -> Self {
        match e {
            crate::store::ingest::IngestError::Busy => ApiError::Busy,
            crate::store::ingest::IngestError::Store(s) => s.into(),
        }
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> Self {
        match e {
            crate::store::StoreError::Refused(message) => ApiError::Rejected {
                status: StatusCode::CONFLICT,
                code: ErrorCode::WouldOrphanAnswers,
                message,
                problems: Vec::new(),
            },
            other if other.is_unavailable() => {
                tracing::warn!(error = %other, "database unavailable");
                ApiError::Unavailable
            }
            other => ApiError::Unexpected(other.into()),
        }
    }
}
