//! `generate` on a tiny trial, read back with the project's own DICOM readers (the header
//! reader behind `scan`, dicom-object behind the SR reader). Expected values are derived
//! by hand from the documented geometry: field of view 360 mm, 5 mm slices, first pixel
//! centre at −180 + spacing / 2.

use oncoread_dicom::header::read_header;
use oncoread_dicom::sr::{read_sr, Quantity};
use oncoread_synth::{generate, SynthOptions, TRUTH_FILE};
use std::path::PathBuf;

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("oncoread-synth-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn a_tiny_trial_reads_back_with_the_documented_geometry() {
    let out = temp_dir("tiny");
    let options = SynthOptions {
        subjects: 2,
        timepoints: 2,
        seed: 3,
        slices: 4,
        matrix: 32,
    };
    let summary = generate(&out, &options).unwrap();
    // 2 subjects × 2 visits × 4 slices; one SR per visit, plus the second reader of
    // subject index 1 (every 4th subject from index 1) at both visits.
    assert_eq!(summary.ct_files, 16);
    assert_eq!(summary.sr_files, 6);
    assert!(out.join(TRUTH_FILE).exists());

    // The first follow-up is "01-W6" or "01-W8" (the seed picks the interval).
    let follow_up = std::fs::read_dir(out.join("SUBJ-002"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with("01-W"))
        .unwrap();
    let visit = follow_up.join("CT");
    let first = read_header(&visit.join("CT0001.dcm")).unwrap();
    let second = read_header(&visit.join("CT0002.dcm")).unwrap();
    assert_eq!(
        first.transfer_syntax_uid.as_deref(),
        Some("1.2.840.10008.1.2.1")
    );
    assert_eq!(first.modality.as_deref(), Some("CT"));
    assert_eq!((first.rows, first.columns), (Some(32), Some(32)));
    // 360 mm / 32 px = 11.25 mm; first pixel centre at −180 + 5.625 = −174.375 mm.
    assert_eq!(first.pixel_spacing, Some([11.25, 11.25]));
    let [x, y, z1] = first.image_position_patient.unwrap();
    assert_eq!((x, y), (-174.375, -174.375));
    let z2 = second.image_position_patient.unwrap()[2];
    assert_eq!(z1 - z2, 5.0);
    assert_eq!(first.slice_thickness, Some(5.0));
    assert_eq!(
        first.image_orientation_patient,
        Some([1.0, 0.0, 0.0, 0.0, 1.0, 0.0])
    );
    assert_eq!(first.clinical_trial_subject_id.as_deref(), Some("SUBJ-002"));
    assert_eq!(first.clinical_trial_protocol_id.as_deref(), Some("SYN-3"));
    assert_eq!(first.study_date, first.acquisition_date);
    assert!(first.sop_instance_uid.unwrap().starts_with("2.25."));

    // Subject index 1 is the pseudo-progressor: at baseline T1, T2 (targets) and NT1.
    let sr = read_sr(
        &out.join("SUBJ-002")
            .join("00-BL")
            .join("SR")
            .join("reader1.dcm"),
    )
    .unwrap();
    assert!(sr.is_tid1500, "{:?}", sr.not_tid1500_reason);
    assert!(sr.problems.is_empty(), "{:?}", sr.problems);
    let mut labels: Vec<&str> = sr
        .groups
        .iter()
        .filter_map(|g| g.tracking_identifier.as_deref())
        .collect();
    labels.sort_unstable();
    assert_eq!(labels, ["NT1", "T1", "T2"]);
    for group in sr
        .groups
        .iter()
        .filter(|g| g.tracking_identifier.as_deref() != Some("NT1"))
    {
        let quantities: Vec<Quantity> = group.measurements.iter().map(|m| m.quantity).collect();
        assert_eq!(quantities, [Quantity::LongAxis, Quantity::ShortAxis]);
        assert!(group.measurements.iter().all(|m| m.scoord.is_some()));
    }
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn bad_options_are_refused_before_writing() {
    let out = temp_dir("bad");
    let options = SynthOptions {
        matrix: 8,
        ..SynthOptions::default()
    };
    let error = generate(&out, &options).unwrap_err();
    assert!(error.to_string().contains("--matrix"), "{error}");
    assert!(!out.exists());
}
