//! Report downloads in every format, with attribute filters and language.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::auth::Evaluator;
use super::AppState;
use crate::app::report::{self as app_report, load_report, ReportRequest};
use crate::domain::ErrorCode;
use crate::error::ApiError;
use crate::report::{Format, Lang};

/// The view's filters in a query string: `?sector=herbs&school=pszg` (at most two; a
/// school-scoped token already counts as one).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FilterQuery {
    /// Only respondents of this sector (`ecommerce`, `herbs`, `tourism` ...).
    #[param(min_length = 1, max_length = 200)]
    sector: Option<String>,
    /// Only this school (school-scoped tokens are always limited to theirs).
    #[param(min_length = 1, max_length = 200)]
    school: Option<String>,
    #[param(min_length = 1, max_length = 200)]
    grade: Option<String>,
    #[param(min_length = 1, max_length = 200)]
    role: Option<String>,
    #[param(min_length = 1, max_length = 200)]
    size: Option<String>,
}

impl FilterQuery {
    /// The filters as (attribute, value), each value checked (1–200 characters).
    pub fn filters(&self) -> Result<Vec<(String, String)>, ApiError> {
        let mut filters = Vec::new();
        for (k, v) in [
            ("sector", &self.sector),
            ("school", &self.school),
            ("grade", &self.grade),
            ("role", &self.role),
            ("size", &self.size),
        ] {
            if let Some(v) = v {
                if v.is_empty() || v.len() > 200 {
                    return Err(ApiError::Invalid {
                        code: ErrorCode::InvalidFilter,
                        field: Some(k.into()),
                        message: format!("filter {k} must be 1-200 characters"),
                    });
                }
                filters.push((k.to_string(), v.clone()));
            }
        }
        Ok(filters)
    }

    /// The filters within the token's scope, refused when the gate cannot publish the
    /// view (see `check_filter_count`).
    pub fn scoped(&self, ev: &Evaluator) -> Result<Vec<(String, String)>, ApiError> {
        let filters = ev.scope_filters(self.filters()?)?;
        check_filter_count(&filters)?;
        Ok(filters)
    }
}

/// The report's language: `?lang=en`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LangQuery {
    /// `zh` (default) or `en`.
    #[param(pattern = "^(zh|en)$")]
    lang: Option<String>,
}

impl LangQuery {
    pub fn lang(&self) -> Result<Lang, ApiError> {
        match self.lang.as_deref() {
            None => Ok(Lang::Zh),
            Some(l) => Lang::parse(l).ok_or_else(|| ApiError::Invalid {
                code: ErrorCode::InvalidLang,
                field: Some("lang".into()),
                message: format!("lang {l:?} is not supported; use zh or en"),
            }),
        }
    }
}

/// Refuses views the disclosure gate cannot publish: more filters than
/// `analysis::disclosure::MAX_FILTERS`, or one attribute twice (a school's token counts
/// as its school filter).
fn check_filter_count(filters: &[(String, String)]) -> Result<(), ApiError> {
    crate::app::analyse::check_filters(filters).map_err(|e| filter_refused(&e))
}

/// A view's filters refused, as the API says it: the code, the filter at fault, a hint.
pub(crate) fn filter_refused(e: &crate::analysis::disclosure::FilterError) -> ApiError {
    use crate::analysis::disclosure::FilterError;
    let (code, field) = match e {
        FilterError::TooMany(k) => (ErrorCode::TooManyFilters, k.clone()),
        FilterError::Unknown(k) | FilterError::Repeated(k) => (ErrorCode::InvalidFilter, k.clone()),
    };
    let hint = match e {
        FilterError::TooMany(_) => "; drop one and read the breakdown by it inside the report",
        _ => "",
    };
    ApiError::Invalid {
        code,
        field: Some(field),
        message: format!("{e}{hint}"),
    }
}

/// The laid-out report of `key` for `request`, from the cache while the campaign's data
/// is unchanged (one computation however many ask at once).
pub(crate) async fn built(
    state: &AppState,
    key: &str,
    request: &ReportRequest,
) -> Result<super::report_cache::Built, ApiError> {
    let not_found = || ApiError::NotFound {
        what: "campaign",
        key: key.to_string(),
    };
    let version = crate::app::campaigns::data_version(&state.db, key)
        .await?
        .ok_or_else(not_found)?;
    let (db, summaries) = (state.db.clone(), state.summaries.clone());
    let (k, r) = (key.to_string(), request.clone());
    state
        .reports
        .get_or_build(
            (key.to_string(), request.filters.clone(), request.lang),
            version,
            || async move {
                match load_report(&db, &summaries, &k, &r).await {
                    Ok(Some(b)) => Ok(std::sync::Arc::new(b)),
                    Ok(None) => Err(format!("campaign {k:?} not found")),
                    Err(e) => {
                        tracing::error!(error = ?e, "report failed");
                        Err(format!("{e:#}"))
                    }
                }
            },
        )
        .await
        .map_err(|e| ApiError::unexpected(anyhow::anyhow!(e)))
}

/// The investigation report (调研报告) in one format.
#[utoipa::path(get, path = "/api/v1/campaigns/{campaign}/report.{format}", tag = "evaluators", security(("bearer" = [])),
    params(
        ("campaign" = String, Path, description = "Campaign key", example = "pingshun-2025"),
        ("format" = String, Path, description = "`html`, `docx`, `xlsx` or `pdf`", pattern = "^(html|docx|xlsx|pdf)$", example = "html"),
        FilterQuery,
        LangQuery,
    ),
    responses(
        (status = 200, description = "The report", content(
            (String = "text/html"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            (Vec<u8> = "application/pdf"),
        )),
        crate::web::openapi::Denied, (status = 404, description = "Unknown campaign, questionnaire or format (`not_found`)", body = crate::web::openapi::ErrorBody), (status = 422, description = "A parameter is invalid; `field` names it", body = crate::web::openapi::ErrorBody), crate::web::openapi::Overloaded,
    ))]
pub async fn download(
    ev: Evaluator,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    query: web::Query<FilterQuery>,
    lang: web::Query<LangQuery>,
) -> Result<HttpResponse, ApiError> {
    let (key, ext) = path.into_inner();
    let format: Format = ext.parse().map_err(|message| ApiError::NotFound {
        what: "report format",
        key: format!("{ext} ({message})"),
    })?;
    let request = ReportRequest {
        filters: query.scoped(&ev)?,
        lang: lang.lang()?,
    };
    let built = built(&state, &key, &request).await?;
    ev.audit(
        &state,
        "report.download",
        &key,
        serde_json::json!({
            "format": format.extension(),
            "filters": request.filters.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>(),
        }),
    )
    .await?;
    let raw_text = ev.raw_text();
    let body = web::block(move || app_report::render(&built.0, &built.1, format, raw_text))
        .await
        .map_err(ApiError::unexpected)?
        .map_err(ApiError::unexpected)?;
    Ok(report_response(&key, format, body))
}

/// A rendered report as the answer: its content type, and a file name for all but HTML.
pub(crate) fn report_response(key: &str, format: Format, body: Vec<u8>) -> HttpResponse {
    let mut res = HttpResponse::Ok();
    res.content_type(format.content_type());
    if format != Format::Html {
        res.insert_header((
            header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"{key}-report.{}\"",
                format.extension()
            ),
        ));
    }
    res.body(body)
}
