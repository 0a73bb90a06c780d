//! Reading an XLSForm workbook into plain text tables: case-insensitive sheet and column
//! names, `label::Language (code)` and the older `label:Language` headers, numbers as
//! written (`1.0` back to `1`), Excel row numbers kept for error messages.

use std::io::Cursor;

use calamine::{open_workbook_auto_from_rs, Data, Reader};

use super::XlsProblem;

/// A column header: its base name (lower case, spaces as `_`) and optional language.
#[derive(Debug, Clone)]
pub struct Header {
    pub base: String,
    pub lang: Option<String>,
    /// As written, for messages.
    pub raw: String,
    pub letter: String,
}

#[derive(Debug, Clone)]
pub struct Row {
    /// The Excel row number (1-based).
    pub number: u32,
    pub cells: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Table {
    pub name: String,
    pub headers: Vec<Header>,
    pub rows: Vec<Row>,
}

impl Table {
    pub fn col(&self, base: &str) -> Option<usize> {
        self.headers
            .iter()
            .position(|h| h.base == base && h.lang.is_none())
    }

    /// Columns `base` and `base::<lang>`, with their languages.
    pub fn lang_cols(&self, base: &str) -> Vec<(usize, Option<String>)> {
        self.headers
            .iter()
            .enumerate()
            .filter(|(_, h)| h.base == base)
            .map(|(i, h)| (i, h.lang.clone()))
            .collect()
    }

    /// The cell, trimmed.
    pub fn get<'a>(&self, row: &'a Row, col: Option<usize>) -> &'a str {
        self.raw(row, col).trim()
    }

    /// The cell as written (multi-line texts keep their line breaks and spacing).
    pub fn raw<'a>(&self, row: &'a Row, col: Option<usize>) -> &'a str {
        col.and_then(|c| row.cells.get(c))
            .map_or("", |s| s.as_str())
    }

    pub fn problem(&self, row: &Row, col: Option<usize>, message: impl Into<String>) -> XlsProblem {
        XlsProblem {
            sheet: self.name.clone(),
            row: Some(row.number),
            column: col
                .and_then(|c| self.headers.get(c))
                .map(|h| format!("{} ({})", h.letter, h.raw)),
            message: message.into(),
        }
    }
}

pub fn column_letter(mut i: usize) -> String {
    let mut s = String::new();
    loop {
        s.insert(0, char::from(b'A' + (i % 26) as u8));
        if i < 26 {
            break;
        }
        i = i / 26 - 1;
    }
    s
}

fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty | Data::Error(_) => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(n) => n.to_string(),
        Data::Float(x) if x.fract() == 0.0 && x.abs() < 1e15 => format!("{}", *x as i64),
        Data::Float(x) => x.to_string(),
        Data::Bool(b) => if *b { "true" } else { "false" }.to_string(),
        Data::DateTime(dt) => {
            // Excel serial days since 1899-12-30.
            let days = dt.as_f64().floor() as i64;
            chrono::NaiveDate::from_ymd_opt(1899, 12, 30)
                .and_then(|d| d.checked_add_signed(chrono::Duration::days(days)))
                .map(|d| d.to_string())
                .unwrap_or_default()
        }
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.chars().take(10).collect(),
    }
}

fn header(raw: &str, index: usize) -> Header {
    let trimmed = raw.trim();
    let (base, lang) = match trimmed.split_once("::") {
        Some((b, l)) => (b, Some(l.trim().to_string())),
        None => match trimmed.split_once(':') {
            Some((b, l)) => (b, Some(l.trim().to_string())),
            None => (trimmed, None),
        },
    };
    Header {
        base: base.trim().to_lowercase().replace([' ', '-'], "_"),
        lang: lang.filter(|l| !l.is_empty()),
        raw: trimmed.to_string(),
        letter: column_letter(index),
    }
}

/// Every sheet of the workbook as a table keyed by lower-case sheet name.
pub fn read(bytes: &[u8]) -> Result<Vec<(String, Table)>, XlsProblem> {
    let mut wb = open_workbook_auto_from_rs(Cursor::new(bytes)).map_err(|e| XlsProblem {
        sheet: "-".into(),
        row: None,
        column: None,
        message: format!("not a readable spreadsheet (.xlsx, .xls or .ods): {e}"),
    })?;
    let names: Vec<String> = wb.sheet_names().to_vec();
    let mut out = Vec::new();
    for name in names {
        let Ok(range) = wb.worksheet_range(&name) else {
            continue;
        };
        let (row0, col0) = range.start().unwrap_or((0, 0));
        let mut rows = range.rows();
        // The header is the first non-empty row.
        let mut headers = Vec::new();
        let mut header_row = row0;
        for (i, r) in rows.by_ref().enumerate() {
            if r.iter().any(|c| !cell_text(c).trim().is_empty()) {
                headers = r
                    .iter()
                    .enumerate()
                    .map(|(j, c)| header(cell_text(c).trim(), col0 as usize + j))
                    .collect();
                header_row = row0 + i as u32;
                break;
            }
        }
        // Drop trailing unnamed columns (formatting-only columns are common).
        let width = headers
            .iter()
            .rposition(|h| !h.raw.is_empty())
            .map_or(0, |i| i + 1);
        headers.truncate(width);
        let mut table_rows = Vec::new();
        for (i, r) in rows.enumerate() {
            let cells: Vec<String> = r.iter().take(width).map(cell_text).collect();
            if cells.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            table_rows.push(Row {
                number: header_row + 2 + i as u32,
                cells,
            });
        }
        out.push((
            name.to_lowercase(),
            Table {
                name,
                headers,
                rows: table_rows,
            },
        ));
    }
    Ok(out)
}
