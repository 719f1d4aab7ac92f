//! Peer comparison: every DICOM file under `fixtures/real` read by oncoread's header
//! reader and by pydicom (`scripts/peer_headers.py`, `dcmread(..., stop_before_pixels=True,
//! force=True)`) gives the same field values (floats within 1e-6).
//!
//! The Python comes from `ONCOREAD_PYTHON`, else `target/test-venv/bin/python` (made by
//! `scripts/test`), else `python3`. Without pydicom the test fails: run `scripts/test`.

use oncoread_dicom::header::read_header;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn python() -> PathBuf {
    if let Some(python) = std::env::var_os("ONCOREAD_PYTHON") {
        return PathBuf::from(python);
    }
    let venv = repo().join("target/test-venv/bin/python");
    if venv.exists() {
        return venv;
    }
    PathBuf::from("python3")
}

fn fixture_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(&path, out);
            } else if !matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("md" | "json")
            ) {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(&repo().join("fixtures/real"), &mut out);
    out
}

fn same(ours: &Value, theirs: &Value) -> bool {
    match (ours, theirs) {
        (Value::Number(a), Value::Number(b)) => match (a.as_f64(), b.as_f64()) {
            (Some(a), Some(b)) => (a - b).abs() <= 1e-6,
            _ => a == b,
        },
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(x, y))
        }
        _ => ours == theirs,
    }
}

#[test]
fn header_fields_match_pydicom() {
    let python = python();
    let probe = Command::new(&python)
        .args([
            "-c",
            "import pydicom; assert pydicom.__version__.startswith('3.')",
        ])
        .output();
    match probe {
        Ok(out) if out.status.success() => {}
        _ => panic!(
            "pydicom 3 cannot be imported by {}: run scripts/test (it installs pydicom into \
             target/test-venv) or set ONCOREAD_PYTHON to a Python that has it",
            python.display()
        ),
    }

    let files = fixture_files();
    assert!(files.len() >= 60, "fixtures missing");
    let output = Command::new(&python)
        .arg(repo().join("scripts/peer_headers.py"))
        .args(&files)
        .output()
        .expect("the peer script runs");
    assert!(
        output.status.success(),
        "peer_headers.py failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let peers: Vec<Value> = serde_json::from_slice(&output.stdout).expect("peer JSON");
    assert_eq!(peers.len(), files.len());

    let mut failures = Vec::new();
    let mut fields_compared = 0;
    for (path, peer) in files.iter().zip(&peers) {
        if let Some(error) = peer.get("error") {
            failures.push(format!("{}: pydicom failed: {error}", path.display()));
            continue;
        }
        let ours = match read_header(path) {
            Ok(record) => serde_json::to_value(record).unwrap(),
            Err(e) => {
                failures.push(format!("{}: read_header failed: {e}", path.display()));
                continue;
            }
        };
        for (field, theirs) in peer.as_object().unwrap() {
            if field == "path" {
                continue;
            }
            let mine = ours
                .get(field)
                .unwrap_or_else(|| panic!("no field {field}"));
            fields_compared += 1;
            if !same(mine, theirs) {
                failures.push(format!(
                    "{}: {field}: oncoread {mine} vs pydicom {theirs}",
                    path.display()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(
        fields_compared > 60 * 30,
        "compared only {fields_compared} fields"
    );
}
