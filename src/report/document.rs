//! The report as an ordered list of blocks with every number already formatted. All
//! writers (HTML, DOCX, PDF, XLSX) render the same blocks.

use serde::Serialize;

use crate::charts::Rendered;

#[derive(Debug, Default, Serialize)]
pub struct Document {
    pub title: String,
    pub subtitle: String,
    pub organisations: String,
    pub date: String,
    pub blocks: Vec<Block>,
    #[serde(skip)]
    pub figures: Vec<Figure>,
}

#[derive(Debug, Serialize)]
pub enum Block {
    Heading {
        level: u8,
        id: String,
        text: String,
    },
    Paragraph(String),
    /// A numbered list of sentences (problems, recommendations).
    List(Vec<String>),
    Table(Table),
    /// Index into `Document::figures`.
    Figure(usize),
}

#[derive(Debug, Clone, Serialize)]
pub struct Table {
    /// Unique, short; used as the XLSX sheet name and the HTML id.
    pub id: String,
    pub caption: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Cell {
    pub text: String,
    /// A secondary line (n and CI) shown in smaller type.
    pub detail: Option<String>,
    /// The raw number, for spreadsheets.
    pub number: Option<f64>,
    pub emphasis: bool,
    pub suppressed: bool,
}

impl Cell {
    pub fn text(t: impl Into<String>) -> Self {
        Cell {
            text: t.into(),
            detail: None,
            number: None,
            emphasis: false,
            suppressed: false,
        }
    }

    pub fn number(v: f64, decimals: usize) -> Self {
        Cell {
            text: format!("{v:.decimals$}"),
            detail: None,
            number: Some(v),
            emphasis: false,
            suppressed: false,
        }
    }

    pub fn strong(mut self) -> Self {
        self.emphasis = true;
        self
    }
}

#[derive(Debug)]
pub struct Figure {
    pub id: String,
    pub caption: String,
    pub chart: Rendered,
}

impl Document {
    pub fn tables(&self) -> impl Iterator<Item = &Table> {
        self.blocks.iter().filter_map(|b| match b {
            Block::Table(t) => Some(t),
            _ => None,
        })
    }

    pub fn headings(&self) -> impl Iterator<Item = (u8, &str)> {
        self.blocks.iter().filter_map(|b| match b {
            Block::Heading { level, text, .. } => Some((*level, text.as_str())),
            _ => None,
        })
    }
}
