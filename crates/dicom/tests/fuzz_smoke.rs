//! The fuzz targets' smoke run in the ordinary test command (fuzz/ itself needs nightly
//! and libFuzzer, so CI does not build it; RELIABILITY.md). Each DICOM target's seeds —
//! the fixtures fuzz/seed.sh copies — and every crashing input a fuzz run found
//! (fuzz/regressions/TARGET/) go through the same library call the target makes, together
//! with deterministic mutations of the seeds (truncations, flipped bytes): no panic, no
//! hang, and every unmutated fixture reads.

use std::path::{Path, PathBuf};

use oncoread_dicom::dicom_json::header_from_dicom_json;
use oncoread_dicom::header::read_header_from_bytes;
use oncoread_dicom::sr::{read_sr, read_sr_from_bytes};
use std::time::{Duration, Instant};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|e| e.expect("a listable folder").path())
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// Crashing inputs the long fuzz runs found, kept as regressions.
fn regressions(target: &str) -> Vec<Vec<u8>> {
    files_in(&repo().join("fuzz/regressions").join(target))
        .iter()
        .map(|p| std::fs::read(p).expect("a readable regression input"))
        .collect()
}

/// 64 truncations and 64 single-byte flips spread over the file, plus a flip in each of
/// the first 400 bytes (preamble, meta group, first elements: where the parser decides).
fn mutations(seed: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for k in 0..64 {
        let at = seed.len() * k / 64;
        out.push(seed[..at].to_vec());
        let mut flipped = seed.to_vec();
        if let Some(byte) = flipped.get_mut(at) {
            *byte ^= 0xFF;
        }
        out.push(flipped);
    }
    for at in 0..seed.len().min(400) {
        let mut flipped = seed.to_vec();
        flipped[at] ^= 0x80;
        out.push(flipped);
    }
    out
}

fn sr_fixtures() -> Vec<PathBuf> {
    let real = repo().join("fixtures/real");
    let mut files = files_in(&real.join("sr"));
    files.push(repo().join("fixtures/sample/SUBJ-001/00-BL/SR/reader1.dcm"));
    files
}

#[test]
fn header_scan_seeds_read_and_their_mutations_never_panic() {
    let seeds: Vec<PathBuf> = [
        "fixtures/real/ct/pydicom_CT_small.dcm",
        "fixtures/real/mr/pydicom_MR_small.dcm",
        "fixtures/real/other/pydicom_ExplVR_LitEndNoMeta.dcm",
        "fixtures/sample/SUBJ-001/00-BL/CT/CT0001.dcm",
    ]
    .iter()
    .map(|relative| repo().join(relative))
    .collect();
    for seed in &seeds {
        let bytes = std::fs::read(seed).unwrap_or_else(|e| panic!("{}: {e}", seed.display()));
        read_header_from_bytes(&bytes).unwrap_or_else(|e| panic!("{}: {e}", seed.display()));
        for mutated in mutations(&bytes) {
            let _ = read_header_from_bytes(&mutated);
        }
    }
    for input in regressions("header_scan") {
        let _ = read_header_from_bytes(&input);
    }
}

#[test]
fn sr_seeds_read_and_their_mutations_stay_bounded() {
    // Every seed is a valid SR written by another producer (fixtures/real/MANIFEST.md) or
    // by the sample trial's generator: each must read.
    for seed in sr_fixtures() {
        let bytes = std::fs::read(&seed).unwrap_or_else(|e| panic!("{}: {e}", seed.display()));
        read_sr(&seed).unwrap_or_else(|e| panic!("{e}"));
        for mutated in mutations(&bytes) {
            // Bounded time: a declared length of gigabytes once took minutes here.
            let started = Instant::now();
            let _ = read_sr_from_bytes(&mutated, "mutated");
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "{}: a mutation took {:?}",
                seed.display(),
                started.elapsed()
            );
        }
    }
    // Each kept input declares a length of gigabytes that the tree parser would allocate
    // before reading: the header walk must refuse it first, naming the length.
    for input in regressions("sr_tree") {
        match read_sr_from_bytes(&input, "regression") {
            Err(oncoread_dicom::sr::SrError::Unreadable { reason, .. }) => {
                assert!(reason.contains(" declares "), "{reason}")
            }
            other => panic!("not refused by the header walk: {other:?}"),
        }
    }
}

#[test]
fn dicom_json_regressions_never_panic() {
    for input in regressions("dicom_json") {
        if let Ok(value) = serde_json::from_slice::<serde_json::Value>(&input) {
            let _ = header_from_dicom_json(&value, "regression", 0);
        }
    }
}
