//! The CSV timeline reader: any text gives a timeline or an error naming the line.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = oncoread_criteria::csv_input::parse_timeline_csv(text);
    }
});
