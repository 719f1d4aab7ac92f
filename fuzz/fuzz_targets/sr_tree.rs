//! The SR reader on raw bytes: DICOM parsing, the content tree and TID 1500 recognition.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = oncoread_dicom::sr::read_sr_from_bytes(data, "fuzz-input");
});
