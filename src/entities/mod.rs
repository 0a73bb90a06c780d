//! sea-orm entities: the shape of each table, no behaviour.

pub mod access_tokens;
pub mod admin_tokens;
pub mod anonymous_progress;
pub mod audit_log;
pub mod campaigns;
pub mod evaluator_sessions;
pub mod invitations;
pub mod report_jobs;
pub mod response_tallies;
pub mod response_totals;
pub mod responses;
pub mod survey_versions;
