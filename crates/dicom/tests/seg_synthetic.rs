//! A SEG written by hand: 1-bit frames of 3 × 5 pixels (15 bits, so frames start in the
//! middle of bytes), listed out of slice order, with row spacing 1 mm, column spacing 2 mm
//! and slices 2 mm thick. Every expectation below is derived by hand in its comment.

use std::path::PathBuf;

use oncoread_dicom::measure::seg::measure_seg;
use oncoread_dicom::write::{write_part10, DataSetWriter, FileMeta, Vr};

const SEG_CLASS: &str = "1.2.840.10008.5.1.4.1.1.66.4";

fn write_seg(name: &str, frames: &[(f64, &str)], pixel_data: &[u8]) -> PathBuf {
    let mut w = DataSetWriter::new();
    let ok = "writing the test SEG";
    w.text(0x0008_0016, Vr::UI, SEG_CLASS).expect(ok);
    w.text(0x0008_0018, Vr::UI, "2.25.1001").expect(ok);
    w.integer_string(0x0028_0008, frames.len() as i64)
        .expect(ok);
    w.us(0x0028_0010, 3).expect(ok);
    w.us(0x0028_0011, 5).expect(ok);
    w.us(0x0028_0100, 1).expect(ok);
    w.text(0x0062_0001, Vr::CS, "BINARY").expect(ok);
    w.begin_sequence(0x0062_0002).expect(ok);
    w.begin_item().expect(ok);
    w.us(0x0062_0004, 1).expect(ok);
    w.text(0x0062_0005, Vr::LO, "lesion").expect(ok);
    w.end_item().expect(ok);
    w.end_sequence().expect(ok);
    w.begin_sequence(0x5200_9229).expect(ok);
    w.begin_item().expect(ok);
    w.begin_sequence(0x0020_9116).expect(ok);
    w.begin_item().expect(ok);
    w.decimals(0x0020_0037, &[1.0, 0.0, 0.0, 0.0, 1.0, 0.0])
        .expect(ok);
    w.end_item().expect(ok);
    w.end_sequence().expect(ok);
    w.begin_sequence(0x0028_9110).expect(ok);
    w.begin_item().expect(ok);
    w.decimals(0x0018_0050, &[2.0]).expect(ok);
    w.decimals(0x0028_0030, &[1.0, 2.0]).expect(ok);
    w.end_item().expect(ok);
    w.end_sequence().expect(ok);
    w.end_item().expect(ok);
    w.end_sequence().expect(ok);
    w.begin_sequence(0x5200_9230).expect(ok);
    for (z, source) in frames {
        w.begin_item().expect(ok);
        w.begin_sequence(0x0008_9124).expect(ok);
        w.begin_item().expect(ok);
        w.begin_sequence(0x0008_2112).expect(ok);
        w.begin_item().expect(ok);
        w.text(0x0008_1155, Vr::UI, source).expect(ok);
        w.end_item().expect(ok);
        w.end_sequence().expect(ok);
        w.end_item().expect(ok);
        w.end_sequence().expect(ok);
        w.begin_sequence(0x0020_9113).expect(ok);
        w.begin_item().expect(ok);
        w.decimals(0x0020_0032, &[0.0, 0.0, *z]).expect(ok);
        w.end_item().expect(ok);
        w.end_sequence().expect(ok);
        w.begin_sequence(0x0062_000A).expect(ok);
        w.begin_item().expect(ok);
        w.us(0x0062_000B, 1).expect(ok);
        w.end_item().expect(ok);
        w.end_sequence().expect(ok);
        w.end_item().expect(ok);
    }
    w.end_sequence().expect(ok);
    w.ob(0x7FE0_0010, pixel_data).expect(ok);
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let mut file = std::fs::File::create(&path).expect(ok);
    let meta = FileMeta {
        sop_class_uid: SEG_CLASS,
        sop_instance_uid: "2.25.1001",
        implementation_class_uid: "2.25.7",
        implementation_version_name: "TEST",
    };
    write_part10(&mut file, &meta, &w).expect(ok);
    path
}

#[test]
fn one_bit_frames_packed_across_byte_boundaries_in_any_order() {
    // Frame 1 (z = 2, image "2.25.12"): pixels (row 0, col 0) and (row 2, col 4) → bits 0
    //   and 14. Longest = hypot(4 cols × 2 mm, 2 rows × 1 mm) = √68 mm; two points → the
    //   perpendicular is 0.
    // Frame 2 (z = 0, image "2.25.10"): all of row 1 → pixels 5..9 → bits 15+5 .. 15+9 =
    //   20..24, across bytes 2 and 3. Longest = 4 cols × 2 mm = 8 mm.
    // Frame 3 (z = 1, image "2.25.11"): pixel (row 1, col 2) → bit 30 + 7 = 37. One pixel.
    // Bytes (LSB first): bit 0 → 0x01; bit 14 → byte 1 bit 6 → 0x40; bits 20-23 → byte 2
    // bits 4-7 → 0xF0; bit 24 → byte 3 bit 0 → 0x01; bit 37 → byte 4 bit 5 → 0x20.
    let path = write_seg(
        "packed.dcm",
        &[(2.0, "2.25.12"), (0.0, "2.25.10"), (1.0, "2.25.11")],
        &[0x01, 0x40, 0xF0, 0x01, 0x20, 0x00],
    );
    let m = measure_seg(&path).expect("measured");
    let s = m.segment(1).expect("segment 1");
    assert_eq!(s.pixel_count, 2 + 5 + 1);
    assert!(
        (s.longest_mm - 68.0_f64.sqrt()).abs() < 1e-9,
        "{}",
        s.longest_mm
    );
    assert_eq!(s.perpendicular_mm, 0.0);
    let largest = &s.slices[s.largest_slice];
    assert_eq!(largest.frame_number, 1);
    assert_eq!(largest.source_sop_instance_uid.as_deref(), Some("2.25.12"));
    assert_eq!(largest.pixels, vec![0, 14]);
    let frame2 = s
        .slices
        .iter()
        .find(|f| f.frame_number == 2)
        .expect("frame 2");
    assert_eq!(frame2.pixels, vec![5, 6, 7, 8, 9]);
    assert!((frame2.diameters.longest_mm - 8.0).abs() < 1e-9);
    // 8 pixels × 1 mm × 2 mm × 2 mm.
    assert_eq!(s.volume_mm3, Some(32.0));
}

#[test]
fn a_short_pixel_data_is_an_error_naming_the_field() {
    // 3 frames × 15 bits = 45 bits need 6 bytes; 4 are given.
    let path = write_seg(
        "short.dcm",
        &[(0.0, "2.25.1"), (1.0, "2.25.2"), (2.0, "2.25.3")],
        &[0, 0, 0, 0],
    );
    let error = measure_seg(&path).expect_err("too short").to_string();
    assert!(
        error.contains("short.dcm") && error.contains("Pixel Data"),
        "{error}"
    );
}
