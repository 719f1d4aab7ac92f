//! `oncoread extract` uses the objects no report references: GSPS rulers and RTSTRUCT
//! ROIs give lesions the values their reports left out, and an RTSTRUCT "Liver
//! reference" on PET gives the timepoint its liver SUL mean and SD, which PERCIST then
//! uses to judge measurability.
//!
//! Inputs other than the highdicom-longitudinal fixture are written by
//! tests/peers/write_pixel_wiring_inputs.py with pydicom (ONCOREAD_PYTHON; scripts/test
//! installs it into target/test-venv).

mod common;

use common::{oncoread, repo, temp_dir};

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Pixel Spacing of the highdicom-longitudinal CT (MANIFEST.md §3, §7.1).
const LONGITUDINAL_PIXEL_MM: f64 = 0.810547;

fn write_inputs(kind: &str, extra: &[&str]) -> PathBuf {
    let python = std::env::var("ONCOREAD_PYTHON").unwrap_or_else(|_| {
        panic!("ONCOREAD_PYTHON is not set: run scripts/test (it installs pydicom into target/test-venv)")
    });
    let out = temp_dir(&format!("wiring-{kind}")).join("input");
    let made = Command::new(&python)
        .arg(repo().join("tests/peers/write_pixel_wiring_inputs.py"))
        .arg(kind)
        .arg(&out)
        .args(extra)
        .output()
        .expect("the Python of ONCOREAD_PYTHON runs");
    assert!(
        made.status.success(),
        "writing the {kind} inputs failed (pydicom and numpy are needed; scripts/test installs them): {}",
        String::from_utf8_lossy(&made.stderr)
    );
    out
}

fn extract(input: &Path, name: &str) -> (Value, PathBuf) {
    let dir = temp_dir(name);
    let out = dir.join("timeline.json");
    let output = oncoread(&[
        "extract",
        input.to_str().unwrap(),
        "--index",
        dir.join("index.sqlite").to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(
        output.status.success(),
        "extract failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    (
        serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap(),
        out,
    )
}

fn lesion<'t>(timeline: &'t Value, label: &str) -> &'t Value {
    timeline["subjects"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["timepoints"].as_array().unwrap())
        .flat_map(|t| t["lesions"].as_array().unwrap())
        .find(|l| l["label"] == label)
        .unwrap_or_else(|| panic!("no lesion {label}: {timeline:#}"))
}

fn problems_of<'t>(timeline: &'t Value, prefix: &str) -> Vec<&'t Value> {
    timeline["problems"]
        .as_array()
        .map(|all| {
            all.iter()
                .filter(|p| p["kind"].as_str().unwrap().starts_with(prefix))
                .collect()
        })
        .unwrap_or_default()
}

/// The CT slice of the T0 fixture on which its report measured TL1 (expected.json of the
/// highdicom longitudinal set).
const T0_TL1_SLICE_UID: &str = "2.25.322433019827830519707509453092519674765";

/// The problems of a synthetic study besides the one its reused T0 report must give: that
/// report still references the fixture's CT slice, which is not in the synthetic archive,
/// and the extractor rightly says so (`referenced_image_missing`).
fn problems_besides_the_fixture_slice(timeline: &Value) -> Vec<&Value> {
    let (expected, others): (Vec<&Value>, Vec<&Value>) =
        problems_of(timeline, "").into_iter().partition(|p| {
            p["kind"] == "referenced_image_missing"
                && p["message"]
                    .as_str()
                    .is_some_and(|m| m.contains(T0_TL1_SLICE_UID))
        });
    assert_eq!(expected.len(), 1, "{expected:?}");
    others
}

fn derived(lesion: &Value) -> Vec<&str> {
    lesion["source"]["derived"]
        .as_array()
        .map(|a| a.iter().map(|v| v.as_str().unwrap()).collect())
        .unwrap_or_default()
}

fn number(value: &Value, what: &str) -> f64 {
    value
        .as_f64()
        .unwrap_or_else(|| panic!("{what} is not a number: {value}"))
}

#[test]
fn a_gsps_ruler_that_agrees_with_the_report_changes_nothing() {
    // MANIFEST §7.1: the T0 report records TL1 ("Target lesion 1") 40 × 30 mm; the GSPS
    // draws the same two lines, text "TL1 40.0 x 30.0 mm".
    let input = repo().join("fixtures/real/generated/highdicom-longitudinal/T0");
    let (timeline, _) = extract(&input, "wiring-gsps-agrees");
    assert_eq!(problems_of(&timeline, "gsps"), Vec::<&Value>::new());
    let tl1 = lesion(&timeline, "Target lesion 1");
    assert_eq!(tl1["long_axis_mm"], 40.0);
    assert_eq!(tl1["short_axis_mm"], 30.0);
    assert_eq!(derived(tl1), Vec::<&str>::new());
}

#[test]
fn a_gsps_ruler_fills_the_axis_the_report_left_out() {
    // The report without TL1's long axis (its Image Region made a point, so no line is
    // left to measure): the GSPS's longest line gives 40.0 mm within one pixel; the
    // report's 30 mm short axis stays.
    let input = write_inputs("sr-without-long", &[]);
    let (timeline, _) = extract(&input, "wiring-gsps-long");
    let tl1 = lesion(&timeline, "Target lesion 1");
    let long = number(&tl1["long_axis_mm"], "long axis");
    assert!((long - 40.0).abs() <= LONGITUDINAL_PIXEL_MM / 2.0, "{long}");
    assert_eq!(tl1["short_axis_mm"], 30.0);
    assert_eq!(derived(tl1), ["long_axis_mm"]);
    let from = tl1["source"]["derived_sources"]["long_axis_mm"]
        .as_str()
        .unwrap();
    assert!(from.contains("gsps_T0_TL1_lines.dcm"), "{from}");
    assert_eq!(problems_of(&timeline, "gsps"), Vec::<&Value>::new());

    // Without the short axis: the line at a right angle to the long one, 30.0 mm.
    let input = write_inputs("sr-without-short", &[]);
    let (timeline, _) = extract(&input, "wiring-gsps-short");
    let tl1 = lesion(&timeline, "Target lesion 1");
    let short = number(&tl1["short_axis_mm"], "short axis");
    assert!(
        (short - 30.0).abs() <= LONGITUDINAL_PIXEL_MM / 2.0,
        "{short}"
    );
    assert_eq!(tl1["long_axis_mm"], 40.0);
    assert_eq!(derived(tl1), ["short_axis_mm"]);
}

#[test]
fn a_gsps_ruler_that_disagrees_or_is_in_display_units_is_a_problem() {
    // The report says 45 mm, the ruler 40 mm: the report's value is kept and the problem
    // names both files.
    let input = write_inputs("sr-long-45", &[]);
    let (timeline, _) = extract(&input, "wiring-gsps-45");
    assert_eq!(lesion(&timeline, "Target lesion 1")["long_axis_mm"], 45.0);
    let mismatch = problems_of(&timeline, "gsps_measurement_mismatch");
    assert_eq!(mismatch.len(), 1, "{:#}", timeline["problems"]);
    let message = mismatch[0]["message"].as_str().unwrap();
    assert!(
        message.contains("gsps_T0_TL1_lines.dcm") && message.contains("sr_T0_baseline.dcm"),
        "{message}"
    );

    // DISPLAY units are fractions of the screen: no length, a problem per graphic naming
    // the file, and the report's values untouched.
    let input = write_inputs("gsps-display", &[]);
    let (timeline, _) = extract(&input, "wiring-gsps-display");
    let display = problems_of(&timeline, "gsps_graphic_not_measured");
    assert_eq!(display.len(), 2, "{:#}", timeline["problems"]);
    for problem in display {
        assert!(problem["path"]
            .as_str()
            .unwrap()
            .ends_with("gsps_T0_TL1_lines.dcm"));
        assert!(problem["message"].as_str().unwrap().contains("DISPLAY"));
    }
    let tl1 = lesion(&timeline, "Target lesion 1");
    assert_eq!(
        (&tl1["long_axis_mm"], &tl1["short_axis_mm"]),
        (&40.0.into(), &30.0.into())
    );
}

#[test]
fn an_rtstruct_roi_on_ct_gives_the_lesion_its_diameters_and_mean_hu() {
    // Three CT slices, 1 mm pixels: 0 HU with a 40 HU disk of radius 10 mm. ROI "TL1" is
    // a regular 64-gon of radius 10 mm inscribed in the disk's circle, so every pixel
    // centre inside it is 40 HU. Its longest diameter joins opposite vertices: 2 × 10 =
    // 20 mm; 64 is a multiple of 4, so the perpendicular one does too: 20 mm. The report
    // names TL1 with only a volume (1000 mm³), which stays.
    let input = write_inputs("ct-disk", &[]);
    let (timeline, _) = extract(&input, "wiring-rt-ct");
    let tl1 = lesion(&timeline, "Target lesion 1");
    let hu = number(&tl1["mean_hu"], "mean_hu");
    assert!((hu - 40.0).abs() <= 0.5, "{hu}");
    let long = number(&tl1["long_axis_mm"], "long axis");
    let short = number(&tl1["short_axis_mm"], "short axis");
    assert!((long - 20.0).abs() < 1e-6, "{long}");
    assert!((short - 20.0).abs() < 1e-6, "{short}");
    assert_eq!(tl1["volume_mm3"], 1000.0);
    assert_eq!(derived(tl1), ["long_axis_mm", "short_axis_mm", "mean_hu"]);
    assert!(tl1["source"]["derived_from"]
        .as_str()
        .unwrap()
        .contains("rtstruct.dcm"));
    assert_eq!(
        problems_besides_the_fixture_slice(&timeline),
        Vec::<&Value>::new()
    );
}

/// SUL per Bq/ml of the synthetic PET, by hand: a man of 70 kg and 175 cm has a James
/// lean body mass of 1.10 × 70 − 128 × (70/175)² = 56.52 kg; 370 MBq injected at 09:00,
/// series (Decay Correction START) at 10:00, F-18 half-life 6586.2 s: the dose at the
/// series start is 370e6 × 2^(−3600 / 6586.2) Bq; SUL = value × LBM[g] / dose.
fn sul_per_bq_ml() -> f64 {
    let lbm_g = (1.10 * 70.0 - 128.0 * (70.0_f64 / 175.0).powi(2)) * 1000.0;
    let dose = 370e6 * 2f64.powf(-3600.0 / 6586.2);
    lbm_g / dose
}

/// Liver box of the synthetic PET: columns and rows 5..=9 on slices 1..=3, activity
/// 2000 + 300 × ((column + row + slice) mod 3) Bq/ml; mean and sample SD in SUL.
fn liver_by_hand() -> (f64, f64) {
    let mut values = Vec::new();
    for slice in 1..=3 {
        for row in 5..=9 {
            for column in 5..=9 {
                let bq = 2000.0 + 300.0 * ((column + row + slice) % 3) as f64;
                values.push(bq * sul_per_bq_ml());
            }
        }
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let sd = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    (mean, sd)
}

fn assess_percist(timeline: &Path) -> Value {
    let out = timeline.with_file_name("assessment.json");
    let output = oncoread(&[
        "assess",
        timeline.to_str().unwrap(),
        "--criteria",
        "percist",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(
        output.status.success(),
        "assess failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap()
}

fn baseline_rules(assessment: &Value) -> Vec<String> {
    assessment["subjects"][0]["assessments"][0]["timepoints"][0]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["rule"].as_str().unwrap().to_string())
        .collect()
}

/// The first timepoint's liver SUL mean and SD equal the hand computation, and its source
/// names the liver reference object (`from`: part of its name or file).
fn assert_liver_reference_by_hand(timeline: &Value, from: &str) {
    let (mean, sd) = liver_by_hand();
    let timepoint = &timeline["subjects"][0]["timepoints"][0];
    let got_mean = number(&timepoint["liver_sul_mean"], "liver_sul_mean");
    let got_sd = number(&timepoint["liver_sul_sd"], "liver_sul_sd");
    assert!((got_mean - mean).abs() < 1e-9, "{got_mean} vs {mean}");
    assert!((got_sd - sd).abs() < 1e-9, "{got_sd} vs {sd}");
    let source = timepoint["source"]["liver_reference_from"].as_str();
    assert!(source.is_some_and(|s| s.contains(from)), "{source:?}");
}

#[test]
fn an_rtstruct_liver_reference_on_pet_gives_the_liver_sul_and_percist_uses_it() {
    // A hot lesion block (20 000 Bq/ml): its SUL peak is at least 10 of the 19 voxels of
    // the 1 cm³ sphere at 20 000, so above 1.5 × mean + 2 × SD → measurable.
    let input = write_inputs("pet-liver", &["20000"]);
    let (timeline, path) = extract(&input, "wiring-rt-pet-hot");
    assert_liver_reference_by_hand(&timeline, "Liver reference");
    let tl1 = lesion(&timeline, "Target lesion 1");
    assert!(tl1["sul_peak"].is_number(), "{tl1:#}");
    // The report's 40 × 30 mm stay; the ROI adds its volume: 4 × 4 pixels of 4 mm on 3
    // planes 4 mm apart = 16 × 16 × 3 × 4 = 3072 mm³.
    assert_eq!(tl1["long_axis_mm"], 40.0);
    assert_eq!(tl1["volume_mm3"], 3072.0);
    assert_eq!(derived(tl1), ["volume_mm3", "sul_peak"]);
    assert_eq!(
        baseline_rules(&assess_percist(&path)),
        ["percist.baseline.measurable"]
    );

    // A cold lesion (2500 Bq/ml, below 1.5 × the liver's 2300 mean): not measurable.
    let input = write_inputs("pet-liver", &["2500"]);
    let (timeline, path) = extract(&input, "wiring-rt-pet-cold");
    assert_liver_reference_by_hand(&timeline, "Liver reference");
    assert_eq!(
        baseline_rules(&assess_percist(&path)),
        ["percist.baseline.not_measurable"]
    );
}

#[test]
fn a_seg_liver_reference_segment_on_pet_gives_the_liver_sul() {
    // The same PET with the liver box as segment "Liver reference" of a highdicom SEG
    // (not referenced by the report): the same hand-computed mean and SD.
    let input = write_inputs("pet-liver-seg", &["20000"]);
    let (timeline, path) = extract(&input, "wiring-seg-pet");
    assert_liver_reference_by_hand(&timeline, "liver_seg.dcm");
    assert_eq!(
        problems_besides_the_fixture_slice(&timeline),
        Vec::<&Value>::new()
    );
    assert_eq!(
        baseline_rules(&assess_percist(&path)),
        ["percist.baseline.measurable"]
    );
}

#[test]
fn a_gsps_or_rtstruct_naming_no_known_lesion_is_a_problem_not_silence() {
    // The GSPS text "XYZ9 …" names none of the visit's lesions.
    let input = write_inputs("gsps-unknown", &[]);
    // pydicom's RT structure set (MANIFEST §5) outlines organs of another patient.
    std::fs::copy(
        repo().join("fixtures/real/rt/pydicom_rtstruct.dcm"),
        input.join("rtstruct.dcm"),
    )
    .unwrap();
    let (timeline, _) = extract(&input, "wiring-unknown");
    let unknown = problems_of(&timeline, "gsps_lesion_unknown");
    assert_eq!(unknown.len(), 1, "{:#}", timeline["problems"]);
    assert!(unknown[0]["message"].as_str().unwrap().contains("XYZ9"));
    let unused = problems_of(&timeline, "rtstruct_unused");
    assert_eq!(unused.len(), 1, "{:#}", timeline["problems"]);
    assert!(unused[0]["path"]
        .as_str()
        .unwrap()
        .ends_with("rtstruct.dcm"));
    let tl1 = lesion(&timeline, "Target lesion 1");
    assert_eq!(derived(tl1), Vec::<&str>::new());
}
