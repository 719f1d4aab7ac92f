//! `oncoread extract` fills lesion values from pixels: sizes a TID 1411 report left out
//! come from its SEG (marked as derived), and a SEG on CT gives the lesion's mean HU.

mod common;

use common::{oncoread, repo, temp_dir};

use serde_json::Value;
use std::path::Path;

fn extract(input: &Path, name: &str) -> Value {
    let dir = temp_dir(name);
    let index = dir.join("index.sqlite");
    let out = dir.join("timeline.json");
    let output = oncoread(&[
        "extract",
        input.to_str().unwrap(),
        "--index",
        index.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "extract failed: {stderr}");
    serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap()
}

fn lesions(timeline: &Value) -> Vec<&Value> {
    timeline["subjects"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["timepoints"].as_array().unwrap())
        .flat_map(|t| t["lesions"].as_array().unwrap())
        .collect()
}

#[test]
fn missing_diameters_of_a_tid1411_lesion_come_from_its_seg_and_are_marked_derived() {
    // dcmqi's PET report records only the volume (33.5824 ml) of its segment; the SEG it
    // references is fixtures/real/seg/dcmqi_seg_pet_qin-headneck.dcm, whose longest
    // in-plane diameter is 40.34 mm (MANIFEST.md §2, independent script; pixel 3.5378 mm).
    let input = temp_dir("pixels-pet-input");
    let real = repo().join("fixtures/real");
    for file in [
        "sr/dcmqi_tid1500_pet_suv_qin-headneck.dcm",
        "seg/dcmqi_seg_pet_qin-headneck.dcm",
    ] {
        let name = Path::new(file).file_name().unwrap();
        std::fs::copy(real.join(file), input.join(name)).unwrap();
    }
    let timeline = extract(&input, "pixels-pet");
    let all = lesions(&timeline);
    assert_eq!(all.len(), 1, "{timeline:#}");
    let lesion = all[0];
    let long = lesion["long_axis_mm"].as_f64().expect("long axis filled");
    assert!(
        (long - 40.34).abs() <= 3.5378 / 2.0 && (long - 40.34).abs() < 0.01,
        "{long}"
    );
    let short = lesion["short_axis_mm"].as_f64().expect("short axis filled");
    assert!(short > 0.0 && short <= long, "{short}");
    // The recorded volume is kept, not replaced.
    assert!((lesion["volume_mm3"].as_f64().unwrap() - 33_582.4).abs() < 0.1);
    let derived: Vec<&str> = lesion["source"]["derived"]
        .as_array()
        .expect("derived fields listed")
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(derived, ["long_axis_mm", "short_axis_mm"]);
    assert!(lesion["source"]["derived_from"]
        .as_str()
        .unwrap()
        .contains("dcmqi_seg_pet_qin-headneck.dcm"));
}

#[test]
fn a_seg_on_ct_gives_each_lesion_its_mean_hu() {
    // dcmqi-longitudinal T0: lesion-A is segment 1 (liver mask), lesion-B segment 2
    // (spine mask) of seg.dcm over the three CT slices. Reference means by pydicom + numpy
    // (HU = pixel × Rescale Slope + Intercept over the frame's mask on its Source Image):
    // segment 1: 37.3289 HU over 107 098 pixels; segment 2: 327.5400 HU over 12 439.
    let input = repo().join("fixtures/real/generated/dcmqi-longitudinal/T0");
    let timeline = extract(&input, "pixels-ct");
    let by_uid = |uid: &str| {
        lesions(&timeline)
            .into_iter()
            .find(|l| l["lesion_id"] == uid)
            .unwrap_or_else(|| panic!("lesion {uid}"))
            .clone()
    };
    let a = by_uid("2.25.164170341635263785409987480862134937925");
    let b = by_uid("2.25.74743966281473812956879911619668708396");
    let hu = |l: &Value| l["mean_hu"].as_f64().expect("mean_hu");
    assert!((hu(&a) - 37.3289).abs() < 0.001, "{}", hu(&a));
    assert!((hu(&b) - 327.5400).abs() < 0.001, "{}", hu(&b));
    assert_eq!(a["source"]["derived"], serde_json::json!(["mean_hu"]));
}

#[test]
fn a_circle_roi_on_ct_gives_the_lesion_its_mean_hu() {
    // highdicom's planar ROI report outlines a CIRCLE, centre (58, 52), edge (58, 41):
    // radius 11 px on CT_small (MANIFEST.md §1, §3). Reference by pydicom + numpy: pixels
    // whose centres (c + 0.5, r + 0.5) lie within the circle, HU = pixel × 1 − 1024:
    // 384 pixels, mean 72.1745 HU.
    let input = temp_dir("pixels-roi-input");
    let real = repo().join("fixtures/real");
    for file in [
        "sr/highdicom_tid1500_planar_roi_circle.dcm",
        "ct/pydicom_CT_small.dcm",
    ] {
        let name = Path::new(file).file_name().unwrap();
        std::fs::copy(real.join(file), input.join(name)).unwrap();
    }
    let timeline = extract(&input, "pixels-roi");
    let with_hu: Vec<&Value> = lesions(&timeline)
        .into_iter()
        .filter(|l| l["mean_hu"].is_number())
        .collect();
    assert_eq!(with_hu.len(), 1, "{timeline:#}");
    let hu = with_hu[0]["mean_hu"].as_f64().unwrap();
    assert!((hu - 72.1745).abs() < 0.001, "{hu}");
    assert_eq!(
        with_hu[0]["source"]["derived"],
        serde_json::json!(["mean_hu"])
    );
}
