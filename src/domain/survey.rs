//! A questionnaire for one stakeholder group, as published and stored.

use serde::{Deserialize, Serialize};

use super::Audience;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Survey {
    pub slug: String,
    pub audience: Audience,
    pub title: String,
    pub intro: String,
    pub scale: LikertScale,
    pub sections: Vec<Section>,
}

/// The Likert scale shared by the scored items of a questionnaire: codes 1..=points.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LikertScale {
    pub points: u8,
    pub labels: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Section {
    pub title: String,
    pub questions: Vec<Question>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Question {
    pub id: String,
    pub text: String,
    pub required: bool,
    /// When set, the answer is also recorded as this respondent attribute (e.g. sector).
    pub attribute: Option<String>,
    pub kind: QuestionKind,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum QuestionKind {
    Single {
        choices: Vec<Choice>,
    },
    Likert {
        indicator: String,
        reverse: bool,
    },
    /// A rating, on the questionnaire's scale, of how important the thing measured by
    /// Likert item `of` is to the respondent (for importance–performance analysis). Not
    /// scored into any indicator.
    Importance {
        of: String,
    },
    Integer {
        min: i64,
        max: i64,
    },
    /// `in_report`: the answers may be quoted (escaped, anonymously) in the report's
    /// appendix; off by default.
    Text {
        max_length: usize,
        multiline: bool,
        #[serde(default)]
        in_report: bool,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Choice {
    pub code: String,
    pub label: String,
}

impl Survey {
    pub fn questions(&self) -> impl Iterator<Item = &Question> {
        self.sections.iter().flat_map(|s| s.questions.iter())
    }

    pub fn question(&self, id: &str) -> Option<&Question> {
        self.questions().find(|q| q.id == id)
    }
}

impl QuestionKind {
    pub fn type_name(&self) -> &'static str {
        match self {
            QuestionKind::Single { .. } => "single",
            QuestionKind::Likert { .. } => "likert",
            QuestionKind::Importance { .. } => "importance",
            QuestionKind::Integer { .. } => "integer",
            QuestionKind::Text { .. } => "text",
        }
    }
}
