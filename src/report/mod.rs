//! The investigation report: a document of blocks built from the analysis
//! (`view`, `narrative`), then one writer per format.

mod chapters;
pub mod columns;
pub mod document;
pub mod docx;
pub mod docx_toc;
pub mod html;
pub mod narrative;
pub mod pdf;
pub mod questions;
pub mod view;
pub mod xlsx;

use std::str::FromStr;

pub use document::Document;
pub use narrative::Lang;
pub use view::ReportInput;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Html,
    Docx,
    Pdf,
    Xlsx,
}

impl Format {
    pub const ALL: [Format; 4] = [Format::Html, Format::Docx, Format::Pdf, Format::Xlsx];

    pub fn extension(self) -> &'static str {
        match self {
            Format::Html => "html",
            Format::Docx => "docx",
            Format::Pdf => "pdf",
            Format::Xlsx => "xlsx",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Html => "text/html; charset=utf-8",
            Format::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            Format::Pdf => "application/pdf",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Format::ALL
            .into_iter()
            .find(|f| f.extension() == s)
            .ok_or_else(|| format!("unknown report format {s:?}; use html, docx, pdf or xlsx"))
    }
}

/// Most responses written into the report's spreadsheet; more are left to the CSV export.
pub const RAW_SHEET_LIMIT: u64 = 50_000;

/// Extra material for the spreadsheet: raw responses and the codebook.
#[derive(Default)]
pub struct RawData {
    pub responses_header: Vec<String>,
    pub responses: Vec<Vec<crate::export::Value>>,
    pub codebook: Vec<Vec<String>>,
    /// When the responses were too many for the report's spreadsheet: how many there
    /// are (the sheet then says where to download them instead).
    pub omitted: Option<u64>,
    /// Positions of the free-text answers in `responses`, and the campaign's names to
    /// redact from them for anyone but an admin.
    pub text_columns: Vec<usize>,
    pub redact: crate::domain::text::RedactList,
}

impl RawData {
    /// The same data with personal information removed from the free-text answers.
    pub fn redacted(&self) -> RawData {
        let r = crate::analysis::text::redact::Redactor::new(&self.redact);
        let responses = self
            .responses
            .iter()
            .map(|row| {
                let mut row = row.clone();
                for c in &self.text_columns {
                    if let Some(crate::export::Value::Text(t)) = row.get_mut(*c) {
                        *t = r.redact(t);
                    }
                }
                row
            })
            .collect();
        RawData {
            responses_header: self.responses_header.clone(),
            responses,
            codebook: self.codebook.clone(),
            omitted: self.omitted,
            text_columns: self.text_columns.clone(),
            redact: self.redact.clone(),
        }
    }
}

/// Writes the document in one format.
///
/// With `CHORUS_REPORT_DEBUG=<folder>`, the document (as JSON) and the PDF's Typst
/// source are written to that folder too, to see exactly what a writer was given.
pub fn render(doc: &Document, format: Format, raw: Option<&RawData>) -> anyhow::Result<Vec<u8>> {
    if let Some(dir) = std::env::var_os("CHORUS_REPORT_DEBUG") {
        std::fs::create_dir_all(&dir)?;
        std::fs::write(
            std::path::Path::new(&dir).join("document.json"),
            serde_json::to_vec_pretty(doc)?,
        )?;
    }
    Ok(match format {
        Format::Html => html::render(doc)?.into_bytes(),
        Format::Docx => docx::render(doc)?,
        Format::Pdf => pdf::render(doc)?,
        Format::Xlsx => xlsx::render(doc, raw)?,
    })
}
