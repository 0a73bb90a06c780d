//! What a campaign says about its open answers: the words its segmenter must know
//! (`dictionary.txt`), the words left out of term counts (`stopwords.txt` on top of the
//! shipped list), the keyword→theme coding table (`themes.toml`) and the names to
//! redact (`redact.toml`).

use serde::{Deserialize, Serialize};

/// A word added to the segmenter's dictionary (jieba's `word [freq] [tag]` line).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserWord {
    pub word: String,
    pub freq: Option<usize>,
    pub tag: Option<String>,
}

/// One theme of the coding table: an answer is coded into it when it contains any of
/// its keywords.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Theme {
    pub code: String,
    pub name: String,
    pub name_en: String,
    pub keywords: Vec<String>,
}

/// Names redacted from every open answer before it is shown or counted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedactList {
    /// People (redacted as 〔姓名〕).
    pub people: Vec<String>,
    /// Schools, enterprises and other organisations (redacted as 〔单位〕).
    pub organisations: Vec<String>,
}

/// A campaign's text analysis settings, from the files next to `campaign.toml`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TextSettings {
    pub dictionary: Vec<UserWord>,
    /// Stop words added to the shipped list.
    pub stop_words: Vec<String>,
    /// Shipped stop words this campaign counts after all (`!word` lines).
    pub kept_words: Vec<String>,
    pub themes: Vec<Theme>,
    pub redact: RedactList,
}
