//! oncoread-synth: synthetic longitudinal oncology trials with known truth.
//!
//! [`generate`] writes, per subject and visit, a CT series with real pixel data (a body
//! phantom with the subject's lesions drawn in as ellipsoids) and one TID 1500 SR per
//! reader with the lesion measurements, plus `truth.timeline.json`, the timeline the
//! archive encodes. Same options and seed → the same bytes, whatever the thread count:
//! every random draw comes from a stream keyed by the seed and the names of what it is
//! for, and every UID is `2.25.<128-bit hash of the seed and names>` (see [`uid`]).
//!
//! Layout: `<out>/<subject>/<NN>-<timepoint>/CT/CT0001.dcm …` and
//! `<out>/<subject>/<NN>-<timepoint>/SR/reader1.dcm` (and `reader2.dcm`).
//!
//! Modules: [`plan`] (who, when, which lesions, what size: the only source of randomness),
//! [`ct`] (phantom, rendering, CT encoding), [`sr`] (TID 1500 encoding), [`truth`] (the
//! timeline), [`uid`], [`rng`], [`dates`], plus the shared attribute groups.

pub mod ct;
pub mod dates;
mod modules;
pub mod plan;
pub mod rng;
pub mod sr;
mod tags;
pub mod truth;
pub mod uid;

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use oncoread_criteria::timeline::Subject;
use oncoread_dicom::write::{write_part10, DataSetWriter, FileMeta, WriteError};
use rayon::prelude::*;

pub use plan::SynthOptions;
use plan::{SubjectPlan, TrialPlan};
use uid::{Uids, IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME};

/// The truth document's file name inside the output folder.
pub const TRUTH_FILE: &str = "truth.timeline.json";

#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    #[error("{0}")]
    Options(String),
    #[error("{}: the output folder is not empty; choose a new or empty folder", .0.display())]
    NotEmpty(PathBuf),
    #[error("{}: {source}", .path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error("{}: {source}", .path.display())]
    Encode { path: PathBuf, source: WriteError },
    #[error("writing the truth timeline: {0}")]
    Json(#[from] serde_json::Error),
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> SynthError + '_ {
    move |source| SynthError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// What was written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SynthSummary {
    pub subjects: usize,
    pub ct_files: usize,
    pub sr_files: usize,
    pub bytes: u64,
}

impl SynthSummary {
    fn add(self, other: SynthSummary) -> SynthSummary {
        SynthSummary {
            subjects: self.subjects + other.subjects,
            ct_files: self.ct_files + other.ct_files,
            sr_files: self.sr_files + other.sr_files,
            bytes: self.bytes + other.bytes,
        }
    }

    /// DICOM files plus the truth document.
    pub fn files(&self) -> usize {
        self.ct_files + self.sr_files + 1
    }
}

/// Checks the options' ranges (the DICOM encoding needs a matrix that fits US, and a
/// lesion needs a few pixels and slices to be drawn).
pub fn check_options(options: &SynthOptions) -> Result<(), SynthError> {
    let bad = |what: &str| Err(SynthError::Options(what.to_string()));
    if options.subjects == 0 {
        return bad("--subjects must be at least 1");
    }
    if !(1..=100).contains(&options.timepoints) {
        return bad("--timepoints must be between 1 and 100");
    }
    if !(1..=2000).contains(&options.slices) {
        return bad("--slices must be between 1 and 2000");
    }
    if !(16..=2048).contains(&options.matrix) {
        return bad("--matrix must be between 16 and 2048 pixels");
    }
    Ok(())
}

/// Buffers reused by one worker thread from file to file.
struct Scratch {
    data_set: DataSetWriter,
    file: Vec<u8>,
    hu: Vec<i16>,
    pixels: Vec<u16>,
}

impl Scratch {
    fn new() -> Self {
        Scratch {
            data_set: DataSetWriter::new(),
            file: Vec::with_capacity(64 * 1024),
            hu: Vec::new(),
            pixels: Vec::new(),
        }
    }

    /// Wraps the encoded data set as a Part 10 file and writes it in one call.
    fn write_file(
        &mut self,
        path: &Path,
        sop_class_uid: &str,
        sop_instance_uid: &str,
    ) -> Result<u64, SynthError> {
        self.file.clear();
        let meta = FileMeta {
            sop_class_uid,
            sop_instance_uid,
            implementation_class_uid: IMPLEMENTATION_CLASS_UID,
            implementation_version_name: IMPLEMENTATION_VERSION_NAME,
        };
        write_part10(&mut self.file, &meta, &self.data_set).map_err(|source| {
            SynthError::Encode {
                path: path.to_path_buf(),
                source,
            }
        })?;
        fs::write(path, &self.file).map_err(io_error(path))?;
        Ok(self.file.len() as u64)
    }
}

/// Writes the trial into `out` (created if missing; must be empty) and returns what was
/// written. Subjects are generated in parallel on the global rayon pool.
pub fn generate(out: &Path, options: &SynthOptions) -> Result<SynthSummary, SynthError> {
    check_options(options)?;
    fs::create_dir_all(out).map_err(io_error(out))?;
    if fs::read_dir(out).map_err(io_error(out))?.next().is_some() {
        return Err(SynthError::NotEmpty(out.to_path_buf()));
    }
    let trial = TrialPlan::new(*options);
    let phantom = ct::Phantom::new(options.matrix, options.slices);
    let uids = Uids { seed: options.seed };
    let results: Vec<Result<(Vec<Subject>, SynthSummary), SynthError>> = (0..options.subjects)
        .into_par_iter()
        .map_init(Scratch::new, |scratch, index| {
            let subject = trial.subject(index);
            let summary = write_subject(out, &trial, &phantom, uids, &subject, scratch)?;
            Ok((truth::subject_truth(&subject, uids), summary))
        })
        .collect();
    let mut subjects = Vec::new();
    let mut summary = SynthSummary::default();
    for result in results {
        let (truth, written) = result?;
        subjects.extend(truth);
        summary = summary.add(written);
    }
    let timeline = truth::timeline(subjects);
    let mut json = serde_json::to_vec_pretty(&timeline)?;
    json.push(b'\n');
    let path = out.join(TRUTH_FILE);
    let temporary = out.join(format!(".{TRUTH_FILE}.tmp"));
    fs::write(&temporary, &json).map_err(io_error(&temporary))?;
    fs::rename(&temporary, &path).map_err(io_error(&path))?;
    summary.bytes += json.len() as u64;
    Ok(summary)
}

fn write_subject(
    out: &Path,
    trial: &TrialPlan,
    phantom: &ct::Phantom,
    uids: Uids,
    subject: &SubjectPlan,
    scratch: &mut Scratch,
) -> Result<SynthSummary, SynthError> {
    let mut summary = SynthSummary {
        subjects: 1,
        ..SynthSummary::default()
    };
    let id = &subject.subject_id;
    let digits = trial.options.slices.to_string().len().max(4);
    for (visit, _) in subject
        .visits
        .iter()
        .zip(&subject.done)
        .filter(|(_, d)| **d)
    {
        let tp = &visit.timepoint_id;
        let visit_dir = out
            .join(id)
            .join(format!("{:02}-{tp}", visit.schedule_index));
        let ct_dir = visit_dir.join("CT");
        let sr_dir = visit_dir.join("SR");
        fs::create_dir_all(&ct_dir).map_err(io_error(&ct_dir))?;
        fs::create_dir_all(&sr_dir).map_err(io_error(&sr_dir))?;

        let series = ct::Series {
            trial,
            subject,
            visit,
            uids,
            study_uid: uids.study(id, tp),
            series_uid: uids.ct_series(id, tp),
            frame_uid: uids.frame_of_reference(id, tp),
        };
        for k in 0..trial.options.slices {
            let sop = uids.ct_instance(id, tp, k);
            let path = ct_dir.join(format!("CT{:0digits$}.dcm", k + 1));
            ct::render_slice(phantom, &series, k, &mut scratch.hu, &mut scratch.pixels);
            ct::encode_slice(&mut scratch.data_set, &series, k, &sop, &scratch.pixels).map_err(
                |source| SynthError::Encode {
                    path: path.clone(),
                    source,
                },
            )?;
            summary.bytes += scratch.write_file(&path, ct::CT_IMAGE_STORAGE, &sop)?;
            summary.ct_files += 1;
        }
        for (number, reader) in subject.readers.iter().enumerate() {
            let report = sr::Report {
                trial,
                subject,
                visit,
                reader,
                reader_number: number + 1,
                uids,
                sop_instance_uid: uids.sr_instance(id, tp, reader.slot),
            };
            let path = sr_dir.join(format!("{}.dcm", reader.slot));
            sr::encode_report(&mut scratch.data_set, &report).map_err(|source| {
                SynthError::Encode {
                    path: path.clone(),
                    source,
                }
            })?;
            summary.bytes +=
                scratch.write_file(&path, sr::ENHANCED_SR_STORAGE, &report.sop_instance_uid)?;
            summary.sr_files += 1;
        }
    }
    Ok(summary)
}
