//! The `type` column of the survey sheet: every spelling of a supported question type,
//! the metadata fields that are skipped, and the refused types with their reasons.

const METADATA: [&str; 14] = [
    "start",
    "end",
    "today",
    "deviceid",
    "subscriberid",
    "simserial",
    "phonenumber",
    "username",
    "email",
    "uri:email",
    "uri:username",
    "audit",
    "start-geopoint",
    "imei",
];

#[derive(Debug)]
pub(super) enum RowType {
    Integer,
    Decimal,
    Text,
    Phone,
    Note,
    Date,
    Range,
    Select {
        list: String,
        multiple: bool,
        other: bool,
    },
    Rank(String),
    BeginGroup,
    EndGroup,
    Skip,
}

pub(super) fn row_type(raw: &str) -> Result<RowType, String> {
    let t = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    let lower = t.to_lowercase();
    let (head, rest) = lower.split_once(' ').unwrap_or((lower.as_str(), ""));
    let simple = match lower.as_str() {
        "integer" | "int" => Some(RowType::Integer),
        "decimal" => Some(RowType::Decimal),
        "text" | "string" => Some(RowType::Text),
        "phone number" | "phone_number" => Some(RowType::Phone),
        "note" => Some(RowType::Note),
        "date" => Some(RowType::Date),
        "range" => Some(RowType::Range),
        "begin group" | "begin_group" => Some(RowType::BeginGroup),
        "end group" | "end_group" => Some(RowType::EndGroup),
        _ => None,
    };
    if let Some(s) = simple {
        return Ok(s);
    }
    if METADATA.contains(&lower.as_str()) {
        return Ok(RowType::Skip);
    }
    let refused = match head {
        "begin" | "end" if rest.starts_with("repeat") || rest.starts_with("loop") || head == "begin" && rest.starts_with("_repeat") => Some("repeats and loops are not supported; Chorus asks each question once per respondent (flatten the repeat into separate questions)"),
        "begin_repeat" | "end_repeat" => Some("repeats are not supported; flatten the repeat into separate questions"),
        "geopoint" | "geotrace" | "geoshape" | "start-geopoint" => Some("location questions (geopoint/geotrace/geoshape) are not supported"),
        "image" | "audio" | "video" | "file" | "background-audio" | "barcode" => Some("media and file questions are not supported; respondents answer on phones without uploads"),
        "calculate" | "hidden" => Some("calculated fields are not supported; compute derived values in the analysis instead"),
        "time" | "datetime" | "datetime_local" => Some("time and date-time questions are not supported; use date"),
        "acknowledge" | "trigger" => Some("acknowledge questions are not supported; use a single-choice question"),
        "osm" => Some("OpenStreetMap questions are not supported"),
        "xml-external" | "csv-external" => Some("external data is not supported"),
        _ => None,
    };
    if let Some(r) = refused {
        return Err(r.to_string());
    }
    if head.starts_with("select_one_from_file")
        || head.starts_with("select_multiple_from_file")
        || head.starts_with("select_one_external")
        || head == "select_one_from_file"
    {
        return Err("selects from external files or external choice lists are not supported; put the choices on the choices sheet".into());
    }
    // select_one LIST [or_other], select one from LIST [or specify other], select all that apply [from] LIST.
    let mut words: Vec<&str> = t.split(' ').collect();
    let lower_words: Vec<String> = words.iter().map(|w| w.to_lowercase()).collect();
    let mut other = false;
    if lower_words.last().is_some_and(|w| w == "or_other") {
        other = true;
        words.pop();
    } else if lower_words.ends_with(&["or".into(), "specify".into(), "other".into()]) {
        other = true;
        words.truncate(words.len() - 3);
    }
    let lw: Vec<String> = words.iter().map(|w| w.to_lowercase()).collect();
    let lw: Vec<&str> = lw.iter().map(String::as_str).collect();
    let (multiple, list) = match lw.as_slice() {
        ["select_one", _] => (false, words[1]),
        ["select", "one", _] => (false, words[2]),
        ["select", "one", "from", _] => (false, words[3]),
        ["select_multiple", _] => (true, words[1]),
        ["select", "all", "that", "apply", _] => (true, words[4]),
        ["select", "all", "that", "apply", "from", _] => (true, words[5]),
        ["select", "multiple", _] => (true, words[2]),
        ["rank", _] => {
            if other {
                return Err("rank does not take or_other".into());
            }
            return Ok(RowType::Rank(words[1].to_string()));
        }
        _ => {
            return Err(format!(
                "unknown or unsupported question type {raw:?}; supported: integer, decimal, text, select_one, select_multiple (or_other), note, date, range, rank, begin/end group"
            ))
        }
    };
    Ok(RowType::Select {
        list: list.to_string(),
        multiple,
        other,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_spellings_old_and_new() {
        assert!(matches!(
            row_type("select_one yes_no").expect("valid"),
            RowType::Select {
                multiple: false,
                other: false,
                ..
            }
        ));
        assert!(matches!(
            row_type("select one from sexes or specify other").expect("valid"),
            RowType::Select {
                multiple: false,
                other: true,
                ..
            }
        ));
        assert!(matches!(
            row_type("select all that apply from toilet_type or specify other").expect("valid"),
            RowType::Select {
                multiple: true,
                other: true,
                ..
            }
        ));
        assert!(matches!(
            row_type("select_multiple c or_other").expect("valid"),
            RowType::Select {
                multiple: true,
                other: true,
                ..
            }
        ));
        assert!(matches!(
            row_type("rank r").expect("valid"),
            RowType::Rank(_)
        ));
        assert!(matches!(
            row_type("end_group").expect("valid"),
            RowType::EndGroup
        ));
        assert!(row_type("begin loop over toilet_type")
            .expect_err("refused")
            .contains("repeats"));
        assert!(row_type("select_one_external c1")
            .expect_err("refused")
            .contains("external"));
        assert!(row_type("osm c1")
            .expect_err("refused")
            .contains("OpenStreetMap"));
        assert!(row_type("geopoint")
            .expect_err("refused")
            .contains("location"));
    }
}
