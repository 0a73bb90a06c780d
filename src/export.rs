//! Raw data export: one row per response (CSV, UTF-8 with BOM so Excel shows Chinese;
//! and the raw-data sheet of the XLSX report), text cells neutralised against formula
//! injection; and the codebook.

use std::collections::{BTreeSet, HashMap};

use crate::analysis::text::redact::Redactor;
use crate::domain::quality::FlagSet;
use crate::domain::text::RedactList;
use crate::domain::{AnswerValue, QuestionKind, OTHER_CODE, OTHER_SUFFIX};
use crate::store::campaigns::StoredCampaign;
use crate::store::responses::ResponseRecord;
use crate::store::surveys::StoredSurvey;

/// Everything a raw export needs about one campaign: definitions and decoded responses.
pub struct CampaignData {
    pub campaign: StoredCampaign,
    pub versions: HashMap<i64, StoredSurvey>,
    pub records: Vec<ResponseRecord>,
}

/// Attributes shown first, in this order, when present.
const KNOWN_ATTRIBUTES: [&str; 6] = ["sector", "school", "grade", "role", "size", "major"];

/// Prefixes a text cell that a spreadsheet would run as a formula (OWASP advice).
pub fn neutralise(cell: &str) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r' | '|') => format!("'{cell}"),
        _ => cell.to_string(),
    }
}

/// A raw cell: numbers stay numbers, text is neutralised when written.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Text(String),
    Number(i64),
    Decimal(f64),
}

impl Value {
    /// The cell as written to CSV.
    pub fn csv(&self) -> String {
        match self {
            Value::Text(t) => neutralise(t),
            Value::Number(n) => n.to_string(),
            Value::Decimal(x) => x.to_string(),
        }
    }
}

/// The columns of the raw-data table: fixed columns, attributes, then answers.
pub struct Layout {
    attributes: Vec<String>,
    columns: Vec<(String, Column)>,
    header: Vec<String>,
    /// Whether rows carry the respondent's weight after the quality flags.
    weighted: bool,
    /// Removes personal information from free text (exports for anyone but an admin).
    redactor: Option<Redactor>,
}

impl Layout {
    /// Columns for the given questionnaire versions and the attribute names seen.
    pub fn new(versions: &HashMap<i64, StoredSurvey>, attr_names: &BTreeSet<String>) -> Self {
        let mut attributes: Vec<String> = KNOWN_ATTRIBUTES
            .iter()
            .filter(|a| attr_names.contains(**a))
            .map(|a| a.to_string())
            .collect();
        attributes.extend(
            attr_names
                .iter()
                .filter(|a| !KNOWN_ATTRIBUTES.contains(&a.as_str()))
                .cloned(),
        );
        // Question columns: questionnaires in audience order (newest version first),
        // then any question only older versions had. A multiple choice also gets one
        // 0/1 column per choice (`q/code`), a ranking one rank column per choice,
        // "other" its text.
        let mut columns: Vec<(String, Column)> = Vec::new();
        let mut ordered: Vec<_> = versions.values().collect();
        ordered.sort_by_key(|v| (v.survey.audience, std::cmp::Reverse(v.version)));
        let mut push = |name: String, col: Column| {
            if !columns.iter().any(|(n, _)| *n == name) {
                columns.push((name, col));
            }
        };
        for v in ordered {
            for q in v.survey.questions() {
                if matches!(q.kind, QuestionKind::Note) {
                    continue;
                }
                let free = matches!(q.kind, QuestionKind::Text { .. });
                push(
                    q.id.clone(),
                    if free {
                        Column::Text(q.id.clone())
                    } else {
                        Column::Answer(q.id.clone())
                    },
                );
                let other = q.kind.has_other().then(|| OTHER_CODE.to_string());
                let codes = q.kind.choices().iter().map(|c| c.code.clone()).chain(other);
                match &q.kind {
                    QuestionKind::Multiple { .. } => {
                        for code in codes {
                            push(format!("{}/{code}", q.id), Column::Flag(q.id.clone(), code));
                        }
                    }
                    QuestionKind::Ranking { .. } => {
                        for code in codes {
                            push(format!("{}/{code}", q.id), Column::Rank(q.id.clone(), code));
                        }
                    }
                    _ => {}
                }
                if q.kind.has_other() {
                    let key = format!("{}{OTHER_SUFFIX}", q.id);
                    push(key.clone(), Column::Text(key));
                }
            }
        }
        let header: Vec<String> = FIXED
            .iter()
            .map(|s| s.to_string())
            .chain(attributes.iter().cloned())
            .chain(columns.iter().map(|(q, _)| {
                if FIXED.contains(&q.as_str()) || attributes.contains(q) {
                    format!("q_{q}")
                } else {
                    q.clone()
                }
            }))
            .collect();
        Layout {
            attributes,
            columns,
            header,
            weighted: false,
            redactor: None,
        }
    }

    /// The same layout with personal information removed from free-text answers
    /// (`analysis::text::redact`, with the campaign's list of names).
    pub fn with_redaction(mut self, names: &RedactList) -> Self {
        self.redactor = Some(Redactor::new(names));
        self
    }

    /// The header positions of the free-text answers (open questions and "other").
    pub fn text_columns(&self) -> Vec<usize> {
        let skip = self.header.len() - self.columns.len();
        self.columns
            .iter()
            .enumerate()
            .filter(|(_, (_, c))| matches!(c, Column::Text(_)))
            .map(|(i, _)| skip + i)
            .collect()
    }

    /// The same layout with a `weight` column (the respondent's weight to the
    /// population; blank for a response the analysis leaves out).
    pub fn with_weight(mut self) -> Self {
        if !self.weighted {
            self.weighted = true;
            self.header.insert(FIXED.len(), WEIGHT_COLUMN.to_string());
            for h in self.header.iter_mut().skip(FIXED.len() + 1) {
                if h == WEIGHT_COLUMN {
                    *h = format!("q_{WEIGHT_COLUMN}");
                }
            }
        }
        self
    }

    pub fn header(&self) -> &[String] {
        &self.header
    }

    /// The cells of one response, with the data quality flags it raised and its
    /// weight (written when the layout has a weight column).
    pub fn row(
        &self,
        r: &ResponseRecord,
        versions: &HashMap<i64, StoredSurvey>,
        flags: FlagSet,
        weight: Option<f64>,
    ) -> Vec<Value> {
        let version = versions.get(&r.survey_version_id);
        let mut row = vec![
            Value::Text(r.id.to_string()),
            Value::Text(version.map(|v| v.survey.slug.clone()).unwrap_or_default()),
            version.map_or(Value::Text(String::new()), |v| {
                Value::Number(i64::from(v.version))
            }),
            Value::Text(r.audience.clone()),
            Value::Text(
                r.submitted_at
                    .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            ),
            r.duration_s
                .map_or(Value::Text(String::new()), |d| Value::Number(i64::from(d))),
            Value::Text(flags.joined()),
        ];
        if self.weighted {
            row.push(weight.map_or(Value::Text(String::new()), |w| {
                Value::Decimal((w * 1e6).round() / 1e6)
            }));
        }
        row.extend(
            self.attributes
                .iter()
                .map(|a| Value::Text(r.attributes.get(a).cloned().unwrap_or_default())),
        );
        row.extend(
            self.columns
                .iter()
                .map(|(_, col)| col.value(&r.answers, self.redactor.as_ref())),
        );
        row
    }
}

/// The weight column of a weighted campaign's export, after [`FIXED`].
const WEIGHT_COLUMN: &str = "weight";

const FIXED: [&str; 7] = [
    "response_id",
    "survey",
    "version",
    "audience",
    "submitted_at",
    "duration_s",
    "quality_flags",
];

/// The raw responses as a table.
pub struct RawTable {
    pub header: Vec<String>,
    pub rows: Vec<Vec<Value>>,
    /// Positions of the free-text answers (see [`Layout::text_columns`]).
    pub text_columns: Vec<usize>,
}

/// Header and rows of the raw responses; `judge` gives each response's data quality
/// flags and, when `weighted`, its weight.
pub fn responses_table(
    data: &CampaignData,
    weighted: bool,
    mut judge: impl FnMut(&ResponseRecord) -> (FlagSet, Option<f64>),
) -> RawTable {
    let attr_names: BTreeSet<String> = data
        .records
        .iter()
        .flat_map(|r| r.attributes.keys().cloned())
        .collect();
    let mut layout = Layout::new(&data.versions, &attr_names);
    if weighted {
        layout = layout.with_weight();
    }
    let rows = data
        .records
        .iter()
        .map(|r| {
            let (flags, weight) = judge(r);
            layout.row(r, &data.versions, flags, weight)
        })
        .collect();
    RawTable {
        text_columns: layout.text_columns(),
        header: layout.header,
        rows,
    }
}

/// Where a raw-data column takes its value from.
enum Column {
    Answer(String),
    /// A free-text answer (redacted in exports for anyone but an admin).
    Text(String),
    /// 1 when the multiple-choice answer includes the code, 0 when answered without it.
    Flag(String, String),
    /// The code's position (1 = first) in a ranking answer.
    Rank(String, String),
}

impl Column {
    fn value(
        &self,
        answers: &std::collections::BTreeMap<String, AnswerValue>,
        redactor: Option<&Redactor>,
    ) -> Value {
        let empty = Value::Text(String::new());
        match self {
            Column::Text(key) => match (answers.get(key), redactor) {
                (Some(AnswerValue::Text(t)), Some(r)) => Value::Text(r.redact(t)),
                (Some(v), _) => Value::Text(v.to_text()),
                (None, _) => empty,
            },
            Column::Answer(key) => match answers.get(key) {
                Some(AnswerValue::Number(n)) => Value::Number(*n),
                Some(AnswerValue::Decimal(x)) => Value::Decimal(*x),
                Some(v) => Value::Text(v.to_text()),
                None => empty,
            },
            Column::Flag(q, code) => match answers.get(q) {
                Some(AnswerValue::List(l)) => Value::Number(i64::from(l.contains(code))),
                _ => empty,
            },
            Column::Rank(q, code) => match answers.get(q) {
                Some(AnswerValue::List(l)) => l
                    .iter()
                    .position(|c| c == code)
                    .map_or(empty, |i| Value::Number(i as i64 + 1)),
                _ => empty,
            },
        }
    }
}

/// One row per question of the current questionnaires.
pub fn codebook(data: &CampaignData) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for s in &data.campaign.surveys {
        for q in s.survey.questions() {
            let list = |choices: &[crate::domain::Choice], other: bool| {
                let mut items: Vec<String> = choices
                    .iter()
                    .map(|c| format!("{}={}", c.code, c.label))
                    .collect();
                if other {
                    items.push(format!(
                        "{OTHER_CODE}=其他（请注明，见 {}{OTHER_SUFFIX}）",
                        q.id
                    ));
                }
                items.join("; ")
            };
            let none = String::new;
            let (choices, indicator, reverse) = match &q.kind {
                QuestionKind::Single { choices, other } => (list(choices, *other), none(), none()),
                QuestionKind::Multiple {
                    choices,
                    other,
                    min,
                    max,
                } => {
                    let bounds = match (min, max) {
                        (None, None) => String::new(),
                        (a, b) => format!(
                            " [{}..{} selections]",
                            a.unwrap_or(0),
                            b.map_or("∞".to_string(), |b| b.to_string())
                        ),
                    };
                    (format!("{}{bounds}", list(choices, *other)), none(), none())
                }
                QuestionKind::Ranking { choices } => (list(choices, false), none(), none()),
                QuestionKind::Likert { indicator, reverse } => (
                    s.survey
                        .scale
                        .labels
                        .iter()
                        .enumerate()
                        .map(|(i, l)| format!("{}={l}", i + 1))
                        .collect::<Vec<_>>()
                        .join("; "),
                    indicator.clone().unwrap_or_else(|| "(not scored)".into()),
                    if *reverse { "yes".into() } else { "no".into() },
                ),
                QuestionKind::Importance { of } => (none(), format!("importance of {of}"), none()),
                QuestionKind::Attention { expect } => (
                    format!("attention check: {expect} is the instructed answer"),
                    none(),
                    none(),
                ),
                QuestionKind::Rating { min, max, .. } | QuestionKind::Integer { min, max } => {
                    (format!("{min}..{max}"), none(), none())
                }
                QuestionKind::Decimal { min, max } => (
                    format!(
                        "{}..{}",
                        min.map_or("-∞".to_string(), |m| m.to_string()),
                        max.map_or("∞".to_string(), |m| m.to_string())
                    ),
                    none(),
                    none(),
                ),
                QuestionKind::Date { min, max } => (
                    format!(
                        "YYYY-MM-DD {}..{}",
                        min.clone().unwrap_or_default(),
                        max.clone().unwrap_or_default()
                    ),
                    none(),
                    none(),
                ),
                QuestionKind::Text { max_length, .. } => {
                    (format!("≤ {max_length} characters"), none(), none())
                }
                QuestionKind::Note => (none(), none(), none()),
            };
            out.push(vec![
                s.survey.slug.clone(),
                q.id.clone(),
                q.text.clone(),
                q.kind.type_name().into(),
                choices,
                indicator,
                reverse,
            ]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::neutralise;

    #[test]
    fn formula_like_cells_are_prefixed() {
        assert_eq!(neutralise("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(neutralise("+cmd"), "'+cmd");
        assert_eq!(neutralise("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutralise("电子商务"), "电子商务");
    }
}
