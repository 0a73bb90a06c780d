//! One `[[section.question]]` table: every field checked against the question's type,
//! each mistake reported at its own position. A Likert matrix becomes one Likert question
//! per statement, sharing a matrix header.

use std::collections::HashSet;
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use super::logic_check::{self, Role};
use super::Sink;
use crate::domain::answers::valid_date;
use crate::domain::expr::valid_name;
use crate::domain::{
    Choice, Expression, Framework, MatrixHeader, Question, QuestionKind, OTHER_CODE, OTHER_SUFFIX,
};

pub const TYPES: [&str; 12] = [
    "single",
    "multiple",
    "likert",
    "likert_matrix",
    "importance",
    "rating",
    "integer",
    "decimal",
    "text",
    "ranking",
    "date",
    "note",
];
pub const DEFAULT_TEXT_MAX: usize = 500;

/// Flat on purpose: every field optional, checked per type, so each mistake gets a position.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawQuestion {
    id: Spanned<String>,
    #[serde(rename = "type")]
    kind: Spanned<String>,
    text: Spanned<String>,
    text_en: Option<String>,
    hint: Option<String>,
    hint_en: Option<String>,
    required: Option<Spanned<bool>>,
    required_if: Option<Spanned<String>>,
    required_message: Option<String>,
    relevant: Option<Spanned<String>>,
    constraint: Option<Spanned<String>>,
    constraint_message: Option<String>,
    default: Option<Spanned<String>>,
    attribute: Option<Spanned<String>>,
    indicator: Option<Spanned<String>>,
    reverse: Option<Spanned<bool>>,
    /// For likert: `scored = false` asks the item without scoring it.
    scored: Option<Spanned<bool>>,
    choices: Option<Spanned<Vec<RawChoice>>>,
    other: Option<Spanned<bool>>,
    min: Option<Spanned<toml::Value>>,
    max: Option<Spanned<toml::Value>>,
    min_selected: Option<Spanned<i64>>,
    max_selected: Option<Spanned<i64>>,
    min_label: Option<Spanned<String>>,
    max_label: Option<Spanned<String>>,
    max_length: Option<Spanned<i64>>,
    multiline: Option<Spanned<bool>>,
    /// For `importance`: the id of the Likert item whose importance is rated.
    pub of: Option<Spanned<String>>,
    /// For `text`: quote the answers in the report's appendix.
    in_report: Option<Spanned<bool>>,
    /// For `likert_matrix`: the statements.
    rows: Option<Spanned<Vec<RawRow>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChoice {
    code: Spanned<String>,
    label: Spanned<String>,
    label_en: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRow {
    id: Spanned<String>,
    text: Spanned<String>,
    text_en: Option<String>,
    indicator: Option<Spanned<String>>,
    reverse: Option<bool>,
    scored: Option<Spanned<bool>>,
}

pub(super) struct Parsed {
    pub question: Question,
    pub logic: Vec<(Role, Range<usize>, Expression)>,
    pub default_span: Option<Range<usize>>,
}

fn check_id(sink: &mut Sink<'_>, ids: &mut HashSet<String>, id: &Spanned<String>) {
    let v = id.get_ref();
    if !valid_name(v) {
        sink.at(
            id.span(),
            format!("question id {v:?} is not valid; start with a letter, then up to 40 letters, digits or '_'"),
        );
    } else if !ids.insert(v.clone()) {
        sink.at(
            id.span(),
            format!("question id {v:?} is used twice; ids must be unique within a questionnaire"),
        );
    } else if let Some(base) = v.strip_suffix(OTHER_SUFFIX) {
        // Reserved for the "please specify" text of a choice question `base`.
        if ids.contains(base) {
            sink.at(id.span(), format!("question id {v:?} is reserved for the \"other, please specify\" text of {base:?}; rename it"));
        }
    }
}

fn indicator(
    sink: &mut Sink<'_>,
    id: &str,
    at: Range<usize>,
    indicator: Option<&Spanned<String>>,
    scored: Option<&Spanned<bool>>,
    framework: Option<&Framework>,
) -> Option<String> {
    let scored_flag = scored.map(|s| *s.get_ref());
    match (indicator, scored_flag) {
        (Some(code), Some(false)) => {
            sink.at(
                code.span(),
                format!("likert item {id:?} has scored = false and an indicator; remove one"),
            );
            None
        }
        (None, Some(false)) => None,
        (None, _) => {
            sink.at(at, format!("likert item {id:?} has no indicator; add indicator = \"B1\" (a second-level code), or scored = false to ask it without scoring"));
            None
        }
        (Some(code), _) => {
            if let Some(fw) = framework {
                if fw.sub(code.get_ref()).is_none() {
                    let known: Vec<&str> = fw.subs().map(|(_, s)| s.code.as_str()).collect();
                    sink.at(
                        code.span(),
                        format!(
                            "unknown indicator {:?}; second-level indicators defined in campaign.toml are {}",
                            code.get_ref(),
                            known.join(", ")
                        ),
                    );
                }
            }
            Some(code.get_ref().clone())
        }
    }
}

fn choices(
    sink: &mut Sink<'_>,
    id: &str,
    type_span: Range<usize>,
    list: Option<&Spanned<Vec<RawChoice>>>,
    other: bool,
) -> Vec<Choice> {
    let mut out = Vec::new();
    match list {
        None => sink.at(
            type_span,
            format!(
                "question {id:?} has no choices; add choices = [{{ code = \"a\", label = \"…\" }}]"
            ),
        ),
        Some(list) if list.get_ref().is_empty() => sink.at(
            list.span(),
            format!("question {id:?} has an empty choice list; give at least one choice"),
        ),
        Some(list) => {
            let mut codes = HashSet::new();
            for c in list.get_ref() {
                let code = c.code.get_ref();
                if code.is_empty()
                    || code.len() > 40
                    || code.chars().any(|ch| ch.is_whitespace() || ch == ',')
                {
                    sink.at(
                        c.code.span(),
                        format!(
                            "choice code {code:?} is not valid; use a short code without spaces"
                        ),
                    );
                } else if !codes.insert(code.clone()) {
                    sink.at(
                        c.code.span(),
                        format!("choice code {code:?} is used twice in question {id:?}"),
                    );
                } else if other && code == OTHER_CODE {
                    sink.at(c.code.span(), format!("choice code \"other\" is added by other = true in question {id:?}; remove this choice"));
                }
                if c.label.get_ref().trim().is_empty() {
                    sink.at(c.label.span(), format!("choice {code:?} has no label in the default language (zh); add label = \"…\""));
                }
                out.push(Choice {
                    code: code.clone(),
                    label: c.label.get_ref().clone(),
                    label_en: c.label_en.clone(),
                });
            }
        }
    }
    out
}

fn int_bound(sink: &mut Sink<'_>, v: Option<&Spanned<toml::Value>>, name: &str) -> Option<i64> {
    let v = v?;
    match v.get_ref() {
        toml::Value::Integer(n) => Some(*n),
        other => {
            sink.at(
                v.span(),
                format!("{name} must be a whole number, not {other}"),
            );
            None
        }
    }
}

fn float_bound(sink: &mut Sink<'_>, v: Option<&Spanned<toml::Value>>, name: &str) -> Option<f64> {
    let v = v?;
    match v.get_ref() {
        toml::Value::Integer(n) => Some(*n as f64),
        toml::Value::Float(x) if x.is_finite() => Some(*x),
        other => {
            sink.at(v.span(), format!("{name} must be a number, not {other}"));
            None
        }
    }
}

fn date_bound(sink: &mut Sink<'_>, v: Option<&Spanned<toml::Value>>, name: &str) -> Option<String> {
    let v = v?;
    let s = match v.get_ref() {
        toml::Value::String(s) => s.clone(),
        toml::Value::Datetime(d) => d.to_string(),
        other => other.to_string(),
    };
    if valid_date(&s) {
        Some(s)
    } else {
        sink.at(
            v.span(),
            format!("{name} {s:?} is not a date; write it as \"2025-09-01\""),
        );
        None
    }
}

/// Parses one question table into one question (several for a matrix).
pub(super) fn question(
    sink: &mut Sink<'_>,
    ids: &mut HashSet<String>,
    q: RawQuestion,
    framework: Option<&Framework>,
) -> Vec<Parsed> {
    let id = q.id.get_ref().clone();
    let t = q.kind.get_ref().as_str();
    if t != "likert_matrix" {
        check_id(sink, ids, &q.id);
    } else if !valid_name(&id) {
        sink.at(
            q.id.span(),
            format!(
                "matrix id {id:?} is not valid; start with a letter, then letters, digits or '_'"
            ),
        );
    }
    if q.text.get_ref().trim().is_empty() {
        sink.at(
            q.text.span(),
            format!("question {id:?} has no text in the default language (zh); add text = \"…\""),
        );
    }
    if !TYPES.contains(&t) {
        sink.at(
            q.kind.span(),
            format!(
                "unknown question type {t:?}; types are {}",
                TYPES.join(", ")
            ),
        );
        return Vec::new();
    }
    let not_for = |sink: &mut Sink<'_>, span: Range<usize>, field: &str| {
        sink.at(
            span,
            format!("{field} does not apply to a {t} question; remove it"),
        );
    };
    let allowed = |field: &str| -> bool {
        match field {
            "of" => t == "importance",
            "indicator" | "scored" => t == "likert",
            "reverse" => t == "likert",
            "choices" => matches!(t, "single" | "multiple" | "ranking"),
            "other" => matches!(t, "single" | "multiple"),
            "min" | "max" => matches!(t, "integer" | "decimal" | "rating" | "date"),
            "min_selected" | "max_selected" => t == "multiple",
            "min_label" | "max_label" => t == "rating",
            "max_length" | "in_report" | "multiline" => t == "text",
            "rows" => t == "likert_matrix",
            "constraint" | "default" => !matches!(t, "note" | "likert_matrix"),
            "required" | "required_if" => t != "note",
            _ => true,
        }
    };
    let present: Vec<(&str, Option<Range<usize>>)> = vec![
        ("of", q.of.as_ref().map(Spanned::span)),
        ("indicator", q.indicator.as_ref().map(Spanned::span)),
        ("scored", q.scored.as_ref().map(Spanned::span)),
        ("choices", q.choices.as_ref().map(Spanned::span)),
        ("other", q.other.as_ref().map(Spanned::span)),
        ("min", q.min.as_ref().map(Spanned::span)),
        ("max", q.max.as_ref().map(Spanned::span)),
        ("min_selected", q.min_selected.as_ref().map(Spanned::span)),
        ("max_selected", q.max_selected.as_ref().map(Spanned::span)),
        ("min_label", q.min_label.as_ref().map(Spanned::span)),
        ("max_label", q.max_label.as_ref().map(Spanned::span)),
        ("max_length", q.max_length.as_ref().map(Spanned::span)),
        ("multiline", q.multiline.as_ref().map(Spanned::span)),
        ("in_report", q.in_report.as_ref().map(Spanned::span)),
        ("rows", q.rows.as_ref().map(Spanned::span)),
        ("constraint", q.constraint.as_ref().map(Spanned::span)),
        ("default", q.default.as_ref().map(Spanned::span)),
        ("required", q.required.as_ref().map(Spanned::span)),
        ("required_if", q.required_if.as_ref().map(Spanned::span)),
    ];
    for (field, span) in present {
        if let Some(span) = span {
            if !allowed(field) {
                not_for(sink, span, field);
            }
        }
    }
    if let Some(r) = &q.reverse {
        if t != "likert" {
            sink.at(
                r.span(),
                format!("reverse applies only to likert items, not to a {t} question; remove it"),
            );
        }
    }
    let mut logic = Vec::new();
    let mut expr = |sink: &mut Sink<'_>, field: Option<&Spanned<String>>, role: Role| {
        let f = field?;
        let e = logic_check::expression(sink, f, role.name())?;
        logic.push((role, f.span(), e.clone()));
        Some(e)
    };
    let relevant = expr(sink, q.relevant.as_ref(), Role::Relevant);
    let required_if = expr(sink, q.required_if.as_ref(), Role::Required);
    let constraint = expr(sink, q.constraint.as_ref(), Role::Constraint);
    if q.required.is_some() && q.required_if.is_some() {
        sink.at(
            q.required_if
                .as_ref()
                .map(Spanned::span)
                .unwrap_or_default(),
            "give either required = true/false or required_if = \"…\", not both",
        );
    }
    let other = q.other.as_ref().is_some_and(|o| *o.get_ref());
    let kind = match t {
        "likert" => QuestionKind::Likert {
            indicator: indicator(
                sink,
                &id,
                q.kind.span(),
                q.indicator.as_ref(),
                q.scored.as_ref(),
                framework,
            ),
            reverse: q.reverse.as_ref().is_some_and(|r| *r.get_ref()),
        },
        "importance" => match &q.of {
            Some(of) => QuestionKind::Importance {
                of: of.get_ref().clone(),
            },
            None => {
                sink.at(
                    q.kind.span(),
                    format!("importance item {id:?} needs of = \"<likert item id>\""),
                );
                QuestionKind::Importance { of: String::new() }
            }
        },
        "single" => QuestionKind::Single {
            choices: choices(sink, &id, q.kind.span(), q.choices.as_ref(), other),
            other,
        },
        "multiple" => {
            let list = choices(sink, &id, q.kind.span(), q.choices.as_ref(), other);
            let n = list.len() as i64 + i64::from(other);
            let bound = |sink: &mut Sink<'_>, v: &Option<Spanned<i64>>, name: &str| {
                let v = v.as_ref()?;
                let x = *v.get_ref();
                if x < 0 || (n > 0 && x > n) {
                    sink.at(
                        v.span(),
                        format!("{name} {x} must be between 0 and the number of choices ({n})"),
                    );
                    None
                } else {
                    u32::try_from(x).ok()
                }
            };
            let min = bound(sink, &q.min_selected, "min_selected");
            let max = bound(sink, &q.max_selected, "max_selected");
            if let (Some(a), Some(b)) = (min, max) {
                if a > b {
                    if let Some(s) = &q.min_selected {
                        sink.at(
                            s.span(),
                            format!("min_selected {a} is greater than max_selected {b}"),
                        );
                    }
                }
            }
            QuestionKind::Multiple {
                choices: list,
                other,
                min,
                max,
            }
        }
        "ranking" => {
            let list = choices(sink, &id, q.kind.span(), q.choices.as_ref(), false);
            if list.len() == 1 {
                sink.at(
                    q.kind.span(),
                    format!("ranking {id:?} has one choice; ranking needs at least two"),
                );
            }
            QuestionKind::Ranking { choices: list }
        }
        "integer" | "rating" => {
            let (dmin, dmax) = if t == "rating" {
                (0, 10)
            } else {
                (i64::MIN, i64::MAX)
            };
            let min = int_bound(sink, q.min.as_ref(), "min").unwrap_or(dmin);
            let max = int_bound(sink, q.max.as_ref(), "max").unwrap_or(dmax);
            if min > max || (t == "rating" && (min == max || max - min > 100)) {
                let span = q
                    .min
                    .as_ref()
                    .or(q.max.as_ref())
                    .map_or(q.kind.span(), Spanned::span);
                let hint = if t == "rating" {
                    "; a rating runs from min to max with 2 to 101 points, e.g. 0 to 10"
                } else {
                    ""
                };
                sink.at(span, format!("min {min} is not below max {max}{hint}"));
            }
            if t == "rating" {
                QuestionKind::Rating {
                    min,
                    max,
                    min_label: q.min_label.as_ref().map(|s| s.get_ref().clone()),
                    max_label: q.max_label.as_ref().map(|s| s.get_ref().clone()),
                }
            } else {
                QuestionKind::Integer { min, max }
            }
        }
        "decimal" => {
            let min = float_bound(sink, q.min.as_ref(), "min");
            let max = float_bound(sink, q.max.as_ref(), "max");
            if let (Some(a), Some(b)) = (min, max) {
                if a > b {
                    if let Some(m) = &q.min {
                        sink.at(m.span(), format!("min {a} is greater than max {b}"));
                    }
                }
            }
            QuestionKind::Decimal { min, max }
        }
        "date" => {
            let min = date_bound(sink, q.min.as_ref(), "min");
            let max = date_bound(sink, q.max.as_ref(), "max");
            if let (Some(a), Some(b)) = (&min, &max) {
                if a > b {
                    if let Some(m) = &q.min {
                        sink.at(m.span(), format!("min {a} is after max {b}"));
                    }
                }
            }
            QuestionKind::Date { min, max }
        }
        "text" => {
            let max_length = match &q.max_length {
                Some(v) if *v.get_ref() < 1 || *v.get_ref() > 10_000 => {
                    sink.at(
                        v.span(),
                        format!("max_length {} must be between 1 and 10000", v.get_ref()),
                    );
                    DEFAULT_TEXT_MAX
                }
                Some(v) => usize::try_from(*v.get_ref()).unwrap_or(DEFAULT_TEXT_MAX),
                None => DEFAULT_TEXT_MAX,
            };
            QuestionKind::Text {
                max_length,
                multiline: q.multiline.as_ref().is_some_and(|v| *v.get_ref()),
                in_report: q.in_report.as_ref().is_some_and(|v| *v.get_ref()),
            }
        }
        "note" => QuestionKind::Note,
        // likert_matrix
        _ => {
            let header = MatrixHeader {
                id: id.clone(),
                text: q.text.get_ref().clone(),
                text_en: q.text_en.clone(),
            };
            let rows = match &q.rows {
                None => {
                    sink.at(q.kind.span(), format!("likert matrix {id:?} has no rows; add rows = [{{ id = \"S01\", text = \"…\", indicator = \"B1\" }}]"));
                    return Vec::new();
                }
                Some(r) if r.get_ref().is_empty() => {
                    sink.at(
                        r.span(),
                        format!("likert matrix {id:?} has an empty rows list"),
                    );
                    return Vec::new();
                }
                Some(r) => r.get_ref(),
            };
            let mut out = Vec::new();
            for row in rows {
                check_id(sink, ids, &row.id);
                if row.text.get_ref().trim().is_empty() {
                    sink.at(
                        row.text.span(),
                        format!(
                            "statement {:?} has no text in the default language (zh)",
                            row.id.get_ref()
                        ),
                    );
                }
                let kind = QuestionKind::Likert {
                    indicator: indicator(
                        sink,
                        row.id.get_ref(),
                        row.id.span(),
                        row.indicator.as_ref(),
                        row.scored.as_ref(),
                        framework,
                    ),
                    reverse: row.reverse.unwrap_or(false),
                };
                let mut question = Question::new(row.id.get_ref(), row.text.get_ref(), kind);
                question.text_en = row.text_en.clone();
                question.hint = q.hint.clone();
                question.hint_en = q.hint_en.clone();
                question.required = q.required.as_ref().is_none_or(|r| *r.get_ref());
                question.required_if = required_if.clone();
                question.required_message = q.required_message.clone();
                question.relevant = relevant.clone();
                question.matrix = Some(header.clone());
                let logic = logic
                    .iter()
                    .filter(|(role, _, _)| *role != Role::Constraint)
                    .cloned()
                    .collect();
                out.push(Parsed {
                    question,
                    logic,
                    default_span: None,
                });
            }
            return out;
        }
    };
    if let Some(a) = &q.attribute {
        let name = a.get_ref();
        let valid = !name.is_empty()
            && name.len() <= 32
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !valid {
            sink.at(
                a.span(),
                format!("attribute {name:?} is not valid; use a-z, 0-9 and '_', e.g. \"sector\""),
            );
        } else if t != "single" {
            sink.at(
                a.span(),
                "only single-choice questions can record a respondent attribute",
            );
        }
    }
    let mut question = Question::new(&id, q.text.get_ref(), kind);
    question.text_en = q.text_en;
    question.hint = q.hint;
    question.hint_en = q.hint_en;
    question.required = t != "note" && q.required.as_ref().is_none_or(|r| *r.get_ref());
    question.required_if = required_if;
    question.required_message = q.required_message;
    question.relevant = relevant;
    question.constraint = constraint;
    question.constraint_message = q.constraint_message;
    question.default = q.default.as_ref().map(|d| d.get_ref().clone());
    question.attribute = q.attribute.map(Spanned::into_inner);
    vec![Parsed {
        question,
        logic,
        default_span: q.default.as_ref().map(Spanned::span),
    }]
}
