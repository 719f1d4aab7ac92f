//! `scan`: walk the roots, skip the files the index already has unchanged (same path,
//! size and modification time), read the others' headers in parallel (rayon) and write
//! the results to the index in one transaction.
//!
//! Three stages run at once, joined by bounded channels of small batches:
//!
//! ```text
//! walker thread ──to-read batches──► rayon readers ──records/problems──► writer (caller's thread)
//!   (compares with the index's known files; unchanged files stop here)
//! ```
//!
//! so reading starts with the first folder walked, and memory does not grow with the
//! number of files (only the index's list of known files is held whole).
//! Every file seen ends as an instance or a problem: `files_seen = instances + problems`.
//!
//! With a [`ShardSpec`] only the shard's files are indexed: the readers still read every
//! changed file's header to learn its subject (see `shard.rs`), and the others are
//! counted as `other_shards`, not as seen.

use crate::index::problem_kind::{MISSING_ATTRIBUTE, UNREADABLE_FILE, WRONG_VR};
use crate::index::{Index, IndexError, IndexWriter, KnownFiles, Problem};
use crate::shard::ShardSpec;
use crate::walk::{normalise_root, walk_batches, WalkEntry, WalkError};
use oncoread_dicom::header::{HeaderError, HeaderReader, HeaderRecord};
use rayon::prelude::*;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, SyncSender};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Default)]
pub struct ScanOptions {
    /// Reader threads; `None` uses rayon's global pool (one per core).
    pub threads: Option<usize>,
    /// Live counts for a progress display (shared with the caller).
    pub progress: Option<Arc<ScanProgress>>,
    /// Index only this shard's files (`oncoread run --shard K/N`).
    pub shard: Option<ShardSpec>,
}

/// Counts a progress display reads while the scan runs.
#[derive(Debug, Default)]
pub struct ScanProgress {
    /// Files found by the walk so far.
    pub seen: AtomicU64,
    /// Files finished so far (unchanged, read and indexed, or recorded as problems).
    pub done: AtomicU64,
    /// After the scan, `extract`'s reports to read, and those read so far.
    pub reports_total: AtomicU64,
    pub reports_read: AtomicU64,
}

impl ScanProgress {
    fn add_seen(progress: &Option<Arc<ScanProgress>>, n: u64) {
        if let Some(p) = progress {
            p.seen.fetch_add(n, Ordering::Relaxed);
        }
    }

    fn add_done(progress: &Option<Arc<ScanProgress>>, n: u64) {
        if let Some(p) = progress {
            p.done.fetch_add(n, Ordering::Relaxed);
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ScanSummary {
    /// Files (and unlistable folders or special files) found under the roots; with a
    /// shard, only the shard's.
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
    /// With a shard: files found that belong to other shards (read, not indexed).
    pub other_shards: u64,
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

/// What became of one file, on its way to the writer.
enum Outcome {
    Record(Box<HeaderRecord>),
    /// A problem kind and reason; size and modification time 0 for walk problems (never
    /// "unchanged").
    Problem(&'static str, String),
    /// Another shard's file: left out of this shard's index.
    OtherShard,
}

/// With a shard, turns an outcome for a file of another shard into [`Outcome::OtherShard`].
fn keep_if_owned(shard: Option<&ShardSpec>, entry: &WalkEntry, outcome: Outcome) -> Outcome {
    let Some(shard) = shard else {
        return outcome;
    };
    let owned = match &outcome {
        Outcome::Record(record) => shard.owns_record(record),
        Outcome::Problem(..) => shard.owns_path(&entry.path.to_string_lossy()),
        Outcome::OtherShard => false,
    };
    if owned {
        outcome
    } else {
        Outcome::OtherShard
    }
}

/// One file's result: where it is, its size and time as walked, and the outcome.
type Finding = (WalkEntry, Outcome);

fn read_one(reader: &mut HeaderReader, entry: &WalkEntry) -> Outcome {
    // A reader bug must cost one file, not the scan.
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        reader.read_with_size(&entry.path, entry.size)
    }));
    match result {
        Ok(Ok(record)) => match missing_mandatory_attribute(&record) {
            None => Outcome::Record(Box::new(record)),
            Some(missing) => Outcome::Problem(
                MISSING_ATTRIBUTE,
                format!("no {missing}: a mandatory attribute of every DICOM instance"),
            ),
        },
        Ok(Err(error)) => {
            let kind = match error {
                HeaderError::WrongVr { .. } => WRONG_VR,
                HeaderError::NoInstanceUid { .. } => MISSING_ATTRIBUTE,
                _ => UNREADABLE_FILE,
            };
            Outcome::Problem(kind, error.to_string())
        }
        Err(_) => {
            *reader = HeaderReader::new();
            Outcome::Problem(
                UNREADABLE_FILE,
                "internal error: the header reader panicked (a bug)".into(),
            )
        }
    }
}

/// Media Storage Directory (DICOMDIR): an index of files, not an instance of a study.
const MEDIA_STORAGE_DIRECTORY: &str = "1.2.840.10008.1.3.10";

/// The first type 1 attribute of the SOP Common and General Study / Series modules that
/// the record lacks (a DICOMDIR needs none of them). Without them an instance cannot be
/// placed in a study, so it is a problem rather than a silently orphaned row.
fn missing_mandatory_attribute(record: &HeaderRecord) -> Option<&'static str> {
    if record.sop_class_uid.as_deref() == Some(MEDIA_STORAGE_DIRECTORY) {
        return None;
    }
    let required = [
        ("SOP Class UID (0008,0016)", &record.sop_class_uid),
        ("SOP Instance UID (0008,0018)", &record.sop_instance_uid),
        ("Study Instance UID (0020,000D)", &record.study_instance_uid),
        (
            "Series Instance UID (0020,000E)",
            &record.series_instance_uid,
        ),
    ];
    required
        .into_iter()
        .find(|(_, value)| value.as_deref().is_none_or(|v| v.trim().is_empty()))
        .map(|(name, _)| name)
}

/// Whether an index path lies under one of the (normalised) roots. The root `.` holds
/// every relative path that does not climb out of it.
pub fn is_under(path: &str, roots: &[PathBuf]) -> bool {
    let path = Path::new(path);
    roots.iter().any(|root| {
        if root == Path::new(".") {
            path.is_relative() && !path.starts_with("..")
        } else {
            path.starts_with(root)
        }
    })
}

/// The index's problems under `roots`, sorted by path.
pub fn problems_under(index: &Index, roots: &[PathBuf]) -> Result<Vec<Problem>, IndexError> {
    let roots: Vec<PathBuf> = roots.iter().map(|r| normalise_root(r)).collect();
    let mut problems = index.problems()?;
    problems.retain(|p| is_under(&p.path, &roots));
    Ok(problems)
}

/// Counts kept by the walker stage.
#[derive(Default)]
struct WalkTally {
    seen: u64,
    unchanged: u64,
    unchanged_problems: u64,
    /// Unlistable folders and special files: problems that were never read.
    walk_problems: u64,
    /// Walk problems of other shards (left out, never read).
    other_shards: u64,
}

/// The walker stage: walks, drops unchanged files, forwards the rest. Returns its counts
/// and the known files it did not meet (candidates for removal).
fn walk_stage(
    roots: &[PathBuf],
    mut known: KnownFiles,
    to_read: SyncSender<Vec<WalkEntry>>,
    findings: SyncSender<Vec<Finding>>,
    cancelled: &AtomicBool,
    progress: &Option<Arc<ScanProgress>>,
    shard: Option<&ShardSpec>,
) -> Result<(WalkTally, KnownFiles), WalkError> {
    let mut tally = WalkTally::default();
    walk_batches(roots, |batch| {
        let found = (batch.entries.len() + batch.problems.len()) as u64;
        tally.seen += found;
        ScanProgress::add_seen(progress, found);
        let unchanged_before = tally.unchanged;
        let (own_problems, other_problems): (Vec<_>, Vec<_>) = batch
            .problems
            .into_iter()
            .partition(|p| shard.is_none_or(|s| s.owns_path(&p.path.to_string_lossy())));
        tally.other_shards += other_problems.len() as u64;
        ScanProgress::add_done(progress, other_problems.len() as u64);
        tally.walk_problems += own_problems.len() as u64;
        let mut changed = Vec::with_capacity(batch.entries.len());
        for entry in batch.entries {
            match known.remove(entry.path.to_string_lossy().as_ref()) {
                Some(s) if s.size == entry.size && s.mtime_ns == entry.mtime_ns => {
                    tally.unchanged += 1;
                    tally.unchanged_problems += u64::from(s.is_problem);
                }
                _ => changed.push(entry),
            }
        }
        ScanProgress::add_done(progress, tally.unchanged - unchanged_before);
        let problems: Vec<Finding> = own_problems
            .into_iter()
            .map(|p| {
                known.remove(p.path.to_string_lossy().as_ref());
                let entry = WalkEntry {
                    path: p.path,
                    size: 0,
                    mtime_ns: 0,
                };
                (entry, Outcome::Problem(UNREADABLE_FILE, p.reason))
            })
            .collect();
        let sent = (changed.is_empty() || to_read.send(changed).is_ok())
            && (problems.is_empty() || findings.send(problems).is_ok());
        sent && !cancelled.load(Ordering::Relaxed)
    })?;
    Ok((tally, known))
}

/// What the writer stage wrote: instances, problems, and other shards' files left out.
#[derive(Default)]
struct Written {
    instances: u64,
    problems: u64,
    other_shards: u64,
}

/// The writer stage: every finding into the index.
fn write_stage(
    writer: &mut IndexWriter<'_>,
    findings: impl Iterator<Item = Vec<Finding>>,
    progress: &Option<Arc<ScanProgress>>,
) -> Result<Written, IndexError> {
    let mut written = Written::default();
    for batch in findings {
        ScanProgress::add_done(progress, batch.len() as u64);
        for (entry, outcome) in batch {
            match outcome {
                // The reader already named the record by its path as walked.
                Outcome::Record(record) => {
                    writer.upsert_record(&record, entry.size, entry.mtime_ns)?;
                    written.instances += 1;
                }
                Outcome::Problem(kind, reason) => {
                    let path = entry.path.to_string_lossy();
                    writer.upsert_problem(&path, entry.size, entry.mtime_ns, kind, &reason)?;
                    written.problems += 1;
                }
                Outcome::OtherShard => {
                    // The file may have been this shard's before its subject changed.
                    writer.remove(&entry.path.to_string_lossy())?;
                    written.other_shards += 1;
                }
            }
        }
    }
    Ok(written)
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
    // Fail on a missing root before touching the index.
    crate::walk::prepare_roots(roots)?;
    let normalised: Vec<PathBuf> = roots.iter().map(|r| normalise_root(r)).collect();

    let mut writer = index.begin_write()?;
    let known = writer.known_files()?;
    let cancelled = AtomicBool::new(false);
    let (walked, written) = std::thread::scope(|scope| {
        let (to_read_tx, to_read_rx) = sync_channel::<Vec<WalkEntry>>(16);
        let (findings_tx, findings_rx) = sync_channel::<Vec<Finding>>(16);
        let cancelled = &cancelled;

        let walk_findings = findings_tx.clone();
        let progress = &options.progress;
        let walker = scope.spawn(move || {
            walk_stage(
                roots,
                known,
                to_read_tx,
                walk_findings,
                cancelled,
                progress,
                options.shard.as_ref(),
            )
        });
        let pool = &pool;
        scope.spawn(move || {
            let read_all = || {
                to_read_rx.into_iter().par_bridge().for_each_init(
                    || (findings_tx.clone(), HeaderReader::new()),
                    |(findings, reader), batch| {
                        if cancelled.load(Ordering::Relaxed) {
                            return; // drain the walker's channel without reading
                        }
                        let results: Vec<Finding> = batch
                            .into_iter()
                            .map(|entry| {
                                let outcome = keep_if_owned(
                                    options.shard.as_ref(),
                                    &entry,
                                    read_one(reader, &entry),
                                );
                                (entry, outcome)
                            })
                            .collect();
                        if findings.send(results).is_err() {
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

        let written = write_stage(&mut writer, findings_rx.iter(), &options.progress);
        if written.is_err() {
            cancelled.store(true, Ordering::Relaxed);
        }
        drop(findings_rx); // unblocks the stages if the writer stopped early
        let walked = walker
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (walked, written)
    });
    let Written {
        instances,
        problems,
        other_shards,
    } = written?;
    let (tally, leftover) = walked?;

    // What the index still lists under the roots was not found again: it is gone.
    let mut gone: Vec<&String> = leftover
        .keys()
        .filter(|p| is_under(p, &normalised))
        .collect();
    gone.sort();
    for path in &gone {
        writer.remove(path)?;
    }
    writer.commit()?;

    let unchanged_instances = tally.unchanged - tally.unchanged_problems;
    Ok(ScanSummary {
        files_seen: tally.seen - tally.other_shards - other_shards,
        unchanged: tally.unchanged,
        read: instances + problems - tally.walk_problems,
        instances: instances + unchanged_instances,
        problems: problems + tally.unchanged_problems,
        removed: gone.len() as u64,
        other_shards: tally.other_shards + other_shards,
        elapsed: started.elapsed(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_instance_needs_its_uids_and_a_dicomdir_does_not() {
        let complete = HeaderRecord {
            sop_class_uid: Some("1.2.840.10008.5.1.4.1.1.2".into()),
            sop_instance_uid: Some("1.2.3".into()),
            study_instance_uid: Some("1.2.4".into()),
            series_instance_uid: Some("1.2.5".into()),
            ..HeaderRecord::default()
        };
        assert_eq!(missing_mandatory_attribute(&complete), None);
        let no_study = HeaderRecord {
            study_instance_uid: Some("  ".into()),
            ..complete.clone()
        };
        assert_eq!(
            missing_mandatory_attribute(&no_study),
            Some("Study Instance UID (0020,000D)")
        );
        let no_series = HeaderRecord {
            series_instance_uid: None,
            ..complete.clone()
        };
        assert_eq!(
            missing_mandatory_attribute(&no_series),
            Some("Series Instance UID (0020,000E)")
        );
        let dicomdir = HeaderRecord {
            sop_class_uid: Some(MEDIA_STORAGE_DIRECTORY.into()),
            sop_instance_uid: Some("1.2.3".into()),
            ..HeaderRecord::default()
        };
        assert_eq!(missing_mandatory_attribute(&dicomdir), None);
    }
}
