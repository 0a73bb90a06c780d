//! The results explorer's use-case: the gated analysis of one view — the campaign
//! narrowed by up to two filters (a school's token counts as its school filter) — with
//! the values each filter can take in the evaluator's scope, so the workspace can offer
//! them. Every number comes from `app::analyse`, through the disclosure gate.

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;

use super::analyse::{
    check_filters, load_and_analyse, load_and_analyse_text, Analysed, AnalysedText,
};
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

/// A view of the results (the evaluation, or its open answers alone) and the filters
/// around it.
pub struct Explored<A = Analysed> {
    pub analysed: A,
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

/// A view asked for: the campaign, the token's scope, the filters asked, and when.
#[derive(Clone, Copy)]
pub struct ViewAsked<'a> {
    pub key: &'a str,
    pub scope: &'a [(String, String)],
    pub asked: &'a [(String, String)],
    pub now: DateTime<Utc>,
}

/// The analysis of the view (with its open answers when `texts` is set), or `None`
/// for an unknown campaign.
pub async fn results(
    db: &DatabaseConnection,
    summaries: &Summaries,
    view: ViewAsked<'_>,
    texts: bool,
) -> Result<Option<Explored>, ExploreError> {
    explore(db, summaries, view, |filters| async move {
        load_and_analyse(db, summaries, view.key, &filters, texts).await
    })
    .await
}

/// The open answers of the view, analysed without the scores, or `None` for an
/// unknown campaign.
pub async fn open_answers(
    db: &DatabaseConnection,
    summaries: &Summaries,
    view: ViewAsked<'_>,
) -> Result<Option<Explored<AnalysedText>>, ExploreError> {
    explore(db, summaries, view, |filters| async move {
        load_and_analyse_text(db, summaries, view.key, &filters).await
    })
    .await
}

/// A view analysed by `analyse` (given the view's filters) with the values in scope,
/// with their labels, from the fieldwork counts (no answers), read from the response
/// tallies while the view is read and analysed.
async fn explore<A, Fut>(
    db: &DatabaseConnection,
    summaries: &Summaries,
    view: ViewAsked<'_>,
    analyse: impl FnOnce(Vec<(String, String)>) -> Fut,
) -> Result<Option<Explored<A>>, ExploreError>
where
    Fut: std::future::Future<Output = anyhow::Result<Option<A>>>,
{
    let ViewAsked {
        key,
        scope,
        asked,
        now,
    } = view;
    let filters = view_filters(scope, asked)?;
    let (fieldwork, analysed) = tokio::join!(
        super::fieldwork::monitor(db, &summaries.counts, key, scope, now),
        analyse(filters.clone())
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
