//! Raw data export: one row per response (CSV, UTF-8 with BOM so Excel shows Chinese;
//! and the raw-data sheet of the XLSX report), text cells neutralised against formula
//! injection; and the codebook.

use std::collections::BTreeSet;

use crate::domain::{AnswerValue, QuestionKind};
use crate::pipeline::CampaignData;

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
}

impl Value {
    /// The cell as written to CSV.
    pub fn csv(&self) -> String {
        match self {
            Value::Text(t) => neutralise(t),
            Value::Number(n) => n.to_string(),
        }
    }
}

/// Header and rows of the raw responses.
pub fn responses_table(data: &CampaignData) -> (Vec<String>, Vec<Vec<Value>>) {
    let mut attr_names: BTreeSet<&str> = BTreeSet::new();
    for r in &data.records {
        attr_names.extend(r.attributes.keys().map(String::as_str));
    }
    let mut attributes: Vec<&str> = KNOWN_ATTRIBUTES
        .iter()
        .copied()
        .filter(|a| attr_names.contains(a))
        .collect();
    attributes.extend(
        attr_names
            .iter()
            .copied()
            .filter(|a| !KNOWN_ATTRIBUTES.contains(a)),
    );

    // Question columns: questionnaires in audience order (newest version first), then
    // any question only older versions had.
    let mut questions: Vec<&str> = Vec::new();
    let mut versions: Vec<_> = data.versions.values().collect();
    versions.sort_by_key(|v| (v.survey.audience, std::cmp::Reverse(v.version)));
    for v in versions {
        for q in v.survey.questions() {
            if !questions.contains(&q.id.as_str()) {
                questions.push(&q.id);
            }
        }
    }
    let fixed = [
        "response_id",
        "survey",
        "version",
        "audience",
        "submitted_at",
    ];
    let header: Vec<String> = fixed
        .iter()
        .map(|s| s.to_string())
        .chain(attributes.iter().map(|a| a.to_string()))
        .chain(questions.iter().map(|q| {
            if fixed.contains(q) || attributes.contains(q) {
                format!("q_{q}")
            } else {
                q.to_string()
            }
        }))
        .collect();
    let rows = data
        .records
        .iter()
        .map(|r| {
            let version = data.versions.get(&r.survey_version_id);
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
            ];
            row.extend(
                attributes
                    .iter()
                    .map(|a| Value::Text(r.attributes.get(*a).cloned().unwrap_or_default())),
            );
            row.extend(questions.iter().map(|q| match r.answers.get(*q) {
                Some(AnswerValue::Number(n)) => Value::Number(*n),
                Some(AnswerValue::Text(t)) => Value::Text(t.clone()),
                None => Value::Text(String::new()),
            }));
            row
        })
        .collect();
    (header, rows)
}

pub fn responses_csv(data: &CampaignData) -> anyhow::Result<Vec<u8>> {
    let (header, rows) = responses_table(data);
    let mut out = Vec::from(*b"\xEF\xBB\xBF");
    {
        let mut w = csv::Writer::from_writer(&mut out);
        w.write_record(&header)?;
        for row in rows {
            w.write_record(row.iter().map(Value::csv))?;
        }
        w.flush()?;
    }
    Ok(out)
}

/// One row per question of the current questionnaires.
pub fn codebook(data: &CampaignData) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for s in &data.campaign.surveys {
        for q in s.survey.questions() {
            let (choices, indicator, reverse) = match &q.kind {
                QuestionKind::Single { choices } => (
                    choices
                        .iter()
                        .map(|c| format!("{}={}", c.code, c.label))
                        .collect::<Vec<_>>()
                        .join("; "),
                    String::new(),
                    String::new(),
                ),
                QuestionKind::Likert { indicator, reverse } => (
                    s.survey
                        .scale
                        .labels
                        .iter()
                        .enumerate()
                        .map(|(i, l)| format!("{}={l}", i + 1))
                        .collect::<Vec<_>>()
                        .join("; "),
                    indicator.clone(),
                    if *reverse { "yes".into() } else { "no".into() },
                ),
                QuestionKind::Importance { of } => {
                    (String::new(), format!("importance of {of}"), String::new())
                }
                QuestionKind::Integer { min, max } => {
                    (format!("{min}..{max}"), String::new(), String::new())
                }
                QuestionKind::Text { max_length, .. } => (
                    format!("≤ {max_length} characters"),
                    String::new(),
                    String::new(),
                ),
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
