//! The API test binary: the real server on a random port, against a fresh SQLite file
//! per test and, when `CHORUS_TEST_DATABASE_URL` is set, a fresh PostgreSQL database.

mod helpers;

mod analysis;
mod analysis_read;
mod backup;
mod browser;
mod check;
mod contract;
mod crash;
mod crosstab;
mod demo_data;
mod disclosure;
mod distribution;
mod evaluator;
mod faults;
mod narrow_views;
mod office;
mod open_answers;
mod packed;
mod publishing;
mod quality;
mod question_types;
mod report_formats;
mod report_jobs;
mod respondent_pages;
mod responses_api;
mod roles;
mod scale_out;
mod scores_and_report;
mod tallies;
mod weighting;
mod workspace;
mod xlsform;
