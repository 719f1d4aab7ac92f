//! What the DICOMweb and DIMSE sources share: choosing the studies to fetch (new, or
//! whose instance count changed), fetching them on a bounded number of workers, and
//! writing each fetched study into the index in its own transaction, so an interrupted
//! run keeps every study it completed.

use std::collections::HashMap;
use std::fmt::Display;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Mutex;

use oncoread_dicom::header::HeaderRecord;

use crate::index::problem_kind::UNREADABLE_FILE;
use crate::index::{Index, IndexError};

/// A study as the source lists it.
pub(crate) struct StudyEntry {
    pub uid: String,
    /// Number of Study Related Instances, when the source gives it.
    pub instances: Option<i64>,
}

/// What fetching one study gave; `E` is the source's error.
pub(crate) struct StudyFetch<E> {
    pub uid: String,
    pub expected: Option<i64>,
    pub records: Vec<HeaderRecord>,
    /// Reports downloaded now (not already in the cache).
    pub reports_fetched: u64,
    /// (path, reason) of instances that could not be indexed.
    pub problems: Vec<(String, String)>,
    /// Why the study could not be fetched whole (it is fetched again next run).
    pub failure: Option<E>,
    /// The source stopped answering (after its retries): the studies still queued are
    /// not tried, each would only wait out the same retries.
    pub source_down: bool,
}

impl<E> StudyFetch<E> {
    pub fn new(study: &StudyEntry) -> Self {
        StudyFetch {
            uid: study.uid.clone(),
            expected: study.instances,
            records: Vec::new(),
            reports_fetched: 0,
            problems: Vec::new(),
            failure: None,
            source_down: false,
        }
    }
}

/// The counts a sync reports, whatever the source.
#[derive(Default)]
pub(crate) struct StudyCounts {
    pub instances: u64,
    pub reports_fetched: u64,
    pub problems: u64,
    pub studies_failed: u64,
    pub failures: Vec<String>,
}

/// The studies not yet fetched completely with their current instance count.
pub(crate) fn studies_to_fetch(
    studies: &[StudyEntry],
    synced: &HashMap<String, i64>,
) -> Vec<StudyEntry> {
    studies
        .iter()
        .filter(|s| match (s.instances, synced.get(&s.uid)) {
            (Some(now), Some(before)) => now != *before,
            _ => true, // new, or the source does not count: fetch
        })
        .map(|s| StudyEntry {
            uid: s.uid.clone(),
            instances: s.instances,
        })
        .collect()
}

/// Fetches the studies on `workers` threads and writes each into the index as it comes.
/// When a fetch finds the source down, the studies not started yet are recorded as not
/// fetched (problems naming each study) instead of being tried.
pub(crate) fn fetch_and_write<E: Display + Send>(
    index: &mut Index,
    source: &str,
    to_fetch: Vec<StudyEntry>,
    workers: usize,
    fetch: impl Fn(StudyEntry) -> StudyFetch<E> + Sync,
    counts: &mut StudyCounts,
) -> Result<(), IndexError> {
    let queue = Mutex::new(to_fetch);
    let source_down = AtomicBool::new(false);
    let (results, received) = mpsc::channel::<StudyFetch<E>>();
    let written = std::thread::scope(|scope| {
        for _ in 0..workers.max(1) {
            let results = results.clone();
            let (queue, fetch, source_down) = (&queue, &fetch, &source_down);
            scope.spawn(move || loop {
                if source_down.load(Ordering::SeqCst) {
                    break;
                }
                let next = match queue.lock() {
                    Ok(mut queue) => queue.pop(),
                    Err(_) => None,
                };
                let Some(study) = next else { break };
                let fetched = fetch(study);
                if fetched.source_down {
                    source_down.store(true, Ordering::SeqCst);
                }
                if results.send(fetched).is_err() {
                    break;
                }
            });
        }
        drop(results);
        let mut outcome = Ok(());
        for fetched in received {
            if outcome.is_ok() {
                outcome = write_study(index, source, fetched, counts);
            }
        }
        outcome
    });
    written?;
    let untried = queue
        .into_inner()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if untried.is_empty() {
        return Ok(());
    }
    let mut writer = index.begin_write()?;
    for study in untried {
        let study_path = format!("{source}/studies/{}", study.uid);
        let reason = "study not fetched: the source stopped answering (fetched next run)";
        writer.upsert_problem(&study_path, 0, 0, UNREADABLE_FILE, reason)?;
        counts.studies_failed += 1;
        counts.problems += 1;
        counts.failures.push(format!("{study_path}: {reason}"));
    }
    writer.commit()
}

fn write_study<E: Display>(
    index: &mut Index,
    source: &str,
    fetched: StudyFetch<E>,
    counts: &mut StudyCounts,
) -> Result<(), IndexError> {
    let study_path = format!("{source}/studies/{}", fetched.uid);
    let mut writer = index.begin_write()?;
    for record in &fetched.records {
        writer.upsert_record(record, record.file_size, 0)?;
    }
    for (path, reason) in &fetched.problems {
        writer.upsert_problem(path, 0, 0, UNREADABLE_FILE, reason)?;
    }
    counts.instances += fetched.records.len() as u64;
    counts.reports_fetched += fetched.reports_fetched;
    counts.problems += fetched.problems.len() as u64;
    match fetched.failure {
        None => {
            writer.remove(&study_path)?;
            let count = fetched
                .expected
                .unwrap_or((fetched.records.len() + fetched.problems.len()) as i64);
            writer.set_study_synced(source, &fetched.uid, count)?;
        }
        Some(failure) => {
            counts.studies_failed += 1;
            counts.problems += 1;
            let reason = format!("study not fetched: {failure}");
            writer.upsert_problem(&study_path, 0, 0, UNREADABLE_FILE, &reason)?;
            counts.failures.push(format!("{study_path}: {reason}"));
        }
    }
    writer.commit()
}
