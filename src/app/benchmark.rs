//! The benchmarking use-case: every school and sector against the county for one
//! indicator and stakeholder group, from the campaign's gated analysis (its breakdown
//! cells and its whole-campaign cell: nothing the gate hid is used), with the funnel's
//! control limits. It reads nothing itself: it works on the whole campaign's results
//! view, which the workspace keeps per data version, so the page costs no analysis when
//! the results explorer has already shown the campaign (and the other way round).

use std::collections::BTreeMap;

use super::explore::Explored;
use crate::analysis::benchmark::{benchmark, funnel_limits, Benchmark, Moments};
use crate::analysis::evaluation::{IndicatorRow, ScoreCell};
use crate::domain::Audience;

/// The attributes units are benchmarked by.
pub const UNITS: [&str; 2] = ["school", "sector"];

/// Points on each control-limit curve of the funnel plot.
const LIMIT_POINTS: usize = 40;

/// The units of one attribute against the county.
pub struct UnitTable {
    pub attribute: &'static str,
    /// (label, benchmark), in the order of the breakdown.
    pub rows: Vec<(String, Benchmark)>,
    /// Units whose cell the gate hid: (label, n, reason).
    pub hidden: Vec<(String, u64, String)>,
    /// Funnel control limits from the smallest to the largest unit.
    pub limits: Vec<[f64; 5]>,
}

/// One indicator of one group, benchmarked.
pub struct Benchmarked {
    /// The campaign's title and key.
    pub title: String,
    pub key: String,
    /// Whether the scores are weighted to the population.
    pub weighted: bool,
    pub indicator: String,
    pub indicator_name: String,
    pub group: Audience,
    /// The county's cell; `None` when it is hidden or empty.
    pub county: Option<Moments>,
    pub tables: Vec<UnitTable>,
    /// (code, name) of every indicator, composite first.
    pub indicators: Vec<(String, String)>,
}

fn moments(c: &ScoreCell) -> Option<Moments> {
    Some(Moments {
        n: c.n,
        mean: c.mean?,
        sd: c.sd?,
        n_eff: c.n_eff.unwrap_or(c.n as f64),
    })
}

fn find<'a>(
    rows: &'a [IndicatorRow],
    composite: &'a IndicatorRow,
    code: &str,
) -> Option<&'a IndicatorRow> {
    std::iter::once(composite)
        .chain(rows)
        .find(|r| r.code == code)
}

fn table(
    a: &crate::analysis::evaluation::Analysis,
    attribute: &'static str,
    code: &str,
    group: Audience,
    county: Moments,
    labels: &BTreeMap<(String, String), String>,
) -> Option<UnitTable> {
    let b = a.breakdowns.iter().find(|b| b.attribute == attribute)?;
    let label = |v: &str| {
        labels
            .get(&(attribute.to_string(), v.to_string()))
            .cloned()
            .unwrap_or_else(|| v.to_string())
    };
    let mut units = Vec::new();
    let mut hidden = Vec::new();
    for v in &b.values {
        let Some(cell) =
            find(&v.indicators, &v.composite, code).and_then(|r| r.by_group.get(&group))
        else {
            continue;
        };
        match moments(cell) {
            Some(m) => units.push((label(&v.value), m)),
            None if cell.n > 0 => hidden.push((
                label(&v.value),
                cell.n,
                cell.note.clone().unwrap_or_else(|| "不公布".into()),
            )),
            None => {}
        }
    }
    let ns = units.iter().map(|(_, m)| m.n_eff);
    let from = ns.clone().fold(f64::INFINITY, f64::min);
    let to = ns.fold(2.0, f64::max);
    let from = if from.is_finite() { from } else { 2.0 };
    Some(UnitTable {
        attribute,
        rows: units
            .iter()
            .map(|(l, _)| l.clone())
            .zip(benchmark(county, &units))
            .collect(),
        hidden,
        limits: funnel_limits(county, (from / 2.0).max(2.0), to * 1.1 + 1.0, LIMIT_POINTS),
    })
}

/// Schools and sectors against the county for indicator `code` (the composite when
/// `None`) and `group`, from the results view of the whole campaign (`Explored` with no
/// filter, whose filter choices label the units); `None` for an unknown indicator.
pub fn units(whole: &Explored, code: Option<&str>, group: Audience) -> Option<Benchmarked> {
    let labels: BTreeMap<(String, String), String> = whole
        .choices
        .iter()
        .flat_map(|c| {
            c.values
                .iter()
                .map(|(v, l)| ((c.attribute.to_string(), v.clone()), l.clone()))
        })
        .collect();
    let analysed = &whole.analysed;
    let a = &analysed.analysis;
    let code = code.unwrap_or(&a.composite.code).to_string();
    let row = find(&a.indicators, &a.composite, &code)?;
    let indicator_name = row.name.clone();
    let county = row.by_group.get(&group).and_then(moments);
    let tables = match county {
        Some(c) => UNITS
            .iter()
            .filter_map(|attr| table(a, attr, &code, group, c, &labels))
            .collect(),
        None => Vec::new(),
    };
    let indicators = std::iter::once(&a.composite)
        .chain(&a.indicators)
        .map(|r| (r.code.clone(), r.name.clone()))
        .collect();
    Some(Benchmarked {
        title: analysed.meta.campaign.info.title.clone(),
        key: analysed.meta.campaign.info.key.clone(),
        weighted: a.weighting.is_some(),
        indicator: code,
        indicator_name,
        group,
        county,
        tables,
        indicators,
    })
}
