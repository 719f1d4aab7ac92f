//! The timeline JSON readers: serde's and the fast streaming one. Neither may panic, and
//! where both accept a document they must read the same subjects (the fast reader is an
//! optimisation, never a second opinion).
#![no_main]

use libfuzzer_sys::fuzz_target;
use oncoread_criteria::timeline::parse_timeline_json;
use oncoread_criteria::timeline_fast::walk_document;

fuzz_target!(|data: &[u8]| {
    let by_serde = parse_timeline_json(data);
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut fast_subjects = Vec::new();
    let fast = walk_document(text, |subject| {
        fast_subjects.push(subject.clone());
        true
    });
    if let (Some(_), Ok(timeline)) = (fast, by_serde) {
        assert_eq!(fast_subjects, timeline.subjects, "fast and serde readers disagree");
    }
});
