//! One questionnaire file: slug, audience, scale, and sections of questions.

use std::collections::HashSet;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::{valid_key, Problem, Sink};
use crate::domain::{
    Audience, Choice, Framework, LikertScale, Question, QuestionKind, Section, Survey,
};

const TYPES: &str = "single, likert, importance, integer, text";
pub const DEFAULT_TEXT_MAX: usize = 500;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSurvey {
    slug: Spanned<String>,
    audience: Spanned<String>,
    title: Spanned<String>,
    #[serde(default)]
    intro: String,
    scale: Spanned<RawScale>,
    #[serde(default)]
    section: Vec<RawSection>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScale {
    points: Spanned<i64>,
    labels: Spanned<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSection {
    title: Spanned<String>,
    #[serde(default)]
    question: Vec<RawQuestion>,
}

/// Flat on purpose: every field optional, checked per type, so each mistake gets a position.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuestion {
    id: Spanned<String>,
    #[serde(rename = "type")]
    kind: Spanned<String>,
    text: Spanned<String>,
    required: Option<bool>,
    attribute: Option<Spanned<String>>,
    indicator: Option<Spanned<String>>,
    reverse: Option<Spanned<bool>>,
    choices: Option<Spanned<Vec<RawChoice>>>,
    min: Option<Spanned<i64>>,
    max: Option<Spanned<i64>>,
    max_length: Option<Spanned<i64>>,
    multiline: Option<bool>,
    /// For `importance`: the id of the Likert item whose importance is rated.
    of: Option<Spanned<String>>,
    /// For `text`: quote the answers in the report's appendix.
    in_report: Option<Spanned<bool>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChoice {
    code: Spanned<String>,
    label: Spanned<String>,
}

pub fn parse(
    path: &Path,
    text: &str,
    framework: Option<&Framework>,
) -> Result<Survey, Vec<Problem>> {
    let mut sink = Sink::new(path, text);
    let raw: RawSurvey = match toml::from_str(text) {
        Ok(r) => r,
        Err(e) => {
            sink.at(
                e.span().unwrap_or(0..0),
                format!(
                    "{}; see surveys/README.md for the questionnaire format",
                    e.message().trim()
                ),
            );
            return Err(sink.problems);
        }
    };
    if !valid_key(raw.slug.get_ref()) {
        sink.at(raw.slug.span(), format!("slug {:?} is not valid; use lower-case letters, digits and '-', e.g. \"pingshun-2025-students\"", raw.slug.get_ref()));
    }
    let audience = Audience::parse(raw.audience.get_ref());
    if audience.is_none() {
        sink.at(
            raw.audience.span(),
            format!(
                "unknown audience {:?}; use students, teachers or enterprises",
                raw.audience.get_ref()
            ),
        );
    }
    if raw.title.get_ref().trim().is_empty() {
        sink.at(
            raw.title.span(),
            "title is empty; give the questionnaire a title",
        );
    }
    let points = *raw.scale.get_ref().points.get_ref();
    if !(2..=11).contains(&points) {
        sink.at(
            raw.scale.get_ref().points.span(),
            format!("scale has {points} points; use 2 to 11 (usually 5)"),
        );
    }
    let labels = raw.scale.get_ref().labels.get_ref();
    if points > 0 && labels.len() != points as usize {
        sink.at(
            raw.scale.get_ref().labels.span(),
            format!(
                "scale has {points} points but {} labels; give one label per point, lowest first",
                labels.len()
            ),
        );
    }
    if raw.section.is_empty() {
        sink.at(
            0..0,
            "no [[section]] defined; a questionnaire needs at least one section of questions",
        );
    }

    let mut ids = HashSet::new();
    let mut sections = Vec::new();
    let mut importance_refs: Vec<(std::ops::Range<usize>, String)> = Vec::new();
    for sec in raw.section {
        if sec.question.is_empty() {
            sink.at(
                sec.title.span(),
                "section has no [[section.question]]; add questions or remove the section",
            );
        }
        let mut questions = Vec::new();
        for q in sec.question {
            if let Some(of) = &q.of {
                importance_refs.push((of.span(), of.get_ref().clone()));
            }
            if let Some(parsed) = question(&mut sink, &mut ids, q, framework) {
                questions.push(parsed);
            }
        }
        sections.push(Section {
            title: sec.title.into_inner(),
            questions,
        });
    }
    for (span, of) in importance_refs {
        let target = sections
            .iter()
            .flat_map(|s: &Section| s.questions.iter())
            .find(|q| q.id == of);
        match target.map(|q| &q.kind) {
            Some(QuestionKind::Likert { .. }) => {}
            Some(_) => sink.at(
                span,
                format!(
                    "of = {of:?} must name a likert item; importance is rated for scored items"
                ),
            ),
            None => sink.at(span, format!("of = {of:?} is not a question in this file")),
        }
    }
    if !sink.problems.is_empty() {
        return Err(sink.problems);
    }
    let scale = raw.scale.into_inner();
    Ok(Survey {
        slug: raw.slug.into_inner(),
        audience: audience.unwrap_or(Audience::Students),
        title: raw.title.into_inner(),
        intro: raw.intro,
        scale: LikertScale {
            points: u8::try_from(*scale.points.get_ref()).unwrap_or(5),
            labels: scale.labels.into_inner(),
        },
        sections,
    })
}

fn question(
    sink: &mut Sink<'_>,
    ids: &mut HashSet<String>,
    q: RawQuestion,
    framework: Option<&Framework>,
) -> Option<Question> {
    let id = q.id.get_ref();
    let valid_id = !id.is_empty()
        && id.len() <= 40
        && id.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid_id {
        sink.at(
            q.id.span(),
            format!(
                "question id {id:?} is not valid; start with a letter, then letters, digits or '_'"
            ),
        );
    } else if !ids.insert(id.clone()) {
        sink.at(
            q.id.span(),
            format!("question id {id:?} is used twice; ids must be unique within a questionnaire"),
        );
    }
    if q.text.get_ref().trim().is_empty() {
        sink.at(q.text.span(), format!("question {id:?} has empty text"));
    }
    let t = q.kind.get_ref().as_str();
    if !["single", "likert", "importance", "integer", "text"].contains(&t) {
        sink.at(
            q.kind.span(),
            format!("unknown question type {t:?}; types are {TYPES}"),
        );
        return None;
    }
    let not_for = |sink: &mut Sink<'_>, span: std::ops::Range<usize>, field: &str| {
        sink.at(
            span,
            format!("{field} does not apply to a {t} question; remove it"),
        );
    };
    if t != "importance" {
        if let Some(o) = &q.of {
            not_for(sink, o.span(), "of");
        }
    }
    if t != "likert" {
        if let Some(i) = &q.indicator {
            not_for(sink, i.span(), "indicator");
        }
        if let Some(r) = &q.reverse {
            sink.at(
                r.span(),
                format!("reverse applies only to likert items, not to a {t} question; remove it"),
            );
        }
    }
    if t != "single" {
        if let Some(c) = &q.choices {
            not_for(sink, c.span(), "choices");
        }
    }
    if t != "integer" {
        for v in [&q.min, &q.max].into_iter().flatten() {
            not_for(sink, v.span(), "min/max");
        }
    }
    if t != "text" {
        if let Some(v) = &q.max_length {
            not_for(sink, v.span(), "max_length");
        }
        if let Some(v) = &q.in_report {
            not_for(sink, v.span(), "in_report");
        }
    }
    let kind = match t {
        "likert" => {
            let indicator = match &q.indicator {
                None => {
                    sink.at(q.kind.span(), format!("likert item {id:?} has no indicator; add indicator = \"B1\" (a second-level code)"));
                    String::new()
                }
                Some(code) => {
                    if let Some(fw) = framework {
                        if fw.sub(code.get_ref()).is_none() {
                            let known: Vec<&str> =
                                fw.subs().map(|(_, s)| s.code.as_str()).collect();
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
                    code.get_ref().clone()
                }
            };
            QuestionKind::Likert {
                indicator,
                reverse: q.reverse.as_ref().is_some_and(|r| *r.get_ref()),
            }
        }
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
        "single" => {
            let mut choices = Vec::new();
            match &q.choices {
                None => sink.at(q.kind.span(), format!("single-choice question {id:?} has no choices; add choices = [{{ code = \"a\", label = \"…\" }}]")),
                Some(list) if list.get_ref().is_empty() => sink.at(list.span(), format!("question {id:?} has an empty choice list")),
                Some(list) => {
                    let mut codes = HashSet::new();
                    for c in list.get_ref() {
                        let code = c.code.get_ref();
                        if code.is_empty() || code.len() > 40 || code.chars().any(|ch| ch.is_whitespace() || ch == ',') {
                            sink.at(c.code.span(), format!("choice code {code:?} is not valid; use a short code without spaces"));
                        } else if !codes.insert(code.clone()) {
                            sink.at(c.code.span(), format!("choice code {code:?} is used twice in question {id:?}"));
                        }
                        if c.label.get_ref().trim().is_empty() {
                            sink.at(c.label.span(), format!("choice {code:?} has an empty label"));
                        }
                        choices.push(Choice { code: code.clone(), label: c.label.get_ref().clone() });
                    }
                }
            }
            QuestionKind::Single { choices }
        }
        "integer" => {
            let min = q.min.as_ref().map_or(i64::MIN, |v| *v.get_ref());
            let max = q.max.as_ref().map_or(i64::MAX, |v| *v.get_ref());
            if min > max {
                if let Some(m) = &q.min {
                    sink.at(m.span(), format!("min {min} is greater than max {max}"));
                }
            }
            QuestionKind::Integer { min, max }
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
                multiline: q.multiline.unwrap_or(false),
                in_report: q.in_report.as_ref().is_some_and(|v| *v.get_ref()),
            }
        }
        _ => return None,
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
    Some(Question {
        id: q.id.into_inner(),
        text: q.text.into_inner(),
        required: q.required.unwrap_or(true),
        attribute: q.attribute.map(Spanned::into_inner),
        kind,
    })
}
