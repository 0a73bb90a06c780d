//! The text analysis of one view, published through the disclosure gate: per group the
//! top terms and phrases, theme shares with their intervals, the answers no theme
//! covers and a few representative quotes; distinctive terms between the published
//! groups; and per breakdown cell its top terms and theme shares. A group's (or cell's)
//! texts are shown only when the gate passes the number of respondents who wrote them
//! (the statistic [`text_key`]); everything shown is redacted.

use std::collections::{BTreeMap, BTreeSet};

use polars::prelude::*;
use serde::Serialize;

use super::log_odds::weighted_log_odds;
use super::redact::Redactor;
use super::segment::Segmenter;
use super::terms::{phrases, Counts, PhraseVocabulary, Tally, TermRow, Vocabulary};
use super::themes::Coder;
use crate::analysis::disclosure::Gate;
use crate::analysis::frame::Frames;
use crate::analysis::stats::wilson_95;
use crate::analysis::suppression::Suppressed;
use crate::domain::text::TextSettings;
use crate::domain::Audience;

/// Terms and phrases listed per group, and per breakdown cell.
const TOP_TERMS: usize = 30;
const TOP_PHRASES: usize = 15;
const CELL_TERMS: usize = 10;
const CELL_PHRASES: usize = 5;
/// Distinctive terms listed per group.
const DISTINCTIVE: usize = 15;
/// A term is listed only when at least this many respondents used it: what one person
/// wrote is not what a group says, and may point at them.
pub const MIN_DOCUMENTS: u64 = 2;
/// Answers in no theme listed per group.
const UNCODED_LISTED: usize = 500;
const QUOTES_PER_THEME: usize = 2;
const QUOTES_WITHOUT_THEMES: usize = 5;
/// Quotes are chosen among answers of this many characters.
const QUOTE_CHARS: std::ops::RangeInclusive<usize> = 8..=150;
/// A term is distinctive when its z-score is at least this (two-sided 5 %).
const Z_95: f64 = 1.959_963_984_540_054;

/// The disclosure statistic of a group's open answers: the respondents who wrote one.
pub fn text_key(g: Audience) -> String {
    format!("x|{}", g.as_str())
}

/// Respondents with at least one open answer, per group.
pub fn respondents(frames: &Frames) -> BTreeMap<Audience, u64> {
    let mut out = BTreeMap::new();
    for v in &frames.versions {
        if !v.texts.is_empty() {
            *out.entry(v.group).or_insert(0) += v.text_respondents;
        }
    }
    out
}

#[derive(Debug, Clone, Serialize)]
pub struct ThemeInfo {
    pub code: String,
    pub name: String,
    pub name_en: String,
    pub keywords: Vec<String>,
}

/// One theme's share of the respondents who wrote something.
#[derive(Debug, Clone, Serialize)]
pub struct ThemeShare {
    pub code: String,
    pub respondents: u64,
    /// Percent, with its Wilson 95 % interval.
    pub share: f64,
    pub ci_low: f64,
    pub ci_high: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Quote {
    /// The theme it stands for (none when the campaign has no themes).
    pub theme: Option<String>,
    pub text: String,
}

/// One group's open answers.
#[derive(Debug, Clone, Serialize)]
pub struct GroupText {
    pub group: Audience,
    /// The open questions pooled (their wording).
    pub questions: Vec<String>,
    /// Respondents who wrote something.
    pub respondents: u64,
    pub suppressed: Suppressed,
    /// Counted words used (empty below when suppressed).
    pub tokens: u64,
    pub terms: Vec<TermRow>,
    pub phrases: Vec<TermRow>,
    pub themes: Vec<ThemeShare>,
    /// Respondents whose answers no theme covers (0 without a theme table).
    pub uncoded: u64,
    /// Their answers, redacted, in the order received (at most 500).
    pub uncoded_answers: Vec<String>,
    pub quotes: Vec<Quote>,
}

/// A term one group uses more than the other published groups.
#[derive(Debug, Clone, Serialize)]
pub struct DistinctiveTerm {
    pub term: String,
    pub uses: u64,
    /// Uses by the other groups together.
    pub other_uses: u64,
    /// Weighted log-odds ratio (δ) and its z-score.
    pub log_odds: f64,
    pub z: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Distinctive {
    pub group: Audience,
    /// The groups it is compared with.
    pub against: Vec<Audience>,
    pub terms: Vec<DistinctiveTerm>,
}

/// One cell of a breakdown of one group's open answers.
#[derive(Debug, Clone, Serialize)]
pub struct CellText {
    pub value: String,
    pub group: Audience,
    pub respondents: u64,
    pub suppressed: Suppressed,
    pub terms: Vec<TermRow>,
    pub phrases: Vec<TermRow>,
    pub themes: Vec<ThemeShare>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TextBreakdown {
    pub attribute: String,
    pub cells: Vec<CellText>,
}

/// The `text` section of an analysis.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TextReport {
    pub themes: Vec<ThemeInfo>,
    pub groups: Vec<GroupText>,
    pub distinctive: Vec<Distinctive>,
    pub breakdowns: Vec<TextBreakdown>,
}

/// One respondent's open answers, read.
struct Doc {
    group: Audience,
    respondent: u32,
    /// Redacted, as shown.
    text: String,
    terms: Vec<u32>,
    phrases: Vec<u32>,
    /// Bit `i`: coded into theme `i`.
    themes: u64,
}

/// Everything read from the view's open answers.
struct Corpus {
    docs: Vec<Doc>,
    terms: Vocabulary,
    phrases: PhraseVocabulary,
    questions: BTreeMap<Audience, BTreeSet<String>>,
}

/// Each respondent's open answers in `frames`, joined, in respondent order.
fn answers(frames: &Frames) -> Vec<(Audience, u32, String)> {
    let mut out = Vec::new();
    for v in &frames.versions {
        let mut rows: Vec<(u32, usize, &str)> = Vec::new();
        for (c, col) in v.texts.iter().enumerate() {
            rows.extend(col.values.iter().map(|(r, t)| (*r, c, t.as_str())));
        }
        rows.sort_unstable_by_key(|(r, c, _)| (*r, *c));
        for (r, _, t) in rows {
            match out.last_mut() {
                Some((g, last, text)) if *last == r && *g == v.group => {
                    let text: &mut String = text;
                    text.push_str(" / ");
                    text.push_str(t.trim());
                }
                _ => out.push((v.group, r, t.trim().to_string())),
            }
        }
    }
    out.sort_by_key(|(_, r, _)| *r);
    out
}

/// Answers cut per piece of work: enough that spreading them over the cores pays.
const CHUNK: usize = 2048;

/// One respondent's answers as one thread read them: words as ids into its piece's
/// own word list, phrases as ids into its piece's own phrase list.
struct Cut {
    group: Audience,
    respondent: u32,
    text: String,
    themes: u64,
    terms: Vec<u32>,
    phrases: Vec<u32>,
}

/// What one piece of answers read: its answers, and its words and phrases (pairs of
/// its words' ids), each in order of first use.
struct ReadPiece {
    cuts: Vec<Cut>,
    words: Vocabulary,
    pairs: Vec<(u32, u32)>,
}

/// The tools a piece of work reads answers with (each compiled once per view).
struct Readers {
    redactor: Redactor,
    segmenter: Segmenter,
    coder: Coder,
}

/// Redacts, segments and codes one piece of answers; words and phrases are interned
/// in the piece's own lists, in order of first use.
fn cut(readers: &Readers, answers: Vec<(Audience, u32, String)>) -> ReadPiece {
    let mut words = Vocabulary::default();
    let mut pairs = Vec::new();
    let mut pair_ids: PlHashMap<(u32, u32), u32> = PlHashMap::default();
    let mut ids: Vec<Option<u32>> = Vec::with_capacity(32);
    let mut doc_pairs = Vec::with_capacity(32);
    // Each answer as written is dropped once read: only its redacted form is kept.
    let cuts = answers
        .into_iter()
        .map(|(group, respondent, raw)| {
            let text = readers.redactor.redact(&raw);
            let lower = text.to_lowercase();
            let mut tokens = Vec::with_capacity(32);
            readers.segmenter.tokens(&lower, &mut tokens);
            ids.clear();
            ids.extend(tokens.iter().map(|t| t.map(|t| words.id(t))));
            doc_pairs.clear();
            phrases(&ids, &mut doc_pairs);
            Cut {
                group,
                respondent,
                themes: readers.coder.code(&lower),
                terms: ids.iter().flatten().copied().collect(),
                phrases: doc_pairs
                    .iter()
                    .map(|pair| {
                        *pair_ids.entry(*pair).or_insert_with(|| {
                            pairs.push(*pair);
                            (pairs.len() - 1) as u32
                        })
                    })
                    .collect(),
                text,
            }
        })
        .collect();
    ReadPiece { cuts, words, pairs }
}

/// Reads the view's open answers: cut in pieces on every core, then interned into one
/// vocabulary in respondent order, so that ids are those of reading them one by one.
fn read(settings: &TextSettings, frames: &Frames) -> Corpus {
    let readers = Readers {
        redactor: Redactor::new(&settings.redact),
        segmenter: Segmenter::new(settings),
        coder: Coder::new(&settings.themes),
    };
    let mut corpus = Corpus {
        docs: Vec::new(),
        terms: Vocabulary::default(),
        phrases: PhraseVocabulary::default(),
        questions: BTreeMap::new(),
    };
    for v in &frames.versions {
        for c in v.texts.iter().filter(|c| !c.values.is_empty()) {
            corpus
                .questions
                .entry(v.group)
                .or_default()
                .insert(c.question.clone());
        }
    }
    let mut answers = answers(frames).into_iter().peekable();
    let mut chunks = Vec::new();
    while answers.peek().is_some() {
        chunks.push(answers.by_ref().take(CHUNK).collect::<Vec<_>>());
    }
    corpus.docs.reserve(chunks.iter().map(Vec::len).sum());
    let pieces = crate::analysis::parallel::map(chunks, |piece| cut(&readers, piece));
    for ReadPiece { cuts, words, pairs } in pieces {
        // New words, then new phrases, of this piece get the next ids in their order of
        // first use, as reading its answers one by one after the earlier pieces would
        // give them (phrase ids do not touch the word list).
        let global: Vec<u32> = words.words().iter().map(|w| corpus.terms.id(w)).collect();
        let phrase_ids: Vec<u32> = pairs
            .iter()
            .map(|(a, b)| {
                let (a, b) = (global[*a as usize], global[*b as usize]);
                corpus.phrases.id(a, b, &corpus.terms)
            })
            .collect();
        for mut c in cuts {
            for t in &mut c.terms {
                *t = global[*t as usize];
            }
            for p in &mut c.phrases {
                *p = phrase_ids[*p as usize];
            }
            corpus.docs.push(Doc {
                group: c.group,
                respondent: c.respondent,
                themes: c.themes,
                text: c.text,
                terms: c.terms,
                phrases: c.phrases,
            });
        }
    }
    corpus
}

fn theme_shares(settings: &TextSettings, docs: &[&Doc]) -> Vec<ThemeShare> {
    let n = docs.len() as u64;
    settings
        .themes
        .iter()
        .enumerate()
        .take(super::themes::MAX_THEMES)
        .map(|(i, t)| {
            let k = docs.iter().filter(|d| d.themes & (1 << i) != 0).count() as u64;
            let (lo, hi) = wilson_95(k, n).unwrap_or((0.0, 0.0));
            ThemeShare {
                code: t.code.clone(),
                respondents: k,
                share: super::terms::percent(k, n),
                ci_low: 100.0 * lo,
                ci_high: 100.0 * hi,
            }
        })
        .collect()
}

/// One thread's tallies, for terms and for phrases.
#[derive(Default)]
struct Tallies {
    terms: Tally,
    phrases: Tally,
}

impl Tallies {
    fn terms(&mut self, docs: &[&Doc]) -> Counts {
        for d in docs {
            self.terms.add(&d.terms);
        }
        self.terms.take()
    }

    fn phrases(&mut self, docs: &[&Doc]) -> Counts {
        for d in docs {
            self.phrases.add(&d.phrases);
        }
        self.phrases.take()
    }
}

/// Quotes chosen by rule: per theme, the two answers (8–150 characters, two or more
/// counted words) whose words are most typical of the group (the mean share of the
/// group's respondents using each of its distinct words), earliest first on ties, no
/// answer or wording twice; without themes, the five most typical answers.
fn quotes(settings: &TextSettings, docs: &[&Doc], counts: &Counts) -> Vec<Quote> {
    let n = docs.len().max(1) as f64;
    // Each answer's distinct words, ascending (the order the mean is summed in).
    let mut distinct: Vec<u32> = Vec::new();
    let mut ranked: Vec<(f64, u32, &Doc)> = Vec::new();
    for d in docs
        .iter()
        .filter(|d| QUOTE_CHARS.contains(&d.text.chars().count()))
    {
        distinct.clear();
        distinct.extend_from_slice(&d.terms);
        distinct.sort_unstable();
        distinct.dedup();
        if distinct.len() < 2 {
            continue;
        }
        let sum: f64 = distinct
            .iter()
            .map(|t| counts.get(*t).map_or(0.0, |(_, docs)| docs as f64 / n))
            .sum();
        ranked.push((sum / distinct.len() as f64, d.respondent, *d));
    }
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    // Identical answers are one answer.
    let mut seen: PlHashSet<&str> = PlHashSet::default();
    ranked.retain(|(_, _, d)| seen.insert(d.text.as_str()));
    let mut used = BTreeSet::new();
    let mut out = Vec::new();
    if settings.themes.is_empty() {
        for (_, _, d) in ranked.iter().take(QUOTES_WITHOUT_THEMES) {
            out.push(Quote {
                theme: None,
                text: d.text.clone(),
            });
        }
        return out;
    }
    for (i, t) in settings
        .themes
        .iter()
        .enumerate()
        .take(super::themes::MAX_THEMES)
    {
        let picked: Vec<&(f64, u32, &Doc)> = ranked
            .iter()
            .filter(|(_, r, d)| d.themes & (1 << i) != 0 && !used.contains(r))
            .take(QUOTES_PER_THEME)
            .collect();
        for (_, r, d) in picked {
            used.insert(*r);
            out.push(Quote {
                theme: Some(t.code.clone()),
                text: d.text.clone(),
            });
        }
    }
    out
}

fn group_text(
    settings: &TextSettings,
    corpus: &Corpus,
    group: Audience,
    docs: &[&Doc],
    state: Suppressed,
    tallies: &mut Tallies,
) -> GroupText {
    let mut out = GroupText {
        group,
        questions: corpus
            .questions
            .get(&group)
            .map(|q| q.iter().cloned().collect())
            .unwrap_or_default(),
        respondents: docs.len() as u64,
        suppressed: state,
        tokens: 0,
        terms: Vec::new(),
        phrases: Vec::new(),
        themes: Vec::new(),
        uncoded: 0,
        uncoded_answers: Vec::new(),
        quotes: Vec::new(),
    };
    if state.is_hidden() || docs.is_empty() {
        return out;
    }
    let counts = tallies.terms(docs);
    out.tokens = counts.uses;
    out.terms = counts.top(&corpus.terms, TOP_TERMS, MIN_DOCUMENTS);
    out.phrases = tallies
        .phrases(docs)
        .top(&corpus.phrases.words, TOP_PHRASES, MIN_DOCUMENTS);
    out.themes = theme_shares(settings, docs);
    if !settings.themes.is_empty() {
        let uncoded: Vec<&&Doc> = docs.iter().filter(|d| d.themes == 0).collect();
        out.uncoded = uncoded.len() as u64;
        out.uncoded_answers = uncoded
            .iter()
            .take(UNCODED_LISTED)
            .map(|d| d.text.clone())
            .collect();
    }
    out.quotes = quotes(settings, docs, &counts);
    out
}

/// Each published group against the others published (rule 5: derived results come
/// from published cells only).
fn distinctive(
    corpus: &Corpus,
    published: &BTreeMap<Audience, Vec<&Doc>>,
    tallies: &mut Tallies,
) -> Vec<Distinctive> {
    if published.len() < 2 {
        return Vec::new();
    }
    let v = corpus.terms.len();
    let counts: BTreeMap<Audience, Counts> = published
        .iter()
        .map(|(g, docs)| (*g, tallies.terms(docs)))
        .collect();
    let dense: BTreeMap<Audience, Vec<u64>> =
        counts.iter().map(|(g, c)| (*g, c.dense(v))).collect();
    let mut out = Vec::new();
    for (g, focus) in &dense {
        let mut rest = vec![0u64; v];
        for (_, other) in dense.iter().filter(|(o, _)| *o != g) {
            for (r, x) in rest.iter_mut().zip(other) {
                *r += x;
            }
        }
        let docs_of = |t: usize| counts[g].get(t as u32).map_or(0, |(_, d)| d);
        let mut terms: Vec<DistinctiveTerm> = weighted_log_odds(focus, &rest)
            .into_iter()
            .enumerate()
            .filter_map(|(t, o)| {
                let o = o?;
                (o.z >= Z_95 && docs_of(t) >= MIN_DOCUMENTS).then(|| DistinctiveTerm {
                    term: corpus.terms.word(t as u32).to_string(),
                    uses: focus[t],
                    other_uses: rest[t],
                    log_odds: o.delta,
                    z: o.z,
                })
            })
            .collect();
        terms.sort_by(|a, b| b.z.total_cmp(&a.z).then(a.term.cmp(&b.term)));
        terms.truncate(DISTINCTIVE);
        out.push(Distinctive {
            group: *g,
            against: dense.keys().filter(|o| *o != g).copied().collect(),
            terms,
        });
    }
    out
}

/// One cell of a breakdown, its answers and what the gate decided for it.
struct Cell<'a> {
    value: String,
    group: Audience,
    docs: Vec<&'a Doc>,
    state: Suppressed,
}

/// The cells of each published group's answers by `attribute`, through rules 1–3.
fn breakdown_cells<'a>(
    frames: &Frames,
    gate: &Gate,
    attribute: &str,
    published: &BTreeMap<Audience, Vec<&'a Doc>>,
) -> PolarsResult<Vec<Cell<'a>>> {
    let column = frames.respondents.column(attribute)?;
    let mut cells = Vec::new();
    for (g, docs) in published {
        let mut by_value: BTreeMap<&str, Vec<&Doc>> = BTreeMap::new();
        let mut unassigned = 0u64;
        for d in docs {
            match column.get(d.respondent as usize) {
                Some(v) => by_value.entry(v).or_default().push(d),
                None => unassigned += 1,
            }
        }
        let sizes: Vec<(String, u64)> = by_value
            .iter()
            .map(|(v, d)| (v.to_string(), d.len() as u64))
            .collect();
        let states = gate.across(attribute, &text_key(*g), &sizes, unassigned);
        for ((value, docs), state) in by_value.into_iter().zip(states) {
            cells.push(Cell {
                value: value.to_string(),
                group: *g,
                docs,
                state,
            });
        }
    }
    Ok(cells)
}

/// A breakdown's cells counted: terms, phrases and themes of the cells shown.
fn breakdown(
    settings: &TextSettings,
    corpus: &Corpus,
    attribute: &str,
    cells: Vec<Cell<'_>>,
    tallies: &mut Tallies,
) -> TextBreakdown {
    let cells = cells
        .into_iter()
        .map(|c| {
            let shown = !c.state.is_hidden();
            CellText {
                respondents: c.docs.len() as u64,
                terms: if shown {
                    tallies
                        .terms(&c.docs)
                        .top(&corpus.terms, CELL_TERMS, MIN_DOCUMENTS)
                } else {
                    Vec::new()
                },
                phrases: if shown {
                    tallies
                        .phrases(&c.docs)
                        .top(&corpus.phrases.words, CELL_PHRASES, MIN_DOCUMENTS)
                } else {
                    Vec::new()
                },
                themes: if shown {
                    theme_shares(settings, &c.docs)
                } else {
                    Vec::new()
                },
                value: c.value,
                group: c.group,
                suppressed: c.state,
            }
        })
        .collect();
    TextBreakdown {
        attribute: attribute.to_string(),
        cells,
    }
}

/// The independent parts of a view's text analysis.
enum Piece<'a> {
    Group(Audience, Vec<&'a Doc>, Suppressed),
    Breakdown(&'a str, Vec<Cell<'a>>),
    Distinctive,
}

enum Done {
    Group(GroupText),
    Breakdown(TextBreakdown),
    Distinctive(Vec<Distinctive>),
}

/// The text analysis of a view whose frames kept their open answers: `breakdowns` are
/// the attributes to break them down by (those the view is not filtered on).
pub fn analyse(
    settings: &TextSettings,
    frames: &Frames,
    gate: &Gate,
    breakdowns: &[String],
) -> PolarsResult<TextReport> {
    let corpus = read(settings, frames);
    let mut by_group: BTreeMap<Audience, Vec<&Doc>> = BTreeMap::new();
    for d in &corpus.docs {
        by_group.entry(d.group).or_default().push(d);
    }
    let mut pieces = Vec::new();
    let mut published = BTreeMap::new();
    for (g, n) in respondents(frames) {
        let docs = by_group.remove(&g).unwrap_or_default();
        let state = gate.state(&text_key(g), n);
        if !state.is_hidden() && !docs.is_empty() {
            published.insert(g, docs.clone());
        }
        pieces.push(Piece::Group(g, docs, state));
    }
    // The gate decides each cell here, on this thread; the pieces only count.
    for a in breakdowns {
        pieces.push(Piece::Breakdown(
            a,
            breakdown_cells(frames, gate, a, &published)?,
        ));
    }
    pieces.push(Piece::Distinctive);
    // Each piece counts on a thread of its own with its own tallies; results in order.
    let done = crate::analysis::parallel::map(pieces, |piece| {
        let mut tallies = Tallies::default();
        match piece {
            Piece::Group(g, docs, state) => {
                Done::Group(group_text(settings, &corpus, g, &docs, state, &mut tallies))
            }
            Piece::Breakdown(a, cells) => {
                Done::Breakdown(breakdown(settings, &corpus, a, cells, &mut tallies))
            }
            Piece::Distinctive => Done::Distinctive(distinctive(&corpus, &published, &mut tallies)),
        }
    });
    let mut groups = Vec::new();
    let mut tables = Vec::new();
    let mut compared = Vec::new();
    for d in done {
        match d {
            Done::Group(g) => groups.push(g),
            Done::Breakdown(b) => tables.push(b),
            Done::Distinctive(d) => compared = d,
        }
    }
    Ok(TextReport {
        themes: settings
            .themes
            .iter()
            .map(|t| ThemeInfo {
                code: t.code.clone(),
                name: t.name.clone(),
                name_en: t.name_en.clone(),
                keywords: t.keywords.clone(),
            })
            .collect(),
        distinctive: compared,
        groups,
        breakdowns: tables,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::analysis::frame::FrameBuilder;
    use crate::analysis::scores::tests::survey;
    use crate::domain::survey::Question;
    use crate::domain::text::Theme;
    use crate::domain::{AnswerValue, QuestionKind, Survey};

    fn with_comment(audience: Audience) -> Survey {
        let mut s = survey(audience);
        s.sections[0].questions.push(Question::new(
            "comment",
            "意见和建议",
            QuestionKind::Text {
                max_length: 500,
                multiline: true,
                in_report: true,
            },
        ));
        s
    }

    fn settings() -> TextSettings {
        let theme = |code: &str, k: &[&str]| Theme {
            code: code.into(),
            name: code.into(),
            name_en: code.into(),
            keywords: k.iter().map(|s| s.to_string()).collect(),
        };
        TextSettings {
            themes: vec![
                theme("equipment", &["设备"]),
                theme("internship", &["实习"]),
            ],
            ..TextSettings::default()
        }
    }

    /// 12 students (sectors a/b), 12 teachers, 3 enterprises; the minimum cell is 10.
    fn frames() -> Frames {
        let mut b = FrameBuilder::new(&["sector".to_string()]).keeping_texts();
        let groups = [
            (Audience::Students, 12, "实训设备太旧，希望更新实训设备"),
            (Audience::Teachers, 12, "希望增加教师培训机会"),
            (Audience::Enterprises, 3, "实习学生很认真"),
        ];
        for (k, (g, n, text)) in groups.into_iter().enumerate() {
            let s = with_comment(g);
            for i in 0..n {
                let sector = if i < 6 { "a" } else { "b" };
                let attrs: BTreeMap<String, String> =
                    [("sector".to_string(), sector.to_string())].into();
                let text = match (g, i) {
                    (Audience::Students, 0) => "请打13812345678联系我，实训设备不够".to_string(),
                    (Audience::Students, 1..=3) => "顶岗实习时间太短".to_string(),
                    (Audience::Students, 4) => "很好".to_string(),
                    (Audience::Teachers, 0) => "   ".to_string(),
                    _ => text.to_string(),
                };
                let answers: BTreeMap<String, AnswerValue> =
                    [("comment".to_string(), AnswerValue::Text(text))].into();
                b.push(k as i64, &s, &attrs, &answers);
            }
        }
        b.finish().expect("frames")
    }

    #[test]
    fn groups_below_the_minimum_show_nothing_and_stay_out_of_comparisons() {
        let f = frames();
        let gate = Gate::new(10, None);
        let r = analyse(&settings(), &f, &gate, &["sector".to_string()]).expect("text");
        let by: BTreeMap<Audience, &GroupText> = r.groups.iter().map(|g| (g.group, g)).collect();
        // A blank answer is no answer: 11 teachers wrote.
        assert_eq!(by[&Audience::Teachers].respondents, 11);
        let e = by[&Audience::Enterprises];
        assert_eq!((e.respondents, e.suppressed), (3, Suppressed::Primary));
        assert!(e.terms.is_empty() && e.quotes.is_empty() && e.themes.is_empty());
        let s = by[&Audience::Students];
        assert_eq!(s.suppressed, Suppressed::No);
        // equipment: 7 (8 with the phone answer's "设备") of 12; internship 3.
        let shares: Vec<(String, u64)> = s
            .themes
            .iter()
            .map(|t| (t.code.clone(), t.respondents))
            .collect();
        assert_eq!(
            shares,
            vec![("equipment".into(), 8), ("internship".into(), 3)]
        );
        let (lo, hi) = wilson_95(8, 12).expect("n");
        assert!((s.themes[0].ci_low - 100.0 * lo).abs() < 1e-9);
        assert!((s.themes[0].ci_high - 100.0 * hi).abs() < 1e-9);
        assert_eq!(
            (s.uncoded, s.uncoded_answers.clone()),
            (1, vec!["很好".to_string()])
        );
        // The term table: 设备 used twice in each of 7 answers and once more.
        let equipment = s.terms.iter().find(|t| t.term == "设备").expect("设备");
        assert_eq!((equipment.uses, equipment.documents), (15, 8));
        // Nothing shown carries the phone number.
        let shown = serde_json::to_string(&r).expect("json");
        assert!(!shown.contains("13812345678"), "{shown}");
        // Students are compared with teachers only (enterprises are hidden).
        let d = r
            .distinctive
            .iter()
            .find(|d| d.group == Audience::Students)
            .expect("students");
        assert_eq!(d.against, vec![Audience::Teachers]);
        // 实训 and 设备: 15 uses each by students, none by teachers; ties by the term.
        let top: Vec<(&str, u64, u64)> = d.terms[..2]
            .iter()
            .map(|t| (t.term.as_str(), t.uses, t.other_uses))
            .collect();
        assert_eq!(top, vec![("实训", 15, 0), ("设备", 15, 0)]);
        assert!(d.terms.iter().all(|t| t.z >= Z_95));
        assert!(!shown.contains("认真"), "enterprise words leak: {shown}");
        // Quotes: one per theme at most twice, from the coded answers, never twice.
        assert!(s
            .quotes
            .iter()
            .all(|q| q.text.contains("设备") || q.text.contains("实习")));
        // Sector cells of 6 fall below the minimum: nothing of them is shown.
        let sector = &r.breakdowns[0];
        assert!(sector
            .cells
            .iter()
            .all(|c| c.suppressed.is_hidden() && c.terms.is_empty()));
    }

    #[test]
    fn the_quote_rule_prefers_typical_answers() {
        let f = frames();
        let r = analyse(&settings(), &f, &Gate::new(10, None), &[]).expect("text");
        let s = &r.groups[0];
        assert_eq!(s.group, Audience::Students);
        let texts: Vec<(Option<&str>, &str)> = s
            .quotes
            .iter()
            .map(|q| (q.theme.as_deref(), q.text.as_str()))
            .collect();
        assert_eq!(
            texts,
            vec![
                (Some("equipment"), "实训设备太旧，希望更新实训设备"),
                (Some("equipment"), "请打〔电话〕联系我，实训设备不够"),
                (Some("internship"), "顶岗实习时间太短"),
            ],
            "identical answers are quoted once; the phone number is redacted"
        );
    }
}
