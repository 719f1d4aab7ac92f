//! `scan`: walk the roots, skip the files the index already has unchanged (same path,
//! size and modification time), read the others' headers in parallel (rayon) and write
//! the results to the index in one transaction.
//!
//! Every file seen ends as an instance or a problem: `files_seen = instances + problems`.
//! Results stream from the readers to the single writer through a bounded channel, so
//! memory does not grow with the number of files read (only the walk's list of paths and
//! the index's list of known files are held whole).

use crate::index::{Index, IndexError, Problem};
use crate::walk::{normalise_root, walk, WalkEntry, WalkError};
use oncoread_dicom::header::{HeaderReader, HeaderRecord};
use rayon::prelude::*;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Default)]
pub struct ScanOptions {
    /// Reader threads; `None` uses rayon's global pool (one per core).
    pub threads: Option<usize>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ScanSummary {
    /// Files (and unlistable folders or special files) found under the roots.
    pub files_seen: u64,
    /// Files skipped because the index has them with the same size and modification time.
    pub unchanged: u64,
    /// Files whose header was read in this scan.
    pub read: u64,
    /// Files that are indexed instances (read now or unchanged).
    pub instances: u64,
    /// Files that are problems (read now or unchanged).
    pub problems: u64,
    /// Index rows dropped because their file disappeared from under the roots.
    pub removed: u64,
    pub elapsed: Duration,
}

impl ScanSummary {
    pub fn files_per_second(&self) -> f64 {
        let seconds = self.elapsed.as_secs_f64();
        if seconds > 0.0 {
            self.files_seen as f64 / seconds
        } else {
            0.0
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error(transparent)]
    Walk(#[from] WalkError),
    #[error(transparent)]
    Index(#[from] IndexError),
    #[error("cannot start {threads} reader threads: {reason}")]
    Threads { threads: usize, reason: String },
}

/// What reading one file gave.
enum Outcome {
    Record(Box<HeaderRecord>),
    Problem(String),
}

fn read_one(reader: &mut HeaderReader, path: &Path) -> Outcome {
    // A reader bug must cost one file, not the scan.
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| reader.read(path)));
    match result {
        Ok(Ok(record)) => Outcome::Record(Box::new(record)),
        Ok(Err(error)) => Outcome::Problem(error.to_string()),
        Err(_) => {
            *reader = HeaderReader::new();
            Outcome::Problem("internal error: the header reader panicked (a bug)".into())
        }
    }
}

/// Whether an index path lies under one of the (normalised) roots.
pub fn is_under(path: &str, roots: &[PathBuf]) -> bool {
    let path = Path::new(path);
    roots.iter().any(|root| path.starts_with(root))
}

/// The index's problems under `roots`, sorted by path.
pub fn problems_under(index: &Index, roots: &[PathBuf]) -> Result<Vec<Problem>, IndexError> {
    let roots: Vec<PathBuf> = roots.iter().map(|r| normalise_root(r)).collect();
    let mut problems = index.problems()?;
    problems.retain(|p| is_under(&p.path, &roots));
    Ok(problems)
}

/// Scans `roots` into `index` (see the module documentation).
pub fn scan(
    roots: &[PathBuf],
    index: &mut Index,
    options: &ScanOptions,
) -> Result<ScanSummary, ScanError> {
    let started = Instant::now();
    let pool = match options.threads {
        Some(threads) => Some(
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .map_err(|e| ScanError::Threads {
                    threads,
                    reason: e.to_string(),
                })?,
        ),
        None => None,
    };
    let walked = walk(roots)?;
    let roots: Vec<PathBuf> = roots.iter().map(|r| normalise_root(r)).collect();
    let mut summary = ScanSummary {
        files_seen: (walked.entries.len() + walked.problems.len()) as u64,
        ..ScanSummary::default()
    };

    let writer = index.begin_write()?;
    let mut known = writer.known_files()?;
    let mut to_read: Vec<WalkEntry> = Vec::new();
    for entry in walked.entries {
        let state = known.remove(entry.path.to_string_lossy().as_ref());
        match state {
            Some(s) if s.size == entry.size && s.mtime_ns == entry.mtime_ns => {
                summary.unchanged += 1;
                if s.is_problem {
                    summary.problems += 1;
                } else {
                    summary.instances += 1;
                }
            }
            _ => to_read.push(entry),
        }
    }
    for problem in walked.problems {
        let path = problem.path.to_string_lossy();
        known.remove(path.as_ref());
        writer.upsert_problem(&path, 0, 0, &problem.reason)?;
        summary.problems += 1;
    }
    // What the index still lists under the roots was not found again: it is gone.
    let mut gone: Vec<&String> = known.keys().filter(|p| is_under(p, &roots)).collect();
    gone.sort();
    for path in gone {
        writer.remove(path)?;
        summary.removed += 1;
    }
    drop(known);

    let cancelled = AtomicBool::new(false);
    let written: Result<(), ScanError> = std::thread::scope(|scope| {
        let (sender, receiver) = mpsc::sync_channel::<(usize, Outcome)>(1024);
        let (to_read, cancelled, pool) = (&to_read, &cancelled, &pool);
        scope.spawn(move || {
            let read_all = || {
                to_read.par_iter().enumerate().for_each_init(
                    || (sender.clone(), HeaderReader::new()),
                    |(sender, reader), (i, entry)| {
                        if cancelled.load(Ordering::Relaxed) {
                            return;
                        }
                        let outcome = read_one(reader, &entry.path);
                        if sender.send((i, outcome)).is_err() {
                            cancelled.store(true, Ordering::Relaxed);
                        }
                    },
                )
            };
            match pool {
                Some(pool) => pool.install(read_all),
                None => read_all(),
            }
        });
        let result = (|| {
            for (i, outcome) in receiver.iter() {
                let entry = &to_read[i];
                let path = entry.path.to_string_lossy();
                match outcome {
                    Outcome::Record(mut record) => {
                        record.path = path.into_owned();
                        writer.upsert_record(&record, entry.size, entry.mtime_ns)?;
                        summary.instances += 1;
                    }
                    Outcome::Problem(reason) => {
                        writer.upsert_problem(&path, entry.size, entry.mtime_ns, &reason)?;
                        summary.problems += 1;
                    }
                }
                summary.read += 1;
            }
            Ok(())
        })();
        if result.is_err() {
            cancelled.store(true, Ordering::Relaxed);
        }
        result
    });
    written?;
    writer.commit()?;
    summary.elapsed = started.elapsed();
    Ok(summary)
}
