//! Key images: for each target lesion at each timepoint, a PNG of the slice its line was
//! drawn on, windowed, with the line and the lesion label drawn over it.
//!
//! What to draw comes from the lesion's `source.measurement_lines` (written by `extract`:
//! each SCOORD POLYLINE with its referenced image and that image's file). Only referenced
//! slices are decoded, in parallel across images. A lesion that cannot get its key image
//! (no line recorded, image not in the archive, undecodable pixels) becomes a problem
//! naming the lesion and the file; the others go on.
//!
//! Files: `key-images/<subject>/<reader>/<timepoint>-<lesion>.png`, every part made safe
//! by [`safe_name::safe_name`].

mod draw;
mod font;
mod safe_name;
mod window;

use std::collections::{BTreeMap, HashMap};
use std::io::Cursor;
use std::path::Path;

use image::{Rgb, RgbImage};
use oncoread_criteria::timeline::{Lesion, Problem, Role, Subject, Timeline};
use oncoread_dicom::slice_pixels::{decode_slice, SlicePixels};
use rayon::prelude::*;
use serde_json::Value;

pub use safe_name::safe_name;
pub use window::Window;

use crate::subjects::timepoint_label;

/// The folder under the output folder that holds the key images.
pub const FOLDER: &str = "key-images";
/// The reader folder of a subject read without a named reader.
const NO_READER: &str = "no-reader";
/// Labels longer than this are replaced by the lesion id (cut to the same length).
const MAX_LABEL_CHARS: usize = 12;

/// How key images are drawn.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyImageOptions {
    /// The window for CT slices (default soft tissue, W400/L40). MR, PT and other
    /// modalities use the file's own window, else the slice's minimum to maximum.
    pub ct_window: Window,
    /// The file to read for an `image_path` the timeline names otherwise: a pseudonymized
    /// timeline's paths hide the subject's folder names, the pixels are in the original.
    pub image_files: BTreeMap<String, String>,
}

impl Default for KeyImageOptions {
    fn default() -> Self {
        KeyImageOptions {
            ct_window: Window::CT_SOFT_TISSUE,
            image_files: BTreeMap::new(),
        }
    }
}

/// Which lesion cell of the HTML page links to which key image.
#[derive(Debug, Clone, Default)]
pub struct KeyImageLinks {
    /// (subject, reader, timepoint position, lesion id) → path relative to the output folder.
    by_cell: HashMap<(String, Option<String>, usize, String), String>,
}

impl KeyImageLinks {
    pub fn get(&self, subject: &Subject, timepoint: usize, lesion_id: &str) -> Option<&str> {
        // The page asks for every lesion cell: no key building when there are no images.
        if self.by_cell.is_empty() {
            return None;
        }
        self.by_cell
            .get(&(
                subject.subject_id.clone(),
                subject.reader.clone(),
                timepoint,
                lesion_id.to_string(),
            ))
            .map(String::as_str)
    }
}

/// The rendered key images: PNG bytes by relative path, the links, and the problems.
#[derive(Debug, Default)]
pub struct KeyImages {
    /// (path relative to the output folder, `/`-separated; PNG bytes), in timeline order.
    pub files: Vec<(String, Vec<u8>)>,
    pub links: KeyImageLinks,
    pub problems: Vec<Problem>,
}

/// One measurement line as `extract` records it in a lesion's source.
#[derive(Debug, Clone, PartialEq)]
struct MeasuredLine {
    /// (column, row) points in image pixel coordinates.
    points: Vec<(f64, f64)>,
    referenced_sop_instance_uid: Option<String>,
    frame_number: u32,
    image_path: Option<String>,
}

/// One key image to make.
struct Job<'a> {
    subject: &'a Subject,
    timepoint: usize,
    lesion: &'a Lesion,
    /// What the problem messages call this key image.
    what: String,
    relative_path: String,
    lines: Vec<MeasuredLine>,
    image_path: String,
}

/// Renders every key image of `timeline` (PNG bytes in memory; the caller writes them).
pub fn render(timeline: &Timeline, options: &KeyImageOptions) -> KeyImages {
    let mut result = KeyImages::default();
    let mut jobs = Vec::new();
    for subject in &timeline.subjects {
        let reader_folder = subject
            .reader
            .as_deref()
            .map(safe_name)
            .unwrap_or_else(|| NO_READER.to_string());
        for (position, timepoint) in subject.timepoints.iter().enumerate() {
            let label = timepoint_label(timepoint, position);
            for lesion in timepoint.lesions.iter().filter(|l| is_measured_target(l)) {
                let what = format!(
                    "key image of subject {} {}timepoint {label} lesion {}",
                    subject.subject_id,
                    subject
                        .reader
                        .as_deref()
                        .map(|r| format!("reader {r} "))
                        .unwrap_or_default(),
                    lesion.lesion_id
                );
                let relative_path = format!(
                    "{FOLDER}/{}/{reader_folder}/{}-{}.png",
                    safe_name(&subject.subject_id),
                    safe_name(&label),
                    safe_name(&lesion.lesion_id)
                );
                match plan_lines(lesion) {
                    Ok((lines, image_path)) => jobs.push(Job {
                        subject,
                        timepoint: position,
                        lesion,
                        what,
                        relative_path,
                        lines,
                        image_path,
                    }),
                    Err(reason) => result.problems.push(lesion_problem(lesion, &what, reason)),
                }
            }
        }
    }
    let rendered: Vec<Result<Vec<u8>, (String, String)>> = jobs
        .par_iter()
        .map(|job| render_one(job, options))
        .collect();
    for (job, outcome) in jobs.iter().zip(rendered) {
        match outcome {
            Ok(png) => {
                result.links.by_cell.insert(
                    (
                        job.subject.subject_id.clone(),
                        job.subject.reader.clone(),
                        job.timepoint,
                        job.lesion.lesion_id.clone(),
                    ),
                    job.relative_path.clone(),
                );
                result.files.push((job.relative_path.clone(), png));
            }
            Err((path, reason)) => {
                let mut problem = lesion_problem(job.lesion, &job.what, reason);
                problem.path = Some(path);
                result.problems.push(problem);
            }
        }
    }
    result
}

/// A target lesion with a size at this timepoint (absent or unmeasured ones have no line).
fn is_measured_target(lesion: &Lesion) -> bool {
    lesion.role == Role::Target && (lesion.long_axis_mm.is_some() || lesion.short_axis_mm.is_some())
}

fn lesion_problem(lesion: &Lesion, what: &str, reason: String) -> Problem {
    let source = lesion.source.as_ref();
    let text = |key: &str| {
        source
            .and_then(|s| s.get(key))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let mut problem = Problem::new("key_image_unavailable", format!("{what}: {reason}"));
    problem.path = text("path");
    problem.sop_instance_uid = text("sop_instance_uid");
    problem
}

/// The lines to draw (those on the first line's image and frame) and that image's file.
fn plan_lines(lesion: &Lesion) -> Result<(Vec<MeasuredLine>, String), String> {
    let recorded = lesion
        .source
        .as_ref()
        .and_then(|s| s.get("measurement_lines"))
        .ok_or_else(|| {
            "source.measurement_lines: no measurement line (SCOORD POLYLINE) recorded for this \
             lesion (a timeline from CSV, or a report without image coordinates)"
                .to_string()
        })?;
    let lines = parse_lines(recorded)?;
    let first = lines
        .first()
        .ok_or_else(|| "source.measurement_lines: empty list".to_string())?;
    let image_path = match &first.image_path {
        Some(path) if is_remote(path) => {
            return Err(format!(
                "source.measurement_lines[0].image_path: {path} is on a PACS source; its pixels \
                 are not fetched (only headers are)"
            ))
        }
        Some(path) => path.clone(),
        None => {
            return Err(format!(
                "source.measurement_lines[0].image_path: the referenced image {} is not in the \
                 index (not among the files read)",
                first
                    .referenced_sop_instance_uid
                    .as_deref()
                    .unwrap_or("(no Referenced SOP Instance UID)")
            ))
        }
    };
    let same_slice = |l: &MeasuredLine| {
        l.referenced_sop_instance_uid == first.referenced_sop_instance_uid
            && l.frame_number == first.frame_number
    };
    let on_slice: Vec<MeasuredLine> = lines.iter().filter(|l| same_slice(l)).cloned().collect();
    Ok((on_slice, image_path))
}

fn is_remote(path: &str) -> bool {
    path.starts_with("dicomweb:") || path.starts_with("dimse:")
}

fn parse_lines(recorded: &Value) -> Result<Vec<MeasuredLine>, String> {
    let items = recorded
        .as_array()
        .ok_or_else(|| "source.measurement_lines: expected a list".to_string())?;
    items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            let field = |name: &str| format!("source.measurement_lines[{index}].{name}");
            let data = item
                .get("graphic_data")
                .and_then(Value::as_array)
                .ok_or_else(|| format!("{}: expected a list of numbers", field("graphic_data")))?;
            let numbers: Vec<f64> = data
                .iter()
                .map(|v| v.as_f64().filter(|x| x.is_finite()))
                .collect::<Option<_>>()
                .ok_or_else(|| format!("{}: not all finite numbers", field("graphic_data")))?;
            if numbers.len() < 4 || !numbers.len().is_multiple_of(2) {
                return Err(format!(
                    "{}: {} values; a line needs (column, row) pairs, at least two",
                    field("graphic_data"),
                    numbers.len()
                ));
            }
            let frame_number = match item.get("referenced_frame_number") {
                None => 1,
                Some(v) => v
                    .as_u64()
                    .and_then(|n| u32::try_from(n).ok())
                    .filter(|n| *n >= 1)
                    .ok_or_else(|| {
                        format!(
                            "{}: expected a number from 1",
                            field("referenced_frame_number")
                        )
                    })?,
            };
            let text = |name: &str| item.get(name).and_then(Value::as_str).map(str::to_string);
            Ok(MeasuredLine {
                points: numbers.chunks_exact(2).map(|p| (p[0], p[1])).collect(),
                referenced_sop_instance_uid: text("referenced_sop_instance_uid"),
                frame_number,
                image_path: text("image_path"),
            })
        })
        .collect()
}

/// Decodes the slice and draws; on failure, (the file, the reason).
fn render_one(job: &Job<'_>, options: &KeyImageOptions) -> Result<Vec<u8>, (String, String)> {
    let frame = job.lines.first().map(|l| l.frame_number).unwrap_or(1);
    // Problems name the path as the timeline gives it (pseudonymized, when it is).
    let file = options
        .image_files
        .get(&job.image_path)
        .unwrap_or(&job.image_path);
    let pixels = decode_slice(Path::new(file), frame).map_err(|e| {
        let reason = e.to_string().replace(file.as_str(), &job.image_path);
        (job.image_path.clone(), reason)
    })?;
    let mut image = greyscale_image(&pixels, options);
    let text = label_text(job.lesion);
    let scale = (pixels.columns / 256).max(1);
    let (label_width, label_height) = draw::label_size(&text, scale);
    // The label sits right of the line's rightmost point, kept inside the image; the line
    // is drawn after it so that no label dot ever hides part of the line.
    let rightmost = job
        .lines
        .iter()
        .flat_map(|l| l.points.iter().copied())
        .fold((f64::NEG_INFINITY, 0.0), |best, p| {
            if p.0 > best.0 {
                p
            } else {
                best
            }
        });
    let gap = 3 * i64::from(scale);
    let left = (rightmost.0.ceil() as i64 + gap)
        .min(i64::from(pixels.columns) - i64::from(label_width) - 1)
        .max(1);
    let top = (rightmost.1 as i64 - i64::from(label_height) / 2)
        .min(i64::from(pixels.rows) - i64::from(label_height) - 1)
        .max(1);
    draw::draw_label(&mut image, &text, left, top, scale);
    for line in &job.lines {
        for pair in line.points.windows(2) {
            draw::draw_segment(&mut image, pair[0], pair[1]);
        }
    }
    let mut png = Vec::new();
    image
        .write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
        .map_err(|e| (job.image_path.clone(), format!("PNG encoding failed: {e}")))?;
    Ok(png)
}

fn greyscale_image(pixels: &SlicePixels, options: &KeyImageOptions) -> RgbImage {
    let greyscale = window::choose(pixels, options.ct_window);
    let mut image = RgbImage::new(pixels.columns, pixels.rows);
    for (pixel, &value) in image.pixels_mut().zip(&pixels.values) {
        let level = window::grey(value, greyscale);
        let level = if pixels.inverted { 255 - level } else { level };
        *pixel = Rgb([level, level, level]);
    }
    image
}

/// The lesion's label (its tracking identifier, e.g. `T1`) when short, else its id.
fn label_text(lesion: &Lesion) -> String {
    match lesion.label.as_deref() {
        Some(label) if label.chars().count() <= MAX_LABEL_CHARS => label.to_string(),
        _ => lesion.lesion_id.chars().take(MAX_LABEL_CHARS).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn lesion_with(source: Value) -> Lesion {
        Lesion {
            lesion_id: "T1".into(),
            role: Role::Target,
            long_axis_mm: Some(20.0),
            source: serde_json::from_value(source).ok(),
            ..Lesion::default()
        }
    }

    #[test]
    fn lines_on_the_first_lines_slice_are_kept() -> TestResult {
        let lesion = lesion_with(json!({"measurement_lines": [
            {"axis": "long", "graphic_data": [1.0, 2.0, 3.0, 4.0],
             "referenced_sop_instance_uid": "1.2", "image_path": "a.dcm"},
            {"axis": "short", "graphic_data": [5.0, 6.0, 7.0, 8.0],
             "referenced_sop_instance_uid": "1.2", "image_path": "a.dcm"},
            {"axis": "short", "graphic_data": [5.0, 6.0, 7.0, 8.0],
             "referenced_sop_instance_uid": "1.3", "image_path": "b.dcm"}
        ]}));
        let (lines, path) = plan_lines(&lesion)?;
        assert_eq!(path, "a.dcm");
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[1].points, vec![(5.0, 6.0), (7.0, 8.0)]);
        Ok(())
    }

    #[test]
    fn bad_sources_name_the_field() -> TestResult {
        let cases = [
            (json!({}), "source.measurement_lines: no measurement line"),
            (
                json!({"measurement_lines": [{"graphic_data": [1.0, 2.0, 3.0]}]}),
                "source.measurement_lines[0].graphic_data: 3 values",
            ),
            (
                json!({"measurement_lines": [{"graphic_data": [1, 2, 3, 4],
                       "referenced_sop_instance_uid": "9.9"}]}),
                "source.measurement_lines[0].image_path: the referenced image 9.9 is not in the index",
            ),
            (
                json!({"measurement_lines": [{"graphic_data": [1, 2, 3, 4],
                       "image_path": "dicomweb:http://pacs/x"}]}),
                "is on a PACS source",
            ),
            (
                json!({"measurement_lines": [{"graphic_data": [1, 2, 3, 4],
                       "referenced_frame_number": 0, "image_path": "a.dcm"}]}),
                "source.measurement_lines[0].referenced_frame_number: expected a number from 1",
            ),
        ];
        for (source, expected) in cases {
            let error = plan_lines(&lesion_with(source.clone()))
                .err()
                .ok_or(format!("{source}: should be rejected"))?;
            assert!(error.contains(expected), "{source}: {error}");
        }
        Ok(())
    }

    #[test]
    fn an_unreadable_image_is_a_problem_naming_the_file_and_the_others_go_on() {
        let mut lesion = lesion_with(json!({"measurement_lines": [
            {"graphic_data": [1, 2, 3, 4], "image_path": "missing/slice.dcm"}]}));
        let no_line = lesion_with(json!({}));
        lesion.label = Some("T1".into());
        let timeline = Timeline {
            schema: "oncoread.timeline/1".into(),
            subjects: vec![Subject {
                subject_id: "S/1".into(),
                reader: None,
                context: None,
                timepoints: vec![oncoread_criteria::timeline::Timepoint {
                    timepoint_id: Some("BL".into()),
                    lesions: vec![lesion, no_line],
                    ..Default::default()
                }],
            }],
            problems: vec![],
        };
        let images = render(&timeline, &KeyImageOptions::default());
        assert!(images.files.is_empty());
        assert_eq!(images.problems.len(), 2);
        // The lesion without a line is found while planning, before any decoding.
        assert!(images.problems[0].message.contains("no measurement line"));
        assert_eq!(
            images.problems[1].path.as_deref(),
            Some("missing/slice.dcm")
        );
        assert!(
            images.problems[1].message.starts_with(
                "key image of subject S/1 timepoint BL lesion T1: missing/slice.dcm: "
            ),
            "{}",
            images.problems[1].message
        );
    }
}
