//! End-to-end tests of `oncoread run` on the bundled sample trial (`fixtures/sample`,
//! written by `oncoread synth` together with the timeline it encoded,
//! `truth.timeline.json`).

mod common;

use common::{oncoread, repo, temp_dir};

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Runs `oncoread run` with the repository's pipeline.toml into a fresh folder; returns
/// the folder and stderr. `extra` are further arguments.
fn run(name: &str, extra: &[&str]) -> (PathBuf, String) {
    let dir = temp_dir(name);
    let out = dir.join("out");
    let index = dir.join("index.sqlite");
    let mut args = vec![
        "run",
        "--config",
        "pipeline.toml",
        "--out",
        out.to_str().unwrap(),
        "--index",
        index.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let output = oncoread(&args);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "run failed: {stderr}");
    (out, stderr)
}

fn read_json(path: &Path) -> Value {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap()
}

/// Every file of a folder, by name, with its bytes.
fn folder_bytes(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| {
            let entry = entry.unwrap();
            (
                entry.file_name().to_string_lossy().into_owned(),
                std::fs::read(entry.path()).unwrap(),
            )
        })
        .collect()
}

#[test]
fn the_dicom_path_loses_nothing_the_assessment_equals_the_truths() {
    let (out, stderr) = run("truth", &[]);
    // The same criteria as pipeline.toml enables, on the timeline synth encoded.
    let dir = out.parent().unwrap();
    let truth_assessment = dir.join("truth-assessment.json");
    let output = oncoread(&[
        "assess",
        "fixtures/sample/truth.timeline.json",
        "--config",
        "pipeline.toml",
        "--pretty",
        "-o",
        truth_assessment.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{:?}", output);
    let expected = read_json(&truth_assessment);
    let actual = read_json(&out.join("assessment.json"));
    assert_eq!(
        actual["subjects"], expected["subjects"],
        "run on the DICOM archive and assess on the truth differ; run said: {stderr}"
    );
    assert_eq!(actual["config"], expected["config"]);
}

#[test]
fn the_run_record_counts_every_file_and_names_its_inputs() {
    let (out, stderr) = run("record", &[]);
    let record = read_json(&out.join("run.json"));
    assert_eq!(record["schema"], "oncoread.run/1");
    let counts = &record["counts"];
    let files = counts["files"].as_u64().unwrap();
    let on_disk = walk_count(&repo().join("fixtures/sample"));
    assert_eq!(files, on_disk, "every file of the sample is counted");
    assert_eq!(
        files,
        counts["instances"].as_u64().unwrap() + counts["file_problems"].as_u64().unwrap(),
        "files in = records + problems"
    );
    let truth = read_json(&repo().join("fixtures/sample/truth.timeline.json"));
    let truth_subjects = truth["subjects"].as_array().unwrap();
    // The truth has one entry per subject and reader (two subjects are read twice).
    assert_eq!(
        counts["subject_reads"].as_u64().unwrap() as usize,
        truth_subjects.len()
    );
    let mut ids: Vec<&str> = truth_subjects
        .iter()
        .map(|s| s["subject_id"].as_str().unwrap())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(counts["subjects"].as_u64().unwrap() as usize, ids.len());
    assert!(record["input_manifest_sha256"].as_str().unwrap().len() == 64);
    assert!(record["generated_at"].as_str().unwrap().ends_with('Z'));
    let stages: Vec<&str> = record["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["stage"].as_str().unwrap())
        .collect();
    assert_eq!(stages, ["scan", "extract", "assess", "report"]);
    // Every output named in the record exists, and the summary names the stages.
    for output in record["outputs"].as_array().unwrap() {
        assert!(
            out.join(output["file"].as_str().unwrap()).is_file(),
            "{output}"
        );
    }
    for stage in ["scan", "extract", "assess", "report"] {
        assert!(stderr.contains(stage), "{stderr}");
    }
}

/// Files under `dir` (the walk counts every regular file).
fn walk_count(dir: &Path) -> u64 {
    let mut count = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let kind = entry.file_type().unwrap();
        if kind.is_dir() {
            count += walk_count(&entry.path());
        } else if kind.is_file() {
            count += 1;
        }
    }
    count
}

#[test]
fn reproducible_runs_are_byte_identical_and_a_second_run_reads_nothing_again() {
    let dir = temp_dir("reproducible");
    let index = dir.join("index.sqlite");
    let mut outputs = Vec::new();
    for (n, threads) in ["1", "2"].iter().enumerate() {
        let out = dir.join(format!("out{n}"));
        let output = oncoread(&[
            "run",
            "--reproducible",
            "--threads",
            threads,
            "--out",
            out.to_str().unwrap(),
            "--index",
            index.to_str().unwrap(),
        ]);
        assert!(output.status.success(), "{output:?}");
        outputs.push(out);
    }
    let first = folder_bytes(&outputs[0]);
    let second = folder_bytes(&outputs[1]);
    assert_eq!(
        first.keys().collect::<Vec<_>>(),
        second.keys().collect::<Vec<_>>()
    );
    for (name, bytes) in &first {
        assert!(
            bytes == &second[name],
            "{name} differs between the two runs"
        );
    }
    let record = read_json(&outputs[0].join("run.json"));
    assert!(record.get("generated_at").is_none());
    assert!(record.get("stages").is_none());
}

#[test]
fn a_second_run_on_the_unchanged_archive_reads_no_file() {
    let dir = temp_dir("rerun");
    let index = dir.join("index.sqlite");
    let mut read_now = Vec::new();
    for n in 0..2 {
        let out = dir.join(format!("out{n}"));
        let output = oncoread(&[
            "run",
            "--out",
            out.to_str().unwrap(),
            "--index",
            index.to_str().unwrap(),
        ]);
        assert!(output.status.success(), "{output:?}");
        read_now.push(
            read_json(&out.join("run.json"))["files_read_now"]
                .as_u64()
                .unwrap(),
        );
    }
    assert!(read_now[0] > 0);
    assert_eq!(read_now[1], 0, "the index answers for unchanged files");
}

#[test]
fn configuration_errors_name_the_file_and_the_key() {
    let dir = temp_dir("bad-config");
    let config = dir.join("pipeline.toml");
    let cases = [
        ("[run]\nthread = 2\n", "run.thread: unknown key"),
        (
            "[[input]]\npath = \"x\"\n[output]\nformats = [\"pdf\"]\n",
            "output.formats",
        ),
        (
            "[criteria.recist]\npd_rel = \"much\"\n",
            "criteria.recist.pd_rel",
        ),
        ("[run]\nthreads = 2\n", "no inputs"),
    ];
    for (text, expected) in cases {
        std::fs::write(&config, text).unwrap();
        let output = oncoread(&["run", "--config", config.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{text}: {stderr}");
        assert!(stderr.contains(expected), "{text}: {stderr}");
        assert!(stderr.contains("pipeline.toml"), "{text}: {stderr}");
    }
    let missing = oncoread(&[
        "run",
        "--config",
        dir.join("nowhere.toml").to_str().unwrap(),
    ]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("nowhere.toml: not found"));
}
