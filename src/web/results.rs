//! The evaluator workspace's results explorer (`/admin/campaigns/{key}/results`): every
//! indicator (composite, first and second level) per stakeholder group and combined,
//! with CI and grade, for the view the evaluator narrows with up to two filters; the
//! breakdowns inside it; a chart from `charts/` with the table as its data. Every cell
//! is what the disclosure gate published (hidden ones say why).

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::report_cache::VersionCache;
use super::state::ViewKey;
use super::workspace::{
    attribute_zh, cached, evaluator, html, refused, view_query, view_refused, ViewHead,
};
use super::AppState;
use crate::analysis::evaluation::{Analysis, IndicatorRow, ScoreCell};
use crate::analysis::Level;
use crate::app::analyse::{Analysed, AnalysedText};
use crate::app::explore::{self, ExploreError, Explored, FilterChoice, ViewAsked};
use crate::charts::bars::{GroupedBars, Series};
use crate::domain::campaign::CampaignInfo;
use crate::domain::quality::Flag;
use crate::domain::Audience;
use crate::error::ApiError;
use std::sync::Arc;

/// One cell as the page prints it.
struct CellView {
    /// "72.5", or the reason it is hidden.
    text: String,
    detail: String,
    hidden: bool,
}

fn cell(c: &ScoreCell) -> CellView {
    match c.mean {
        Some(m) => CellView {
            text: format!("{m:.1}"),
            detail: format!(
                "[{}, {}] {} · n={}",
                c.ci_low.map_or("—".into(), |x| format!("{x:.1}")),
                c.ci_high.map_or("—".into(), |x| format!("{x:.1}")),
                c.grade.clone().unwrap_or_default(),
                c.n
            ),
            hidden: false,
        },
        None if c.n == 0 => CellView {
            text: "—".into(),
            detail: "无答卷 · none".into(),
            hidden: true,
        },
        None => CellView {
            text: c.note.clone().unwrap_or_else(|| "不公布".into()),
            detail: format!("n={}", c.n),
            hidden: true,
        },
    }
}

struct RowView {
    code: String,
    name: String,
    /// 0 composite, 1 first level, 2 second level.
    depth: u8,
    cells: Vec<CellView>,
    combined: CellView,
}

fn row(r: &IndicatorRow, groups: &[Audience]) -> RowView {
    let none = ScoreCell {
        n: 0,
        mean: None,
        sd: None,
        ci_low: None,
        ci_high: None,
        grade: None,
        suppressed: crate::analysis::suppression::Suppressed::No,
        note: None,
        n_eff: None,
    };
    RowView {
        code: r.code.clone(),
        name: r.name.clone(),
        depth: match r.level {
            Level::Composite => 0,
            Level::First => 1,
            Level::Second => 2,
        },
        cells: groups
            .iter()
            .map(|g| cell(r.by_group.get(g).unwrap_or(&none)))
            .collect(),
        combined: if r.combined.n == 0 && r.by_group.values().any(|c| c.n > 0) {
            // Combined over published groups only, and none is published.
            CellView {
                text: "—".into(),
                detail: "无可合并的已公布主体 · no published group".into(),
                hidden: true,
            }
        } else {
            cell(&r.combined)
        },
    }
}

struct BreakdownView {
    attribute: &'static str,
    values: Vec<(String, RowView)>,
}

pub(super) struct ChoiceView {
    pub(super) attribute: &'static str,
    pub(super) label: &'static str,
    pub(super) values: Vec<(String, String, bool)>,
    pub(super) fixed: bool,
}

#[derive(Template)]
#[template(path = "results.html")]
struct ResultsPage {
    head: ViewHead,
    choices: Vec<ChoiceView>,
    groups: Vec<(&'static str, u64)>,
    rows: Vec<RowView>,
    chart: Option<String>,
    breakdowns: Vec<BreakdownView>,
    quality: QualityView,
    weighting: Option<WeightingView>,
    min: u64,
}

/// How the view's respondents are weighted: per group the attributes, respondents,
/// effective n and design effect.
struct WeightingView {
    method: &'static str,
    rows: Vec<[String; 5]>,
}

fn weighting(a: &Analysis) -> Option<WeightingView> {
    use crate::domain::weighting::WeightingMethod;
    let w = a.weighting.as_ref()?;
    let method = match w.method {
        WeightingMethod::Cell => "单元加权（事后分层） · cell weighting",
        WeightingMethod::Raking => "迭代比例拟合 · raking",
        WeightingMethod::None => "不加权 · none",
    };
    let rows = w
        .groups
        .iter()
        .map(|g| {
            let by = if g.weighted {
                g.attributes
                    .iter()
                    .map(|a| attribute_zh(a))
                    .collect::<Vec<_>>()
                    .join("、")
            } else {
                "未加权 · unweighted".to_string()
            };
            let converged = if !g.weighted || g.converged {
                String::new()
            } else {
                "（未收敛 · not converged）".to_string()
            };
            [
                g.group.label_zh().to_string(),
                by + &converged,
                g.respondents.to_string(),
                format!("{:.1}", g.effective_n),
                format!("{:.2}", g.design_effect),
            ]
        })
        .collect();
    Some(WeightingView { method, rows })
}

/// The data quality flags of the view: one row per flag, a column per group.
struct QualityView {
    /// What the scores leave out.
    note: String,
    groups: Vec<&'static str>,
    rows: Vec<(String, Vec<String>)>,
}

fn quality(a: &Analysis) -> QualityView {
    let q = &a.quality;
    let count = |n: Option<u64>| n.map_or_else(|| "样本不足".to_string(), |n| n.to_string());
    let mut rows: Vec<(String, Vec<String>)> = Flag::ALL
        .iter()
        .map(|f| {
            let (zh, en) = f.label();
            let cells = q
                .groups
                .iter()
                .map(|g| count(g.flagged.iter().find(|(x, _)| x == f).map(|(_, n)| *n)))
                .collect();
            (format!("{zh} · {en}"), cells)
        })
        .collect();
    rows.push((
        "任一标记 · any flag".into(),
        q.groups.iter().map(|g| count(g.any)).collect(),
    ));
    rows.push((
        "已剔除 · excluded".into(),
        q.groups.iter().map(|g| count(g.excluded)).collect(),
    ));
    let note = if q.settings.exclude.is_empty() {
        "得分包含全部答卷（只标记、不剔除） · scores include every response".to_string()
    } else {
        let names: Vec<&str> = q.settings.exclude.iter().map(|f| f.label().0).collect();
        format!(
            "得分不含被标记为“{}”的答卷 · scores leave out: {}",
            names.join("、"),
            q.settings
                .exclude
                .iter()
                .map(|f| f.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    QualityView {
        note,
        groups: q.groups.iter().map(|g| g.group.label_zh()).collect(),
        rows,
    }
}

pub(super) fn choice(c: &FilterChoice) -> ChoiceView {
    ChoiceView {
        attribute: c.attribute,
        label: attribute_zh(c.attribute),
        values: c
            .values
            .iter()
            .map(|(v, l)| (v.clone(), l.clone(), c.selected.as_deref() == Some(v)))
            .collect(),
        fixed: c.fixed,
    }
}

pub(super) fn label_of(choices: &[FilterChoice], attribute: &str, value: &str) -> String {
    choices
        .iter()
        .find(|c| c.attribute == attribute)
        .and_then(|c| c.values.iter().find(|(v, _)| v == value))
        .map_or_else(|| value.to_string(), |(_, l)| l.clone())
}

/// The view in words: each filter with its value's label, or "all responses".
pub(super) fn view_words(filters: &[(String, String)], choices: &[FilterChoice]) -> String {
    let described: Vec<String> = filters
        .iter()
        .map(|(k, v)| format!("{}：{}", attribute_zh(k), label_of(choices, k, v)))
        .collect();
    if described.is_empty() {
        "全部答卷 · all responses".into()
    } else {
        described.join(" 且 ")
    }
}

/// Parameters as a query string, values percent-encoded.
pub(super) fn query_of(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| {
            let v = percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC);
            format!("{k}={v}")
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// The head of a results view's page: the campaign, who is looking, the view in words
/// and as a query string.
pub(super) fn view_head<A: ViewPage>(
    e: &Explored<A>,
    who: String,
    school: Option<String>,
) -> ViewHead {
    ViewHead {
        title: e.analysed.info().title.clone(),
        key: e.analysed.info().key.clone(),
        who,
        school,
        view: view_words(&e.filters, &e.choices),
        query: query_of(&e.filters),
    }
}

/// First-level indicators per group, combined last: bars with CI whiskers.
fn chart(a: &Analysis, groups: &[Audience]) -> Result<Option<String>, ApiError> {
    let first: Vec<&IndicatorRow> = a
        .indicators
        .iter()
        .filter(|r| r.level == Level::First)
        .collect();
    if first.is_empty() {
        return Ok(None);
    }
    let bar = |c: Option<&ScoreCell>| c.and_then(|c| c.mean.map(|m| (m, c.ci_low, c.ci_high)));
    let mut series: Vec<Series> = groups
        .iter()
        .map(|g| Series {
            name: g.label_zh().to_string(),
            values: first.iter().map(|r| bar(r.by_group.get(g))).collect(),
        })
        .collect();
    series.push(Series {
        name: "综合".into(),
        values: first.iter().map(|r| bar(Some(&r.combined))).collect(),
    });
    let bars = GroupedBars {
        axis: crate::charts::bars::Axis::score(),
        title: "一级指标得分（含 95% 置信区间）".into(),
        categories: first.iter().map(|r| r.name.clone()).collect(),
        series,
        size: (760, 320),
    };
    crate::charts::svg(&bars)
        .map(Some)
        .map_err(ApiError::unexpected)
}

fn view(e: &Explored, who: String, school: Option<String>) -> Result<ResultsPage, ApiError> {
    let a = &e.analysed.analysis;
    let groups: Vec<Audience> = a.responses.keys().copied().collect();
    let mut rows = vec![row(&a.composite, &groups)];
    rows.extend(a.indicators.iter().map(|r| row(r, &groups)));
    let breakdowns = a
        .breakdowns
        .iter()
        .map(|b| BreakdownView {
            attribute: attribute_zh(&b.attribute),
            values: b
                .values
                .iter()
                .map(|v| {
                    (
                        label_of(&e.choices, &b.attribute, &v.value),
                        row(&v.composite, &groups),
                    )
                })
                .collect(),
        })
        .collect();
    Ok(ResultsPage {
        head: view_head(e, who, school),
        choices: e.choices.iter().map(choice).collect(),
        groups: groups
            .iter()
            .map(|g| (g.label_zh(), a.responses.get(g).copied().unwrap_or(0)))
            .collect(),
        chart: chart(a, &groups)?,
        rows,
        breakdowns,
        quality: quality(a),
        weighting: weighting(a),
        min: a.method.min_cell_size,
    })
}

/// What a page over a results view analyses: the evaluation (the explorer's scores),
/// or the open answers alone; each kept in its own cache per view and data version.
pub(super) trait ViewPage: Sized {
    /// What the audit log records the view as.
    const ACTION: &'static str;

    fn cache(state: &AppState) -> &VersionCache<ViewKey, Arc<ExploreResult<Self>>>;

    async fn explore(state: &AppState, view: ViewAsked<'_>) -> ExploreResult<Self>;

    fn info(&self) -> &CampaignInfo;
}

pub(super) type ExploreResult<A> = Result<Option<Explored<A>>, ExploreError>;

impl ViewPage for Analysed {
    const ACTION: &'static str = "results.view";

    fn cache(state: &AppState) -> &VersionCache<ViewKey, Arc<ExploreResult<Self>>> {
        &state.views
    }

    async fn explore(state: &AppState, view: ViewAsked<'_>) -> ExploreResult<Self> {
        explore::results(&state.db, &state.summaries, view, false).await
    }

    fn info(&self) -> &CampaignInfo {
        &self.meta.campaign.info
    }
}

impl ViewPage for AnalysedText {
    const ACTION: &'static str = "text.view";

    fn cache(state: &AppState) -> &VersionCache<ViewKey, Arc<ExploreResult<Self>>> {
        &state.text_views
    }

    async fn explore(state: &AppState, view: ViewAsked<'_>) -> ExploreResult<Self> {
        explore::open_answers(&state.db, &state.summaries, view).await
    }

    fn info(&self) -> &CampaignInfo {
        &self.meta.campaign.info
    }
}

/// The view `asked` within `scope`, analysed once per data version (`None` for a
/// campaign without data version, i.e. unknown).
pub(super) async fn view_of<A: ViewPage>(
    state: &AppState,
    key: &str,
    scope: &[(String, String)],
    asked: &[(String, String)],
) -> Result<Option<Arc<ExploreResult<A>>>, ApiError> {
    cached(
        state,
        A::cache(state),
        (key.to_string(), scope.to_vec(), asked.to_vec(), Vec::new()),
        |e| matches!(e, ExploreError::Store(_)),
        || {
            let view = ViewAsked {
                key,
                scope,
                asked,
                now: chrono::Utc::now(),
            };
            A::explore(state, view)
        },
    )
    .await
}

/// The view found, or the page saying why it is refused; an unknown campaign is not
/// found.
pub(super) fn explored<'a, A>(
    view: &'a Option<Arc<ExploreResult<A>>>,
    key: &str,
) -> Result<Result<&'a Explored<A>, HttpResponse>, ApiError> {
    match view.as_deref() {
        Some(Ok(Some(e))) => Ok(Ok(e)),
        None | Some(Ok(None)) => Err(ApiError::NotFound {
            what: "campaign",
            key: key.to_string(),
        }),
        Some(Err(e)) => view_refused(e).map(Err),
    }
}

/// A page over the analysis of the view an evaluator asks for (the session's evaluator,
/// the view within their scope, read once per data version and recorded in the audit
/// log), laid out by `page`; without a session, back to the login on `/admin`.
pub(super) async fn show_view<A: ViewPage, P: Template>(
    req: &HttpRequest,
    state: &AppState,
    key: String,
    page: impl FnOnce(&Explored<A>, String, Option<String>) -> Result<P, ApiError>,
) -> Result<HttpResponse, ApiError> {
    let (grant, scope) = match evaluator(req, state).await? {
        Ok(found) => found,
        Err(login) => return Ok(login),
    };
    let asked = match view_query(req, &[]) {
        Ok((a, _)) => a,
        Err((zh, en)) => return refused(StatusCode::UNPROCESSABLE_ENTITY, &zh, &en),
    };
    let view = view_of::<A>(state, &key, &scope, &asked).await?;
    let explored = match explored(&view, &key)? {
        Ok(e) => e,
        Err(refusal) => return Ok(refusal),
    };
    crate::app::access::record(
        &state.db,
        &grant.actor,
        A::ACTION,
        &key,
        serde_json::json!({"filters": explored.filters.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>()}),
        state.client_ip(req),
    )
    .await?;
    let who = super::admin::who(&grant);
    let page = page(explored, who, grant.school)?;
    Ok(html(
        StatusCode::OK,
        page.render().map_err(ApiError::unexpected)?,
    ))
}

/// The results explorer; without a session, back to the login on `/admin`.
pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    show_view(&req, &state, key.into_inner(), view).await
}
