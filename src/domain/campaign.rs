//! A campaign: one indicator framework, group weights and one questionnaire per group.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Audience, Framework, Survey};

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
}

#[derive(Debug, Clone, PartialEq)]
pub struct Campaign {
    pub info: CampaignInfo,
    pub surveys: Vec<Survey>,
}
