//! The cross-tabulation as JSON (`GET /api/v1/campaigns/{campaign}/crosstab`): the same
//! table, test and suppression as the workspace page and its workbook (one computation
//! per view and data version, shared), for scripts and other tools.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

use super::auth::{Evaluator, SCHOOL};
use super::crosstab::{audit_detail, computed, spec_values};
use super::reports::{filter_refused, FilterQuery};
use super::AppState;
use crate::analysis::crosstab::{Measure, Test};
use crate::app::crosstab::{CrossError, Crossed};
use crate::app::explore::ExploreError;
use crate::domain::ErrorCode;
use crate::error::ApiError;

/// What is tabulated: `?group=students&rows=attr:sector&target=q:Q3`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CrossQuery {
    /// The stakeholder group whose respondents are tabulated (`students`, `teachers`,
    /// `enterprises`); default: the campaign's first.
    #[param(max_length = 40)]
    group: Option<String>,
    /// The rows: `attr:<attribute>` (`attr:school`, the default; `attr:sector`, …) or
    /// `q:<question id>`, a choice question of the group's questionnaire.
    #[param(max_length = 200)]
    rows: Option<String>,
    /// Each row's measure: `ind:<indicator code>` (`ind:TOTAL`, the composite, the
    /// default) or `q:<question id>` (choice, scale or number question).
    #[param(max_length = 200)]
    target: Option<String>,
}

/// Why a cross-tabulation is refused, with the parameter at fault.
fn refused(e: &CrossError) -> ApiError {
    let invalid = |field: &str| ApiError::Invalid {
        code: ErrorCode::InvalidQuery,
        field: Some(field.into()),
        message: e.to_string(),
    };
    match e {
        CrossError::Group(_) => invalid("group"),
        CrossError::Rows(_) => invalid("rows"),
        CrossError::Target(_) => invalid("target"),
        CrossError::View(ExploreError::OutOfScope(_)) => ApiError::Forbidden(e.to_string()),
        CrossError::View(ExploreError::Filter(f)) => filter_refused(f),
        CrossError::View(ExploreError::Store(s)) => ApiError::unexpected(anyhow::anyhow!("{s:#}")),
    }
}

/// The test as `{"test": name, "result": …}` (serde cannot tag the per-option list in
/// place).
fn test_json(test: &Option<Test>) -> Value {
    let (name, result) = match test {
        None => return Value::Null,
        Some(Test::ChiSquare(c)) => ("chi_square", json!(c)),
        Some(Test::PerOption(options)) => (
            "chi_square_per_option",
            json!(options
                .iter()
                .map(|o| o
                    .as_ref()
                    .map(|(c, p)| json!({"chi_square": c, "p_holm": p})))
                .collect::<Vec<_>>()),
        ),
        Some(Test::Welch(w)) => ("welch", json!(w)),
        Some(Test::KruskalWallis(k)) => ("kruskal_wallis", json!(k)),
    };
    json!({"test": name, "result": result})
}

/// The answer: what was tabulated, each row with its label, n, gate state and cells,
/// the total, and the test across the published rows.
fn body(c: &Crossed, key: &str) -> Value {
    let (group, rows, target) = spec_values(c);
    let measure = match c.measure {
        Measure::Mean => "mean",
        Measure::Single(_) => "shares",
        Measure::Multiple(_) => "shares_of_respondents",
    };
    let labelled = |(code, label): &(String, String)| json!({"code": code, "label": label});
    json!({
        "campaign": key,
        "group": group,
        "rows_by": rows,
        "target": target,
        "row_label": c.row_label,
        "target_label": c.target_label,
        "measure": measure,
        "filters": c.filters.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>(),
        "min_cell": c.min_cell,
        "columns": c.columns.iter().map(labelled).collect::<Vec<_>>(),
        "rows": c.rows.iter().zip(&c.table.rows).map(|((code, label), row)| json!({
            "code": code, "label": label, "n": row.n, "state": row.state, "cells": row.cells,
        })).collect::<Vec<_>>(),
        "total": c.table.total,
        "unassigned": c.table.unassigned,
        "test": test_json(&c.table.test),
    })
}

/// A cross-tabulation of the campaign or of a filtered view: any attribute or choice
/// question × any indicator or question, counts and shares or means with CIs, χ² with
/// Cramér's V or Welch / Kruskal–Wallis across the published rows; every cell through
/// the disclosure gate (hidden rows carry their state, no numbers).
#[utoipa::path(get, path = "/api/v1/campaigns/{campaign}/crosstab", tag = "evaluators", security(("bearer" = [])),
    params(
        ("campaign" = String, Path, description = "Campaign key", example = "pingshun-2025"),
        CrossQuery,
        FilterQuery,
    ),
    responses(
        (status = 200, description = "The cross-tabulation", body = Object),
        crate::web::openapi::Denied, (status = 404, description = "Unknown campaign (`not_found`)", body = crate::web::openapi::ErrorBody), (status = 422, description = "A parameter is invalid (`invalid_query`, `invalid_filter`, `too_many_filters`); `field` names it", body = crate::web::openapi::ErrorBody), crate::web::openapi::Overloaded,
    ))]
pub async fn crosstab(
    ev: Evaluator,
    state: web::Data<AppState>,
    key: web::Path<String>,
    cross: web::Query<CrossQuery>,
    filters: web::Query<FilterQuery>,
) -> Result<HttpResponse, ApiError> {
    let key = key.into_inner();
    let asked = filters.filters()?;
    let scope: Vec<(String, String)> = ev
        .school
        .iter()
        .map(|s| (SCHOOL.to_string(), s.clone()))
        .collect();
    let group = cross.group.clone().unwrap_or_default();
    let rows = cross.rows.clone().unwrap_or_else(|| "attr:school".into());
    let target = cross.target.clone().unwrap_or_else(|| "ind:TOTAL".into());
    let view = computed(&state, &key, &scope, &asked, (&group, &rows, &target)).await?;
    let c = match view.as_deref() {
        Some(Ok(Some(c))) => c,
        None | Some(Ok(None)) => {
            return Err(ApiError::NotFound {
                what: "campaign",
                key,
            })
        }
        Some(Err(e)) => return Err(refused(e)),
    };
    ev.audit(&state, "crosstab.view", &key, audit_detail(c))
        .await?;
    Ok(HttpResponse::Ok().json(body(c, &key)))
}
