//! One `[[section.question]]` table: every field checked against the question's type,
//! each mistake reported at its own position. A Likert matrix becomes one Likert question
//! per statement, sharing a matrix header.

use std::collections::HashSet;
use std::ops::Range;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::logic_check::{self, Role};
use super::Sink;
use crate::domain::answers::valid_date;
use crate::domain::expr::valid_name;
use crate::domain::{
    Choice, Expression, Framework, MatrixHeader, Question, QuestionKind, OTHER_CODE, OTHER_SUFFIX,
};

pub const TYPES: [&str; 13] = [
    "single",
    "multiple",
    "likert",
    "likert_matrix",
    "importance",
    "attention",
    "rating",
    "integer",
    "decimal",
    "text",
    "ranking",
    "date",
    "note",
];
pub const DEFAULT_TEXT_MAX: usize = 500;

/// One `[[section.question]]` table as written in the file, read (with positions) by
/// `question` and written by `survey_writer`. Flat on purpose: every field optional,
/// checked per type, so each mistake gets a position.
#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(super) struct QuestionTable {
    pub(super) id: Spanned<String>,
    #[serde(rename = "type")]
    pub(super) kind: Spanned<String>,
    pub(super) text: Spanned<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) text_en: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) hint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) hint_en: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) required: Option<Spanned<bool>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) required_if: Option<Spanned<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) required_message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) relevant: Option<Spanned<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) constraint: Option<Spanned<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) constraint_message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) default: Option<Spanned<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) attribute: Option<Spanned<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) indicator: Option<Spanned<String>>,
    /// For likert: `scored = false` asks the item without scoring it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) scored: Option<Spanned<bool>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) reverse: Option<Spanned<bool>>,
    /// For `importance`: the id of the Likert item whose importance is rated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) of: Option<Spanned<String>>,
    /// For `attention`: the scale point the respondent is told to choose.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) expect: Option<Spanned<i64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) other: Option<Spanned<bool>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) min: Option<Spanned<toml::Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) max: Option<Spanned<toml::Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) min_selected: Option<Spanned<i64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) max_selected: Option<Spanned<i64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) min_label: Option<Spanned<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) max_label: Option<Spanned<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) max_length: Option<Spanned<i64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) multiline: Option<Spanned<bool>>,
    /// For `text`: quote the answers in the report's appendix.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) in_report: Option<Spanned<bool>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) choices: Option<Spanned<Vec<ChoiceTable>>>,
    /// For `likert_matrix`: the statements.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) rows: Option<Spanned<Vec<StatementTable>>>,
}

/// One choice of `choices = [...]`.
#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ChoiceTable {
    pub(super) code: Spanned<String>,
    pub(super) label: Spanned<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) label_en: Option<String>,
}

/// One statement of a Likert matrix's `rows = [...]`.
#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(super) struct StatementTable {
    pub(super) id: Spanned<String>,
    pub(super) text: Spanned<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) text_en: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) indicator: Option<Spanned<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) scored: Option<Spanned<bool>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) reverse: Option<Spanned<bool>>,
    /// An attention check among the statements: the point the row tells to choose.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) expect: Option<Spanned<i64>>,
}

impl QuestionTable {
    /// A table with its id, type and text and no other field, to be filled in.
    pub(super) fn new(id: &str, kind: &str, text: &str) -> Self {
        QuestionTable {
            id: unplaced(id.to_string()),
            kind: unplaced(kind.to_string()),
            text: unplaced(text.to_string()),
            text_en: None,
            hint: None,
            hint_en: None,
            required: None,
            required_if: None,
            required_message: None,
            relevant: None,
            constraint: None,
            constraint_message: None,
            default: None,
            attribute: None,
            indicator: None,
            scored: None,
            reverse: None,
            of: None,
            expect: None,
            other: None,
            min: None,
            max: None,
            min_selected: None,
            max_selected: None,
            min_label: None,
            max_label: None,
            max_length: None,
            multiline: None,
            in_report: None,
            choices: None,
            rows: None,
        }
    }
}

/// A value written back, with no position in any file.
pub(super) fn unplaced<T>(value: T) -> Spanned<T> {
    Spanned::new(0..0, value)
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
    list: Option<&Spanned<Vec<ChoiceTable>>>,
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
    q: QuestionTable,
    framework: Option<&Framework>,
) -> Vec<Parsed> {
    let t = q.kind.get_ref().as_str();
    if !check_header(sink, ids, &q) {
        return Vec::new();
    }
    check_fields_apply(sink, &q, t);
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
    let shared = Shared {
        relevant,
        required_if,
        logic,
    };
    if t == "likert_matrix" {
        return matrix(sink, ids, &q, framework, &shared);
    }
    let kind = kind_of(sink, &q, t, framework);
    check_attribute(sink, &q, t);
    let mut question = Question::new(q.id.get_ref(), q.text.get_ref(), kind);
    question.text_en = q.text_en;
    question.hint = q.hint;
    question.hint_en = q.hint_en;
    question.required = t != "note" && q.required.as_ref().is_none_or(|r| *r.get_ref());
    question.required_if = shared.required_if;
    question.required_message = q.required_message;
    question.relevant = shared.relevant;
    question.constraint = constraint;
    question.constraint_message = q.constraint_message;
    question.default = q.default.as_ref().map(|d| d.get_ref().clone());
    question.attribute = q.attribute.map(Spanned::into_inner);
    vec![Parsed {
        question,
        logic: shared.logic,
        default_span: q.default.as_ref().map(Spanned::span),
    }]
}

/// The logic of a question table that every statement of a matrix shares.
struct Shared {
    relevant: Option<Expression>,
    required_if: Option<Expression>,
    logic: Vec<(Role, Range<usize>, Expression)>,
}

/// The id, the text and the type; `false` when the type is unknown (nothing else is
/// checked then).
fn check_header(sink: &mut Sink<'_>, ids: &mut HashSet<String>, q: &QuestionTable) -> bool {
    let id = q.id.get_ref();
    let t = q.kind.get_ref().as_str();
    if t != "likert_matrix" {
        check_id(sink, ids, &q.id);
    } else if !valid_name(id) {
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
        return false;
    }
    true
}

/// Whether a field belongs to a question of type `t`.
fn applies(field: &str, t: &str) -> bool {
    match field {
        "of" => t == "importance",
        "expect" => t == "attention",
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
}

/// Every field given that does not apply to the type is named at its position.
fn check_fields_apply(sink: &mut Sink<'_>, q: &QuestionTable, t: &str) {
    let present: [(&str, Option<Range<usize>>); 20] = [
        ("of", q.of.as_ref().map(Spanned::span)),
        ("expect", q.expect.as_ref().map(Spanned::span)),
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
        if let Some(span) = span.filter(|_| !applies(field, t)) {
            sink.at(
                span,
                format!("{field} does not apply to a {t} question; remove it"),
            );
        }
    }
    if let Some(r) = q.reverse.as_ref().filter(|_| t != "likert") {
        sink.at(
            r.span(),
            format!("reverse applies only to likert items, not to a {t} question; remove it"),
        );
    }
}

/// The question kind of a table of type `t` (not a matrix).
fn kind_of(
    sink: &mut Sink<'_>,
    q: &QuestionTable,
    t: &str,
    framework: Option<&Framework>,
) -> QuestionKind {
    let id = q.id.get_ref();
    let other = q.other.as_ref().is_some_and(|o| *o.get_ref());
    match t {
        "likert" => QuestionKind::Likert {
            indicator: indicator(
                sink,
                id,
                q.kind.span(),
                q.indicator.as_ref(),
                q.scored.as_ref(),
                framework,
            ),
            reverse: q.reverse.as_ref().is_some_and(|r| *r.get_ref()),
        },
        "importance" => QuestionKind::Importance {
            of: match &q.of {
                Some(of) => of.get_ref().clone(),
                None => {
                    sink.at(
                        q.kind.span(),
                        format!("importance item {id:?} needs of = \"<likert item id>\""),
                    );
                    String::new()
                }
            },
        },
        "attention" => QuestionKind::Attention {
            expect: match &q.expect {
                Some(e) if (1..=11).contains(e.get_ref()) => *e.get_ref() as u8,
                Some(e) => {
                    sink.at(e.span(), format!("expect = {} is not a point of the scale; give the point the respondent is told to choose, e.g. expect = 4", e.get_ref()));
                    1
                }
                None => {
                    sink.at(
                        q.kind.span(),
                        format!("attention check {id:?} needs expect = <the scale point to choose>, e.g. expect = 4 for “同意”"),
                    );
                    1
                }
            },
        },
        "single" => QuestionKind::Single {
            choices: choices(sink, id, q.kind.span(), q.choices.as_ref(), other),
            other,
        },
        "multiple" => multiple_kind(sink, q, other),
        "ranking" => {
            let list = choices(sink, id, q.kind.span(), q.choices.as_ref(), false);
            if list.len() == 1 {
                sink.at(
                    q.kind.span(),
                    format!("ranking {id:?} has one choice; ranking needs at least two"),
                );
            }
            QuestionKind::Ranking { choices: list }
        }
        "integer" | "rating" => whole_number_kind(sink, q, t == "rating"),
        "decimal" => {
            let min = float_bound(sink, q.min.as_ref(), "min");
            let max = float_bound(sink, q.max.as_ref(), "max");
            if let (Some(a), Some(b), Some(m)) = (min, max, &q.min) {
                if a > b {
                    sink.at(m.span(), format!("min {a} is greater than max {b}"));
                }
            }
            QuestionKind::Decimal { min, max }
        }
        "date" => {
            let min = date_bound(sink, q.min.as_ref(), "min");
            let max = date_bound(sink, q.max.as_ref(), "max");
            if let (Some(a), Some(b), Some(m)) = (&min, &max, &q.min) {
                if a > b {
                    sink.at(m.span(), format!("min {a} is after max {b}"));
                }
            }
            QuestionKind::Date { min, max }
        }
        "text" => text_kind(sink, q),
        _ => QuestionKind::Note,
    }
}

fn multiple_kind(sink: &mut Sink<'_>, q: &QuestionTable, other: bool) -> QuestionKind {
    let list = choices(
        sink,
        q.id.get_ref(),
        q.kind.span(),
        q.choices.as_ref(),
        other,
    );
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
    if let (Some(a), Some(b), Some(s)) = (min, max, &q.min_selected) {
        if a > b {
            sink.at(
                s.span(),
                format!("min_selected {a} is greater than max_selected {b}"),
            );
        }
    }
    QuestionKind::Multiple {
        choices: list,
        other,
        min,
        max,
    }
}

/// `integer` (unbounded by default) or `rating` (0–10 by default, 2 to 101 points).
fn whole_number_kind(sink: &mut Sink<'_>, q: &QuestionTable, rating: bool) -> QuestionKind {
    let (dmin, dmax) = if rating {
        (0, 10)
    } else {
        (i64::MIN, i64::MAX)
    };
    let min = int_bound(sink, q.min.as_ref(), "min").unwrap_or(dmin);
    let max = int_bound(sink, q.max.as_ref(), "max").unwrap_or(dmax);
    if min > max || (rating && (min == max || max - min > 100)) {
        let span = q
            .min
            .as_ref()
            .or(q.max.as_ref())
            .map_or(q.kind.span(), Spanned::span);
        let hint = if rating {
            "; a rating runs from min to max with 2 to 101 points, e.g. 0 to 10"
        } else {
            ""
        };
        sink.at(span, format!("min {min} is not below max {max}{hint}"));
    }
    if rating {
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

fn text_kind(sink: &mut Sink<'_>, q: &QuestionTable) -> QuestionKind {
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

/// A Likert matrix: one Likert question per statement, sharing the header and the
/// table's hint, requirement and condition.
fn matrix(
    sink: &mut Sink<'_>,
    ids: &mut HashSet<String>,
    q: &QuestionTable,
    framework: Option<&Framework>,
    shared: &Shared,
) -> Vec<Parsed> {
    let id = q.id.get_ref();
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
    let logic: Vec<_> = shared
        .logic
        .iter()
        .filter(|(role, _, _)| *role != Role::Constraint)
        .cloned()
        .collect();
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
        let kind = match &row.expect {
            Some(e) => attention_row(sink, row, e),
            None => QuestionKind::Likert {
                indicator: indicator(
                    sink,
                    row.id.get_ref(),
                    row.id.span(),
                    row.indicator.as_ref(),
                    row.scored.as_ref(),
                    framework,
                ),
                reverse: row.reverse.as_ref().is_some_and(|r| *r.get_ref()),
            },
        };
        let mut question = Question::new(row.id.get_ref(), row.text.get_ref(), kind);
        question.text_en = row.text_en.clone();
        question.hint = q.hint.clone();
        question.hint_en = q.hint_en.clone();
        question.required = q.required.as_ref().is_none_or(|r| *r.get_ref());
        question.required_if = shared.required_if.clone();
        question.required_message = q.required_message.clone();
        question.relevant = shared.relevant.clone();
        question.matrix = Some(header.clone());
        out.push(Parsed {
            question,
            logic: logic.clone(),
            default_span: None,
        });
    }
    out
}

/// A matrix statement with `expect`: an attention check (instructed response) shown
/// among the statements, never scored.
fn attention_row(sink: &mut Sink<'_>, row: &StatementTable, e: &Spanned<i64>) -> QuestionKind {
    let id = row.id.get_ref();
    for (field, span) in [
        ("indicator", row.indicator.as_ref().map(Spanned::span)),
        ("scored", row.scored.as_ref().map(Spanned::span)),
        ("reverse", row.reverse.as_ref().map(Spanned::span)),
    ] {
        if let Some(span) = span {
            sink.at(
                span,
                format!("statement {id:?} is an attention check (expect = …), which is never scored; remove {field}"),
            );
        }
    }
    let expect = match u8::try_from(*e.get_ref()) {
        Ok(x) if (1..=11).contains(&x) => x,
        _ => {
            sink.at(e.span(), format!("expect = {} is not a point of the scale; give the point the respondent is told to choose, e.g. expect = 4", e.get_ref()));
            1
        }
    };
    QuestionKind::Attention { expect }
}

/// `attribute`: a short snake_case name, on a single-choice question only.
fn check_attribute(sink: &mut Sink<'_>, q: &QuestionTable, t: &str) {
    let Some(a) = &q.attribute else { return };
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
