//! End-to-end tests of `oncoread run --shard K/N` and `oncoread merge` on the bundled
//! sample trial: the merged outputs are the single run's, byte for byte under
//! `--reproducible`; subjects go to the shard the documented SHA-256 rule names (computed
//! by Python's hashlib); shards that do not make one run are refused with one line.

mod common;

use common::shards::{assert_same_folders, python_shards};
use common::{oncoread, temp_dir};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Output;

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// `oncoread run --reproducible` on the sample into `dir/single`.
fn single_run(dir: &Path) -> PathBuf {
    let out = dir.join("single");
    let index = dir.join("single.sqlite");
    let output = oncoread(&[
        "run",
        "--config",
        "pipeline.toml",
        "--reproducible",
        "--out",
        out.to_str().unwrap(),
        "--index",
        index.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "single run: {}", stderr(&output));
    out
}

/// Shard `k` of `n` of the sample into `parts` (as `parts/shard-k-of-n`), with `extra`.
fn shard_run(dir: &Path, parts: &Path, k: u32, n: u32, extra: &[&str]) -> Output {
    let index = dir.join("shards.sqlite");
    let shard = format!("{k}/{n}");
    let mut args = vec![
        "run",
        "--config",
        "pipeline.toml",
        "--reproducible",
        "--shard",
        &shard,
        "--out",
        parts.to_str().unwrap(),
        "--index",
        index.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    oncoread(&args)
}

fn all_shards(dir: &Path, parts: &Path, n: u32) {
    for k in 0..n {
        let output = shard_run(dir, parts, k, n, &[]);
        assert!(
            output.status.success(),
            "shard {k}/{n}: {}",
            stderr(&output)
        );
    }
}

fn merge(inputs: &[&Path], out: &Path) -> Output {
    let mut args = vec!["merge"];
    args.extend(inputs.iter().map(|p| p.to_str().unwrap()));
    args.extend(["--out", out.to_str().unwrap()]);
    oncoread(&args)
}

fn json_lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn subject_of(record: &Value) -> Option<String> {
    record["clinical_trial_subject_id"]
        .as_str()
        .or(record["patient_id"].as_str())
        .filter(|s| !s.trim().is_empty())
        .map(str::to_string)
}

#[test]
fn merging_1_3_and_7_shards_gives_the_single_runs_bytes() {
    let dir = temp_dir("shard-identical");
    let single = single_run(&dir);
    for n in [1, 3, 7] {
        let parts = dir.join(format!("parts-{n}"));
        all_shards(&dir, &parts, n);
        let merged = dir.join(format!("merged-{n}"));
        // Named one by one here; the Slurm test names the parent folder.
        let folders: Vec<PathBuf> = (0..n)
            .map(|k| parts.join(format!("shard-{k}-of-{n}")))
            .collect();
        let named: Vec<&Path> = folders.iter().map(PathBuf::as_path).collect();
        let output = merge(&named, &merged);
        assert!(output.status.success(), "merge of {n}: {}", stderr(&output));
        assert_same_folders(&single, &merged, &format!("{n} shards"));
    }
}

#[test]
fn each_file_is_read_by_the_shard_of_its_subject_and_only_there() {
    let dir = temp_dir("shard-owner");
    let single = single_run(&dir);
    let n = 3;
    let parts = dir.join("parts");
    all_shards(&dir, &parts, n);

    // Per shard: the subjects of its instances, and the paths of its unreadable files.
    let mut subjects_by_shard: BTreeMap<u32, BTreeSet<String>> = BTreeMap::new();
    let mut problem_paths_by_shard: BTreeMap<u32, Vec<String>> = BTreeMap::new();
    let mut paths_seen = BTreeSet::new();
    let mut files_total = 0;
    for k in 0..n {
        let folder = parts.join(format!("shard-{k}-of-{n}"));
        for record in json_lines(&folder.join("images.jsonl")) {
            let path = record["path"].as_str().unwrap().to_string();
            assert!(paths_seen.insert(path.clone()), "{path} in two shards");
            let subject = subject_of(&record).expect("the sample's files name their subject");
            subjects_by_shard.entry(k).or_default().insert(subject);
        }
        for problem in json_lines(&folder.join("file_problems.jsonl")) {
            let path = problem["path"].as_str().unwrap().to_string();
            assert!(paths_seen.insert(path.clone()), "{path} in two shards");
            problem_paths_by_shard.entry(k).or_default().push(path);
        }
        let manifest: Value =
            serde_json::from_slice(&std::fs::read(folder.join("shard.json")).unwrap()).unwrap();
        files_total += manifest["counts"]["files"].as_u64().unwrap();
    }
    // Every file of the single run is in exactly one shard.
    let record: Value =
        serde_json::from_slice(&std::fs::read(single.join("run.json")).unwrap()).unwrap();
    assert_eq!(files_total, record["counts"]["files"].as_u64().unwrap());
    assert_eq!(paths_seen.len() as u64, files_total);

    // Subjects where Python's hashlib puts them; no subject in two shards.
    let all: Vec<String> = subjects_by_shard.values().flatten().cloned().collect();
    let expected = python_shards(&all, n);
    assert_eq!(all.len(), 6, "the sample has six subjects: {all:?}");
    for (k, subjects) in &subjects_by_shard {
        for subject in subjects {
            assert_eq!(expected[subject], *k, "subject {subject}");
        }
    }
    // The unreadable file (truth.timeline.json) by the hash of its path.
    let problem_paths: Vec<String> = problem_paths_by_shard.values().flatten().cloned().collect();
    assert_eq!(problem_paths.len(), 1, "{problem_paths:?}");
    assert!(problem_paths[0].ends_with("truth.timeline.json"));
    let expected = python_shards(&problem_paths, n);
    for (k, paths) in &problem_paths_by_shard {
        assert_eq!(expected[&paths[0]], *k);
    }
}

/// Asserts a refused merge: exit 2, one line on stderr containing `needle`, no output.
fn assert_refused(output: &Output, out: &Path, needle: &str) {
    let message = stderr(output);
    assert_eq!(output.status.code(), Some(2), "{message}");
    assert_eq!(message.trim_end().lines().count(), 1, "one line: {message}");
    assert!(message.contains(needle), "{needle:?} in {message}");
    assert!(!out.exists(), "a refused merge writes nothing");
}

#[test]
fn a_missing_duplicated_or_foreign_shard_is_refused_with_one_line() {
    let dir = temp_dir("shard-refusals");
    let parts = dir.join("parts");
    all_shards(&dir, &parts, 3);
    let shard = |k: u32| parts.join(format!("shard-{k}-of-3"));
    let out = dir.join("merged");

    // Missing: shard 1 of 3 not given; then its folder gone from the parent folder.
    let output = merge(&[&shard(0), &shard(2)], &out);
    assert_refused(&output, &out, "shard 1/3 is missing");
    // Duplicated: shard 2 given twice (a copy of its folder).
    let copy = dir.join("copy-of-2");
    std::fs::create_dir_all(&copy).unwrap();
    for entry in std::fs::read_dir(shard(2)).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), copy.join(entry.file_name())).unwrap();
    }
    let output = merge(&[&shard(0), &shard(1), &shard(2), &copy], &out);
    assert_refused(&output, &out, "shard 2/3 is given twice");

    // Another configuration: shard 1 re-run with a criteria key changed.
    let other = dir.join("other-config");
    let output = shard_run(&dir, &other, 1, 3, &["--set", "recist.pd_rel=0.3"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let output = merge(&[&shard(0), &other.join("shard-1-of-3"), &shard(2)], &out);
    assert_refused(&output, &out, "was run with another configuration");

    // Another layout: a shard of 4 among shards of 3.
    let four = dir.join("four");
    let output = shard_run(&dir, &four, 1, 4, &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    let output = merge(&[&shard(0), &four.join("shard-1-of-4"), &shard(2)], &out);
    assert_refused(&output, &out, "one of 4 shards");

    // Another version: shard 2's manifest as another build would have written it.
    let manifest_path = copy.join("shard.json");
    let mut manifest: Value =
        serde_json::from_slice(&std::fs::read(&manifest_path).unwrap()).unwrap();
    manifest["oncoread_version"] = Value::from("0.0.0-other");
    std::fs::write(&manifest_path, serde_json::to_vec(&manifest).unwrap()).unwrap();
    let output = merge(&[&shard(0), &shard(1), &copy], &out);
    assert_refused(&output, &out, "by oncoread 0.0.0-other");

    // An unfinished shard (no manifest): named, and how to fix it said.
    std::fs::remove_file(shard(1).join("shard.json")).unwrap();
    let output = merge(&[&shard(0), &shard(1), &shard(2)], &out);
    assert_refused(
        &output,
        &out,
        "not a finished shard output; run that shard again",
    );
}

#[test]
fn a_failed_shard_is_rerun_alone_and_the_merge_completes() {
    let dir = temp_dir("shard-rerun");
    let single = single_run(&dir);
    let parts = dir.join("parts");
    // Shard 1's folder cannot be made (a file is in the way): that shard fails alone.
    std::fs::create_dir_all(&parts).unwrap();
    std::fs::write(parts.join("shard-1-of-3"), b"in the way").unwrap();
    for k in 0..3 {
        let output = shard_run(&dir, &parts, k, 3, &[]);
        assert_eq!(
            output.status.success(),
            k != 1,
            "shard {k}: {}",
            stderr(&output)
        );
        if k == 1 {
            assert_eq!(output.status.code(), Some(2));
            assert!(
                stderr(&output).contains("shard-1-of-3"),
                "{}",
                stderr(&output)
            );
        }
    }
    let merged = dir.join("merged");
    let output = merge(&[&parts], &merged);
    assert_refused(&output, &merged, "shard 1/3 is missing");

    std::fs::remove_file(parts.join("shard-1-of-3")).unwrap();
    let output = shard_run(&dir, &parts, 1, 3, &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    let output = merge(&[&parts], &merged);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_same_folders(&single, &merged, "after re-running shard 1");
}

#[test]
fn a_pacs_source_is_refused_with_one_line() {
    let dir = temp_dir("shard-pacs");
    let parts = dir.join("parts");
    let output = shard_run(
        &dir,
        &parts,
        0,
        2,
        &["--input", "dicomweb:http://127.0.0.1:9/dicom-web"],
    );
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let message = stderr(&output);
    assert_eq!(message.trim_end().lines().count(), 1, "{message}");
    assert!(message.contains("shards read folders only"), "{message}");
}
