//! Analytics: stored responses -> polars frame with a declared schema -> typed results.
//! Pure functions; no database or HTTP in here.

pub mod frame;
pub mod scores;
pub mod stats;

pub use scores::{score_campaign, CampaignScores, IndicatorScores, Level};
pub use stats::ScoreStat;
