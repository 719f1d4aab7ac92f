//! Presentation-state rulers → a lesion's long and short axes.
//!
//! Each GSPS under the inputs is read (`oncoread_dicom::measure::gsps`); its lines are
//! grouped by annotation text and image (a line drawn on several images counts on the
//! first). A group whose text names a lesion of the image's study ([`super::naming`])
//! measures it: the longest line is the long axis, the longest line within 15° of a right
//! angle to it the short axis, both through the image's Pixel Spacing. A value the report
//! recorded stays; a ruler differing from it by more than 1 mm (or one pixel, if larger)
//! is a problem naming both files. A value the report left out is filled and marked
//! derived. DISPLAY-unit graphics, unnamed and unknown lesions are problems, not silence.

use std::path::Path;

use oncoread_criteria::timeline::{Lesion, Problem, Timeline};
use oncoread_dicom::header::HeaderRecord;
use oncoread_dicom::measure::gsps::{
    read_gsps, GspsAnnotations, GspsLine, GRAYSCALE_SOFTCOPY_PRESENTATION_STATE_STORAGE,
};
use serde_json::Value;

use super::naming::{lesions_named, timepoints_of_study};
use super::{
    is_derived, lesion_mut, map_maybe_parallel, mark_derived, problem, Inputs, PixelOptions,
};

/// A ruler and the report agree within this many mm (or one pixel, if larger).
const AGREEMENT_MM: f64 = 1.0;
/// A line this close to a right angle with the long axis may be the short axis.
const PERPENDICULAR_TOLERANCE_DEG: f64 = 15.0;

/// The lines of one annotation text on one image.
struct Ruler<'g> {
    text: Option<&'g str>,
    image_uid: &'g str,
    lines: Vec<&'g GspsLine>,
}

/// Long and short axis of a ruler, in mm.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Axes {
    long_mm: f64,
    short_mm: Option<f64>,
}

pub(super) fn measure_rulers(
    timeline: &mut Timeline,
    inputs: &Inputs,
    options: &PixelOptions,
    problems: &mut Vec<Problem>,
) {
    let files = inputs.of_class(GRAYSCALE_SOFTCOPY_PRESENTATION_STATE_STORAGE);
    let read = map_maybe_parallel(&files, options.sequential, |record| {
        (*record, read_gsps(Path::new(&record.path)))
    });
    for (record, result) in read {
        let gsps = match result {
            Ok(gsps) => gsps,
            Err(e) => {
                problems.push(problem(
                    "gsps_unreadable",
                    e.to_string(),
                    Some(&record.path),
                ));
                continue;
            }
        };
        for reason in &gsps.problems {
            problems.push(problem(
                "gsps_graphic_not_measured",
                format!("{}: {reason}", gsps.path),
                Some(&gsps.path),
            ));
        }
        for ruler in rulers(&gsps) {
            use_ruler(timeline, inputs, record, &gsps, &ruler, problems);
        }
    }
}

fn rulers(gsps: &GspsAnnotations) -> Vec<Ruler<'_>> {
    let mut rulers: Vec<Ruler> = Vec::new();
    for line in &gsps.lines {
        let Some(image_uid) = line.referenced_sop_instance_uids.first() else {
            continue;
        };
        let text = line.text.as_deref();
        match rulers
            .iter_mut()
            .find(|r| r.text == text && r.image_uid == image_uid)
        {
            Some(ruler) => ruler.lines.push(line),
            None => rulers.push(Ruler {
                text,
                image_uid,
                lines: vec![line],
            }),
        }
    }
    rulers
}

fn use_ruler(
    timeline: &mut Timeline,
    inputs: &Inputs,
    record: &HeaderRecord,
    gsps: &GspsAnnotations,
    ruler: &Ruler,
    problems: &mut Vec<Problem>,
) {
    let path = gsps.path.as_str();
    let mut report = |kind: &str, message: String| {
        problems.push(problem(kind, format!("{path}: {message}"), Some(path)))
    };
    let Some(text) = ruler.text else {
        report(
            "gsps_lesion_unnamed",
            format!(
                "{} line(s) on image {} carry no text naming a lesion; not used",
                ruler.lines.len(),
                ruler.image_uid
            ),
        );
        return;
    };
    let Some(image) = inputs.by_uid.get(ruler.image_uid) else {
        report(
            "gsps_image_missing",
            format!(
                "\"{text}\": the referenced image {} is not among the inputs, so its Pixel Spacing (0028,0030) is unknown; not used",
                ruler.image_uid
            ),
        );
        return;
    };
    let Some(spacing) = image.pixel_spacing else {
        report(
            "gsps_image_missing",
            format!(
                "\"{text}\": image {} ({}) has no Pixel Spacing (0028,0030); not used",
                ruler.image_uid, image.path
            ),
        );
        return;
    };
    let Some(axes) = axes(&ruler.lines, spacing) else {
        report(
            "gsps_graphic_not_measured",
            format!("\"{text}\": no line has a length; not used"),
        );
        return;
    };
    let study = image
        .study_instance_uid
        .as_deref()
        .or(record.study_instance_uid.as_deref())
        .unwrap_or_default();
    let timepoints = timepoints_of_study(timeline, study);
    let named = lesions_named(timeline, &timepoints, text);
    if named.is_empty() {
        report(
            "gsps_lesion_unknown",
            format!(
                "\"{text}\" names no lesion the reports of study {study} hold (matched by id, label or its abbreviation); its ruler of {:.1} mm is not used",
                axes.long_mm
            ),
        );
        return;
    }
    let tolerance = AGREEMENT_MM.max(spacing[0]).max(spacing[1]);
    let from = format!(
        "GSPS {} ({path}) ruler \"{text}\" on image {}",
        gsps.sop_instance_uid.as_deref().unwrap_or(""),
        ruler.image_uid
    );
    for at in named {
        let lesion = lesion_mut(timeline, at);
        let fields = [
            ("long_axis_mm", Some(axes.long_mm)),
            ("short_axis_mm", axes.short_mm),
        ];
        for (field, measured) in fields {
            let Some(measured) = measured else { continue };
            let recorded = match field {
                "long_axis_mm" => lesion.long_axis_mm,
                _ => lesion.short_axis_mm,
            };
            match recorded {
                None => {
                    match field {
                        "long_axis_mm" => lesion.long_axis_mm = Some(measured),
                        _ => lesion.short_axis_mm = Some(measured),
                    }
                    mark_derived(lesion, field, from.clone());
                }
                Some(value)
                    if (value - measured).abs() > tolerance && !is_derived(lesion, field) =>
                {
                    report(
                        "gsps_measurement_mismatch",
                        format!(
                            "\"{text}\": {field} {measured:.1} mm by the ruler, {value:.1} mm recorded by {} for lesion {} (tolerance {tolerance:.2} mm); the report's value is kept",
                            report_path(lesion),
                            lesion.lesion_id
                        ),
                    );
                }
                Some(_) => {}
            }
        }
    }
}

fn report_path(lesion: &Lesion) -> &str {
    lesion
        .source
        .as_ref()
        .and_then(|s| s.get("path"))
        .and_then(Value::as_str)
        .unwrap_or("the report")
}

/// The longest line, and the longest one roughly perpendicular to it.
fn axes(lines: &[&GspsLine], spacing: [f64; 2]) -> Option<Axes> {
    let measured: Vec<(f64, Option<[f64; 2]>)> = lines
        .iter()
        .filter_map(|line| Some((line.length_mm(spacing)?, direction_mm(line, spacing))))
        .collect();
    let (long_mm, long_direction) = measured
        .iter()
        .copied()
        .max_by(|a, b| a.0.total_cmp(&b.0))?;
    let max_cosine = (90.0 - PERPENDICULAR_TOLERANCE_DEG).to_radians().cos();
    let short_mm = long_direction.and_then(|long| {
        measured
            .iter()
            .filter_map(|&(length, direction)| {
                let d = direction?;
                let cosine = (long[0] * d[0] + long[1] * d[1]).abs();
                (cosine <= max_cosine).then_some(length)
            })
            .max_by(f64::total_cmp)
    });
    Some(Axes { long_mm, short_mm })
}

/// Unit direction in mm from a polyline's first point to its last (`None` for circles,
/// ellipses and closed or degenerate lines).
fn direction_mm(line: &GspsLine, [row_spacing, column_spacing]: [f64; 2]) -> Option<[f64; 2]> {
    if line.graphic_type != "POLYLINE" || line.data.len() < 4 {
        return None;
    }
    let n = line.data.len();
    let first = line.data.get(..2)?;
    let last = line.data.get(n - 2..)?;
    let dx = f64::from(last[0] - first[0]) * column_spacing;
    let dy = f64::from(last[1] - first[1]) * row_spacing;
    let norm = dx.hypot(dy);
    (norm > 1e-9 && norm.is_finite()).then(|| [dx / norm, dy / norm])
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn line(data: &[f32]) -> GspsLine {
        GspsLine {
            referenced_sop_instance_uids: vec!["1.2.3".into()],
            graphic_type: "POLYLINE".into(),
            data: data.to_vec(),
            layer: None,
            text: Some("TL1".into()),
        }
    }

    #[test]
    fn the_longest_line_is_the_long_axis_and_the_perpendicular_one_the_short() -> TestResult {
        // Pixel 0.5 mm square: 80 px across = 40 mm; 60 px down = 30 mm (at a right
        // angle); a 70 px line at 45° is longer than the short axis but not perpendicular.
        let long = line(&[10.0, 50.0, 90.0, 50.0]);
        let short = line(&[50.0, 20.0, 50.0, 80.0]);
        let diagonal = line(&[0.0, 0.0, 49.5, 49.5]);
        let found = axes(&[&short, &diagonal, &long], [0.5, 0.5]).ok_or("axes")?;
        assert!((found.long_mm - 40.0).abs() < 1e-9, "{found:?}");
        assert!(
            (found.short_mm.ok_or("short")? - 30.0).abs() < 1e-9,
            "{found:?}"
        );
        // A lone line has no short axis.
        let alone = axes(&[&long], [0.5, 0.5]).ok_or("axes")?;
        assert_eq!(alone.short_mm, None);
        Ok(())
    }
}
