//! Helpers of the shard tests: folder comparison, and the shard rule computed by a peer
//! (Python's hashlib), never by the code under test.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

/// Every file under `dir` (recursively), by its path relative to `dir`, with its bytes.
pub fn folder_bytes(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    super::files_under(dir)
        .into_iter()
        .map(|path| {
            let name = path
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let bytes = std::fs::read(&path).unwrap();
            (name, bytes)
        })
        .collect()
}

/// Asserts two output folders hold the same files with the same bytes, naming the first
/// file that differs.
pub fn assert_same_folders(expected: &Path, actual: &Path, what: &str) {
    let expected_files = folder_bytes(expected);
    let actual_files = folder_bytes(actual);
    assert_eq!(
        expected_files.keys().collect::<Vec<_>>(),
        actual_files.keys().collect::<Vec<_>>(),
        "{what}: not the same files in {} and {}",
        expected.display(),
        actual.display()
    );
    for (name, bytes) in &expected_files {
        assert!(
            &actual_files[name] == bytes,
            "{what}: {name} differs between {} and {}",
            expected.display(),
            actual.display()
        );
    }
}

/// The Python interpreter the tests use as a peer (scripts/test exports ONCOREAD_PYTHON;
/// any python3 does for hashlib).
pub fn python() -> String {
    std::env::var("ONCOREAD_PYTHON").unwrap_or_else(|_| "python3".to_string())
}

/// The shard of each key by the documented rule, computed with Python's hashlib:
/// `int(sha256(key).hexdigest()[:16], 16) % n`.
pub fn python_shards(keys: &[String], n: u32) -> BTreeMap<String, u32> {
    let script = "import hashlib, json, sys\n\
                  keys = json.load(sys.stdin)\n\
                  n = int(sys.argv[1])\n\
                  print(json.dumps({k: int(hashlib.sha256(k.encode()).hexdigest()[:16], 16) % n for k in keys}))";
    let mut child = Command::new(python())
        .args(["-c", script, &n.to_string()])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run {} (python3 is needed as the peer of the shard rule; scripts/test sets ONCOREAD_PYTHON): {e}",
                python()
            )
        });
    {
        use std::io::Write;
        let stdin = child.stdin.as_mut().unwrap();
        stdin
            .write_all(serde_json::to_string(keys).unwrap().as_bytes())
            .unwrap();
    }
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "python: {output:?}");
    serde_json::from_slice(&output.stdout).unwrap()
}
