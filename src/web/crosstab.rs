//! The evaluator workspace's cross-tabulation (`/admin/campaigns/{key}/crosstab`, and
//! `crosstab.xlsx` for the same table as a workbook): one group's respondents in a view
//! split by an attribute or a single-choice question, against an indicator or a
//! question, with counts and shares or means, the test that suits, and a chart from
//! `charts/`. Every row is what the disclosure gate published.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::results::{choice, query_of, view_words, ChoiceView};
use super::workspace::{
    attribute_zh, cached, evaluator, html, refused, view_query, view_refused, ViewHead,
};
use super::AppState;
use crate::analysis::crosstab::{Cell as CrossCell, Measure, Row, Test};
use crate::analysis::suppression::Suppressed;
use crate::app::crosstab::{self, Choice, CrossError, Crossed};
use crate::app::explore::ExploreError;
use crate::charts::bars::{Axis, GroupedBars, Series};
use crate::error::ApiError;
use crate::report::document::{Cell, Table};

/// The parameters besides the filters, with their defaults.
const PARAMS: [&str; 3] = ["group", "rows", "target"];

struct Option_ {
    value: String,
    label: String,
    selected: bool,
}

#[derive(Template)]
#[template(path = "crosstab.html")]
struct CrosstabPage {
    head: ViewHead,
    groups: Vec<Option_>,
    rows: Vec<Option_>,
    targets: Vec<Option_>,
    choices: Vec<ChoiceView>,
    table: Table,
    test: String,
    chart: Option<String>,
    min: u64,
    /// The campaign's scores are weighted, this table's counts and means are not.
    unweighted_note: bool,
}

fn options(list: &[Choice], selected: &str) -> Vec<Option_> {
    list.iter()
        .map(|c| Option_ {
            value: c.value.clone(),
            label: match c.value.strip_prefix("attr:") {
                Some(a) => format!("{} {a}", attribute_zh(a)),
                None => c.label.clone(),
            },
            selected: c.value == selected,
        })
        .collect()
}

/// The spec as its parameters: (`group`, `rows`, `target`).
pub(crate) fn spec_values(c: &Crossed) -> (String, String, String) {
    let rows = match &c.spec.rows {
        crosstab::RowsBy::Attribute(a) => format!("attr:{a}"),
        crosstab::RowsBy::Question(q) => format!("q:{q}"),
    };
    let target = match &c.spec.target {
        crosstab::Target::Indicator(i) => format!("ind:{i}"),
        crosstab::Target::Question(q) => format!("q:{q}"),
    };
    (c.spec.group.as_str().to_string(), rows, target)
}

fn hidden(state: Suppressed, min: u64) -> Cell {
    Cell {
        suppressed: true,
        ..Cell::text(state.reason_zh(min).unwrap_or_else(|| "—".into()))
    }
}

fn count_cell(n: u64, share: f64) -> Cell {
    Cell {
        detail: Some(format!("n={n}")),
        ..Cell::number(100.0 * share, 1)
    }
}

/// The cells of one row after its label and n.
fn row_cells(row: &Row, measure: &Measure, min: u64) -> Vec<Cell> {
    let width = match measure {
        Measure::Mean => 4,
        Measure::Single(k) | Measure::Multiple(k) => *k,
    };
    if row.state.is_hidden() || row.cells.is_empty() {
        // The reason once, dashes after it.
        let dash = Cell {
            suppressed: row.n != Some(0),
            ..Cell::text("—")
        };
        let mut out = vec![dash; width];
        if row.n != Some(0) {
            out[0] = hidden(row.state, min);
        }
        return out;
    }
    row.cells
        .iter()
        .flat_map(|c| match c {
            CrossCell::Count { n, share } => vec![count_cell(*n, *share)],
            CrossCell::Mean(s) => {
                let num =
                    |x: Option<f64>| x.map_or_else(|| Cell::text("—"), |x| Cell::number(x, 1));
                vec![num(s.mean), num(s.ci_low), num(s.ci_high), num(s.sd)]
            }
        })
        .collect()
}

/// The table as the page and the workbook print it: shares (%) with counts for
/// choices, mean, CI and SD for numbers.
fn table(c: &Crossed, row_label: &str) -> Table {
    let mut header = vec![row_label.to_string(), "n".to_string()];
    match c.measure {
        Measure::Mean => header
            .extend(["均值 mean", "95% CI 下限", "95% CI 上限", "标准差 SD"].map(String::from)),
        _ => header.extend(c.columns.iter().map(|(_, l)| format!("{l}（%）"))),
    }
    let line = |label: String, r: &Row| {
        // A withheld size: a dash, the reason follows in the next cell.
        let withheld = Cell {
            suppressed: true,
            ..Cell::text("—")
        };
        let n = r.n.map_or(withheld, |n| Cell::number(n as f64, 0));
        let mut out = vec![Cell::text(label), n];
        out.extend(row_cells(r, &c.measure, c.min_cell));
        out
    };
    let mut rows: Vec<Vec<Cell>> = c
        .rows
        .iter()
        .zip(&c.table.rows)
        .map(|((_, l), r)| line(l.clone(), r))
        .collect();
    rows.push(
        line("合计 · total".into(), &c.table.total)
            .into_iter()
            .map(Cell::strong)
            .collect(),
    );
    let share_note = match c.measure {
        Measure::Single(_) => "各选项占该行作答人数的百分比；",
        Measure::Multiple(_) => "多选题：选择该项的人数占该行作答人数的百分比，合计可超过 100%；",
        Measure::Mean => "",
    };
    Table {
        id: "交叉表".into(),
        caption: format!("{} × {}", row_label, c.target_label),
        header,
        rows,
        note: Some(format!(
            "{share_note}少于 {} 人的行不公布，另有部分行为防止反推而隐藏{}。",
            c.min_cell,
            c.table
                .unassigned
                .map(|u| format!("；未填写行变量的 {u} 人计入合计"))
                .unwrap_or_default()
        )),
    }
}

fn p_text(p: f64) -> String {
    if p < 0.001 {
        "p < 0.001".into()
    } else {
        format!("p = {p:.3}")
    }
}

/// The test across the published rows, in words.
fn test_text(c: &Crossed) -> String {
    match &c.table.test {
        None => {
            "已公布的行少于两行或无差异可检验，不作检验。No test: fewer than two published rows."
                .into()
        }
        Some(Test::ChiSquare(t)) => format!(
            "卡方检验 χ²({}) = {:.2}，{}，Cramér's V = {:.3}（n = {}）{}",
            t.df,
            t.chi2,
            p_text(t.p),
            t.cramers_v,
            t.n,
            if t.small_expected > 0.2 {
                format!(
                    "；注意：{:.0}% 的单元格期望频数小于 5，检验结果仅供参考。",
                    100.0 * t.small_expected
                )
            } else {
                "。".into()
            }
        ),
        Some(Test::PerOption(per)) => {
            let parts: Vec<String> = c
                .columns
                .iter()
                .zip(per)
                .filter_map(|((_, l), t)| {
                    t.as_ref().map(|(t, holm)| {
                        format!(
                            "{l}：χ²({}) = {:.2}，V = {:.3}，Holm 校正 {}",
                            t.df,
                            t.chi2,
                            t.cramers_v,
                            p_text(*holm)
                        )
                    })
                })
                .collect();
            format!(
                "多选题逐项卡方检验（选择/未选择 × 行）：{}。",
                parts.join("；")
            )
        }
        Some(Test::Welch(w)) => format!(
            "Welch t 检验：t({:.1}) = {:.2}，{}，Hedges' g = {:.2}。",
            w.df,
            w.t,
            p_text(w.p),
            w.hedges_g
        ),
        Some(Test::KruskalWallis(k)) => format!(
            "Kruskal–Wallis 检验：H({}) = {:.2}，{}，ε² = {:.3}。",
            k.df,
            k.h,
            p_text(k.p),
            k.epsilon_squared
        ),
    }
}

/// Published rows as bars: the mean per row, or the share of each option.
fn chart(c: &Crossed) -> Result<Option<String>, ApiError> {
    let shown: Vec<(&String, &Row)> = c
        .rows
        .iter()
        .zip(&c.table.rows)
        .filter(|(_, r)| !r.state.is_hidden() && !r.cells.is_empty())
        .map(|((_, l), r)| (l, r))
        .collect();
    if shown.is_empty() {
        return Ok(None);
    }
    let series: Vec<Series> = match c.measure {
        Measure::Mean => vec![Series {
            name: "均值 mean".into(),
            values: shown
                .iter()
                .map(|(_, r)| match r.cells.first() {
                    Some(CrossCell::Mean(s)) => s.mean.map(|m| (m, s.ci_low, s.ci_high)),
                    _ => None,
                })
                .collect(),
        }],
        _ => c
            .columns
            .iter()
            .enumerate()
            .map(|(i, (_, l))| Series {
                name: l.clone(),
                values: shown
                    .iter()
                    .map(|(_, r)| match r.cells.get(i) {
                        Some(CrossCell::Count { share, .. }) => Some((100.0 * share, None, None)),
                        _ => None,
                    })
                    .collect(),
            })
            .collect(),
    };
    let axis = match (&c.measure, &c.spec.target) {
        (Measure::Mean, crosstab::Target::Indicator(_)) => Axis::score(),
        (Measure::Mean, crosstab::Target::Question(_)) => {
            // A scale or number: up to the highest whisker, with a little room.
            let top = series
                .iter()
                .flat_map(|s| s.values.iter().flatten())
                .map(|(m, _, hi)| hi.unwrap_or(*m).max(*m))
                .fold(0.0, f64::max);
            Axis {
                label: "均值 mean".into(),
                max: if top > 0.0 { (top * 1.1).ceil() } else { 1.0 },
            }
        }
        _ => Axis {
            label: "占比 (%) share".into(),
            max: 100.0,
        },
    };
    let bars = GroupedBars {
        axis,
        title: format!("{} × {}", c.row_label, c.target_label),
        categories: shown.iter().map(|(l, _)| (*l).clone()).collect(),
        series,
        size: (760, 320),
    };
    crate::charts::svg(&bars)
        .map(Some)
        .map_err(ApiError::unexpected)
}

fn row_label(c: &Crossed) -> String {
    match &c.spec.rows {
        crosstab::RowsBy::Attribute(a) => attribute_zh(a).to_string(),
        crosstab::RowsBy::Question(_) => c.row_label.clone(),
    }
}

fn page(
    c: &Crossed,
    key: &str,
    who: String,
    school: Option<String>,
) -> Result<CrosstabPage, ApiError> {
    let (group, rows, target) = spec_values(c);
    let mut query: Vec<(String, String)> = vec![
        ("group".into(), group),
        ("rows".into(), rows.clone()),
        ("target".into(), target.clone()),
    ];
    query.extend(c.filters.iter().cloned());
    Ok(CrosstabPage {
        head: ViewHead {
            title: c.campaign_title.clone(),
            key: key.to_string(),
            who,
            school,
            view: view_words(&c.filters, &c.filter_choices),
            query: query_of(&query),
        },
        groups: c
            .choices
            .groups
            .iter()
            .map(|(g, t)| Option_ {
                value: g.as_str().into(),
                label: format!("{} · {t}", g.label_zh()),
                selected: *g == c.spec.group,
            })
            .collect(),
        rows: options(&c.choices.rows, &rows),
        targets: options(&c.choices.targets, &target),
        choices: c.filter_choices.iter().map(choice).collect(),
        table: table(c, &row_label(c)),
        test: test_text(c),
        chart: chart(c)?,
        min: c.min_cell,
        unweighted_note: c.campaign_weighted,
    })
}

/// The view and the table asked for, or the page that says why not.
async fn crossed(
    req: &HttpRequest,
    state: &AppState,
    key: &str,
    action: &str,
) -> Result<Result<(Crossed, super::auth::Grant), HttpResponse>, ApiError> {
    let (grant, scope) = match evaluator(req, state).await? {
        Ok(found) => found,
        Err(login) => return Ok(Err(login)),
    };
    let (asked, params) = match view_query(req, &PARAMS) {
        Ok(q) => q,
        Err((zh, en)) => return refused(StatusCode::UNPROCESSABLE_ENTITY, &zh, &en).map(Err),
    };
    let param = |k: &str, default: &str| {
        params
            .iter()
            .find(|(p, _)| p == k)
            .map_or_else(|| default.to_string(), |(_, v)| v.clone())
    };
    let (group, rows, target) = (
        param("group", ""),
        param("rows", "attr:school"),
        param("target", "ind:TOTAL"),
    );
    let view = computed(state, key, &scope, &asked, (&group, &rows, &target)).await?;
    let c = match view.as_deref() {
        Some(Ok(Some(c))) => c.clone(),
        None | Some(Ok(None)) => {
            return Err(ApiError::NotFound {
                what: "campaign",
                key: key.to_string(),
            })
        }
        Some(Err(CrossError::View(e))) => return view_refused(e).map(Err),
        Some(Err(e)) => {
            let zh = format!("交叉表参数无效：{e}");
            return refused(StatusCode::UNPROCESSABLE_ENTITY, &zh, &e.to_string()).map(Err);
        }
    };
    crate::app::access::record(
        &state.db,
        &grant.actor,
        action,
        key,
        audit_detail(&c),
        state.client_ip(req),
    )
    .await?;
    Ok(Ok((c, grant)))
}

/// What the audit log records of a cross-tabulation: its parameters and filters.
pub(crate) fn audit_detail(c: &Crossed) -> serde_json::Value {
    let (g, r, t) = spec_values(c);
    serde_json::json!({
        "group": g, "rows": r, "target": t,
        "filters": c.filters.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>(),
    })
}

/// The cross-tabulation `(group, rows, target)` of the view `asked` within `scope`,
/// from the per-data-version cache shared by the page, the workbook and the API.
pub(crate) async fn computed(
    state: &AppState,
    key: &str,
    scope: &[(String, String)],
    asked: &[(String, String)],
    (group, rows, target): (&str, &str, &str),
) -> Result<Option<std::sync::Arc<crate::web::state::CrossedView>>, ApiError> {
    cached(
        state,
        &state.crosstabs,
        (
            key.to_string(),
            scope.to_vec(),
            asked.to_vec(),
            vec![group.to_string(), rows.to_string(), target.to_string()],
        ),
        |e| matches!(e, CrossError::View(ExploreError::Store(_))),
        || {
            crosstab::crosstab(
                &state.db,
                &state.summaries.counts,
                key,
                scope,
                asked,
                (group, rows, target),
                chrono::Utc::now(),
            )
        },
    )
    .await
}

/// The cross-tabulation page; without a session, back to the login on `/admin`.
pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let key = key.into_inner();
    let (c, grant) = match crossed(&req, &state, &key, "crosstab.view").await? {
        Ok(found) => found,
        Err(page) => return Ok(page),
    };
    let who = super::admin::who(&grant);
    let page = page(&c, &key, who, grant.school)?;
    Ok(html(
        StatusCode::OK,
        page.render().map_err(ApiError::unexpected)?,
    ))
}

/// The same table as an Excel workbook (text neutralised, numbers as numbers).
pub async fn download(
    req: HttpRequest,
    state: web::Data<AppState>,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let key = key.into_inner();
    let (c, _) = match crossed(&req, &state, &key, "crosstab.download").await? {
        Ok(found) => found,
        Err(page) => return Ok(page),
    };
    let cover = vec![
        format!("{} · 交叉表 cross-tabulation", c.campaign_title),
        format!("评价主体 group：{}", c.spec.group.label_zh()),
        format!("视图 view：{}", view_words(&c.filters, &c.filter_choices)),
        format!("行 rows：{}", row_label(&c)),
        format!("指标/题目 target：{}", c.target_label),
        test_text(&c),
    ];
    let bytes =
        crosstab::workbook(&cover, &table(&c, &row_label(&c))).map_err(ApiError::unexpected)?;
    Ok(HttpResponse::Ok()
        .content_type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{key}-crosstab.xlsx\""),
        ))
        .body(bytes))
}
