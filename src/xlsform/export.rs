//! Chorus questionnaire → XLSForm workbook (survey, choices, settings sheets) that
//! KoboToolbox/ODK read and that imports back into an identical definition. Pages become
//! field-list groups, a Likert matrix a table-list group; Chorus-only facts (indicator,
//! bounds, attribute, …) go in extra columns other tools ignore.

use rust_xlsxwriter::{Format, Workbook, XlsxError};

use crate::domain::SectionItem;
use crate::domain::{Choice, Question, QuestionKind, Survey};

const ZH: &str = "中文 (zh)";
const EN: &str = "English (en)";

const SURVEY_COLS: [&str; 27] = [
    "type",
    "name",
    "label",
    "label_en",
    "hint",
    "hint_en",
    "required",
    "required_message",
    "relevant",
    "constraint",
    "constraint_message",
    "appearance",
    "default",
    "parameters",
    "indicator",
    "reverse",
    "of",
    "expect",
    "min",
    "max",
    "min_selected",
    "max_selected",
    "min_label",
    "max_label",
    "max_length",
    "attribute",
    "in_report",
];

fn header(col: &str) -> String {
    match col {
        "label" | "hint" | "required_message" | "constraint_message" => format!("{col}::{ZH}"),
        "label_en" => format!("label::{EN}"),
        "hint_en" => format!("hint::{EN}"),
        other => other.to_string(),
    }
}

type Row = Vec<(&'static str, String)>;

fn set(row: &mut Row, col: &'static str, v: impl Into<String>) {
    let v = v.into();
    if !v.is_empty() {
        row.push((col, v));
    }
}

fn list_row(list: &str, c: &Choice) -> Vec<String> {
    vec![
        list.to_string(),
        c.code.clone(),
        c.label.clone(),
        c.label_en.clone().unwrap_or_default(),
    ]
}

/// The `type` of a question row, with the columns its kind sets and its choice list.
fn kind_columns(
    q: &Question,
    r: &mut Row,
    choices: &mut Vec<Vec<String>>,
    in_matrix: bool,
) -> String {
    let list = q.id.clone();
    let mut add_list = |items: &[Choice]| {
        for c in items {
            choices.push(list_row(&list, c));
        }
    };
    match &q.kind {
        QuestionKind::Single { choices: c, other } => {
            add_list(c);
            format!(
                "select_one {}{}",
                q.id,
                if *other { " or_other" } else { "" }
            )
        }
        QuestionKind::Multiple {
            choices: c,
            other,
            min,
            max,
        } => {
            add_list(c);
            set(
                r,
                "min_selected",
                min.map(|m| m.to_string()).unwrap_or_default(),
            );
            set(
                r,
                "max_selected",
                max.map(|m| m.to_string()).unwrap_or_default(),
            );
            format!(
                "select_multiple {}{}",
                q.id,
                if *other { " or_other" } else { "" }
            )
        }
        QuestionKind::Ranking { choices: c } => {
            add_list(c);
            format!("rank {}", q.id)
        }
        QuestionKind::Likert { indicator, reverse } => {
            set(r, "indicator", indicator.clone().unwrap_or_default());
            if *reverse {
                set(r, "reverse", "yes");
            }
            if !in_matrix {
                set(r, "appearance", "likert");
            }
            "select_one likert".to_string()
        }
        QuestionKind::Importance { of } => {
            set(r, "of", of.clone());
            set(r, "appearance", "likert");
            "select_one likert".to_string()
        }
        QuestionKind::Attention { expect } => {
            set(r, "expect", expect.to_string());
            if !in_matrix {
                set(r, "appearance", "likert");
            }
            "select_one likert".to_string()
        }
        QuestionKind::Rating {
            min,
            max,
            min_label,
            max_label,
        } => {
            set(r, "parameters", format!("start={min} end={max} step=1"));
            set(r, "min_label", min_label.clone().unwrap_or_default());
            set(r, "max_label", max_label.clone().unwrap_or_default());
            "range".to_string()
        }
        QuestionKind::Integer { min, max } => {
            if *min != i64::MIN {
                set(r, "min", min.to_string());
            }
            if *max != i64::MAX {
                set(r, "max", max.to_string());
            }
            "integer".to_string()
        }
        QuestionKind::Decimal { min, max } => {
            set(r, "min", min.map(|m| m.to_string()).unwrap_or_default());
            set(r, "max", max.map(|m| m.to_string()).unwrap_or_default());
            "decimal".to_string()
        }
        QuestionKind::Text {
            max_length,
            multiline,
            in_report,
        } => {
            set(r, "max_length", max_length.to_string());
            if *multiline {
                set(r, "appearance", "multiline");
            }
            if *in_report {
                set(r, "in_report", "yes");
            }
            "text".to_string()
        }
        QuestionKind::Date { min, max } => {
            set(r, "min", min.clone().unwrap_or_default());
            set(r, "max", max.clone().unwrap_or_default());
            "date".to_string()
        }
        QuestionKind::Note => "note".to_string(),
    }
}

fn question_row(q: &Question, choices: &mut Vec<Vec<String>>, in_matrix: bool) -> Row {
    let mut r: Row = Vec::new();
    let ty = kind_columns(q, &mut r, choices, in_matrix);
    set(&mut r, "type", ty);
    set(&mut r, "name", q.id.clone());
    set(&mut r, "label", q.text.clone());
    set(&mut r, "label_en", q.text_en.clone().unwrap_or_default());
    set(&mut r, "hint", q.hint.clone().unwrap_or_default());
    set(&mut r, "hint_en", q.hint_en.clone().unwrap_or_default());
    if !matches!(q.kind, QuestionKind::Note) {
        match &q.required_if {
            Some(e) => set(&mut r, "required", e.source()),
            None => set(&mut r, "required", if q.required { "yes" } else { "no" }),
        }
    }
    set(
        &mut r,
        "required_message",
        q.required_message.clone().unwrap_or_default(),
    );
    if !in_matrix {
        set(
            &mut r,
            "relevant",
            q.relevant.as_ref().map_or("", |e| e.source()),
        );
    }
    set(
        &mut r,
        "constraint",
        q.constraint.as_ref().map_or("", |e| e.source()),
    );
    set(
        &mut r,
        "constraint_message",
        q.constraint_message.clone().unwrap_or_default(),
    );
    set(&mut r, "default", q.default.clone().unwrap_or_default());
    set(&mut r, "attribute", q.attribute.clone().unwrap_or_default());
    r
}

/// The XLSForm workbook for `survey`.
pub fn to_xlsx(survey: &Survey) -> Result<Vec<u8>, XlsxError> {
    let (rows, choices) = survey_rows(survey);
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    write_survey_sheet(&mut wb, &bold, &rows)?;
    write_choices_sheet(&mut wb, &bold, &choices)?;
    write_settings_sheet(&mut wb, &bold, &settings(survey))?;
    wb.save_to_buffer()
}

/// The rows of the survey sheet (a group per page, a `table-list` group per Likert
/// matrix) and of the choices sheet.
fn survey_rows(survey: &Survey) -> (Vec<Row>, Vec<Vec<String>>) {
    let mut rows: Vec<Row> = Vec::new();
    let mut choices: Vec<Vec<String>> = Vec::new();
    for (k, s) in survey.sections.iter().enumerate() {
        let mut begin: Row = Vec::new();
        set(&mut begin, "type", "begin group");
        set(&mut begin, "name", format!("page_{}", k + 1));
        set(&mut begin, "label", s.title.clone());
        set(
            &mut begin,
            "label_en",
            s.title_en.clone().unwrap_or_default(),
        );
        set(&mut begin, "appearance", "field-list");
        set(
            &mut begin,
            "relevant",
            s.relevant.as_ref().map_or("", |e| e.source()),
        );
        rows.push(begin);
        for item in s.items() {
            if let SectionItem::Matrix(m, members) = item {
                let q = members[0];
                let mut g: Row = Vec::new();
                set(&mut g, "type", "begin group");
                set(&mut g, "name", m.id.clone());
                set(&mut g, "label", m.text.clone());
                set(&mut g, "label_en", m.text_en.clone().unwrap_or_default());
                set(&mut g, "appearance", "table-list");
                set(
                    &mut g,
                    "relevant",
                    q.relevant.as_ref().map_or("", |e| e.source()),
                );
                rows.push(g);
                for member in &members {
                    rows.push(question_row(member, &mut choices, true));
                }
                rows.push(vec![("type", "end group".to_string())]);
            } else if let SectionItem::Single(q) = item {
                rows.push(question_row(q, &mut choices, false));
            }
        }
        rows.push(vec![("type", "end group".to_string())]);
    }
    // The shared Likert scale, always written so the scale survives a round trip.
    for (i, label) in survey.scale.labels.iter().enumerate() {
        choices.push(vec![
            "likert".into(),
            (i + 1).to_string(),
            label.clone(),
            survey
                .scale
                .labels_en
                .as_ref()
                .and_then(|l| l.get(i).cloned())
                .unwrap_or_default(),
        ]);
    }

    (rows, choices)
}

fn write_survey_sheet(wb: &mut Workbook, bold: &Format, rows: &[Row]) -> Result<(), XlsxError> {
    let ws = wb.add_worksheet();
    ws.set_name("survey")?;
    for (c, col) in SURVEY_COLS.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, header(col), bold)?;
    }
    for (r, row) in rows.iter().enumerate() {
        for (col, v) in row {
            let c = SURVEY_COLS.iter().position(|x| x == col).unwrap_or(0);
            ws.write_string(r as u32 + 1, c as u16, v)?;
        }
    }
    Ok(())
}

fn write_choices_sheet(
    wb: &mut Workbook,
    bold: &Format,
    choices: &[Vec<String>],
) -> Result<(), XlsxError> {
    let ws = wb.add_worksheet();
    ws.set_name("choices")?;
    for (c, h) in [
        "list_name",
        "name",
        &format!("label::{ZH}"),
        &format!("label::{EN}"),
    ]
    .iter()
    .enumerate()
    {
        ws.write_string_with_format(0, c as u16, *h, bold)?;
    }
    for (r, row) in choices.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            if !v.is_empty() {
                ws.write_string(r as u32 + 1, c as u16, v)?;
            }
        }
    }
    Ok(())
}

/// The settings sheet's columns and values.
fn settings(survey: &Survey) -> Vec<(&'static str, String)> {
    vec![
        ("form_title", survey.title.clone()),
        ("form_id", survey.slug.clone()),
        ("default_language", ZH.to_string()),
        (
            "version",
            survey
                .declared_version
                .map(|v| v.to_string())
                .unwrap_or_default(),
        ),
        (
            "chorus_version",
            survey
                .declared_version
                .map(|v| v.to_string())
                .unwrap_or_default(),
        ),
        ("title_en", survey.title_en.clone().unwrap_or_default()),
        ("intro", survey.intro.clone()),
        ("intro_en", survey.intro_en.clone().unwrap_or_default()),
        ("likert_list", "likert".to_string()),
        ("audience", survey.audience.as_str().to_string()),
        (
            "anonymous",
            if survey.access.anonymous {
                "yes".into()
            } else {
                String::new()
            },
        ),
        (
            "opens",
            survey
                .access
                .opens
                .map(|t| t.to_rfc3339())
                .unwrap_or_default(),
        ),
        (
            "closes",
            survey
                .access
                .closes
                .map(|t| t.to_rfc3339())
                .unwrap_or_default(),
        ),
        (
            "max_responses",
            survey
                .access
                .max_responses
                .map(|m| m.to_string())
                .unwrap_or_default(),
        ),
        (
            "quotas",
            survey
                .access
                .quotas
                .iter()
                .map(|q| format!("{}={}:{}", q.attribute, q.value, q.max))
                .collect::<Vec<_>>()
                .join("; "),
        ),
    ]
}

fn write_settings_sheet(
    wb: &mut Workbook,
    bold: &Format,
    settings: &[(&'static str, String)],
) -> Result<(), XlsxError> {
    let ws = wb.add_worksheet();
    ws.set_name("settings")?;
    for (c, (k, v)) in settings.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *k, bold)?;
        if !v.is_empty() {
            ws.write_string(1, c as u16, v)?;
        }
    }
    Ok(())
}
