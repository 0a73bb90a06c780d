//! The evaluator workspace's open-answer page (`/admin/campaigns/{key}/text`): for the
//! view the evaluator narrows with up to two filters, what each stakeholder group wrote
//! — theme shares with their intervals, distinctive terms (a bar chart from `charts/`
//! with its table), frequent terms and phrases, representative quotes, the answers no
//! theme covers — and the themes per breakdown cell. Everything comes redacted and
//! through the disclosure gate from the view's open-answer analysis (computed without
//! the scores, and identical to `Analysis.text`).

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::results::{choice, label_of, show_view, view_head, ChoiceView};
use super::workspace::{attribute_zh, ViewHead};
use super::AppState;
use crate::analysis::text::{GroupText, TextReport, ThemeShare};
use crate::app::analyse::AnalysedText;
use crate::app::explore::Explored;
use crate::charts::bars::{one_decimal, HorizontalBars};
use crate::error::ApiError;

/// Distinctive terms drawn per group.
const CHART_TERMS: usize = 10;

fn share(s: Option<&ThemeShare>) -> String {
    s.map_or_else(
        || "—".into(),
        |s| {
            format!(
                "{:.1}% [{:.1}, {:.1}] n={}",
                s.share, s.ci_low, s.ci_high, s.respondents
            )
        },
    )
}

/// One published group as the page shows it.
struct GroupView {
    name: &'static str,
    code: &'static str,
    wrote: u64,
    chart: Option<String>,
    /// term, uses, uses by others, δ, z
    distinctive: Vec<[String; 5]>,
    /// term, uses, respondents, share
    terms: Vec<[String; 4]>,
    quotes: Vec<(String, String)>,
    uncoded: u64,
    uncoded_answers: Vec<String>,
}

struct CellRow {
    value: String,
    group: &'static str,
    wrote: u64,
    hidden: Option<String>,
    themes: Vec<String>,
}

#[derive(Template)]
#[template(path = "open_answers.html")]
struct OpenAnswersPage {
    head: ViewHead,
    choices: Vec<ChoiceView>,
    /// Per group: name, respondents who wrote, hidden reason.
    summary: Vec<(&'static str, u64, Option<String>)>,
    themes: Vec<(String, String)>,
    /// Per theme: its share in each published group.
    theme_rows: Vec<(String, Vec<String>)>,
    published: Vec<&'static str>,
    groups: Vec<GroupView>,
    breakdowns: Vec<(&'static str, Vec<CellRow>)>,
    min: u64,
}

fn hidden_reason(g: &GroupText, min: u64) -> Option<String> {
    g.suppressed.is_hidden().then(|| {
        g.suppressed
            .reason_zh(min)
            .unwrap_or_else(|| "不公布".into())
    })
}

fn group_view(text: &TextReport, g: &GroupText) -> Result<GroupView, ApiError> {
    let name = g.group.label_zh();
    let d = text.distinctive.iter().find(|d| d.group == g.group);
    let terms = d.map(|d| d.terms.as_slice()).unwrap_or_default();
    let chart = if terms.is_empty() {
        None
    } else {
        let rows: Vec<(String, Option<f64>)> = terms
            .iter()
            .take(CHART_TERMS)
            .map(|t| (t.term.clone(), Some(t.z)))
            .collect();
        let max = rows.iter().filter_map(|(_, z)| *z).fold(1.96, f64::max) * 1.1;
        let chart = HorizontalBars {
            title: format!("{name}：特色词（z 值）"),
            rows,
            max,
            value_format: one_decimal,
            width: 560,
        };
        Some(crate::charts::svg(&chart).map_err(ApiError::unexpected)?)
    };
    let theme_name = |code: &Option<String>| {
        code.as_ref()
            .and_then(|c| text.themes.iter().find(|t| &t.code == c))
            .map_or("—".to_string(), |t| t.name.clone())
    };
    Ok(GroupView {
        name,
        code: g.group.as_str(),
        wrote: g.respondents,
        chart,
        distinctive: terms
            .iter()
            .map(|t| {
                [
                    t.term.clone(),
                    t.uses.to_string(),
                    t.other_uses.to_string(),
                    format!("{:.2}", t.log_odds),
                    format!("{:.2}", t.z),
                ]
            })
            .collect(),
        terms: g
            .terms
            .iter()
            .chain(&g.phrases)
            .map(|t| {
                [
                    t.term.clone(),
                    t.uses.to_string(),
                    t.documents.to_string(),
                    format!("{:.1}%", t.share),
                ]
            })
            .collect(),
        quotes: g
            .quotes
            .iter()
            .map(|q| (theme_name(&q.theme), q.text.clone()))
            .collect(),
        uncoded: g.uncoded,
        uncoded_answers: g.uncoded_answers.clone(),
    })
}

fn view(
    e: &Explored<AnalysedText>,
    who: String,
    school: Option<String>,
) -> Result<OpenAnswersPage, ApiError> {
    let min = e.analysed.min_cell_size;
    let text = &e.analysed.text;
    let shown: Vec<&GroupText> = text
        .groups
        .iter()
        .filter(|g| !g.suppressed.is_hidden())
        .collect();
    let theme_rows = text
        .themes
        .iter()
        .map(|t| {
            (
                t.name.clone(),
                shown
                    .iter()
                    .map(|g| share(g.themes.iter().find(|s| s.code == t.code)))
                    .collect(),
            )
        })
        .collect();
    let breakdowns = text
        .breakdowns
        .iter()
        .map(|b| {
            let rows = b
                .cells
                .iter()
                .map(|c| CellRow {
                    value: label_of(&e.choices, &b.attribute, &c.value),
                    group: c.group.label_zh(),
                    wrote: c.respondents,
                    hidden: c.suppressed.is_hidden().then(|| {
                        c.suppressed
                            .reason_zh(min)
                            .unwrap_or_else(|| "不公布".into())
                    }),
                    themes: text
                        .themes
                        .iter()
                        .map(|t| share(c.themes.iter().find(|s| s.code == t.code)))
                        .collect(),
                })
                .collect();
            (attribute_zh(&b.attribute), rows)
        })
        .collect();
    Ok(OpenAnswersPage {
        head: view_head(e, who, school),
        choices: e.choices.iter().map(choice).collect(),
        summary: text
            .groups
            .iter()
            .map(|g| (g.group.label_zh(), g.respondents, hidden_reason(g, min)))
            .collect(),
        themes: text
            .themes
            .iter()
            .map(|t| (t.name.clone(), t.keywords.join("、")))
            .collect(),
        theme_rows,
        published: shown.iter().map(|g| g.group.label_zh()).collect(),
        groups: shown
            .iter()
            .map(|g| group_view(text, g))
            .collect::<Result<_, _>>()?,
        breakdowns,
        min,
    })
}

/// The open-answer page; without a session, back to the login on `/admin`.
pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    show_view(&req, &state, key.into_inner(), view).await
}
