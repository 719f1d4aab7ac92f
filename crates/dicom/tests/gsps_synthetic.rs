//! A GSPS written by the test: one ruler in PIXEL units, one in DISPLAY units.

use std::path::PathBuf;

use oncoread_dicom::measure::gsps::read_gsps;
use oncoread_dicom::write::{write_part10, DataSetWriter, FileMeta, Vr};

const GSPS_CLASS: &str = "1.2.840.10008.5.1.4.1.1.11.1";

#[test]
fn pixel_rulers_are_lengths_and_display_rulers_are_problems() {
    let ok = "writing the test GSPS";
    let mut w = DataSetWriter::new();
    w.text(0x0008_0016, Vr::UI, GSPS_CLASS).expect(ok);
    w.text(0x0008_0018, Vr::UI, "2.25.6001").expect(ok);
    w.begin_sequence(0x0008_1115).expect(ok);
    w.begin_item().expect(ok);
    w.begin_sequence(0x0008_1140).expect(ok);
    w.begin_item().expect(ok);
    w.text(0x0008_1155, Vr::UI, "2.25.6002").expect(ok);
    w.end_item().expect(ok);
    w.end_sequence().expect(ok);
    w.end_item().expect(ok);
    w.end_sequence().expect(ok);
    w.begin_sequence(0x0070_0001).expect(ok);
    w.begin_item().expect(ok);
    w.text(0x0070_0002, Vr::CS, "RULERS").expect(ok);
    w.begin_sequence(0x0070_0008).expect(ok);
    w.begin_item().expect(ok);
    w.text(0x0070_0006, Vr::ST, "NT1 liver").expect(ok);
    w.end_item().expect(ok);
    w.end_sequence().expect(ok);
    w.begin_sequence(0x0070_0009).expect(ok);
    for (units, data) in [
        ("DISPLAY", [0.1f32, 0.1, 0.4, 0.5]),
        ("PIXEL", [10.0, 20.0, 40.0, 60.0]),
    ] {
        w.begin_item().expect(ok);
        w.text(0x0070_0005, Vr::CS, units).expect(ok);
        w.us(0x0070_0020, 2).expect(ok);
        w.us(0x0070_0021, 2).expect(ok);
        w.fl_values(0x0070_0022, &data).expect(ok);
        w.text(0x0070_0023, Vr::CS, "POLYLINE").expect(ok);
        w.end_item().expect(ok);
    }
    w.end_sequence().expect(ok);
    w.end_item().expect(ok);
    w.end_sequence().expect(ok);
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("rulers.dcm");
    let meta = FileMeta {
        sop_class_uid: GSPS_CLASS,
        sop_instance_uid: "2.25.6001",
        implementation_class_uid: "2.25.7",
        implementation_version_name: "TEST",
    };
    write_part10(&mut std::fs::File::create(&path).expect(ok), &meta, &w).expect(ok);

    let gsps = read_gsps(&path).expect("read");
    // The DISPLAY ruler is reported, with where it is.
    assert_eq!(gsps.problems.len(), 1, "{:?}", gsps.problems);
    assert!(gsps.problems[0].contains("DISPLAY") && gsps.problems[0].contains("graphic object 1"));
    // The PIXEL ruler (10, 20) → (40, 60): 30 columns and 40 rows = 50 px; at 0.5 mm
    // pixels 25 mm; with 0.5 mm rows and 1 mm columns √(30² + 20²) = 36.06 mm. It lies on the
    // state's only image (no image list of its own) and the text names lesion NT1.
    assert_eq!(gsps.lines.len(), 1);
    let line = &gsps.lines[0];
    assert_eq!(
        line.referenced_sop_instance_uids,
        vec!["2.25.6002".to_string()]
    );
    assert_eq!(line.lesion_label(), Some("NT1"));
    assert!((line.length_mm([0.5, 0.5]).expect("length") - 25.0).abs() < 1e-6);
    assert!((line.length_mm([0.5, 1.0]).expect("length") - 1300f64.sqrt()).abs() < 1e-6);
}
