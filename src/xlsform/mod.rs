//! XLSForm, the spreadsheet questionnaire standard that KoboToolbox, ODK, SurveyCTO and
//! Ona read: import into a Chorus questionnaire (refusing what Chorus cannot honour, with
//! sheet, row and column named) and export back.

mod export;
mod import;
mod sheet;

use std::fmt;

pub use export::to_xlsx;
pub use import::{import, Imported};

/// One problem in a spreadsheet, at a sheet, 1-based row and (when known) a column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XlsProblem {
    pub sheet: String,
    pub row: Option<u32>,
    pub column: Option<String>,
    pub message: String,
}

impl fmt::Display for XlsProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sheet {}", self.sheet)?;
        if let Some(r) = self.row {
            write!(f, ", row {r}")?;
        }
        if let Some(c) = &self.column {
            write!(f, ", column {c}")?;
        }
        write!(f, ": {}", self.message)
    }
}
