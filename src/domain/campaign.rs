//! A campaign: one indicator framework, group weights and one questionnaire per group.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::analysis_settings::{default_bands, Band, Deletion, Operator};
use super::quality::QualitySettings;
use super::text::TextSettings;
use super::weighting::{Population, WeightingSettings};
use super::{Audience, Framework, Survey};

/// How the framework's weights were set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WeightMethod {
    /// Written in campaign.toml.
    #[default]
    Explicit,
    /// From the AHP pairwise comparison matrices in campaign.toml.
    Ahp,
    /// From the data, by the entropy method over the units of `entropy_unit`.
    Entropy,
}

/// Every method choice of the analysis, pinned in campaign.toml `[analysis]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AnalysisSettings {
    /// A respondent counts toward an indicator when they answered at least this share
    /// of its items.
    pub min_item_share: f64,
    /// No mean or percentage is published for fewer respondents than this.
    pub min_cell_size: u64,
    pub reliability_deletion: Deletion,
    pub fuzzy_operator: Operator,
    pub weights: WeightMethod,
    /// Respondent attribute whose values are the evaluated units for entropy weights.
    pub entropy_unit: String,
    /// Respondent attributes to break scores down by.
    pub breakdowns: Vec<String>,
    pub grades: Vec<Band>,
    /// Key of an earlier campaign with the same framework, to compare with.
    pub previous_wave: Option<String>,
    /// `weighting` and its parameters: whether and how respondents are weighted to the
    /// population.
    pub weighting: WeightingSettings,
}

impl Default for AnalysisSettings {
    fn default() -> Self {
        Self {
            min_item_share: 0.5,
            min_cell_size: 10,
            reliability_deletion: Deletion::Listwise,
            fuzzy_operator: Operator::WeightedAverage,
            weights: WeightMethod::Explicit,
            entropy_unit: "sector".into(),
            breakdowns: ["sector", "school", "grade", "role", "size"]
                .map(String::from)
                .to_vec(),
            grades: default_bands(),
            previous_wave: None,
            weighting: WeightingSettings::default(),
        }
    }
}

/// AHP matrices as written, with the weights and consistency derived from them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AhpRecord {
    /// `"top"` for the first level, else the first-level code whose children it weighs.
    pub scope: String,
    pub matrix: Vec<Vec<f64>>,
    pub weights: Vec<f64>,
    pub lambda_max: f64,
    pub ci: f64,
    pub cr: f64,
}

/// What is stored for a campaign (the questionnaires are stored as versions apart).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CampaignInfo {
    pub key: String,
    pub title: String,
    pub description: String,
    pub organisations: Vec<String>,
    /// Fixed weights used to combine stakeholder groups (sum to 1).
    pub group_weights: BTreeMap<Audience, f64>,
    pub framework: Framework,
    #[serde(default)]
    pub analysis: AnalysisSettings,
    /// `[quality]`: data quality rules and what the analysis leaves out.
    #[serde(default)]
    pub quality: QualitySettings,
    #[serde(default)]
    pub ahp: Vec<AhpRecord>,
    /// Recommendation rules from `recommendations.toml`: indicator code -> advice text.
    #[serde(default)]
    pub recommendations: BTreeMap<String, String>,
    /// Population counts from `population.toml` / `population.csv`, for weighting.
    #[serde(default)]
    pub population: Option<Population>,
    /// Open-answer analysis: user dictionary, stop words, themes, names to redact.
    #[serde(default)]
    pub text: TextSettings,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Campaign {
    pub info: CampaignInfo,
    pub surveys: Vec<Survey>,
}
