//! Analytics: stored responses -> polars frame with a declared schema -> typed results.
//! Pure functions; no database or HTTP in here.

pub mod benchmark;
pub mod crosstab;
pub mod cube;
pub mod disclosure;
pub mod evaluation;
pub mod frame;
pub mod fuzzy;
pub mod grading;
pub mod inference;
pub mod ipa;
pub mod parallel;
#[cfg(test)]
mod properties;
pub mod quality;
pub mod reliability;
pub mod score_values;
pub mod scores;
pub mod stats;
pub mod suppression;
pub mod tallies;
pub mod text;
pub mod weighting;
pub mod weights;

pub use scores::{IndicatorScores, Level};
pub use stats::ScoreStat;
