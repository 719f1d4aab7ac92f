//! Bringing a DICOMweb source's studies into the index (see the module documentation).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use oncoread_dicom::dicom_json::header_from_dicom_json;
use oncoread_dicom::header::{read_header_from_bytes, HeaderRecord};
use serde::Serialize;
use serde_json::Value;

use super::{Auth, Client, ClientOptions, DicomWebError, SCHEME};
use crate::index::Index;
use crate::study_sync::{fetch_and_write, studies_to_fetch, StudyCounts, StudyEntry};

/// What fetching one study from this source gave.
type StudyFetch = crate::study_sync::StudyFetch<DicomWebError>;

const STUDY_INSTANCE_UID: &str = "0020000D";
const SERIES_INSTANCE_UID: &str = "0020000E";
const SOP_INSTANCE_UID: &str = "00080018";
const MODALITY: &str = "00080060";
const STUDY_RELATED_INSTANCES: &str = "00201208";
/// QIDO page size: servers cap result lists; page until a short page.
const PAGE: usize = 500;

#[derive(Debug, Clone)]
pub struct SyncOptions {
    pub auth: Auth,
    pub client: ClientOptions,
    /// Studies fetched at once (a polite default: PACS serve clinics too).
    pub concurrency: usize,
    /// Only studies in this QIDO StudyDate range (`YYYYMMDD-YYYYMMDD`, either end open).
    pub study_dates: Option<String>,
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions {
            auth: Auth::None,
            client: ClientOptions::default(),
            concurrency: 4,
            study_dates: None,
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
    pub reports_fetched: u64,
    /// Instances that could not be indexed (recorded as problems).
    pub problems: u64,
    pub requests: u64,
    pub bytes: u64,
    pub elapsed: Duration,
    /// Each failed study and why (also recorded as problems in the index).
    pub failures: Vec<String>,
}

impl SyncSummary {
    /// Adds another source's summary (several DICOMweb inputs in one run).
    pub fn add(&mut self, other: SyncSummary) {
        self.studies += other.studies;
        self.studies_fetched += other.studies_fetched;
        self.studies_failed += other.studies_failed;
        self.instances += other.instances;
        self.reports_fetched += other.reports_fetched;
        self.problems += other.problems;
        self.requests += other.requests;
        self.bytes += other.bytes;
        self.elapsed += other.elapsed;
        self.failures.extend(other.failures);
    }
}

/// Where the instance of a structured report fetched from a DICOMweb source is kept: a
/// cache folder beside the index, one file per SOP Instance UID.
pub fn cached_report(index_path: &Path, sop_instance_uid: &str) -> PathBuf {
    cache_dir(index_path).join(format!("{sop_instance_uid}.dcm"))
}

/// The cache folder of fetched reports (DICOMweb and DIMSE sources share it: a report is
/// one file per SOP Instance UID wherever it came from).
pub(crate) fn cache_dir(index_path: &Path) -> PathBuf {
    index_path
        .parent()
        .unwrap_or(Path::new(""))
        .join("dicomweb-cache")
}

/// Brings the studies of the service `root` (`dicomweb:URL`) into the index.
pub fn sync(
    root: &str,
    index: &mut Index,
    options: &SyncOptions,
) -> Result<SyncSummary, DicomWebError> {
    let started = Instant::now();
    let base = root.strip_prefix(SCHEME).unwrap_or(root);
    let client = Client::new(base, options.auth.clone(), options.client.clone());
    let source = format!("{SCHEME}{}", client.base());
    let cache = cache_dir(index.path());
    std::fs::create_dir_all(&cache).map_err(|cause| DicomWebError::Cache {
        path: cache.display().to_string(),
        cause,
    })?;

    let studies = list_studies(&client, options.study_dates.as_deref())?;
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
        |study| fetch_study(&client, &source, &cache, study),
        &mut counts,
    )?;
    summary.instances = counts.instances;
    summary.reports_fetched = counts.reports_fetched;
    summary.problems = counts.problems;
    summary.studies_failed = counts.studies_failed;
    summary.failures = counts.failures;
    summary.requests = client.requests();
    summary.bytes = client.bytes();
    summary.elapsed = started.elapsed();
    Ok(summary)
}

fn list_studies(
    client: &Client,
    study_dates: Option<&str>,
) -> Result<Vec<StudyEntry>, DicomWebError> {
    let mut studies = Vec::new();
    let mut offset = 0;
    let date_filter = study_dates
        .map(|range| format!("&StudyDate={range}"))
        .unwrap_or_default();
    loop {
        let page = client.get_json(&format!(
            "studies?includefield={STUDY_RELATED_INSTANCES}{date_filter}&limit={PAGE}&offset={offset}"
        ))?;
        let count = page.len();
        for study in &page {
            let Some(uid) = first_string(study, STUDY_INSTANCE_UID) else {
                continue; // a study without its UID cannot be asked for anything
            };
            studies.push(StudyEntry {
                uid,
                instances: first_integer(study, STUDY_RELATED_INSTANCES),
            });
        }
        if count < PAGE {
            break;
        }
        offset += count;
    }
    studies.sort_by(|a, b| a.uid.cmp(&b.uid));
    studies.dedup_by(|a, b| a.uid == b.uid);
    Ok(studies)
}

fn fetch_study(client: &Client, source: &str, cache: &Path, study: StudyEntry) -> StudyFetch {
    let mut fetch = StudyFetch::new(&study);
    if let Err(failure) = fetch_series_of(client, source, cache, &study.uid, &mut fetch) {
        // Unreachable even after the retries: the next studies would only wait as long.
        fetch.source_down = matches!(failure, DicomWebError::Transport { .. });
        fetch.failure = Some(failure);
    }
    fetch
}

fn fetch_series_of(
    client: &Client,
    source: &str,
    cache: &Path,
    study: &str,
    fetch: &mut StudyFetch,
) -> Result<(), DicomWebError> {
    let series_list = client.get_json(&format!("studies/{study}/series"))?;
    for series in &series_list {
        let Some(series_uid) = first_string(series, SERIES_INSTANCE_UID) else {
            continue;
        };
        let instance_path =
            |sop: &str| format!("{source}/studies/{study}/series/{series_uid}/instances/{sop}");
        if first_string(series, MODALITY).as_deref() == Some("SR") {
            let instances =
                client.get_json(&format!("studies/{study}/series/{series_uid}/instances"))?;
            for instance in &instances {
                let Some(sop) = first_string(instance, SOP_INSTANCE_UID) else {
                    continue;
                };
                let path = instance_path(&sop);
                match fetch_report(client, cache, study, &series_uid, &sop) {
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
            let metadata =
                client.get_json(&format!("studies/{study}/series/{series_uid}/metadata"))?;
            for instance in &metadata {
                let sop = first_string(instance, SOP_INSTANCE_UID).unwrap_or_default();
                let path = instance_path(&sop);
                match header_from_dicom_json(instance, &path, 0) {
                    Ok(record) => fetch.records.push(record),
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
    /// The service failed: the study is fetched again next time.
    Service(DicomWebError),
}

/// Fetches a report into the cache (unless it is there already) and reads its header;
/// `true` when it was downloaded now.
fn fetch_report(
    client: &Client,
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
            let bytes = client
                .get_instance(study, series, sop)
                .map_err(FetchFailure::Service)?;
            write_atomically(&file, &bytes).map_err(FetchFailure::Service)?;
            (bytes, true)
        }
    };
    let mut record =
        read_header_from_bytes(&bytes).map_err(|e| FetchFailure::Instance(e.to_string()))?;
    record.file_size = bytes.len() as u64;
    if record.sop_instance_uid.as_deref() != Some(sop) {
        return Err(FetchFailure::Instance(format!(
            "the server returned instance {:?} for {sop}",
            record.sop_instance_uid
        )));
    }
    Ok((record, downloaded))
}

fn write_atomically(file: &Path, bytes: &[u8]) -> Result<(), DicomWebError> {
    let temp = file.with_extension(format!("{}.tmp", std::process::id()));
    let error = |cause| DicomWebError::Cache {
        path: file.display().to_string(),
        cause,
    };
    std::fs::write(&temp, bytes).map_err(error)?;
    std::fs::rename(&temp, file).map_err(|cause| {
        let _ = std::fs::remove_file(&temp);
        error(cause)
    })
}

fn attribute_values<'a>(data_set: &'a Value, tag: &str) -> Option<&'a Vec<Value>> {
    data_set.get(tag)?.get("Value")?.as_array()
}

fn first_string(data_set: &Value, tag: &str) -> Option<String> {
    let value = attribute_values(data_set, tag)?.first()?;
    value
        .as_str()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

fn first_integer(data_set: &Value, tag: &str) -> Option<i64> {
    let value = attribute_values(data_set, tag)?.first()?;
    value
        .as_i64()
        .or_else(|| value.as_str().and_then(|s| s.trim().parse().ok()))
}
