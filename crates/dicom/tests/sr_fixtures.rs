//! `read_sr` against the real SR files in `fixtures/real/`.
//!
//! Every expected value comes from `fixtures/real/MANIFEST.md` (cited by section) or from
//! `fixtures/real/generated/*/expected.json` (read at test time), never from the reader.

use std::path::{Path, PathBuf};

use dicom_dictionary_std::tags;
use dicom_object::OpenFileOptions;
use oncoread_dicom::geometry::polyline_length_mm;
use oncoread_dicom::sr::{
    read_sr, Code, Dimension, Measurement, MeasurementGroup, ObserverType, Quantity, SrDocument,
    SrError,
};
use serde_json::Value;

// ---------------------------------------------------------------------------------------
// helpers

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/real")
}

fn read(relative: &str) -> SrDocument {
    let path = fixtures().join(relative);
    read_sr(&path).unwrap_or_else(|e| panic!("{relative}: {e}"))
}

fn expected_json(set: &str) -> Value {
    let path = fixtures().join("generated").join(set).join("expected.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path:?}: {e}"))
}

/// SOP Instance UID of another fixture (to check references that MANIFEST says resolve).
fn sop_instance_uid_of(relative: &str) -> String {
    let obj = OpenFileOptions::new()
        .read_until(tags::PIXEL_DATA)
        .open_file(fixtures().join(relative))
        .unwrap_or_else(|e| panic!("{relative}: {e}"));
    let element = obj
        .element(tags::SOP_INSTANCE_UID)
        .unwrap_or_else(|e| panic!("{relative}: {e}"));
    let uid = element
        .to_str()
        .unwrap_or_else(|e| panic!("{relative}: {e}"));
    uid.trim_end_matches(['\0', ' ']).to_string()
}

fn group<'a>(doc: &'a SrDocument, tracking_identifier: &str) -> &'a MeasurementGroup {
    doc.groups
        .iter()
        .find(|g| g.tracking_identifier.as_deref() == Some(tracking_identifier))
        .unwrap_or_else(|| panic!("{}: no group {tracking_identifier:?}", doc.path))
}

fn groups_named<'a>(doc: &'a SrDocument, tracking_identifier: &str) -> Vec<&'a MeasurementGroup> {
    doc.groups
        .iter()
        .filter(|g| g.tracking_identifier.as_deref() == Some(tracking_identifier))
        .collect()
}

fn group_by_uid<'a>(doc: &'a SrDocument, uid: &str) -> &'a MeasurementGroup {
    doc.groups
        .iter()
        .find(|g| g.tracking_uid.as_deref() == Some(uid))
        .unwrap_or_else(|| panic!("{}: no group with tracking UID {uid}", doc.path))
}

fn measurement(group: &MeasurementGroup, quantity: Quantity) -> &Measurement {
    group
        .measurements
        .iter()
        .find(|m| m.quantity == quantity)
        .unwrap_or_else(|| {
            panic!(
                "{:?}: no {quantity:?} in {:?}",
                group.tracking_identifier, group.measurements
            )
        })
}

fn assert_close(actual: Option<f64>, expected: f64, tolerance: f64, what: &str) {
    let actual = actual.unwrap_or_else(|| panic!("{what}: no value, expected {expected}"));
    assert!(
        (actual - expected).abs() <= tolerance,
        "{what}: {actual} != {expected} (± {tolerance})"
    );
}

fn code<'a>(value: &'a str, scheme: &'a str) -> impl Fn(&Code) -> bool + 'a {
    move |c: &Code| c.is(scheme, value)
}

fn has_code(code_opt: Option<&Code>, value: &str, scheme: &str) -> bool {
    code_opt.is_some_and(code(value, scheme))
}

fn problems_of<'a>(doc: &'a SrDocument, kind: &str) -> Vec<&'a str> {
    doc.problems
        .iter()
        .filter(|p| p.kind == kind)
        .map(|p| p.message.as_str())
        .collect()
}

/// expected.json writes the TID 1410 polylines as a string "[c0, r0, c1, r1]".
fn polyline_from_text(text: &str) -> Vec<f64> {
    text.trim_matches(|c| c == '[' || c == ']')
        .split(',')
        .map(|v| v.trim().parse::<f64>().expect("number in polyline"))
        .collect()
}

/// expected.json writes the TID 1501 polylines as [[c, r], [c, r]].
fn polyline_from_pairs(value: &Value) -> Vec<f64> {
    value
        .as_array()
        .expect("point list")
        .iter()
        .flat_map(|p| p.as_array().expect("point").iter())
        .map(|v| v.as_f64().expect("coordinate"))
        .collect()
}

fn assert_polyline(actual: &[f32], expected: &[f64], what: &str) {
    assert_eq!(actual.len(), expected.len(), "{what}: point count");
    for (a, e) in actual.iter().zip(expected) {
        // Graphic Data is FL (f32); expected.json has the f64 the generator started from.
        assert!(
            (f64::from(*a) - e).abs() < 1e-3,
            "{what}: {actual:?} != {expected:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// fixtures/real/sr/ (MANIFEST.md §1)

#[test]
fn highdicom_multiple_groups() {
    // MANIFEST §1: 4 groups, SCT codes; refs resolved: CT_small.
    let doc = read("sr/highdicom_tid1500_multiple_groups.dcm");
    let ct_small = sop_instance_uid_of("ct/pydicom_CT_small.dcm");
    assert!(doc.is_tid1500, "{:?}", doc.not_tid1500_reason);
    assert_eq!(doc.sop_class_uid, "1.2.840.10008.5.1.4.1.1.88.34"); // Comprehensive 3D SR
    assert_eq!(doc.groups.len(), 4);

    // "LungNodule0001" Finding Nodule, site Lung, Diameter 10.0 mm, SCOORD CIRCLE.
    let nodule = group(&doc, "LungNodule0001");
    let diameter = measurement(nodule, Quantity::Diameter);
    assert!(diameter.concept.is("SCT", "81827009"));
    assert_eq!(diameter.dimension, Dimension::Length);
    assert_close(diameter.value_si_mm, 10.0, 1e-9, "nodule diameter");
    let roi = nodule.roi.as_ref().expect("nodule ROI");
    assert_eq!(roi.graphic_type, "CIRCLE");
    assert!(!roi.three_d);
    assert_eq!(roi.referenced_sop_instance_uid.as_deref(), Some(&*ct_small));
    assert!(nodule.referenced_sop_instance_uids.contains(&ct_small));

    // "Aorta0001" Diameter 20.0 mm, SCOORD POLYLINE (4 points).
    let aorta = group(&doc, "Aorta0001");
    assert_close(
        measurement(aorta, Quantity::Diameter).value_si_mm,
        20.0,
        1e-9,
        "aorta diameter",
    );
    let roi = aorta.roi.as_ref().expect("aorta ROI");
    assert_eq!(roi.graphic_type, "POLYLINE");
    assert_eq!(roi.data.len(), 4 * 2);

    // "Vertebra0001" Volume 200.0 mm3, SCOORD3D POINT "Volume Surface".
    let vertebra = group(&doc, "Vertebra0001");
    let volume = measurement(vertebra, Quantity::Volume);
    assert_eq!(volume.dimension, Dimension::Volume);
    assert_close(volume.value_si_mm, 200.0, 1e-9, "vertebra volume");
    let roi = vertebra.roi.as_ref().expect("vertebra ROI");
    assert!(roi.three_d);
    assert_eq!(roi.graphic_type, "POINT");
    assert_eq!(roi.data.len(), 3);
    assert!(roi.frame_of_reference_uid.is_some());

    // "Image0001" image-level NUM IBSI X6K6 mean −119.07 HU: not a size.
    let image = group(&doc, "Image0001");
    let mean = measurement(image, Quantity::Other);
    assert!(mean.concept.is("IBSI", "X6K6"));
    assert_close(mean.value, -119.07, 0.01, "mean HU");
    assert_eq!(mean.dimension, Dimension::Other);
    assert_eq!(mean.value_si_mm, None);
    assert!(image.referenced_sop_instance_uids.contains(&ct_small));
}

#[test]
fn highdicom_planar_roi_circle() {
    // MANIFEST §1: 1 TID 1410 group, ROI CIRCLE (58/52, 58/41) on CT 1CT1, NUM (G-A16A,
    // SRT) 1.7 cm2 with a per-NUM tracking UID; Person "Foo" + Device observer;
    // PARTIAL/UNVERIFIED/PRELIMINARY; refs resolved: CT_small.
    let doc = read("sr/highdicom_tid1500_planar_roi_circle.dcm");
    assert!(doc.is_tid1500);
    assert_eq!(doc.groups.len(), 1);
    let g = &doc.groups[0];
    let area = measurement(g, Quantity::Area);
    assert!(area.concept.is("SRT", "G-A16A"));
    assert_close(area.value, 1.7, 1e-9, "area as recorded");
    assert!(area.unit.as_ref().is_some_and(code("cm2", "UCUM")));
    assert_eq!(area.dimension, Dimension::Area);
    assert_close(area.value_si_mm, 170.0, 1e-9, "area in mm²");
    assert!(area.tracking_uid.is_some(), "per-NUM tracking UID");

    let roi = g.roi.as_ref().expect("ROI");
    assert_eq!(roi.graphic_type, "CIRCLE");
    assert_eq!(roi.data, vec![58.0, 52.0, 58.0, 41.0]);
    assert_eq!(
        roi.referenced_sop_instance_uid.as_deref(),
        Some(&*sop_instance_uid_of("ct/pydicom_CT_small.dcm"))
    );
    // Finding (T-A7010, SRT, spinal cord), Finding Site (T-D00F7, SRT) + topographical
    // modifier.
    assert!(has_code(g.finding.as_ref(), "T-A7010", "SRT"));
    assert!(has_code(g.finding_site.as_ref(), "T-D00F7", "SRT"));
    assert!(g.topographical_modifier.is_some());

    assert_eq!(doc.observers.len(), 2, "{:?}", doc.observers);
    assert_eq!(doc.observers[0].kind, ObserverType::Person);
    assert_eq!(doc.observers[0].name.as_deref(), Some("Foo"));
    assert_eq!(doc.observers[1].kind, ObserverType::Device);
    assert!(doc.observers[1].device_uid.is_some());
    assert_eq!(doc.completion_flag.as_deref(), Some("PARTIAL"));
    assert_eq!(doc.verification_flag.as_deref(), Some("UNVERIFIED"));
    assert_eq!(doc.preliminary_flag.as_deref(), Some("PRELIMINARY"));
}

#[test]
fn dcmjs_cornerstone_tools4() {
    // MANIFEST §1: Enhanced SR, 6 groups, one per annotation, Tracking Identifier = tool tag.
    let doc = read("sr/dcmjs_cornerstoneTools4_tid1500.dcm");
    assert!(doc.is_tid1500);
    assert_eq!(doc.sop_class_uid, "1.2.840.10008.5.1.4.1.1.88.22");
    assert_eq!(doc.groups.len(), 6);
    for g in &doc.groups {
        let id = g.tracking_identifier.as_deref().unwrap_or("");
        assert!(id.starts_with("cornerstoneTools@^4.0.0:"), "{id}");
    }

    // Bidirectional: Long Axis (G-A185, SRT) 93.9 mm, Short Axis (G-A186) 47.0 mm, each
    // with its own SCOORD POLYLINE (2 points).
    let bidirectional = group(&doc, "cornerstoneTools@^4.0.0:Bidirectional");
    let long = measurement(bidirectional, Quantity::LongAxis);
    let short = measurement(bidirectional, Quantity::ShortAxis);
    assert!(long.concept.is("SRT", "G-A185"));
    assert!(short.concept.is("SRT", "G-A186"));
    assert_close(long.value_si_mm, 93.9, 1e-9, "long axis");
    assert_close(short.value_si_mm, 47.0, 1e-9, "short axis");
    for m in [long, short] {
        let scoord = m.scoord.as_ref().expect("per-NUM SCOORD");
        assert_eq!(scoord.graphic_type, "POLYLINE");
        assert_eq!(scoord.data.len(), 4);
        assert!(scoord.referenced_sop_instance_uid.is_some());
    }

    // Length ×2: G-D7FE 39.366 mm and 133.992 mm.
    let mut lengths: Vec<f64> = groups_named(&doc, "cornerstoneTools@^4.0.0:Length")
        .iter()
        .map(|g| {
            let m = measurement(g, Quantity::Length);
            assert!(m.concept.is("SRT", "G-D7FE"));
            m.value_si_mm.expect("length in mm")
        })
        .collect();
    lengths.sort_by(f64::total_cmp);
    assert_eq!(lengths.len(), 2);
    assert_close(Some(lengths[0]), 39.366, 0.001, "first length");
    assert_close(Some(lengths[1]), 133.992, 0.001, "second length");

    // EllipticalRoi ×2: (G-D7FE, SRT, "AREA") 4806.42 / 3905.36 mm2 — G-D7FE is Length,
    // the unit says area: an Area, with a note.
    let mut areas: Vec<f64> = groups_named(&doc, "cornerstoneTools@^4.0.0:EllipticalRoi")
        .iter()
        .map(|g| {
            let m = measurement(g, Quantity::Area);
            assert!(m.concept.is("SRT", "G-D7FE"));
            assert_eq!(m.dimension, Dimension::Area);
            assert_eq!(
                m.scoord.as_ref().map(|s| s.graphic_type.as_str()),
                Some("ELLIPSE")
            );
            m.value_si_mm.expect("area in mm²")
        })
        .collect();
    areas.sort_by(f64::total_cmp);
    assert_eq!(areas.len(), 2);
    assert_close(Some(areas[0]), 3905.36, 0.01, "second ellipse area");
    assert_close(Some(areas[1]), 4806.42, 0.01, "first ellipse area");
    assert_eq!(problems_of(&doc, "concept_unit_mismatch").len(), 2);

    // ArrowAnnotate: NUM "Center" (111010) without Measured Value Sequence, SCOORD POINT,
    // Finding (CORNERSTONEFREETEXT, CST4, "ExampleText").
    let arrow = group(&doc, "cornerstoneTools@^4.0.0:ArrowAnnotate");
    assert!(has_code(
        arrow.finding.as_ref(),
        "CORNERSTONEFREETEXT",
        "CST4"
    ));
    let center = &arrow.measurements[0];
    assert!(center.concept.is("DCM", "111010"));
    assert_eq!(center.value, None);
    assert_eq!(center.value_si_mm, None);
    assert_eq!(
        center.scoord.as_ref().map(|s| s.graphic_type.as_str()),
        Some("POINT")
    );
    let missing = problems_of(&doc, "num_without_value");
    assert_eq!(missing.len(), 1, "{missing:?}");
    assert!(missing[0].contains("ArrowAnnotate") && missing[0].contains("111010"));
}

#[test]
fn dcmjs_cornerstone3d_pixel_units() {
    // MANIFEST §1: 1 group, Long Axis 64.45, Short Axis 42.97 with unit (1, UCUM, "px").
    let doc = read("sr/dcmjs_cornerstone3D_tid1500_px_units.dcm");
    assert!(doc.is_tid1500);
    assert_eq!(doc.groups.len(), 1);
    let g = group(&doc, "Cornerstone3DTools@^0.1.0:Bidirectional");
    for (quantity, value) in [(Quantity::LongAxis, 64.45), (Quantity::ShortAxis, 42.97)] {
        let m = measurement(g, quantity);
        assert_close(m.value, value, 0.01, "value as recorded");
        assert!(m.unit.as_ref().is_some_and(code("1", "UCUM")));
        assert_eq!(m.dimension, Dimension::Other);
        assert_eq!(m.value_si_mm, None, "pixels are not millimetres");
    }
    let problems = problems_of(&doc, "value_not_a_length");
    assert_eq!(problems.len(), 2, "{:?}", doc.problems);
    assert!(problems.iter().all(|p| p.contains("px")));
}

#[test]
fn dcmqi_pet_suv() {
    // MANIFEST §1: 1 group "primary tumor", Time Point (UMLS) "1", Referenced Segment →
    // seg/dcmqi_seg_pet_qin-headneck.dcm segment 1; 22 NUMs: SUVbw mean 6.01529 …,
    // Volume (G-D705, SRT) 33.5824 ml; PARTIAL, UNVERIFIED, Person observer "User2".
    let doc = read("sr/dcmqi_tid1500_pet_suv_qin-headneck.dcm");
    assert!(doc.is_tid1500);
    assert_eq!(doc.sop_class_uid, "1.2.840.10008.5.1.4.1.1.88.33");
    assert_eq!(doc.groups.len(), 1);
    let g = group(&doc, "primary tumor");
    assert_eq!(g.measurements.len(), 22);
    assert_eq!(g.time_point.time_point.as_deref(), Some("1"));
    assert_eq!(g.activity_session.as_deref(), Some("1"));
    assert!(has_code(g.finding.as_ref(), "M-80003", "SRT"));
    assert!(has_code(g.finding_site.as_ref(), "T-C5300", "SRT"));
    assert!(has_code(g.measurement_method.as_ref(), "126410", "DCM")); // SUVbw method

    let volume = measurement(g, Quantity::Volume);
    assert!(volume.concept.is("SRT", "G-D705"));
    assert!(volume.unit.as_ref().is_some_and(code("ml", "UCUM")));
    assert_close(volume.value, 33.5824, 1e-9, "volume in ml");
    assert_close(volume.value_si_mm, 33_582.4, 1e-6, "volume in mm³");

    let suv: Vec<&Measurement> = g
        .measurements
        .iter()
        .filter(|m| m.concept.is("DCM", "126401"))
        .collect();
    assert!(!suv.is_empty());
    for m in &suv {
        assert_eq!(m.quantity, Quantity::Other);
        assert_eq!(m.dimension, Dimension::Other);
        assert_eq!(m.value_si_mm, None);
    }
    let mean = suv
        .iter()
        .find(|m| has_code(m.derivation.as_ref(), "R-00317", "SRT"))
        .expect("SUVbw mean");
    assert_close(mean.value, 6.01529, 1e-9, "SUVbw mean");

    let segment = g.segment.as_ref().expect("Referenced Segment");
    assert_eq!(
        segment.sop_instance_uid,
        sop_instance_uid_of("seg/dcmqi_seg_pet_qin-headneck.dcm")
    );
    assert_eq!(segment.segment_number, Some(1));

    assert_eq!(doc.completion_flag.as_deref(), Some("PARTIAL"));
    assert_eq!(doc.verification_flag.as_deref(), Some("UNVERIFIED"));
    assert_eq!(doc.observers.len(), 1);
    assert_eq!(doc.observers[0].kind, ObserverType::Person);
    assert_eq!(doc.observers[0].name.as_deref(), Some("User2"));
    assert!(doc.problems.is_empty(), "{:?}", doc.problems);
}

#[test]
fn offis_samples_are_listed_not_used() {
    // MANIFEST §1: not TID 1500 (title (1111, TEST, "Diagnosis")), by-reference items,
    // Predecessor Documents Sequence (1), COMPLETE + VERIFIED.
    let doc = read("sr/offis_dscope_test-SR_comprehensive.dcm");
    assert!(!doc.is_tid1500);
    let reason = doc.not_tid1500_reason.as_deref().expect("reason");
    assert!(
        reason.contains("1111") && reason.contains("126000"),
        "{reason}"
    );
    assert!(doc.groups.is_empty());
    assert_eq!(doc.predecessor_sop_instance_uids.len(), 1);
    assert_eq!(doc.completion_flag.as_deref(), Some("COMPLETE"));
    assert_eq!(doc.verification_flag.as_deref(), Some("VERIFIED"));

    // MANIFEST §1: Basic Text SR, IHE Simple Image Report template.
    let doc = read("sr/offis_reportsi_basic_text_template.dcm");
    assert!(!doc.is_tid1500);
    assert_eq!(doc.sop_class_uid, "1.2.840.10008.5.1.4.1.1.88.11");
    let reason = doc.not_tid1500_reason.as_deref().expect("reason");
    assert!(reason.contains("Basic Text"), "{reason}");
    assert!(doc.groups.is_empty());
}

// ---------------------------------------------------------------------------------------
// fixtures/real/generated/ (MANIFEST.md §7, expected.json)

#[test]
fn highdicom_longitudinal_matches_expected_json() {
    let expected = expected_json("highdicom-longitudinal");
    let root = fixtures().join("generated/highdicom-longitudinal");
    // MANIFEST §7.1: 3 real slices re-identified, Pixel Spacing 0.810547 mm (MANIFEST §3).
    let spacing = [0.810547, 0.810547];
    let timepoints = expected["timepoints"].as_array().expect("timepoints");
    assert_eq!(timepoints.len(), 5);
    for tp in timepoints {
        let file = tp["file"].as_str().expect("file");
        let doc = read_sr(&root.join(file)).unwrap_or_else(|e| panic!("{e}"));
        let tp_name = tp["tp"].as_str().expect("tp");
        let n: u8 = tp_name[1..].parse().expect("Tn");
        assert!(doc.is_tid1500, "{file}");
        assert_eq!(doc.sop_class_uid, "1.2.840.10008.5.1.4.1.1.88.34", "{file}");
        assert_eq!(
            doc.completion_flag.as_deref(),
            tp["completion"].as_str(),
            "{file}"
        );
        assert_eq!(
            doc.verification_flag.as_deref(),
            tp["verification"].as_str(),
            "{file}"
        );
        // MANIFEST §7.1: Person observer "Reader^One".
        assert_eq!(doc.observers.len(), 1, "{file}");
        assert_eq!(doc.observers[0].kind, ObserverType::Person);
        assert_eq!(doc.observers[0].name.as_deref(), Some("Reader^One"));

        let lesions = tp["lesions"].as_array().expect("lesions");
        assert_eq!(
            doc.groups.len(),
            lesions.len(),
            "{file}: one group per lesion"
        );
        for lesion in lesions {
            let key = lesion["key"].as_str().expect("key");
            let what = format!("{file} {key}");
            let g = group_by_uid(&doc, lesion["tracking_uid"].as_str().expect("uid"));
            assert_eq!(
                g.tracking_identifier.as_deref(),
                lesion["tracking_id"].as_str()
            );

            // MANIFEST §7.1 table: Liver (10200004), Lymph Node (59441001), both SCT.
            let site = match lesion["finding_site"].as_str() {
                Some("Liver") => "10200004",
                Some("Lymph Node") => "59441001",
                other => panic!("{what}: unexpected site {other:?}"),
            };
            assert!(has_code(g.finding_site.as_ref(), site, "SCT"), "{what}");
            // MANIFEST §7.1: Finding Neoplasm, Measurement Method RECIST 1.1.
            assert!(has_code(g.finding.as_ref(), "108369006", "SCT"), "{what}");
            assert!(
                has_code(g.measurement_method.as_ref(), "126081", "DCM"),
                "{what}"
            );

            // MANIFEST §7.1: full TID 1502 context in every group.
            let tpc = &g.time_point;
            assert_eq!(tpc.time_point.as_deref(), Some(tp_name), "{what}");
            let (type_value, type_scheme) = if n == 0 {
                ("C1442488", "UMLS") // Baseline
            } else {
                ("126074", "DCM") // Posttreatment
            };
            assert!(
                has_code(tpc.time_point_type.as_ref(), type_value, type_scheme),
                "{what}"
            );
            assert_eq!(tpc.time_point_order, Some(f64::from(n)), "{what}");
            assert_eq!(
                tpc.subject_time_point_identifier.as_deref(),
                Some(&*format!("FIXTURE-LONG-001/{tp_name}")),
                "{what}"
            );
            let protocol = ["BASELINE", "FU1", "FU2", "FU3"][usize::from(n)];
            assert_eq!(
                tpc.protocol_time_point_identifier.as_deref(),
                Some(protocol)
            );

            let image_uid = lesion["image_sop_instance_uid"]
                .as_str()
                .expect("image uid");
            assert!(
                g.referenced_sop_instance_uids
                    .iter()
                    .any(|u| u == image_uid),
                "{what}"
            );
            // T2 is in cm (MANIFEST §7.1: 2.6 cm → 26 mm); the others in mm.
            let to_mm = if lesion["unit"].as_str() == Some("cm") {
                10.0
            } else {
                1.0
            };

            if let Some(long) = lesion["long_axis"].as_f64() {
                let la = measurement(g, Quantity::LongAxis);
                let sa = measurement(g, Quantity::ShortAxis);
                assert!(la.concept.is("SCT", "103339001") && sa.concept.is("SCT", "103340004"));
                assert_close(la.value_si_mm, long * to_mm, 0.01, &format!("{what} LA"));
                let short = lesion["short_axis"].as_f64().expect("short axis");
                assert_close(sa.value_si_mm, short * to_mm, 0.01, &format!("{what} SA"));
            } else {
                assert!(g.measurements.is_empty(), "{what}: region only");
            }

            if let Some(text) = lesion["polyline_px_colrow"].as_str() {
                // TID 1410: the group ROI is the long-axis polyline on the image.
                let roi = g.roi.as_ref().expect("ROI");
                assert_eq!(roi.graphic_type, "POLYLINE");
                assert_polyline(&roi.data, &polyline_from_text(text), &what);
                assert_eq!(roi.referenced_sop_instance_uid.as_deref(), Some(image_uid));
                // MANIFEST §7.1: length × 0.810547 mm = long axis; NTL1 is a 10 mm line.
                let length = polyline_length_mm(&roi.data, spacing);
                let expected_len = lesion["long_axis"].as_f64().unwrap_or(10.0);
                assert_close(length, expected_len, 0.01, &format!("{what} ROI length"));
            } else {
                // TID 1501 (T2): each NUM carries its own SCOORD.
                assert!(g.roi.is_none(), "{what}");
                for (quantity, field) in [
                    (Quantity::LongAxis, "long_axis_polyline_px_colrow"),
                    (Quantity::ShortAxis, "short_axis_polyline_px_colrow"),
                ] {
                    let m = measurement(g, quantity);
                    let scoord = m.scoord.as_ref().expect("per-NUM SCOORD");
                    assert_polyline(&scoord.data, &polyline_from_pairs(&lesion[field]), &what);
                    assert_eq!(
                        scoord.referenced_sop_instance_uid.as_deref(),
                        Some(image_uid)
                    );
                    // MANIFEST §7.1: the polylines measure 26/18, 14/9, 14/9 mm.
                    let length = polyline_length_mm(&scoord.data, spacing);
                    let value = m.value_si_mm.expect("value in mm");
                    assert_close(length, value, 0.01, &format!("{what} {field}"));
                }
            }

            // MANIFEST §7.1: NTL1 has a qualitative evaluation Finding = (112075, DCM).
            let non_target = g
                .qualitative
                .iter()
                .any(|(q, a)| q.is("DCM", "121071") && a.is("DCM", "112075"));
            assert_eq!(non_target, key == "NTL1", "{what}: {:?}", g.qualitative);
        }

        // MANIFEST §7.1: the amended T1 names the original in Predecessor Documents.
        if let Some(predecessor) = tp["predecessor_sop_instance_uid"].as_str() {
            assert_eq!(
                doc.predecessor_sop_instance_uids,
                vec![predecessor.to_string()]
            );
            let original = read("generated/highdicom-longitudinal/T1/sr/sr_T1_original.dcm");
            assert_eq!(original.sop_instance_uid, predecessor);
        } else {
            assert!(doc.predecessor_sop_instance_uids.is_empty(), "{file}");
        }
        assert!(doc.problems.is_empty(), "{file}: {:?}", doc.problems);
    }
}

#[test]
fn dcmqi_longitudinal_matches_expected_json() {
    let expected = expected_json("dcmqi-longitudinal");
    let root = fixtures().join("generated/dcmqi-longitudinal");
    let timepoints = expected["timepoints"].as_array().expect("timepoints");
    assert_eq!(timepoints.len(), 3);
    for tp in timepoints {
        let file = tp["sr"].as_str().expect("sr");
        let doc = read_sr(&root.join(file)).unwrap_or_else(|e| panic!("{e}"));
        assert!(doc.is_tid1500, "{file}");
        // MANIFEST §7.2: Enhanced SR, Device observer "FixtureLesionAI", UNVERIFIED, COMPLETE.
        assert_eq!(doc.sop_class_uid, "1.2.840.10008.5.1.4.1.1.88.22");
        assert_eq!(
            doc.sop_instance_uid,
            tp["sr_sop_instance_uid"].as_str().expect("uid")
        );
        assert_eq!(
            doc.study_instance_uid.as_deref(),
            tp["sr_study_instance_uid"].as_str()
        );
        assert_eq!(doc.study_date.as_deref(), tp["date"].as_str());
        assert_eq!(doc.completion_flag.as_deref(), Some("COMPLETE"));
        assert_eq!(doc.verification_flag.as_deref(), Some("UNVERIFIED"));
        assert_eq!(doc.observers.len(), 1);
        assert_eq!(doc.observers[0].kind, ObserverType::Device);
        assert_eq!(doc.observers[0].name.as_deref(), Some("FixtureLesionAI"));
        assert!(doc.observers[0].device_uid.is_some());

        let seg_uid = sop_instance_uid_of(&format!(
            "generated/dcmqi-longitudinal/{}",
            tp["seg"].as_str().expect("seg")
        ));
        let lesions = tp["lesions"].as_object().expect("lesions");
        assert_eq!(doc.groups.len(), lesions.len(), "{file}");
        for (key, lesion) in lesions {
            let what = format!("{file} lesion-{key}");
            let g = group_by_uid(&doc, lesion["tracking_uid"].as_str().expect("uid"));
            assert_eq!(
                g.tracking_identifier.as_deref(),
                Some(&*format!("lesion-{key}"))
            );
            assert_eq!(g.template.as_deref(), Some("1411"), "{what}");
            assert_eq!(
                g.time_point.time_point.as_deref(),
                tp["time_point_text"].as_str()
            );
            // MANIFEST §7.2: Finding Neoplasm, Finding Site Liver.
            assert!(has_code(g.finding.as_ref(), "108369006", "SCT"), "{what}");
            assert!(
                has_code(g.finding_site.as_ref(), "10200004", "SCT"),
                "{what}"
            );
            for (quantity, field) in [
                (Quantity::LongAxis, "long_axis_mm"),
                (Quantity::ShortAxis, "short_axis_mm"),
                (Quantity::Volume, "volume_mm3"),
            ] {
                let value = lesion[field].as_f64().expect(field);
                let m = measurement(g, quantity);
                assert_close(m.value_si_mm, value, 0.01, &format!("{what} {field}"));
            }
            let segment = g.segment.as_ref().expect("Referenced Segment");
            assert_eq!(segment.sop_instance_uid, seg_uid, "{what}");
            assert_eq!(
                segment.segment_number.map(u64::from),
                lesion["segment_number"].as_u64(),
                "{what}"
            );
        }
        assert!(doc.problems.is_empty(), "{file}: {:?}", doc.problems);
    }
}

#[test]
fn key_object_selection_is_listed_not_used() {
    // MANIFEST §7.1: KOS, title (113000, DCM, "Of Interest").
    let doc = read("generated/highdicom-longitudinal/T0/other/kos_T0_key_image.dcm");
    assert!(!doc.is_tid1500);
    assert!(has_code(doc.title.as_ref(), "113000", "DCM"));
    let reason = doc.not_tid1500_reason.as_deref().expect("reason");
    assert!(reason.contains("Key Object Selection"), "{reason}");
    assert!(doc.groups.is_empty());
}

// ---------------------------------------------------------------------------------------
// errors and robustness

#[test]
fn non_sr_objects_are_errors_naming_the_file() {
    for (relative, file_name) in [
        ("ct/pydicom_CT_small.dcm", "pydicom_CT_small.dcm"),
        // MANIFEST §7.1: a GSPS is not an SR.
        (
            "generated/highdicom-longitudinal/T0/other/gsps_T0_TL1_lines.dcm",
            "gsps_T0_TL1_lines.dcm",
        ),
        // MANIFEST §5: bare implicit-VR data set without file meta — still read, not an SR.
        ("rt/pydicom_rtstruct.dcm", "pydicom_rtstruct.dcm"),
    ] {
        match read_sr(&fixtures().join(relative)) {
            Err(e @ SrError::NotSr { .. }) => {
                assert!(e.to_string().contains(file_name), "{e}");
            }
            other => panic!("{relative}: expected NotSr, got {other:?}"),
        }
    }
    // Not DICOM at all / unreadable meta (MANIFEST §3: wrong group length).
    for (relative, file_name) in [
        ("MANIFEST.md", "MANIFEST.md"),
        (
            "ct/cornerstone_CTImage_deflated_bad_group_length.dcm",
            "cornerstone_CTImage_deflated_bad_group_length.dcm",
        ),
        ("does-not-exist.dcm", "does-not-exist.dcm"),
    ] {
        match read_sr(&fixtures().join(relative)) {
            Err(e @ SrError::Unreadable { .. }) => {
                assert!(e.to_string().contains(file_name), "{e}");
            }
            other => panic!("{relative}: expected Unreadable, got {other:?}"),
        }
    }
}

fn all_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{dir:?}: {e}"));
    for entry in entries {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            all_files(&path, out);
        } else {
            out.push(path);
        }
    }
}

#[test]
fn every_fixture_file_reads_or_errs_without_panicking() {
    let mut files = Vec::new();
    all_files(&fixtures(), &mut files);
    assert!(files.len() >= 78, "MANIFEST.md lists 78 files");
    let mut readable_srs = 0;
    for path in &files {
        let outcome = std::panic::catch_unwind(|| read_sr(path));
        let result = outcome.unwrap_or_else(|_| panic!("read_sr panicked on {path:?}"));
        let in_sr_folder = path.components().any(|c| c.as_os_str() == "sr");
        let is_dcm = path.extension().is_some_and(|e| e == "dcm");
        if in_sr_folder && is_dcm {
            // Every SR of the collection (sr/, generated/*/T?/sr/) must read.
            let doc = result.unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(doc.is_tid1500, doc.not_tid1500_reason.is_none(), "{path:?}");
            readable_srs += 1;
        }
    }
    // MANIFEST: sr/ 7, highdicom-longitudinal 5 SRs, dcmqi-longitudinal 3 SRs.
    assert_eq!(readable_srs, 7 + 5 + 3);
}
