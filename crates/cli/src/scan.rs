//! `oncoread scan PATH... [--index FILE] [--threads N]`
//!
//! Prints one summary line on standard output; the problems (path: reason) go to standard
//! error, the first few of them, with the query that lists them all. Problems are not
//! failures (exit 0); a missing path or an unusable index is (exit 2).

use anyhow::{Context, Result};
use clap::Args;
use oncoread_pipeline::index::{default_index_path, Index};
use oncoread_pipeline::scan::{problems_under, scan, ScanOptions};
use std::path::PathBuf;

/// Problems shown on standard error before pointing at the index for the rest.
const PROBLEMS_SHOWN: usize = 20;

#[derive(Args)]
pub struct ScanArgs {
    /// Files or folders to scan (recursively; any layout and file names).
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// The index database (SQLite); created when missing.
    #[arg(long, value_name = "FILE", default_value_os_t = default_index_path())]
    index: PathBuf,
    /// Reader threads (default: one per core).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    threads: Option<u16>,
}

pub fn run(args: ScanArgs) -> Result<u8> {
    let mut index = Index::open(&args.index)?;
    let options = ScanOptions {
        threads: args.threads.map(usize::from),
        progress: None,
        shard: None,
    };
    let summary = scan(&args.paths, &mut index, &options).context("scan")?;
    println!(
        "scan: {} files seen, {} unchanged, {} read, {} instances indexed, {} problems, \
         {} removed, {:.2} s, {:.0} files/s (index {})",
        summary.files_seen,
        summary.unchanged,
        summary.read,
        summary.instances,
        summary.problems,
        summary.removed,
        summary.elapsed.as_secs_f64(),
        summary.files_per_second(),
        args.index.display()
    );
    if summary.problems > 0 {
        let problems = problems_under(&index, &args.paths)?;
        for problem in problems.iter().take(PROBLEMS_SHOWN) {
            eprintln!("{}: {}", problem.path, problem.reason);
        }
        if problems.len() > PROBLEMS_SHOWN {
            eprintln!(
                "... and {} more; all of them: sqlite3 {} \"SELECT path, problem FROM files \
                 WHERE problem IS NOT NULL ORDER BY path\"",
                problems.len() - PROBLEMS_SHOWN,
                args.index.display()
            );
        }
    }
    Ok(0)
}
