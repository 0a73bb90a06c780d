//! Writes a questionnaire back as a definition file (`surveys/<campaign>/<group>.toml`),
//! the inverse of `survey_file::parse`: used by the XLSForm importer so an imported
//! questionnaire lives in `surveys/` like any other.

use serde::Serialize;
use toml::Spanned;

use super::question_file::{unplaced, ChoiceTable, QuestionTable, StatementTable};
use crate::domain::{Choice, MatrixHeader, Question, QuestionKind, SectionItem, Survey};

#[derive(Serialize)]
struct OutSurvey<'a> {
    slug: &'a str,
    audience: &'a str,
    title: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    title_en: Option<&'a str>,
    intro: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    intro_en: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<u32>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    anonymous: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    opens: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    closes: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_responses: Option<u64>,
    scale: OutScale<'a>,
    section: Vec<OutSection<'a>>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    quota: &'a [crate::domain::Quota],
}

#[derive(Serialize)]
struct OutScale<'a> {
    points: u8,
    labels: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    labels_en: Option<&'a [String]>,
}

#[derive(Serialize)]
struct OutSection<'a> {
    title: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    title_en: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    relevant: Option<&'a str>,
    question: Vec<QuestionTable>,
}

fn optional(s: &Option<String>) -> Option<Spanned<String>> {
    s.clone().map(unplaced)
}

fn choices(list: &[Choice]) -> Option<Spanned<Vec<ChoiceTable>>> {
    Some(unplaced(
        list.iter()
            .map(|c| ChoiceTable {
                code: unplaced(c.code.clone()),
                label: unplaced(c.label.clone()),
                label_en: c.label_en.clone(),
            })
            .collect(),
    ))
}

/// The fields every question type has.
fn common(q: &Question, id: &str, kind: &str, text: &str) -> QuestionTable {
    let mut out = QuestionTable::new(id, kind, text);
    out.hint = q.hint.clone();
    out.hint_en = q.hint_en.clone();
    out.required = match (&q.kind, &q.required_if) {
        (QuestionKind::Note, _) | (_, Some(_)) => None,
        _ => Some(unplaced(q.required)),
    };
    let source = |e: &Option<crate::domain::Expression>| {
        e.as_ref().map(|e| unplaced(e.source().to_string()))
    };
    out.required_if = source(&q.required_if);
    out.required_message = q.required_message.clone();
    out.relevant = source(&q.relevant);
    out.constraint = source(&q.constraint);
    out.constraint_message = q.constraint_message.clone();
    out.default = optional(&q.default);
    out.attribute = optional(&q.attribute);
    out
}

/// Writes `true` only, as the files leave a false flag out.
fn flag(b: bool) -> Option<Spanned<bool>> {
    b.then(|| unplaced(true))
}

fn question(q: &Question) -> QuestionTable {
    let mut out = common(q, &q.id, q.kind.type_name(), &q.text);
    out.text_en = q.text_en.clone();
    let int = |n: i64| Some(unplaced(toml::Value::Integer(n)));
    match &q.kind {
        QuestionKind::Single { choices: c, other } => {
            out.choices = choices(c);
            out.other = flag(*other);
        }
        QuestionKind::Multiple {
            choices: c,
            other,
            min,
            max,
        } => {
            out.choices = choices(c);
            out.other = flag(*other);
            out.min_selected = min.map(|n| unplaced(i64::from(n)));
            out.max_selected = max.map(|n| unplaced(i64::from(n)));
        }
        QuestionKind::Likert { indicator, reverse } => {
            out.indicator = optional(indicator);
            out.scored = indicator.is_none().then(|| unplaced(false));
            out.reverse = flag(*reverse);
        }
        QuestionKind::Importance { of } => out.of = Some(unplaced(of.clone())),
        QuestionKind::Attention { expect } => out.expect = Some(unplaced(i64::from(*expect))),
        QuestionKind::Rating {
            min,
            max,
            min_label,
            max_label,
        } => {
            out.min = int(*min);
            out.max = int(*max);
            out.min_label = optional(min_label);
            out.max_label = optional(max_label);
        }
        QuestionKind::Integer { min, max } => {
            out.min = int(*min).filter(|_| *min != i64::MIN);
            out.max = int(*max).filter(|_| *max != i64::MAX);
        }
        QuestionKind::Decimal { min, max } => {
            out.min = min.map(|x| unplaced(toml::Value::Float(x)));
            out.max = max.map(|x| unplaced(toml::Value::Float(x)));
        }
        QuestionKind::Text {
            max_length,
            multiline,
            in_report,
        } => {
            out.max_length = Some(unplaced(i64::try_from(*max_length).unwrap_or(i64::MAX)));
            out.multiline = flag(*multiline);
            out.in_report = flag(*in_report);
        }
        QuestionKind::Ranking { choices: c } => out.choices = choices(c),
        QuestionKind::Date { min, max } => {
            out.min = min.clone().map(|d| unplaced(toml::Value::String(d)));
            out.max = max.clone().map(|d| unplaced(toml::Value::String(d)));
        }
        QuestionKind::Note => {}
    }
    out
}

/// A Likert matrix: the header's table with one statement per row.
fn matrix(m: &MatrixHeader, rows: &[&Question]) -> QuestionTable {
    let mut out = common(rows[0], &m.id, "likert_matrix", &m.text);
    out.text_en = m.text_en.clone();
    let statements = rows
        .iter()
        .map(|r| {
            let (indicator, reverse, expect) = match &r.kind {
                QuestionKind::Likert { indicator, reverse } => (indicator.clone(), *reverse, None),
                QuestionKind::Attention { expect } => (None, false, Some(i64::from(*expect))),
                _ => (None, false, None),
            };
            StatementTable {
                id: unplaced(r.id.clone()),
                text: unplaced(r.text.clone()),
                text_en: r.text_en.clone(),
                scored: (indicator.is_none() && expect.is_none()).then(|| unplaced(false)),
                indicator: indicator.map(unplaced),
                reverse: flag(reverse),
                expect: expect.map(unplaced),
            }
        })
        .collect();
    out.rows = Some(unplaced(statements));
    out
}

/// The definition file text for `survey`, with a header comment.
pub fn to_toml(survey: &Survey, header: &str) -> String {
    let mut sections = Vec::new();
    for s in &survey.sections {
        let questions = s
            .items()
            .into_iter()
            .map(|item| match item {
                SectionItem::Matrix(m, rows) => matrix(m, &rows),
                SectionItem::Single(q) => question(q),
            })
            .collect();
        sections.push(OutSection {
            title: &s.title,
            title_en: s.title_en.as_deref(),
            relevant: s.relevant.as_ref().map(|e| e.source()),
            question: questions,
        });
    }
    let out = OutSurvey {
        slug: &survey.slug,
        audience: survey.audience.as_str(),
        title: &survey.title,
        title_en: survey.title_en.as_deref(),
        intro: &survey.intro,
        intro_en: survey.intro_en.as_deref(),
        version: survey.declared_version,
        anonymous: survey.access.anonymous,
        opens: survey.access.opens.map(|t| t.to_rfc3339()),
        closes: survey.access.closes.map(|t| t.to_rfc3339()),
        max_responses: survey.access.max_responses,
        quota: &survey.access.quotas,
        scale: OutScale {
            points: survey.scale.points,
            labels: &survey.scale.labels,
            labels_en: survey.scale.labels_en.as_deref(),
        },
        section: sections,
    };
    let body = toml::to_string(&out).unwrap_or_default();
    let mut text = String::new();
    for line in header.lines() {
        text.push_str("# ");
        text.push_str(line);
        text.push('\n');
    }
    text.push_str(&body);
    text
}
