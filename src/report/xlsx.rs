//! Excel writer: every table of the report as its own sheet, plus the raw responses and
//! a codebook. Text is always written as text (never as a formula), and text that a
//! spreadsheet could take for a formula is prefixed, as in the CSV export.

use std::collections::HashSet;

use rust_xlsxwriter::{Format, Workbook, Worksheet};

use super::document::{Document, Table};
use super::RawData;
use crate::export::{neutralise, Value};

/// Excel sheet names: ≤ 31 characters, none of []:*?/\ , unique.
fn sheet_name(raw: &str, used: &mut HashSet<String>) -> String {
    let cleaned: String = raw.chars().filter(|c| !"[]:*?/\\".contains(*c)).collect();
    let base: String = cleaned.chars().take(28).collect();
    let mut name = base.clone();
    let mut k = 2;
    while !used.insert(name.to_lowercase()) {
        name = format!("{base}~{k}");
        k += 1;
    }
    name
}

fn write_text(
    ws: &mut Worksheet,
    row: u32,
    col: u16,
    text: &str,
    fmt: Option<&Format>,
) -> Result<(), rust_xlsxwriter::XlsxError> {
    let safe = neutralise(text);
    match fmt {
        Some(f) => ws.write_string_with_format(row, col, &safe, f)?,
        None => ws.write_string(row, col, &safe)?,
    };
    Ok(())
}

/// One table on a sheet of its own: caption, header, rows (numbers as numbers, hidden
/// cells as their reason), note.
fn write_table(
    wb: &mut Workbook,
    t: &Table,
    used: &mut HashSet<String>,
    bold: &Format,
) -> Result<(), rust_xlsxwriter::XlsxError> {
    let ws = wb.add_worksheet();
    ws.set_name(sheet_name(&t.id, used))?;
    write_text(ws, 0, 0, &t.caption, Some(bold))?;
    for (c, h) in t.header.iter().enumerate() {
        write_text(ws, 1, c as u16, h, Some(bold))?;
    }
    for (r, row) in t.rows.iter().enumerate() {
        let r = r as u32 + 2;
        for (c, cell) in row.iter().enumerate() {
            match cell.number {
                Some(v) if !cell.suppressed => {
                    ws.write_number(r, c as u16, v)?;
                }
                _ => write_text(ws, r, c as u16, &cell.text, None)?,
            }
        }
    }
    if let Some(n) = &t.note {
        write_text(ws, t.rows.len() as u32 + 3, 0, &format!("注：{n}"), None)?;
    }
    ws.set_column_width(0, 18)?;
    ws.set_column_width(1, 28)?;
    Ok(())
}

/// A workbook of `tables` alone, after a cover sheet of `cover` lines (a workspace
/// table's download).
pub fn tables(cover: &[String], tables: &[Table]) -> anyhow::Result<Vec<u8>> {
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold().set_background_color("F0F3F6");
    let mut used = HashSet::new();
    {
        let ws = wb.add_worksheet();
        ws.set_name(sheet_name("说明", &mut used))?;
        for (r, line) in (0u32..).zip(cover) {
            write_text(ws, r, 0, line, (r == 0).then_some(&bold))?;
        }
        ws.set_column_width(0, 80)?;
    }
    for t in tables {
        write_table(&mut wb, t, &mut used, &bold)?;
    }
    Ok(wb.save_to_buffer()?)
}

pub fn render(doc: &Document, raw: Option<&RawData>) -> anyhow::Result<Vec<u8>> {
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold().set_background_color("F0F3F6");
    let mut used = HashSet::new();
    {
        let ws = wb.add_worksheet();
        ws.set_name(sheet_name("封面", &mut used))?;
        write_text(ws, 0, 0, &doc.title, Some(&bold))?;
        write_text(ws, 1, 0, &doc.subtitle, None)?;
        write_text(ws, 2, 0, &doc.organisations, None)?;
        write_text(ws, 3, 0, &doc.date, None)?;
        for (r, t) in (5u32..).zip(doc.tables()) {
            write_text(ws, r, 0, &t.id, None)?;
            write_text(ws, r, 1, &t.caption, None)?;
        }
        ws.set_column_width(0, 24)?;
        ws.set_column_width(1, 60)?;
    }
    for t in doc.tables() {
        write_table(&mut wb, t, &mut used, &bold)?;
    }
    if let Some(raw) = raw {
        let ws = wb.add_worksheet();
        ws.set_name(sheet_name("responses", &mut used))?;
        for (c, h) in raw.responses_header.iter().enumerate() {
            write_text(ws, 0, c as u16, h, Some(&bold))?;
        }
        if let Some(n) = raw.omitted {
            write_text(
                ws,
                1,
                0,
                &format!(
                    "共 {n} 份答卷，超过报告表格的上限（{} 份），请通过“原始数据 CSV”下载全部答卷（/api/v1/campaigns/<campaign>/responses.csv）。 {n} responses: more than this workbook holds ({}); download them all as CSV.",
                    super::RAW_SHEET_LIMIT,
                    super::RAW_SHEET_LIMIT
                ),
                None,
            )?;
        }
        for (r, row) in raw.responses.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                match v {
                    Value::Number(n) => {
                        ws.write_number(r as u32 + 1, c as u16, *n as f64)?;
                    }
                    Value::Decimal(x) => {
                        ws.write_number(r as u32 + 1, c as u16, *x)?;
                    }
                    Value::Text(t) => write_text(ws, r as u32 + 1, c as u16, t, None)?,
                }
            }
        }
        let ws = wb.add_worksheet();
        ws.set_name(sheet_name("codebook", &mut used))?;
        for (c, h) in [
            "questionnaire",
            "question_id",
            "text",
            "type",
            "choices",
            "indicator",
            "reverse",
        ]
        .iter()
        .enumerate()
        {
            write_text(ws, 0, c as u16, h, Some(&bold))?;
        }
        for (r, row) in raw.codebook.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                write_text(ws, r as u32 + 1, c as u16, v, None)?;
            }
        }
    }
    Ok(wb.save_to_buffer()?)
}
