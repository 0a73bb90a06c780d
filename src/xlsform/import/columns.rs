//! How XLSForm columns are read: which column holds which language of a text, yes/no
//! cells, and the media columns Chorus refuses.

use crate::xlsform::sheet::{Row, Table};

/// The language of an XLSForm column (`label::Chinese (zh)`, `label`, …), not a
/// page language (`domain::Lang`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum ColumnLang {
    Zh,
    En,
    Default,
    Other,
}

fn classify(lang: Option<&str>, default_language: Option<&str>) -> ColumnLang {
    let Some(l) = lang.or(default_language) else {
        return ColumnLang::Default;
    };
    let l = l.to_lowercase();
    let code = l
        .split('(')
        .nth(1)
        .map(|c| c.trim_end_matches(')').trim().to_string());
    let is = |names: &[&str]| {
        names.iter().any(|n| l.trim() == *n) || code.as_deref().is_some_and(|c| names.contains(&c))
    };
    if is(&[
        "zh",
        "zh-cn",
        "zh-hans",
        "chinese",
        "中文",
        "简体中文",
        "汉语",
    ]) || l.starts_with("chinese")
        || l.starts_with("中文")
    {
        ColumnLang::Zh
    } else if is(&["en", "en-us", "en-gb", "english"]) || l.starts_with("english") {
        ColumnLang::En
    } else if lang.is_none() {
        ColumnLang::Default
    } else {
        ColumnLang::Other
    }
}

/// Which columns carry a translatable field: the default-language text (first non-empty
/// of zh, plain, en, other) and the English text.
pub(super) struct LangCols {
    pub(super) primary: Vec<usize>,
    pub(super) en: Option<usize>,
}

pub(super) fn lang_cols(t: &Table, base: &str, default_language: Option<&str>) -> LangCols {
    let cols: Vec<(usize, ColumnLang)> = t
        .lang_cols(base)
        .into_iter()
        .map(|(i, l)| {
            (
                i,
                classify(
                    l.as_deref(),
                    if l.is_none() { default_language } else { None },
                ),
            )
        })
        .collect();
    let has = |k: ColumnLang| cols.iter().any(|(_, l)| *l == k);
    // `label` beside `label::chinese` and no English column: the plain one is English.
    let plain_is_en = default_language.is_none()
        && has(ColumnLang::Zh)
        && has(ColumnLang::Default)
        && !has(ColumnLang::En);
    let kind = |l: ColumnLang| {
        if plain_is_en && l == ColumnLang::Default {
            ColumnLang::En
        } else {
            l
        }
    };
    let pick = |k: ColumnLang| {
        cols.iter()
            .filter(move |(_, l)| kind(*l) == k)
            .map(|(i, _)| *i)
    };
    let primary: Vec<usize> = pick(ColumnLang::Zh)
        .chain(pick(ColumnLang::Default))
        .chain(pick(ColumnLang::En))
        .chain(pick(ColumnLang::Other))
        .collect();
    LangCols {
        en: pick(ColumnLang::En).next(),
        primary,
    }
}

impl LangCols {
    /// (default-language text, English text) for one row.
    pub(super) fn texts(&self, t: &Table, row: &Row) -> (String, Option<String>) {
        let primary = self
            .primary
            .iter()
            .map(|c| (*c, t.get(row, Some(*c))))
            .find(|(_, v)| !v.is_empty());
        let en = self
            .en
            .map(|c| (c, t.get(row, Some(c))))
            .filter(|(c, v)| !v.is_empty() && primary.map(|p| p.0) != Some(*c))
            .map(|(_, v)| v.to_string());
        (primary.map(|p| p.1.to_string()).unwrap_or_default(), en)
    }
}

pub(super) fn yes(v: &str) -> Option<bool> {
    match v.trim().to_lowercase().as_str() {
        "yes" | "true" | "true()" | "1" | "y" => Some(true),
        "no" | "false" | "false()" | "0" | "n" | "" => Some(false),
        _ => None,
    }
}

/// The columns that would attach media (image, audio, video) to a row.
pub(super) fn media_columns(t: &Table) -> Vec<usize> {
    t.headers
        .iter()
        .enumerate()
        .filter(|(_, h)| {
            matches!(
                h.base.as_str(),
                "image" | "audio" | "video" | "media" | "big_image"
            )
        })
        .map(|(i, _)| i)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_are_recognised() {
        assert_eq!(classify(Some("English (en)"), None), ColumnLang::En);
        assert_eq!(classify(Some("english"), None), ColumnLang::En);
        assert_eq!(classify(Some("EN"), None), ColumnLang::En);
        assert_eq!(classify(Some("中文 (zh)"), None), ColumnLang::Zh);
        assert_eq!(classify(Some("chinese"), None), ColumnLang::Zh);
        assert_eq!(classify(Some("French (fr)"), None), ColumnLang::Other);
        assert_eq!(classify(None, None), ColumnLang::Default);
    }
}
