//! Raw data export: one CSV row per response, UTF-8 with BOM so Excel shows Chinese,
//! with text cells neutralised against formula injection.

use std::collections::BTreeSet;

use crate::domain::AnswerValue;
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

pub fn responses_csv(data: &CampaignData) -> anyhow::Result<Vec<u8>> {
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

    // Question columns: current questionnaires in audience order, then any question
    // only older versions had.
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

    let mut out = Vec::from(*b"\xEF\xBB\xBF");
    {
        let mut w = csv::Writer::from_writer(&mut out);
        w.write_record(&header)?;
        for r in &data.records {
            let version = data.versions.get(&r.survey_version_id);
            let mut row: Vec<String> = vec![
                r.id.to_string(),
                version.map(|v| v.survey.slug.clone()).unwrap_or_default(),
                version.map(|v| v.version.to_string()).unwrap_or_default(),
                r.audience.clone(),
                r.submitted_at
                    .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            ];
            row.extend(
                attributes
                    .iter()
                    .map(|a| neutralise(r.attributes.get(*a).map_or("", String::as_str))),
            );
            row.extend(questions.iter().map(|q| match r.answers.get(*q) {
                Some(AnswerValue::Number(n)) => n.to_string(),
                Some(AnswerValue::Text(t)) => neutralise(t),
                None => String::new(),
            }));
            w.write_record(&row)?;
        }
        w.flush()?;
    }
    Ok(out)
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
