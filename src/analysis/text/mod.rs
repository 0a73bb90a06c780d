//! Open answers (意见和建议) read per stakeholder group, safely: every answer is
//! redacted ([`redact`]) before anything else sees it, segmented with the campaign's
//! dictionary ([`segment`]), counted per group and breakdown cell ([`terms`]), compared
//! between groups by the weighted log-odds ratio ([`log_odds`]) and coded into the
//! campaign's themes ([`themes`]). [`analyse`] publishes all of it through the
//! disclosure gate: a group's (or cell's) texts are shown only when the gate passes the
//! number of respondents who wrote them.

pub mod log_odds;
pub mod redact;
pub mod segment;
pub mod terms;
pub mod themes;

mod publish;

pub use publish::{
    analyse, respondents, text_key, CellText, Distinctive, DistinctiveTerm, GroupText, Quote,
    TextBreakdown, TextReport, ThemeInfo, ThemeShare, MIN_DOCUMENTS,
};
