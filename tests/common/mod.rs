//! What every end-to-end test of the binary needs: the repository, a private temporary
//! folder, and a way to run `oncoread`.
#![allow(dead_code)] // each test file uses some of these

pub mod orthanc;
pub mod pacs_source;
pub mod shards;
pub mod slurm;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root (the tests run the binary from there).
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs `oncoread` with `args` from the repository root.
pub fn oncoread(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_oncoread"))
        .args(args)
        .current_dir(repo())
        .output()
        .expect("the oncoread binary runs")
}

/// A new, empty temporary folder. Tests run in parallel threads of one process: a counter
/// keeps their folders apart.
pub fn temp_dir(name: &str) -> PathBuf {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("oncoread-test-{name}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a temporary folder can be made");
    dir
}

/// True when `out` holds no output: it does not exist, or holds only the run's lock file
/// (`.oncoread.lock`, which a run takes before anything else; not an output).
pub fn holds_no_output(out: &Path) -> bool {
    match std::fs::read_dir(out) {
        Err(_) => true,
        Ok(entries) => entries
            .filter_map(|e| e.ok())
            .all(|e| e.file_name() == ".oncoread.lock"),
    }
}

/// Runs the sample trial with the repository's pipeline.toml into a new folder, writing
/// `formats` (a TOML list such as `["json", "dicom-sr"]`) reproducibly, with `extra`
/// command-line arguments; returns the output folder.
pub fn run_sample_with_formats(name: &str, formats: &str, extra: &[&str]) -> PathBuf {
    let dir = temp_dir(name);
    let config_path = sample_config(&dir, formats);
    let out = dir.join("out");
    let mut args = vec![
        "run",
        "--config",
        config_path.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--reproducible",
    ];
    args.extend_from_slice(extra);
    let run = oncoread(&args);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    out
}

/// Writes `dir/pipeline.toml`: the repository's, reading the sample trial, with its index
/// in `dir` and `formats` (a TOML list such as `["json", "dicom-sr"]`); returns its path.
pub fn sample_config(dir: &Path, formats: &str) -> PathBuf {
    let sample = repo().join("fixtures/sample");
    let mut text = std::fs::read_to_string(repo().join("pipeline.toml")).unwrap();
    let replacements = [
        (
            "path = \"fixtures/sample\"".to_string(),
            format!("path = {:?}", sample.to_str().unwrap()),
        ),
        (
            "index = \".oncoread/index.sqlite\"".to_string(),
            format!("index = {:?}", dir.join("index.sqlite").to_str().unwrap()),
        ),
        (
            "formats = [\"json\", \"csv\", \"html\"]".to_string(),
            format!("formats = {formats}"),
        ),
    ];
    for (from, to) in replacements {
        assert!(text.contains(&from), "pipeline.toml no longer has `{from}`");
        text = text.replace(&from, &to);
    }
    let config_path = dir.join("pipeline.toml");
    std::fs::write(&config_path, text).unwrap();
    config_path
}

/// Every file under `dir`, recursively, sorted.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}
