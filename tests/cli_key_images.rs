//! End-to-end test of key images (`key-images` format) on the bundled sample trial.
//!
//! Independent expectations:
//! - which key images exist: one per target lesion measured at each timepoint of the truth
//!   timeline synth encoded (`fixtures/sample/truth.timeline.json`), linked from the page;
//! - where the line is: every SCOORD POLYLINE of the lesion's measurement group as pydicom
//!   reads it from the SR (`scripts/peer_key_images.py`), mapped by hand to pixels here:
//!   DICOM image coordinates put the top-left corner of pixel (column c, row r) at (c, r),
//!   so the point (x, y) lies in pixel (floor x, floor y); every point along the segment
//!   must be the line colour;
//! - the grey level away from the line: pydicom's raw stored value (read from the Pixel
//!   Data bytes) × Rescale Slope + Intercept, through the DICOM VOI LUT LINEAR function of
//!   the window (PS3.3 C.11.2.1.2.1), written out below.
//!
//! The Python is ONCOREAD_PYTHON (scripts/test installs pydicom into target/test-venv and
//! sets it); without it the test fails saying so.

mod common;

use common::{oncoread, repo, temp_dir};

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The line colour the key images use (yellow: never a grey level).
const LINE: [u8; 3] = [255, 255, 0];

fn python() -> String {
    std::env::var("ONCOREAD_PYTHON").unwrap_or_else(|_| {
        panic!(
            "ONCOREAD_PYTHON is not set: run scripts/test, which installs pydicom into \
             target/test-venv and points ONCOREAD_PYTHON at its python"
        )
    })
}

/// pydicom's reading of the sample: SR lines and CT raw values (see the script's doc).
fn peer_reading() -> Value {
    let python = python();
    let output = Command::new(&python)
        .arg(repo().join("scripts/peer_key_images.py"))
        .arg(repo().join("fixtures/sample"))
        .output()
        .unwrap_or_else(|e| panic!("{python} does not run ({e}): run scripts/test"));
    assert!(
        output.status.success(),
        "scripts/peer_key_images.py failed (is pydicom installed? run scripts/test): {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// `oncoread run` on the sample with html, csv and key images; returns the output folder.
fn run_sample(dir: &Path) -> PathBuf {
    let out = dir.join("out");
    let config = dir.join("pipeline.toml");
    let sample = repo().join("fixtures/sample");
    std::fs::write(
        &config,
        format!(
            "[[input]]\npath = {:?}\n[run]\nindex = {:?}\n[output]\ndir = {:?}\n\
             formats = [\"html\", \"csv\", \"json\", \"key-images\"]\n\
             [criteria]\nenabled = [\"recist1.1\"]\n",
            sample.to_str().unwrap(),
            dir.join("index.sqlite").to_str().unwrap(),
            out.to_str().unwrap()
        ),
    )
    .unwrap();
    let output = oncoread(&["run", "--config", config.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "run failed: {stderr}");
    out
}

/// The expected key images from the truth: (subject, reader, timepoint, lesion id).
fn expected_key_images() -> Vec<(String, String, String, String)> {
    let bytes = std::fs::read(repo().join("fixtures/sample/truth.timeline.json")).unwrap();
    let truth: Value = serde_json::from_slice(&bytes).unwrap();
    let mut expected = Vec::new();
    for subject in truth["subjects"].as_array().unwrap() {
        for timepoint in subject["timepoints"].as_array().unwrap() {
            for lesion in timepoint["lesions"].as_array().unwrap() {
                let measured =
                    lesion["long_axis_mm"].is_number() || lesion["short_axis_mm"].is_number();
                if lesion["role"] == "target" && measured {
                    expected.push((
                        subject["subject_id"].as_str().unwrap().to_string(),
                        subject["reader"].as_str().unwrap().to_string(),
                        timepoint["timepoint_id"].as_str().unwrap().to_string(),
                        lesion["lesion_id"].as_str().unwrap().to_string(),
                    ));
                }
            }
        }
    }
    expected
}

/// Every `href` of the page that points into key-images/.
fn key_image_links(html: &str) -> Vec<String> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter(|href| href.starts_with("key-images/"))
        .map(str::to_string)
        .collect()
}

/// DICOM VOI LUT LINEAR (PS3.3 C.11.2.1.2.1) to 0–255, rounded to nearest.
fn windowed_by_hand(hu: f64, width: f64, center: f64) -> u8 {
    if hu <= center - 0.5 - (width - 1.0) / 2.0 {
        0
    } else if hu > center - 0.5 + (width - 1.0) / 2.0 {
        255
    } else {
        (((hu - (center - 0.5)) / (width - 1.0) + 0.5) * 255.0).round() as u8
    }
}

/// Pixel distance from (x, y) to the segment a–b, in image coordinates.
fn distance_to_segment(p: (f64, f64), a: (f64, f64), b: (f64, f64)) -> f64 {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let length2 = dx * dx + dy * dy;
    let t = if length2 == 0.0 {
        0.0
    } else {
        (((p.0 - a.0) * dx + (p.1 - a.1) * dy) / length2).clamp(0.0, 1.0)
    };
    let (cx, cy) = (a.0 + t * dx, a.1 + t * dy);
    ((p.0 - cx).powi(2) + (p.1 - cy).powi(2)).sqrt()
}

/// Checks one key image against pydicom's lines and raw values under a window; returns
/// how many grid pixels had a grey level strictly between black and white.
fn check_image(png: &Path, lines: &[Value], image: &Value, width: f64, center: f64) -> usize {
    let decoded = image::open(png)
        .unwrap_or_else(|e| panic!("{}: {e}", png.display()))
        .to_rgb8();
    assert_eq!(decoded.width() as u64, image["columns"].as_u64().unwrap());
    assert_eq!(decoded.height() as u64, image["rows"].as_u64().unwrap());
    let segments: Vec<((f64, f64), (f64, f64))> = lines
        .iter()
        .flat_map(|line| {
            let data: Vec<f64> = line["graphic_data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap())
                .collect();
            data.chunks_exact(2)
                .map(|p| (p[0], p[1]))
                .collect::<Vec<_>>()
                .windows(2)
                .map(|w| (w[0], w[1]))
                .collect::<Vec<_>>()
        })
        .collect();
    for &(a, b) in &segments {
        for step in 0..=200 {
            let t = f64::from(step) / 200.0;
            let (x, y) = (a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1));
            let pixel = decoded.get_pixel(x.floor() as u32, y.floor() as u32);
            assert_eq!(
                pixel.0,
                LINE,
                "{}: point ({x:.2}, {y:.2}) of the line {a:?}–{b:?} is not the line colour",
                png.display()
            );
        }
    }
    // The label sits right of the line's rightmost point, on its rows (±4 px with its
    // outline): grid pixels on rows within 8 of it, or within 2 px of a line, are skipped.
    let rightmost =
        segments
            .iter()
            .flat_map(|&(a, b)| [a, b])
            .fold((f64::NEG_INFINITY, 0.0), |best, p| {
                if p.0 > best.0 {
                    p
                } else {
                    best
                }
            });
    let (slope, intercept) = (
        image["slope"].as_f64().unwrap(),
        image["intercept"].as_f64().unwrap(),
    );
    let mut mid_grey = 0;
    let mut checked = 0;
    for cell in image["grid"].as_array().unwrap() {
        let (row, column, stored) = (
            cell[0].as_u64().unwrap() as u32,
            cell[1].as_u64().unwrap() as u32,
            cell[2].as_f64().unwrap(),
        );
        let centre = (f64::from(column) + 0.5, f64::from(row) + 0.5);
        let near_line = segments
            .iter()
            .any(|&(a, b)| distance_to_segment(centre, a, b) < 2.0);
        if near_line || (centre.1 - rightmost.1).abs() <= 8.0 {
            continue;
        }
        let hu = stored * slope + intercept;
        let grey = windowed_by_hand(hu, width, center);
        assert_eq!(
            decoded.get_pixel(column, row).0,
            [grey; 3],
            "{}: pixel (column {column}, row {row}): stored {stored} → {hu} HU → grey {grey} \
             under W{width}/L{center}",
            png.display()
        );
        checked += 1;
        if grey > 0 && grey < 255 {
            mid_grey += 1;
        }
    }
    assert!(
        checked > 100,
        "{}: only {checked} pixels checked",
        png.display()
    );
    mid_grey
}

#[test]
fn a_key_image_per_target_lesion_and_timepoint_with_the_line_where_the_sr_says() {
    let dir = temp_dir("key-images");
    let out = run_sample(&dir);
    let peer = peer_reading();
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    let links = key_image_links(&html);

    let expected = expected_key_images();
    // Six subjects, eight reads; every read has targets at every visit.
    assert!(expected.len() > 40, "{} expected", expected.len());
    let mut pngs = Vec::new();
    walk_pngs(&out.join("key-images"), &mut pngs);
    assert_eq!(pngs.len(), expected.len(), "one PNG per measured target");
    assert_eq!(links.len(), expected.len(), "one link per key image");

    let mut mid_grey = 0;
    for (subject, reader, timepoint, lesion) in &expected {
        // The reader's name has a `^` (not kept in file names): its folder starts with the
        // name's other characters.
        let reader_prefix = reader.replace('^', "_");
        let link = links
            .iter()
            .find(|l| {
                l.starts_with(&format!("key-images/{subject}/{reader_prefix}"))
                    && l.ends_with(&format!("/{timepoint}-{lesion}.png"))
            })
            .unwrap_or_else(|| panic!("no link for {subject} {reader} {timepoint} {lesion}"));
        let png = out.join(link);
        assert!(png.is_file(), "{} is linked but missing", png.display());
        let lines = peer["lines"][format!("{subject}/{timepoint}/{lesion}")]
            .as_array()
            .unwrap_or_else(|| panic!("pydicom found no line for {subject} {timepoint} {lesion}"));
        let image_uid = lines[0]["referenced_sop_instance_uid"].as_str().unwrap();
        let image = &peer["images"][image_uid];
        assert!(image.is_object(), "pydicom found no CT {image_uid}");
        // The default CT window: soft tissue, W400/L40.
        mid_grey += check_image(&png, lines, image, 400.0, 40.0);
    }
    assert!(
        mid_grey > 100,
        "the windowed checks hit soft tissue ({mid_grey})"
    );
    // The page lists no key-image problem.
    assert!(!html.contains("key_image_unavailable"));

    // `oncoread report` with another window (lung: W1500/L-600) from the run's outputs.
    let again = dir.join("report");
    let output = oncoread(&[
        "report",
        out.join("assessment.json").to_str().unwrap(),
        "--timeline",
        out.join("timeline.json").to_str().unwrap(),
        "--out",
        again.to_str().unwrap(),
        "--format",
        "key-images",
        "--ct-window",
        "1500,-600",
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let (subject, reader, timepoint, lesion) = &expected[0];
    let link = links
        .iter()
        .find(|l| {
            l.starts_with(&format!(
                "key-images/{subject}/{}",
                reader.replace('^', "_")
            )) && l.ends_with(&format!("/{timepoint}-{lesion}.png"))
        })
        .unwrap();
    let lines = peer["lines"][format!("{subject}/{timepoint}/{lesion}")]
        .as_array()
        .unwrap();
    let image = &peer["images"][lines[0]["referenced_sop_instance_uid"].as_str().unwrap()];
    let lung_mid_grey = check_image(&again.join(link), lines, image, 1500.0, -600.0);
    assert!(lung_mid_grey > 10, "{lung_mid_grey}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn key_images_without_lines_are_problems_not_silence() {
    // The CSV timeline has no DICOM sources: every measured target is a listed problem.
    let dir = temp_dir("key-images-csv");
    let assessment = dir.join("assessment.json");
    let output = oncoread(&[
        "assess",
        "fixtures/sample-timeline.csv",
        "--criteria",
        "recist1.1",
        "-o",
        assessment.to_str().unwrap(),
    ]);
    assert!(output.status.success());
    let out = dir.join("out");
    let output = oncoread(&[
        "report",
        assessment.to_str().unwrap(),
        "--timeline",
        "fixtures/sample-timeline.csv",
        "--out",
        out.to_str().unwrap(),
        "--format",
        "csv,key-images",
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let problems = std::fs::read_to_string(out.join("problems.csv")).unwrap();
    let rows = problems
        .lines()
        .filter(|l| l.contains("key_image_unavailable"))
        .count();
    assert!(rows > 0, "{problems}");
    assert!(problems.contains("source.measurement_lines: no measurement line"));
    assert_eq!(
        stderr.matches("problem: key image of subject").count(),
        rows,
        "{stderr}"
    );
    assert!(!out.join("key-images").exists());

    // Without --timeline there is nothing to draw: a usage error (status 2).
    let output = oncoread(&[
        "report",
        assessment.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--format",
        "key-images",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("key-images needs --timeline"));
    let _ = std::fs::remove_dir_all(&dir);
}

fn walk_pngs(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            walk_pngs(&path, out);
        } else if path.extension().is_some_and(|e| e == "png") {
            out.push(path);
        }
    }
}
