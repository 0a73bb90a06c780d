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
}

impl fmt::Display for Audience {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
