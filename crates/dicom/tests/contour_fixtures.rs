//! RTSTRUCT and GSPS lengths against the fixtures' recorded geometry.
//!
//! - `rt/pydicom_rtstruct.dcm` (fixtures/real/MANIFEST.md §5): ROI "patient" is three
//!   CLOSED_PLANAR rectangles x ∈ [−200, 200], y ∈ [−150, 150] mm at z = −200, −190, −180
//!   (Contour Data as pydicom prints it); ROIs "Isocenter 1/2" are single POINTs.
//! - `generated/highdicom-longitudinal/T0/other/gsps_T0_TL1_lines.dcm` (MANIFEST.md §7.1):
//!   two POLYLINEs in PIXEL units = TL1's 40 mm long axis and 30 mm short axis on slice
//!   02 (Pixel Spacing 0.810547 mm), text "TL1 40.0 x 30.0 mm".

use std::path::{Path, PathBuf};

use oncoread_dicom::header::read_header;
use oncoread_dicom::measure::gsps::read_gsps;
use oncoread_dicom::measure::rtstruct::measure_rtstruct;

fn real(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/real")
        .join(path)
}

#[test]
fn rtstruct_rectangles_give_the_3_4_5_diagonal_and_slab_volume() {
    let m = measure_rtstruct(&real("rt/pydicom_rtstruct.dcm")).expect("measured");
    let roi = m.roi("patient").expect("ROI patient");
    // Longest in-plane diameter: the 400 × 300 rectangle's diagonal, √(400² + 300²) = 500.
    assert!((roi.longest_mm - 500.0).abs() < 1e-6, "{}", roi.longest_mm);
    // Longest chord at right angles to the diagonal: from a corner along (−3, 4)/5 until
    // the opposite side, 300 / (4/5) = 375.
    assert!(
        (roi.perpendicular_mm - 375.0).abs() < 1e-6,
        "{}",
        roi.perpendicular_mm
    );
    // Three planes 10 mm apart, each 400 × 300 = 120 000 mm²: 3 × 120 000 × 10.
    assert_eq!(roi.planes.len(), 3);
    let volume = roi.volume_mm3.expect("volume");
    assert!((volume - 3_600_000.0).abs() < 1e-3, "{volume}");
    // The two isocentres are POINT ROIs: reported, not measured, not dropped.
    assert_eq!(m.rois.len(), 1);
    assert_eq!(m.problems.len(), 2, "{:?}", m.problems);
    assert!(m.problems[0].contains("Isocenter 1") && m.problems[0].contains("POINT"));
}

#[test]
fn gsps_rulers_measure_the_manifest_lengths_through_the_image_spacing() {
    let set = "generated/highdicom-longitudinal/T0";
    let gsps = read_gsps(&real(&format!("{set}/other/gsps_T0_TL1_lines.dcm"))).expect("read");
    assert!(gsps.problems.is_empty(), "{:?}", gsps.problems);
    assert_eq!(gsps.lines.len(), 2);
    let image = read_header(&real(&format!("{set}/ct/02.dcm"))).expect("slice 02");
    for line in &gsps.lines {
        assert_eq!(
            line.referenced_sop_instance_uids,
            vec![image.sop_instance_uid.clone().expect("uid")]
        );
        assert_eq!(line.lesion_label(), Some("TL1"));
    }
    let spacing = image.pixel_spacing.expect("spacing");
    let lengths: Vec<f64> = gsps
        .lines
        .iter()
        .map(|l| l.length_mm(spacing).expect("a length"))
        .collect();
    assert!((lengths[0] - 40.0).abs() < 0.01, "{lengths:?}");
    assert!((lengths[1] - 30.0).abs() < 0.01, "{lengths:?}");
}

#[test]
fn wrong_classes_are_errors_naming_file_and_field() {
    let ct = real("ct/pydicom_CT_small.dcm");
    for error in [
        measure_rtstruct(&ct).expect_err("not RT").to_string(),
        read_gsps(&ct).expect_err("not GSPS").to_string(),
    ] {
        assert!(
            error.contains("pydicom_CT_small.dcm") && error.contains("SOP Class UID"),
            "{error}"
        );
    }
}
