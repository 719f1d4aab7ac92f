//! Hard stops: `oncoread run` killed with SIGKILL at many points during scan, extract and
//! report; the next run must complete with outputs byte-identical to an uninterrupted
//! `--reproducible` run, no half-written file may ever be visible under its final name,
//! and the index must pass SQLite's own integrity check. Two runs on one output folder:
//! the second refuses.

mod common;

use common::shards::folder_bytes;
use common::{oncoread, repo, temp_dir};
use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The lock file the run holds (crates/cli/src/out_lock.rs; README "Reliability").
const LOCK_FILE: &str = ".oncoread.lock";

fn start_run(out: &Path, index: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_oncoread"))
        .args(["run", "--reproducible", "--threads", "2", "--out"])
        .arg(out)
        .arg("--index")
        .arg(index)
        .current_dir(repo())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the oncoread binary starts")
}

fn finish_run(out: &Path, index: &Path) {
    let output = start_run(out, index)
        .wait_with_output()
        .expect("the run ends");
    assert!(
        output.status.success(),
        "the run after a kill failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn is_temporary(name: &str) -> bool {
    Path::new(name)
        .file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with('.') && name.ends_with(".tmp"))
}

/// SQLite's `PRAGMA integrity_check` on the index (with its write-ahead log) answers "ok".
fn assert_index_intact(index: &Path, context: &str) {
    if !index.exists() {
        return; // killed before the index was created
    }
    let db = rusqlite::Connection::open(index).expect("the index opens");
    let answer: String = db
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .expect("the integrity check runs");
    assert_eq!(answer, "ok", "index corrupted after {context}");
}

/// After a kill: every file under its final name is complete, i.e. equal to the
/// uninterrupted run's (the inputs are the same, so a finished file has those bytes).
/// Returns what stage the run had reached, judged by the files it left.
fn check_after_kill(out: &Path, reference: &BTreeMap<String, Vec<u8>>, context: &str) -> Stage {
    if !out.exists() {
        return Stage::BeforeOutputs;
    }
    let files = folder_bytes(out);
    let mut finished = 0;
    for (name, bytes) in &files {
        if is_temporary(name) || name == LOCK_FILE {
            continue;
        }
        let expected = reference
            .get(name)
            .unwrap_or_else(|| panic!("{context}: unexpected file {name}"));
        assert!(
            bytes == expected,
            "{context}: {name} is visible under its final name but is not complete"
        );
        finished += 1;
    }
    match finished {
        0 => Stage::BeforeOutputs,
        n if n + 1 < reference.len() => Stage::DuringReport,
        _ => Stage::AfterReport,
    }
}

/// Where to kill: a label, a trigger on the output folder, and a deadline.
type KillPoint = (String, Box<dyn Fn(&Path) -> bool>, Duration);

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Stage {
    BeforeOutputs,
    DuringReport,
    AfterReport,
}

/// Kills `child` when `trigger` says so (polled every 200 µs) or after `deadline`.
fn kill_when(mut child: Child, deadline: Duration, trigger: impl Fn() -> bool) {
    let started = Instant::now();
    while started.elapsed() < deadline && !trigger() {
        if child.try_wait().expect("the run can be polled").is_some() {
            return; // finished before the kill point: a valid point too (after the end)
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    let _ = child.kill(); // SIGKILL on Unix
    let _ = child.wait();
}

#[test]
fn killed_runs_leave_no_partial_outputs_and_the_next_run_matches_an_uninterrupted_one() {
    let dir = temp_dir("crash");
    let reference_out = dir.join("reference");
    let started = Instant::now();
    finish_run(&reference_out, &dir.join("reference-index.sqlite"));
    let full_run = started.elapsed();
    let reference = folder_bytes(&reference_out);
    assert!(reference.contains_key("report.html") && reference.contains_key("run.json"));

    // Kill points: 16 at even fractions of an uninterrupted run's time (scan, extract and
    // report on a fresh index), then one as each output file first appears (report stage).
    // A kill on a fresh index reaches the scan; the run after it starts from what the
    // killed run left (its index, its outputs), as a nightly job would.
    let mut kills: Vec<KillPoint> = Vec::new();
    for k in 0..16u32 {
        let at = full_run * k / 16;
        kills.push((format!("{at:?} into a run"), Box::new(|_: &Path| false), at));
    }
    let outputs: Vec<String> = reference
        .keys()
        .filter(|n| n.as_str() != LOCK_FILE)
        .cloned()
        .collect();
    for name in outputs {
        let label = format!("as {name} appears");
        kills.push((
            label,
            Box::new(move |out: &Path| out.join(&name).exists()),
            full_run * 4,
        ));
    }
    assert!(kills.len() >= 20, "only {} kill points", kills.len());

    let mut stages_reached = Vec::new();
    for (n, (label, trigger, deadline)) in kills.iter().enumerate() {
        let out = dir.join(format!("out{n}"));
        let index = dir.join(format!("index{n}.sqlite"));
        // Every other point kills twice in a row before the run that completes.
        let repeats = if n % 2 == 0 { 1 } else { 2 };
        for _ in 0..repeats {
            let child = start_run(&out, &index);
            kill_when(child, *deadline, || trigger(&out));
            stages_reached.push(check_after_kill(&out, &reference, label));
            assert_index_intact(&index, label);
        }
        finish_run(&out, &index);
        assert_index_intact(&index, label);
        let resumed = folder_bytes(&out);
        assert_eq!(
            resumed.keys().collect::<Vec<_>>(),
            reference.keys().collect::<Vec<_>>(),
            "after a kill {label}: a different set of files"
        );
        for (name, bytes) in &reference {
            assert!(
                bytes == &resumed[name],
                "after a kill {label}: {name} differs from the uninterrupted run"
            );
        }
        std::fs::remove_dir_all(&out).unwrap();
    }
    // The kill points covered the stages: some before any output (scan / extract), some
    // between the first and the last output file (report).
    assert!(
        stages_reached.contains(&Stage::BeforeOutputs),
        "{stages_reached:?}"
    );
    assert!(
        stages_reached.contains(&Stage::DuringReport),
        "{stages_reached:?}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_second_run_on_a_locked_output_folder_refuses_and_writes_nothing() {
    let dir = temp_dir("locked");
    let out = dir.join("out");
    std::fs::create_dir_all(&out).unwrap();
    // Another process's run holds the lock: taken here the same way (an exclusive flock).
    let holder = File::create(out.join(LOCK_FILE)).unwrap();
    holder.lock().unwrap();
    let index = dir.join("index.sqlite");
    let output = oncoread(&[
        "run",
        "--out",
        out.to_str().unwrap(),
        "--index",
        index.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("another oncoread run is writing into this folder")
            && stderr.contains(out.to_str().unwrap()),
        "{stderr}"
    );
    let names: Vec<PathBuf> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(
        names,
        vec![out.join(LOCK_FILE)],
        "the refused run wrote into the folder"
    );

    // Released (the holder ends): the next run proceeds, whatever lock file is left.
    drop(holder);
    let output = oncoread(&[
        "run",
        "--out",
        out.to_str().unwrap(),
        "--index",
        index.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{output:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}
