//! The choices sheet: one list of coded choices per `list_name`, with their labels.

use std::collections::HashMap;

use super::columns::{lang_cols, media_columns};
use crate::domain::Choice;
use crate::xlsform::sheet::Table;
use crate::xlsform::XlsProblem;

pub(super) struct Lists {
    pub(super) lists: HashMap<String, Vec<Choice>>,
}

pub(super) fn read_choices(
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
    let media = media_columns(t);
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
