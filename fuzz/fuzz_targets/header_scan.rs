//! The lean header reader behind `scan`: any bytes give a record or an error, never a
//! panic, a hang or an allocation beyond the input's size.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = oncoread_dicom::header::read_header_from_bytes(data);
});
