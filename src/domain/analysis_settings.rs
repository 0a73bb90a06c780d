//! How a campaign asks to be analysed (`[analysis]` in campaign.toml): the fuzzy
//! evaluation's operator, the grade bands and the handling of missing answers. Plain
//! values of the definition, so they live in the domain; `analysis` applies them.

use serde::{Deserialize, Serialize};

/// The fuzzy comprehensive evaluation's composition operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operator {
    /// M(·,+): bⱼ = Σᵢ aᵢ rᵢⱼ.
    #[default]
    WeightedAverage,
    /// M(∧,∨): bⱼ = maxᵢ min(aᵢ, rᵢⱼ), then normalised to sum 1.
    Zadeh,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Band {
    /// Lowest score of the band (inclusive).
    pub min: f64,
    pub label: String,
}

/// Default: ≥ 85 优秀, 70–85 良好, 60–70 合格, < 60 待改进.
pub fn default_bands() -> Vec<Band> {
    [
        (85.0, "优秀"),
        (70.0, "良好"),
        (60.0, "合格"),
        (0.0, "待改进"),
    ]
    .into_iter()
    .map(|(min, label)| Band {
        min,
        label: label.to_string(),
    })
    .collect()
}

/// How missing answers are handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Deletion {
    /// Only respondents who answered every item (the textbook α).
    #[default]
    Listwise,
    /// Each covariance from the respondents who answered both items.
    Pairwise,
}
