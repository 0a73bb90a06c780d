//! XLSForm → Chorus questionnaire. Supported: integer, decimal, text, select_one,
//! select_multiple (and their `or_other` / `or specify other` forms, old "select one
//! from" spellings included), note, date, range, rank, begin/end group (a top-level group
//! is a page; a `table-list` group of Likert items is a Likert matrix); columns name,
//! label (and `label::<language>`), hint, required, required_message, relevant,
//! constraint, constraint_message, appearance, default, parameters, plus the Chorus
//! columns indicator, reverse, min, max, min_selected, max_selected, max_length,
//! min_label, max_label, attribute, in_report, of. Metadata fields (start, end, today,
//! deviceid, …) are skipped with a note. Everything else is refused with the sheet, row
//! and column named.

mod choices;
mod columns;
mod row_type;
mod rows;

use super::sheet::{self, Table};
use super::XlsProblem;
use crate::domain::{Access, Audience, Choice, Framework, LikertScale, Quota, Survey};
use choices::{read_choices, Lists};
use columns::yes;
use rows::{Build, SurveySheet};

/// An imported questionnaire, the indicator codes its items score into, and notes on
/// what was skipped.
#[derive(Debug, Clone)]
pub struct Imported {
    pub survey: Survey,
    pub indicators: Vec<String>,
    pub notes: Vec<String>,
}

/// Reads an XLSForm workbook into a questionnaire with this slug and audience.
pub fn import(
    bytes: &[u8],
    slug: &str,
    audience: Audience,
    framework: Option<&Framework>,
) -> Result<Imported, Vec<XlsProblem>> {
    let tables = sheet::read(bytes).map_err(|p| vec![p])?;
    let find = |n: &str| tables.iter().find(|(k, _)| k == n).map(|(_, t)| t);
    let Some(survey_sheet) = find("survey") else {
        return Err(vec![no_survey_sheet(&tables)]);
    };
    let mut problems = Vec::new();
    let settings = read_settings(find("settings"), slug, &mut problems);
    let lists = read_choices(
        find("choices"),
        settings.default_language.as_deref(),
        &mut problems,
    );
    let sheet = SurveySheet::new(survey_sheet, &settings, &lists, framework)?;
    problems.extend(sheet.unsupported_columns());
    let mut build = Build::default();
    build.problems = problems;
    for row in &survey_sheet.rows {
        build.read_row(&sheet, row, &settings.title);
    }
    build.finish(&sheet, &settings.title);
    build.check_references(&sheet);
    if !build.problems.is_empty() {
        build.problems.sort_by_key(|p| (p.sheet.clone(), p.row));
        return Err(build.problems);
    }
    let scale = likert_scale(build.scale, settings.scale_list.as_deref(), &lists);
    let survey = Survey {
        slug: slug.to_string(),
        audience,
        title: settings.title,
        title_en: settings.title_en,
        intro: settings.intro,
        intro_en: settings.intro_en,
        declared_version: settings.declared_version,
        scale,
        sections: build.sections,
        access: settings.access,
    };
    Ok(Imported {
        survey,
        indicators: build.indicators,
        notes: build.notes,
    })
}

fn no_survey_sheet(tables: &[(String, Table)]) -> XlsProblem {
    XlsProblem {
        sheet: "survey".into(),
        row: None,
        column: None,
        message: format!(
            "no sheet named survey; sheets are {}",
            tables
                .iter()
                .map(|(_, t)| t.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// The settings sheet's one row, as the questionnaire needs it.
struct Settings {
    default_language: Option<String>,
    title: String,
    title_en: Option<String>,
    intro: String,
    intro_en: Option<String>,
    declared_version: Option<u32>,
    scale_list: Option<String>,
    access: Access,
}

fn read_settings(settings: Option<&Table>, slug: &str, problems: &mut Vec<XlsProblem>) -> Settings {
    let cell = |key: &str, raw: bool| -> Option<String> {
        let t = settings?;
        let c = t.col(key)?;
        let row = t.rows.first()?;
        let v = if raw {
            t.raw(row, Some(c))
        } else {
            t.get(row, Some(c))
        };
        Some(v.to_string()).filter(|s| !s.trim().is_empty())
    };
    let setting = |key: &str| cell(key, false);
    Settings {
        default_language: setting("default_language"),
        title: setting("form_title")
            .or_else(|| setting("form_id"))
            .unwrap_or_else(|| slug.to_string()),
        title_en: setting("title_en"),
        intro: cell("intro", true).unwrap_or_default(),
        intro_en: cell("intro_en", true),
        declared_version: setting("chorus_version").and_then(|v| v.parse::<u32>().ok()),
        scale_list: setting("likert_list"),
        access: access_settings(&setting, settings, problems),
    }
}

/// The questionnaire's Likert scale: the list its items use (or `likert_list`), else
/// the five-point agreement scale.
fn likert_scale(
    used: Option<(String, Vec<Choice>)>,
    scale_list: Option<&str>,
    lists: &Lists,
) -> LikertScale {
    let choices = used
        .map(|(_, c)| c)
        .or_else(|| scale_list.and_then(|l| lists.lists.get(l).cloned()));
    match choices {
        Some(choices) => LikertScale {
            points: u8::try_from(choices.len()).unwrap_or(5),
            labels: choices.iter().map(|c| c.label.clone()).collect(),
            labels_en: choices
                .iter()
                .map(|c| c.label_en.clone())
                .collect::<Option<Vec<_>>>(),
        },
        None => LikertScale {
            points: 5,
            labels: ["非常不同意", "不同意", "一般", "同意", "非常同意"]
                .map(String::from)
                .to_vec(),
            labels_en: None,
        },
    }
}

/// The Chorus settings columns `anonymous`, `opens`, `closes`, `max_responses` and
/// `quotas` (`sector=herbs:100; sector=tourism:80`).
fn access_settings(
    setting: &dyn Fn(&str) -> Option<String>,
    settings: Option<&Table>,
    problems: &mut Vec<XlsProblem>,
) -> Access {
    let mut access = Access::default();
    let mut bad = |key: &str, message: String| {
        if let Some(t) = settings {
            if let Some(row) = t.rows.first() {
                problems.push(t.problem(row, t.col(key), message));
            }
        }
    };
    if let Some(v) = setting("anonymous") {
        match yes(&v) {
            Some(b) => access.anonymous = b,
            None => bad("anonymous", "anonymous must be yes or no".into()),
        }
    }
    for (key, slot) in [("opens", &mut access.opens), ("closes", &mut access.closes)] {
        if let Some(v) = setting(key) {
            match chrono::DateTime::parse_from_rfc3339(&v) {
                Ok(t) => *slot = Some(t.with_timezone(&chrono::Utc)),
                Err(_) => bad(
                    key,
                    format!("{key} {v:?} is not a date and time like 2025-11-01T08:00:00+08:00"),
                ),
            }
        }
    }
    if let Some(v) = setting("max_responses") {
        match v.parse::<u64>() {
            Ok(n) if n > 0 => access.max_responses = Some(n),
            _ => bad(
                "max_responses",
                format!("max_responses {v:?} must be a whole number from 1"),
            ),
        }
    }
    if let Some(v) = setting("quotas") {
        for part in v.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let parsed = part.split_once('=').and_then(|(a, rest)| {
                let (value, max) = rest.rsplit_once(':')?;
                Some(Quota {
                    attribute: a.trim().to_string(),
                    value: value.trim().to_string(),
                    max: max.trim().parse().ok()?,
                })
            });
            match parsed {
                Some(q) => access.quotas.push(q),
                None => bad(
                    "quotas",
                    format!("quota {part:?} must look like sector=herbs:100"),
                ),
            }
        }
    }
    access
}
