//! One questionnaire file: slug, audience, scale, and sections of questions.

use std::collections::HashSet;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::logic_check::{self, LogicRef, Role};
use super::question_file::{self, QuestionTable};
use super::{valid_key, Problem, Sink};
use chrono::{DateTime, Utc};

use crate::domain::{
    Access, Audience, Framework, LikertScale, QuestionKind, Quota, Section, Survey,
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSurvey {
    slug: Spanned<String>,
    audience: Spanned<String>,
    title: Spanned<String>,
    title_en: Option<String>,
    #[serde(default)]
    intro: String,
    intro_en: Option<String>,
    version: Option<Spanned<i64>>,
    anonymous: Option<bool>,
    opens: Option<Spanned<toml::Value>>,
    closes: Option<Spanned<toml::Value>>,
    max_responses: Option<Spanned<i64>>,
    #[serde(default)]
    quota: Vec<RawQuota>,
    scale: Spanned<RawScale>,
    #[serde(default)]
    section: Vec<RawSection>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuota {
    attribute: Spanned<String>,
    value: Spanned<String>,
    max: Spanned<i64>,
}

/// An RFC 3339 instant, written as a TOML date-time or a string.
fn instant(
    sink: &mut Sink<'_>,
    v: Option<&Spanned<toml::Value>>,
    name: &str,
) -> Option<DateTime<Utc>> {
    let v = v?;
    let text = match v.get_ref() {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    match DateTime::parse_from_rfc3339(text.trim()) {
        Ok(t) => Some(t.with_timezone(&Utc)),
        Err(_) => {
            sink.at(
                v.span(),
                format!("{name} {text:?} is not a date and time; write it with its offset, e.g. \"2025-11-01T08:00:00+08:00\""),
            );
            None
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScale {
    points: Spanned<i64>,
    labels: Spanned<Vec<String>>,
    labels_en: Option<Spanned<Vec<String>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSection {
    title: Spanned<String>,
    title_en: Option<String>,
    relevant: Option<Spanned<String>>,
    #[serde(default)]
    question: Vec<QuestionTable>,
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
    let (audience, declared_version) = check_header(&mut sink, &raw);
    check_scale(&mut sink, raw.scale.get_ref());
    if raw.section.is_empty() {
        sink.at(
            0..0,
            "no [[section]] defined; a questionnaire needs at least one section of questions",
        );
    }
    let read = read_sections(&mut sink, raw.section, framework);
    check_importance(&mut sink, &read.sections, read.importance_refs);
    let points = *raw.scale.get_ref().points.get_ref();
    for (span, e) in &read.expected {
        if (1..=11).contains(e) && *e > points {
            sink.at(
                span.clone(),
                format!("expect = {e} is beyond the scale's {points} points; give a point from 1 to {points}"),
            );
        }
    }
    let access = access(
        &mut sink,
        &raw.opens,
        &raw.closes,
        &raw.max_responses,
        &raw.quota,
        &read.sections,
    );
    let scale = raw.scale.into_inner();
    let survey = Survey {
        slug: raw.slug.into_inner(),
        audience: audience.unwrap_or(Audience::Students),
        title: raw.title.into_inner(),
        title_en: raw.title_en,
        intro: raw.intro,
        intro_en: raw.intro_en,
        declared_version,
        scale: LikertScale {
            points: u8::try_from(*scale.points.get_ref()).unwrap_or(5),
            labels: scale.labels.into_inner(),
            labels_en: scale.labels_en.map(Spanned::into_inner),
        },
        sections: read.sections,
        access: Access {
            anonymous: raw.anonymous.unwrap_or(false),
            ..access
        },
    };
    logic_check::references(&mut sink, &survey, &read.order, &read.logic);
    check_defaults(&mut sink, &survey, read.defaults);
    if !sink.problems.is_empty() {
        return Err(sink.problems);
    }
    Ok(survey)
}

/// Slug, audience, title and declared version.
fn check_header(sink: &mut Sink<'_>, raw: &RawSurvey) -> (Option<Audience>, Option<u32>) {
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
    let declared_version = match &raw.version {
        Some(v) if !(1..=10_000).contains(v.get_ref()) => {
            sink.at(
                v.span(),
                format!("version {} must be a whole number from 1", v.get_ref()),
            );
            None
        }
        Some(v) => u32::try_from(*v.get_ref()).ok(),
        None => None,
    };
    (audience, declared_version)
}

/// The Likert scale: 2 to 11 points, one label (and English label) per point.
fn check_scale(sink: &mut Sink<'_>, scale: &RawScale) {
    let points = *scale.points.get_ref();
    if !(2..=11).contains(&points) {
        sink.at(
            scale.points.span(),
            format!("scale has {points} points; use 2 to 11 (usually 5 or 7)"),
        );
    }
    let labels = scale.labels.get_ref();
    if points > 0 && labels.len() != points as usize {
        sink.at(
            scale.labels.span(),
            format!(
                "scale has {points} points but {} labels; give one label per point, lowest first",
                labels.len()
            ),
        );
    }
    if let Some(en) = &scale.labels_en {
        if en.get_ref().len() != labels.len() {
            sink.at(
                en.span(),
                format!(
                    "labels_en has {} labels but labels has {}; translate each one",
                    en.get_ref().len(),
                    labels.len()
                ),
            );
        }
    }
}

/// The sections as read, with the logic, defaults and importance references to check
/// once every question is known.
struct SectionsRead {
    sections: Vec<Section>,
    logic: Vec<LogicRef>,
    defaults: Vec<(std::ops::Range<usize>, String)>,
    importance_refs: Vec<(std::ops::Range<usize>, String)>,
    /// `expect = n` of attention checks, to check against the scale.
    expected: Vec<(std::ops::Range<usize>, i64)>,
    order: Vec<String>,
}

fn read_sections(
    sink: &mut Sink<'_>,
    raw: Vec<RawSection>,
    framework: Option<&Framework>,
) -> SectionsRead {
    let mut ids = HashSet::new();
    let mut sections = Vec::new();
    let mut logic: Vec<LogicRef> = Vec::new();
    let mut defaults = Vec::new();
    let mut importance_refs: Vec<(std::ops::Range<usize>, String)> = Vec::new();
    let mut expected = Vec::new();
    let mut order: Vec<String> = Vec::new();
    for sec in raw {
        if sec.question.is_empty() {
            sink.at(
                sec.title.span(),
                "section has no [[section.question]]; add questions or remove the section",
            );
        }
        let relevant = sec.relevant.as_ref().and_then(|r| {
            let e = logic_check::expression(sink, r, "relevant")?;
            logic.push(LogicRef {
                owner: None,
                position: order.len(),
                role: Role::Relevant,
                span: r.span(),
                expr: e.clone(),
            });
            Some(e)
        });
        let mut questions = Vec::new();
        for q in sec.question {
            if let Some(of) = &q.of {
                importance_refs.push((of.span(), of.get_ref().clone()));
            }
            if let Some(e) = &q.expect {
                expected.push((e.span(), *e.get_ref()));
            }
            for row in q.rows.iter().flat_map(|r| r.get_ref()) {
                if let Some(e) = &row.expect {
                    expected.push((e.span(), *e.get_ref()));
                }
            }
            for parsed in question_file::question(sink, &mut ids, q, framework) {
                for (role, span, expr) in parsed.logic {
                    logic.push(LogicRef {
                        owner: Some(parsed.question.id.clone()),
                        position: order.len(),
                        role,
                        span,
                        expr,
                    });
                }
                if let Some(d) = parsed.default_span {
                    defaults.push((d, parsed.question.id.clone()));
                }
                order.push(parsed.question.id.clone());
                questions.push(parsed.question);
            }
        }
        sections.push(Section {
            title: sec.title.into_inner(),
            title_en: sec.title_en,
            relevant,
            questions,
        });
    }
    SectionsRead {
        sections,
        logic,
        defaults,
        importance_refs,
        expected,
        order,
    }
}

/// `of` names a Likert item of the file.
fn check_importance(
    sink: &mut Sink<'_>,
    sections: &[Section],
    importance_refs: Vec<(std::ops::Range<usize>, String)>,
) {
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
}

/// Opening and closing times, the response cap and the quotas (whose values must be
/// codes of the question recording the attribute).
fn access(
    sink: &mut Sink<'_>,
    opens_at: &Option<Spanned<toml::Value>>,
    closes_at: &Option<Spanned<toml::Value>>,
    max_responses: &Option<Spanned<i64>>,
    quota: &[RawQuota],
    sections: &[Section],
) -> Access {
    let opens = instant(sink, opens_at.as_ref(), "opens");
    let closes = instant(sink, closes_at.as_ref(), "closes");
    if let (Some(o), Some(c), Some(span)) = (opens, closes, closes_at.as_ref().map(Spanned::span)) {
        if c <= o {
            sink.at(
                span,
                "closes is not after opens; the questionnaire would never be open",
            );
        }
    }
    let max_responses = match max_responses {
        Some(m) if *m.get_ref() < 1 => {
            sink.at(
                m.span(),
                format!("max_responses {} must be at least 1", m.get_ref()),
            );
            None
        }
        Some(m) => u64::try_from(*m.get_ref()).ok(),
        None => None,
    };
    let mut quotas = Vec::new();
    for q in quota {
        let attr = q.attribute.get_ref();
        let recorder = sections
            .iter()
            .flat_map(|s| s.questions.iter())
            .find(|x| x.attribute.as_deref() == Some(attr.as_str()));
        if let Some(r) = recorder {
            let codes = r.kind.choices();
            let known = codes.iter().any(|c| &c.code == q.value.get_ref())
                || (r.kind.has_other() && q.value.get_ref() == crate::domain::OTHER_CODE);
            if !known {
                sink.at(
                    q.value.span(),
                    format!(
                        "quota value {:?} is not a choice code of {:?}; codes are {}",
                        q.value.get_ref(),
                        r.id,
                        codes
                            .iter()
                            .map(|c| c.code.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                );
            }
        }
        if *q.max.get_ref() < 1 {
            sink.at(
                q.max.span(),
                format!("quota max {} must be at least 1", q.max.get_ref()),
            );
        }
        quotas.push(Quota {
            attribute: attr.clone(),
            value: q.value.get_ref().clone(),
            max: u64::try_from(*q.max.get_ref()).unwrap_or(0),
        });
    }
    Access {
        anonymous: false,
        opens,
        closes,
        max_responses,
        quotas,
    }
}

/// Every default is a valid answer to its question.
fn check_defaults(
    sink: &mut Sink<'_>,
    survey: &Survey,
    defaults: Vec<(std::ops::Range<usize>, String)>,
) {
    for (span, id) in defaults {
        if let Some(q) = survey.question(&id) {
            if let Some(d) = &q.default {
                if let Err(e) = crate::domain::answers::parse_text(survey, q, d) {
                    sink.at(
                        span,
                        format!("default {d:?} is not a valid answer: {}", e.message),
                    );
                }
            }
        }
    }
}
