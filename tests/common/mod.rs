//! What every end-to-end test of the binary needs: the repository, a private temporary
//! folder, and a way to run `oncoread`.
#![allow(dead_code)] // each test file uses some of these

pub mod orthanc;
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
