//! `population.toml` / `population.csv`: the population counts a campaign weights its
//! respondents to (enrolment per sector, staff per school …), per stakeholder group.
//!
//! ```toml
//! [students.sector]
//! "电子商务" = 420
//! "中药材" = 180
//! ```
//!
//! or, as CSV with the header `group,attribute,value,count`, one row per count.

use std::collections::BTreeMap;
use std::path::Path;

use toml::Spanned;

use super::{Problem, Sink};
use crate::domain::weighting::{Margin, Population};
use crate::domain::Audience;

/// `[group.attribute] value = count`.
type RawPopulation =
    BTreeMap<Spanned<String>, BTreeMap<Spanned<String>, BTreeMap<Spanned<String>, Spanned<i64>>>>;

const TOML_HINT: &str =
    "counts look like [students.sector] \"电子商务\" = 420 (see surveys/README.md, \"Population\")";

/// Parses `population.toml`.
pub fn parse_toml(path: &Path, text: &str) -> Result<Population, Vec<Problem>> {
    let mut sink = Sink::new(path, text);
    let raw: RawPopulation = match toml::from_str(text) {
        Ok(r) => r,
        Err(e) => {
            sink.at(
                e.span().unwrap_or(0..0),
                format!("{}; {TOML_HINT}", e.message().trim()),
            );
            return Err(sink.problems);
        }
    };
    let mut population = Population::default();
    for (group, margins) in raw {
        let Some(audience) = audience(&mut sink, group.span(), group.get_ref()) else {
            continue;
        };
        for (attribute, values) in margins {
            let mut counts = BTreeMap::new();
            for (value, count) in values {
                if let Some(n) = check_count(&mut sink, count.span(), *count.get_ref()) {
                    counts.insert(value.into_inner(), n);
                }
            }
            if counts.is_empty() {
                sink.at(
                    attribute.span(),
                    format!(
                        "{}.{} has no counts; {TOML_HINT}",
                        group.get_ref(),
                        attribute.get_ref()
                    ),
                );
                continue;
            }
            population.groups.entry(audience).or_default().push(Margin {
                attribute: attribute.into_inner(),
                counts,
            });
        }
    }
    check_totals(&mut sink, &population);
    if sink.problems.is_empty() {
        Ok(population)
    } else {
        Err(sink.problems)
    }
}

const CSV_HEADER: [&str; 4] = ["group", "attribute", "value", "count"];

/// Parses `population.csv` (`group,attribute,value,count`).
pub fn parse_csv(path: &Path, text: &str) -> Result<Population, Vec<Problem>> {
    let mut sink = Sink::new(path, text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header_ok = reader
        .headers()
        .is_ok_and(|h| h.iter().eq(CSV_HEADER.iter().copied()));
    if !header_ok {
        sink.at(
            0..0,
            "the first line must be the header group,attribute,value,count",
        );
        return Err(sink.problems);
    }
    let mut margins: BTreeMap<(Audience, String), BTreeMap<String, u64>> = BTreeMap::new();
    let mut order: Vec<(Audience, String)> = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let at = e.position().map_or(0, |p| p.byte() as usize);
                sink.at(
                    at..at,
                    format!("{e}; each line is group,attribute,value,count"),
                );
                continue;
            }
        };
        let at = record.position().map_or(0, |p| p.byte() as usize);
        let span = at..at;
        let field = |i: usize| record.get(i).unwrap_or("");
        let Some(group) = audience(&mut sink, span.clone(), field(0)) else {
            continue;
        };
        if field(1).is_empty() || field(2).is_empty() {
            sink.at(
                span,
                "attribute and value must not be empty; each line is group,attribute,value,count",
            );
            continue;
        }
        let Ok(count) = field(3).parse::<i64>() else {
            sink.at(
                span,
                format!(
                    "count {:?} is not a whole number; write the population count, e.g. 420",
                    field(3)
                ),
            );
            continue;
        };
        let Some(count) = check_count(&mut sink, span.clone(), count) else {
            continue;
        };
        let key = (group, field(1).to_string());
        if !margins.contains_key(&key) {
            order.push(key.clone());
        }
        let counts = margins.entry(key).or_default();
        if counts.insert(field(2).to_string(), count).is_some() {
            sink.at(
                span,
                format!(
                    "{} {} {:?} is counted twice; keep one line",
                    field(0),
                    field(1),
                    field(2)
                ),
            );
        }
    }
    let mut population = Population::default();
    for key in order {
        if let Some(counts) = margins.remove(&key) {
            population.groups.entry(key.0).or_default().push(Margin {
                attribute: key.1,
                counts,
            });
        }
    }
    check_totals(&mut sink, &population);
    if sink.problems.is_empty() {
        Ok(population)
    } else {
        Err(sink.problems)
    }
}

fn audience(sink: &mut Sink<'_>, span: std::ops::Range<usize>, name: &str) -> Option<Audience> {
    let a = Audience::parse(name);
    if a.is_none() {
        sink.at(
            span,
            format!("unknown group {name:?}; use students, teachers or enterprises"),
        );
    }
    a
}

fn check_count(sink: &mut Sink<'_>, span: std::ops::Range<usize>, n: i64) -> Option<u64> {
    match u64::try_from(n) {
        Ok(n) if n > 0 => Some(n),
        _ => {
            sink.at(
                span,
                format!("population count {n} must be at least 1; leave out a value nobody has"),
            );
            None
        }
    }
}

/// The margins of one group count one population: their totals must agree.
fn check_totals(sink: &mut Sink<'_>, population: &Population) {
    for (group, margins) in &population.groups {
        if let Some(first) = margins.first() {
            for m in &margins[1..] {
                if m.total() != first.total() {
                    sink.at(
                        0..0,
                        format!(
                            "{}: the {} counts total {} but the {} counts total {}; the margins of one group must count the same population",
                            group.as_str(),
                            first.attribute,
                            first.total(),
                            m.attribute,
                            m.total()
                        ),
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_and_csv_give_the_same_population() {
        let toml = "[students.sector]\n\"电子商务\" = 420\n\"中药材\" = 180\n\n[students.grade]\n\"一年级\" = 300\n\"二年级\" = 300\n";
        let csv = "group,attribute,value,count\nstudents,sector,电子商务,420\nstudents,sector,中药材,180\nstudents,grade,一年级,300\nstudents,grade,二年级,300\n";
        let a = parse_toml(Path::new("population.toml"), toml).expect("toml");
        let b = parse_csv(Path::new("population.csv"), csv).expect("csv");
        let attrs = |p: &Population| {
            let mut v: Vec<Margin> = p.groups[&Audience::Students].clone();
            v.sort_by(|x, y| x.attribute.cmp(&y.attribute));
            v
        };
        assert_eq!(attrs(&a), attrs(&b));
        assert_eq!(
            a.attributes(),
            vec!["grade".to_string(), "sector".to_string()]
        );
    }

    /// Whether some problem starts with `at` and mentions `what`.
    fn reported(p: &[Problem], at: &str, what: &str) -> bool {
        p.iter()
            .map(|p| p.to_string())
            .any(|t| t.starts_with(at) && t.contains(what))
    }

    #[test]
    fn problems_name_the_line_and_the_fix() {
        let toml = "[students.sector]\n\"电子商务\" = 0\n[pupils.sector]\n\"文旅\" = 3\n";
        let p = parse_toml(Path::new("population.toml"), toml).expect_err("bad");
        assert!(reported(&p, "population.toml:2:", "at least 1"), "{p:?}");
        assert!(
            reported(&p, "population.toml:3:", "unknown group \"pupils\""),
            "{p:?}"
        );
        let csv = "group,attribute,value,count\nstudents,sector,文旅,many\nstudents,sector,文旅,3\nstudents,sector,文旅,4\n";
        let p = parse_csv(Path::new("population.csv"), csv).expect_err("bad");
        assert!(
            reported(&p, "population.csv:2:", "not a whole number"),
            "{p:?}"
        );
        assert!(reported(&p, "population.csv:4:", "counted twice"), "{p:?}");
        let unequal = "[students.sector]\n\"文旅\" = 10\n[students.grade]\n\"一年级\" = 12\n";
        let p = parse_toml(Path::new("population.toml"), unequal).expect_err("unequal");
        assert!(
            p[0].message.contains("must count the same population"),
            "{p:?}"
        );
        let header = "grp,attr,val,n\n";
        assert!(parse_csv(Path::new("population.csv"), header).is_err());
    }
}
