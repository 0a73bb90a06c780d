//! Chinese word segmentation with jieba (`jieba-rs`): the built-in dictionary is
//! loaded once per process, and each campaign's user dictionary once per distinct
//! word list (kept in a small cache). Tokens are the words worth counting: two or more
//! characters, not a stop word, not a number or punctuation, never a redaction label.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex, OnceLock};

use jieba_rs::Jieba;
use polars::prelude::PlHashSet;

use crate::domain::text::{TextSettings, UserWord};

/// The stop words Chorus ships (`stopwords.txt` beside this file).
const SHIPPED_STOP_WORDS: &str = include_str!("stopwords.txt");

/// Campaign dictionaries kept at once; an evaluator works on a handful of campaigns.
const CACHED: usize = 8;

fn base() -> &'static Jieba {
    static BASE: OnceLock<Jieba> = OnceLock::new();
    BASE.get_or_init(Jieba::new)
}

/// The segmenter with `words` added, built once per distinct list.
fn with_words(words: &[UserWord]) -> Arc<Jieba> {
    type Cache = Mutex<HashMap<u64, Arc<Jieba>>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for w in words {
        (&w.word, w.freq, &w.tag).hash(&mut h);
    }
    let key = h.finish();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(j) = cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
        return j;
    }
    let mut jieba = base().clone();
    for w in words {
        // Answers are lower-cased before they are cut.
        jieba.add_word(&w.word.to_lowercase(), w.freq, w.tag.as_deref());
    }
    let jieba = Arc::new(jieba);
    if let Ok(mut c) = cache.lock() {
        if c.len() >= CACHED {
            c.clear();
        }
        c.insert(key, jieba.clone());
    }
    jieba
}

/// Loads the built-in dictionary and each campaign's segmenter into the caches (at
/// server start, so that no view waits for them).
pub fn warm(campaigns: &[TextSettings]) {
    let _ = base();
    for settings in campaigns {
        let _ = with_words(&settings.dictionary);
    }
}

/// The shipped stop words, without comments.
pub fn shipped_stop_words() -> impl Iterator<Item = &'static str> {
    SHIPPED_STOP_WORDS
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

/// A campaign's segmenter: jieba with its dictionary, and its stop words.
pub struct Segmenter {
    jieba: Arc<Jieba>,
    /// Looked up for every word cut (foldhash).
    stop: PlHashSet<String>,
}

impl Segmenter {
    pub fn new(settings: &TextSettings) -> Self {
        let mut stop: PlHashSet<String> = shipped_stop_words().map(str::to_string).collect();
        for w in &settings.kept_words {
            stop.remove(w);
        }
        stop.extend(settings.stop_words.iter().cloned());
        Segmenter {
            jieba: with_words(&settings.dictionary),
            stop,
        }
    }

    /// The countable tokens of a (redacted, lower-cased) text, in order, with `None`
    /// wherever something not counted stood between two tokens (a phrase never spans
    /// it). Text inside 〔…〕 (the redaction labels) is skipped.
    pub fn tokens<'a>(&self, text: &'a str, out: &mut Vec<Option<&'a str>>) {
        for (i, part) in text.split(['〔', '〕']).enumerate() {
            if i % 2 == 1 {
                out.push(None);
                continue;
            }
            for w in self.jieba.cut(part, true) {
                let w = w.word.trim();
                if self.counts(w) {
                    out.push(Some(w));
                } else if out.last().is_some_and(Option::is_some) {
                    out.push(None);
                }
            }
        }
    }

    /// Whether `w` is a word worth counting.
    fn counts(&self, w: &str) -> bool {
        let mut chars = w.chars();
        let long_enough = chars.next().is_some() && chars.next().is_some();
        long_enough
            && w.chars().any(char::is_alphabetic)
            && !w
                .chars()
                .all(|c| c.is_ascii_digit() || c.is_ascii_punctuation())
            && !self.stop.contains(w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(s: &Segmenter, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        s.tokens(text, &mut out);
        out.into_iter().flatten().map(str::to_string).collect()
    }

    fn dictionary(words: &[&str]) -> TextSettings {
        TextSettings {
            dictionary: words
                .iter()
                .map(|w| UserWord {
                    word: w.to_string(),
                    freq: None,
                    tag: None,
                })
                .collect(),
            ..TextSettings::default()
        }
    }

    /// Warming builds each campaign's segmenter once: a view then takes the one in the
    /// cache (the same jieba), and one word list more builds another.
    #[test]
    fn warming_fills_the_cache_views_read() {
        let settings = dictionary(&["预热词甲", "预热词乙"]);
        warm(std::slice::from_ref(&settings));
        let warmed = with_words(&settings.dictionary);
        let view = Segmenter::new(&settings);
        assert!(Arc::ptr_eq(&warmed, &view.jieba));
        let other = Segmenter::new(&dictionary(&["预热词丙"]));
        assert!(!Arc::ptr_eq(&warmed, &other.jieba));
        assert_eq!(tokens(&view, "预热词甲"), vec!["预热词甲"]);
    }

    /// Real-looking answers cut by jieba's own dictionary, then with the campaign's
    /// (surveys/pingshun-2025/dictionary.txt's words): the user dictionary keeps
    /// 订单班, 顶岗实习, 现代学徒制, 企业导师, 直播带货, 实训基地 and 1+X证书 whole.
    #[test]
    fn the_user_dictionary_changes_the_cut() {
        let plain = Segmenter::new(&TextSettings::default());
        let campaign = Segmenter::new(&dictionary(&[
            "订单班",
            "顶岗实习",
            "现代学徒制",
            "企业导师",
            "直播带货",
            "实训基地",
            "1+X证书",
        ]));
        let cases: [(&str, &[&str], &[&str]); 5] = [
            (
                "订单班的学生毕业就能进企业",
                &["订单", "学生", "毕业", "企业"],
                &["订单班", "学生", "毕业", "企业"],
            ),
            (
                "顶岗实习时间太短了",
                &["顶岗", "实习", "时间", "太短"],
                &["顶岗实习", "时间", "太短"],
            ),
            (
                "现代学徒制的企业导师很少来学校",
                &["现代", "学徒制", "企业", "导师", "很少", "学校"],
                &["现代学徒制", "企业导师", "很少", "学校"],
            ),
            (
                "直播带货的实训基地设备不够",
                &["直播", "带货", "实训", "基地", "设备"],
                &["直播带货", "实训基地", "设备"],
            ),
            // Texts are lower-cased before they are cut, and so are the words added.
            ("考1+x证书的机会少", &["证书", "机会"], &["1+x证书", "机会"]),
        ];
        for (text, before, after) in cases {
            assert_eq!(tokens(&plain, text), before, "{text}");
            assert_eq!(tokens(&campaign, text), after, "{text}");
        }
    }

    #[test]
    fn stop_words_numbers_and_labels_are_not_counted() {
        let s = Segmenter::new(&TextSettings {
            stop_words: vec!["企业".into()],
            kept_words: vec!["希望".into()],
            ..TextSettings::default()
        });
        let mut out = Vec::new();
        s.tokens("希望企业给2000元补贴〔电话〕实训设备", &mut out);
        let got: Vec<Option<&str>> = out;
        assert_eq!(
            got,
            vec![
                Some("希望"),
                None,
                Some("补贴"),
                None,
                Some("实训"),
                Some("设备")
            ]
        );
    }
}
