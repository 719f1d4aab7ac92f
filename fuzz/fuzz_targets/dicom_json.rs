//! DICOM JSON (DICOMweb metadata) → header record: any JSON value gives a record or an
//! error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    // A WADO-RS /metadata answer is an array of instances; a single instance is fuzzed too.
    match &value {
        serde_json::Value::Array(instances) => {
            for instance in instances {
                let _ = oncoread_dicom::dicom_json::header_from_dicom_json(instance, "fuzz", 0);
            }
        }
        other => {
            let _ = oncoread_dicom::dicom_json::header_from_dicom_json(other, "fuzz", 0);
        }
    }
});
