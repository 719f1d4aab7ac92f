//! End-to-end tests of `oncoread scan`: the summary line's counts over `fixtures/real`, the
//! re-scan, problems on standard error, and the exit codes of bad usage.

mod common;

use common::{oncoread, repo, temp_dir};

use std::path::Path;

/// (all files, DICOM files) under `fixtures/real`: the documentation and JSON files are
/// the only non-DICOM ones.
fn fixture_counts() -> (u64, u64) {
    fn walk(dir: &Path, counts: &mut (u64, u64)) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, counts);
            } else {
                counts.0 += 1;
                let ext = path.extension().and_then(|e| e.to_str());
                if !matches!(ext, Some("md" | "json")) {
                    counts.1 += 1;
                }
            }
        }
    }
    let mut counts = (0, 0);
    walk(&repo().join("fixtures/real"), &mut counts);
    counts
}

/// The number before `label` in the summary line, e.g. `count(line, "files seen")`.
fn count(line: &str, label: &str) -> u64 {
    let at = line
        .find(label)
        .unwrap_or_else(|| panic!("no `{label}` in {line}"));
    line[..at]
        .split_whitespace()
        .last()
        .and_then(|n| n.trim_start_matches(',').parse().ok())
        .unwrap_or_else(|| panic!("no number before `{label}` in {line}"))
}

#[test]
fn scan_fixtures_prints_the_counts() {
    let dir = temp_dir("scan");
    let index = dir.join("index.sqlite");
    let index_arg = index.to_str().unwrap();
    let (files, dicom) = fixture_counts();

    let output = oncoread(&["scan", "fixtures/real", "--index", index_arg]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    let line = stdout.lines().next().unwrap();
    assert_eq!(count(line, "files seen"), files, "{line}");
    assert_eq!(count(line, "unchanged"), 0, "{line}");
    assert_eq!(count(line, "instances indexed"), dicom, "{line}");
    assert_eq!(count(line, "problems"), files - dicom, "{line}");
    assert!(line.contains("files/s"), "{line}");
    assert!(
        stderr.contains("fixtures/real/MANIFEST.md: not DICOM"),
        "{stderr}"
    );

    let again = oncoread(&[
        "scan",
        "fixtures/real",
        "--index",
        index_arg,
        "--threads",
        "1",
    ]);
    assert!(again.status.success());
    let line = String::from_utf8_lossy(&again.stdout).to_string();
    assert_eq!(count(&line, "unchanged"), files, "{line}");
    assert_eq!(count(&line, "read"), 0, "{line}");
    assert_eq!(count(&line, "instances indexed"), dicom, "{line}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_usage_exits_2() {
    let dir = temp_dir("scan-usage");
    let index = dir.join("index.sqlite");
    let index_arg = index.to_str().unwrap();
    for args in [
        vec!["scan"],
        vec!["scan", "fixtures/real", "--threads", "0"],
        vec!["scan", "no/such/folder", "--index", index_arg],
    ] {
        let output = oncoread(&args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(!output.stderr.is_empty());
    }
    // An index that is not a database.
    let not_index = dir.join("not-an-index.sqlite");
    std::fs::write(&not_index, "plain text, not SQLite").unwrap();
    let output = oncoread(&[
        "scan",
        "fixtures/real/rt",
        "--index",
        not_index.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("not-an-index.sqlite"), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}
