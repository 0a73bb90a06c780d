//! Chorus: multi-stakeholder quality evaluation of school–enterprise cooperation.
//! The library holds everything; `main.rs` only parses the command line.

pub mod analysis;
pub mod app;
pub mod charts;
pub mod cli;
pub mod config;
pub mod definitions;
pub mod domain;
pub mod entities;
pub mod error;
pub mod export;
pub mod qr;
pub mod report;
pub mod startup;
pub mod store;
pub mod web;
pub mod xlsform;
