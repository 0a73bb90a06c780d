//! A response checked against the questionnaire version it answers. Raw answers from a
//! form or the JSON API become a `NewResponse` here or are refused with the field named.

use crate::domain::ErrorCode;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::expr::{Context, V};
use super::quality::Paradata;
use super::{Choice, Question, QuestionKind, Survey, OTHER_CODE, OTHER_MAX_LENGTH, OTHER_SUFFIX};

/// One stored answer, serialised untagged: whole numbers (Likert, rating, integer),
/// decimals, strings (choice codes, text, dates) and lists of codes (multiple choice,
/// ranking).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum AnswerValue {
    Number(i64),
    Decimal(f64),
    Text(String),
    List(Vec<String>),
}

impl AnswerValue {
    /// The value as the expression language sees it (lists as space-separated codes).
    pub fn as_expr_value(&self) -> V {
        match self {
            AnswerValue::Number(n) => V::Num(*n as f64),
            AnswerValue::Decimal(x) => V::Num(*x),
            AnswerValue::Text(t) => V::Str(t.clone()),
            AnswerValue::List(l) => V::Str(l.join(" ")),
        }
    }

    /// The value in one cell of text (CSV, forms): lists joined by spaces.
    pub fn to_text(&self) -> String {
        match self {
            AnswerValue::List(l) => l.join(" "),
            other => other.as_expr_value().text(),
        }
    }
}

/// Why an answer set was refused; `code` is stable, `field` names the question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerError {
    pub code: ErrorCode,
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
    /// How long answering took; not part of the content (a retry measures anew).
    pub paradata: Paradata,
}

/// Answers accepted so far, as an expression context; `.` is `current`.
pub struct AnswerContext<'a> {
    pub answers: &'a BTreeMap<String, AnswerValue>,
    pub current: Option<&'a AnswerValue>,
}

impl Context for AnswerContext<'_> {
    fn value(&self, name: &str) -> V {
        self.answers
            .get(name)
            .map_or(V::Str(String::new()), AnswerValue::as_expr_value)
    }
    fn current(&self) -> V {
        self.current
            .map_or(V::Str(String::new()), AnswerValue::as_expr_value)
    }
}

impl NewResponse {
    /// Checks every answer against the questionnaire, display logic included: a question
    /// whose `relevant` does not hold is not required and an answer sent for it is
    /// discarded. Returns all problems, in questionnaire order.
    pub fn parse(
        survey: &Survey,
        id: Uuid,
        raw: &serde_json::Map<String, Value>,
        raw_attributes: &serde_json::Map<String, Value>,
    ) -> Result<Self, Vec<AnswerError>> {
        let raw = &RawAnswers::new(raw);
        let mut errors = Vec::new();
        let mut answers: BTreeMap<String, AnswerValue> = BTreeMap::new();
        let mut attributes = BTreeMap::new();
        for section in &survey.sections {
            let shown = section.relevant.as_ref().is_none_or(|e| {
                e.truthy(&AnswerContext {
                    answers: &answers,
                    current: None,
                })
            });
            if !shown {
                continue;
            }
            for q in &section.questions {
                answer(survey, q, raw, &mut answers, &mut attributes, &mut errors);
            }
        }
        // Every key looked up is an answer key; only when some were not is each key
        // checked against the questionnaire (its errors come first, as they always did).
        if raw.looked_up.get() < raw.map.len() {
            let mut unknown = unknown_questions(survey, raw.map);
            unknown.append(&mut errors);
            errors = unknown;
        }
        prefilled_attributes(raw_attributes, &mut attributes, &mut errors);
        if errors.is_empty() {
            Ok(Self {
                id,
                answers,
                attributes,
                paradata: Paradata::default(),
            })
        } else {
            Err(errors)
        }
    }

    /// An invitation's attributes (school, sector, …) are authoritative: the organiser
    /// issued it to that group, and quotas, school-scoped access and the anonymous
    /// progress ledger rely on it. An answer to the question that records one of them
    /// must agree, or the response is refused naming that question (the survey page
    /// prefills the invitation's value, so only a changed answer meets this).
    pub fn agrees_with_invitation(
        &self,
        survey: &Survey,
        invitation: &BTreeMap<String, String>,
    ) -> Result<(), Vec<AnswerError>> {
        let errors: Vec<AnswerError> = survey
            .questions()
            .filter_map(|q| {
                let attr = q.attribute.as_ref()?;
                let issued = invitation.get(attr)?;
                let given = self.attributes.get(attr)?;
                (given != issued).then(|| {
                    err(
                        ErrorCode::AttributeMismatch,
                        &q.id,
                        format!(
                            "this invitation was issued for {attr} = {issued:?}, but the answer is {given:?}; the invitation decides, so answer {issued:?} or ask the organiser for the right invitation"
                        ),
                        format!(
                            "此邀请对应的{attr}为“{issued}”，与所填不一致；请按邀请填写，或联系发放问卷的老师更换邀请"
                        ),
                    )
                })
            })
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// The same response with the time its respondent took.
    pub fn with_paradata(self, paradata: Paradata) -> Self {
        Self { paradata, ..self }
    }

    /// sha256 over the canonical JSON of answers and attributes: equal iff same content.
    /// The JSON is `{"answers":{…},"attributes":{…}}` with keys sorted, as `json!` of
    /// the two maps prints it (stored fingerprints were made that way); it is streamed
    /// into the hash, not built.
    pub fn fingerprint(&self) -> String {
        #[derive(Serialize)]
        struct Canonical<'a> {
            answers: &'a BTreeMap<String, AnswerValue>,
            attributes: &'a BTreeMap<String, String>,
        }
        let mut hash = Sha256::new();
        let canonical = Canonical {
            answers: &self.answers,
            attributes: &self.attributes,
        };
        serde_json::to_writer(&mut hash, &canonical)
            .expect("maps of strings and numbers serialise");
        hex::encode(hash.finalize())
    }
}

/// The answers as sent, counting the keys found by lookups: a key is looked up at most
/// once, and only under a name the questionnaire asks (a shown question's id, the
/// `_other` text of a choice whose "other" was picked).
struct RawAnswers<'a> {
    map: &'a serde_json::Map<String, Value>,
    looked_up: std::cell::Cell<usize>,
}

impl<'a> RawAnswers<'a> {
    fn new(map: &'a serde_json::Map<String, Value>) -> Self {
        Self {
            map,
            looked_up: std::cell::Cell::new(0),
        }
    }

    /// The value sent for question `key`, unless blank.
    fn get(&self, key: &str) -> Option<&'a Value> {
        let v = self.map.get(key)?;
        self.looked_up.set(self.looked_up.get() + 1);
        Some(v).filter(|v| !is_blank(v))
    }

    /// The value sent for the `_other` text `key`, unless blank; counted unless a
    /// question of `survey` has that id (then its own lookup counted it).
    fn get_other(&self, survey: &Survey, key: &str) -> Option<&'a Value> {
        let v = self.map.get(key)?;
        if !survey.questions().any(|q| q.id == key) {
            self.looked_up.set(self.looked_up.get() + 1);
        }
        Some(v).filter(|v| !is_blank(v))
    }
}

fn is_blank(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

fn err(code: ErrorCode, field: &str, message: String, message_zh: String) -> AnswerError {
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
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|x| x.fract() == 0.0 && x.abs() < 9e15)
                .map(|x| x as i64)
        }),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn as_decimal(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    }
    .filter(|x| x.is_finite())
}

/// A list of codes: a JSON array of strings, or (from forms) one space-separated string.
fn as_codes(v: &Value) -> Option<Vec<String>> {
    match v {
        Value::Array(items) => items
            .iter()
            .map(|i| i.as_str().map(|s| s.trim().to_string()))
            .collect(),
        Value::String(s) => Some(s.split_whitespace().map(str::to_string).collect()),
        _ => None,
    }
}

fn text(id: &str, v: &Value, max_length: usize) -> Result<AnswerValue, AnswerError> {
    let Value::String(s) = v else {
        return Err(err(
            ErrorCode::WrongType,
            id,
            format!("question {id:?} takes text, got {v}"),
            "请输入文字".into(),
        ));
    };
    if s.chars().count() > max_length {
        return Err(err(
            ErrorCode::TextTooLong,
            id,
            format!("question {id:?} takes at most {max_length} characters"),
            format!("最多 {max_length} 个字"),
        ));
    }
    if s.contains('\0') {
        return Err(err(
            ErrorCode::InvalidText,
            id,
            format!("question {id:?} contains a NUL character"),
            "包含无效字符".into(),
        ));
    }
    Ok(AnswerValue::Text(s.trim().to_string()))
}

fn check_codes(
    id: &str,
    codes: &[String],
    choices: &[Choice],
    other: bool,
) -> Result<(), AnswerError> {
    let mut seen = std::collections::HashSet::new();
    for c in codes {
        let known = choices.iter().any(|x| &x.code == c) || (other && c == OTHER_CODE);
        if !known {
            let mut list: Vec<&str> = choices.iter().map(|c| c.code.as_str()).collect();
            if other {
                list.push(OTHER_CODE);
            }
            return Err(err(
                ErrorCode::UnknownChoice,
                id,
                format!(
                    "question {id:?} has no choice {c:?}; choices are {}",
                    list.join(", ")
                ),
                "所选选项无效".into(),
            ));
        }
        if !seen.insert(c) {
            return Err(err(
                ErrorCode::DuplicateChoice,
                id,
                format!("question {id:?}: choice {c:?} is given twice"),
                "选项重复".into(),
            ));
        }
    }
    Ok(())
}

/// Parses an answer written as text (a definition's default value).
pub fn parse_text(survey: &Survey, q: &Question, text: &str) -> Result<AnswerValue, AnswerError> {
    parse_one(survey, &q.kind, &q.id, &Value::String(text.to_string()))
}

/// A YYYY-MM-DD date that exists in the calendar.
pub fn valid_date(s: &str) -> bool {
    s.len() == 10 && chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok()
}

/// Keys sent that are not answers of the questionnaire.
fn unknown_questions(survey: &Survey, raw: &serde_json::Map<String, Value>) -> Vec<AnswerError> {
    let mut errors = Vec::new();
    // The answer keys (`Survey::answer_keys`) without building them: question ids
    // sorted once, each key looked up by halving, its `_other` form by its question.
    let mut ids: Vec<(&str, bool)> = survey
        .questions()
        .filter(|q| !matches!(q.kind, QuestionKind::Note))
        .map(|q| (q.id.as_str(), q.kind.has_other()))
        .collect();
    ids.sort_unstable();
    let asks = |id: &str| {
        ids.binary_search_by(|(q, _)| (*q).cmp(id))
            .ok()
            .map(|i| ids[i].1)
    };
    let known = |key: &str| {
        asks(key).is_some()
            || key
                .strip_suffix(OTHER_SUFFIX)
                .and_then(asks)
                .unwrap_or(false)
    };
    for key in raw.keys() {
        if !known(key) {
            errors.push(err(
                ErrorCode::UnknownQuestion,
                key,
                format!("question {key:?} is not in questionnaire {:?}", survey.slug),
                "问卷中没有这个题目".into(),
            ));
        }
    }
    errors
}

/// One question shown to the respondent: required, parsed, constrained, its "other"
/// text and the attribute it records.
fn answer(
    survey: &Survey,
    q: &Question,
    raw: &RawAnswers,
    answers: &mut BTreeMap<String, AnswerValue>,
    attributes: &mut BTreeMap<String, String>,
    errors: &mut Vec<AnswerError>,
) {
    let ctx = AnswerContext {
        answers,
        current: None,
    };
    if matches!(q.kind, QuestionKind::Note) || q.relevant.as_ref().is_some_and(|e| !e.truthy(&ctx))
    {
        return;
    }
    let required = match &q.required_if {
        Some(e) => e.truthy(&ctx),
        None => q.required,
    };
    let Some(value) = raw.get(&q.id) else {
        if required {
            errors.push(AnswerError {
                code: ErrorCode::MissingAnswer,
                field: q.id.clone(),
                message: format!("question {:?} is required", q.id),
                message_zh: q
                    .required_message
                    .clone()
                    .unwrap_or_else(|| "此题为必答题".into()),
            });
        }
        return;
    };
    let parsed = match parse_one(survey, &q.kind, &q.id, value) {
        Ok(v) => v,
        Err(e) => {
            errors.push(e);
            return;
        }
    };
    if let Some(c) = &q.constraint {
        let ok = c.truthy(&AnswerContext {
            answers,
            current: Some(&parsed),
        });
        if !ok {
            errors.push(AnswerError {
                code: ErrorCode::Constraint,
                field: q.id.clone(),
                message: format!(
                    "question {:?}: the answer does not satisfy {}",
                    q.id,
                    c.source()
                ),
                message_zh: q
                    .constraint_message
                    .clone()
                    .unwrap_or_else(|| "答案不符合要求，请检查".into()),
            });
            return;
        }
    }
    other_text(survey, q, &parsed, raw, answers, errors);
    if let (Some(attr), AnswerValue::Text(code)) = (&q.attribute, &parsed) {
        attributes.insert(attr.clone(), code.clone());
    }
    answers.insert(q.id.clone(), parsed);
}

/// The "please specify" text of a choice question whose "other" was chosen.
fn other_text(
    survey: &Survey,
    q: &Question,
    parsed: &AnswerValue,
    raw: &RawAnswers,
    answers: &mut BTreeMap<String, AnswerValue>,
    errors: &mut Vec<AnswerError>,
) {
    if q.kind.has_other() {
        let chose_other = match parsed {
            AnswerValue::Text(c) => c == OTHER_CODE,
            AnswerValue::List(l) => l.iter().any(|c| c == OTHER_CODE),
            _ => false,
        };
        if chose_other {
            let key = format!("{}{OTHER_SUFFIX}", q.id);
            match raw.get_other(survey, &key) {
                None => errors.push(err(
                    ErrorCode::MissingOther,
                    &key,
                    format!(
                        "question {:?}: \"other\" was chosen; say what it is in {key:?}",
                        q.id
                    ),
                    "选择了“其他”，请注明".into(),
                )),
                Some(v) => match text(&key, v, OTHER_MAX_LENGTH) {
                    Ok(t) => {
                        answers.insert(key, t);
                    }
                    Err(e) => errors.push(e),
                },
            }
        }
    }
}

/// Attributes prefilled by the invitation or the link (an answer wins over them).
fn prefilled_attributes(
    raw_attributes: &serde_json::Map<String, Value>,
    attributes: &mut BTreeMap<String, String>,
    errors: &mut Vec<AnswerError>,
) {
    if raw_attributes.len() > MAX_ATTRIBUTES {
        errors.push(err(
            ErrorCode::TooManyAttributes,
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
                ErrorCode::InvalidAttribute,
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
                ErrorCode::InvalidAttribute,
                &field,
                format!("attribute {k:?} must be a non-empty string of at most {MAX_ATTRIBUTE_LEN} characters"),
                "属性值无效".into(),
            )),
        }
    }
}

fn parse_one(
    survey: &Survey,
    kind: &QuestionKind,
    id: &str,
    v: &Value,
) -> Result<AnswerValue, AnswerError> {
    match kind {
        QuestionKind::Likert { .. }
        | QuestionKind::Importance { .. }
        | QuestionKind::Attention { .. } => scale_point(id, v, i64::from(survey.scale.points)),
        QuestionKind::Integer { min, max } | QuestionKind::Rating { min, max, .. } => {
            whole_number(id, v, *min, *max)
        }
        QuestionKind::Decimal { min, max } => decimal(id, v, *min, *max),
        QuestionKind::Single { choices, other } => single(id, v, choices, *other),
        QuestionKind::Multiple {
            choices,
            other,
            min,
            max,
        } => multiple(id, v, choices, *other, *min, *max),
        QuestionKind::Ranking { choices } => ranking(id, v, choices),
        QuestionKind::Date { min, max } => date(id, v, min.as_ref(), max.as_ref()),
        QuestionKind::Text { max_length, .. } => text(id, v, *max_length),
        QuestionKind::Note => Err(err(
            ErrorCode::UnknownQuestion,
            id,
            format!("{id:?} is a note and takes no answer"),
            "此项无需作答".into(),
        )),
    }
}

/// A Likert (or importance) answer: a point of the questionnaire's scale.
fn scale_point(id: &str, v: &Value, points: i64) -> Result<AnswerValue, AnswerError> {
    let n = as_integer(v).ok_or_else(|| {
        err(
            ErrorCode::WrongType,
            id,
            format!("question {id:?} takes a scale point 1..{points}, got {v}"),
            "请选择一个选项".into(),
        )
    })?;
    if !(1..=points).contains(&n) {
        return Err(err(
            ErrorCode::OutOfScale,
            id,
            format!("question {id:?} takes a scale point 1..{points}, got {n}"),
            format!("请选择 1 到 {points} 之间的选项"),
        ));
    }
    Ok(AnswerValue::Number(n))
}

fn whole_number(id: &str, v: &Value, min: i64, max: i64) -> Result<AnswerValue, AnswerError> {
    let n = as_integer(v).ok_or_else(|| {
        err(
            ErrorCode::WrongType,
            id,
            format!("question {id:?} takes a whole number, got {v}"),
            "请输入整数".into(),
        )
    })?;
    if n < min || n > max {
        return Err(err(
            ErrorCode::OutOfRange,
            id,
            format!("question {id:?} takes a number from {min} to {max}, got {n}"),
            format!("请输入 {min} 到 {max} 之间的整数"),
        ));
    }
    Ok(AnswerValue::Number(n))
}

fn decimal(
    id: &str,
    v: &Value,
    min: Option<f64>,
    max: Option<f64>,
) -> Result<AnswerValue, AnswerError> {
    let x = as_decimal(v).ok_or_else(|| {
        err(
            ErrorCode::WrongType,
            id,
            format!("question {id:?} takes a number, got {v}"),
            "请输入数字".into(),
        )
    })?;
    if min.is_some_and(|m| x < m) || max.is_some_and(|m| x > m) {
        let lo = min.map_or("-∞".to_string(), |m| m.to_string());
        let hi = max.map_or("∞".to_string(), |m| m.to_string());
        return Err(err(
            ErrorCode::OutOfRange,
            id,
            format!("question {id:?} takes a number from {lo} to {hi}, got {x}"),
            format!("请输入 {lo} 到 {hi} 之间的数字"),
        ));
    }
    Ok(AnswerValue::Decimal(x))
}

fn single(
    id: &str,
    v: &Value,
    choices: &[Choice],
    other: bool,
) -> Result<AnswerValue, AnswerError> {
    let Value::String(s) = v else {
        return Err(err(
            ErrorCode::WrongType,
            id,
            format!("question {id:?} takes a choice code as a string, got {v}"),
            "请选择一个选项".into(),
        ));
    };
    let s = s.trim().to_string();
    check_codes(id, std::slice::from_ref(&s), choices, other)?;
    Ok(AnswerValue::Text(s))
}

fn multiple(
    id: &str,
    v: &Value,
    choices: &[Choice],
    other: bool,
    min: Option<u32>,
    max: Option<u32>,
) -> Result<AnswerValue, AnswerError> {
    let codes = as_codes(v).ok_or_else(|| {
        err(
            ErrorCode::WrongType,
            id,
            format!("question {id:?} takes a list of choice codes, got {v}"),
            "请选择选项".into(),
        )
    })?;
    check_codes(id, &codes, choices, other)?;
    let n = codes.len() as u32;
    if min.is_some_and(|m| n < m) || max.is_some_and(|m| n > m) {
        let (lo, hi) = (min.unwrap_or(0), max.unwrap_or(u32::MAX));
        let zh = match (min, max) {
            (Some(a), Some(b)) if a == b => format!("请选择 {a} 项"),
            (Some(a), Some(b)) => format!("请选择 {a} 到 {b} 项"),
            (Some(a), None) => format!("请至少选择 {a} 项"),
            _ => format!("最多选择 {hi} 项"),
        };
        return Err(err(
            ErrorCode::SelectionCount,
            id,
            format!("question {id:?} takes {lo} to {hi} selections, got {n}"),
            zh,
        ));
    }
    Ok(AnswerValue::List(codes))
}

fn ranking(id: &str, v: &Value, choices: &[Choice]) -> Result<AnswerValue, AnswerError> {
    let codes = as_codes(v).ok_or_else(|| {
        err(
            ErrorCode::WrongType,
            id,
            format!("question {id:?} takes the choice codes in order, got {v}"),
            "请排序".into(),
        )
    })?;
    check_codes(id, &codes, choices, false)?;
    if codes.len() != choices.len() {
        return Err(err(
            ErrorCode::IncompleteRanking,
            id,
            format!(
                "question {id:?}: rank all {} choices, got {}",
                choices.len(),
                codes.len()
            ),
            "请为全部选项排序".into(),
        ));
    }
    Ok(AnswerValue::List(codes))
}

fn date(
    id: &str,
    v: &Value,
    min: Option<&String>,
    max: Option<&String>,
) -> Result<AnswerValue, AnswerError> {
    let s = v.as_str().map(str::trim).unwrap_or_default();
    if !valid_date(s) {
        return Err(err(
            ErrorCode::WrongType,
            id,
            format!("question {id:?} takes a date as YYYY-MM-DD, got {v}"),
            "请输入有效日期".into(),
        ));
    }
    if min.is_some_and(|m| s < m.as_str()) || max.is_some_and(|m| s > m.as_str()) {
        let lo = min.cloned().unwrap_or_default();
        let hi = max.cloned().unwrap_or_default();
        return Err(err(
            ErrorCode::OutOfRange,
            id,
            format!("question {id:?} takes a date from {lo} to {hi}, got {s}"),
            format!("日期应在 {lo} 至 {hi} 之间"),
        ));
    }
    Ok(AnswerValue::Text(s.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Audience, Choice, Expression, LikertScale, Question, Section};
    use serde_json::json;

    fn q(id: &str, kind: QuestionKind) -> Question {
        Question::new(id, "?", kind)
    }

    fn survey() -> Survey {
        let mut sector = q(
            "sector",
            QuestionKind::Single {
                choices: vec![
                    Choice::new("ecommerce", "电子商务"),
                    Choice::new("herbs", "中药材"),
                ],
                other: true,
            },
        );
        sector.attribute = Some("sector".into());
        let mut note = q(
            "note",
            QuestionKind::Text {
                max_length: 5,
                multiline: false,
                in_report: false,
            },
        );
        note.required = false;
        let mut herbs_years = q("herbs_years", QuestionKind::Integer { min: 0, max: 60 });
        herbs_years.relevant = Some(Expression::parse("${sector} = 'herbs'").expect("valid"));
        herbs_years.constraint = Some(Expression::parse(". <= 40").expect("valid"));
        herbs_years.constraint_message = Some("年限不超过 40 年".into());
        let mut langs = q(
            "langs",
            QuestionKind::Multiple {
                choices: vec![
                    Choice::new("zh", "中文"),
                    Choice::new("en", "英语"),
                    Choice::new("fr", "法语"),
                ],
                other: false,
                min: Some(1),
                max: Some(2),
            },
        );
        langs.required = false;
        let mut why = q(
            "why",
            QuestionKind::Text {
                max_length: 50,
                multiline: true,
                in_report: false,
            },
        );
        why.required = false;
        why.required_if = Some(Expression::parse("count-selected(${langs}) = 2").expect("valid"));
        let mut rank = q(
            "rank",
            QuestionKind::Ranking {
                choices: vec![Choice::new("a", "A"), Choice::new("b", "B")],
            },
        );
        rank.required = false;
        let mut day = q(
            "day",
            QuestionKind::Date {
                min: Some("2020-01-01".into()),
                max: None,
            },
        );
        day.required = false;
        let mut weight = q(
            "weight",
            QuestionKind::Decimal {
                min: Some(0.5),
                max: Some(3.5),
            },
        );
        weight.required = false;
        Survey {
            slug: "s".into(),
            audience: Audience::Students,
            title: "t".into(),
            title_en: None,
            intro: String::new(),
            intro_en: None,
            declared_version: None,
            access: Default::default(),
            scale: LikertScale {
                points: 5,
                labels: vec!["1".into(), "2".into(), "3".into(), "4".into(), "5".into()],
                labels_en: None,
            },
            sections: vec![
                Section {
                    title: "a".into(),
                    title_en: None,
                    relevant: None,
                    questions: vec![
                        sector,
                        q(
                            "q1",
                            QuestionKind::Likert {
                                indicator: Some("B1".into()),
                                reverse: false,
                            },
                        ),
                        note,
                        herbs_years,
                        q("intro_note", QuestionKind::Note),
                    ],
                },
                Section {
                    title: "b".into(),
                    title_en: None,
                    relevant: Some(Expression::parse("${q1} >= 3").expect("valid")),
                    questions: vec![langs, why, rank, day, weight],
                },
            ],
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
    fn an_answer_contradicting_the_invitation_is_refused_on_its_question() {
        let r = parse(json!({"sector": "ecommerce", "q1": 4})).expect("valid");
        let survey = survey();
        let issued: BTreeMap<String, String> = [("sector".to_string(), "herbs".to_string())].into();
        let errors = r
            .agrees_with_invitation(&survey, &issued)
            .expect_err("mismatch");
        assert_eq!(errors.len(), 1);
        assert_eq!(
            (errors[0].code.as_str(), errors[0].field.as_str()),
            ("attribute_mismatch", "sector")
        );
        assert!(
            errors[0].message.contains("\"herbs\""),
            "{}",
            errors[0].message
        );
        let same: BTreeMap<String, String> =
            [("sector".to_string(), "ecommerce".to_string())].into();
        assert!(r.agrees_with_invitation(&survey, &same).is_ok());
        // Attributes the questionnaire does not ask about cannot disagree.
        let other: BTreeMap<String, String> = [("school".to_string(), "A".to_string())].into();
        assert!(r.agrees_with_invitation(&survey, &other).is_ok());
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
            (
                json!({"sector": "other", "q1": 3}),
                "missing_other",
                "sector_other",
            ),
            (
                json!({"sector": "herbs", "q1": 3}),
                "missing_answer",
                "herbs_years",
            ),
            (
                json!({"sector": "herbs", "q1": 3, "herbs_years": 41}),
                "constraint",
                "herbs_years",
            ),
            (
                json!({"sector": "herbs", "q1": 3, "herbs_years": 61}),
                "out_of_range",
                "herbs_years",
            ),
            (
                json!({"sector": "ecommerce", "q1": 3, "langs": ["zh", "en", "fr"]}),
                "selection_count",
                "langs",
            ),
            (
                json!({"sector": "ecommerce", "q1": 3, "langs": ["zh", "zh"]}),
                "duplicate_choice",
                "langs",
            ),
            (
                json!({"sector": "ecommerce", "q1": 3, "langs": ["zh", "en"]}),
                "missing_answer",
                "why",
            ),
            (
                json!({"sector": "ecommerce", "q1": 3, "rank": ["a"]}),
                "incomplete_ranking",
                "rank",
            ),
            (
                json!({"sector": "ecommerce", "q1": 3, "day": "2019-12-31"}),
                "out_of_range",
                "day",
            ),
            (
                json!({"sector": "ecommerce", "q1": 3, "day": "2021-02-30"}),
                "wrong_type",
                "day",
            ),
            (
                json!({"sector": "ecommerce", "q1": 3, "weight": 4}),
                "out_of_range",
                "weight",
            ),
            (
                json!({"sector": "ecommerce", "q1": 3, "intro_note": "x"}),
                "unknown_question",
                "intro_note",
            ),
            (
                // `_other` is a key only of a question that offers "other".
                json!({"sector": "ecommerce", "q1": 3, "q1_other": "x"}),
                "unknown_question",
                "q1_other",
            ),
        ];
        for (input, code, field) in cases {
            let errors = parse(input.clone()).expect_err(&format!("{input} must be refused"));
            assert_eq!(
                (errors[0].code.as_str(), errors[0].field.as_str()),
                (code, field),
                "case {input}"
            );
        }
    }

    #[test]
    fn constraint_message_is_shown_to_the_respondent() {
        let errors =
            parse(json!({"sector": "herbs", "q1": 3, "herbs_years": 41})).expect_err("refused");
        assert_eq!(errors[0].message_zh, "年限不超过 40 年");
    }

    #[test]
    fn unknown_keys_are_reported_first_then_the_answers_in_order() {
        let errors = parse(json!({"zz": 1, "sector": "nope", "q1": 6, "sector_other": "x"}))
            .expect_err("refused");
        let got: Vec<(&str, &str)> = errors
            .iter()
            .map(|e| (e.code.as_str(), e.field.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("unknown_question", "zz"),
                ("unknown_choice", "sector"),
                ("out_of_scale", "q1")
            ]
        );
    }

    #[test]
    fn hidden_questions_are_not_required_and_their_answers_are_discarded() {
        // herbs_years is hidden for e-commerce; section b is hidden when q1 < 3.
        let r = parse(json!({
            "sector": "ecommerce", "q1": 2, "herbs_years": 99,
            "langs": ["zh", "zh", "zh"], "sector_other": "ignored"
        }))
        .expect("hidden answers never fail");
        assert!(!r.answers.contains_key("herbs_years"));
        assert!(!r.answers.contains_key("langs"));
        assert!(!r.answers.contains_key("sector_other"));
        let r = parse(json!({"sector": "herbs", "q1": 3, "herbs_years": 12})).expect("valid");
        assert_eq!(r.answers["herbs_years"], AnswerValue::Number(12));
    }

    #[test]
    fn every_new_type_is_stored_in_its_shape() {
        let r = parse(json!({
            "sector": "other", "sector_other": " 文旅 ", "q1": 5,
            "langs": "zh en", "why": "两种", "rank": ["b", "a"], "day": "2024-06-01", "weight": "1.25"
        }))
        .expect("valid");
        assert_eq!(r.answers["sector"], AnswerValue::Text("other".into()));
        assert_eq!(r.answers["sector_other"], AnswerValue::Text("文旅".into()));
        assert_eq!(
            r.answers["langs"],
            AnswerValue::List(vec!["zh".into(), "en".into()])
        );
        assert_eq!(
            r.answers["rank"],
            AnswerValue::List(vec!["b".into(), "a".into()])
        );
        assert_eq!(r.answers["day"], AnswerValue::Text("2024-06-01".into()));
        assert_eq!(r.answers["weight"], AnswerValue::Decimal(1.25));
        let json = serde_json::to_string(&r.answers).expect("valid");
        let back: BTreeMap<String, AnswerValue> = serde_json::from_str(&json).expect("valid");
        assert_eq!(back, r.answers, "stored JSON reads back to the same values");
    }

    #[test]
    fn fingerprint_hashes_the_canonical_json_the_stored_fingerprints_were_made_of() {
        // Every kind of value, keys out of order, text needing escapes, a decimal, a
        // non-finite decimal (printed null): the streamed JSON must be byte for byte
        // what `json!` of the two maps printed, or retries of responses stored before
        // would be taken for conflicts.
        let answers = BTreeMap::from([
            (
                "z_rank".to_string(),
                AnswerValue::List(vec!["b".into(), "a".into()]),
            ),
            ("a_scale".to_string(), AnswerValue::Number(4)),
            ("m_hours".to_string(), AnswerValue::Decimal(2.5)),
            ("n_odd".to_string(), AnswerValue::Decimal(f64::NAN)),
            (
                "t_text".to_string(),
                AnswerValue::Text("实训 \"基地\"\n\\ \u{1} ok".into()),
            ),
        ]);
        let attributes = BTreeMap::from([
            ("sector".to_string(), "herbs".to_string()),
            ("grade".to_string(), "g2".to_string()),
        ]);
        let r = NewResponse {
            id: Uuid::nil(),
            answers: answers.clone(),
            attributes: attributes.clone(),
            paradata: Paradata::default(),
        };
        let printed = json!({ "answers": answers, "attributes": attributes }).to_string();
        assert!(printed.starts_with(r#"{"answers":{"a_scale":4,"m_hours":2.5,"n_odd":null,"#));
        assert_eq!(
            r.fingerprint(),
            hex::encode(Sha256::digest(printed.as_bytes()))
        );
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
