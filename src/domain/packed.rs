//! The packed form of a response's answers: what the analysis reads instead of the JSON.
//!
//! A stored response keeps its answers as a JSON object (the source of truth and the raw
//! export). Beside it, written in the same transaction, the same answers are packed in
//! the order of the questionnaire version's questions, one entry per question, so that
//! reading a million rows costs a byte per Likert answer instead of a JSON parse:
//!
//! ```text
//! [FORMAT] [layout hash: u32 LE] entry*          (one entry per question, in order)
//! entry = 0x00                                   not answered
//!       | 0x01..=0xEF                            whole number 0..=238 (tag - 1)
//!       | 0xF0 zigzag-varint                     any other whole number
//!       | 0xF1 f64 LE                            decimal
//!       | 0xF2 varint len, UTF-8                 text
//!       | 0xF3 varint count, (varint len, UTF-8)* list of codes
//! ```
//!
//! The layout hash covers the question ids in order, so packed answers are never read
//! against another questionnaire than the one they were packed for. Answers under keys
//! that are not questions ("other" texts) are not packed: the analysis does not read
//! them. The packed form is derived and can always be rebuilt from the JSON.

use std::collections::BTreeMap;

use super::{AnswerValue, Survey};

/// The version of the format; a packed value of another version is not read.
pub const FORMAT: u8 = 1;

const ABSENT: u8 = 0x00;
const SMALL_MAX: u8 = 0xEF;
const INT: u8 = 0xF0;
const DECIMAL: u8 = 0xF1;
const TEXT: u8 = 0xF2;
const LIST: u8 = 0xF3;

/// Why packed answers cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PackedError {
    #[error("packed answers of format {0}, expected {FORMAT}")]
    Format(u8),
    #[error("packed answers were packed for another questionnaire layout")]
    Layout,
    #[error("packed answers are truncated or malformed")]
    Malformed,
}

/// FNV-1a over each question id and a separator: identifies a questionnaire's layout.
pub fn layout_hash(survey: &Survey) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for q in survey.questions() {
        for b in q.id.bytes().chain(std::iter::once(0)) {
            h ^= u32::from(b);
            h = h.wrapping_mul(0x0100_0193);
        }
    }
    h
}

/// Packs `answers` to `survey`'s questions.
pub fn pack(survey: &Survey, answers: &BTreeMap<String, AnswerValue>) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + answers.len() * 2);
    out.push(FORMAT);
    out.extend_from_slice(&layout_hash(survey).to_le_bytes());
    for q in survey.questions() {
        match answers.get(&q.id) {
            None => out.push(ABSENT),
            Some(a) => put(&mut out, a),
        }
    }
    out
}

fn put(out: &mut Vec<u8>, a: &AnswerValue) {
    match a {
        AnswerValue::Number(n) if (0..=i64::from(SMALL_MAX - 1)).contains(n) => {
            out.push(*n as u8 + 1);
        }
        AnswerValue::Number(n) => {
            out.push(INT);
            varint(out, ((n << 1) ^ (n >> 63)) as u64);
        }
        AnswerValue::Decimal(x) => {
            out.push(DECIMAL);
            out.extend_from_slice(&x.to_le_bytes());
        }
        AnswerValue::Text(s) => {
            out.push(TEXT);
            string(out, s);
        }
        AnswerValue::List(l) => {
            out.push(LIST);
            varint(out, l.len() as u64);
            for s in l {
                string(out, s);
            }
        }
    }
}

fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn string(out: &mut Vec<u8>, s: &str) {
    varint(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

/// One packed answer, borrowed from the packed bytes.
#[derive(Debug, Clone, PartialEq)]
pub enum Packed<'a> {
    Absent,
    Number(i64),
    Decimal(f64),
    Text(&'a str),
    List(Codes<'a>),
}

/// The codes of a packed list, read as they are iterated.
#[derive(Debug, Clone, PartialEq)]
pub struct Codes<'a> {
    left: u64,
    rest: &'a [u8],
}

impl<'a> Iterator for Codes<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let mut c = Cursor(self.rest);
        let s = c.str().ok()?;
        self.rest = c.0;
        Some(s)
    }
}

/// Reads packed answers entry by entry, in question order.
pub struct Reader<'a>(Cursor<'a>);

impl<'a> Reader<'a> {
    /// A reader of `bytes` packed for a questionnaire whose [`layout_hash`] is `layout`.
    pub fn new(bytes: &'a [u8], layout: u32) -> Result<Self, PackedError> {
        let (&format, rest) = bytes.split_first().ok_or(PackedError::Malformed)?;
        if format != FORMAT {
            return Err(PackedError::Format(format));
        }
        let hash = rest.get(..4).ok_or(PackedError::Malformed)?;
        if u32::from_le_bytes([hash[0], hash[1], hash[2], hash[3]]) != layout {
            return Err(PackedError::Layout);
        }
        Ok(Reader(Cursor(&rest[4..])))
    }

    /// The next question's answer; `None` after the last question.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Option<Result<Packed<'a>, PackedError>> {
        let (&tag, rest) = self.0 .0.split_first()?;
        self.0 .0 = rest;
        Some(self.entry(tag))
    }

    /// Steps over the next question's answer without reading it (its texts are not
    /// checked as UTF-8); false after the last question.
    pub fn skip(&mut self) -> Result<bool, PackedError> {
        let Some((&tag, rest)) = self.0 .0.split_first() else {
            return Ok(false);
        };
        self.0 .0 = rest;
        let c = &mut self.0;
        match tag {
            ABSENT | 1..=SMALL_MAX => {}
            INT => {
                c.varint()?;
            }
            DECIMAL => {
                c.take(8)?;
            }
            TEXT => c.skip_str()?,
            LIST => {
                for _ in 0..c.varint()? {
                    c.skip_str()?;
                }
            }
            _ => return Err(PackedError::Malformed),
        }
        Ok(true)
    }

    fn entry(&mut self, tag: u8) -> Result<Packed<'a>, PackedError> {
        let c = &mut self.0;
        Ok(match tag {
            ABSENT => Packed::Absent,
            1..=SMALL_MAX => Packed::Number(i64::from(tag - 1)),
            INT => {
                let z = c.varint()?;
                Packed::Number(((z >> 1) as i64) ^ -((z & 1) as i64))
            }
            DECIMAL => {
                let b = c.take(8)?;
                let mut a = [0u8; 8];
                a.copy_from_slice(b);
                Packed::Decimal(f64::from_le_bytes(a))
            }
            TEXT => Packed::Text(c.str()?),
            LIST => {
                let left = c.varint()?;
                let start = c.0;
                for _ in 0..left {
                    c.str()?;
                }
                Packed::List(Codes { left, rest: start })
            }
            _ => return Err(PackedError::Malformed),
        })
    }
}

struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], PackedError> {
        if self.0.len() < n {
            return Err(PackedError::Malformed);
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Ok(a)
    }

    fn varint(&mut self) -> Result<u64, PackedError> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = *self.take(1)?.first().ok_or(PackedError::Malformed)?;
            v |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Ok(v);
            }
        }
        Err(PackedError::Malformed)
    }

    /// The bytes of a length-prefixed string.
    fn str_bytes(&mut self) -> Result<&'a [u8], PackedError> {
        let n = usize::try_from(self.varint()?).map_err(|_| PackedError::Malformed)?;
        self.take(n)
    }

    fn str(&mut self) -> Result<&'a str, PackedError> {
        std::str::from_utf8(self.str_bytes()?).map_err(|_| PackedError::Malformed)
    }

    fn skip_str(&mut self) -> Result<(), PackedError> {
        self.str_bytes().map(|_| ())
    }
}

/// Unpacks every answered question back into answers keyed by question id (for tests
/// and checks; the analysis reads entries straight from a [`Reader`]).
pub fn unpack(survey: &Survey, bytes: &[u8]) -> Result<BTreeMap<String, AnswerValue>, PackedError> {
    let mut r = Reader::new(bytes, layout_hash(survey))?;
    let mut out = BTreeMap::new();
    for q in survey.questions() {
        let v = match r.next().ok_or(PackedError::Malformed)?? {
            Packed::Absent => continue,
            Packed::Number(n) => AnswerValue::Number(n),
            Packed::Decimal(x) => AnswerValue::Decimal(x),
            Packed::Text(s) => AnswerValue::Text(s.to_string()),
            Packed::List(c) => AnswerValue::List(c.map(str::to_string).collect()),
        };
        out.insert(q.id.clone(), v);
    }
    if r.next().is_some() {
        return Err(PackedError::Malformed);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn survey(ids: &[&str]) -> Survey {
        use crate::domain::{LikertScale, Question, QuestionKind, Section};
        let kind = QuestionKind::Likert {
            indicator: None,
            reverse: false,
        };
        Survey {
            slug: "s".into(),
            audience: crate::domain::Audience::Students,
            title: "t".into(),
            title_en: None,
            intro: String::new(),
            intro_en: None,
            declared_version: None,
            scale: LikertScale {
                points: 5,
                labels: vec![String::new(); 5],
                labels_en: None,
            },
            access: Default::default(),
            sections: vec![Section {
                title: "s".into(),
                title_en: None,
                relevant: None,
                questions: ids
                    .iter()
                    .map(|id| Question::new(id, id, kind.clone()))
                    .collect(),
            }],
        }
    }

    fn answers(pairs: Vec<(&str, AnswerValue)>) -> BTreeMap<String, AnswerValue> {
        pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
    }

    #[test]
    fn every_kind_of_answer_comes_back_as_it_was() {
        let s = survey(&["a", "b", "c", "d", "e", "f", "g", "h", "i"]);
        let given = answers(vec![
            ("a", AnswerValue::Number(5)),
            ("b", AnswerValue::Number(0)),
            ("c", AnswerValue::Number(238)),
            ("d", AnswerValue::Number(239)),
            ("e", AnswerValue::Number(-12_345_678_901)),
            ("f", AnswerValue::Decimal(3.25)),
            ("g", AnswerValue::Text("很好，\"引号\" 和 emoji 🎓".into())),
            (
                "h",
                AnswerValue::List(vec!["x".into(), "".into(), "其他".into()]),
            ),
            ("not_a_question", AnswerValue::Text("left out".into())),
        ]);
        let bytes = pack(&s, &given);
        let mut expected = given.clone();
        expected.remove("not_a_question");
        assert_eq!(unpack(&s, &bytes), Ok(expected));
        // Header, then one byte for each small number and for the unanswered `i`.
        assert_eq!(bytes[0], FORMAT);
        assert_eq!(&bytes[5..8], &[6, 1, 239]);
        assert_eq!(*bytes.last().expect("entry"), 0);

        // Skipping any leading questions lands on the next one's answer, and skipping
        // past the last question says so; a cut entry is malformed.
        let read_all = |bytes: &[u8]| {
            let mut r = Reader::new(bytes, layout_hash(&s)).expect("header");
            std::iter::from_fn(|| r.next().map(|e| e.expect("entry")))
                .map(|e| format!("{e:?}"))
                .collect::<Vec<_>>()
        };
        let all = read_all(&bytes);
        assert_eq!(all.len(), 9);
        for k in 0..=all.len() {
            let mut r = Reader::new(&bytes, layout_hash(&s)).expect("header");
            for _ in 0..k {
                assert_eq!(r.skip(), Ok(true));
            }
            match all.get(k) {
                Some(want) => assert_eq!(
                    &format!("{:?}", r.next().expect("one more")),
                    &format!("Ok({want})")
                ),
                None => assert_eq!((r.skip(), r.next()), (Ok(false), None)),
            }
        }
        // Header 5, a–c 1 each, d 3 (INT and a 2-byte varint), e 6, f 9.
        let text_at = 5 + 3 + 3 + 6 + 9;
        assert_eq!(bytes[text_at], TEXT, "g's entry");
        let mut r = Reader::new(&bytes[..text_at + 3], layout_hash(&s)).expect("header");
        let skipped: Vec<_> = (0..7).map(|_| r.skip()).collect();
        assert_eq!(skipped.last(), Some(&Err(PackedError::Malformed)));
    }

    #[test]
    fn thirty_likert_answers_take_thirty_five_bytes() {
        let ids: Vec<String> = (0..30).map(|i| format!("q{i}")).collect();
        let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        let s = survey(&refs);
        let given = ids
            .iter()
            .map(|k| (k.clone(), AnswerValue::Number(4)))
            .collect();
        assert_eq!(pack(&s, &given).len(), 35);
    }

    #[test]
    fn another_layout_format_or_truncation_is_refused() {
        let s = survey(&["a", "b"]);
        let bytes = pack(&s, &answers(vec![("a", AnswerValue::Text("abc".into()))]));
        assert_eq!(
            unpack(&survey(&["b", "a"]), &bytes).err(),
            Some(PackedError::Layout)
        );
        let mut other = bytes.clone();
        other[0] = 9;
        assert_eq!(unpack(&s, &other).err(), Some(PackedError::Format(9)));
        for n in 0..bytes.len() {
            assert!(unpack(&s, &bytes[..n]).is_err(), "truncated at {n}");
        }
        let mut extra = bytes.clone();
        extra.push(0);
        assert_eq!(unpack(&s, &extra).err(), Some(PackedError::Malformed));
    }
}
