//! Reports of an assessment: the assessment itself as JSON, CSV tables (timepoints,
//! subjects, lesions, problems) and one self-contained HTML page with SVG plots
//! (waterfall, spider, swimmer), per-subject lesion tables and the why-trail; on request,
//! the CDISC SDTM domains TU/TR/RS as Dataset-JSON v1.1 and CSV ([`Format::Sdtm`]), the
//! assessment of each timepoint as a DICOM SR ([`Format::DicomSr`]) and key images of the
//! target lesions ([`Format::KeyImages`]).
//!
//! Everything is rendered in memory and each file is written atomically (temporary sibling,
//! then rename). The output holds no timestamp unless [`ReportOptions::generated_at`] is
//! given, so the same input always gives the same bytes.

mod atomic;
mod csv;
mod dicom_sr;
mod escape;
mod html;
pub mod key_images;
mod plots;
mod reader_csv;
mod response_class;
mod sdtm;
mod subjects;
mod summary;
mod svg;
mod text;

use oncoread_criteria::assessment::Assessment;
use oncoread_criteria::concordance::Concordance;
use oncoread_criteria::timeline::{Problem, Timeline};
use std::path::{Path, PathBuf};

use key_images::{KeyImageLinks, KeyImageOptions};

pub use response_class::ResponseClass;

/// One kind of report output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Format {
    /// `timepoints.csv`, `subjects.csv`, `problems.csv`, and `lesions.csv` when a timeline
    /// is given.
    Csv,
    /// `report.html`.
    Html,
    /// `assessment.json` (indented).
    Json,
    /// `tu.json`, `tr.json`, `rs.json` (CDISC Dataset-JSON v1.1) and `tu.csv`, `tr.csv`,
    /// `rs.csv`: the SDTM oncology domains. Needs the timeline (the lesions). Not in
    /// [`Format::ALL`]: a submission format, written only when asked for.
    Sdtm,
    /// `dicom-sr/<subject>/<reader>/<timepoint>.dcm`: the assessment of each timepoint as
    /// a DICOM SR (TID 1500) in the study it assesses, and `dicom-sr/index.csv`. Needs the
    /// timeline (lesions, studies). Written only when asked for.
    DicomSr,
    /// `key-images/<subject>/<reader>/<timepoint>-<lesion>.png`: each target lesion's
    /// measured slice with its line and label, linked from `report.html`. Needs the
    /// timeline (the lines and images come from its lesion sources). Written only when
    /// asked for: it decodes pixels.
    KeyImages,
}

impl Format {
    /// Every format, in the order the files are written: what `--format` defaults to.
    pub const ALL: [Format; 3] = [Format::Csv, Format::Html, Format::Json];

    /// Formats written only when named.
    pub const ON_REQUEST: [Format; 3] = [Format::Sdtm, Format::DicomSr, Format::KeyImages];

    pub fn name(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Html => "html",
            Format::Json => "json",
            Format::Sdtm => "sdtm",
            Format::DicomSr => "dicom-sr",
            Format::KeyImages => "key-images",
        }
    }

    pub fn from_name(name: &str) -> Option<Format> {
        Format::ALL
            .into_iter()
            .chain(Format::ON_REQUEST)
            .find(|f| f.name() == name)
    }

    /// Parses a comma-separated list such as `csv,html` (duplicates collapse; the files are
    /// written in the enum's order, csv, html, json, sdtm, key images, whatever the list's
    /// order; key images are rendered first when asked for, so the other files can list
    /// their problems and the page can link them).
    pub fn parse_list(list: &str) -> Result<Vec<Format>, ReportError> {
        let mut formats = Vec::new();
        for name in list.split(',').map(str::trim) {
            let format = Format::from_name(name).ok_or_else(|| ReportError::UnknownFormat {
                name: name.to_string(),
            })?;
            formats.push(format);
        }
        formats.sort();
        formats.dedup();
        Ok(formats)
    }
}

/// What the caller adds to the report besides the assessment and the timeline.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReportOptions {
    /// Shown as "generated at" in the HTML page. `None` (the default) keeps every output
    /// free of timestamps; `oncoread run --reproducible` pins it.
    pub generated_at: Option<String>,
    /// Problems from earlier stages to list (e.g. the scan problems of `oncoread run`).
    /// The timeline's `problems` and each subject's `problems` are listed anyway: do not
    /// repeat them here.
    pub problems: Vec<Problem>,
    /// The reader review of a double-read trial: adds `concordance.json` (json),
    /// `adjudication.csv` (csv) and the reader-agreement section of the page (html).
    pub readers: Option<Concordance>,
    /// How key images are drawn (the CT window).
    pub key_images: KeyImageOptions,
}

/// What [`write_all`] wrote.
#[derive(Debug, Default)]
pub struct Written {
    /// Every file written, in order.
    pub files: Vec<PathBuf>,
    /// Problems found while writing (key images that could not be made); they are listed
    /// in `problems.csv` and the page too when those formats are written.
    pub problems: Vec<Problem>,
}

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(
        "unknown report format `{name}` (expected a comma-separated list of csv, html, json, sdtm, dicom-sr, key-images)"
    )]
    UnknownFormat { name: String },
    #[error("the SDTM format needs the timeline (the lesions of TU and TR): give --timeline")]
    SdtmNeedsTimeline,
    #[error(
        "the DICOM SR format needs the timeline (the lesions and their studies): give --timeline"
    )]
    DicomSrNeedsTimeline,
    #[error("encoding a DICOM SR: {0}")]
    Dicom(#[from] oncoread_dicom::write::WriteError),
    #[error("key images need the timeline (the lesions' lines and images): give --timeline")]
    KeyImagesNeedTimeline,
    #[error("SDTM {domain} has no variable {variable}")]
    SdtmVariable {
        domain: &'static str,
        variable: &'static str,
    },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("serialising the assessment: {0}")]
    Json(#[from] serde_json::Error),
    #[error("rendering the report text failed")]
    Render(#[from] std::fmt::Error),
}

/// Writes the chosen `formats` into `out_dir` (created if missing) and returns the paths
/// written, in order. `timeline` adds the lesion measurements (lesions.csv, the per-subject
/// lesion tables) and the timeline's problems.
pub fn write_reports(
    assessment: &Assessment,
    timeline: Option<&Timeline>,
    out_dir: &Path,
    formats: &[Format],
    options: &ReportOptions,
) -> Result<Vec<PathBuf>, ReportError> {
    write_all(assessment, timeline, out_dir, formats, options).map(|written| written.files)
}

/// [`write_reports`], also returning the problems found while writing.
pub fn write_all(
    assessment: &Assessment,
    timeline: Option<&Timeline>,
    out_dir: &Path,
    formats: &[Format],
    options: &ReportOptions,
) -> Result<Written, ReportError> {
    std::fs::create_dir_all(out_dir).map_err(|source| ReportError::Io {
        path: out_dir.to_path_buf(),
        source,
    })?;
    let mut sorted = formats.to_vec();
    sorted.sort();
    sorted.dedup();
    let mut written = Written::default();
    let mut links = KeyImageLinks::default();
    let mut options = options.clone();
    if sorted.contains(&Format::KeyImages) {
        let timeline = timeline.ok_or(ReportError::KeyImagesNeedTimeline)?;
        let images = key_images::render(timeline, &options.key_images);
        for (relative, png) in &images.files {
            let path = out_dir.join(relative);
            if let Some(folder) = path.parent() {
                std::fs::create_dir_all(folder).map_err(|source| ReportError::Io {
                    path: folder.to_path_buf(),
                    source,
                })?;
            }
            atomic::write_file(&path, png)?;
            written.files.push(path);
        }
        remove_stale(&out_dir.join(key_images::FOLDER), &written.files)?;
        links = images.links;
        options.problems.extend(images.problems.iter().cloned());
        written.problems = images.problems;
    }
    for format in sorted {
        if format == Format::DicomSr {
            let timeline = timeline.ok_or(ReportError::DicomSrNeedsTimeline)?;
            let output = dicom_sr::render(assessment, timeline, &options)?;
            for file in output.files {
                let path = out_dir.join(&file.relative_path);
                if let Some(folder) = path.parent() {
                    std::fs::create_dir_all(folder).map_err(|source| ReportError::Io {
                        path: folder.to_path_buf(),
                        source,
                    })?;
                }
                atomic::write_file(&path, &file.bytes)?;
                written.files.push(path);
            }
            let index = out_dir.join(dicom_sr::FOLDER).join("index.csv");
            std::fs::create_dir_all(out_dir.join(dicom_sr::FOLDER)).map_err(|source| {
                ReportError::Io {
                    path: out_dir.join(dicom_sr::FOLDER),
                    source,
                }
            })?;
            atomic::write_file(&index, output.index_csv.as_bytes())?;
            written.files.push(index);
            remove_stale(&out_dir.join(dicom_sr::FOLDER), &written.files)?;
            continue;
        }
        let files = match format {
            Format::Html => vec![(
                "report.html",
                html::page(assessment, timeline, &options, &links)?,
            )],
            _ => render(format, assessment, timeline, &options)?,
        };
        for (file_name, bytes) in files {
            let path = out_dir.join(file_name);
            atomic::write_file(&path, bytes.as_bytes())?;
            written.files.push(path);
        }
    }
    Ok(written)
}

/// The files of one format, as (file name, content) pairs. Key images are binary files
/// under a folder: [`write_all`] renders and writes them, here they give no file.
pub fn render(
    format: Format,
    assessment: &Assessment,
    timeline: Option<&Timeline>,
    options: &ReportOptions,
) -> Result<Vec<(&'static str, String)>, ReportError> {
    let mut files = Vec::new();
    match format {
        Format::Csv => {
            files.push(("timepoints.csv", csv::timepoints(assessment)?));
            files.push(("subjects.csv", csv::subjects(assessment)?));
            if let Some(timeline) = timeline {
                files.push(("lesions.csv", csv::lesions(timeline, assessment)?));
            }
            files.push((
                "problems.csv",
                csv::problems(assessment, timeline, options)?,
            ));
            if let Some(readers) = &options.readers {
                files.push(("adjudication.csv", reader_csv::adjudication(readers)));
            }
        }
        Format::Html => files.push((
            "report.html",
            html::page(assessment, timeline, options, &KeyImageLinks::default())?,
        )),
        Format::Json => {
            let mut json = serde_json::to_string_pretty(assessment)?;
            json.push('\n');
            files.push(("assessment.json", json));
            if let Some(readers) = &options.readers {
                let mut json = serde_json::to_string_pretty(readers)?;
                json.push('\n');
                files.push(("concordance.json", json));
            }
        }
        Format::Sdtm => {
            let timeline = timeline.ok_or(ReportError::SdtmNeedsTimeline)?;
            files.extend(sdtm::render(assessment, timeline, options)?);
        }
        // The .dcm files are binary: [`write_reports`] writes them; here only the index.
        Format::DicomSr => {
            let timeline = timeline.ok_or(ReportError::DicomSrNeedsTimeline)?;
            let output = dicom_sr::render(assessment, timeline, options)?;
            files.push(("dicom-sr/index.csv", output.index_csv));
        }
        Format::KeyImages => {}
    }
    Ok(files)
}

/// Removes the files under `folder` (one of the output's own subfolders) that this write
/// did not produce: a subject, reader or timepoint gone since an earlier run into the same
/// folder must not leave its SR or image behind, where the PACS sink would send it as
/// current. Folders left empty are removed too.
fn remove_stale(folder: &Path, keep: &[PathBuf]) -> Result<(), ReportError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ReportError::Io { path, source }
    };
    let entries = match std::fs::read_dir(folder) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io(folder)(e)),
    };
    for entry in entries {
        let path = entry.map_err(io(folder))?.path();
        if path.is_dir() {
            remove_stale(&path, keep)?;
            // Only succeeds when empty, which is the point.
            let _ = std::fs::remove_dir(&path);
        } else if !keep.contains(&path) {
            std::fs::remove_file(&path).map_err(io(&path))?;
        }
    }
    Ok(())
}
