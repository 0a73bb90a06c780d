//! Writes a questionnaire back as a definition file (`surveys/<campaign>/<group>.toml`),
//! the inverse of `survey_file::parse`: used by the XLSForm importer so an imported
//! questionnaire lives in `surveys/` like any other.

use serde::Serialize;

use crate::domain::SectionItem;
use crate::domain::{Choice, Question, QuestionKind, Survey};

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
    question: Vec<OutQuestion<'a>>,
}

#[derive(Serialize, Default)]
struct OutQuestion<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    text: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    text_en: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    hint: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    hint_en: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    required: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    required_if: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    required_message: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    relevant: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    constraint: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    constraint_message: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    default: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    attribute: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    indicator: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scored: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reverse: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    of: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    other: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    min: Option<toml::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max: Option<toml::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    min_selected: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_selected: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    min_label: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_label: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_length: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    multiline: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    in_report: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    choices: Option<Vec<OutChoice<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rows: Option<Vec<OutRow<'a>>>,
}

#[derive(Serialize)]
struct OutChoice<'a> {
    code: &'a str,
    label: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    label_en: Option<&'a str>,
}

#[derive(Serialize)]
struct OutRow<'a> {
    id: &'a str,
    text: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    text_en: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    indicator: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scored: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reverse: Option<bool>,
}

fn choices(list: &[Choice]) -> Option<Vec<OutChoice<'_>>> {
    Some(
        list.iter()
            .map(|c| OutChoice {
                code: &c.code,
                label: &c.label,
                label_en: c.label_en.as_deref(),
            })
            .collect(),
    )
}

fn common(q: &Question) -> OutQuestion<'_> {
    OutQuestion {
        id: &q.id,
        kind: q.kind.type_name(),
        text: &q.text,
        text_en: q.text_en.as_deref(),
        hint: q.hint.as_deref(),
        hint_en: q.hint_en.as_deref(),
        required: match (&q.kind, &q.required_if) {
            (QuestionKind::Note, _) | (_, Some(_)) => None,
            _ => Some(q.required),
        },
        required_if: q.required_if.as_ref().map(|e| e.source()),
        required_message: q.required_message.as_deref(),
        relevant: q.relevant.as_ref().map(|e| e.source()),
        constraint: q.constraint.as_ref().map(|e| e.source()),
        constraint_message: q.constraint_message.as_deref(),
        default: q.default.as_deref(),
        attribute: q.attribute.as_deref(),
        ..Default::default()
    }
}

fn question(q: &Question) -> OutQuestion<'_> {
    let mut out = common(q);
    match &q.kind {
        QuestionKind::Single { choices: c, other } => {
            out.choices = choices(c);
            out.other = other.then_some(true);
        }
        QuestionKind::Multiple {
            choices: c,
            other,
            min,
            max,
        } => {
            out.choices = choices(c);
            out.other = other.then_some(true);
            out.min_selected = *min;
            out.max_selected = *max;
        }
        QuestionKind::Likert { indicator, reverse } => {
            out.indicator = indicator.as_deref();
            out.scored = indicator.is_none().then_some(false);
            out.reverse = reverse.then_some(true);
        }
        QuestionKind::Importance { of } => out.of = Some(of),
        QuestionKind::Rating {
            min,
            max,
            min_label,
            max_label,
        } => {
            out.min = Some(toml::Value::Integer(*min));
            out.max = Some(toml::Value::Integer(*max));
            out.min_label = min_label.as_deref();
            out.max_label = max_label.as_deref();
        }
        QuestionKind::Integer { min, max } => {
            out.min = (*min != i64::MIN).then_some(toml::Value::Integer(*min));
            out.max = (*max != i64::MAX).then_some(toml::Value::Integer(*max));
        }
        QuestionKind::Decimal { min, max } => {
            out.min = min.map(toml::Value::Float);
            out.max = max.map(toml::Value::Float);
        }
        QuestionKind::Text {
            max_length,
            multiline,
            in_report,
        } => {
            out.max_length = Some(*max_length);
            out.multiline = multiline.then_some(true);
            out.in_report = in_report.then_some(true);
        }
        QuestionKind::Ranking { choices: c } => out.choices = choices(c),
        QuestionKind::Date { min, max } => {
            out.min = min.clone().map(toml::Value::String);
            out.max = max.clone().map(toml::Value::String);
        }
        QuestionKind::Note => {}
    }
    out
}

/// The definition file text for `survey`, with a header comment.
pub fn to_toml(survey: &Survey, header: &str) -> String {
    let mut sections = Vec::new();
    for s in &survey.sections {
        let mut questions: Vec<OutQuestion<'_>> = Vec::new();
        for item in s.items() {
            if let SectionItem::Matrix(m, rows) = item {
                let q = rows[0];
                let mut out = common(q);
                out.id = &m.id;
                out.kind = "likert_matrix";
                out.text = &m.text;
                out.text_en = m.text_en.as_deref();
                out.rows = Some(
                    rows.iter()
                        .map(|r| {
                            let (indicator, reverse) = match &r.kind {
                                QuestionKind::Likert { indicator, reverse } => {
                                    (indicator.as_deref(), *reverse)
                                }
                                _ => (None, false),
                            };
                            OutRow {
                                id: &r.id,
                                text: &r.text,
                                text_en: r.text_en.as_deref(),
                                indicator,
                                scored: indicator.is_none().then_some(false),
                                reverse: reverse.then_some(true),
                            }
                        })
                        .collect(),
                );
                questions.push(out);
            } else if let SectionItem::Single(q) = item {
                questions.push(question(q));
            }
        }
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
