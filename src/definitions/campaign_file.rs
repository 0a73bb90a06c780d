//! `campaign.toml`: title, group weights and the indicator framework.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::{Problem, Sink, WEIGHT_TOLERANCE};
use crate::domain::ahp::{ahp, MAX_CR};
use crate::domain::analysis_settings::{Band, Deletion, Operator};
use crate::domain::campaign::{AhpRecord, AnalysisSettings, CampaignInfo, WeightMethod};
use crate::domain::quality::{Flag, QualitySettings};
use crate::domain::weighting::{WeightingMethod, WeightingSettings};
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
    analysis: Option<RawAnalysis>,
    quality: Option<RawQuality>,
    ahp: Option<AhpTable>,
}

/// `[quality]`: the data quality rules' parameters (defaults in `QualitySettings`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuality {
    speeder_fraction: Option<Spanned<f64>>,
    speeder_min_responses: Option<Spanned<i64>>,
    min_seconds_per_item: Option<Spanned<f64>>,
    straightline_min_items: Option<Spanned<i64>>,
    max_missing_share: Option<Spanned<f64>>,
    duplicate_window_minutes: Option<Spanned<i64>>,
    duplicate_similarity: Option<Spanned<f64>>,
    exclude: Option<Vec<Spanned<String>>>,
}

/// `[ahp]`: scope ("top" or a first-level code) -> pairwise comparison matrix.
type AhpTable = BTreeMap<Spanned<String>, Spanned<Vec<Vec<f64>>>>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAnalysis {
    min_item_share: Option<Spanned<f64>>,
    min_cell_size: Option<Spanned<i64>>,
    reliability_deletion: Option<Spanned<String>>,
    fuzzy_operator: Option<Spanned<String>>,
    weights: Option<Spanned<String>>,
    entropy_unit: Option<String>,
    breakdowns: Option<Vec<String>>,
    grade: Option<Vec<RawBand>>,
    previous_wave: Option<String>,
    weighting: Option<Spanned<String>>,
    weight_tolerance: Option<Spanned<f64>>,
    weight_max_iterations: Option<Spanned<i64>>,
    weight_trim: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBand {
    min: Spanned<f64>,
    label: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIndicator {
    code: Spanned<String>,
    name: Spanned<String>,
    name_en: Option<String>,
    weight: Option<Spanned<f64>>,
    #[serde(default)]
    sub: Vec<RawSub>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSub {
    code: Spanned<String>,
    name: Spanned<String>,
    name_en: Option<String>,
    weight: Option<Spanned<f64>>,
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

    let group_weights = group_weights(&mut sink, &raw.group_weights);

    let analysis = analysis_settings(&mut sink, raw.analysis);
    let quality = quality_settings(&mut sink, raw.quality);
    let method = analysis.weights;

    // No [[indicator]] at all is a descriptive campaign (e.g. an imported XLSForm without
    // scored items): answers are collected and exported, no indicator is scored. A
    // weighting method still needs something to weigh.
    if raw.indicator.is_empty() && method != WeightMethod::Explicit {
        sink.at(
            0..0,
            "no [[indicator]] defined, so there is nothing to weigh; add an indicator framework or remove weights from [analysis]",
        );
    }
    let indicators = indicators(&mut sink, &raw.indicator, method);
    let mut framework = Framework { indicators };
    let ahp_records = match (method, raw.ahp) {
        (WeightMethod::Ahp, None) => {
            sink.at(0..0, "weights = \"ahp\" needs an [ahp] table with a pairwise matrix for \"top\" and for each indicator with several children");
            Vec::new()
        }
        (WeightMethod::Ahp, Some(m)) => apply_ahp(&mut sink, &mut framework, m),
        (_, Some(m)) => {
            if let Some((k, _)) = m.iter().next() {
                sink.at(k.span(), "an [ahp] table is only used with weights = \"ahp\" in [analysis]; set it or remove the table");
            }
            Vec::new()
        }
        (_, None) => Vec::new(),
    };
    if sink.problems.is_empty() {
        Ok(CampaignInfo {
            key: key.to_string(),
            title: raw.title.into_inner(),
            description: raw.description,
            organisations: raw.organisations,
            group_weights,
            framework,
            analysis,
            quality,
            ahp: ahp_records,
            recommendations: BTreeMap::new(),
            population: None,
            text: Default::default(),
        })
    } else {
        Err(sink.problems)
    }
}

/// `[group_weights]`: a weight in 0..1 per stakeholder group, summing to 1.
fn group_weights(
    sink: &mut Sink<'_>,
    raw: &Spanned<BTreeMap<Spanned<String>, Spanned<f64>>>,
) -> BTreeMap<Audience, f64> {
    let mut group_weights = BTreeMap::new();
    for (name, weight) in raw.get_ref() {
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
            raw.span(),
            format!("group weights sum to {sum:.4}, not 1; adjust them so they add up to 1"),
        );
    }
    if group_weights.is_empty() {
        sink.at(
            raw.span(),
            "group_weights is empty; give each of students, teachers, enterprises a weight",
        );
    }

    group_weights
}

/// The `[[indicator]]` framework: unique codes, names, and weights that sum to 1 per
/// level when they are given explicitly (equal shares otherwise).
fn indicators(sink: &mut Sink<'_>, raw: &[RawIndicator], method: WeightMethod) -> Vec<Indicator> {
    let mut codes = HashSet::new();
    let mut indicators = Vec::new();
    if method == WeightMethod::Explicit {
        check_sum(
            sink,
            raw.iter().map(|i| &i.weight),
            "first-level indicator weights",
        );
    }
    for ind in raw {
        check_code(sink, &mut codes, &ind.code);
        check_weight(sink, ind.weight.as_ref(), &ind.code, method);
        check_name(sink, &ind.name);
        if ind.sub.is_empty() {
            sink.at(
                ind.code.span(),
                format!(
                    "indicator {:?} has no [[indicator.sub]]; add its second-level indicators",
                    ind.code.get_ref()
                ),
            );
        }
        if method == WeightMethod::Explicit {
            let what = format!(
                "weights of the second-level indicators under {:?}",
                ind.code.get_ref()
            );
            check_sum(sink, ind.sub.iter().map(|s| &s.weight), &what);
        }
        let mut children = Vec::new();
        for s in &ind.sub {
            check_code(sink, &mut codes, &s.code);
            check_weight(sink, s.weight.as_ref(), &s.code, method);
            check_name(sink, &s.name);
            children.push(SubIndicator {
                code: s.code.get_ref().clone(),
                name: s.name.get_ref().clone(),
                name_en: s.name_en.clone(),
                weight: s
                    .weight
                    .as_ref()
                    .map_or(1.0 / ind.sub.len().max(1) as f64, |w| *w.get_ref()),
            });
        }
        indicators.push(Indicator {
            code: ind.code.get_ref().clone(),
            name: ind.name.get_ref().clone(),
            name_en: ind.name_en.clone(),
            weight: ind
                .weight
                .as_ref()
                .map_or(1.0 / raw.len().max(1) as f64, |w| *w.get_ref()),
            children,
        });
    }
    indicators
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

fn check_weight(
    sink: &mut Sink<'_>,
    w: Option<&Spanned<f64>>,
    code: &Spanned<String>,
    method: WeightMethod,
) {
    match (w, method) {
        (None, WeightMethod::Explicit) => sink.at(
            code.span(),
            format!("indicator {:?} has no weight; add weight = 0.25 (or set weights = \"ahp\" or \"entropy\" in [analysis])", code.get_ref()),
        ),
        (Some(w), WeightMethod::Ahp) => sink.at(w.span(), "weights come from the [ahp] matrices; remove this weight"),
        (Some(w), _) => {
            let v = *w.get_ref();
            if !(v > 0.0 && v <= 1.0) {
                sink.at(w.span(), format!("weight {v} must be greater than 0 and at most 1"));
            }
        }
        (None, _) => {}
    }
}

fn check_sum<'a>(
    sink: &mut Sink<'_>,
    weights: impl Iterator<Item = &'a Option<Spanned<f64>>>,
    what: &str,
) {
    let weights: Vec<&Spanned<f64>> = weights.flatten().collect();
    let Some(first) = weights.first() else { return };
    let sum: f64 = weights.iter().map(|w| *w.get_ref()).sum();
    if (sum - 1.0).abs() > WEIGHT_TOLERANCE {
        sink.at(
            first.span(),
            format!("{what} sum to {sum:.4}, not 1; adjust them so they add up to 1"),
        );
    }
}

/// The longest duplicate window: a week.
const MAX_WINDOW_MINUTES: i64 = 7 * 24 * 60;

/// `[quality]`, each value checked against its range with the default named.
fn quality_settings(sink: &mut Sink<'_>, raw: Option<RawQuality>) -> QualitySettings {
    let mut q = QualitySettings::default();
    let Some(raw) = raw else { return q };
    let share = |sink: &mut Sink<'_>, v: Spanned<f64>, name: &str, default: f64| {
        let x = *v.get_ref();
        if (0.0..=1.0).contains(&x) {
            Some(x)
        } else {
            sink.at(
                v.span(),
                format!("{name} {x} must be within 0..1; the default is {default}"),
            );
            None
        }
    };
    let count = |sink: &mut Sink<'_>, v: Spanned<i64>, name: &str, least: i64, default: u64| {
        let x = *v.get_ref();
        if x >= least {
            u64::try_from(x).ok()
        } else {
            sink.at(
                v.span(),
                format!("{name} {x} must be at least {least}; the default is {default}"),
            );
            None
        }
    };
    let d = QualitySettings::default();
    if let Some(v) = raw.speeder_fraction {
        q.speeder_fraction =
            share(sink, v, "speeder_fraction", d.speeder_fraction).unwrap_or(d.speeder_fraction);
    }
    if let Some(v) = raw.max_missing_share {
        q.max_missing_share =
            share(sink, v, "max_missing_share", d.max_missing_share).unwrap_or(d.max_missing_share);
    }
    if let Some(v) = raw.duplicate_similarity {
        q.duplicate_similarity = share(sink, v, "duplicate_similarity", d.duplicate_similarity)
            .unwrap_or(d.duplicate_similarity);
    }
    if let Some(v) = raw.duplicate_window_minutes {
        if *v.get_ref() > MAX_WINDOW_MINUTES {
            sink.at(
                v.span(),
                format!("duplicate_window_minutes {} is more than a week ({MAX_WINDOW_MINUTES}); the default is {}", v.get_ref(), d.duplicate_window_minutes),
            );
        } else {
            q.duplicate_window_minutes = count(
                sink,
                v,
                "duplicate_window_minutes",
                0,
                d.duplicate_window_minutes,
            )
            .unwrap_or(d.duplicate_window_minutes);
        }
    }
    if let Some(v) = raw.speeder_min_responses {
        q.speeder_min_responses =
            count(sink, v, "speeder_min_responses", 1, d.speeder_min_responses)
                .unwrap_or(d.speeder_min_responses);
    }
    if let Some(v) = raw.straightline_min_items {
        q.straightline_min_items = count(
            sink,
            v,
            "straightline_min_items",
            2,
            d.straightline_min_items as u64,
        )
        .map_or(d.straightline_min_items, |n| n as usize);
    }
    if let Some(v) = raw.min_seconds_per_item {
        let x = *v.get_ref();
        if (0.0..=60.0).contains(&x) {
            q.min_seconds_per_item = x;
        } else {
            sink.at(
                v.span(),
                format!("min_seconds_per_item {x} must be within 0..60 (0 turns the floor off); the default is {}", d.min_seconds_per_item),
            );
        }
    }
    for f in raw.exclude.unwrap_or_default() {
        match Flag::parse(f.get_ref()) {
            Some(flag) if !q.exclude.contains(&flag) => q.exclude.push(flag),
            Some(_) => sink.at(
                f.span(),
                format!("{:?} is listed twice in exclude", f.get_ref()),
            ),
            None => sink.at(
                f.span(),
                format!(
                    "unknown flag {:?} in exclude; use {}",
                    f.get_ref(),
                    Flag::ALL.map(|f| format!("{:?}", f.as_str())).join(", ")
                ),
            ),
        }
    }
    q
}

fn analysis_settings(sink: &mut Sink<'_>, raw: Option<RawAnalysis>) -> AnalysisSettings {
    let mut a = AnalysisSettings::default();
    let Some(raw) = raw else { return a };
    weighting_settings(sink, &mut a.weighting, &raw);
    if let Some(v) = raw.min_item_share {
        if *v.get_ref() > 0.0 && *v.get_ref() <= 1.0 {
            a.min_item_share = *v.get_ref();
        } else {
            sink.at(
                v.span(),
                format!(
                    "min_item_share {} must be in (0, 1]; the default is 0.5",
                    v.get_ref()
                ),
            );
        }
    }
    if let Some(v) = raw.min_cell_size {
        match u64::try_from(*v.get_ref()) {
            Ok(n) if n >= 1 => a.min_cell_size = n,
            _ => sink.at(
                v.span(),
                format!(
                    "min_cell_size {} must be at least 1; the default is 10",
                    v.get_ref()
                ),
            ),
        }
    }
    if let Some(v) = raw.reliability_deletion {
        match v.get_ref().as_str() {
            "listwise" => a.reliability_deletion = Deletion::Listwise,
            "pairwise" => a.reliability_deletion = Deletion::Pairwise,
            other => sink.at(
                v.span(),
                format!(
                    "reliability_deletion {other:?} is not known; use \"listwise\" or \"pairwise\""
                ),
            ),
        }
    }
    if let Some(v) = raw.fuzzy_operator {
        match v.get_ref().as_str() {
            "weighted_average" => a.fuzzy_operator = Operator::WeightedAverage,
            "zadeh" => a.fuzzy_operator = Operator::Zadeh,
            other => sink.at(
                v.span(),
                format!(
                    "fuzzy_operator {other:?} is not known; use \"weighted_average\" or \"zadeh\""
                ),
            ),
        }
    }
    if let Some(v) = raw.weights {
        match v.get_ref().as_str() {
            "explicit" => a.weights = WeightMethod::Explicit,
            "ahp" => a.weights = WeightMethod::Ahp,
            "entropy" => a.weights = WeightMethod::Entropy,
            other => sink.at(
                v.span(),
                format!("weights {other:?} is not known; use \"explicit\", \"ahp\" or \"entropy\""),
            ),
        }
    }
    if let Some(u) = raw.entropy_unit {
        a.entropy_unit = u;
    }
    if let Some(b) = raw.breakdowns {
        a.breakdowns = b;
    }
    if let Some(bands) = raw.grade {
        let mut out = Vec::new();
        for b in bands {
            if !(0.0..=100.0).contains(b.min.get_ref()) {
                sink.at(
                    b.min.span(),
                    format!("grade minimum {} must be within 0..100", b.min.get_ref()),
                );
            }
            if b.label.get_ref().trim().is_empty() {
                sink.at(b.label.span(), "grade label is empty");
            }
            out.push(Band {
                min: *b.min.get_ref(),
                label: b.label.into_inner(),
            });
        }
        if !out.iter().any(|b| b.min <= 0.0) {
            sink.at(
                0..0,
                "[[analysis.grade]] needs a band with min = 0 so every score gets a grade",
            );
        }
        a.grades = out;
    }
    a.previous_wave = raw.previous_wave;
    a
}

/// `weighting`, `weight_tolerance`, `weight_max_iterations` and `weight_trim` of
/// `[analysis]`, each checked against its range with the default named.
fn weighting_settings(sink: &mut Sink<'_>, w: &mut WeightingSettings, raw: &RawAnalysis) {
    let d = WeightingSettings::default();
    if let Some(v) = &raw.weighting {
        match WeightingMethod::parse(v.get_ref()) {
            Some(m) => w.method = m,
            None => sink.at(
                v.span(),
                format!(
                    "weighting {:?} is not known; use \"none\", \"cell\" or \"raking\"",
                    v.get_ref()
                ),
            ),
        }
    }
    if let Some(v) = &raw.weight_tolerance {
        let x = *v.get_ref();
        if x > 0.0 && x <= 0.01 {
            w.tolerance = x;
        } else {
            sink.at(
                v.span(),
                format!(
                    "weight_tolerance {x} must be in (0, 0.01]; the default is {}",
                    d.tolerance
                ),
            );
        }
    }
    if let Some(v) = &raw.weight_max_iterations {
        match u32::try_from(*v.get_ref()) {
            Ok(n) if (1..=10_000).contains(&n) => w.max_iterations = n,
            _ => sink.at(
                v.span(),
                format!(
                    "weight_max_iterations {} must be within 1..10000; the default is {}",
                    v.get_ref(),
                    d.max_iterations
                ),
            ),
        }
    }
    if let Some(v) = &raw.weight_trim {
        let x = *v.get_ref();
        if (1.5..=100.0).contains(&x) {
            w.trim = Some(x);
        } else {
            sink.at(
                v.span(),
                format!("weight_trim {x} must be within 1.5..100 (a cap on weight / mean weight, e.g. 5); leave it out to keep the raked weights"),
            );
        }
    }
}

fn apply_ahp(sink: &mut Sink<'_>, framework: &mut Framework, matrices: AhpTable) -> Vec<AhpRecord> {
    let mut records = Vec::new();
    let mut scopes: Vec<(String, usize)> = vec![("top".into(), framework.indicators.len())];
    scopes.extend(
        framework
            .indicators
            .iter()
            .map(|i| (i.code.clone(), i.children.len())),
    );
    for key in matrices.keys() {
        if !scopes.iter().any(|(s, _)| s == key.get_ref()) {
            sink.at(
                key.span(),
                format!(
                    "[ahp] {:?} is neither \"top\" nor a first-level indicator code",
                    key.get_ref()
                ),
            );
        }
    }
    for (scope, n) in scopes {
        let Some((_, m)) = matrices.iter().find(|(k, _)| k.get_ref() == &scope) else {
            if n > 1 {
                sink.at(0..0, format!("[ahp] has no matrix for {scope:?}; add {scope} = [[1, …], …] ({n}x{n}, in framework order)"));
            }
            continue;
        };
        if m.get_ref().len() != n {
            sink.at(
                m.span(),
                format!(
                    "[ahp] {scope:?} has {} rows, but {scope:?} weighs {n} indicators",
                    m.get_ref().len()
                ),
            );
            continue;
        }
        match ahp(m.get_ref()) {
            Err(e) => sink.at(m.span(), format!("[ahp] {scope:?}: {e}")),
            Ok(r) if r.cr >= MAX_CR => sink.at(
                m.span(),
                format!(
                    "[ahp] {scope:?} is inconsistent: CR = {:.3} (λmax = {:.4}), must be below {MAX_CR}; revise the comparisons",
                    r.cr, r.lambda_max
                ),
            ),
            Ok(r) => {
                if scope == "top" {
                    for (ind, w) in framework.indicators.iter_mut().zip(&r.weights) {
                        ind.weight = *w;
                    }
                } else if let Some(ind) = framework.indicators.iter_mut().find(|i| i.code == scope) {
                    for (c, w) in ind.children.iter_mut().zip(&r.weights) {
                        c.weight = *w;
                    }
                }
                records.push(AhpRecord {
                    scope,
                    matrix: m.get_ref().clone(),
                    weights: r.weights,
                    lambda_max: r.lambda_max,
                    ci: r.ci,
                    cr: r.cr,
                });
            }
        }
    }
    records
}

fn check_name(sink: &mut Sink<'_>, name: &Spanned<String>) {
    if name.get_ref().trim().is_empty() {
        sink.at(
            name.span(),
            "indicator name is empty; give it a Chinese name",
        );
    }
}
