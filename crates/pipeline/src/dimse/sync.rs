//! Bringing a DIMSE source's studies into the index (see the module documentation). The
//! flow is the DICOMweb source's: list the studies, fetch the new or changed ones in a few
//! workers (one association per study), write each finished study in its own transaction.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use dicom_core::{Tag, VR};
use oncoread_dicom::dataset_record::{header_from_dataset, RECORD_KEYS};
use oncoread_dicom::header::{read_header_from_bytes, HeaderRecord};
use serde::Serialize;

use super::association::{Association, Proposal};
use super::find::{
    find, find_answers, identifier, text, FindAnswers, FIND_SOP_CLASS, MODALITY,
    SERIES_INSTANCE_UID, SOP_CLASS_UID, SOP_INSTANCE_UID, STUDY_DATE, STUDY_INSTANCE_UID,
    STUDY_RELATED_INSTANCES,
};
use super::get::{get_instance, Received, GET_SOP_CLASS, SR_STORAGE_CLASSES};
use super::study_list::studies_by_date;
use super::{DimseError, Peer, DEFAULT_CALLING_AET, SCHEME};
use crate::dicomweb::cache_dir;
use crate::index::Index;
use crate::study_sync::{fetch_and_write, studies_to_fetch, StudyCounts, StudyEntry};

/// What fetching one study from this source gave.
type StudyFetch = crate::study_sync::StudyFetch<DimseError>;

#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// This client's AE title (the PACS may only answer titles it knows).
    pub calling_aet: String,
    /// Associations (studies fetched) at once.
    pub concurrency: usize,
    /// Connecting, and each read or write on the association.
    pub timeout: Duration,
    /// Only studies in this StudyDate range (`YYYYMMDD-YYYYMMDD`, either end open).
    pub study_dates: Option<String>,
    /// Further attempts after an association that fails (refused, dropped, timed out).
    pub retries: u32,
}

/// The first wait before another attempt; doubled at each further one.
const BACKOFF: Duration = Duration::from_millis(250);

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions {
            calling_aet: DEFAULT_CALLING_AET.to_string(),
            concurrency: 4,
            timeout: Duration::from_secs(60),
            study_dates: None,
            retries: 3,
        }
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct SyncSummary {
    pub studies: u64,
    /// Studies fetched in this run (new, changed, or failed before).
    pub studies_fetched: u64,
    /// Studies that failed in this run (recorded as problems; fetched again next run).
    pub studies_failed: u64,
    /// Instances indexed from the fetched studies.
    pub instances: u64,
    /// Reports retrieved with C-GET (not already in the cache).
    pub reports_fetched: u64,
    /// Instances that could not be indexed (recorded as problems).
    pub problems: u64,
    pub c_finds: u64,
    pub c_gets: u64,
    pub associations: u64,
    pub elapsed: Duration,
    /// Each failed study and why (also recorded as problems in the index).
    pub failures: Vec<String>,
}

impl SyncSummary {
    /// Adds another source's summary (several DIMSE inputs in one run).
    pub fn add(&mut self, other: SyncSummary) {
        self.studies += other.studies;
        self.studies_fetched += other.studies_fetched;
        self.studies_failed += other.studies_failed;
        self.instances += other.instances;
        self.reports_fetched += other.reports_fetched;
        self.problems += other.problems;
        self.c_finds += other.c_finds;
        self.c_gets += other.c_gets;
        self.associations += other.associations;
        self.elapsed += other.elapsed;
        self.failures.extend(other.failures);
    }
}

/// Counts shared by the workers.
#[derive(Default)]
struct Counters {
    c_finds: AtomicU64,
    c_gets: AtomicU64,
    associations: AtomicU64,
}

/// Everything a worker needs to talk to the PACS.
struct Link<'a> {
    peer: &'a Peer,
    name: String,
    options: &'a SyncOptions,
    counters: &'a Counters,
}

impl Link<'_> {
    /// Opens an association (callers retry the whole exchange it serves).
    fn open(&self, proposal: &Proposal<'_>) -> Result<Association, DimseError> {
        let association = Association::open(
            self.peer,
            &self.options.calling_aet,
            self.options.timeout,
            proposal,
        )?;
        self.counters.associations.fetch_add(1, Ordering::Relaxed);
        Ok(association)
    }

    /// Runs `attempt` again, with backoff, while it fails on the association (refused,
    /// dropped, timed out: a PACS restarting or at its association limit), never on a
    /// refusal the PACS meant, which would only fail again.
    fn with_retries<T>(
        &self,
        mut attempt: impl FnMut() -> Result<T, DimseError>,
    ) -> Result<T, DimseError> {
        let mut failures = 0u32;
        loop {
            match attempt() {
                Ok(value) => return Ok(value),
                Err(DimseError::Association { .. } | DimseError::Transport { .. })
                    if failures < self.options.retries =>
                {
                    std::thread::sleep(BACKOFF * 2u32.saturating_pow(failures));
                    failures += 1;
                }
                Err(DimseError::Association { peer, reason }) if failures > 0 => {
                    return Err(DimseError::Association {
                        peer,
                        reason: format!("{reason} (after {} attempts)", failures + 1),
                    })
                }
                Err(DimseError::Transport { peer, reason }) if failures > 0 => {
                    return Err(DimseError::Transport {
                        peer,
                        reason: format!("{reason} (after {} attempts)", failures + 1),
                    })
                }
                Err(error) => return Err(error),
            }
        }
    }

    fn find(
        &self,
        association: &mut Association,
        query: &dicom_object::InMemDicomObject,
    ) -> Result<Vec<dicom_object::InMemDicomObject>, DimseError> {
        self.counters.c_finds.fetch_add(1, Ordering::Relaxed);
        find(association, &self.name, query)
    }

    /// A C-FIND whose answer may come back cropped (the study list).
    fn find_answers(
        &self,
        association: &mut Association,
        query: &dicom_object::InMemDicomObject,
    ) -> Result<FindAnswers, DimseError> {
        self.counters.c_finds.fetch_add(1, Ordering::Relaxed);
        find_answers(association, &self.name, query)
    }
}

/// Brings the studies of `root` (`dimse:AET@HOST:PORT`) into the index.
pub fn sync(
    root: &str,
    index: &mut Index,
    options: &SyncOptions,
) -> Result<SyncSummary, DimseError> {
    let started = Instant::now();
    let address = root.strip_prefix(SCHEME).unwrap_or(root);
    let peer = Peer::parse(address)?;
    if !super::is_ae_title(&options.calling_aet) {
        return Err(DimseError::Config(format!(
            "calling AE title {:?}: 1 to 16 printable ASCII characters, no backslash",
            options.calling_aet
        )));
    }
    let source = format!("{SCHEME}{peer}");
    let cache = cache_dir(index.path());
    std::fs::create_dir_all(&cache).map_err(|cause| DimseError::Cache {
        path: cache.display().to_string(),
        cause,
    })?;
    let counters = Counters::default();
    let link = Link {
        peer: &peer,
        name: source.clone(),
        options,
        counters: &counters,
    };

    let studies = list_studies(&link)?;
    let synced = index.synced_studies(&source)?;
    let to_fetch = studies_to_fetch(&studies, &synced);
    let mut summary = SyncSummary {
        studies: studies.len() as u64,
        studies_fetched: to_fetch.len() as u64,
        ..SyncSummary::default()
    };

    let mut counts = StudyCounts::default();
    fetch_and_write(
        index,
        &source,
        to_fetch,
        options.concurrency,
        |study| fetch_study(&link, &source, &cache, study),
        &mut counts,
    )?;
    summary.instances = counts.instances;
    summary.reports_fetched = counts.reports_fetched;
    summary.problems = counts.problems;
    summary.studies_failed = counts.studies_failed;
    summary.failures = counts.failures;
    summary.c_finds = counters.c_finds.load(Ordering::Relaxed);
    summary.c_gets = counters.c_gets.load(Ordering::Relaxed);
    summary.associations = counters.associations.load(Ordering::Relaxed);
    summary.elapsed = started.elapsed();
    Ok(summary)
}

/// The studies (in the StudyDate range, if any), asked for by date sub-ranges when the
/// PACS caps its answers; retried as a whole when the association fails.
fn list_studies(link: &Link<'_>) -> Result<Vec<StudyEntry>, DimseError> {
    let mut studies = link.with_retries(|| {
        let mut association = link.open(&Proposal {
            scu: &[FIND_SOP_CLASS],
            scp: &[],
        })?;
        let studies = studies_by_date(
            link.options.study_dates.as_deref(),
            &link.name,
            |dates| {
                let query = identifier(
                    "STUDY",
                    &[
                        (STUDY_DATE, VR::DA, dates),
                        (STUDY_INSTANCE_UID, VR::UI, ""),
                        (STUDY_RELATED_INSTANCES, VR::IS, ""),
                    ],
                );
                link.find_answers(&mut association, &query)
            },
            |found| {
                found
                    .answers
                    .iter()
                    .filter_map(|answer| {
                        Some(StudyEntry {
                            uid: text(answer, STUDY_INSTANCE_UID)?,
                            instances: text(answer, STUDY_RELATED_INSTANCES)
                                .and_then(|n| n.parse().ok()),
                        })
                    })
                    .collect()
            },
        )?;
        association.release();
        Ok(studies)
    })?;
    studies.sort_by(|a, b| a.uid.cmp(&b.uid));
    studies.dedup_by(|a, b| a.uid == b.uid);
    Ok(studies)
}

/// Fetches one study on its own association; a study whose association fails is fetched
/// again from the start (with backoff), up to the configured retries.
fn fetch_study(link: &Link<'_>, source: &str, cache: &Path, study: StudyEntry) -> StudyFetch {
    let mut fetch = StudyFetch::new(&study);
    let result = link.with_retries(|| {
        fetch = StudyFetch::new(&study);
        let mut association = link.open(&Proposal {
            scu: &[FIND_SOP_CLASS, GET_SOP_CLASS],
            scp: SR_STORAGE_CLASSES,
        })?;
        fetch_series_of(
            link,
            &mut association,
            source,
            cache,
            &study.uid,
            &mut fetch,
        )?;
        association.release();
        Ok(())
    });
    if let Err(failure) = result {
        // Unreachable even after the retries: the next studies would only wait as long.
        fetch.source_down = matches!(
            failure,
            DimseError::Association { .. } | DimseError::Transport { .. }
        );
        fetch.failure = Some(failure);
    }
    fetch
}

fn fetch_series_of(
    link: &Link<'_>,
    association: &mut Association,
    source: &str,
    cache: &Path,
    study: &str,
    fetch: &mut StudyFetch,
) -> Result<(), DimseError> {
    let series_query = identifier(
        "SERIES",
        &[
            (MODALITY, VR::CS, ""),
            (STUDY_INSTANCE_UID, VR::UI, study),
            (SERIES_INSTANCE_UID, VR::UI, ""),
        ],
    );
    let series_list = link.find(association, &series_query)?;
    for series in &series_list {
        let Some(series_uid) = text(series, SERIES_INSTANCE_UID) else {
            continue;
        };
        let modality = text(series, MODALITY);
        let instance_path =
            |sop: &str| format!("{source}/studies/{study}/series/{series_uid}/instances/{sop}");
        if modality.as_deref() == Some("SR") {
            let query = identifier(
                "IMAGE",
                &[
                    (SOP_CLASS_UID, VR::UI, ""),
                    (SOP_INSTANCE_UID, VR::UI, ""),
                    (STUDY_INSTANCE_UID, VR::UI, study),
                    (SERIES_INSTANCE_UID, VR::UI, &series_uid),
                ],
            );
            for instance in link.find(association, &query)? {
                let Some(sop) = text(&instance, SOP_INSTANCE_UID) else {
                    continue;
                };
                let path = instance_path(&sop);
                match fetch_report(link, association, cache, study, &series_uid, &sop) {
                    Ok((mut record, downloaded)) => {
                        fetch.reports_fetched += u64::from(downloaded);
                        record.path = path;
                        fetch.records.push(record);
                    }
                    Err(FetchFailure::Instance(reason)) => fetch.problems.push((path, reason)),
                    Err(FetchFailure::Service(e)) => return Err(e),
                }
            }
        } else {
            let mut keys: Vec<(Tag, VR, &str)> = RECORD_KEYS
                .iter()
                .map(|(tag, vr)| (*tag, *vr, ""))
                .collect();
            keys.retain(|(tag, _, _)| *tag != STUDY_INSTANCE_UID && *tag != SERIES_INSTANCE_UID);
            keys.push((STUDY_INSTANCE_UID, VR::UI, study));
            keys.push((SERIES_INSTANCE_UID, VR::UI, &series_uid));
            keys.sort_by_key(|(tag, _, _)| *tag);
            let query = identifier("IMAGE", &keys);
            for instance in link.find(association, &query)? {
                let sop = text(&instance, SOP_INSTANCE_UID).unwrap_or_default();
                let path = instance_path(&sop);
                match header_from_dataset(&instance, &path, 0) {
                    Ok(mut record) => {
                        // Series-level attributes an SCP may leave out at IMAGE level.
                        if record.modality.is_none() {
                            record.modality = modality.clone();
                        }
                        record
                            .study_instance_uid
                            .get_or_insert_with(|| study.to_string());
                        record
                            .series_instance_uid
                            .get_or_insert_with(|| series_uid.clone());
                        fetch.records.push(record)
                    }
                    Err(e) => fetch.problems.push((path, e.to_string())),
                }
            }
        }
    }
    Ok(())
}

enum FetchFailure {
    /// This instance cannot be used (bad UID, unreadable header): a problem of its own.
    Instance(String),
    /// The PACS failed: the study is fetched again next time.
    Service(DimseError),
}

/// Retrieves a report into the cache (unless it is there already) and reads its header;
/// `true` when it was retrieved now.
fn fetch_report(
    link: &Link<'_>,
    association: &mut Association,
    cache: &Path,
    study: &str,
    series: &str,
    sop: &str,
) -> Result<(HeaderRecord, bool), FetchFailure> {
    // The UID becomes a file name: only a well-formed UID may (no path tricks).
    if sop.is_empty() || sop.len() > 64 || !sop.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return Err(FetchFailure::Instance(format!(
            "SOP Instance UID {sop:?} is not a valid UID"
        )));
    }
    let file = cache.join(format!("{sop}.dcm"));
    let (bytes, downloaded) = match std::fs::read(&file) {
        Ok(bytes) => (bytes, false),
        Err(_) => {
            link.counters.c_gets.fetch_add(1, Ordering::Relaxed);
            let mut kept: Option<Vec<u8>> = None;
            get_instance(
                association,
                &link.name,
                study,
                series,
                sop,
                |received: Received| {
                    if received.sop_instance_uid != sop {
                        return Err(format!(
                            "instance {} was not asked for",
                            received.sop_instance_uid
                        ));
                    }
                    write_atomically(&file, &received.file)?;
                    kept = Some(received.file);
                    Ok(())
                },
            )
            .map_err(FetchFailure::Service)?;
            let bytes = kept.ok_or_else(|| {
                FetchFailure::Service(DimseError::Refused {
                    peer: link.name.clone(),
                    operation: "C-GET",
                    reason: format!("instance {sop} was not sent"),
                })
            })?;
            (bytes, true)
        }
    };
    let mut record =
        read_header_from_bytes(&bytes).map_err(|e| FetchFailure::Instance(e.to_string()))?;
    record.file_size = bytes.len() as u64;
    if record.sop_instance_uid.as_deref() != Some(sop) {
        return Err(FetchFailure::Instance(format!(
            "the PACS returned instance {:?} for {sop}",
            record.sop_instance_uid
        )));
    }
    Ok((record, downloaded))
}

fn write_atomically(file: &Path, bytes: &[u8]) -> Result<(), String> {
    let temp = file.with_extension(format!("{}.tmp", std::process::id()));
    std::fs::write(&temp, bytes)
        .and_then(|()| std::fs::rename(&temp, file))
        .map_err(|cause| {
            let _ = std::fs::remove_file(&temp);
            format!("{}: {cause}", file.display())
        })
}
