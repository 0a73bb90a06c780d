//! The stakeholder groups that answer a campaign's questionnaires.

use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    Students,
    Teachers,
    Enterprises,
}

impl Audience {
    pub const ALL: [Audience; 3] = [
        Audience::Students,
        Audience::Teachers,
        Audience::Enterprises,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Audience::Students => "students",
            Audience::Teachers => "teachers",
            Audience::Enterprises => "enterprises",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Audience::Students => "学生",
            Audience::Teachers => "教师",
            Audience::Enterprises => "企业",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// The group's name as a heading or column label ("学生", "Students").
    pub fn label(self, lang: super::Lang) -> &'static str {
        match (lang, self) {
            (super::Lang::Zh, _) => self.label_zh(),
            (super::Lang::En, Audience::Students) => "Students",
            (super::Lang::En, Audience::Teachers) => "Teachers",
            (super::Lang::En, Audience::Enterprises) => "Enterprises",
        }
    }

    /// The group's name inside a sentence ("学生", "students").
    pub fn in_sentence(self, lang: super::Lang) -> &'static str {
        match lang {
            super::Lang::Zh => self.label_zh(),
            super::Lang::En => self.as_str(),
        }
    }
}

impl fmt::Display for Audience {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
