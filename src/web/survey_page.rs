//! The survey page's view: every question type as form controls, in Chinese or English,
//! with the logic syntax trees and the enhancement script inlined (no external requests).

use std::collections::HashMap;

use askama::Template;
use serde::Serialize;
use uuid::Uuid;

use crate::domain::Lang;
use crate::domain::SectionItem;
use crate::domain::{AnswerError, Question, QuestionKind, Survey, OTHER_CODE, OTHER_SUFFIX};
use crate::error::ApiError;

/// The enhancement script, inlined so a page is one request; comment lines and
/// indentation are stripped once (the page budget is 12 KB compressed).
static SCRIPT: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    include_str!("assets/survey.js")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
});

/// The survey page's Content-Security-Policy: only its own inline script runs (by
/// hash), nothing is loaded from elsewhere, answers go only to this server.
pub static PAGE_CSP: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    use base64::Engine;
    use sha2::Digest;
    let hash =
        base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(SCRIPT.as_bytes()));
    format!(
        "default-src 'none'; script-src 'sha256-{hash}'; style-src 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    )
});

/// Every other response: no script at all.
pub const DEFAULT_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// Interface text of the page in one language.
#[derive(Serialize)]
pub struct Ui {
    #[serde(skip)]
    pub html_lang: &'static str,
    #[serde(skip)]
    pub submit_label: &'static str,
    #[serde(skip)]
    pub required_label: &'static str,
    #[serde(skip)]
    pub conditional: &'static str,
    #[serde(skip)]
    pub other_label: &'static str,
    #[serde(skip)]
    pub other_placeholder: &'static str,
    #[serde(skip)]
    pub rank_hint: &'static str,
    #[serde(skip)]
    pub rank_placeholder: &'static str,
    #[serde(skip)]
    pub errors: &'static str,
    #[serde(skip)]
    pub matrix_row_error: &'static str,
    #[serde(skip)]
    pub switch_label: &'static str,
    #[serde(skip)]
    pub switch_lang: &'static str,
    pub required: &'static str,
    pub constraint: &'static str,
    pub other: &'static str,
    pub rank: &'static str,
    pub page: &'static str,
    pub prev: &'static str,
    pub next: &'static str,
    pub sending: &'static str,
    pub retrying: &'static str,
    pub offline: &'static str,
    pub restored: &'static str,
}

impl Ui {
    pub fn new(lang: Lang) -> Self {
        match lang {
            Lang::Zh => Ui {
                html_lang: "zh-CN",
                submit_label: "提交问卷",
                required_label: "必答",
                conditional: "（视前面的回答而定，如不适用可不填）",
                other_label: "其他（请注明）",
                other_placeholder: "选择“其他”时请注明",
                rank_hint: "请为每项选择名次（1 = 最重要），名次不能重复。",
                rank_placeholder: "名次",
                errors: "处需要修改，请查看标红的题目。",
                matrix_row_error: "请为每一行选择一个选项",
                switch_label: "English",
                switch_lang: "en",
                required: "此题为必答题",
                constraint: "答案不符合要求，请检查",
                other: "选择了“其他”，请注明",
                rank: "请为每一项选择不同的名次",
                page: "第 {i} / {n} 页",
                prev: "上一页",
                next: "下一页",
                sending: "正在提交…",
                retrying: "正在重新提交…",
                offline: "网络不佳，已保存，将自动重试",
                restored: "已恢复上次填写的内容",
            },
            Lang::En => Ui {
                html_lang: "en",
                submit_label: "Submit",
                required_label: "required",
                conditional: "(depends on earlier answers; leave it if it does not apply)",
                other_label: "Other (please specify)",
                other_placeholder: "Please specify when choosing Other",
                rank_hint: "Give each item a rank (1 = most important); no two the same.",
                rank_placeholder: "Rank",
                errors: " answer(s) need attention; see the questions marked in red.",
                matrix_row_error: "Choose one option in every row",
                switch_label: "中文",
                switch_lang: "zh",
                required: "This question is required",
                constraint: "This answer is not valid; please check it",
                other: "You chose Other: please say what",
                rank: "Give every item a different rank",
                page: "Page {i} of {n}",
                prev: "Back",
                next: "Next",
                sending: "Submitting…",
                retrying: "Submitting again…",
                offline: "Weak network: your answers are saved and will be sent automatically",
                restored: "Your earlier answers were restored",
            },
        }
    }
}

fn pick<'a>(lang: Lang, zh: &'a str, en: Option<&'a str>) -> &'a str {
    match (lang, en) {
        (Lang::En, Some(e)) if !e.trim().is_empty() => e,
        _ => zh,
    }
}

/// Where the page posts and what it carries besides the questions.
/// The per-request part of a survey page: the hidden response id and the time the page
/// was first served (Unix seconds), from which the answering time of a respondent
/// without script is measured. [`Stamp::Marker`] renders the cache's splice point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stamp {
    Marker,
    Request { id: Uuid, served: i64 },
}

impl Stamp {
    /// A new page's stamp: a fresh id, served now.
    pub fn fresh() -> Self {
        Stamp::Request {
            id: Uuid::new_v4(),
            served: chrono::Utc::now().timestamp(),
        }
    }

    /// The hidden inputs (only a UUID and digits: nothing to escape).
    pub fn html(&self) -> String {
        match self {
            Stamp::Marker => super::page_cache::MARKER.to_string(),
            Stamp::Request { id, served } => format!(
                "<input type=\"hidden\" name=\"response_id\" value=\"{id}\"><input type=\"hidden\" name=\"served\" value=\"{served}\">"
            ),
        }
    }
}

pub struct PageContext<'a> {
    pub lang: Lang,
    pub token: Option<&'a str>,
    /// No answers from the server (not a re-render, no saved draft): the script may
    /// restore this browser's draft.
    pub fresh: bool,
}

#[derive(Template)]
#[template(path = "survey.html")]
struct SurveyPage<'a> {
    title: &'a str,
    intro: &'a str,
    slug: &'a str,
    lang: &'static str,
    token: &'a str,
    fresh: bool,
    /// The hidden id and served time ([`Stamp::html`]), inserted unescaped.
    stamp: String,
    error_count: usize,
    sections: Vec<SectionView<'a>>,
    /// The questionnaire has English texts: offer the language switch.
    translated: bool,
    ui: Ui,
    /// The logic syntax trees as JSON, safe inside a `<script>` element.
    logic: String,
    ui_json: String,
    script: &'a str,
}

struct SectionView<'a> {
    title: &'a str,
    questions: Vec<QuestionView<'a>>,
}

/// One block on the page: a question, or a Likert matrix whose `rows` are its statements.
struct QuestionView<'a> {
    id: &'a str,
    number: String,
    text: &'a str,
    hint: Option<&'a str>,
    /// Always required (no `required_if`).
    required: bool,
    conditional: bool,
    required_message: Option<&'a str>,
    constraint_message: Option<&'a str>,
    kind: &'static str,
    options: Vec<OptionView<'a>>,
    value: String,
    other: bool,
    other_value: String,
    max_length: usize,
    min_label: Option<&'a str>,
    max_label: Option<&'a str>,
    rows: Vec<QuestionView<'a>>,
    error: Option<String>,
}

struct OptionView<'a> {
    value: String,
    label: &'a str,
    checked: bool,
}

/// Form values by field name; a multiple choice sends one value per ticked box.
pub type FormValues = HashMap<String, Vec<String>>;
pub fn first(values: &FormValues, key: &str) -> String {
    values
        .get(key)
        .and_then(|v| v.first())
        .cloned()
        .unwrap_or_default()
}

fn choice_options<'a>(
    lang: Lang,
    choices: &'a [crate::domain::Choice],
    other: bool,
    selected: &[String],
) -> Vec<OptionView<'a>> {
    let mut out: Vec<OptionView<'a>> = choices
        .iter()
        .map(|c| OptionView {
            checked: selected.contains(&c.code),
            value: c.code.clone(),
            label: pick(lang, &c.label, c.label_en.as_deref()),
        })
        .collect();
    if other {
        out.push(OptionView {
            checked: selected.iter().any(|s| s == OTHER_CODE),
            value: OTHER_CODE.into(),
            label: Ui::new(lang).other_label,
        });
    }
    out
}

fn scale_labels(survey: &Survey, lang: Lang) -> impl Iterator<Item = (String, &str)> {
    survey.scale.labels.iter().enumerate().map(move |(i, l)| {
        let en = survey
            .scale
            .labels_en
            .as_ref()
            .and_then(|e| e.get(i))
            .map(String::as_str);
        ((i + 1).to_string(), pick(lang, l, en))
    })
}

fn scale_options<'a>(
    labels: impl Iterator<Item = (String, &'a str)>,
    value: &str,
) -> Vec<OptionView<'a>> {
    labels
        .map(|(v, label)| OptionView {
            checked: value == v,
            value: v,
            label,
        })
        .collect()
}

fn base_view<'a>(
    lang: Lang,
    q: &'a Question,
    number: String,
    values: &FormValues,
    errors: &[AnswerError],
) -> QuestionView<'a> {
    let value = first(values, &q.id);
    let other_key = format!("{}{OTHER_SUFFIX}", q.id);
    QuestionView {
        id: &q.id,
        number,
        text: pick(lang, &q.text, q.text_en.as_deref()),
        hint: q
            .hint
            .as_deref()
            .map(|h| pick(lang, h, q.hint_en.as_deref())),
        required: q.required && q.required_if.is_none(),
        conditional: q.relevant.is_some() || q.required_if.is_some(),
        required_message: q.required_message.as_deref(),
        constraint_message: q.constraint_message.as_deref(),
        kind: "text",
        options: Vec::new(),
        value: if value.is_empty() {
            q.default.clone().unwrap_or_default()
        } else {
            value.clone()
        },
        other: q.kind.has_other(),
        other_value: first(values, &other_key),
        max_length: 0,
        min_label: None,
        max_label: None,
        rows: Vec::new(),
        error: errors
            .iter()
            .find(|e| e.field == q.id || e.field == other_key)
            .map(|e| e.message_zh.clone()),
    }
}

fn question_view<'a>(
    lang: Lang,
    survey: &'a Survey,
    q: &'a Question,
    number: String,
    values: &FormValues,
    errors: &[AnswerError],
) -> QuestionView<'a> {
    let selected: Vec<String> = values.get(&q.id).cloned().unwrap_or_default();
    let mut view = base_view(lang, q, number, values, errors);
    match &q.kind {
        QuestionKind::Single { choices, other } => {
            view.kind = "single";
            view.options = choice_options(lang, choices, *other, std::slice::from_ref(&view.value));
        }
        QuestionKind::Multiple { choices, other, .. } => {
            view.kind = "multiple";
            let sel = if selected.is_empty() {
                q.default
                    .as_deref()
                    .map(|d| d.split_whitespace().map(str::to_string).collect())
                    .unwrap_or_default()
            } else {
                selected
            };
            view.options = choice_options(lang, choices, *other, &sel);
        }
        QuestionKind::Likert { .. }
        | QuestionKind::Importance { .. }
        | QuestionKind::Attention { .. } => {
            view.kind = "likert";
            view.options = scale_options(scale_labels(survey, lang), &view.value);
        }
        QuestionKind::Rating {
            min,
            max,
            min_label,
            max_label,
        } => {
            view.kind = "rating";
            view.min_label = min_label.as_deref();
            view.max_label = max_label.as_deref();
            view.options = (*min..=*max)
                .map(|v| OptionView {
                    checked: view.value == v.to_string(),
                    value: v.to_string(),
                    label: "",
                })
                .collect();
        }
        QuestionKind::Integer { .. } => view.kind = "integer",
        QuestionKind::Decimal { .. } => view.kind = "decimal",
        QuestionKind::Date { .. } => view.kind = "date",
        QuestionKind::Note => view.kind = "note",
        QuestionKind::Text {
            max_length,
            multiline,
            ..
        } => {
            view.kind = if *multiline { "textarea" } else { "text" };
            view.max_length = *max_length;
        }
        QuestionKind::Ranking { choices } => {
            view.kind = "ranking";
            // One rank selector per choice: field `<id>/<code>` holds its position.
            view.options = choices
                .iter()
                .map(|c| OptionView {
                    value: c.code.clone(),
                    label: pick(lang, &c.label, c.label_en.as_deref()),
                    checked: false,
                })
                .collect();
            view.rows = choices
                .iter()
                .map(|c| {
                    let mut r = base_view(lang, q, String::new(), &FormValues::new(), &[]);
                    r.kind = "rank";
                    r.value = first(values, &format!("{}/{}", q.id, c.code));
                    r.other_value = c.code.clone();
                    r.options = (1..=choices.len())
                        .map(|i| OptionView {
                            checked: r.value == i.to_string(),
                            value: i.to_string(),
                            label: "",
                        })
                        .collect();
                    r.text = pick(lang, &c.label, c.label_en.as_deref());
                    r
                })
                .collect();
        }
    }
    view
}

/// The whole page for `survey` with `values` filled in and `errors` beside their questions.
pub fn render(
    survey: &Survey,
    stamp: Stamp,
    values: &FormValues,
    errors: &[AnswerError],
    ctx: &PageContext<'_>,
) -> Result<String, ApiError> {
    let lang = ctx.lang;
    let mut number = 0;
    let mut sections = Vec::new();
    for s in &survey.sections {
        let mut blocks: Vec<QuestionView<'_>> = Vec::new();
        for item in s.items() {
            let q = match item {
                SectionItem::Single(q) => q,
                SectionItem::Matrix(m, rows) => {
                    let q = rows[0];
                    number += 1;
                    let mut block = question_view(lang, survey, q, number.to_string(), values, &[]);
                    block.id = &m.id;
                    block.text = pick(lang, &m.text, m.text_en.as_deref());
                    block.kind = "matrix";
                    block.error = None;
                    block.options = scale_options(scale_labels(survey, lang), "");
                    block.rows = rows
                        .iter()
                        .enumerate()
                        .map(|(k, r)| {
                            question_view(
                                lang,
                                survey,
                                r,
                                format!("{number}.{}", k + 1),
                                values,
                                errors,
                            )
                        })
                        .collect();
                    if block.rows.iter().any(|r| r.error.is_some()) {
                        block.error = Some(Ui::new(lang).matrix_row_error.into());
                    }
                    blocks.push(block);
                    continue;
                }
            };
            let n = if matches!(q.kind, QuestionKind::Note) {
                String::new()
            } else {
                number += 1;
                number.to_string()
            };
            blocks.push(question_view(lang, survey, q, n, values, errors));
        }
        sections.push(SectionView {
            title: pick(lang, &s.title, s.title_en.as_deref()),
            questions: blocks,
        });
    }
    let ui = Ui::new(lang);
    SurveyPage {
        title: pick(lang, &survey.title, survey.title_en.as_deref()),
        intro: pick(lang, &survey.intro, survey.intro_en.as_deref()),
        slug: &survey.slug,
        lang: ui.html_lang,
        token: ctx.token.unwrap_or(""),
        fresh: ctx.fresh,
        stamp: stamp.html(),
        error_count: errors.len(),
        sections,
        translated: survey.title_en.is_some(),
        logic: script_json(&survey.logic()),
        ui_json: script_json(&serde_json::to_value(&ui).unwrap_or_default()),
        ui,
        script: SCRIPT.as_str(),
    }
    .render()
    .map_err(ApiError::unexpected)
}

/// JSON that cannot close the `<script>` element it sits in.
pub fn script_json(v: &serde_json::Value) -> String {
    v.to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

/// Turns posted form fields into the JSON answers the parser takes: ticked boxes become
/// a list, per-choice rank selectors an ordered list.
pub fn form_answers(
    survey: &Survey,
    values: &FormValues,
) -> serde_json::Map<String, serde_json::Value> {
    use serde_json::Value;
    let mut raw = serde_json::Map::new();
    for (k, v) in values {
        if k.contains('/') {
            continue;
        }
        let multiple = survey
            .question(k)
            .is_some_and(|q| matches!(q.kind, QuestionKind::Multiple { .. }));
        let value = if multiple {
            Value::Array(
                v.iter()
                    .filter(|s| !s.trim().is_empty())
                    .map(|s| Value::String(s.clone()))
                    .collect(),
            )
        } else {
            Value::String(v.last().cloned().unwrap_or_default())
        };
        raw.insert(k.clone(), value);
    }
    for q in survey.questions() {
        if let QuestionKind::Ranking { choices } = &q.kind {
            let mut ranked: Vec<(usize, &str)> = choices
                .iter()
                .filter_map(|c| {
                    let rank = first(values, &format!("{}/{}", q.id, c.code));
                    rank.trim()
                        .parse::<usize>()
                        .ok()
                        .map(|r| (r, c.code.as_str()))
                })
                .collect();
            if ranked.is_empty() {
                continue;
            }
            ranked.sort();
            let mut ranks: Vec<usize> = ranked.iter().map(|(r, _)| *r).collect();
            ranks.dedup();
            let codes: Vec<Value> = if ranks.len() == ranked.len() {
                ranked
                    .iter()
                    .map(|(_, c)| Value::String((*c).to_string()))
                    .collect()
            } else {
                // Two choices share a rank: send a duplicate so the parser says so.
                vec![Value::String(ranked[0].1.to_string()); choices.len().max(2)]
            };
            raw.insert(q.id.clone(), Value::Array(codes));
        }
    }
    raw
}

#[cfg(test)]
mod tests {
    use super::script_json;

    #[test]
    fn logic_json_cannot_close_its_script_element() {
        let v = serde_json::json!({"s": "'</script><img src=x onerror=alert(1)>' & more"});
        let out = script_json(&v);
        assert!(
            !out.contains('<') && !out.contains('>') && !out.contains('&'),
            "{out}"
        );
        let back: serde_json::Value = serde_json::from_str(&out).expect("still JSON");
        assert_eq!(back, v);
    }
}
