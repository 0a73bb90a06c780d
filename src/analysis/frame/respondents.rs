//! The respondents of a set of frames: each one's group and breakdown values, kept as
//! the number of the value rather than the text (a million respondents' six columns
//! took 96 MB as polars string views, 24 MB as numbers), which is also what every
//! reader of them wants (a cell table numbers the values anyway).

use std::sync::Arc;

use polars::prelude::{polars_bail, PolarsResult};

/// Marks a row without a value.
pub const NO_VALUE: u32 = u32::MAX;

/// A column of values repeated over many rows, each row holding its value's number.
#[derive(Clone, Debug, Default)]
pub struct CodedStrings {
    /// The distinct values (shared by the columns taken from this one).
    values: Arc<[String]>,
    /// Each row's index into `values`, [`NO_VALUE`] for none.
    codes: Vec<u32>,
}

impl CodedStrings {
    /// Rows whose values are `values[codes[r]]` ([`NO_VALUE`]: none).
    pub fn new(values: Vec<String>, codes: Vec<u32>) -> Self {
        CodedStrings {
            values: values.into(),
            codes,
        }
    }

    /// The column of the values given row by row.
    pub fn from_rows<'a>(rows: impl IntoIterator<Item = Option<&'a str>>) -> Self {
        let mut values: Vec<String> = Vec::new();
        let codes = rows
            .into_iter()
            .map(|v| match v {
                Some(v) => match values.iter().position(|x| x == v) {
                    Some(c) => c as u32,
                    None => {
                        values.push(v.to_string());
                        (values.len() - 1) as u32
                    }
                },
                None => NO_VALUE,
            })
            .collect();
        Self::new(values, codes)
    }

    pub fn len(&self) -> usize {
        self.codes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }

    /// Row `r`'s value, if any.
    pub fn get(&self, r: usize) -> Option<&str> {
        let c = *self.codes.get(r)?;
        self.values.get(c as usize).map(String::as_str)
    }

    /// Every row's value or none, in row order.
    pub fn iter(&self) -> impl Iterator<Item = Option<&str>> + '_ {
        self.codes
            .iter()
            .map(|c| self.values.get(*c as usize).map(String::as_str))
    }

    /// The distinct values in order of first appearance among the rows, and each
    /// row's index among them ([`NO_VALUE`] for none).
    pub fn dictionary(&self) -> (Vec<&str>, Vec<u32>) {
        let mut renumbered = vec![NO_VALUE; self.values.len()];
        let mut names: Vec<&str> = Vec::new();
        let codes = self
            .codes
            .iter()
            .map(|&c| {
                let Some(slot) = renumbered.get_mut(c as usize) else {
                    return NO_VALUE;
                };
                if *slot == NO_VALUE {
                    *slot = names.len() as u32;
                    names.push(&self.values[c as usize]);
                }
                *slot
            })
            .collect();
        (names, codes)
    }

    /// The rows `rows` (by index), in that order.
    pub fn take(&self, rows: &[u32]) -> Self {
        CodedStrings {
            values: self.values.clone(),
            codes: rows.iter().map(|&r| self.codes[r as usize]).collect(),
        }
    }
}

/// Equal when every row has the same value (whatever the numbering).
impl PartialEq for CodedStrings {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

/// Each respondent's group and value of each breakdown attribute.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Respondents {
    /// Each respondent's group (its `Audience` key).
    pub group: CodedStrings,
    /// The breakdown attributes, by name.
    attributes: Vec<(String, CodedStrings)>,
}

impl Respondents {
    /// Respondents of groups `group` with the breakdown `attributes` (each as long).
    pub fn new(group: CodedStrings, attributes: Vec<(String, CodedStrings)>) -> Self {
        Respondents { group, attributes }
    }

    /// Number of respondents.
    pub fn len(&self) -> usize {
        self.group.len()
    }

    pub fn is_empty(&self) -> bool {
        self.group.is_empty()
    }

    /// Breakdown attribute `name`'s values, if the respondents have that attribute.
    pub fn attribute(&self, name: &str) -> Option<&CodedStrings> {
        self.attributes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, c)| c)
    }

    /// Breakdown attribute `name`'s values; an error naming it when there is none.
    pub fn column(&self, name: &str) -> PolarsResult<&CodedStrings> {
        match self.attribute(name) {
            Some(c) => Ok(c),
            None => polars_bail!(ColumnNotFound: "no breakdown attribute {name}"),
        }
    }

    /// The respondents `rows` (by index), in that order.
    pub fn take(&self, rows: &[u32]) -> Self {
        Respondents {
            group: self.group.take(rows),
            attributes: self
                .attributes
                .iter()
                .map(|(n, c)| (n.clone(), c.take(rows)))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_column_reads_back_its_rows_and_numbers_them_by_first_appearance() {
        let rows = [Some("b"), None, Some("a"), Some("b"), Some("c")];
        let c = CodedStrings::from_rows(rows);
        assert_eq!(c.len(), 5);
        assert_eq!(c.iter().collect::<Vec<_>>(), rows.to_vec());
        assert_eq!((c.get(2), c.get(1), c.get(9)), (Some("a"), None, None));
        // Stored numbering: c, a, b (not the order of first appearance).
        let stored = CodedStrings::new(
            vec!["c".into(), "a".into(), "b".into()],
            vec![2, NO_VALUE, 1, 2, 0],
        );
        assert_eq!(stored, c);
        assert_eq!(
            stored.dictionary(),
            (vec!["b", "a", "c"], vec![0, NO_VALUE, 1, 0, 2])
        );
        // Taken rows keep their values; a value absent from them is not in their
        // dictionary.
        let taken = stored.take(&[4, 1, 0]);
        assert_eq!(
            taken.iter().collect::<Vec<_>>(),
            vec![Some("c"), None, Some("b")]
        );
        assert_eq!(taken.dictionary(), (vec!["c", "b"], vec![0, NO_VALUE, 1]));
    }

    #[test]
    fn respondents_name_their_attributes() {
        let r = Respondents::new(
            CodedStrings::from_rows([Some("students"), Some("teachers")]),
            vec![(
                "sector".into(),
                CodedStrings::from_rows([Some("herbs"), None]),
            )],
        );
        assert_eq!(r.len(), 2);
        assert_eq!(r.column("sector").expect("sector").get(0), Some("herbs"));
        assert!(r.attribute("school").is_none());
        assert!(r.column("school").is_err());
        let t = r.take(&[1]);
        assert_eq!(t.group.get(0), Some("teachers"));
        assert_eq!(t.column("sector").expect("sector").get(0), None);
    }
}
