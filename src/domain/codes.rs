//! Every stable error code the API and the pages return, in one enum: handlers and
//! the answer checks name a variant, never a string, and the API document, its
//! `ErrorBody` schema and docs/api.md are generated from or checked against this list
//! (`contract::every_error_code_is_documented`).

use serde::Serialize;

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    strum::EnumIter,
    strum::IntoStaticStr,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum ErrorCode {
    /// an answer names a question the questionnaire does not have (422).
    UnknownQuestion,
    /// a scale answer outside 1..points (422).
    OutOfScale,
    /// a number outside the question's min..max (422).
    OutOfRange,
    /// a required question (shown by the display logic) is unanswered (422).
    MissingAnswer,
    /// "other" was chosen without its text (422).
    MissingOther,
    /// an answer of the wrong JSON type for its question (422).
    WrongType,
    /// a choice code the question does not offer (422).
    UnknownChoice,
    /// the same choice twice in a multiple-choice or ranking answer (422).
    DuplicateChoice,
    /// fewer or more choices than the question allows (422).
    SelectionCount,
    /// a ranking that does not rank the required items (422).
    IncompleteRanking,
    /// the question's constraint expression does not hold (422).
    Constraint,
    /// a text longer than the question allows (422).
    TextTooLong,
    /// text with a NUL or other refused character (422).
    InvalidText,
    /// a respondent attribute name or value that is not accepted (422).
    InvalidAttribute,
    /// more respondent attributes than accepted (422).
    TooManyAttributes,
    /// an answer contradicting the invitation's school, sector, … (422).
    AttributeMismatch,
    /// more answers in one submission than accepted (422).
    TooManyAnswers,
    /// well-formed JSON of the wrong shape; `field` gives the path (422).
    InvalidPayload,
    /// a body that is not JSON (400).
    MalformedJson,
    /// an upload without a body (400).
    EmptyBody,
    /// a body over the size limit (413).
    PayloadTooLarge,
    /// a query string that does not parse; `field` names the parameter (422).
    InvalidQuery,
    /// an audit-log limit outside its range (422).
    InvalidLimit,
    /// a report language other than zh or en (422).
    InvalidLang,
    /// a report filter value that is empty or too long (422).
    InvalidFilter,
    /// a view narrowed by more attributes than the disclosure gate protects (422).
    TooManyFilters,
    /// an unknown output format (422).
    InvalidFormat,
    /// a token role other than admin or evaluator (422).
    InvalidRole,
    /// a token label that is empty or too long (422).
    InvalidLabel,
    /// an audience other than students, teachers or enterprises (422).
    InvalidAudience,
    /// an invitation batch request that is not accepted (count, attributes) (422).
    InvalidInvitation,
    /// a school given for an admin token (422).
    AdminHasNoSchool,
    /// an XLSForm that cannot be imported; `problems` lists why (422).
    InvalidXlsform,
    /// an import over an existing questionnaire without replace (409).
    QuestionnaireExists,
    /// a new definition that would drop questions already answered (409).
    WouldOrphanAnswers,
    /// an unknown campaign, questionnaire, format or token (404).
    NotFound,
    /// an invitation code this questionnaire does not know (404).
    UnknownToken,
    /// an invitation that has already answered (409).
    TokenUsed,
    /// a stored response id submitted with different answers (409).
    ResponseConflict,
    /// the questionnaire opens later (403).
    SurveyNotOpen,
    /// the questionnaire has closed (410).
    SurveyClosed,
    /// the questionnaire has all the responses it takes (410).
    SurveyFull,
    /// the quota of the respondent's group is reached (410).
    QuotaFull,
    /// no valid evaluator token (401).
    Unauthorized,
    /// the token's role or school does not allow this (403).
    Forbidden,
    /// a cookie-authenticated change from another site (403).
    CrossSiteRequest,
    /// too many wrong tokens from this address; see Retry-After (429).
    TooManyAttempts,
    /// too many submissions from this address; see Retry-After (429).
    RateLimited,
    /// the submission queue is full; nothing stored, retry after Retry-After (503).
    Busy,
    /// the database is unavailable; nothing changed, retry after Retry-After (503).
    StorageUnavailable,
    /// an unexpected failure, logged with its cause (500).
    InternalError,
}

impl ErrorCode {
    /// The code as it appears in `{"error": …}`.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// The HTTP status this code is normally answered with.
    pub fn status(self) -> u16 {
        match self {
            Self::UnknownQuestion => 422,
            Self::OutOfScale => 422,
            Self::OutOfRange => 422,
            Self::MissingAnswer => 422,
            Self::MissingOther => 422,
            Self::WrongType => 422,
            Self::UnknownChoice => 422,
            Self::DuplicateChoice => 422,
            Self::SelectionCount => 422,
            Self::IncompleteRanking => 422,
            Self::Constraint => 422,
            Self::TextTooLong => 422,
            Self::InvalidText => 422,
            Self::InvalidAttribute => 422,
            Self::TooManyAttributes => 422,
            Self::AttributeMismatch => 422,
            Self::TooManyAnswers => 422,
            Self::InvalidPayload => 422,
            Self::MalformedJson => 400,
            Self::EmptyBody => 400,
            Self::PayloadTooLarge => 413,
            Self::InvalidQuery => 422,
            Self::InvalidLimit => 422,
            Self::InvalidLang => 422,
            Self::InvalidFilter => 422,
            Self::TooManyFilters => 422,
            Self::InvalidFormat => 422,
            Self::InvalidRole => 422,
            Self::InvalidLabel => 422,
            Self::InvalidAudience => 422,
            Self::InvalidInvitation => 422,
            Self::AdminHasNoSchool => 422,
            Self::InvalidXlsform => 422,
            Self::QuestionnaireExists => 409,
            Self::WouldOrphanAnswers => 409,
            Self::NotFound => 404,
            Self::UnknownToken => 404,
            Self::TokenUsed => 409,
            Self::ResponseConflict => 409,
            Self::SurveyNotOpen => 403,
            Self::SurveyClosed => 410,
            Self::SurveyFull => 410,
            Self::QuotaFull => 410,
            Self::Unauthorized => 401,
            Self::Forbidden => 403,
            Self::CrossSiteRequest => 403,
            Self::TooManyAttempts => 429,
            Self::RateLimited => 429,
            Self::Busy => 503,
            Self::StorageUnavailable => 503,
            Self::InternalError => 500,
        }
    }

    /// What the code means, for the documentation.
    pub fn meaning(self) -> &'static str {
        match self {
            Self::UnknownQuestion => "an answer names a question the questionnaire does not have",
            Self::OutOfScale => "a scale answer outside 1..points",
            Self::OutOfRange => "a number outside the question's min..max",
            Self::MissingAnswer => "a required question (shown by the display logic) is unanswered",
            Self::MissingOther => "\"other\" was chosen without its text",
            Self::WrongType => "an answer of the wrong JSON type for its question",
            Self::UnknownChoice => "a choice code the question does not offer",
            Self::DuplicateChoice => "the same choice twice in a multiple-choice or ranking answer",
            Self::SelectionCount => "fewer or more choices than the question allows",
            Self::IncompleteRanking => "a ranking that does not rank the required items",
            Self::Constraint => "the question's constraint expression does not hold",
            Self::TextTooLong => "a text longer than the question allows",
            Self::InvalidText => "text with a NUL or other refused character",
            Self::InvalidAttribute => "a respondent attribute name or value that is not accepted",
            Self::TooManyAttributes => "more respondent attributes than accepted",
            Self::AttributeMismatch => "an answer contradicting the invitation's school, sector, …",
            Self::TooManyAnswers => "more answers in one submission than accepted",
            Self::InvalidPayload => "well-formed JSON of the wrong shape; `field` gives the path",
            Self::MalformedJson => "a body that is not JSON",
            Self::EmptyBody => "an upload without a body",
            Self::PayloadTooLarge => "a body over the size limit",
            Self::InvalidQuery => "a query string that does not parse; `field` names the parameter",
            Self::InvalidLimit => "an audit-log limit outside its range",
            Self::InvalidLang => "a report language other than zh or en",
            Self::InvalidFilter => "a report filter value that is empty or too long",
            Self::TooManyFilters => {
                "a view narrowed by more attributes than the disclosure gate protects"
            }
            Self::InvalidFormat => "an unknown output format",
            Self::InvalidRole => "a token role other than admin or evaluator",
            Self::InvalidLabel => "a token label that is empty or too long",
            Self::InvalidAudience => "an audience other than students, teachers or enterprises",
            Self::InvalidInvitation => {
                "an invitation batch request that is not accepted (count, attributes)"
            }
            Self::AdminHasNoSchool => "a school given for an admin token",
            Self::InvalidXlsform => "an XLSForm that cannot be imported; `problems` lists why",
            Self::QuestionnaireExists => "an import over an existing questionnaire without replace",
            Self::WouldOrphanAnswers => {
                "a new definition that would drop questions already answered"
            }
            Self::NotFound => "an unknown campaign, questionnaire, format or token",
            Self::UnknownToken => "an invitation code this questionnaire does not know",
            Self::TokenUsed => "an invitation that has already answered",
            Self::ResponseConflict => "a stored response id submitted with different answers",
            Self::SurveyNotOpen => "the questionnaire opens later",
            Self::SurveyClosed => "the questionnaire has closed",
            Self::SurveyFull => "the questionnaire has all the responses it takes",
            Self::QuotaFull => "the quota of the respondent's group is reached",
            Self::Unauthorized => "no valid evaluator token",
            Self::Forbidden => "the token's role or school does not allow this",
            Self::CrossSiteRequest => "a cookie-authenticated change from another site",
            Self::TooManyAttempts => "too many wrong tokens from this address; see Retry-After",
            Self::RateLimited => "too many submissions from this address; see Retry-After",
            Self::Busy => "the submission queue is full; nothing stored, retry after Retry-After",
            Self::StorageUnavailable => {
                "the database is unavailable; nothing changed, retry after Retry-After"
            }
            Self::InternalError => "an unexpected failure, logged with its cause",
        }
    }
}

/// The table of every code for docs/api.md (between its `error-codes` markers).
pub fn markdown_table() -> String {
    use strum::IntoEnumIterator;
    let mut out = String::from("| code | status | meaning |\n| --- | --- | --- |\n");
    for code in ErrorCode::iter() {
        out.push_str(&format!(
            "| `{}` | {} | {} |\n",
            code.as_str(),
            code.status(),
            code.meaning()
        ));
    }
    out
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strum::IntoEnumIterator;

    #[test]
    fn codes_are_unique_snake_case_and_serialise_as_themselves() {
        let mut seen = std::collections::BTreeSet::new();
        for code in ErrorCode::iter() {
            let s = code.as_str();
            assert!(s.chars().all(|c| c.is_ascii_lowercase() || c == '_'), "{s}");
            assert!(seen.insert(s), "{s} twice");
            assert_eq!(serde_json::to_value(code).expect("json"), s);
            assert!((400..600).contains(&code.status()), "{s}");
        }
        assert_eq!(ErrorCode::AttributeMismatch.as_str(), "attribute_mismatch");
    }
}
