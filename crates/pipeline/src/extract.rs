//! `extract`: archive → `oncoread.timeline/1`.
//!
//! Scans the roots into the index (only changed files are read), reads every structured
//! report under the roots in parallel, and assembles the timeline. The document's
//! `problems` hold every file that could not be indexed, every report that could not be
//! read or used, and every assembly decision to review; at file level
//! `files seen = instances indexed + file problems` holds exactly.
//!
//! Two halves: [`collect`] reads (scan, fetch, every report), [`assemble_collected`]
//! decides (the timeline). Shards run the first half each on their files; `oncoread
//! merge` joins what they collected and runs the second half once, so a sharded run
//! decides exactly as a single one.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::Ordering;

use oncoread_criteria::timeline::{Problem, Timeline};
use oncoread_dicom::header::HeaderRecord;
use oncoread_dicom::limits::Limits;
use oncoread_dicom::sr::{read_sr_within, SrDocument};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::assemble::{assemble, LesionRoles};
use crate::consistency::{duplicate_instances, patient_id_conflicts};
use crate::dicomweb::{cached_report, sync, DicomWebError, SyncOptions, SyncSummary, SCHEME};
use crate::dimse::{self, DimseError};
use crate::index::{Index, IndexError};
use crate::pixel_measures::{measure_lesions, PixelOptions};
use crate::scan::{is_under, problems_under, scan, ScanError, ScanOptions, ScanSummary};
use crate::walk::normalise_root;

#[derive(Debug, Clone, Default)]
pub struct ExtractOptions {
    pub scan: ScanOptions,
    /// How each `dicomweb:URL` root is fetched (by root; a root not listed is fetched
    /// with the defaults and no credentials).
    pub dicomweb: BTreeMap<String, SyncOptions>,
    /// How each `dimse:AET@HOST:PORT` root is fetched (by root; a root not listed is
    /// fetched with the defaults).
    pub dimse: BTreeMap<String, dimse::SyncOptions>,
    /// Roles assigned by hand (`lesions.csv`), used when the reports carry none.
    pub roles: LesionRoles,
    /// Pixel-derived values (SEG sizes, mean HU, SUL peak).
    pub pixels: PixelOptions,
    /// What a report may cost to read (`[limits]` of pipeline.toml).
    pub limits: Limits,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ExtractSummary {
    /// The folder roots' scan.
    pub scan: ScanSummary,
    /// The DICOMweb roots' fetch (all of them together).
    pub dicomweb: Option<SyncSummary>,
    /// The DIMSE roots' fetch (all of them together).
    pub dimse: Option<dimse::SyncSummary>,
    /// Structured reports found under the roots.
    pub reports: usize,
    /// Reports that were read (the others are problems).
    pub reports_read: usize,
    pub subjects: usize,
    pub timepoints: usize,
    pub lesion_observations: usize,
    pub problems: usize,
    /// SHA-256 of the sorted list of every file under the roots (path, size and SOP
    /// Instance UID, or the problem): two runs saw the same archive when these match.
    pub input_manifest_sha256: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    #[error(transparent)]
    Scan(#[from] ScanError),
    #[error(transparent)]
    Index(#[from] IndexError),
    #[error(transparent)]
    DicomWeb(#[from] DicomWebError),
    #[error(transparent)]
    Dimse(#[from] DimseError),
    /// Some studies of a DICOMweb or DIMSE source could not be fetched: the timeline would be
    /// incomplete. What was fetched is kept in the index; the next run resumes.
    #[error("{count} stud{} could not be fetched (run again to resume; the studies fetched are kept): {first}", if *.count == 1 { "y" } else { "ies" })]
    Incomplete { count: usize, first: String },
}

/// One structured report under the roots: its path as indexed, and the document read
/// from it or why it could not be read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportRead {
    pub path: String,
    pub document: Result<SrDocument, String>,
    /// The problem kind of a failed read other than `sr_unreadable` (`limit_exceeded`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem_kind: Option<String>,
}

/// What the sources hold, read but not yet assembled.
#[derive(Debug, Clone, Default)]
pub struct Collected {
    pub scan: ScanSummary,
    pub dicomweb: Option<SyncSummary>,
    pub dimse: Option<dimse::SyncSummary>,
    /// Every indexed instance under the roots (the reports included), sorted by path.
    pub images: Vec<HeaderRecord>,
    /// Every file that could not be indexed (`unreadable_file`, `wrong_vr`,
    /// `missing_attribute`), sorted by path.
    pub file_problems: Vec<Problem>,
    /// Every structured report under the roots, sorted by path.
    pub reports: Vec<ReportRead>,
}

/// Scans, fetches and reads the archive into the timeline (see the module documentation).
pub fn extract(
    roots: &[PathBuf],
    index: &mut Index,
    options: &ExtractOptions,
) -> Result<(Timeline, ExtractSummary), ExtractError> {
    let collected = collect(roots, index, options)?;
    let pixels = PixelOptions {
        sequential: options.scan.threads == Some(1),
        ..options.pixels
    };
    Ok(assemble_collected(collected, &options.roles, &pixels))
}

/// The reading half of [`extract`]: scan the folders, fetch the PACS sources, read every
/// report under the roots.
pub fn collect(
    roots: &[PathBuf],
    index: &mut Index,
    options: &ExtractOptions,
) -> Result<Collected, ExtractError> {
    let is_source = |r: &PathBuf, scheme: &str| r.to_str().is_some_and(|r| r.starts_with(scheme));
    let (web_roots, other_roots): (Vec<&PathBuf>, Vec<&PathBuf>) =
        roots.iter().partition(|r| is_source(r, SCHEME));
    let (dimse_roots, folder_roots): (Vec<&PathBuf>, Vec<&PathBuf>) = other_roots
        .into_iter()
        .partition(|r| is_source(r, dimse::SCHEME));
    let folder_roots: Vec<PathBuf> = folder_roots.into_iter().cloned().collect();
    let scanned = if folder_roots.is_empty() {
        ScanSummary::default()
    } else {
        scan(&folder_roots, index, &options.scan)?
    };
    let mut dicomweb: Option<SyncSummary> = None;
    for root in web_roots {
        let root = root.to_str().unwrap_or_default();
        let sync_options = options.dicomweb.get(root).cloned().unwrap_or_default();
        let fetched = sync(root, index, &sync_options)?;
        match dicomweb.as_mut() {
            None => dicomweb = Some(fetched),
            Some(total) => total.add(fetched),
        }
    }
    let mut dimse_summary: Option<dimse::SyncSummary> = None;
    for root in dimse_roots {
        let root = root.to_str().unwrap_or_default();
        let sync_options = options.dimse.get(root).cloned().unwrap_or_default();
        let fetched = dimse::sync(root, index, &sync_options)?;
        match dimse_summary.as_mut() {
            None => dimse_summary = Some(fetched),
            Some(total) => total.add(fetched),
        }
    }
    let failures: Vec<&String> = dicomweb
        .iter()
        .flat_map(|d| &d.failures)
        .chain(dimse_summary.iter().flat_map(|d| &d.failures))
        .collect();
    if let Some(first) = failures.first() {
        return Err(ExtractError::Incomplete {
            count: failures.len(),
            first: (*first).clone(),
        });
    }

    let normalised: Vec<PathBuf> = roots.iter().map(|r| normalise_root(r)).collect();
    let under = |path: &str| is_under(path, &normalised);

    let file_problems: Vec<Problem> = problems_under(index, roots)?
        .into_iter()
        .map(|p| {
            let mut problem = Problem::new(&p.kind, p.reason);
            problem.path = Some(p.path);
            problem
        })
        .collect();
    let images: Vec<_> = index
        .records()?
        .into_iter()
        .filter(|r| under(&r.path))
        .collect();
    let report_records: Vec<_> = index
        .sr_records()?
        .into_iter()
        .filter(|r| under(&r.path))
        .collect();

    // Reports of a DICOMweb or DIMSE source were fetched into the cache beside the index.
    let index_path = index.path().to_path_buf();
    let progress = options.scan.progress.as_deref();
    if let Some(progress) = progress {
        progress
            .reports_total
            .store(report_records.len() as u64, Ordering::Relaxed);
    }
    let read = |record: &HeaderRecord| {
        if let Some(progress) = progress {
            progress.reports_read.fetch_add(1, Ordering::Relaxed);
        }
        if record.path.starts_with(SCHEME) || record.path.starts_with(dimse::SCHEME) {
            let sop = record.sop_instance_uid.as_deref().unwrap_or_default();
            // Named by its URL, like the index row, not by the cache file.
            read_sr_within(&cached_report(&index_path, sop), &options.limits).map(|mut document| {
                document.path = record.path.clone();
                document
            })
        } else {
            read_sr_within(std::path::Path::new(&record.path), &options.limits)
        }
    };
    let read_report = |r: &HeaderRecord| {
        let (document, problem_kind) = match read(r) {
            Ok(document) => (Ok(document), None),
            Err(error) => {
                let kind = error.problem_kind();
                let kind = (kind != "sr_unreadable").then(|| kind.to_string());
                (Err(error.to_string()), kind)
            }
        };
        ReportRead {
            path: r.path.clone(),
            document,
            problem_kind,
        }
    };
    let reports: Vec<ReportRead> = match options.scan.threads {
        Some(1) => report_records.iter().map(read_report).collect(),
        _ => report_records.par_iter().map(read_report).collect(),
    };
    Ok(Collected {
        scan: scanned,
        dicomweb,
        dimse: dimse_summary,
        images,
        file_problems,
        reports,
    })
}

/// The deciding half of [`extract`]: the timeline of what [`collect`] read, with every
/// problem (files, reports, assembly) in its `problems`.
pub fn assemble_collected(
    collected: Collected,
    roles: &LesionRoles,
    pixels: &PixelOptions,
) -> (Timeline, ExtractSummary) {
    let Collected {
        scan,
        dicomweb,
        dimse,
        images,
        file_problems,
        reports: report_reads,
    } = collected;
    // `images` holds every indexed instance under the roots, the reports included.
    let input_manifest_sha256 = manifest_sha256(&images, &file_problems);
    let report_count = report_reads.len();
    let reports_read = report_reads.iter().filter(|r| r.document.is_ok()).count();
    let mut problems = file_problems;
    problems.extend(duplicate_instances(&images));
    // Two patients behind one Patient ID: neither is assessed (a core lab must not merge
    // two patients' lesions, nor guess which files are the right patient's).
    let (conflicted_patients, conflicts) = patient_id_conflicts(&images);
    problems.extend(conflicts);
    let mut reports = Vec::with_capacity(report_count);
    for ReportRead {
        path,
        document,
        problem_kind,
    } in report_reads
    {
        match document {
            Ok(doc)
                if doc
                    .patient_id
                    .as_deref()
                    .is_some_and(|id| conflicted_patients.contains(id)) =>
            {
                let mut problem = Problem::new(
                    "patient_id_conflict",
                    format!(
                        "report not used: its Patient ID (0010,0020) \"{}\" names two patients (birth dates or names differ)",
                        doc.patient_id.as_deref().unwrap_or_default()
                    ),
                );
                problem.path = Some(path);
                problem.sop_instance_uid = Some(doc.sop_instance_uid.clone());
                problems.push(problem);
            }
            Ok(doc) => reports.push(doc),
            Err(reason) => {
                let kind = problem_kind.as_deref().unwrap_or("sr_unreadable");
                let mut problem = Problem::new(kind, reason);
                problem.path = Some(path);
                problems.push(problem);
            }
        }
    }

    let mut timeline = assemble(&images, &reports, roles, &mut problems);
    measure_lesions(&mut timeline, &images, pixels, &mut problems);
    let summary = ExtractSummary {
        scan,
        dicomweb,
        dimse,
        reports: report_count,
        reports_read,
        subjects: timeline.subjects.len(),
        timepoints: timeline.subjects.iter().map(|s| s.timepoints.len()).sum(),
        lesion_observations: timeline
            .subjects
            .iter()
            .flat_map(|s| &s.timepoints)
            .map(|t| t.lesions.len())
            .sum(),
        problems: problems.len(),
        input_manifest_sha256,
    };
    timeline.problems = problems;
    (timeline, summary)
}

/// The manifest hash of [`ExtractSummary::input_manifest_sha256`]: one line per file,
/// sorted, so walk order and thread count do not change it.
fn manifest_sha256(instances: &[HeaderRecord], problems: &[Problem]) -> String {
    let mut lines: Vec<String> = instances
        .iter()
        .map(|r| {
            format!(
                "{}\t{}\t{}",
                r.path,
                r.file_size,
                r.sop_instance_uid.as_deref().unwrap_or("")
            )
        })
        .chain(problems.iter().map(|p| {
            format!(
                "{}\tproblem\t{}",
                p.path.as_deref().unwrap_or(""),
                p.message
            )
        }))
        .collect();
    lines.sort_unstable();
    let mut hasher = Sha256::new();
    for line in &lines {
        hasher.update(line.as_bytes());
        hasher.update(b"\n");
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
