//! Weighting to the population: how (`[analysis] weighting` and its parameters) and to
//! what (the population counts of `population.toml` or `population.csv`), as typed
//! values the analysis computes respondent weights from.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Audience;

/// How respondents are weighted to the population.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WeightingMethod {
    /// Every respondent counts the same.
    #[default]
    None,
    /// Post-stratification on one attribute per group: each cell weighs its population
    /// share over its sample share.
    Cell,
    /// Raking (iterative proportional fitting) to every margin of the group.
    Raking,
}

impl WeightingMethod {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "none" => Some(Self::None),
            "cell" => Some(Self::Cell),
            "raking" => Some(Self::Raking),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Cell => "cell",
            Self::Raking => "raking",
        }
    }
}

/// `[analysis] weighting` and its parameters (documented in docs/methods.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct WeightingSettings {
    pub method: WeightingMethod,
    /// Raking stops when every weighted margin share is within this of its target.
    pub tolerance: f64,
    /// Raking gives up (and says so) after this many sweeps over the margins.
    pub max_iterations: u32,
    /// Weights are capped at this multiple of the group's mean weight, inside the
    /// raking loop; `None` keeps them as raked.
    pub trim: Option<f64>,
}

impl Default for WeightingSettings {
    fn default() -> Self {
        WeightingSettings {
            method: WeightingMethod::None,
            tolerance: 1e-6,
            max_iterations: 100,
            trim: None,
        }
    }
}

impl WeightingSettings {
    pub fn is_on(&self) -> bool {
        self.method != WeightingMethod::None
    }
}

/// The population counts of one attribute in one group, e.g. students by sector.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Margin {
    /// A respondent attribute (one of the campaign's breakdowns).
    pub attribute: String,
    /// Population count per value; every value is > 0.
    pub counts: BTreeMap<String, u64>,
}

impl Margin {
    pub fn total(&self) -> u64 {
        self.counts.values().sum()
    }
}

/// The campaign's population: per stakeholder group, its margins in file order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Population {
    pub groups: BTreeMap<Audience, Vec<Margin>>,
}

impl Population {
    /// Every attribute any margin names, sorted and once.
    pub fn attributes(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .groups
            .values()
            .flatten()
            .map(|m| m.attribute.clone())
            .collect();
        out.sort();
        out.dedup();
        out
    }
}
