//! How a refusal reads: each reason a respondent may not answer now
//! (`app::respond::Refusal`) has a page (Chinese first, English second) and an API
//! error with a stable code.

use actix_web::http::StatusCode;
use chrono::{DateTime, FixedOffset, Utc};

pub use crate::app::respond::Refusal;
use crate::domain::ErrorCode;
use crate::error::ApiError;

/// China Standard Time, for the dates respondents read.
fn cst(t: DateTime<Utc>) -> String {
    let offset = FixedOffset::east_opt(8 * 3600)
        .unwrap_or_else(|| FixedOffset::east_opt(0).expect("zero offset"));
    t.with_timezone(&offset)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

impl Refusal {
    pub fn status(&self) -> StatusCode {
        match self {
            Refusal::NotYetOpen(_) => StatusCode::FORBIDDEN,
            Refusal::Closed | Refusal::Full | Refusal::QuotaFull { .. } => StatusCode::GONE,
            Refusal::UnknownToken => StatusCode::NOT_FOUND,
            Refusal::TokenUsed => StatusCode::CONFLICT,
        }
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            Refusal::NotYetOpen(_) => ErrorCode::SurveyNotOpen,
            Refusal::Closed => ErrorCode::SurveyClosed,
            Refusal::Full => ErrorCode::SurveyFull,
            Refusal::QuotaFull { .. } => ErrorCode::QuotaFull,
            Refusal::UnknownToken => ErrorCode::UnknownToken,
            Refusal::TokenUsed => ErrorCode::TokenUsed,
        }
    }

    /// (heading, body, English body) of the respondent's page.
    pub fn page(&self) -> (String, String, String) {
        match self {
            Refusal::NotYetOpen(t) => (
                "问卷尚未开放".into(),
                format!(
                    "本问卷将于 {}（北京时间）开放，请届时再打开此链接。",
                    cst(*t)
                ),
                format!(
                    "This questionnaire opens on {} (UTC+8). Please come back then.",
                    cst(*t)
                ),
            ),
            Refusal::Closed => (
                "问卷已结束".into(),
                "本次调查已经结束，感谢您的关注。".into(),
                "This survey has closed. Thank you for your interest.".into(),
            ),
            Refusal::Full => (
                "问卷已收满".into(),
                "本次调查已收到足够的答卷，感谢您的关注，无需再填写。".into(),
                "This survey has received all the responses it needs. Thank you.".into(),
            ),
            Refusal::QuotaFull { .. } => (
                "该类别名额已满".into(),
                "您所在类别的答卷已经收满，感谢您的参与，无需再填写。".into(),
                "Enough responses have been received from your group. Thank you.".into(),
            ),
            Refusal::UnknownToken => (
                "邀请码无效".into(),
                "这个邀请链接不正确或不属于本问卷，请核对链接或联系发放问卷的老师。".into(),
                "This invitation link is not valid for this questionnaire.".into(),
            ),
            Refusal::TokenUsed => (
                "这份邀请已经使用过了".into(),
                "每个邀请码只能提交一次，您的答卷已经保存。感谢参与！".into(),
                "This invitation has already been used; each invitation answers once.".into(),
            ),
        }
    }

    pub fn api_error(&self) -> ApiError {
        let message = match self {
            Refusal::QuotaFull { attribute, value } => format!(
                "the quota for {attribute} = {value:?} is reached; no more responses are taken for it"
            ),
            other => other.page().2,
        };
        ApiError::Rejected {
            status: self.status(),
            code: self.code(),
            message,
            problems: Vec::new(),
        }
    }
}
