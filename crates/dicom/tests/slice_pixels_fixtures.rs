//! `decode_slice` on real files from other producers (`fixtures/real`, see its MANIFEST):
//!
//! - pixel values equal pydicom's reading of the raw Pixel Data bytes × Rescale Slope +
//!   Intercept (the Python is ONCOREAD_PYTHON, else target/test-venv's, else python3; the
//!   test fails without pydicom: run scripts/test);
//! - the same image in other transfer syntaxes (WG04 CT1: JPEG Lossless and RLE against the
//!   uncompressed file; MR_small big-endian and RLE against little-endian) decodes to the
//!   same values, as the WG04 and pydicom test sets publish them to be;
//! - a transfer syntax this build has no codec for is an error naming the file.

use oncoread_dicom::slice_pixels::{decode_slice, SlicePixelsError};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn real(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/real")
        .join(name)
}

fn python() -> PathBuf {
    if let Some(python) = std::env::var_os("ONCOREAD_PYTHON") {
        return PathBuf::from(python);
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/test-venv/bin/python");
    if venv.exists() {
        return venv;
    }
    PathBuf::from("python3")
}

/// pydicom: rows, columns, and the modality value at each (row, column) from the raw
/// little-endian Pixel Data bytes.
const PEER: &str = r#"
import json, struct, sys
import pydicom
ds = pydicom.dcmread(sys.argv[1])
fmt = "<h" if ds.PixelRepresentation == 1 else "<H"
slope = float(ds.get("RescaleSlope", 1)); intercept = float(ds.get("RescaleIntercept", 0))
points = []
for row in range(0, ds.Rows, 7):
    for column in range(0, ds.Columns, 5):
        (raw,) = struct.unpack_from(fmt, ds.PixelData, 2 * (row * ds.Columns + column))
        points.append([row, column, raw * slope + intercept])
print(json.dumps({"rows": ds.Rows, "columns": ds.Columns, "points": points}))
"#;

fn peer(path: &Path) -> Value {
    let python = python();
    let output = Command::new(&python)
        .args(["-c", PEER])
        .arg(path)
        .output()
        .unwrap_or_else(|e| panic!("{} does not run ({e}): run scripts/test", python.display()));
    assert!(
        output.status.success(),
        "pydicom could not read {} (is pydicom installed? run scripts/test, or set \
         ONCOREAD_PYTHON): {}",
        path.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn values_equal_pydicoms_raw_values_rescaled() {
    for name in ["ct/pydicom_CT_small.dcm", "mr/pydicom_MR_small.dcm"] {
        let path = real(name);
        let ours = decode_slice(&path, 1).unwrap();
        let theirs = peer(&path);
        assert_eq!(
            u64::from(ours.rows),
            theirs["rows"].as_u64().unwrap(),
            "{name}"
        );
        assert_eq!(u64::from(ours.columns), theirs["columns"].as_u64().unwrap());
        let points = theirs["points"].as_array().unwrap();
        assert!(points.len() > 50);
        for point in points {
            let (row, column) = (point[0].as_u64().unwrap(), point[1].as_u64().unwrap());
            let expected = point[2].as_f64().unwrap();
            let value = ours.value(row as u32, column as u32).unwrap();
            assert_eq!(
                f64::from(value),
                expected,
                "{name} row {row} column {column}"
            );
        }
    }
    // CT_small says CT; its slope 1 and intercept −1024 put air near −1000 HU.
    let ct = decode_slice(&real("ct/pydicom_CT_small.dcm"), 1).unwrap();
    assert_eq!(ct.modality.as_deref(), Some("CT"));
}

#[test]
fn compressed_and_big_endian_copies_decode_to_the_same_values() {
    let reference = decode_slice(&real("ct/wg04_CT1_UNC.dcm"), 1).unwrap();
    for copy in ["ct/wg04_CT1_JPLL.dcm", "ct/wg04_CT1_RLE.dcm"] {
        let decoded = decode_slice(&real(copy), 1).unwrap();
        assert_eq!(decoded.values, reference.values, "{copy}");
    }
    let little = decode_slice(&real("mr/pydicom_MR_small.dcm"), 1).unwrap();
    for copy in [
        "mr/pydicom_MR_small_bigendian.dcm",
        "mr/pydicom_MR_small_RLE.dcm",
    ] {
        let decoded = decode_slice(&real(copy), 1).unwrap();
        assert_eq!(decoded.values, little.values, "{copy}");
    }
}

#[test]
fn frames_of_a_multiframe_image_and_missing_codecs() {
    // Enhanced CT with two frames: frame 2 exists, frame 3 does not.
    let enhanced = real("ct/pydicom-data_eCT_Supplemental_enhanced_multiframe.dcm");
    let second = decode_slice(&enhanced, 2).unwrap();
    assert_eq!(second.values.len(), (second.rows * second.columns) as usize);
    let error = decode_slice(&enhanced, 3).unwrap_err();
    assert!(
        matches!(error, SlicePixelsError::NoSuchFrame { frames: 2, .. }),
        "{error}"
    );
    // JPEG 2000 needs a codec this build leaves out: an error naming the file and field.
    let error = decode_slice(&real("ct/wg04_CT1_J2KR.dcm"), 1).unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains("wg04_CT1_J2KR.dcm: Pixel Data (7FE0,0010) cannot be decoded"),
        "{message}"
    );
}
