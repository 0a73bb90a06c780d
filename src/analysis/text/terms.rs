//! Term and phrase counts over a set of documents (one document = one respondent's
//! open answers): term frequency (uses), document frequency (respondents using it)
//! and the top of each list.

use polars::prelude::PlHashMap;

use serde::Serialize;

/// Terms (or phrases) interned to numbers, so documents hold `u32`s (foldhash: every
/// token of every answer is looked up here).
#[derive(Default)]
pub struct Vocabulary {
    ids: PlHashMap<String, u32>,
    words: Vec<String>,
}

impl Vocabulary {
    pub fn id(&mut self, w: &str) -> u32 {
        if let Some(&i) = self.ids.get(w) {
            return i;
        }
        let i = u32::try_from(self.words.len()).unwrap_or(u32::MAX);
        self.words.push(w.to_string());
        self.ids.insert(w.to_string(), i);
        i
    }

    /// The words in id order.
    pub fn words(&self) -> &[String] {
        &self.words
    }

    pub fn word(&self, id: u32) -> &str {
        self.words.get(id as usize).map_or("", String::as_str)
    }

    pub fn len(&self) -> usize {
        self.words.len()
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }
}

/// Uses and documents of each term over a set of documents.
#[derive(Debug, Clone, Default)]
pub struct Counts {
    /// (term id, uses, documents) of each term used, by term id.
    pub terms: Vec<(u32, u64, u64)>,
    /// Uses of all terms.
    pub uses: u64,
    pub documents: u64,
}

impl Counts {
    /// Uses and documents of term `id` (none when unused).
    pub fn get(&self, id: u32) -> Option<(u64, u64)> {
        self.terms
            .binary_search_by_key(&id, |(t, _, _)| *t)
            .ok()
            .map(|i| (self.terms[i].1, self.terms[i].2))
    }

    /// Uses of each term id in `0..n` (0 where unused).
    pub fn dense(&self, n: usize) -> Vec<u64> {
        let mut out = vec![0; n];
        for (id, uses, _) in &self.terms {
            if let Some(x) = out.get_mut(*id as usize) {
                *x = *uses;
            }
        }
        out
    }

    /// The `k` most used terms that at least `min_documents` documents use: by uses,
    /// then documents, then the term.
    pub fn top(&self, vocab: &Vocabulary, k: usize, min_documents: u64) -> Vec<TermRow> {
        let mut rows: Vec<(&str, u64, u64)> = self
            .terms
            .iter()
            .filter(|(_, _, d)| *d >= min_documents)
            .map(|(id, u, d)| (vocab.word(*id), *u, *d))
            .collect();
        rows.sort_by(|a, b| b.1.cmp(&a.1).then(b.2.cmp(&a.2)).then(a.0.cmp(b.0)));
        rows.truncate(k);
        rows.into_iter()
            .map(|(t, uses, documents)| TermRow {
                term: t.to_string(),
                uses,
                documents,
                share: percent(documents, self.documents),
            })
            .collect()
    }
}

/// One term's running count in a [`Tally`].
#[derive(Clone, Copy, Default)]
struct Running {
    uses: u64,
    documents: u64,
    /// The number of the last document that used it (1-based; 0 = none yet).
    last: u64,
}

/// Counts documents' term ids into a table as long as the vocabulary (no hashing per
/// use), reused from one set of documents to the next: only the terms used are reset.
#[derive(Default)]
pub struct Tally {
    running: Vec<Running>,
    used: Vec<u32>,
    uses: u64,
    documents: u64,
}

impl Tally {
    /// Adds one document's term ids (repeats count as uses, once as a document).
    pub fn add(&mut self, ids: &[u32]) {
        self.documents += 1;
        self.uses += ids.len() as u64;
        for &id in ids {
            let i = id as usize;
            if i >= self.running.len() {
                self.running.resize(i + 1, Running::default());
            }
            let r = &mut self.running[i];
            if r.uses == 0 {
                self.used.push(id);
            }
            r.uses += 1;
            if r.last != self.documents {
                r.last = self.documents;
                r.documents += 1;
            }
        }
    }

    /// The counts of the documents added since the last call; the tally starts again.
    pub fn take(&mut self) -> Counts {
        self.used.sort_unstable();
        let terms = self
            .used
            .iter()
            .map(|&id| {
                let r = std::mem::take(&mut self.running[id as usize]);
                (id, r.uses, r.documents)
            })
            .collect();
        self.used.clear();
        Counts {
            terms,
            uses: std::mem::take(&mut self.uses),
            documents: std::mem::take(&mut self.documents),
        }
    }
}

/// One line of a term table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TermRow {
    pub term: String,
    /// Times used.
    pub uses: u64,
    /// Respondents who used it.
    pub documents: u64,
    /// `documents` as a percentage of the respondents who wrote anything.
    pub share: f64,
}

pub fn percent(k: u64, n: u64) -> f64 {
    if n == 0 {
        0.0
    } else {
        100.0 * k as f64 / n as f64
    }
}

/// The phrases (two adjacent counted tokens) of a token run with breaks.
pub fn phrases<T: Copy>(tokens: &[Option<T>], out: &mut Vec<(T, T)>) {
    for w in tokens.windows(2) {
        if let [Some(a), Some(b)] = w {
            out.push((*a, *b));
        }
    }
}

/// Phrases interned by their two terms' ids; each phrase is written out once.
#[derive(Default)]
pub struct PhraseVocabulary {
    ids: PlHashMap<(u32, u32), u32>,
    pub words: Vocabulary,
}

impl PhraseVocabulary {
    pub fn id(&mut self, a: u32, b: u32, terms: &Vocabulary) -> u32 {
        if let Some(&i) = self.ids.get(&(a, b)) {
            return i;
        }
        let i = self.words.id(&phrase_text(terms.word(a), terms.word(b)));
        self.ids.insert((a, b), i);
        i
    }
}

/// How a phrase is written: Chinese words run together, Latin words get a space.
pub fn phrase_text(a: &str, b: &str) -> String {
    let latin = |s: &str| s.chars().last().is_some_and(|c| c.is_ascii_alphanumeric());
    let latin_start = b.chars().next().is_some_and(|c| c.is_ascii_alphanumeric());
    if latin(a) && latin_start {
        format!("{a} {b}")
    } else {
        format!("{a}{b}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uses_and_documents_are_counted_apart() {
        let mut v = Vocabulary::default();
        let (a, b, c) = (v.id("实训"), v.id("设备"), v.id("老师"));
        let mut tally = Tally::default();
        tally.add(&[a, b, a]);
        tally.add(&[a, c]);
        tally.add(&[b]);
        let counts = tally.take();
        assert_eq!(counts.get(a), Some((3, 2)));
        assert_eq!(counts.get(b), Some((2, 2)));
        assert_eq!(counts.uses, 6);
        assert_eq!(counts.documents, 3);
        let top = counts.top(&v, 5, 2);
        assert_eq!(top.len(), 2, "老师 is used by one respondent only");
        assert_eq!(top[0].term, "实训");
        assert!((top[0].share - 200.0 / 3.0).abs() < 1e-12);
        assert_eq!(counts.dense(3), vec![3, 2, 1]);
        // The tally starts again after `take`: the next set shares nothing with this one.
        tally.add(&[c, c]);
        let next = tally.take();
        assert_eq!(next.terms, vec![(c, 2, 1)]);
        assert_eq!((next.uses, next.documents), (2, 1));
        assert_eq!(next.get(a), None);
    }

    #[test]
    fn phrases_never_span_a_break() {
        let mut out = Vec::new();
        phrases(&[Some("实训"), Some("设备"), None, Some("老化")], &mut out);
        assert_eq!(out, vec![("实训", "设备")]);
        assert_eq!(phrase_text("实训", "设备"), "实训设备");
        assert_eq!(phrase_text("wifi", "speed"), "wifi speed");
    }
}
