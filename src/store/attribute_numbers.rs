//! Numbers the distinct attributes texts of one analysis read, on the reading thread.
//!
//! A campaign's rows share a few hundred attributes texts (school, sector, grade ...).
//! Looking each row's text up by hash was ~6 % of the analysis read at a million rows,
//! all of it on the thread that builds the frames, which bounds the read; the reading
//! thread had time to spare. So the reader numbers the texts (in order of first
//! appearance) and hands each row its number, with the text only on the first row of
//! each number; a consumer keeps what it decided per number ([`AttributeTexts`]).

use polars::prelude::PlHashMap;

use super::responses::AnalysisRow;

/// Distinct texts numbered per read: more would be attributes unique to respondents,
/// which then come as text on every row, unnumbered.
pub const MAX_NUMBERED: usize = 50_000;

/// The numbers given so far in one read.
#[derive(Default)]
pub struct AttributeNumbers {
    numbers: PlHashMap<Box<[u8]>, u32>,
}

/// What the reader puts in a row for its attributes text.
#[derive(Debug, PartialEq, Eq)]
pub enum Numbered {
    /// Seen on an earlier row: the number only.
    Seen(u32),
    /// First seen on this row: the number and the text.
    New(u32),
    /// Not numbered (too many distinct texts): the text only.
    Unnumbered,
}

impl AttributeNumbers {
    /// The number of `text` in this read.
    pub fn number(&mut self, text: &[u8]) -> Numbered {
        if let Some(&n) = self.numbers.get(text) {
            return Numbered::Seen(n);
        }
        if self.numbers.len() >= MAX_NUMBERED {
            return Numbered::Unnumbered;
        }
        let n = self.numbers.len() as u32;
        self.numbers.insert(text.into(), n);
        Numbered::New(n)
    }

    /// Sets `row`'s attributes from the stored `text` (None when NULL): its number,
    /// and the text when the row is the first of its number or unnumbered. `text` is
    /// checked to be UTF-8 only then.
    pub fn fill(
        &mut self,
        text: Option<&[u8]>,
        row: &mut AnalysisRow,
    ) -> Result<(), std::str::Utf8Error> {
        let text = text.unwrap_or_default();
        row.attributes.clear();
        let with_text = match self.number(text) {
            Numbered::Seen(n) => {
                row.attributes_no = Some(n);
                false
            }
            Numbered::New(n) => {
                row.attributes_no = Some(n);
                true
            }
            Numbered::Unnumbered => {
                row.attributes_no = None;
                true
            }
        };
        if with_text {
            row.attributes.push_str(std::str::from_utf8(text)?);
        }
        Ok(())
    }
}

/// The attributes texts of one read by number, as a consumer sees the rows.
#[derive(Default)]
pub struct AttributeTexts {
    texts: Vec<String>,
}

impl AttributeTexts {
    /// `row`'s attributes text. Every row of the read must pass through here in order
    /// (also those the consumer then skips), since a number's text comes only once.
    pub fn of<'r>(&'r mut self, row: &'r AnalysisRow) -> &'r str {
        let Some(n) = row.attributes_no else {
            return &row.attributes;
        };
        let n = n as usize;
        if n == self.texts.len() {
            self.texts.push(row.attributes.clone());
        }
        self.texts.get(n).map_or("", String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::responses::StoredAnswers;

    fn row() -> AnalysisRow {
        AnalysisRow {
            id: uuid::Uuid::nil(),
            survey_version_id: 1,
            submitted_at: chrono::DateTime::<chrono::Utc>::MIN_UTC,
            attributes: "stale".into(),
            attributes_no: None,
            answers: StoredAnswers::Json(String::new()),
            duration_s: None,
            client_hash: None,
            duplicate: false,
        }
    }

    // Texts are numbered in order of first appearance; a repeat carries its number
    // only, and a consumer reading every row gets each row's own text back.
    #[test]
    fn repeated_texts_come_as_numbers_and_read_back_whole() {
        let stored = [
            r#"{"school":"a"}"#,
            r#"{"school":"b"}"#,
            r#"{"school":"a"}"#,
            "",
            r#"{"school":"b"}"#,
            "",
        ];
        let mut numbers = AttributeNumbers::default();
        let mut texts = AttributeTexts::default();
        let mut seen = Vec::new();
        for text in stored {
            let mut r = row();
            numbers.fill(Some(text.as_bytes()), &mut r).expect("utf-8");
            seen.push((r.attributes_no, r.attributes.clone()));
            assert_eq!(texts.of(&r), text);
        }
        assert_eq!(
            seen,
            [
                (Some(0), stored[0].to_string()),
                (Some(1), stored[1].to_string()),
                (Some(0), String::new()),
                (Some(2), String::new()),
                (Some(1), String::new()),
                (Some(2), String::new()),
            ]
        );
        // NULL reads as the empty text.
        let mut r = row();
        numbers.fill(None, &mut r).expect("null");
        assert_eq!(r.attributes_no, Some(2));
    }

    // Past the limit, new texts come whole on every row, and invalid UTF-8 is an
    // error when the text is read.
    #[test]
    fn past_the_limit_texts_come_unnumbered() {
        let mut numbers = AttributeNumbers::default();
        for i in 0..MAX_NUMBERED {
            assert_eq!(
                numbers.number(i.to_string().as_bytes()),
                Numbered::New(i as u32)
            );
        }
        assert_eq!(numbers.number(b"7"), Numbered::Seen(7));
        let mut r = row();
        numbers.fill(Some(b"new"), &mut r).expect("utf-8");
        assert_eq!((r.attributes_no, r.attributes.as_str()), (None, "new"));
        let mut texts = AttributeTexts::default();
        assert_eq!(texts.of(&r), "new");
        let mut fresh = AttributeNumbers::default();
        assert!(fresh.fill(Some(&[0xff, 0xfe]), &mut row()).is_err());
    }
}
