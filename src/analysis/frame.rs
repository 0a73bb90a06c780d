//! Stored responses -> the columnar frames every analysis is computed from.
//!
//! A province-wide survey has millions of responses of ~30 answers each, so the answers
//! are kept wide and small: one [`VersionFrame`] per questionnaire version with one `u8`
//! column per scored Likert item (the answer as given, 0 = not answered) and one per
//! importance rating. Respondents are numbered 0.. in the order they were added, and
//! `respondents` is the polars frame of their group and breakdown attributes:
//! `respondent: u32, group: str` and one nullable `str` column per breakdown attribute,
//! row `i` being respondent `i`.
//!
//! [`FrameBuilder`] fills the frames one response at a time, either from decoded
//! answers or straight from the stored JSON without building maps
//! ([`FrameBuilder::push_json`]), which is what makes reading a million rows cheap.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use polars::prelude::*;
use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, Visitor};

use super::tallies::{Tally, TallySeed};

mod cells;
mod respondents;
use crate::domain::packed::{self, Packed, PackedError};
use crate::domain::quality::FlagSet;
use crate::domain::{AnswerValue, Audience, QuestionKind, Survey};
use crate::store::responses::StoredAnswers;
pub use cells::{CellFrames, CellLedger};
pub use respondents::{CodedStrings, Respondents, NO_VALUE};

/// One response as the analysis needs it.
pub struct ResponseInput<'a> {
    pub survey: &'a Survey,
    pub attributes: &'a BTreeMap<String, String>,
    pub answers: &'a BTreeMap<String, AnswerValue>,
}

/// A scored Likert item of one questionnaire version.
#[derive(Debug, Clone)]
pub struct ItemColumn {
    pub id: String,
    /// Second-level indicator code.
    pub sub: String,
    pub reverse: bool,
    /// The Likert matrix the statement is a row of, if any.
    pub matrix: Option<String>,
    /// Asked only under display logic (its blank may be legitimate).
    pub conditional: bool,
    /// The answer as given on the 1..=points scale; 0 = not answered.
    pub values: Vec<u8>,
}

impl ItemColumn {
    /// The answer of row `r` in the scored direction (reverse items flipped), if any.
    pub fn scored(&self, r: usize, points: u8) -> Option<u8> {
        match self.values[r] {
            0 => None,
            a if self.reverse => Some(points + 1 - a),
            a => Some(a),
        }
    }
}

/// Importance ratings of one version, keyed by the Likert item they rate.
#[derive(Debug, Clone)]
pub struct ImportanceColumn {
    pub of: String,
    /// 1..=points as given; 0 = not answered.
    pub values: Vec<u8>,
}

/// An attention check (instructed response) of one version.
#[derive(Debug, Clone)]
pub struct AttentionColumn {
    pub id: String,
    /// The scale point the respondent was told to choose.
    pub expect: u8,
    /// The answer as given; 0 = not answered.
    pub values: Vec<u8>,
}

/// The answers of one version to an open question the report may quote
/// (`in_report = true`).
#[derive(Debug, Clone)]
pub struct TextColumn {
    pub id: String,
    /// The question as worded in this version.
    pub question: String,
    /// Non-blank answers (counted whether or not they are kept).
    pub answered: u64,
    /// (respondent, answer) of each non-blank answer, when the builder keeps texts.
    pub values: Vec<(u32, String)>,
}

/// The answers to one questionnaire version, one row per response.
#[derive(Debug, Clone)]
pub struct VersionFrame {
    /// `slug#n`, unique per version in these frames.
    pub key: String,
    pub survey: Arc<Survey>,
    pub group: Audience,
    pub points: u8,
    /// Respondent number of each row.
    pub rows: Vec<u32>,
    pub items: Vec<ItemColumn>,
    pub importance: Vec<ImportanceColumn>,
    pub attention: Vec<AttentionColumn>,
    /// Counters of the questions described rather than scored (choices, ratings ...).
    pub tallies: Vec<Tally>,
    /// Open questions analysed as text.
    pub texts: Vec<TextColumn>,
    /// Respondents with at least one non-blank answer in `texts`.
    pub text_respondents: u64,
}

impl VersionFrame {
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

#[derive(Clone)]
pub struct Frames {
    pub respondents: Respondents,
    /// Questionnaire versions with at least one response, in the order first seen.
    pub versions: Vec<VersionFrame>,
    /// Respondents per group.
    pub counts: BTreeMap<Audience, u64>,
    /// The data quality flags of each respondent (empty when not judged).
    pub flags: Vec<FlagSet>,
    /// Whether the open answers themselves were kept (see [`FrameBuilder::keeping_texts`]).
    pub texts_kept: bool,
}

impl Frames {
    /// Number of respondents (rows of `respondents`).
    pub fn len(&self) -> usize {
        self.respondents.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Versions ordered for reporting: by group, then key.
    pub fn versions_by_group(&self) -> Vec<&VersionFrame> {
        let mut v: Vec<&VersionFrame> = self.versions.iter().collect();
        v.sort_by(|a, b| (a.group, &a.key).cmp(&(b.group, &b.key)));
        v
    }

    /// Scale points of every version present.
    pub fn points(&self) -> std::collections::BTreeSet<u8> {
        self.versions.iter().map(|v| v.points).collect()
    }
}

/// FNV-1a: answer keys are short, trusted (from the stored definition) and looked up
/// once per answer of every stored row, where SipHash showed at 6 % of the read.
#[derive(Default)]
struct Fnv1a(u64);

impl Hasher for Fnv1a {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

/// Where each answer key of one version goes.
#[derive(Clone, Copy)]
enum Slot {
    Item(usize),
    Importance(usize),
    Attention(usize),
    Tally(usize),
    Text(usize),
}

struct VersionBuilder {
    frame: VersionFrame,
    slots: HashMap<String, Slot, BuildHasherDefault<Fnv1a>>,
    /// The slot of each question in definition order (the order answers are packed in).
    by_position: Vec<Option<Slot>>,
    /// The questionnaire's [`packed::layout_hash`].
    layout: u32,
    /// Whether the open answers themselves are kept (else only counted).
    keep_texts: bool,
    /// Whether the last row has a non-blank open answer yet.
    row_has_text: bool,
    /// The described questions' counters per fine cell, when the builder is
    /// [`FrameBuilder::in_cells`] (the frame's own are their sum, made at the end).
    cells: Option<CellTallies>,
}

/// One version's tallies per fine cell, and the cell of the row being filled.
#[derive(Default)]
struct CellTallies {
    /// Index in `cells` of the last row's cell.
    current: usize,
    slot_of: PlHashMap<u32, usize>,
    cells: Vec<(u32, Vec<Tally>)>,
}

impl VersionBuilder {
    fn new(survey: &Survey, idx: usize, keep_texts: bool) -> Self {
        let mut items = Vec::new();
        let mut texts = Vec::new();
        let mut importance = Vec::new();
        let mut attention = Vec::new();
        let mut tallies = Vec::new();
        let mut slots = HashMap::default();
        // Questions of sections shown only under display logic.
        let conditional_sections: std::collections::HashSet<String> = survey
            .sections
            .iter()
            .filter(|s| s.relevant.is_some())
            .flat_map(|s| s.questions.iter().map(|q| q.id.clone()))
            .collect();
        for q in survey.questions() {
            match &q.kind {
                QuestionKind::Likert {
                    indicator: Some(indicator),
                    reverse,
                } => {
                    slots.insert(q.id.clone(), Slot::Item(items.len()));
                    items.push(ItemColumn {
                        id: q.id.clone(),
                        sub: indicator.clone(),
                        reverse: *reverse,
                        matrix: q.matrix.as_ref().map(|m| m.id.clone()),
                        conditional: q.relevant.is_some() || conditional_sections.contains(&q.id),
                        values: Vec::new(),
                    });
                }
                QuestionKind::Attention { expect } => {
                    slots.insert(q.id.clone(), Slot::Attention(attention.len()));
                    attention.push(AttentionColumn {
                        id: q.id.clone(),
                        expect: *expect,
                        values: Vec::new(),
                    });
                }
                QuestionKind::Importance { of } => {
                    slots.insert(q.id.clone(), Slot::Importance(importance.len()));
                    importance.push(ImportanceColumn {
                        of: of.clone(),
                        values: Vec::new(),
                    });
                }
                QuestionKind::Text {
                    in_report: true, ..
                } => {
                    slots.insert(q.id.clone(), Slot::Text(texts.len()));
                    texts.push(TextColumn {
                        id: q.id.clone(),
                        question: q.text.clone(),
                        answered: 0,
                        values: Vec::new(),
                    });
                }
                _ => {
                    if let Some(t) = Tally::for_question(q, survey.scale.points) {
                        slots.insert(q.id.clone(), Slot::Tally(tallies.len()));
                        tallies.push(t);
                    }
                }
            }
        }
        let by_position = survey
            .questions()
            .map(|q| slots.get(q.id.as_str()).copied())
            .collect();
        VersionBuilder {
            by_position,
            layout: packed::layout_hash(survey),
            frame: VersionFrame {
                key: format!("{}#{idx}", survey.slug),
                survey: Arc::new(survey.clone()),
                group: survey.audience,
                points: survey.scale.points,
                rows: Vec::new(),
                items,
                importance,
                attention,
                tallies,
                texts,
                text_respondents: 0,
            },
            slots,
            keep_texts,
            row_has_text: false,
            cells: None,
        }
    }

    /// The counters of tally `t` for the row being filled: its cell's, when counted by
    /// cell.
    fn tally(&mut self, t: usize) -> &mut Tally {
        match &mut self.cells {
            Some(c) => &mut c.cells[c.current].1[t],
            None => &mut self.frame.tallies[t],
        }
    }

    /// The row being filled is of fine cell `cell` (when counted by cell).
    fn enter_cell(&mut self, cell: u32) {
        let Some(c) = &mut self.cells else {
            return;
        };
        let next = c.cells.len();
        let at = *c.slot_of.entry(cell).or_insert(next);
        if at == next {
            let empty = self.frame.tallies.iter().map(|t| t.emptied(0)).collect();
            c.cells.push((cell, empty));
        }
        c.current = at;
    }

    /// The tallies counted by cell, sorted by cell, after adding them up into the
    /// frame's own.
    fn fold_cells(&mut self) -> Vec<(u32, Vec<Tally>)> {
        let Some(c) = self.cells.take() else {
            return Vec::new();
        };
        let mut cells = c.cells;
        cells.sort_by_key(|(cell, _)| *cell);
        for (_, tallies) in &cells {
            for (total, t) in self.frame.tallies.iter_mut().zip(tallies) {
                total.merge(t);
            }
        }
        cells
    }

    /// Fills the last row from packed answers (see [`packed`]): the same columns as the
    /// JSON they were packed from would fill.
    fn fill_packed(&mut self, bytes: &[u8]) -> Result<(), PackedError> {
        let mut reader = packed::Reader::new(bytes, self.layout)?;
        for i in 0..self.by_position.len() {
            let Some(slot) = self.by_position[i] else {
                // A question the frames leave out is stepped over, not read.
                if !reader.skip()? {
                    return Err(PackedError::Malformed);
                }
                continue;
            };
            let entry = reader.next().ok_or(PackedError::Malformed)??;
            match (slot, entry) {
                (_, Packed::Absent) => {}
                (Slot::Tally(t), Packed::Number(x)) => self.tally(t).add_number(x as f64),
                (Slot::Tally(t), Packed::Decimal(x)) => self.tally(t).add_number(x),
                (Slot::Tally(t), Packed::Text(c)) => self.tally(t).add_codes(std::iter::once(c)),
                (Slot::Tally(t), Packed::List(codes)) => self.tally(t).add_codes(codes),
                (Slot::Text(t), Packed::Text(x)) => self.add_text(t, x),
                (Slot::Text(_), _) => {}
                (slot, Packed::Number(x)) => self.set_slot(slot, x),
                (_, _) => {}
            }
        }
        if reader.next().is_some() {
            return Err(PackedError::Malformed);
        }
        Ok(())
    }

    /// Records a non-blank open answer of the last row.
    fn add_text(&mut self, column: usize, text: &str) {
        if text.trim().is_empty() {
            return;
        }
        let Some(&r) = self.frame.rows.last() else {
            return;
        };
        let c = &mut self.frame.texts[column];
        c.answered += 1;
        if self.keep_texts {
            c.values.push((r, text.to_string()));
        }
        if !self.row_has_text {
            self.row_has_text = true;
            self.frame.text_respondents += 1;
        }
    }

    /// Opens a row for respondent `r` with every answer missing.
    fn open_row(&mut self, r: u32) {
        self.frame.rows.push(r);
        self.row_has_text = false;
        for c in &mut self.frame.items {
            c.values.push(0);
        }
        for c in &mut self.frame.importance {
            c.values.push(0);
        }
        for c in &mut self.frame.attention {
            c.values.push(0);
        }
    }

    /// Sets the answer for `key` in the last row, if `key` is analysed and `x` on scale.
    fn set(&mut self, key: &str, x: i64) {
        if let Some(&slot) = self.slots.get(key) {
            self.set_slot(slot, x);
        }
    }

    /// Sets the answer of `slot` in the last row if `x` is on the scale.
    fn set_slot(&mut self, slot: Slot, x: i64) {
        let p = i64::from(self.frame.points);
        let Some(v) = (1..=p).contains(&x).then_some(x as u8) else {
            return;
        };
        let column = match slot {
            Slot::Item(i) => &mut self.frame.items[i].values,
            Slot::Importance(i) => &mut self.frame.importance[i].values,
            Slot::Attention(i) => &mut self.frame.attention[i].values,
            Slot::Tally(_) | Slot::Text(_) => return,
        };
        if let Some(last) = column.last_mut() {
            *last = v;
        }
    }
}

/// Builds [`Frames`] one response at a time.
pub struct FrameBuilder {
    breakdowns: Vec<String>,
    versions: Vec<VersionBuilder>,
    /// Version index by caller's key (e.g. the stored version id).
    index: PlHashMap<i64, usize>,
    group: Vec<&'static str>,
    /// Per breakdown attribute: the dictionary of values (looked up for every row, so
    /// with polars' foldhash rather than SipHash) and each respondent's code.
    attr_values: Vec<(PlHashMap<String, u32>, Vec<String>)>,
    attr_codes: Vec<Vec<u32>>,
    /// Per fine cell, its breakdown codes once looked up: a cell's respondents share
    /// their breakdown values, so a row of a known cell looks up nothing.
    cell_codes: Vec<Option<Box<[u32]>>>,
    counts: BTreeMap<Audience, u64>,
    flags: Vec<FlagSet>,
    /// Version index of the last respondent added.
    last: Option<usize>,
    keep_texts: bool,
    /// Each respondent's fine cell, when the frames are to be split by them.
    ledger: Option<CellLedger>,
}

/// A stored response whose answers could not be read.
#[derive(Debug, thiserror::Error)]
pub enum CorruptRow {
    #[error("stored answers are not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("stored packed answers cannot be read ({0}); run `chorus reindex`")]
    Packed(PackedError),
}

impl FrameBuilder {
    pub fn new(breakdowns: &[String]) -> Self {
        FrameBuilder {
            breakdowns: breakdowns.to_vec(),
            versions: Vec::new(),
            index: PlHashMap::new(),
            group: Vec::new(),
            attr_values: vec![(PlHashMap::new(), Vec::new()); breakdowns.len()],
            attr_codes: vec![Vec::new(); breakdowns.len()],
            cell_codes: Vec::new(),
            counts: BTreeMap::new(),
            flags: Vec::new(),
            last: None,
            keep_texts: false,
            ledger: None,
        }
    }

    /// A builder that records each respondent's fine cell ([`Self::push_stored_in`]), so
    /// that [`Self::finish_in_cells`] can give each cell's frames as well.
    pub fn in_cells(mut self) -> Self {
        self.ledger = Some(CellLedger::default());
        self
    }

    /// A builder that keeps the open answers themselves (for text analysis), not only
    /// their counts.
    pub fn keeping_texts(mut self) -> Self {
        self.keep_texts();
        self
    }

    /// Keeps the open answers themselves from now on (before any row is added).
    pub fn keep_texts(&mut self) {
        debug_assert!(self.is_empty(), "texts are kept from the first row");
        self.keep_texts = true;
    }

    /// Respondents added so far.
    pub fn len(&self) -> usize {
        self.group.len()
    }

    pub fn is_empty(&self) -> bool {
        self.group.is_empty()
    }

    /// The version `key` identifies, registering `survey` for it on first use.
    fn version(&mut self, key: i64, survey: &Survey) -> usize {
        if let Some(&v) = self.index.get(&key) {
            return v;
        }
        let v = self.versions.len();
        let mut vb = VersionBuilder::new(survey, v, self.keep_texts);
        if self.ledger.is_some() {
            vb.cells = Some(CellTallies::default());
        }
        self.versions.push(vb);
        self.index.insert(key, v);
        v
    }

    /// Starts a respondent of `survey` (version `key`) of fine cell `cell` (or
    /// [`NO_CELL`]) with the given attribute lookup; returns the version index.
    fn start<'a>(
        &mut self,
        key: i64,
        survey: &Survey,
        cell: u32,
        attribute: impl Fn(&str) -> Option<&'a str>,
    ) -> usize {
        let v = self.version(key, survey);
        let r = u32::try_from(self.group.len()).unwrap_or(u32::MAX);
        self.group.push(survey.audience.as_str());
        *self.counts.entry(survey.audience).or_insert(0) += 1;
        self.push_codes(cell, attribute);
        self.versions[v].open_row(r);
        self.versions[v].enter_cell(cell);
        self.flags.push(FlagSet::EMPTY);
        self.last = Some(v);
        v
    }

    /// Appends the new respondent's breakdown codes: its cell's, when the cell was seen
    /// before; otherwise each value looked up (and the cell's codes remembered).
    fn push_codes<'a>(&mut self, cell: u32, attribute: impl Fn(&str) -> Option<&'a str>) {
        let at = cell as usize;
        if let Some(Some(codes)) = self.cell_codes.get(at) {
            for (column, code) in self.attr_codes.iter_mut().zip(codes.iter()) {
                column.push(*code);
            }
            return;
        }
        let codes: Box<[u32]> = self
            .breakdowns
            .iter()
            .zip(&mut self.attr_values)
            .map(|(name, dict)| attribute(name).map_or(NO_VALUE, |value| value_code(dict, value)))
            .collect();
        for (column, code) in self.attr_codes.iter_mut().zip(codes.iter()) {
            column.push(*code);
        }
        if cell != NO_CELL {
            if self.cell_codes.len() <= at {
                self.cell_codes.resize(at + 1, None);
            }
            self.cell_codes[at] = Some(codes);
        }
    }

    /// The last respondent's version frame and row in it.
    pub fn last_row(&self) -> Option<(&VersionFrame, usize)> {
        let v = &self.versions.get(self.last?)?.frame;
        Some((v, v.rows.len().checked_sub(1)?))
    }

    /// Records the last respondent's data quality flags.
    pub fn flag_last(&mut self, flags: FlagSet) {
        if let Some(f) = self.flags.last_mut() {
            *f = flags;
        }
    }

    /// Adds a decoded response. `key` identifies the questionnaire version.
    pub fn push(
        &mut self,
        key: i64,
        survey: &Survey,
        attributes: &BTreeMap<String, String>,
        answers: &BTreeMap<String, AnswerValue>,
    ) {
        let v = self.start(key, survey, NO_CELL, |n| {
            attributes.get(n).map(String::as_str)
        });
        let vb = &mut self.versions[v];
        for (k, a) in answers {
            match (vb.slots.get(k.as_str()).copied(), a) {
                (Some(Slot::Tally(t)), a) => vb.tally(t).add(a),
                (Some(Slot::Text(t)), AnswerValue::Text(x)) => vb.add_text(t, x),
                (Some(_), AnswerValue::Number(x)) => vb.set(k, *x),
                _ => {}
            }
        }
    }

    /// Adds a stored response from its JSON columns without building maps: only the
    /// analysed answers are read, everything else is skipped by the parser.
    pub fn push_json(
        &mut self,
        key: i64,
        survey: &Survey,
        attributes: &Attributes<'_>,
        answers_json: &str,
    ) -> Result<(), CorruptRow> {
        self.fill_json(NO_CELL, key, survey, attributes, answers_json)
    }

    fn fill_json(
        &mut self,
        cell: u32,
        key: i64,
        survey: &Survey,
        attributes: &Attributes<'_>,
        answers_json: &str,
    ) -> Result<(), CorruptRow> {
        let v = self.start(key, survey, cell, |n| attributes.get(n));
        let vb = &mut self.versions[v];
        let mut de = serde_json::Deserializer::from_str(answers_json);
        AnswersSeed { version: vb }.deserialize(&mut de)?;
        de.end()?;
        Ok(())
    }

    /// Adds a stored response from its packed answers ([`packed`]), or from its JSON
    /// when it has none.
    pub fn push_stored(
        &mut self,
        key: i64,
        survey: &Survey,
        attributes: &Attributes<'_>,
        answers: &StoredAnswers,
    ) -> Result<(), CorruptRow> {
        self.push_stored_in(NO_CELL, key, survey, attributes, answers)
    }

    /// [`Self::push_stored`] for a respondent of fine cell `cell` (recorded when the
    /// builder is [`Self::in_cells`]). The respondents of one cell must share their
    /// breakdown values (a fine cell's key holds every breakdown): its codes are looked
    /// up for its first respondent only.
    pub fn push_stored_in(
        &mut self,
        cell: u32,
        key: i64,
        survey: &Survey,
        attributes: &Attributes<'_>,
        answers: &StoredAnswers,
    ) -> Result<(), CorruptRow> {
        self.fill_stored(cell, key, survey, attributes, answers)?;
        if let (Some(ledger), Some(v)) = (self.ledger.as_mut(), self.last) {
            ledger.record(cell, v, &self.versions[v].frame, self.group.len());
        }
        Ok(())
    }

    fn fill_stored(
        &mut self,
        cell: u32,
        key: i64,
        survey: &Survey,
        attributes: &Attributes<'_>,
        answers: &StoredAnswers,
    ) -> Result<(), CorruptRow> {
        match answers {
            StoredAnswers::Json(json) => self.fill_json(cell, key, survey, attributes, json),
            StoredAnswers::Packed(bytes) => {
                let v = self.start(key, survey, cell, |n| attributes.get(n));
                self.versions[v]
                    .fill_packed(bytes)
                    .map_err(CorruptRow::Packed)
            }
        }
    }

    /// The frames with each respondent's fine cell and each cell's counters (see
    /// [`CellFrames`]); no cells unless the builder is [`Self::in_cells`].
    pub fn finish_in_cells(mut self) -> PolarsResult<CellFrames> {
        let ledger = self.ledger.take().unwrap_or_default();
        let tallies = self.versions.iter_mut().map(|v| v.fold_cells()).collect();
        let frames = self.finish()?;
        Ok(CellFrames::new(frames, ledger, tallies))
    }

    pub fn finish(mut self) -> PolarsResult<Frames> {
        for v in &mut self.versions {
            v.fold_cells();
        }
        let mut groups: Vec<&str> = Vec::new();
        let group_codes: Vec<u32> = self
            .group
            .iter()
            .map(|g| {
                let at = groups.iter().position(|x| x == g).unwrap_or_else(|| {
                    groups.push(g);
                    groups.len() - 1
                });
                at as u32
            })
            .collect();
        let group = CodedStrings::new(groups.iter().map(|g| g.to_string()).collect(), group_codes);
        let attributes = self
            .breakdowns
            .iter()
            .zip(std::mem::take(&mut self.attr_values))
            .zip(std::mem::take(&mut self.attr_codes))
            .map(|((name, (_, values)), codes)| (name.clone(), CodedStrings::new(values, codes)))
            .collect();
        Ok(Frames {
            respondents: Respondents::new(group, attributes),
            versions: self.versions.into_iter().map(|v| v.frame).collect(),
            counts: self.counts,
            flags: self.flags,
            texts_kept: self.keep_texts,
        })
    }
}

/// The code of `value` in a breakdown's dictionary, added on first sight. Looked up by
/// `&str` first: a breakdown has a handful of values and a million rows, so the value
/// is copied only the first time it is seen.
fn value_code((dict, values): &mut (PlHashMap<String, u32>, Vec<String>), value: &str) -> u32 {
    if let Some(&c) = dict.get(value) {
        return c;
    }
    let c = u32::try_from(values.len()).unwrap_or(u32::MAX);
    values.push(value.to_string());
    dict.insert(value.to_string(), c);
    c
}

/// Marks a respondent recorded without a fine cell.
pub const NO_CELL: u32 = u32::MAX;

/// Builds all frames from decoded responses (versions told apart by identity).
pub fn build<'a>(
    responses: impl IntoIterator<Item = ResponseInput<'a>>,
    breakdowns: &[String],
) -> PolarsResult<Frames> {
    let mut b = FrameBuilder::new(breakdowns);
    let mut keys: HashMap<*const Survey, i64> = HashMap::new();
    for r in responses {
        let next = keys.len() as i64;
        let key = *keys.entry(r.survey as *const Survey).or_insert(next);
        b.push(key, r.survey, r.attributes, r.answers);
    }
    b.finish()
}

/// A stored response's attributes (a JSON object of strings), borrowed from the row's
/// text where possible; a handful of entries, so looked up by a linear scan.
#[derive(Debug, Default)]
pub struct Attributes<'de>(pub Vec<(Cow<'de, str>, Cow<'de, str>)>);

impl Attributes<'_> {
    /// The same attributes, owning their text.
    pub fn into_owned(self) -> Attributes<'static> {
        Attributes(
            self.0
                .into_iter()
                .map(|(k, v)| (Cow::Owned(k.into_owned()), Cow::Owned(v.into_owned())))
                .collect(),
        )
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_ref())
    }
}

impl<'de> serde::Deserialize<'de> for Attributes<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Attributes<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object of attribute values")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Attributes<'de>, A::Error> {
                let mut out = Vec::new();
                while let Some(Str(k)) = map.next_key::<Str<'de>>()? {
                    let Str(v) = map.next_value::<Str<'de>>()?;
                    if let (Some(k), Some(v)) = (k, v) {
                        out.push((k, v));
                    }
                }
                Ok(Attributes(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// A whole number; any other JSON value is skipped and reads as `None`.
struct Int(Option<i64>);

impl<'de> serde::Deserialize<'de> for Int {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Int;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a whole number")
            }
            fn visit_i64<E>(self, v: i64) -> Result<Int, E> {
                Ok(Int(Some(v)))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Int, E> {
                Ok(Int(i64::try_from(v).ok()))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Int, E> {
                Ok(Int(None))
            }
            fn visit_str<E>(self, _: &str) -> Result<Int, E> {
                Ok(Int(None))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Int, E> {
                Ok(Int(None))
            }
            fn visit_unit<E>(self) -> Result<Int, E> {
                Ok(Int(None))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut a: A) -> Result<Int, A::Error> {
                while a.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Int(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Int, A::Error> {
                while a.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Int(None))
            }
        }
        d.deserialize_any(V)
    }
}

/// A string borrowed from the JSON text when it has no escapes (serde's `Cow<str>`
/// always copies); any other JSON value is skipped and reads as `None`.
pub(crate) struct Str<'de>(pub Option<Cow<'de, str>>);

impl<'de> serde::Deserialize<'de> for Str<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Str<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Str<'de>, E> {
                Ok(Str(Some(Cow::Borrowed(v))))
            }
            fn visit_str<E>(self, v: &str) -> Result<Str<'de>, E> {
                Ok(Str(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_string<E>(self, v: String) -> Result<Str<'de>, E> {
                Ok(Str(Some(Cow::Owned(v))))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Str<'de>, E> {
                Ok(Str(None))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Str<'de>, E> {
                Ok(Str(None))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Str<'de>, E> {
                Ok(Str(None))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Str<'de>, E> {
                Ok(Str(None))
            }
            fn visit_unit<E>(self) -> Result<Str<'de>, E> {
                Ok(Str(None))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut a: A,
            ) -> Result<Str<'de>, A::Error> {
                while a.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Str(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Str<'de>, A::Error> {
                while a.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Str(None))
            }
        }
        d.deserialize_any(V)
    }
}

/// Streams the answers object of one response into its version's columns.
struct AnswersSeed<'b> {
    version: &'b mut VersionBuilder,
}

impl<'de> DeserializeSeed<'de> for AnswersSeed<'_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for AnswersSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object of answers")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        // Keys are borrowed from the row's text unless they contain escapes.
        while let Some(Str(key)) = map.next_key::<Str<'de>>()? {
            let Some(key) = key else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            if let Some(&slot) = self.version.slots.get(key.as_ref()) {
                match slot {
                    Slot::Tally(t) => {
                        map.next_value_seed(TallySeed(self.version.tally(t)))?;
                    }
                    Slot::Text(t) => {
                        if let Str(Some(text)) = map.next_value::<Str<'de>>()? {
                            self.version.add_text(t, &text);
                        }
                    }
                    _ => {
                        if let Int(Some(x)) = map.next_value::<Int>()? {
                            self.version.set_slot(slot, x);
                        }
                    }
                }
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::scores::tests::survey;

    #[test]
    fn json_rows_fill_the_same_columns_as_decoded_rows() {
        let s = survey(Audience::Students);
        let answers: BTreeMap<String, AnswerValue> = [
            ("q1", AnswerValue::Number(5)),
            ("q2", AnswerValue::Number(2)),
            ("q3", AnswerValue::Number(9)), // off the scale: ignored
            ("note", AnswerValue::Text("很好 \"q1\": 1".into())),
            ("list", AnswerValue::List(vec!["a".into(), "b".into()])),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let attrs = BTreeMap::from([("sector".to_string(), "电子商务".to_string())]);
        let mut a = FrameBuilder::new(&["sector".to_string()]);
        a.push(7, &s, &attrs, &answers);
        let mut b = FrameBuilder::new(&["sector".to_string()]);
        let attrs_json = serde_json::to_string(&attrs).expect("json");
        let attrs_cow: Attributes = serde_json::from_str(&attrs_json).expect("attrs");
        assert_eq!(attrs_cow.get("sector"), Some("电子商务"));
        assert!(
            matches!(attrs_cow.0[0].1, Cow::Borrowed(_)),
            "borrowed from the row"
        );
        b.push_json(
            7,
            &s,
            &attrs_cow,
            &serde_json::to_string(&answers).expect("json"),
        )
        .expect("row");
        let mut c = FrameBuilder::new(&["sector".to_string()]);
        let packed = StoredAnswers::Packed(packed::pack(&s, &answers));
        c.push_stored(7, &s, &attrs_cow, &packed).expect("row");
        let mut bad = FrameBuilder::new(&[]);
        let other = StoredAnswers::Packed(packed::pack(&survey(Audience::Teachers), &answers));
        assert!(
            bad.push_stored(7, &s, &attrs_cow, &other).is_ok(),
            "same layout"
        );
        let truncated = StoredAnswers::Packed(packed::pack(&s, &answers)[..7].to_vec());
        assert!(matches!(
            bad.push_stored(7, &s, &attrs_cow, &truncated),
            Err(CorruptRow::Packed(PackedError::Malformed))
        ));
        let (a, b, c) = (
            a.finish().expect("a"),
            b.finish().expect("b"),
            c.finish().expect("c"),
        );
        for f in [&a, &b, &c] {
            let v = &f.versions[0];
            let got: Vec<(&str, u8)> = v
                .items
                .iter()
                .map(|c| (c.id.as_str(), c.values[0]))
                .collect();
            assert_eq!(got, vec![("q1", 5), ("q2", 2), ("q3", 0), ("q4", 0)]);
            assert_eq!(v.items[1].scored(0, 5), Some(4), "q2 is reverse-coded");
            assert_eq!(
                f.respondents.column("sector").expect("sector").get(0),
                Some("电子商务")
            );
        }
        let mut c = FrameBuilder::new(&[]);
        assert!(c
            .push_json(1, &s, &Attributes::default(), "{\"q1\": 5,")
            .is_err());
    }
}
