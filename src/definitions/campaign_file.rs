//! `campaign.toml`: title, group weights and the indicator framework.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::{Problem, Sink, WEIGHT_TOLERANCE};
use crate::domain::campaign::CampaignInfo;
use crate::domain::{Audience, Framework, Indicator, SubIndicator};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCampaign {
    title: Spanned<String>,
    #[serde(default)]
    description: String,
    #[serde(default)]
    organisations: Vec<String>,
    group_weights: Spanned<BTreeMap<Spanned<String>, Spanned<f64>>>,
    #[serde(default)]
    indicator: Vec<RawIndicator>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIndicator {
    code: Spanned<String>,
    name: Spanned<String>,
    name_en: Option<String>,
    weight: Spanned<f64>,
    #[serde(default)]
    sub: Vec<RawSub>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSub {
    code: Spanned<String>,
    name: Spanned<String>,
    name_en: Option<String>,
    weight: Spanned<f64>,
}

pub fn parse(path: &Path, text: &str, key: &str) -> Result<CampaignInfo, Vec<Problem>> {
    let mut sink = Sink::new(path, text);
    let raw: RawCampaign = match toml::from_str(text) {
        Ok(r) => r,
        Err(e) => {
            sink.at(
                e.span().unwrap_or(0..0),
                format!(
                    "{}; see surveys/README.md for the campaign file format",
                    e.message().trim()
                ),
            );
            return Err(sink.problems);
        }
    };
    if raw.title.get_ref().trim().is_empty() {
        sink.at(
            raw.title.span(),
            "title is empty; give the campaign a title such as \"平顺县校企合作质量评价调研\"",
        );
    }

    let mut group_weights = BTreeMap::new();
    for (name, weight) in raw.group_weights.get_ref() {
        match Audience::parse(name.get_ref()) {
            Some(a) => {
                if !(0.0..=1.0).contains(weight.get_ref()) {
                    sink.at(
                        weight.span(),
                        format!("group weight {} is outside 0..1", weight.get_ref()),
                    );
                }
                group_weights.insert(a, *weight.get_ref());
            }
            None => sink.at(
                name.span(),
                format!(
                    "unknown group {:?}; groups are students, teachers, enterprises",
                    name.get_ref()
                ),
            ),
        }
    }
    let sum: f64 = group_weights.values().sum();
    if !group_weights.is_empty() && (sum - 1.0).abs() > WEIGHT_TOLERANCE {
        sink.at(
            raw.group_weights.span(),
            format!("group weights sum to {sum:.4}, not 1; adjust them so they add up to 1"),
        );
    }
    if group_weights.is_empty() {
        sink.at(
            raw.group_weights.span(),
            "group_weights is empty; give each of students, teachers, enterprises a weight",
        );
    }

    if raw.indicator.is_empty() {
        sink.at(
            0..0,
            "no [[indicator]] defined; a campaign needs an indicator framework",
        );
    }
    let mut codes = HashSet::new();
    let mut indicators = Vec::new();
    let top_sum: f64 = raw.indicator.iter().map(|i| *i.weight.get_ref()).sum();
    if !raw.indicator.is_empty() && (top_sum - 1.0).abs() > WEIGHT_TOLERANCE {
        sink.at(
            raw.indicator[0].weight.span(),
            format!("first-level indicator weights sum to {top_sum:.4}, not 1; adjust them so they add up to 1"),
        );
    }
    for ind in raw.indicator {
        check_code(&mut sink, &mut codes, &ind.code);
        check_weight(&mut sink, &ind.weight);
        check_name(&mut sink, &ind.name);
        if ind.sub.is_empty() {
            sink.at(
                ind.code.span(),
                format!(
                    "indicator {:?} has no [[indicator.sub]]; add its second-level indicators",
                    ind.code.get_ref()
                ),
            );
        }
        let sub_sum: f64 = ind.sub.iter().map(|s| *s.weight.get_ref()).sum();
        if !ind.sub.is_empty() && (sub_sum - 1.0).abs() > WEIGHT_TOLERANCE {
            sink.at(
                ind.sub[0].weight.span(),
                format!(
                    "weights of the second-level indicators under {:?} sum to {sub_sum:.4}, not 1; adjust them so they add up to 1",
                    ind.code.get_ref()
                ),
            );
        }
        let mut children = Vec::new();
        for s in ind.sub {
            check_code(&mut sink, &mut codes, &s.code);
            check_weight(&mut sink, &s.weight);
            check_name(&mut sink, &s.name);
            children.push(SubIndicator {
                code: s.code.into_inner(),
                name: s.name.into_inner(),
                name_en: s.name_en,
                weight: s.weight.into_inner(),
            });
        }
        indicators.push(Indicator {
            code: ind.code.into_inner(),
            name: ind.name.into_inner(),
            name_en: ind.name_en,
            weight: ind.weight.into_inner(),
            children,
        });
    }
    if sink.problems.is_empty() {
        Ok(CampaignInfo {
            key: key.to_string(),
            title: raw.title.into_inner(),
            description: raw.description,
            organisations: raw.organisations,
            group_weights,
            framework: Framework { indicators },
        })
    } else {
        Err(sink.problems)
    }
}

fn check_code(sink: &mut Sink<'_>, codes: &mut HashSet<String>, code: &Spanned<String>) {
    let c = code.get_ref();
    let valid = !c.is_empty()
        && c.len() <= 16
        && c.chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '.');
    if !valid {
        sink.at(
            code.span(),
            format!(
                "indicator code {c:?} is not valid; use letters, digits, '_' or '.', e.g. \"B1\""
            ),
        );
    } else if !codes.insert(c.clone()) {
        sink.at(
            code.span(),
            format!("indicator code {c:?} is defined twice; codes must be unique"),
        );
    }
}

fn check_weight(sink: &mut Sink<'_>, w: &Spanned<f64>) {
    let v = *w.get_ref();
    if !(v > 0.0 && v <= 1.0) {
        sink.at(
            w.span(),
            format!("weight {v} must be greater than 0 and at most 1"),
        );
    }
}

fn check_name(sink: &mut Sink<'_>, name: &Spanned<String>) {
    if name.get_ref().trim().is_empty() {
        sink.at(
            name.span(),
            "indicator name is empty; give it a Chinese name",
        );
    }
}
