//! `chorus` binary: start logging, parse the command line, hand over to `cli::run`.

use std::process::ExitCode;

use chorus::cli::{self, Cli};
use clap::Parser;
use tracing_subscriber::EnvFilter;

/// jemalloc, not glibc's malloc: under submission load glibc's allocator was ~22 % of
/// the server's samples (requests allocate on actix workers and are freed on tokio's);
/// jemalloc took ingest at 256 connections from 6,413 to 7,098/s (median of three,
/// alternated) with `chorus analyse` at 1M unchanged in time and +5 % in peak RSS
/// (benches/RESULTS.md, "Ingest: jemalloc, statement journals in memory").
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn,usvg=error")),
        )
        .with_writer(std::io::stderr)
        .init();
    match cli::run(Cli::parse()).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
