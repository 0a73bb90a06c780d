//! The results explorer's use-case: the gated analysis of one view — the campaign
//! narrowed by up to two filters (a school's token counts as its school filter) — with
//! the values each filter can take in the evaluator's scope, so the workspace can offer
//! them. Every number comes from `app::analyse`, through the disclosure gate.

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;

use super::analyse::{check_filters, load_and_analyse, Analysed};
use super::read::Summaries;
use crate::analysis::disclosure::FilterError;

/// The attributes a view can be narrowed by, in the order the workspace offers them.
pub const FILTERS: [&str; 5] = ["school", "sector", "grade", "role", "size"];

/// One filter the evaluator can set: its values in scope (code, label) and the one
/// chosen.
#[derive(Debug, Clone)]
pub struct FilterChoice {
    pub attribute: &'static str,
    pub values: Vec<(String, String)>,
    pub selected: Option<String>,
    /// Fixed by the token's scope (a school's evaluator cannot leave their school).
    pub fixed: bool,
}

/// A view of the results and the filters around it.
pub struct Explored {
    pub analysed: Analysed,
    /// The view's filters, the scope's first.
    pub filters: Vec<(String, String)>,
    pub choices: Vec<FilterChoice>,
}

/// Why a view cannot be shown.
#[derive(Debug, thiserror::Error)]
pub enum ExploreError {
    #[error(transparent)]
    Filter(#[from] FilterError),
    /// A school's evaluator asked for another school.
    #[error("this token is limited to school {0}")]
    OutOfScope(String),
    #[error(transparent)]
    Store(#[from] anyhow::Error),
}

impl From<crate::store::StoreError> for ExploreError {
    fn from(e: crate::store::StoreError) -> Self {
        ExploreError::Store(e.into())
    }
}

/// The view's filters: the scope's, then the asked ones (a scope's attribute asked
/// again must name the same value); checked against the gate's limits.
pub fn view_filters(
    scope: &[(String, String)],
    asked: &[(String, String)],
) -> Result<Vec<(String, String)>, ExploreError> {
    let mut out: Vec<(String, String)> = scope.to_vec();
    for (k, v) in asked {
        match scope.iter().find(|(s, _)| s == k) {
            Some((_, own)) if own == v => {}
            Some((_, own)) => return Err(ExploreError::OutOfScope(own.clone())),
            None => out.push((k.clone(), v.clone())),
        }
    }
    check_filters(&out)?;
    Ok(out)
}

/// The filters the workspace offers around a view: each attribute's values in scope
/// (from the fieldwork counts, no answers), the one chosen, and whether the scope fixes
/// it.
pub fn filter_choices(
    fieldwork: &super::fieldwork::Fieldwork,
    filters: &[(String, String)],
    scope: &[(String, String)],
) -> Vec<FilterChoice> {
    FILTERS
        .iter()
        .map(|a| FilterChoice {
            attribute: a,
            values: fieldwork.values_of(a),
            selected: filters.iter().find(|(k, _)| k == a).map(|(_, v)| v.clone()),
            fixed: scope.iter().any(|(k, _)| k == a),
        })
        .collect()
}

/// The analysis of the view `asked` within `scope` (with its open answers when `texts`
/// is set), or `None` for an unknown campaign.
pub async fn results(
    db: &DatabaseConnection,
    summaries: &Summaries,
    key: &str,
    scope: &[(String, String)],
    asked: &[(String, String)],
    now: DateTime<Utc>,
    texts: bool,
) -> Result<Option<Explored>, ExploreError> {
    let filters = view_filters(scope, asked)?;
    // The values in scope, with their labels, from the fieldwork counts (no answers),
    // read from the response tallies while the view is read and analysed.
    let (fieldwork, analysed) = tokio::join!(
        super::fieldwork::monitor(db, key, scope, now),
        load_and_analyse(db, summaries, key, &filters, texts)
    );
    let (Some(fieldwork), Some(analysed)) = (fieldwork?, analysed?) else {
        return Ok(None);
    };
    let choices = filter_choices(&fieldwork, &filters, scope);
    Ok(Some(Explored {
        analysed,
        filters,
        choices,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_scope_counts_as_a_filter_and_cannot_be_left() {
        let scope = pairs(&[("school", "a")]);
        assert_eq!(
            view_filters(&scope, &pairs(&[("sector", "ec")])).expect("ok"),
            pairs(&[("school", "a"), ("sector", "ec")])
        );
        assert_eq!(
            view_filters(&scope, &pairs(&[("school", "a"), ("sector", "ec")])).expect("ok"),
            pairs(&[("school", "a"), ("sector", "ec")])
        );
        assert!(matches!(
            view_filters(&scope, &pairs(&[("school", "b")])),
            Err(ExploreError::OutOfScope(s)) if s == "a"
        ));
        assert!(matches!(
            view_filters(&scope, &pairs(&[("sector", "ec"), ("grade", "1")])),
            Err(ExploreError::Filter(FilterError::TooMany(k))) if k == "grade"
        ));
    }
}
