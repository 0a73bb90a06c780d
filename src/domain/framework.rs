//! The indicator framework: first-level indicators, each with weighted second-level
//! indicators. Weights are local: first-level weights sum to 1, and so do the weights
//! of the children of each first-level indicator.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Framework {
    pub indicators: Vec<Indicator>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Indicator {
    pub code: String,
    pub name: String,
    pub name_en: Option<String>,
    pub weight: f64,
    pub children: Vec<SubIndicator>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubIndicator {
    pub code: String,
    pub name: String,
    pub name_en: Option<String>,
    pub weight: f64,
}

impl Framework {
    /// The second-level indicator with this code, with its parent.
    pub fn sub(&self, code: &str) -> Option<(&Indicator, &SubIndicator)> {
        self.indicators
            .iter()
            .find_map(|i| i.children.iter().find(|c| c.code == code).map(|c| (i, c)))
    }

    pub fn subs(&self) -> impl Iterator<Item = (&Indicator, &SubIndicator)> {
        self.indicators
            .iter()
            .flat_map(|i| i.children.iter().map(move |c| (i, c)))
    }

    /// Display name of any indicator code, first or second level.
    pub fn name_of(&self, code: &str) -> Option<&str> {
        self.indicators.iter().find_map(|i| {
            if i.code == code {
                Some(i.name.as_str())
            } else {
                i.children
                    .iter()
                    .find(|c| c.code == code)
                    .map(|c| c.name.as_str())
            }
        })
    }
}
