//! Descriptive results of the questions that are not scored into an indicator: shares of
//! each choice (single and multiple choice), average rank (ranking), distribution, mean
//! and net promoter score (rating scales), and mean/median/range (numbers).
//!
//! [`Tally`] accumulates one question of one questionnaire version while responses are
//! read (a few counters per answer, so a million rows stay cheap); [`summarise`] merges
//! the versions of each group and turns the counters into published figures, hiding a
//! question whose answers in a group are fewer than the minimum cell size.

use std::collections::BTreeMap;

use std::fmt;

use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Serialize;
use serde_json::Value;

use super::frame::{Frames, Str};
use crate::domain::{AnswerValue, Audience, Question, QuestionKind, Survey, OTHER_CODE};

/// What kind of figures a question gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TallyKind {
    /// One code per respondent: count and share of each choice.
    Single,
    /// Several codes per respondent: share of respondents choosing each.
    Multiple,
    /// All codes in order: average position and share ranking each first.
    Ranking,
    /// A whole-number scale (`min..=max`): distribution, mean, SD, median (and NPS on 0–10).
    Scale { min: i64, max: i64 },
    /// A free number: n, mean, SD, min, median, max.
    Number,
}

/// Counters of one question in one questionnaire version.
#[derive(Debug, Clone)]
pub struct Tally {
    pub id: String,
    pub kind: TallyKind,
    /// Choice codes in the order of the definition (`other` last when allowed).
    pub codes: Vec<String>,
    /// Respondents with an answer.
    pub answered: u64,
    /// Single/multiple: respondents per code. Ranking: respondents ranking the code
    /// first. Scale: respondents per value (`value - min`).
    pub counts: Vec<u64>,
    /// Ranking: sum of the 1-based positions given to each code, and how many ranked it.
    pub rank_sum: Vec<u64>,
    pub rank_n: Vec<u64>,
    /// Number: every answer (the median needs them).
    pub values: Vec<f64>,
}

impl Tally {
    /// The same question with nothing counted but `answered` respondents.
    pub fn emptied(&self, answered: u64) -> Tally {
        Tally {
            id: self.id.clone(),
            kind: self.kind,
            codes: self.codes.clone(),
            answered,
            counts: vec![0; self.counts.len()],
            rank_sum: vec![0; self.rank_sum.len()],
            rank_n: vec![0; self.rank_n.len()],
            values: Vec::new(),
        }
    }

    /// The tally for question `q` when it is described rather than scored, else `None`.
    /// Single-choice questions recorded as a respondent attribute are left to the
    /// sample tables; Likert items scored into an indicator to the item statistics.
    pub fn for_question(q: &Question, points: u8) -> Option<Tally> {
        let with_other = |choices: &[crate::domain::Choice], other: bool| {
            let mut c: Vec<String> = choices.iter().map(|c| c.code.clone()).collect();
            if other && !c.iter().any(|x| x == OTHER_CODE) {
                c.push(OTHER_CODE.to_string());
            }
            c
        };
        let (kind, codes) = match &q.kind {
            QuestionKind::Single { choices, other } if q.attribute.is_none() => {
                (TallyKind::Single, with_other(choices, *other))
            }
            QuestionKind::Multiple { choices, other, .. } => {
                (TallyKind::Multiple, with_other(choices, *other))
            }
            QuestionKind::Ranking { choices } => (TallyKind::Ranking, with_other(choices, false)),
            QuestionKind::Rating { min, max, .. } if max >= min && max - min <= 100 => (
                TallyKind::Scale {
                    min: *min,
                    max: *max,
                },
                Vec::new(),
            ),
            QuestionKind::Likert {
                indicator: None, ..
            } => (
                TallyKind::Scale {
                    min: 1,
                    max: i64::from(points),
                },
                Vec::new(),
            ),
            QuestionKind::Integer { .. } | QuestionKind::Decimal { .. } => {
                (TallyKind::Number, Vec::new())
            }
            _ => return None,
        };
        let slots = match kind {
            TallyKind::Scale { min, max } => usize::try_from(max - min + 1).unwrap_or(0),
            _ => codes.len(),
        };
        let ranked = if kind == TallyKind::Ranking { slots } else { 0 };
        Some(Tally {
            id: q.id.clone(),
            kind,
            codes,
            answered: 0,
            counts: vec![0; slots],
            rank_sum: vec![0; ranked],
            rank_n: vec![0; ranked],
            values: Vec::new(),
        })
    }

    fn code_index(&self, code: &str) -> Option<usize> {
        self.codes.iter().position(|c| c == code)
    }

    pub(crate) fn add_codes<'a>(&mut self, codes: impl Iterator<Item = &'a str>) {
        let mut any = false;
        match self.kind {
            TallyKind::Single | TallyKind::Multiple => {
                for c in codes {
                    if let Some(i) = self.code_index(c) {
                        self.counts[i] += 1;
                        any = true;
                        if self.kind == TallyKind::Single {
                            break;
                        }
                    }
                }
            }
            TallyKind::Ranking => {
                for (pos, c) in codes.enumerate() {
                    if let Some(i) = self.code_index(c) {
                        if pos == 0 {
                            self.counts[i] += 1;
                        }
                        self.rank_sum[i] += pos as u64 + 1;
                        self.rank_n[i] += 1;
                        any = true;
                    }
                }
            }
            TallyKind::Scale { .. } | TallyKind::Number => {}
        }
        if any {
            self.answered += 1;
        }
    }

    pub(crate) fn add_number(&mut self, x: f64) {
        match self.kind {
            TallyKind::Scale { min, .. } => {
                if x.fract() != 0.0 {
                    return;
                }
                let Ok(i) = usize::try_from(x as i64 - min) else {
                    return;
                };
                if let Some(slot) = self.counts.get_mut(i) {
                    *slot += 1;
                    self.answered += 1;
                }
            }
            TallyKind::Number if x.is_finite() => {
                self.values.push(x);
                self.answered += 1;
            }
            _ => {}
        }
    }

    /// Adds one stored answer (as JSON).
    pub fn add_json(&mut self, v: &Value) {
        match v {
            Value::String(s) => self.add_codes(std::iter::once(s.as_str())),
            Value::Array(a) => self.add_codes(a.iter().filter_map(Value::as_str)),
            Value::Number(n) => {
                if let Some(x) = n.as_f64() {
                    self.add_number(x);
                }
            }
            _ => {}
        }
    }

    /// Adds one decoded answer.
    pub fn add(&mut self, a: &AnswerValue) {
        match a {
            AnswerValue::Text(s) => self.add_codes(std::iter::once(s.as_str())),
            AnswerValue::List(l) => self.add_codes(l.iter().map(String::as_str)),
            AnswerValue::Number(x) => self.add_number(*x as f64),
            AnswerValue::Decimal(x) => self.add_number(*x),
        }
    }

    /// Adds the counters of `other` (the same question in another version): codes are
    /// matched by name, codes only `other` has are appended.
    pub(crate) fn merge(&mut self, other: &Tally) {
        self.answered += other.answered;
        match self.kind {
            TallyKind::Scale { .. } => {
                for (a, b) in self.counts.iter_mut().zip(&other.counts) {
                    *a += b;
                }
            }
            TallyKind::Number => self.values.extend_from_slice(&other.values),
            _ => {
                for (j, code) in other.codes.iter().enumerate() {
                    let i = self.code_index(code).unwrap_or_else(|| {
                        self.codes.push(code.clone());
                        self.counts.push(0);
                        if self.kind == TallyKind::Ranking {
                            self.rank_sum.push(0);
                            self.rank_n.push(0);
                        }
                        self.codes.len() - 1
                    });
                    self.counts[i] += other.counts[j];
                    if self.kind == TallyKind::Ranking {
                        self.rank_sum[i] += other.rank_sum[j];
                        self.rank_n[i] += other.rank_n[j];
                    }
                }
            }
        }
    }
}

/// Adds one stored answer straight from the JSON text, without building a `Value`
/// (codes are borrowed from the text); the same counting as [`Tally::add_json`].
pub struct TallySeed<'t>(pub &'t mut Tally);

impl<'de> DeserializeSeed<'de> for TallySeed<'_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for TallySeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an answer")
    }
    fn visit_str<E>(self, v: &str) -> Result<(), E> {
        self.0.add_codes(std::iter::once(v));
        Ok(())
    }
    fn visit_i64<E>(self, v: i64) -> Result<(), E> {
        self.0.add_number(v as f64);
        Ok(())
    }
    fn visit_u64<E>(self, v: u64) -> Result<(), E> {
        self.0.add_number(v as f64);
        Ok(())
    }
    fn visit_f64<E>(self, v: f64) -> Result<(), E> {
        self.0.add_number(v);
        Ok(())
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut codes = Vec::new();
        while let Some(Str(c)) = seq.next_element::<Str<'de>>()? {
            codes.extend(c);
        }
        self.0.add_codes(codes.iter().map(AsRef::as_ref));
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(())
    }
}

/// One row of a choice or scale table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OptionShare {
    pub code: String,
    pub label: String,
    /// The English label, where the definition gives one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label_en: Option<String>,
    /// Respondents choosing it (ranking: ranking it first; scale: giving this value).
    pub count: u64,
    /// `count` as a percentage of the respondents who answered the question.
    pub percent: f64,
    /// Ranking only: the average position given (1 = first).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean_rank: Option<f64>,
}

/// Mean, spread and range of a scale or number question.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NumberSummary {
    pub mean: f64,
    /// Sample standard deviation (n − 1); `None` for one answer.
    pub sd: Option<f64>,
    pub median: f64,
    pub min: f64,
    pub max: f64,
}

/// Net promoter score of a 0–10 rating: promoters 9–10, passives 7–8, detractors 0–6.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NetPromoter {
    pub promoters: f64,
    pub passives: f64,
    pub detractors: f64,
    /// % promoters − % detractors, −100..100.
    pub score: f64,
}

/// The published result of one question in one stakeholder group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuestionSummary {
    pub group: Audience,
    pub survey: String,
    pub question: String,
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text_en: Option<String>,
    pub kind: TallyKind,
    /// Respondents who answered.
    pub n: u64,
    /// Fewer answers than the minimum cell size: no figures are published.
    pub suppressed: bool,
    /// Choices (single, multiple, ranking) or scale values, in the definition's order.
    pub options: Vec<OptionShare>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<NumberSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nps: Option<NetPromoter>,
}

impl QuestionSummary {
    /// Leaves only the count of answers (the disclosure gate hid this question's results).
    pub fn hide(&mut self) {
        self.suppressed = true;
        self.options.clear();
        self.summary = None;
        self.nps = None;
    }
}

fn percent(count: u64, n: u64) -> f64 {
    if n == 0 {
        0.0
    } else {
        count as f64 * 100.0 / n as f64
    }
}

/// Median of sorted values.
fn median_sorted(v: &[f64]) -> f64 {
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Mean, SD, median and range of a frequency table over the values `min..`.
fn scale_summary(counts: &[u64], min: i64) -> Option<NumberSummary> {
    let n: u64 = counts.iter().sum();
    if n == 0 {
        return None;
    }
    let value = |i: usize| (min + i as i64) as f64;
    let nf = n as f64;
    let mean = counts
        .iter()
        .enumerate()
        .map(|(i, c)| value(i) * *c as f64)
        .sum::<f64>()
        / nf;
    let ss = counts
        .iter()
        .enumerate()
        .map(|(i, c)| (value(i) - mean).powi(2) * *c as f64)
        .sum::<f64>();
    // The k-th smallest value (0-based) read off the cumulative counts.
    let kth = |k: u64| {
        let mut seen = 0;
        for (i, c) in counts.iter().enumerate() {
            seen += c;
            if seen > k {
                return value(i);
            }
        }
        value(counts.len() - 1)
    };
    let median = if n % 2 == 1 {
        kth(n / 2)
    } else {
        (kth(n / 2 - 1) + kth(n / 2)) / 2.0
    };
    let first = counts.iter().position(|c| *c > 0).unwrap_or(0);
    let last = counts.iter().rposition(|c| *c > 0).unwrap_or(0);
    Some(NumberSummary {
        mean,
        sd: (n > 1).then(|| (ss / (nf - 1.0)).sqrt()),
        median,
        min: value(first),
        max: value(last),
    })
}

fn number_summary(values: &mut [f64]) -> Option<NumberSummary> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let nf = values.len() as f64;
    let mean = values.iter().sum::<f64>() / nf;
    let ss = values.iter().map(|x| (x - mean).powi(2)).sum::<f64>();
    Some(NumberSummary {
        mean,
        sd: (values.len() > 1).then(|| (ss / (nf - 1.0)).sqrt()),
        median: median_sorted(values),
        min: values[0],
        max: values[values.len() - 1],
    })
}

fn net_promoter(counts: &[u64]) -> NetPromoter {
    let n: u64 = counts.iter().sum();
    let band = |r: std::ops::RangeInclusive<usize>| percent(counts[r].iter().sum(), n);
    let (promoters, passives, detractors) = (band(9..=10), band(7..=8), band(0..=6));
    NetPromoter {
        promoters,
        passives,
        detractors,
        score: promoters - detractors,
    }
}

/// The label of `code` in `q` (the code itself when the question no longer has it),
/// and its English label when given.
fn choice_label(q: Option<&Question>, code: &str) -> (String, Option<String>) {
    let choices = match q.map(|q| &q.kind) {
        Some(
            QuestionKind::Single { choices, .. }
            | QuestionKind::Multiple { choices, .. }
            | QuestionKind::Ranking { choices },
        ) => choices.as_slice(),
        _ => &[],
    };
    match choices.iter().find(|c| c.code == code) {
        Some(c) => (c.label.clone(), c.label_en.clone()),
        None if code == OTHER_CODE => ("其他".to_string(), Some("Other".to_string())),
        None => (code.to_string(), None),
    }
}

/// Publishes one merged tally.
fn publish(survey: &Survey, mut t: Tally, min_cell: u64) -> QuestionSummary {
    let q = survey.question(&t.id);
    let n = t.answered;
    let suppressed = n > 0 && n < min_cell;
    let mut out = QuestionSummary {
        group: survey.audience,
        survey: survey.slug.clone(),
        question: t.id.clone(),
        text: q.map_or_else(|| t.id.clone(), |q| q.text.clone()),
        text_en: q.and_then(|q| q.text_en.clone()),
        kind: t.kind,
        n,
        suppressed,
        options: Vec::new(),
        summary: None,
        nps: None,
    };
    if suppressed || n == 0 {
        return out;
    }
    match t.kind {
        TallyKind::Single | TallyKind::Multiple | TallyKind::Ranking => {
            out.options = t
                .codes
                .iter()
                .enumerate()
                .map(|(i, code)| {
                    let (label, label_en) = choice_label(q, code);
                    OptionShare {
                        code: code.clone(),
                        label,
                        label_en,
                        count: t.counts[i],
                        percent: percent(t.counts[i], n),
                        mean_rank: (t.kind == TallyKind::Ranking && t.rank_n[i] > 0)
                            .then(|| t.rank_sum[i] as f64 / t.rank_n[i] as f64),
                    }
                })
                .collect();
        }
        TallyKind::Scale { min, max } => {
            // Likert: the scale's labels; a rating: its end labels on the end values.
            let mut labels: Vec<Option<String>> = match q.map(|q| &q.kind) {
                Some(QuestionKind::Likert { .. }) => {
                    survey.scale.labels.iter().cloned().map(Some).collect()
                }
                _ => vec![None; t.counts.len()],
            };
            if let Some(QuestionKind::Rating {
                min_label,
                max_label,
                ..
            }) = q.map(|q| &q.kind)
            {
                if let Some(first) = labels.first_mut() {
                    first.clone_from(min_label);
                }
                if let Some(last) = labels.last_mut() {
                    last.clone_from(max_label);
                }
            }
            out.options = t
                .counts
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let v = min + i as i64;
                    OptionShare {
                        code: v.to_string(),
                        label: match labels.get(i) {
                            Some(Some(l)) => format!("{v} {l}"),
                            _ => v.to_string(),
                        },
                        label_en: None,
                        count: *c,
                        percent: percent(*c, n),
                        mean_rank: None,
                    }
                })
                .collect();
            out.summary = scale_summary(&t.counts, min);
            if (min, max) == (0, 10) {
                out.nps = Some(net_promoter(&t.counts));
            }
        }
        TallyKind::Number => out.summary = number_summary(&mut t.values),
    }
    out
}

/// The descriptive results of every tallied question, per group in group order, the
/// questions of a group in the order of its newest questionnaire version seen. Versions of one
/// questionnaire are merged question by question (when the kind is unchanged).
pub fn summarise(frames: &Frames, min_cell: u64) -> Vec<QuestionSummary> {
    // (group, question) -> (merged tally, the newest survey seen with it).
    // Versions are in the order first seen, so a later one is the newer questionnaire.
    let mut merged: BTreeMap<(Audience, String), (Tally, &Survey)> = BTreeMap::new();
    for v in &frames.versions {
        for t in &v.tallies {
            match merged.get_mut(&(v.group, t.id.clone())) {
                Some((m, s)) if m.kind == t.kind => {
                    m.merge(t);
                    *s = &v.survey;
                }
                Some(_) => {}
                None => {
                    merged.insert((v.group, t.id.clone()), (t.clone(), &v.survey));
                }
            }
        }
    }
    let mut out: Vec<(Audience, usize, QuestionSummary)> = merged
        .into_values()
        .map(|(t, s)| {
            let order = s
                .questions()
                .position(|q| q.id == t.id)
                .unwrap_or(usize::MAX);
            (s.audience, order, publish(s, t, min_cell))
        })
        .collect();
    out.sort_by(|a, b| (a.0, a.1, &a.2.question).cmp(&(b.0, b.1, &b.2.question)));
    out.into_iter().map(|(_, _, q)| q).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tally(kind: TallyKind, codes: &[&str]) -> Tally {
        let slots = match kind {
            TallyKind::Scale { min, max } => (max - min + 1) as usize,
            _ => codes.len(),
        };
        Tally {
            id: "q".into(),
            kind,
            codes: codes.iter().map(|c| c.to_string()).collect(),
            answered: 0,
            counts: vec![0; slots],
            rank_sum: vec![0; if kind == TallyKind::Ranking { slots } else { 0 }],
            rank_n: vec![0; if kind == TallyKind::Ranking { slots } else { 0 }],
            values: Vec::new(),
        }
    }

    // Worked example, by hand: 8 respondents answer a multiple choice of a/b/c.
    // a chosen by 6, b by 3, c by 0; one response names an unknown code only, one is
    // empty: answered = 6 (the two without a known code do not count).
    #[test]
    fn multiple_choice_shares_are_of_the_respondents_who_answered() {
        let mut t = tally(TallyKind::Multiple, &["a", "b", "c"]);
        for v in [
            json!(["a"]),
            json!(["a", "b"]),
            json!(["a", "b"]),
            json!(["a"]),
            json!(["a", "b"]),
            json!(["a"]),
            json!(["zzz"]),
            json!([]),
        ] {
            t.add_json(&v);
        }
        assert_eq!(t.answered, 6);
        assert_eq!(t.counts, vec![6, 3, 0]);
        // 6/6 = 100 %, 3/6 = 50 %, 0 %: the shares add up to 150 %, as multiple choice may.
        assert_eq!(percent(t.counts[1], t.answered), 50.0);
    }

    // By hand: three rankings of x/y/z: [x,y,z], [y,x,z], [x,z,y].
    // x: positions 1,2,1 -> mean 4/3, first 2 of 3; y: 2,1,3 -> 2; z: 3,3,2 -> 8/3.
    #[test]
    fn ranking_gives_mean_positions_and_first_places() {
        let mut t = tally(TallyKind::Ranking, &["x", "y", "z"]);
        for v in [
            json!(["x", "y", "z"]),
            json!(["y", "x", "z"]),
            json!(["x", "z", "y"]),
        ] {
            t.add_json(&v);
        }
        assert_eq!(t.answered, 3);
        assert_eq!(t.counts, vec![2, 1, 0]);
        assert_eq!(t.rank_sum, vec![4, 6, 8]);
        assert_eq!(t.rank_n, vec![3, 3, 3]);
    }

    // Worked example: ratings 10, 9, 9, 8, 7, 6, 3, 10, 0, 9 on 0–10 (n = 10).
    // Python's statistics module: mean = 7.1, stdev (n − 1) = 3.2812599206199233
    // (sqrt(96.9 / 9)), median = 8.5; promoters (9–10) 5/10 = 50 %, passives (7–8) 2 = 20 %,
    // detractors (0–6) 3 = 30 %, NPS = 50 − 30 = 20.
    #[test]
    fn zero_to_ten_rating_gives_distribution_mean_median_and_nps() {
        let mut t = tally(TallyKind::Scale { min: 0, max: 10 }, &[]);
        for x in [10, 9, 9, 8, 7, 6, 3, 10, 0, 9] {
            t.add_json(&json!(x));
        }
        t.add_json(&json!(11)); // off the scale: not counted
        t.add_json(&json!(4.5)); // not a whole number: not counted
        assert_eq!(t.answered, 10);
        let s = scale_summary(&t.counts, 0).expect("summary");
        assert!((s.mean - 7.1).abs() < 1e-12);
        assert!((s.sd.expect("sd") - 3.281_259_920_619_923_3).abs() < 1e-12);
        assert_eq!(s.median, 8.5);
        assert_eq!((s.min, s.max), (0.0, 10.0));
        let nps = net_promoter(&t.counts);
        assert_eq!(
            (nps.promoters, nps.passives, nps.detractors, nps.score),
            (50.0, 20.0, 30.0, 20.0)
        );
    }

    // By hand: 3, 1.5, 10, 4 -> sorted 1.5, 3, 4, 10; mean 18.5/4 = 4.625; median 3.5;
    // SS = 9.765625 + 2.640625 + 0.390625 + 28.890625 = 41.6875, SD = sqrt(41.6875/3)
    // = 3.727711541057507 (Python's statistics.stdev).
    #[test]
    fn numbers_give_mean_median_and_range() {
        let mut t = tally(TallyKind::Number, &[]);
        for v in [json!(3), json!(1.5), json!(10), json!(4), json!("x")] {
            t.add_json(&v);
        }
        assert_eq!(t.answered, 4);
        let s = number_summary(&mut t.values).expect("summary");
        assert_eq!((s.mean, s.median, s.min, s.max), (4.625, 3.5, 1.5, 10.0));
        assert!((s.sd.expect("sd") - 3.727_711_541_057_507).abs() < 1e-12);
    }

    #[test]
    fn reading_from_text_counts_as_reading_values() {
        let answers = [
            json!(["a", "b"]),
            json!("b"),
            json!(["a", 3, {"x": 1}, "cé"]),
            json!(7),
            json!(2.5),
            json!(null),
            json!({"a": [1]}),
            json!(true),
        ];
        for kind in [
            TallyKind::Single,
            TallyKind::Multiple,
            TallyKind::Ranking,
            TallyKind::Scale { min: 0, max: 10 },
            TallyKind::Number,
        ] {
            let (mut by_value, mut by_text) = (
                tally(kind, &["a", "b", "cé"]),
                tally(kind, &["a", "b", "cé"]),
            );
            for a in &answers {
                by_value.add_json(a);
                let text = serde_json::to_string(a).expect("json");
                let mut de = serde_json::Deserializer::from_str(&text);
                TallySeed(&mut by_text).deserialize(&mut de).expect("read");
            }
            assert_eq!(by_value.answered, by_text.answered, "{kind:?}");
            assert_eq!(by_value.counts, by_text.counts, "{kind:?}");
            assert_eq!(by_value.rank_sum, by_text.rank_sum, "{kind:?}");
            assert_eq!(by_value.values, by_text.values, "{kind:?}");
            assert!(by_value.answered > 0, "{kind:?} counted something");
        }
        // An escaped code (not borrowable from the text) counts the same.
        let mut t = tally(TallyKind::Multiple, &["a", "cé"]);
        let mut de = serde_json::Deserializer::from_str(r#"["c\u00e9"]"#);
        TallySeed(&mut t).deserialize(&mut de).expect("read");
        assert_eq!(t.counts, vec![0, 1]);
    }

    #[test]
    fn versions_merge_by_code() {
        let mut a = tally(TallyKind::Single, &["a", "b"]);
        a.add_json(&json!("a"));
        let mut b = tally(TallyKind::Single, &["b", "c"]);
        b.add_json(&json!("c"));
        b.add_json(&json!("b"));
        a.merge(&b);
        assert_eq!(a.codes, vec!["a", "b", "c"]);
        assert_eq!(a.counts, vec![1, 1, 1]);
        assert_eq!(a.answered, 3);
    }
}
