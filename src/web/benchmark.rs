//! The evaluator workspace's benchmarking page (`/admin/campaigns/{key}/benchmark`):
//! each school and sector against the county for one indicator and stakeholder group —
//! score, the county's, the difference with its CI, rank and percentile — and a funnel
//! plot (`charts::funnel`) with its data table, so small units are not ranked on noise.
//! County-wide by nature: a school's token is refused.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::results::{explored, view_of};
use super::workspace::{attribute_zh, evaluator, html, refused};
use super::AppState;
use crate::analysis::benchmark::Moments;
use crate::app::analyse::Analysed;
use crate::app::benchmark::{self, Benchmarked, UnitTable};
use crate::charts::funnel::FunnelPlot;
use crate::domain::Audience;
use crate::error::ApiError;

struct UnitRow {
    label: String,
    n: u64,
    mean: String,
    difference: String,
    ci: String,
    rank: String,
    percentile: String,
    funnel: &'static str,
    flagged: bool,
}

struct TableView {
    attribute: &'static str,
    rows: Vec<UnitRow>,
    hidden: Vec<(String, u64, String)>,
    chart: Option<String>,
}

#[derive(Template)]
#[template(path = "benchmark.html")]
struct BenchmarkPage {
    title: String,
    key: String,
    who: String,
    indicator: String,
    indicator_name: String,
    indicators: Vec<(String, String, bool)>,
    groups: Vec<(&'static str, &'static str, bool)>,
    group: &'static str,
    county: Option<(u64, String, String)>,
    tables: Vec<TableView>,
}

fn f1(x: f64) -> String {
    format!("{x:.1}")
}

fn signed(x: f64) -> String {
    format!("{x:+.1}")
}

fn funnel_chart(
    t: &UnitTable,
    county: Moments,
    title: &str,
    weighted: bool,
) -> Result<Option<String>, ApiError> {
    if t.rows.is_empty() {
        return Ok(None);
    }
    let plot = FunnelPlot {
        title: title.to_string(),
        units: t
            .rows
            .iter()
            .map(|(l, b)| (l.clone(), b.effective_n, b.mean))
            .collect(),
        county_mean: county.mean,
        limits: t.limits.clone(),
        size: (720, 380),
        effective_n: weighted,
    };
    crate::charts::svg(&plot)
        .map(Some)
        .map_err(ApiError::unexpected)
}

fn table_view(t: &UnitTable, b: &Benchmarked) -> Result<TableView, ApiError> {
    let county = b.county.expect("tables only with a county cell");
    let title = format!(
        "{}：{}（{}）漏斗图",
        attribute_zh(t.attribute),
        b.indicator_name,
        b.group.label_zh()
    );
    Ok(TableView {
        attribute: attribute_zh(t.attribute),
        rows: t
            .rows
            .iter()
            .map(|(label, r)| UnitRow {
                label: label.clone(),
                n: r.n,
                mean: f1(r.mean),
                difference: signed(r.difference),
                ci: match (r.ci_low, r.ci_high) {
                    (Some(l), Some(h)) => format!("[{}, {}]", signed(l), signed(h)),
                    _ => "—".into(),
                },
                rank: format!("{} / {}", r.rank, t.rows.len()),
                percentile: r.percentile.map_or("—".into(), |p| format!("{p:.0}")),
                funnel: r.funnel.label_zh(),
                flagged: r.funnel != crate::analysis::benchmark::Funnel::Inside,
            })
            .collect(),
        hidden: t.hidden.clone(),
        chart: funnel_chart(t, county, &title, b.weighted)?,
    })
}

fn view(b: &Benchmarked, who: String) -> Result<BenchmarkPage, ApiError> {
    Ok(BenchmarkPage {
        title: b.title.clone(),
        key: b.key.clone(),
        who,
        indicator: b.indicator.clone(),
        indicator_name: b.indicator_name.clone(),
        indicators: b
            .indicators
            .iter()
            .map(|(c, n)| (c.clone(), n.clone(), *c == b.indicator))
            .collect(),
        groups: Audience::ALL
            .iter()
            .map(|g| (g.as_str(), g.label_zh(), *g == b.group))
            .collect(),
        group: b.group.label_zh(),
        county: b.county.map(|c| (c.n, f1(c.mean), f1(c.sd))),
        tables: b
            .tables
            .iter()
            .map(|t| table_view(t, b))
            .collect::<Result<_, _>>()?,
    })
}

#[derive(serde::Deserialize)]
pub struct BenchmarkQuery {
    indicator: Option<String>,
    group: Option<String>,
}

/// The benchmarking page; without a session, back to the login on `/admin`.
pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    key: web::Path<String>,
    query: web::Query<BenchmarkQuery>,
) -> Result<HttpResponse, ApiError> {
    let (grant, scope) = match evaluator(&req, &state).await? {
        Ok(found) => found,
        Err(login) => return Ok(login),
    };
    if !scope.is_empty() {
        return refused(
            StatusCode::FORBIDDEN,
            "对标分析比较全县各学校与产业方向；学校令牌仅可查看本校数据，请在“结果浏览”中查看本校结果。",
            "Benchmarking compares every school and sector in the county; a school's token sees its own school only (see the results page).",
        );
    }
    let group = match query.group.as_deref() {
        None | Some("") => Audience::Students,
        Some(g) => match Audience::parse(g) {
            Some(g) => g,
            None => {
                return refused(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &format!("评价主体 group={g} 无效：可用 students、teachers、enterprises。"),
                    &format!("Unknown group {g}: use students, teachers or enterprises."),
                )
            }
        },
    };
    let key = key.into_inner();
    let indicator = query.indicator.as_deref().filter(|i| !i.is_empty());
    // The results view of the whole campaign, shared with the results explorer.
    let whole = view_of::<Analysed>(&state, &key, &[], &[]).await?;
    let whole = match explored(&whole, &key)? {
        Ok(e) => e,
        Err(refusal) => return Ok(refusal),
    };
    let Some(b) = benchmark::units(whole, indicator, group) else {
        let i = indicator.unwrap_or_default();
        return refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!("指标 indicator={i} 不存在。"),
            &format!("There is no indicator {i} in this campaign."),
        );
    };
    crate::app::access::record(
        &state.db,
        &grant.actor,
        "benchmark.view",
        &key,
        serde_json::json!({"indicator": b.indicator, "group": b.group.as_str()}),
        state.client_ip(&req),
    )
    .await?;
    let page = view(&b, super::admin::who(&grant))?;
    Ok(html(
        StatusCode::OK,
        page.render().map_err(ApiError::unexpected)?,
    ))
}
