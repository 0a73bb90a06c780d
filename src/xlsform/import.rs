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

use std::collections::{HashMap, HashSet};

use super::sheet::{self, Row, Table};
use super::XlsProblem;
use crate::domain::expr::valid_name;
use crate::domain::{
    Access, Audience, Choice, Expression, Framework, LikertScale, MatrixHeader, Question,
    QuestionKind, Quota, Section, Survey, OTHER_CODE,
};

/// An imported questionnaire, the indicator codes its items score into, and notes on
/// what was skipped.
#[derive(Debug, Clone)]
pub struct Imported {
    pub survey: Survey,
    pub indicators: Vec<String>,
    pub notes: Vec<String>,
}

const METADATA: [&str; 14] = [
    "start",
    "end",
    "today",
    "deviceid",
    "subscriberid",
    "simserial",
    "phonenumber",
    "username",
    "email",
    "uri:email",
    "uri:username",
    "audit",
    "start-geopoint",
    "imei",
];

/// The language of an XLSForm column (`label::Chinese (zh)`, `label`, …), not a
/// page language (`domain::Lang`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum ColumnLang {
    Zh,
    En,
    Default,
    Other,
}

fn classify(lang: Option<&str>, default_language: Option<&str>) -> ColumnLang {
    let Some(l) = lang.or(default_language) else {
        return ColumnLang::Default;
    };
    let l = l.to_lowercase();
    let code = l
        .split('(')
        .nth(1)
        .map(|c| c.trim_end_matches(')').trim().to_string());
    let is = |names: &[&str]| {
        names.iter().any(|n| l.trim() == *n) || code.as_deref().is_some_and(|c| names.contains(&c))
    };
    if is(&[
        "zh",
        "zh-cn",
        "zh-hans",
        "chinese",
        "中文",
        "简体中文",
        "汉语",
    ]) || l.starts_with("chinese")
        || l.starts_with("中文")
    {
        ColumnLang::Zh
    } else if is(&["en", "en-us", "en-gb", "english"]) || l.starts_with("english") {
        ColumnLang::En
    } else if lang.is_none() {
        ColumnLang::Default
    } else {
        ColumnLang::Other
    }
}

/// Which columns carry a translatable field: the default-language text (first non-empty
/// of zh, plain, en, other) and the English text.
struct LangCols {
    primary: Vec<usize>,
    en: Option<usize>,
}

fn lang_cols(t: &Table, base: &str, default_language: Option<&str>) -> LangCols {
    let cols: Vec<(usize, ColumnLang)> = t
        .lang_cols(base)
        .into_iter()
        .map(|(i, l)| {
            (
                i,
                classify(
                    l.as_deref(),
                    if l.is_none() { default_language } else { None },
                ),
            )
        })
        .collect();
    let has = |k: ColumnLang| cols.iter().any(|(_, l)| *l == k);
    // `label` beside `label::chinese` and no English column: the plain one is English.
    let plain_is_en = default_language.is_none()
        && has(ColumnLang::Zh)
        && has(ColumnLang::Default)
        && !has(ColumnLang::En);
    let kind = |l: ColumnLang| {
        if plain_is_en && l == ColumnLang::Default {
            ColumnLang::En
        } else {
            l
        }
    };
    let pick = |k: ColumnLang| {
        cols.iter()
            .filter(move |(_, l)| kind(*l) == k)
            .map(|(i, _)| *i)
    };
    let primary: Vec<usize> = pick(ColumnLang::Zh)
        .chain(pick(ColumnLang::Default))
        .chain(pick(ColumnLang::En))
        .chain(pick(ColumnLang::Other))
        .collect();
    LangCols {
        en: pick(ColumnLang::En).next(),
        primary,
    }
}

impl LangCols {
    /// (default-language text, English text) for one row.
    fn texts(&self, t: &Table, row: &Row) -> (String, Option<String>) {
        let primary = self
            .primary
            .iter()
            .map(|c| (*c, t.get(row, Some(*c))))
            .find(|(_, v)| !v.is_empty());
        let en = self
            .en
            .map(|c| (c, t.get(row, Some(c))))
            .filter(|(c, v)| !v.is_empty() && primary.map(|p| p.0) != Some(*c))
            .map(|(_, v)| v.to_string());
        (primary.map(|p| p.1.to_string()).unwrap_or_default(), en)
    }
}

fn yes(v: &str) -> Option<bool> {
    match v.trim().to_lowercase().as_str() {
        "yes" | "true" | "true()" | "1" | "y" => Some(true),
        "no" | "false" | "false()" | "0" | "n" | "" => Some(false),
        _ => None,
    }
}

#[derive(Debug)]
enum RowType {
    Integer,
    Decimal,
    Text,
    Phone,
    Note,
    Date,
    Range,
    Select {
        list: String,
        multiple: bool,
        other: bool,
    },
    Rank(String),
    BeginGroup,
    EndGroup,
    Skip,
}

fn row_type(raw: &str) -> Result<RowType, String> {
    let t = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    let lower = t.to_lowercase();
    let (head, rest) = lower.split_once(' ').unwrap_or((lower.as_str(), ""));
    let simple = match lower.as_str() {
        "integer" | "int" => Some(RowType::Integer),
        "decimal" => Some(RowType::Decimal),
        "text" | "string" => Some(RowType::Text),
        "phone number" | "phone_number" => Some(RowType::Phone),
        "note" => Some(RowType::Note),
        "date" => Some(RowType::Date),
        "range" => Some(RowType::Range),
        "begin group" | "begin_group" => Some(RowType::BeginGroup),
        "end group" | "end_group" => Some(RowType::EndGroup),
        _ => None,
    };
    if let Some(s) = simple {
        return Ok(s);
    }
    if METADATA.contains(&lower.as_str()) {
        return Ok(RowType::Skip);
    }
    let refused = match head {
        "begin" | "end" if rest.starts_with("repeat") || rest.starts_with("loop") || head == "begin" && rest.starts_with("_repeat") => Some("repeats and loops are not supported; Chorus asks each question once per respondent (flatten the repeat into separate questions)"),
        "begin_repeat" | "end_repeat" => Some("repeats are not supported; flatten the repeat into separate questions"),
        "geopoint" | "geotrace" | "geoshape" | "start-geopoint" => Some("location questions (geopoint/geotrace/geoshape) are not supported"),
        "image" | "audio" | "video" | "file" | "background-audio" | "barcode" => Some("media and file questions are not supported; respondents answer on phones without uploads"),
        "calculate" | "hidden" => Some("calculated fields are not supported; compute derived values in the analysis instead"),
        "time" | "datetime" | "datetime_local" => Some("time and date-time questions are not supported; use date"),
        "acknowledge" | "trigger" => Some("acknowledge questions are not supported; use a single-choice question"),
        "osm" => Some("OpenStreetMap questions are not supported"),
        "xml-external" | "csv-external" => Some("external data is not supported"),
        _ => None,
    };
    if let Some(r) = refused {
        return Err(r.to_string());
    }
    if head.starts_with("select_one_from_file")
        || head.starts_with("select_multiple_from_file")
        || head.starts_with("select_one_external")
        || head == "select_one_from_file"
    {
        return Err("selects from external files or external choice lists are not supported; put the choices on the choices sheet".into());
    }
    // select_one LIST [or_other], select one from LIST [or specify other], select all that apply [from] LIST.
    let mut words: Vec<&str> = t.split(' ').collect();
    let lower_words: Vec<String> = words.iter().map(|w| w.to_lowercase()).collect();
    let mut other = false;
    if lower_words.last().is_some_and(|w| w == "or_other") {
        other = true;
        words.pop();
    } else if lower_words.ends_with(&["or".into(), "specify".into(), "other".into()]) {
        other = true;
        words.truncate(words.len() - 3);
    }
    let lw: Vec<String> = words.iter().map(|w| w.to_lowercase()).collect();
    let lw: Vec<&str> = lw.iter().map(String::as_str).collect();
    let (multiple, list) = match lw.as_slice() {
        ["select_one", _] => (false, words[1]),
        ["select", "one", _] => (false, words[2]),
        ["select", "one", "from", _] => (false, words[3]),
        ["select_multiple", _] => (true, words[1]),
        ["select", "all", "that", "apply", _] => (true, words[4]),
        ["select", "all", "that", "apply", "from", _] => (true, words[5]),
        ["select", "multiple", _] => (true, words[2]),
        ["rank", _] => {
            if other {
                return Err("rank does not take or_other".into());
            }
            return Ok(RowType::Rank(words[1].to_string()));
        }
        _ => {
            return Err(format!(
                "unknown or unsupported question type {raw:?}; supported: integer, decimal, text, select_one, select_multiple (or_other), note, date, range, rank, begin/end group"
            ))
        }
    };
    Ok(RowType::Select {
        list: list.to_string(),
        multiple,
        other,
    })
}

struct Lists {
    lists: HashMap<String, Vec<Choice>>,
}

fn read_choices(
    t: Option<&Table>,
    default_language: Option<&str>,
    problems: &mut Vec<XlsProblem>,
) -> Lists {
    let mut lists: HashMap<String, Vec<Choice>> = HashMap::new();
    let Some(t) = t else {
        return Lists { lists };
    };
    let list_col = t.col("list_name");
    let name_col = t.col("name").or_else(|| t.col("value"));
    if list_col.is_none() || name_col.is_none() {
        problems.push(XlsProblem {
            sheet: t.name.clone(),
            row: Some(1),
            column: None,
            message: "the choices sheet needs list_name and name columns".into(),
        });
        return Lists { lists };
    }
    let labels = lang_cols(t, "label", default_language);
    let media: Vec<usize> = t
        .headers
        .iter()
        .enumerate()
        .filter(|(_, h)| {
            matches!(
                h.base.as_str(),
                "image" | "audio" | "video" | "media" | "big_image"
            )
        })
        .map(|(i, _)| i)
        .collect();
    for row in &t.rows {
        let list = t.get(row, list_col);
        let code = t.get(row, name_col);
        if list.is_empty() && code.is_empty() {
            continue;
        }
        if let Some(&c) = media.iter().find(|c| !t.get(row, Some(**c)).is_empty()) {
            problems.push(t.problem(
                row,
                Some(c),
                "images and other media on choices are not supported; remove the file name",
            ));
        }
        if code.is_empty() || code.chars().any(char::is_whitespace) || code.len() > 40 {
            problems.push(t.problem(
                row,
                name_col,
                format!("choice name {code:?} is not valid; use a short code without spaces"),
            ));
            continue;
        }
        let (label, label_en) = labels.texts(t, row);
        let entry = lists.entry(list.to_string()).or_default();
        if entry.iter().any(|c| c.code == code) {
            problems.push(t.problem(
                row,
                name_col,
                format!("choice {code:?} appears twice in list {list:?}"),
            ));
            continue;
        }
        if label.is_empty() {
            problems.push(t.problem(
                row,
                labels.primary.first().copied(),
                format!("choice {code:?} of list {list:?} has no label"),
            ));
        }
        entry.push(Choice {
            code: code.to_string(),
            label,
            label_en,
        });
    }
    Lists { lists }
}

/// A group being read: its questions, and how it ends up (page, matrix, or inline).
struct Frame {
    name: String,
    label: String,
    label_en: Option<String>,
    relevant: Option<String>,
    table_list: bool,
    questions: Vec<Question>,
    row: u32,
}

fn and(a: Option<&str>, b: Option<&str>) -> Option<String> {
    match (a, b) {
        (Some(a), Some(b)) => Some(format!("({a}) and ({b})")),
        (Some(x), None) | (None, Some(x)) => Some(x.to_string()),
        (None, None) => None,
    }
}

fn likert_codes(choices: &[Choice]) -> bool {
    !choices.is_empty()
        && choices
            .iter()
            .enumerate()
            .all(|(i, c)| c.code == (i + 1).to_string())
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
        return Err(vec![XlsProblem {
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
        }]);
    };
    let mut problems = Vec::new();
    let mut notes = Vec::new();
    // Settings.
    let settings = find("settings");
    let setting = |key: &str| -> Option<String> {
        let t = settings?;
        let c = t.col(key)?;
        t.rows
            .first()
            .map(|r| t.get(r, Some(c)).to_string())
            .filter(|s| !s.is_empty())
    };
    let setting_raw = |key: &str| -> Option<String> {
        let t = settings?;
        let c = t.col(key)?;
        t.rows
            .first()
            .map(|r| t.raw(r, Some(c)).to_string())
            .filter(|s| !s.trim().is_empty())
    };
    let default_language = setting("default_language");
    let title = setting("form_title")
        .or_else(|| setting("form_id"))
        .unwrap_or_else(|| slug.to_string());
    let title_en = setting("title_en");
    let intro = setting_raw("intro").unwrap_or_default();
    let intro_en = setting_raw("intro_en");
    let declared_version = setting("chorus_version").and_then(|v| v.parse::<u32>().ok());
    let scale_list = setting("likert_list");
    let access = access_settings(&setting, settings, &mut problems);
    let lists = read_choices(find("choices"), default_language.as_deref(), &mut problems);

    let t = survey_sheet;
    let c = |n: &str| t.col(n);
    let (type_col, name_col) = (c("type"), c("name"));
    if type_col.is_none() || name_col.is_none() {
        return Err(vec![XlsProblem {
            sheet: t.name.clone(),
            row: Some(1),
            column: None,
            message: "the survey sheet needs type and name columns".into(),
        }]);
    }
    for (col, what) in [
        (
            "choice_filter",
            "cascading selects (choice_filter) are not supported",
        ),
        ("repeat_count", "repeats are not supported"),
        ("calculation", "calculations are not supported"),
        ("trigger", "triggers are not supported"),
    ] {
        if let Some(ci) = c(col) {
            if let Some(row) = t.rows.iter().find(|r| !t.get(r, Some(ci)).is_empty()) {
                problems.push(t.problem(row, Some(ci), what));
            }
        }
    }
    let labels = lang_cols(t, "label", default_language.as_deref());
    let hints = lang_cols(t, "hint", default_language.as_deref());
    let req_msgs = lang_cols(t, "required_message", default_language.as_deref());
    let con_msgs = lang_cols(t, "constraint_message", default_language.as_deref());
    let media: Vec<usize> = t
        .headers
        .iter()
        .enumerate()
        .filter(|(_, h)| {
            matches!(
                h.base.as_str(),
                "image" | "audio" | "video" | "media" | "big_image"
            )
        })
        .map(|(i, _)| i)
        .collect();

    let mut scale: Option<(String, Vec<Choice>)> = None;
    let mut sections: Vec<Section> = Vec::new();
    let mut loose: Vec<Question> = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut order: Vec<(String, u32)> = Vec::new();
    let mut exprs: Vec<(String, usize, u32, &'static str, Expression)> = Vec::new();
    let mut indicators: Vec<String> = Vec::new();

    let flush_loose = |loose: &mut Vec<Question>, sections: &mut Vec<Section>| {
        if !loose.is_empty() {
            sections.push(Section {
                title: if sections.is_empty() {
                    title.clone()
                } else {
                    format!("{}（续）", title)
                },
                title_en: None,
                relevant: None,
                questions: std::mem::take(loose),
            });
        }
    };

    for row in &t.rows {
        let raw_type = t.get(row, type_col);
        let name = t.get(row, name_col);
        if raw_type.is_empty() {
            if !name.is_empty() {
                problems.push(t.problem(row, type_col, format!("{name:?} has no type")));
            }
            continue;
        }
        let rt = match row_type(raw_type) {
            Ok(rt) => rt,
            Err(msg) => {
                problems.push(t.problem(row, type_col, msg));
                continue;
            }
        };
        let cell = |n: &str| t.get(row, c(n)).to_string();
        let opt = |n: &str| Some(cell(n)).filter(|s| !s.is_empty());
        if let Some(&mc) = media.iter().find(|mc| !t.get(row, Some(**mc)).is_empty()) {
            problems.push(t.problem(
                row,
                Some(mc),
                "images, audio and video in questions are not supported",
            ));
        }
        let (label, label_en) = labels.texts(t, row);
        match rt {
            RowType::Skip => {
                notes.push(format!("row {}: metadata field {name:?} ({raw_type}) skipped; Chorus records submission time itself", row.number));
                continue;
            }
            RowType::BeginGroup => {
                if stack.is_empty() {
                    flush_loose(&mut loose, &mut sections);
                }
                let appearance = cell("appearance").to_lowercase();
                stack.push(Frame {
                    name: name.to_string(),
                    label: if label.is_empty() {
                        name.to_string()
                    } else {
                        label
                    },
                    label_en,
                    relevant: opt("relevant"),
                    table_list: appearance.contains("table-list"),
                    questions: Vec::new(),
                    row: row.number,
                });
                if let Some(r) = opt("relevant") {
                    match Expression::parse(&r) {
                        Ok(e) => {
                            exprs.push((String::new(), order.len(), row.number, "relevant", e))
                        }
                        Err(e) => {
                            problems.push(t.problem(row, c("relevant"), format!("relevant: {e}")))
                        }
                    }
                }
                continue;
            }
            RowType::EndGroup => {
                let Some(frame) = stack.pop() else {
                    problems.push(t.problem(
                        row,
                        type_col,
                        "end group without a matching begin group",
                    ));
                    continue;
                };
                let mut qs = frame.questions;
                let matrix = frame.table_list
                    && !qs.is_empty()
                    && qs.iter().all(|q| {
                        matches!(q.kind, QuestionKind::Likert { .. })
                            && q.relevant.is_none()
                            && q.constraint.is_none()
                    });
                if matrix && valid_name(&frame.name) {
                    for q in &mut qs {
                        q.matrix = Some(MatrixHeader {
                            id: frame.name.clone(),
                            text: frame.label.clone(),
                            text_en: frame.label_en.clone(),
                        });
                    }
                }
                let section_relevant = if stack.is_empty() {
                    None
                } else {
                    frame.relevant.as_deref()
                };
                if let Some(r) = section_relevant {
                    for q in &mut qs {
                        let combined = and(Some(r), q.relevant.as_ref().map(|e| e.source()));
                        q.relevant = combined.and_then(|s| Expression::parse(&s).ok());
                    }
                }
                if stack.is_empty() {
                    if matrix && !qs.is_empty() {
                        // A top-level table-list group: one page holding one matrix.
                    }
                    if qs.is_empty() {
                        notes.push(format!(
                            "row {}: group {:?} is empty and was skipped",
                            frame.row, frame.name
                        ));
                        continue;
                    }
                    sections.push(Section {
                        title: frame.label,
                        title_en: frame.label_en,
                        relevant: frame
                            .relevant
                            .as_deref()
                            .and_then(|s| Expression::parse(s).ok()),
                        questions: qs,
                    });
                } else if let Some(parent) = stack.last_mut() {
                    parent.questions.extend(qs);
                }
                continue;
            }
            _ => {}
        }
        // A question row.
        if !valid_name(name) {
            problems.push(t.problem(row, name_col, format!("name {name:?} is not valid in Chorus; start with a letter, then up to 40 letters, digits or '_' (no '-' or '.')")));
            continue;
        }
        if !seen.insert(name.to_string()) {
            problems.push(t.problem(
                row,
                name_col,
                format!("name {name:?} is used twice; names must be unique"),
            ));
            continue;
        }
        if label.is_empty() {
            problems.push(t.problem(
                row,
                labels.primary.first().copied().or(c("label")),
                format!("question {name:?} has no label in the default language"),
            ));
        }
        let int_cell = |n: &str, problems: &mut Vec<XlsProblem>| -> Option<i64> {
            let v = opt(n)?;
            match v.parse::<i64>() {
                Ok(x) => Some(x),
                Err(_) => {
                    problems.push(t.problem(
                        row,
                        c(n),
                        format!("{n} {v:?} must be a whole number"),
                    ));
                    None
                }
            }
        };
        let indicator = opt("indicator");
        let reverse = match yes(&cell("reverse")) {
            Some(r) => r,
            None => {
                problems.push(t.problem(row, c("reverse"), "reverse must be yes or no"));
                false
            }
        };
        let appearance = cell("appearance").to_lowercase();
        let mut constraint_extra: Option<(String, String)> = None;
        let kind = match &rt {
            RowType::Integer => QuestionKind::Integer {
                min: int_cell("min", &mut problems).unwrap_or(i64::MIN),
                max: int_cell("max", &mut problems).unwrap_or(i64::MAX),
            },
            RowType::Decimal => {
                let f = |n: &str, problems: &mut Vec<XlsProblem>| {
                    let v = opt(n)?;
                    v.parse::<f64>().ok().filter(|x| x.is_finite()).or_else(|| {
                        problems.push(t.problem(row, c(n), format!("{n} {v:?} must be a number")));
                        None
                    })
                };
                QuestionKind::Decimal {
                    min: f("min", &mut problems),
                    max: f("max", &mut problems),
                }
            }
            RowType::Text | RowType::Phone => {
                let max_length = int_cell("max_length", &mut problems)
                    .and_then(|n| usize::try_from(n).ok())
                    .filter(|n| (1..=10_000).contains(n));
                if matches!(rt, RowType::Phone) {
                    constraint_extra = Some((
                        "regex(., '^[0-9+() -]{3,20}$')".into(),
                        "请输入有效的电话号码".into(),
                    ));
                }
                QuestionKind::Text {
                    max_length: max_length.unwrap_or(if matches!(rt, RowType::Phone) {
                        20
                    } else {
                        500
                    }),
                    multiline: appearance.contains("multiline"),
                    in_report: yes(&cell("in_report")).unwrap_or(false),
                }
            }
            RowType::Note => QuestionKind::Note,
            RowType::Date => QuestionKind::Date {
                min: opt("min"),
                max: opt("max"),
            },
            RowType::Range => {
                let params = cell("parameters");
                let mut start = 0i64;
                let mut end = 10i64;
                let mut step = 1.0f64;
                for part in params.split([' ', ';', ',']).filter(|p| !p.is_empty()) {
                    let Some((k, v)) = part.split_once('=') else {
                        problems.push(t.problem(
                            row,
                            c("parameters"),
                            format!("parameter {part:?} must look like start=0"),
                        ));
                        continue;
                    };
                    let v = v.trim();
                    match k.trim() {
                        "start" => start = v.parse::<f64>().map(|x| x as i64).unwrap_or(start),
                        "end" => end = v.parse::<f64>().map(|x| x as i64).unwrap_or(end),
                        "step" => step = v.parse().unwrap_or(f64::NAN),
                        _ => {}
                    }
                }
                if step != 1.0 {
                    problems.push(t.problem(row, c("parameters"), format!("range step {step} is not supported; Chorus ratings step by 1 (e.g. start=0 end=10 step=1)")));
                }
                if start >= end || end - start > 100 {
                    problems.push(t.problem(row, c("parameters"), format!("range from {start} to {end} is not supported; use 2 to 101 points with start < end")));
                }
                QuestionKind::Rating {
                    min: start,
                    max: end,
                    min_label: opt("min_label"),
                    max_label: opt("max_label"),
                }
            }
            RowType::Rank(list) | RowType::Select { list, .. } => {
                let Some(choices) = lists.lists.get(list) else {
                    problems.push(t.problem(
                        row,
                        type_col,
                        format!("choice list {list:?} is not on the choices sheet"),
                    ));
                    continue;
                };
                let choices = choices.clone();
                let likert = !matches!(
                    rt,
                    RowType::Rank(_) | RowType::Select { multiple: true, .. }
                ) && (indicator.is_some()
                    || appearance.contains("likert")
                    || opt("of").is_some()
                    || scale_list.as_deref() == Some(list.as_str()))
                    && !matches!(rt, RowType::Select { other: true, .. });
                if likert {
                    if !likert_codes(&choices) {
                        problems.push(t.problem(row, c("indicator").or(type_col), format!("Likert item {name:?} needs a choice list coded 1, 2, 3, … (list {list:?} is not)")));
                        continue;
                    }
                    match &scale {
                        None => scale = Some((list.clone(), choices.clone())),
                        Some((l, s)) if l != list && s != &choices => {
                            problems.push(t.problem(row, type_col, format!("Likert item {name:?} uses list {list:?} but earlier items use {l:?}; all Likert items of a questionnaire share one scale")));
                        }
                        _ => {}
                    }
                    if let Some(of) = opt("of") {
                        QuestionKind::Importance { of }
                    } else {
                        if let (Some(code), Some(fw)) = (&indicator, framework) {
                            if fw.sub(code).is_none() {
                                problems.push(t.problem(
                                    row,
                                    c("indicator"),
                                    format!(
                                            "unknown indicator {code:?}; the campaign defines {}",
                                            fw.subs()
                                                .map(|(_, s)| s.code.as_str())
                                                .collect::<Vec<_>>()
                                                .join(", ")
                                        ),
                                ));
                            }
                        }
                        if let Some(code) = &indicator {
                            if !indicators.contains(code) {
                                indicators.push(code.clone());
                            }
                        }
                        QuestionKind::Likert {
                            indicator: indicator.clone(),
                            reverse,
                        }
                    }
                } else {
                    if let Some(ci) = c("indicator").filter(|_| indicator.is_some()) {
                        problems.push(t.problem(row, Some(ci), format!("indicator applies only to Likert items (select_one with a list coded 1..n), not to {raw_type:?}")));
                    }
                    let other = matches!(rt, RowType::Select { other: true, .. });
                    if other && choices.iter().any(|ch| ch.code == OTHER_CODE) {
                        problems.push(t.problem(row, type_col, format!("list {list:?} already has a choice \"other\"; drop or_other or rename that choice")));
                    }
                    match rt {
                        RowType::Rank(_) => QuestionKind::Ranking { choices },
                        RowType::Select { multiple: true, .. } => QuestionKind::Multiple {
                            choices,
                            other,
                            min: int_cell("min_selected", &mut problems)
                                .and_then(|x| u32::try_from(x).ok()),
                            max: int_cell("max_selected", &mut problems)
                                .and_then(|x| u32::try_from(x).ok()),
                        },
                        _ => QuestionKind::Single { choices, other },
                    }
                }
            }
            RowType::BeginGroup | RowType::EndGroup | RowType::Skip => continue,
        };
        if reverse && !matches!(kind, QuestionKind::Likert { .. }) {
            problems.push(t.problem(
                row,
                c("reverse"),
                "reverse applies only to Likert items; remove it",
            ));
        }
        let mut q = Question::new(name, &label, kind);
        q.text_en = label_en;
        let (hint, hint_en) = hints.texts(t, row);
        q.hint = Some(hint).filter(|h| !h.is_empty());
        q.hint_en = hint_en;
        let required = cell("required");
        match yes(&required) {
            Some(r) => q.required = r && !matches!(q.kind, QuestionKind::Note),
            None => match Expression::parse(&required) {
                Ok(e) => {
                    exprs.push((
                        name.to_string(),
                        order.len(),
                        row.number,
                        "required",
                        e.clone(),
                    ));
                    q.required = false;
                    q.required_if = Some(e);
                }
                Err(e) => problems.push(t.problem(
                    row,
                    c("required"),
                    format!("required must be yes, no or a condition: {e}"),
                )),
            },
        }
        q.required_message = Some(req_msgs.texts(t, row).0).filter(|s| !s.is_empty());
        let mut expr_col =
            |col: &'static str, problems: &mut Vec<XlsProblem>| -> Option<Expression> {
                let src = opt(col)?;
                match Expression::parse(&src) {
                    Ok(e) => {
                        exprs.push((name.to_string(), order.len(), row.number, col, e.clone()));
                        Some(e)
                    }
                    Err(e) => {
                        problems.push(t.problem(row, c(col), format!("{col}: {e}")));
                        None
                    }
                }
            };
        q.relevant = expr_col("relevant", &mut problems);
        q.constraint = expr_col("constraint", &mut problems);
        q.constraint_message = Some(con_msgs.texts(t, row).0).filter(|s| !s.is_empty());
        if let Some((src, msg)) = constraint_extra {
            if q.constraint.is_none() {
                q.constraint = Expression::parse(&src).ok();
                q.constraint_message = q.constraint_message.or(Some(msg));
            }
        }
        q.default = opt("default");
        q.attribute = opt("attribute");
        if let Some(d) = &q.default {
            if matches!(q.kind, QuestionKind::Note) {
                problems.push(t.problem(row, c("default"), "a note takes no default"));
            } else if d.contains("${") || d.contains('(') {
                problems.push(t.problem(
                    row,
                    c("default"),
                    format!("default {d:?} is a formula; only fixed default values are supported"),
                ));
            }
        }
        order.push((name.to_string(), row.number));
        match stack.last_mut() {
            Some(f) => f.questions.push(q),
            None => loose.push(q),
        }
    }
    if let Some(f) = stack.last() {
        problems.push(XlsProblem {
            sheet: t.name.clone(),
            row: Some(f.row),
            column: None,
            message: format!("group {:?} is never closed; add an end group row", f.name),
        });
    }
    flush_loose(&mut loose, &mut sections);
    if sections.is_empty() && problems.is_empty() {
        problems.push(XlsProblem {
            sheet: t.name.clone(),
            row: None,
            column: None,
            message: "the survey sheet has no questions".into(),
        });
    }

    // References: earlier questions only, never a note, never itself.
    let position: HashMap<&str, usize> = order
        .iter()
        .enumerate()
        .map(|(i, (n, _))| (n.as_str(), i))
        .collect();
    let notes_ids: HashSet<&str> = sections
        .iter()
        .flat_map(|s| &s.questions)
        .filter(|q| matches!(q.kind, QuestionKind::Note))
        .map(|q| q.id.as_str())
        .collect();
    for (owner, pos, rownum, col, e) in &exprs {
        let row = Row {
            number: *rownum,
            cells: Vec::new(),
        };
        let column = c(if *col == "required" { "required" } else { col });
        if e.uses_current() && *col != "constraint" {
            problems.push(t.problem(
                &row,
                column,
                format!("{col}: '.' is allowed only in constraint"),
            ));
        }
        for (r, _) in e.references() {
            match position.get(r) {
                None => problems.push(t.problem(&row, column, format!("{col} refers to ${{{r}}}, which is not a question in this form"))),
                Some(_) if r == owner => problems.push(t.problem(&row, column, if *col == "constraint" { format!("constraint refers to its own question ${{{r}}}; write . instead") } else { format!("{col} of {owner:?} refers to itself (a cyclic reference)") })),
                Some(p) if *p >= *pos => problems.push(t.problem(&row, column, format!("{col} refers to ${{{r}}}, which comes later; Chorus logic can only use earlier answers"))),
                Some(_) if notes_ids.contains(r) => problems.push(t.problem(&row, column, format!("{col} refers to ${{{r}}}, a note without an answer"))),
                _ => {}
            }
        }
    }

    let scale = match scale.or_else(|| {
        scale_list
            .as_ref()
            .and_then(|l| lists.lists.get(l).map(|c| (l.clone(), c.clone())))
    }) {
        Some((_, choices)) => LikertScale {
            points: u8::try_from(choices.len()).unwrap_or(5),
            labels: choices.iter().map(|c| c.label.clone()).collect(),
            labels_en: if choices.iter().all(|c| c.label_en.is_some()) {
                Some(
                    choices
                        .iter()
                        .map(|c| c.label_en.clone().unwrap_or_default())
                        .collect(),
                )
            } else {
                None
            },
        },
        None => LikertScale {
            points: 5,
            labels: ["非常不同意", "不同意", "一般", "同意", "非常同意"]
                .map(String::from)
                .to_vec(),
            labels_en: None,
        },
    };
    if !problems.is_empty() {
        problems.sort_by_key(|p| (p.sheet.clone(), p.row));
        return Err(problems);
    }
    let survey = Survey {
        slug: slug.to_string(),
        audience,
        title,
        title_en,
        intro,
        intro_en,
        declared_version,
        scale,
        sections,
        access,
    };
    Ok(Imported {
        survey,
        indicators,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_spellings_old_and_new() {
        assert!(matches!(
            row_type("select_one yes_no").expect("valid"),
            RowType::Select {
                multiple: false,
                other: false,
                ..
            }
        ));
        assert!(matches!(
            row_type("select one from sexes or specify other").expect("valid"),
            RowType::Select {
                multiple: false,
                other: true,
                ..
            }
        ));
        assert!(matches!(
            row_type("select all that apply from toilet_type or specify other").expect("valid"),
            RowType::Select {
                multiple: true,
                other: true,
                ..
            }
        ));
        assert!(matches!(
            row_type("select_multiple c or_other").expect("valid"),
            RowType::Select {
                multiple: true,
                other: true,
                ..
            }
        ));
        assert!(matches!(
            row_type("rank r").expect("valid"),
            RowType::Rank(_)
        ));
        assert!(matches!(
            row_type("end_group").expect("valid"),
            RowType::EndGroup
        ));
        assert!(row_type("begin loop over toilet_type")
            .expect_err("refused")
            .contains("repeats"));
        assert!(row_type("select_one_external c1")
            .expect_err("refused")
            .contains("external"));
        assert!(row_type("osm c1")
            .expect_err("refused")
            .contains("OpenStreetMap"));
        assert!(row_type("geopoint")
            .expect_err("refused")
            .contains("location"));
    }

    #[test]
    fn languages_are_recognised() {
        assert_eq!(classify(Some("English (en)"), None), ColumnLang::En);
        assert_eq!(classify(Some("english"), None), ColumnLang::En);
        assert_eq!(classify(Some("EN"), None), ColumnLang::En);
        assert_eq!(classify(Some("中文 (zh)"), None), ColumnLang::Zh);
        assert_eq!(classify(Some("chinese"), None), ColumnLang::Zh);
        assert_eq!(classify(Some("French (fr)"), None), ColumnLang::Other);
        assert_eq!(classify(None, None), ColumnLang::Default);
    }
}
