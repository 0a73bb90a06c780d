//! `recommendations.toml`: the rule table behind the report's 对策建议. Evaluators edit
//! it; each rule gives the advice for problems found on one indicator.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::{Problem, Sink};
use crate::domain::Framework;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRules {
    #[serde(default)]
    rule: Vec<RawRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    indicator: Spanned<String>,
    text: Spanned<String>,
}

pub fn parse(
    path: &Path,
    text: &str,
    framework: Option<&Framework>,
) -> Result<BTreeMap<String, String>, Vec<Problem>> {
    let mut sink = Sink::new(path, text);
    let raw: RawRules = match toml::from_str(text) {
        Ok(r) => r,
        Err(e) => {
            sink.at(
                e.span().unwrap_or(0..0),
                format!(
                    "{}; rules look like [[rule]] indicator = \"B1\" text = \"…\"",
                    e.message().trim()
                ),
            );
            return Err(sink.problems);
        }
    };
    let mut out = BTreeMap::new();
    for r in raw.rule {
        let code = r.indicator.get_ref();
        if let Some(fw) = framework {
            if fw.name_of(code).is_none() {
                sink.at(
                    r.indicator.span(),
                    format!("unknown indicator {code:?}; use a code from campaign.toml"),
                );
            }
        }
        if r.text.get_ref().trim().is_empty() {
            sink.at(r.text.span(), "recommendation text is empty");
        }
        if out
            .insert(code.clone(), r.text.get_ref().trim().to_string())
            .is_some()
        {
            sink.at(
                r.indicator.span(),
                format!("indicator {code:?} has two rules; keep one"),
            );
        }
    }
    if sink.problems.is_empty() {
        Ok(out)
    } else {
        Err(sink.problems)
    }
}
