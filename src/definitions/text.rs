//! The open-answer files next to `campaign.toml`, all optional:
//!
//! - `dictionary.txt`: words the segmenter must keep whole, one per line as jieba
//!   writes them (`双师型 [freq] [tag]`);
//! - `stopwords.txt`: words left out of term counts on top of the shipped list, one per
//!   line; `!word` counts a shipped stop word after all;
//! - `themes.toml`: the keyword→theme coding table (`[[theme]] code, name, name_en,
//!   keywords`);
//! - `redact.toml`: names redacted from every answer (`people = [...]`,
//!   `organisations = [...]`).

use std::collections::BTreeSet;
use std::ops::Range;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::{Problem, Sink};
use crate::domain::text::{RedactList, TextSettings, Theme, UserWord};

pub const DICTIONARY_FILE: &str = "dictionary.txt";
pub const STOPWORDS_FILE: &str = "stopwords.txt";
pub const THEMES_FILE: &str = "themes.toml";
pub const REDACT_FILE: &str = "redact.toml";

const FILES: [&str; 4] = [DICTIONARY_FILE, STOPWORDS_FILE, THEMES_FILE, REDACT_FILE];

/// Reads whichever of the four files `folder` holds into one settings value.
pub fn load(folder: &Path) -> Result<TextSettings, Vec<Problem>> {
    let mut settings = TextSettings::default();
    let mut problems = Vec::new();
    for name in FILES {
        let path = folder.join(name);
        if path.is_file() {
            if let Err(p) = read_into(&path, &mut settings) {
                problems.extend(p);
            }
        }
    }
    if problems.is_empty() {
        Ok(settings)
    } else {
        Err(problems)
    }
}

/// Reads one of the four files, told apart by its name, into `settings`.
pub fn read_into(path: &Path, settings: &mut TextSettings) -> Result<(), Vec<Problem>> {
    let text = super::read(path)?;
    match path.file_name().and_then(|n| n.to_str()) {
        Some(DICTIONARY_FILE) => settings.dictionary = parse_dictionary(path, &text)?,
        Some(STOPWORDS_FILE) => {
            (settings.stop_words, settings.kept_words) = parse_stop_words(path, &text)?
        }
        Some(THEMES_FILE) => settings.themes = parse_themes(path, &text)?,
        Some(REDACT_FILE) => settings.redact = parse_redact(path, &text)?,
        _ => {}
    }
    Ok(())
}

/// Whether `name` is one of the open-answer files (not a questionnaire).
pub fn is_text_file(name: &str) -> bool {
    FILES.contains(&name)
}

/// The lines of a word list that say something: (byte span, trimmed text), without
/// blank lines and `#` comments.
fn lines(text: &str) -> impl Iterator<Item = (Range<usize>, &str)> {
    let mut at = 0;
    text.split_inclusive('\n').filter_map(move |raw| {
        let start = at;
        at += raw.len();
        let line = raw.trim();
        let lead = raw.len() - raw.trim_start().len();
        (!line.is_empty() && !line.starts_with('#'))
            .then(|| (start + lead..start + lead + line.len(), line))
    })
}

/// Parses `dictionary.txt`.
pub fn parse_dictionary(path: &Path, text: &str) -> Result<Vec<UserWord>, Vec<Problem>> {
    let mut sink = Sink::new(path, text);
    let mut seen = BTreeSet::new();
    let mut words = Vec::new();
    for (span, line) in lines(text) {
        let mut fields = line.split_whitespace();
        let word = fields.next().unwrap_or_default().to_string();
        let mut freq = None;
        let mut tag = None;
        for f in fields {
            match (f.parse::<usize>(), freq, tag.as_ref()) {
                (Ok(n), None, None) if n > 0 => freq = Some(n),
                (Ok(_), None, None) => {
                    sink.at(span.clone(), format!("frequency {f} of {word:?} must be at least 1; leave it out to let the segmenter choose"));
                }
                (Err(_), _, None) if f.chars().all(|c| c.is_ascii_alphabetic()) => {
                    tag = Some(f.to_string())
                }
                _ => sink.at(
                    span.clone(),
                    format!("{line:?} is not a dictionary line; write one word, then optionally a frequency and a part-of-speech tag: 双师型 5 n"),
                ),
            }
        }
        if !seen.insert(word.clone()) {
            sink.at(span, format!("{word:?} is listed twice; keep one line"));
            continue;
        }
        words.push(UserWord { word, freq, tag });
    }
    done(sink, words)
}

/// Parses `stopwords.txt` into (added stop words, shipped ones kept as terms).
pub fn parse_stop_words(
    path: &Path,
    text: &str,
) -> Result<(Vec<String>, Vec<String>), Vec<Problem>> {
    let mut sink = Sink::new(path, text);
    let (mut add, mut keep) = (Vec::new(), Vec::new());
    let mut seen = BTreeSet::new();
    for (span, line) in lines(text) {
        let (list, word) = match line.strip_prefix('!') {
            Some(w) => (&mut keep, w.trim()),
            None => (&mut add, line),
        };
        if word.is_empty() || word.contains(char::is_whitespace) {
            sink.at(
                span,
                format!("{line:?} is not one word; write one stop word per line (or !word to count a shipped one)"),
            );
            continue;
        }
        if !seen.insert(word.to_string()) {
            sink.at(span, format!("{word:?} is listed twice; keep one line"));
            continue;
        }
        list.push(word.to_string());
    }
    done(sink, (add, keep))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawThemes {
    #[serde(default)]
    theme: Vec<Spanned<RawTheme>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTheme {
    code: Spanned<String>,
    name: String,
    name_en: Option<String>,
    keywords: Spanned<Vec<String>>,
}

const THEME_HINT: &str = "a theme looks like [[theme]] code = \"equipment\", name = \"实训设备\", name_en = \"Training equipment\", keywords = [\"设备\", \"实训室\"]";

/// Parses `themes.toml`.
pub fn parse_themes(path: &Path, text: &str) -> Result<Vec<Theme>, Vec<Problem>> {
    let mut sink = Sink::new(path, text);
    let raw: RawThemes = match toml::from_str(text) {
        Ok(r) => r,
        Err(e) => {
            sink.at(
                e.span().unwrap_or(0..0),
                format!("{}; {THEME_HINT}", e.message().trim()),
            );
            return Err(sink.problems);
        }
    };
    let mut codes = BTreeSet::new();
    let mut themes = Vec::new();
    for t in raw.theme {
        let t = t.into_inner();
        let code = t.code.get_ref();
        let valid = !code.is_empty()
            && code
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
        if !valid {
            sink.at(
                t.code.span(),
                format!("theme code {code:?} must be lower-case letters, digits, '-' or '_'"),
            );
        } else if !codes.insert(code.clone()) {
            sink.at(
                t.code.span(),
                format!("theme code {code:?} is used twice; give each theme its own code"),
            );
        }
        let keywords: Vec<String> = t
            .keywords
            .get_ref()
            .iter()
            .map(|k| k.trim().to_string())
            .collect();
        if keywords.is_empty() || keywords.iter().any(String::is_empty) {
            sink.at(
                t.keywords.span(),
                format!("theme {code:?} needs keywords, none of them empty; {THEME_HINT}"),
            );
        }
        themes.push(Theme {
            code: code.clone(),
            name_en: t.name_en.unwrap_or_else(|| t.name.clone()),
            name: t.name,
            keywords,
        });
    }
    done(sink, themes)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRedact {
    #[serde(default)]
    people: Vec<Spanned<String>>,
    #[serde(default)]
    organisations: Vec<Spanned<String>>,
}

/// Parses `redact.toml`.
pub fn parse_redact(path: &Path, text: &str) -> Result<RedactList, Vec<Problem>> {
    let mut sink = Sink::new(path, text);
    let raw: RawRedact = match toml::from_str(text) {
        Ok(r) => r,
        Err(e) => {
            sink.at(
                e.span().unwrap_or(0..0),
                format!(
                    "{}; write people = [\"张伟\"] and organisations = [\"平顺县职业技术学校\"]",
                    e.message().trim()
                ),
            );
            return Err(sink.problems);
        }
    };
    let mut names = |list: Vec<Spanned<String>>| -> Vec<String> {
        let mut out = Vec::new();
        for n in list {
            let name = n.get_ref().trim();
            if name.chars().count() < 2 {
                sink.at(
                    n.span(),
                    format!("name {name:?} is shorter than two characters and would redact ordinary words; write the full name"),
                );
            } else {
                out.push(name.to_string());
            }
        }
        out
    };
    let list = RedactList {
        people: names(raw.people),
        organisations: names(raw.organisations),
    };
    done(sink, list)
}

fn done<T>(sink: Sink<'_>, value: T) -> Result<T, Vec<Problem>> {
    if sink.problems.is_empty() {
        Ok(value)
    } else {
        Err(sink.problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(p: &[Problem]) -> Vec<(usize, usize)> {
        p.iter().map(|p| (p.line, p.col)).collect()
    }

    #[test]
    fn dictionary_lines_take_an_optional_frequency_and_tag() {
        let text = "# words\n双师型\n订单班 20 n\n  顶岗实习 nz\n";
        let words = parse_dictionary(Path::new("d.txt"), text).expect("valid");
        assert_eq!(words.len(), 3);
        assert_eq!(words[1].freq, Some(20));
        assert_eq!(words[1].tag.as_deref(), Some("n"));
        assert_eq!(words[2].word, "顶岗实习");
        assert_eq!(words[2].tag.as_deref(), Some("nz"));
    }

    #[test]
    fn dictionary_problems_name_their_line() {
        let text = "双师型\n订单班 0\n双师型\n实训 5 n 9\n";
        let p = parse_dictionary(Path::new("d.txt"), text).expect_err("invalid");
        assert_eq!(at(&p), vec![(2, 1), (3, 1), (4, 1)]);
        assert!(p[0].message.contains("at least 1"), "{}", p[0].message);
        assert!(p[1].message.contains("twice"), "{}", p[1].message);
        assert!(
            p[2].message.contains("not a dictionary line"),
            "{}",
            p[2].message
        );
    }

    #[test]
    fn stop_words_add_and_keep() {
        let (add, keep) =
            parse_stop_words(Path::new("s.txt"), "希望\n!学校\n# c\n").expect("valid");
        assert_eq!(add, vec!["希望"]);
        assert_eq!(keep, vec!["学校"]);
        let p = parse_stop_words(Path::new("s.txt"), "a b\n!\n").expect_err("invalid");
        assert_eq!(at(&p), vec![(1, 1), (2, 1)]);
    }

    #[test]
    fn themes_are_checked_where_written() {
        let ok = "[[theme]]\ncode = \"equipment\"\nname = \"实训设备\"\nkeywords = [\"设备\"]\n";
        let t = parse_themes(Path::new("t.toml"), ok).expect("valid");
        assert_eq!(t[0].name_en, "实训设备");
        let bad = "[[theme]]\ncode = \"a\"\nname = \"x\"\nkeywords = []\n[[theme]]\ncode = \"a\"\nname = \"y\"\nkeywords = [\"k\"]\n";
        let p = parse_themes(Path::new("t.toml"), bad).expect_err("invalid");
        assert_eq!(at(&p), vec![(4, 12), (6, 8)]);
        let unknown = "[[theme]]\ncode = \"a\"\nname = \"x\"\nkeyword = [\"k\"]\n";
        let p = parse_themes(Path::new("t.toml"), unknown).expect_err("invalid");
        assert!(p[0].message.contains("keyword"), "{}", p[0].message);
    }

    #[test]
    fn redaction_names_must_be_whole_names() {
        let r = parse_redact(
            Path::new("r.toml"),
            "people = [\"张伟\"]\norganisations = [\"平顺县职业技术学校\"]\n",
        )
        .expect("valid");
        assert_eq!(r.people, vec!["张伟"]);
        let p = parse_redact(Path::new("r.toml"), "people = [\"张\"]\n").expect_err("short");
        assert_eq!(at(&p), vec![(1, 11)]);
    }
}
