//! The keyword→theme coding of open answers: an answer belongs to every theme one of
//! whose keywords it contains (a substring of its redacted, lower-cased text).

use aho_corasick::AhoCorasick;

use crate::domain::text::Theme;

/// Most themes one campaign's table may hold (an answer's themes are a bit set).
pub const MAX_THEMES: usize = 64;

/// The compiled coding table: every theme's keywords in one automaton, so that an
/// answer is read once whatever the number of themes.
pub struct Coder {
    keywords: Option<AhoCorasick>,
    /// The theme bit of each keyword, in the automaton's pattern order.
    theme_of: Vec<u64>,
    /// Themes every answer belongs to (one with an empty keyword, as a substring
    /// search finds the empty string in any text).
    always: u64,
}

impl Coder {
    pub fn new(themes: &[Theme]) -> Self {
        let mut words = Vec::new();
        let mut theme_of = Vec::new();
        let mut always = 0u64;
        for (i, t) in themes.iter().take(MAX_THEMES).enumerate() {
            if t.keywords.is_empty() || t.keywords.iter().any(|k| k.is_empty()) {
                always |= 1 << i;
            }
            for k in t.keywords.iter().filter(|k| !k.is_empty()) {
                words.push(k.to_lowercase());
                theme_of.push(1 << i);
            }
        }
        let keywords = (!words.is_empty())
            .then(|| AhoCorasick::new(&words).expect("keywords form a valid automaton"));
        Coder {
            keywords,
            theme_of,
            always,
        }
    }

    /// The themes of a (lower-cased) answer: bit `i` for theme `i`.
    pub fn code(&self, text: &str) -> u64 {
        let Some(ac) = &self.keywords else {
            return self.always;
        };
        ac.find_overlapping_iter(text).fold(self.always, |bits, m| {
            bits | self.theme_of[m.pattern().as_usize()]
        })
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

    /// Keywords that overlap or contain one another each still count: 实训室 holds
    /// 实训 (equipment) and 训室 is nobody's; 实习 and 顶岗实习 name two themes.
    #[test]
    fn overlapping_keywords_each_count() {
        let c = Coder::new(&[
            theme("equipment", &["实训"]),
            theme("placement", &["顶岗实习"]),
            theme("internship", &["实习"]),
            theme("rooms", &["训室"]),
        ]);
        assert_eq!(c.code("顶岗实习"), 0b0110);
        assert_eq!(c.code("实训室"), 0b1001);
        assert_eq!(Coder::new(&[]).code("实训室"), 0);
    }
}
