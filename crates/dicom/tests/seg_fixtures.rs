//! SEG measurements against reference values for every real SEG fixture.
//!
//! Longest in-plane diameters, the frame they are on and pixel counts come from
//! `fixtures/real/MANIFEST.md` §2 and the independent script behind it
//! (`shared/tools/seg_diameters.py`, pydicom + numpy: the largest distance between mask
//! pixel centres per frame), run on these files; the label map (which that script skips)
//! was run through the same method with mask = pixel value 1. Volumes are the reference
//! pixel count × row spacing × column spacing × Slice Thickness as the headers record
//! them (pydicom dump), and for the QIN head-and-neck PET segment also dcmqi's own
//! volume in the SR that references it (33.58 ml).

use std::path::{Path, PathBuf};

use oncoread_dicom::measure::seg::{measure_seg, SegmentationType};

fn seg(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/real/seg")
        .join(name)
}

struct Expected {
    file: &'static str,
    kind: SegmentationType,
    segment: u16,
    longest_mm: f64,
    largest_frame: u32,
    pixels: u64,
    /// [row spacing, column spacing, slice thickness] from the header.
    voxel: [f64; 3],
}

const PET_VOXEL: [f64; 3] = [3.537818, 3.537818, 3.375];
const HD_VOXEL: [f64; 3] = [0.488281, 0.488281, 1.25];

const EXPECTED: &[Expected] = &[
    Expected {
        file: "dcmqi_seg_pet_qin-headneck.dcm",
        kind: SegmentationType::Binary,
        segment: 1,
        longest_mm: 40.34,
        largest_frame: 10,
        pixels: 795,
        voxel: PET_VOXEL,
    },
    Expected {
        file: "dcmqi_seg_liver_ct-3slice.dcm",
        kind: SegmentationType::Binary,
        segment: 1,
        longest_mm: 239.20,
        largest_frame: 1,
        pixels: 107_098,
        voxel: [0.810547, 0.810547, 1.0],
    },
    Expected {
        file: "dcmqi_seg_sparse_labelmap_noppv.dcm",
        kind: SegmentationType::LabelMap,
        segment: 1,
        longest_mm: 13.8946,
        largest_frame: 1,
        pixels: 630,
        voxel: [0.7, 0.7, 2.5],
    },
    Expected {
        file: "dcmjs_qiicr_seg_tumor_User1_Manual_Trial1.dcm",
        kind: SegmentationType::Binary,
        segment: 1,
        longest_mm: 15.82,
        largest_frame: 3,
        pixels: 54,
        voxel: PET_VOXEL,
    },
    Expected {
        file: "dcmjs_qiicr_seg_tumor_User1_Manual_Trial1.dcm",
        kind: SegmentationType::Binary,
        segment: 2,
        longest_mm: 25.51,
        largest_frame: 9,
        pixels: 212,
        voxel: PET_VOXEL,
    },
    Expected {
        file: "highdicom_seg_ct_binary.dcm",
        kind: SegmentationType::Binary,
        segment: 1,
        longest_mm: 10.36,
        largest_frame: 2,
        pixels: 638,
        voxel: HD_VOXEL,
    },
    Expected {
        file: "highdicom_seg_ct_binary_fractional.dcm",
        kind: SegmentationType::Fractional,
        segment: 1,
        longest_mm: 10.36,
        largest_frame: 2,
        pixels: 638,
        voxel: HD_VOXEL,
    },
    Expected {
        file: "highdicom_seg_ct_binary_overlap.dcm",
        kind: SegmentationType::Binary,
        segment: 1,
        longest_mm: 2.07,
        largest_frame: 1,
        pixels: 64,
        voxel: HD_VOXEL,
    },
    Expected {
        file: "highdicom_seg_ct_binary_overlap.dcm",
        kind: SegmentationType::Binary,
        segment: 2,
        longest_mm: 0.69,
        largest_frame: 5,
        pixels: 16,
        voxel: HD_VOXEL,
    },
    Expected {
        file: "highdicom_seg_ct_binary_single_frame.dcm",
        kind: SegmentationType::Binary,
        segment: 1,
        longest_mm: 73.18,
        largest_frame: 1,
        pixels: 1832,
        voxel: [0.661468, 0.661468, 5.0],
    },
];

#[test]
fn every_seg_fixture_matches_its_reference_diameter_pixels_and_volume() {
    for e in EXPECTED {
        let m = measure_seg(&seg(e.file)).unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(m.segmentation_type, e.kind, "{}", e.file);
        assert!(m.problems.is_empty(), "{}: {:?}", e.file, m.problems);
        let s = m
            .segment(e.segment)
            .unwrap_or_else(|| panic!("{}: segment {} not measured", e.file, e.segment));
        let half_pixel = e.voxel[0] / 2.0;
        // The references are rounded to 0.01 mm (4 decimals for the label map).
        assert!(
            (s.longest_mm - e.longest_mm).abs() <= 0.005_f64.min(half_pixel),
            "{} segment {}: longest {} mm, reference {} mm",
            e.file,
            e.segment,
            s.longest_mm,
            e.longest_mm
        );
        assert_eq!(
            s.slices[s.largest_slice].frame_number, e.largest_frame,
            "{}",
            e.file
        );
        assert_eq!(s.pixel_count, e.pixels, "{} segment {}", e.file, e.segment);
        let volume = e.pixels as f64 * e.voxel[0] * e.voxel[1] * e.voxel[2];
        let got = s.volume_mm3.expect("a volume");
        assert!(
            (got - volume).abs() < 1e-6 * volume,
            "{}: volume {got} != {volume}",
            e.file
        );
        // Within half a pixel: the perpendicular diameter is never longer than the longest.
        assert!(s.perpendicular_mm <= s.longest_mm + 1e-9);
    }
}

#[test]
fn pet_segment_volume_equals_dcmqi_reported_volume() {
    // dcmqi's SR (sr-example) reports 33.58 ml for this segment; half a voxel is
    // 0.5 × 3.537818² × 3.375 ≈ 21 mm³.
    let m = measure_seg(&seg("dcmqi_seg_pet_qin-headneck.dcm")).expect("measured");
    let volume = m.segment(1).and_then(|s| s.volume_mm3).expect("volume");
    assert!((volume - 33_580.0).abs() < 21.0, "{volume}");
}

#[test]
fn overlapping_segments_are_measured_on_the_same_source_images() {
    // Both segments of the overlap fixture cover the same four CT frames (frames 1–4 for
    // segment 1, 5–8 for segment 2, same Source Image UIDs in the same order).
    let m = measure_seg(&seg("highdicom_seg_ct_binary_overlap.dcm")).expect("measured");
    let sources = |n: u16| -> Vec<Option<String>> {
        m.segment(n)
            .expect("segment")
            .slices
            .iter()
            .map(|s| s.source_sop_instance_uid.clone())
            .collect()
    };
    assert_eq!(sources(1).len(), 4);
    assert_eq!(sources(1), sources(2));
}

#[test]
fn a_file_that_is_not_a_seg_is_an_error_naming_file_and_field() {
    let ct =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/real/ct/pydicom_CT_small.dcm");
    let error = measure_seg(&ct).expect_err("not a SEG").to_string();
    assert!(error.contains("pydicom_CT_small.dcm"), "{error}");
    assert!(error.contains("SOP Class UID"), "{error}");
}
