//! A response checked against the questionnaire version it answers. Raw answers from a
//! form or the JSON API become a `NewResponse` here or are refused with the field named.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::{QuestionKind, Survey};

/// One stored answer. Serialised untagged: numbers for Likert/integer, strings otherwise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum AnswerValue {
    Number(i64),
    Text(String),
}

/// Why an answer set was refused; `code` is stable, `field` names the question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerError {
    pub code: &'static str,
    pub field: String,
    pub message: String,
    pub message_zh: String,
}

pub const MAX_ATTRIBUTES: usize = 16;
pub const MAX_ATTRIBUTE_LEN: usize = 200;

#[derive(Debug, Clone, PartialEq)]
pub struct NewResponse {
    pub id: Uuid,
    pub answers: BTreeMap<String, AnswerValue>,
    pub attributes: BTreeMap<String, String>,
}

impl NewResponse {
    /// Checks every answer; returns all problems, in questionnaire order.
    pub fn parse(
        survey: &Survey,
        id: Uuid,
        raw: &serde_json::Map<String, Value>,
        raw_attributes: &serde_json::Map<String, Value>,
    ) -> Result<Self, Vec<AnswerError>> {
        let mut errors = Vec::new();
        for key in raw.keys() {
            if survey.question(key).is_none() {
                errors.push(err(
                    "unknown_question",
                    key,
                    format!("question {key:?} is not in questionnaire {:?}", survey.slug),
                    "问卷中没有这个题目".into(),
                ));
            }
        }
        let mut answers = BTreeMap::new();
        let mut attributes = BTreeMap::new();
        for q in survey.questions() {
            let value = raw.get(&q.id).filter(|v| !is_blank(v));
            let Some(value) = value else {
                if q.required {
                    errors.push(err(
                        "missing_answer",
                        &q.id,
                        format!("question {:?} is required", q.id),
                        "此题为必答题".into(),
                    ));
                }
                continue;
            };
            match parse_one(survey, &q.kind, &q.id, value) {
                Ok(v) => {
                    if let (Some(attr), AnswerValue::Text(code)) = (&q.attribute, &v) {
                        attributes.insert(attr.clone(), code.clone());
                    }
                    answers.insert(q.id.clone(), v);
                }
                Err(e) => errors.push(e),
            }
        }
        if raw_attributes.len() > MAX_ATTRIBUTES {
            errors.push(err(
                "too_many_attributes",
                "attributes",
                format!("at most {MAX_ATTRIBUTES} attributes are accepted"),
                "属性过多".into(),
            ));
        }
        for (k, v) in raw_attributes {
            let field = format!("attributes.{k}");
            let valid_key = !k.is_empty()
                && k.len() <= 32
                && k.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !valid_key {
                errors.push(err(
                    "invalid_attribute",
                    &field,
                    "attribute names are 1-32 characters of a-z, 0-9 and _".into(),
                    "属性名无效".into(),
                ));
                continue;
            }
            match v {
                Value::String(s) if !s.trim().is_empty() && s.chars().count() <= MAX_ATTRIBUTE_LEN => {
                    // An answer given in the questionnaire wins over a prefilled attribute.
                    attributes.entry(k.clone()).or_insert_with(|| s.trim().to_string());
                }
                _ => errors.push(err(
                    "invalid_attribute",
                    &field,
                    format!("attribute {k:?} must be a non-empty string of at most {MAX_ATTRIBUTE_LEN} characters"),
                    "属性值无效".into(),
                )),
            }
        }
        if errors.is_empty() {
            Ok(Self {
                id,
                answers,
                attributes,
            })
        } else {
            Err(errors)
        }
    }

    /// sha256 over the canonical JSON of answers and attributes: equal iff same content.
    pub fn fingerprint(&self) -> String {
        let canonical =
            serde_json::json!({ "answers": self.answers, "attributes": self.attributes });
        hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
    }
}

fn is_blank(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        _ => false,
    }
}

fn err(code: &'static str, field: &str, message: String, message_zh: String) -> AnswerError {
    AnswerError {
        code,
        field: field.to_string(),
        message,
        message_zh,
    }
}

/// Numbers may arrive as JSON numbers (API) or strings (HTML forms).
fn as_integer(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn parse_one(
    survey: &Survey,
    kind: &QuestionKind,
    id: &str,
    v: &Value,
) -> Result<AnswerValue, AnswerError> {
    match kind {
        QuestionKind::Likert { .. } | QuestionKind::Importance { .. } => {
            let points = i64::from(survey.scale.points);
            let n = as_integer(v).ok_or_else(|| {
                err(
                    "wrong_type",
                    id,
                    format!("question {id:?} takes a scale point 1..{points}, got {v}"),
                    "请选择一个选项".into(),
                )
            })?;
            if !(1..=points).contains(&n) {
                return Err(err(
                    "out_of_scale",
                    id,
                    format!("question {id:?} takes a scale point 1..{points}, got {n}"),
                    format!("请选择 1 到 {points} 之间的选项"),
                ));
            }
            Ok(AnswerValue::Number(n))
        }
        QuestionKind::Integer { min, max } => {
            let n = as_integer(v).ok_or_else(|| {
                err(
                    "wrong_type",
                    id,
                    format!("question {id:?} takes a whole number, got {v}"),
                    "请输入整数".into(),
                )
            })?;
            if n < *min || n > *max {
                return Err(err(
                    "out_of_range",
                    id,
                    format!("question {id:?} takes a number from {min} to {max}, got {n}"),
                    format!("请输入 {min} 到 {max} 之间的整数"),
                ));
            }
            Ok(AnswerValue::Number(n))
        }
        QuestionKind::Single { choices } => {
            let Value::String(s) = v else {
                return Err(err(
                    "wrong_type",
                    id,
                    format!("question {id:?} takes a choice code as a string, got {v}"),
                    "请选择一个选项".into(),
                ));
            };
            let s = s.trim();
            if !choices.iter().any(|c| c.code == s) {
                let codes: Vec<&str> = choices.iter().map(|c| c.code.as_str()).collect();
                return Err(err(
                    "unknown_choice",
                    id,
                    format!(
                        "question {id:?} has no choice {s:?}; choices are {}",
                        codes.join(", ")
                    ),
                    "所选选项无效".into(),
                ));
            }
            Ok(AnswerValue::Text(s.to_string()))
        }
        QuestionKind::Text { max_length, .. } => {
            let Value::String(s) = v else {
                return Err(err(
                    "wrong_type",
                    id,
                    format!("question {id:?} takes text, got {v}"),
                    "请输入文字".into(),
                ));
            };
            if s.chars().count() > *max_length {
                return Err(err(
                    "text_too_long",
                    id,
                    format!("question {id:?} takes at most {max_length} characters"),
                    format!("最多 {max_length} 个字"),
                ));
            }
            if s.contains('\0') {
                return Err(err(
                    "invalid_text",
                    id,
                    format!("question {id:?} contains a NUL character"),
                    "包含无效字符".into(),
                ));
            }
            Ok(AnswerValue::Text(s.trim().to_string()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Audience, Choice, LikertScale, Question, Section};
    use serde_json::json;

    fn survey() -> Survey {
        Survey {
            slug: "s".into(),
            audience: Audience::Students,
            title: "t".into(),
            intro: String::new(),
            scale: LikertScale {
                points: 5,
                labels: vec!["1".into(), "2".into(), "3".into(), "4".into(), "5".into()],
            },
            sections: vec![Section {
                title: "a".into(),
                questions: vec![
                    Question {
                        id: "sector".into(),
                        text: "?".into(),
                        required: true,
                        attribute: Some("sector".into()),
                        kind: QuestionKind::Single {
                            choices: vec![Choice {
                                code: "ecommerce".into(),
                                label: "电子商务".into(),
                            }],
                        },
                    },
                    Question {
                        id: "q1".into(),
                        text: "?".into(),
                        required: true,
                        attribute: None,
                        kind: QuestionKind::Likert {
                            indicator: "B1".into(),
                            reverse: false,
                        },
                    },
                    Question {
                        id: "note".into(),
                        text: "?".into(),
                        required: false,
                        attribute: None,
                        kind: QuestionKind::Text {
                            max_length: 5,
                            multiline: false,
                            in_report: false,
                        },
                    },
                ],
            }],
        }
    }

    fn parse(answers: Value) -> Result<NewResponse, Vec<AnswerError>> {
        let Value::Object(m) = answers else {
            panic!("object expected")
        };
        NewResponse::parse(&survey(), Uuid::nil(), &m, &serde_json::Map::new())
    }

    #[test]
    fn valid_answers_become_a_response_with_attributes() {
        let r = parse(json!({"sector": "ecommerce", "q1": 4})).expect("valid");
        assert_eq!(r.answers["q1"], AnswerValue::Number(4));
        assert_eq!(r.attributes["sector"], "ecommerce");
    }

    #[test]
    fn each_invalid_answer_has_its_code_and_field() {
        let cases = [
            (json!({"sector": "ecommerce"}), "missing_answer", "q1"),
            (
                json!({"sector": "ecommerce", "q1": 6}),
                "out_of_scale",
                "q1",
            ),
            (
                json!({"sector": "ecommerce", "q1": "x"}),
                "wrong_type",
                "q1",
            ),
            (
                json!({"sector": "nope", "q1": 3}),
                "unknown_choice",
                "sector",
            ),
            (
                json!({"sector": "ecommerce", "q1": 3, "zz": 1}),
                "unknown_question",
                "zz",
            ),
            (
                json!({"sector": "ecommerce", "q1": 3, "note": "toolong"}),
                "text_too_long",
                "note",
            ),
        ];
        for (input, code, field) in cases {
            let errors = parse(input.clone()).expect_err(&format!("{input} must be refused"));
            assert_eq!(
                (errors[0].code, errors[0].field.as_str()),
                (code, field),
                "case {input}"
            );
        }
    }

    #[test]
    fn fingerprint_ignores_key_order_but_not_values() {
        let a = parse(json!({"q1": 4, "sector": "ecommerce"})).expect("valid");
        let b = parse(json!({"sector": "ecommerce", "q1": 4})).expect("valid");
        let c = parse(json!({"sector": "ecommerce", "q1": 5})).expect("valid");
        assert_eq!(a.fingerprint(), b.fingerprint());
        assert_ne!(a.fingerprint(), c.fingerprint());
    }
}
