//! The keyword→theme coding of open answers: an answer belongs to every theme one of
//! whose keywords it contains (a substring of its redacted, lower-cased text).

use regex::Regex;

use crate::domain::text::Theme;

/// Most themes one campaign's table may hold (an answer's themes are a bit set).
pub const MAX_THEMES: usize = 64;

/// The compiled coding table.
pub struct Coder {
    themes: Vec<Regex>,
}

impl Coder {
    pub fn new(themes: &[Theme]) -> Self {
        let themes = themes
            .iter()
            .take(MAX_THEMES)
            .map(|t| {
                let words: Vec<String> = t
                    .keywords
                    .iter()
                    .map(|k| regex::escape(&k.to_lowercase()))
                    .collect();
                Regex::new(&words.join("|")).expect("escaped keywords form a valid pattern")
            })
            .collect();
        Coder { themes }
    }

    /// The themes of a (lower-cased) answer: bit `i` for theme `i`.
    pub fn code(&self, text: &str) -> u64 {
        self.themes
            .iter()
            .enumerate()
            .filter(|(_, re)| re.is_match(text))
            .fold(0, |bits, (i, _)| bits | (1 << i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn theme(code: &str, keywords: &[&str]) -> Theme {
        Theme {
            code: code.into(),
            name: code.into(),
            name_en: code.into(),
            keywords: keywords.iter().map(|k| k.to_string()).collect(),
        }
    }

    #[test]
    fn an_answer_takes_every_theme_it_mentions() {
        let c = Coder::new(&[
            theme("equipment", &["设备", "实训室"]),
            theme("internship", &["实习"]),
            theme("wifi", &["WiFi"]),
        ]);
        assert_eq!(c.code("实训室设备旧，顶岗实习太短"), 0b011);
        assert_eq!(c.code("宿舍没有wifi"), 0b100);
        assert_eq!(c.code("很好"), 0);
    }
}
