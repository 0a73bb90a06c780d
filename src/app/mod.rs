//! Use-cases: the only place that strings store, analysis and report together. The
//! web and CLI doors call these; `report/` and `analysis/` never import them.

pub mod access;
pub mod analyse;
pub mod backup;
pub mod benchmark;
pub mod campaigns;
pub mod crosstab;
pub mod definitions;
pub mod demo;
mod demo_comments;
pub mod explore;
pub mod export;
pub mod fieldwork;
pub mod import;
pub mod invite;
pub mod publish;
pub mod quality;
pub mod read;
pub mod reindex;
pub mod report;
pub mod report_jobs;
pub mod respond;
