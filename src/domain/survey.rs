//! A questionnaire for one stakeholder group, as published and stored.
//!
//! Stored as JSON in `survey_versions`; fields added after the first release carry
//! `serde(default)` so older stored versions still load.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::expr::Expression;
use super::Audience;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Survey {
    pub slug: String,
    pub audience: Audience,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title_en: Option<String>,
    pub intro: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intro_en: Option<String>,
    /// The definition's declared version number (`version = N`), used to publish a
    /// change that drops answered questions or choices explicitly as a new version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub declared_version: Option<u32>,
    pub scale: LikertScale,
    pub sections: Vec<Section>,
    /// Who may answer and when: anonymity, opening window, response cap, quotas.
    #[serde(default, skip_serializing_if = "Access::is_default")]
    pub access: Access,
}

/// Distribution rules of one questionnaire.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Access {
    /// Invitation tokens are marked used, but nothing stored links a token to answers.
    #[serde(default)]
    pub anonymous: bool,
    #[serde(default)]
    pub opens: Option<DateTime<Utc>>,
    #[serde(default)]
    pub closes: Option<DateTime<Utc>>,
    /// Closed once this many responses are stored.
    #[serde(default)]
    pub max_responses: Option<u64>,
    #[serde(default)]
    pub quotas: Vec<Quota>,
}

/// At most `max` responses whose attribute `attribute` is `value`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quota {
    pub attribute: String,
    pub value: String,
    pub max: u64,
}

/// Whether a questionnaire takes answers now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SurveyState {
    NotYetOpen(DateTime<Utc>),
    Open,
    Closed,
    /// The maximum number of responses is reached.
    Full,
}

impl Access {
    pub fn is_default(&self) -> bool {
        self == &Access::default()
    }

    /// The state at `now` with `stored` responses.
    pub fn state(&self, now: DateTime<Utc>, stored: u64) -> SurveyState {
        match (self.opens, self.closes) {
            (Some(o), _) if now < o => SurveyState::NotYetOpen(o),
            (_, Some(c)) if now >= c => SurveyState::Closed,
            _ if self.max_responses.is_some_and(|m| stored >= m) => SurveyState::Full,
            _ => SurveyState::Open,
        }
    }
}

/// The Likert scale shared by the scored items of a questionnaire: codes 1..=points.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LikertScale {
    pub points: u8,
    pub labels: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels_en: Option<Vec<String>>,
}

/// A page on a phone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Section {
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title_en: Option<String>,
    /// Shown only when this holds; its questions are then not required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relevant: Option<Expression>,
    pub questions: Vec<Question>,
}

/// One thing a section shows: a question alone, or a Likert matrix with its rows (the
/// consecutive questions that share its header).
pub enum SectionItem<'a> {
    Single(&'a Question),
    Matrix(&'a MatrixHeader, Vec<&'a Question>),
}

impl Section {
    /// The section's questions grouped as they are shown, in order: the one place that
    /// gathers a matrix's rows (survey page, definition writer, XLSForm export).
    pub fn items(&self) -> Vec<SectionItem<'_>> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < self.questions.len() {
            let q = &self.questions[i];
            match &q.matrix {
                Some(m) => {
                    let rows: Vec<&Question> = self.questions[i..]
                        .iter()
                        .take_while(|r| r.matrix.as_ref().is_some_and(|h| h.id == m.id))
                        .collect();
                    i += rows.len();
                    out.push(SectionItem::Matrix(m, rows));
                }
                None => {
                    out.push(SectionItem::Single(q));
                    i += 1;
                }
            }
        }
        out
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Question {
    pub id: String,
    /// The label in the default language (Chinese for our campaigns).
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_en: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint_en: Option<String>,
    pub required: bool,
    /// Required only when this holds (overrides `required`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_if: Option<Expression>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_message: Option<String>,
    /// Display logic: asked only when this holds; otherwise not required and any answer
    /// sent for it is discarded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relevant: Option<Expression>,
    /// Must hold for an answer (`.` is the answer) to be accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub constraint: Option<Expression>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub constraint_message: Option<String>,
    /// Pre-filled answer on the page (a valid answer in its text form).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// Set on the statements of a Likert matrix: consecutive questions with the same
    /// matrix id are shown as one block sharing the scale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matrix: Option<MatrixHeader>,
    /// When set, the answer is also recorded as this respondent attribute (e.g. sector).
    pub attribute: Option<String>,
    pub kind: QuestionKind,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MatrixHeader {
    pub id: String,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_en: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum QuestionKind {
    /// One choice; with `other`, the code `other` plus a free-text `<id>_other` answer.
    Single {
        choices: Vec<Choice>,
        #[serde(default)]
        other: bool,
    },
    /// Any number of choices within `min..=max` selections; stored as a list of codes.
    Multiple {
        choices: Vec<Choice>,
        #[serde(default)]
        other: bool,
        #[serde(default)]
        min: Option<u32>,
        #[serde(default)]
        max: Option<u32>,
    },
    /// A point on the questionnaire's Likert scale. `indicator: None` = asked but not
    /// scored into any indicator.
    Likert {
        indicator: Option<String>,
        reverse: bool,
    },
    /// A rating, on the questionnaire's scale, of how important the thing measured by
    /// Likert item `of` is to the respondent (for importance–performance analysis). Not
    /// scored into any indicator.
    Importance {
        of: String,
    },
    /// An instructed-response item on the questionnaire's Likert scale (e.g. "本题请选择
    /// ‘同意’"): an answer other than point `expect` flags the response `attention`.
    /// Scored into nothing.
    Attention {
        expect: u8,
    },
    /// A 0–10 (NPS-style) or other whole-number rating scale with end labels.
    Rating {
        min: i64,
        max: i64,
        #[serde(default)]
        min_label: Option<String>,
        #[serde(default)]
        max_label: Option<String>,
    },
    Integer {
        min: i64,
        max: i64,
    },
    Decimal {
        #[serde(default)]
        min: Option<f64>,
        #[serde(default)]
        max: Option<f64>,
    },
    /// `in_report`: the answers may be quoted (escaped, anonymously) in the report's
    /// appendix; off by default.
    Text {
        max_length: usize,
        multiline: bool,
        #[serde(default)]
        in_report: bool,
    },
    /// Put every choice in order, most preferred first; stored as the ordered codes.
    Ranking {
        choices: Vec<Choice>,
    },
    /// A calendar date, stored as YYYY-MM-DD; bounds inclusive.
    Date {
        #[serde(default)]
        min: Option<String>,
        #[serde(default)]
        max: Option<String>,
    },
    /// Text shown to the respondent; takes no answer.
    Note,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Choice {
    pub code: String,
    pub label: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_en: Option<String>,
}

/// The code and the answer-key suffix of "other, please specify".
pub const OTHER_CODE: &str = "other";
pub const OTHER_SUFFIX: &str = "_other";
pub const OTHER_MAX_LENGTH: usize = 200;

impl Survey {
    pub fn questions(&self) -> impl Iterator<Item = &Question> {
        self.sections.iter().flat_map(|s| s.questions.iter())
    }

    pub fn question(&self, id: &str) -> Option<&Question> {
        self.questions().find(|q| q.id == id)
    }

    /// Scored Likert items: (question, indicator code, reverse).
    pub fn scored_items(&self) -> impl Iterator<Item = (&Question, &str, bool)> {
        self.questions().filter_map(|q| match &q.kind {
            QuestionKind::Likert {
                indicator: Some(i),
                reverse,
            } => Some((q, i.as_str(), *reverse)),
            _ => None,
        })
    }

    /// Display logic, conditional requirements and constraints as syntax trees, for the
    /// respondent page to evaluate with the same semantics as the server (which stays
    /// authoritative): `{"sections": [{"relevant", "questions": [ids]}], "questions":
    /// {id: {"relevant", "required_if", "constraint"}}}`, only questions with logic.
    pub fn logic(&self) -> serde_json::Value {
        let sections: Vec<serde_json::Value> = self
            .sections
            .iter()
            .map(|s| {
                let mut o = serde_json::json!({
                    "questions": s.questions.iter().map(|q| q.id.as_str()).collect::<Vec<_>>(),
                });
                if let Some(e) = &s.relevant {
                    o["relevant"] = serde_json::json!(e.ast());
                }
                o
            })
            .collect();
        let mut questions = serde_json::Map::new();
        for q in self.questions() {
            let mut logic = serde_json::Map::new();
            for (key, e) in [
                ("relevant", &q.relevant),
                ("required_if", &q.required_if),
                ("constraint", &q.constraint),
            ] {
                if let Some(e) = e {
                    logic.insert(key.into(), serde_json::json!(e.ast()));
                }
            }
            if !logic.is_empty() {
                questions.insert(q.id.clone(), serde_json::Value::Object(logic));
            }
        }
        serde_json::json!({ "sections": sections, "questions": questions })
    }

    /// The stored code of attribute value `value` (given as a code or a choice label, in
    /// either language) when a question records `attr`; otherwise `value` unchanged.
    pub fn attribute_code(&self, attr: &str, value: &str) -> String {
        let value = value.trim();
        self.questions()
            .filter(|q| q.attribute.as_deref() == Some(attr))
            .flat_map(|q| q.kind.choices())
            .find(|c| c.code == value || c.label == value || c.label_en.as_deref() == Some(value))
            .map_or_else(|| value.to_string(), |c| c.code.clone())
    }

    /// The answer keys this questionnaire accepts: question ids (except notes) and the
    /// `<id>_other` texts.
    pub fn answer_keys(&self) -> Vec<String> {
        let mut keys = Vec::new();
        for q in self.questions() {
            if matches!(q.kind, QuestionKind::Note) {
                continue;
            }
            keys.push(q.id.clone());
            if q.kind.has_other() {
                keys.push(format!("{}{OTHER_SUFFIX}", q.id));
            }
        }
        keys
    }
}

impl QuestionKind {
    pub fn type_name(&self) -> &'static str {
        match self {
            QuestionKind::Single { .. } => "single",
            QuestionKind::Multiple { .. } => "multiple",
            QuestionKind::Likert { .. } => "likert",
            QuestionKind::Importance { .. } => "importance",
            QuestionKind::Attention { .. } => "attention",
            QuestionKind::Rating { .. } => "rating",
            QuestionKind::Integer { .. } => "integer",
            QuestionKind::Decimal { .. } => "decimal",
            QuestionKind::Text { .. } => "text",
            QuestionKind::Ranking { .. } => "ranking",
            QuestionKind::Date { .. } => "date",
            QuestionKind::Note => "note",
        }
    }

    pub fn choices(&self) -> &[Choice] {
        match self {
            QuestionKind::Single { choices, .. }
            | QuestionKind::Multiple { choices, .. }
            | QuestionKind::Ranking { choices } => choices,
            _ => &[],
        }
    }

    pub fn has_other(&self) -> bool {
        matches!(
            self,
            QuestionKind::Single { other: true, .. } | QuestionKind::Multiple { other: true, .. }
        )
    }
}

impl Question {
    /// A required question with nothing optional set.
    pub fn new(id: &str, text: &str, kind: QuestionKind) -> Self {
        Self {
            id: id.to_string(),
            text: text.to_string(),
            text_en: None,
            hint: None,
            hint_en: None,
            required: !matches!(kind, QuestionKind::Note),
            required_if: None,
            required_message: None,
            relevant: None,
            constraint: None,
            constraint_message: None,
            default: None,
            matrix: None,
            attribute: None,
            kind,
        }
    }
}

impl Choice {
    pub fn new(code: &str, label: &str) -> Self {
        Self {
            code: code.to_string(),
            label: label.to_string(),
            label_en: None,
        }
    }
}
