//! End-to-end tests of the DICOM SR output (`formats = [..., "dicom-sr"]`, `--format
//! dicom-sr`): `oncoread run --reproducible` on the bundled sample, then three peers
//! `scripts/test` installs:
//! - dicom3tools `dciodvfy` (Debian `dicom3tools`): zero errors on every SR; the only
//!   warnings allowed are the local coding scheme `99ONCOREAD` (see README);
//! - DCMTK `dsrdump` (Debian `dcmtk`): parses, and the content tree has the lines expected
//!   from the timeline and the assessment;
//! - highdicom (PyPI, in the venv ONCOREAD_PYTHON names): reads each SR as a TID 1500
//!   Measurement Report whose lengths and tracking UIDs are the timeline's and whose
//!   responses are assessment.json's.
//!
//! A missing peer fails the test with how to install it.

mod common;

use common::{oncoread, repo, run_sample_with_formats, temp_dir};

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Runs the sample with `formats = ["json", "dicom-sr"]` into a new folder.
fn sample_run(name: &str) -> PathBuf {
    run_sample_with_formats(name, r#"["json", "dicom-sr"]"#, &[])
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// `dicom-sr/index.csv` as maps (no field of the sample holds a comma or a quote).
fn index_rows(out: &Path) -> Vec<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(out.join("dicom-sr/index.csv")).unwrap();
    let mut lines = text.split("\r\n").filter(|l| !l.is_empty());
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    lines
        .map(|line| {
            header
                .iter()
                .zip(line.split(','))
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

fn tool(name: &str, package: &str) -> String {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {name}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(
        found,
        "{name} is missing: run scripts/test (it installs it) or apt-get install -y {package}"
    );
    name.to_string()
}

/// The timeline's timepoint of an index row.
fn timeline_timepoint<'a>(timeline: &'a Value, row: &BTreeMap<String, String>) -> &'a Value {
    let subject = timeline["subjects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| {
            s["subject_id"] == row["subject_id"].as_str()
                && s["reader"].as_str().unwrap_or("") == row["reader"]
        })
        .unwrap();
    subject["timepoints"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["timepoint_id"] == row["timepoint_id"].as_str())
        .unwrap()
}

/// The assessment's overall responses at an index row's timepoint, by criterion name.
fn assessed_responses(
    assessment: &Value,
    row: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let subject = assessment["subjects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| {
            s["subject_id"] == row["subject_id"].as_str()
                && s["reader"].as_str().unwrap_or("") == row["reader"]
        })
        .unwrap();
    let mut out = BTreeMap::new();
    for criterion in subject["assessments"].as_array().unwrap() {
        if let Some(tp) = criterion["timepoints"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["timepoint_id"] == row["timepoint_id"].as_str())
        {
            out.insert(
                criterion["criterion"].as_str().unwrap().to_string(),
                tp["overall"].as_str().unwrap().to_string(),
            );
        }
    }
    out
}

#[test]
fn sample_srs_pass_dciodvfy_dsrdump_and_read_back_in_highdicom() {
    let out = sample_run("dicom-sr-sample");
    let rows = index_rows(&out);
    // The sample: 8 subject reads, 39 timepoints with a scan (README, `oncoread run`).
    assert_eq!(rows.len(), 39);
    assert!(rows.iter().all(|r| r["written"] == "yes"), "{rows:?}");
    let timeline = read_json(&out.join("timeline.json"));
    let assessment = read_json(&out.join("assessment.json"));

    // dciodvfy: no error anywhere; the only warning is the local coding scheme.
    let dciodvfy = tool("dciodvfy", "dicom3tools");
    for row in &rows {
        let file = out.join(&row["file"]);
        let output = Command::new(&dciodvfy).arg(&file).output().unwrap();
        let text = String::from_utf8_lossy(&output.stderr).to_string()
            + &String::from_utf8_lossy(&output.stdout);
        assert!(!text.contains("Error"), "{}:\n{text}", file.display());
        for line in text.lines().filter(|l| l.starts_with("Warning")) {
            assert_eq!(
                line,
                "Warning - Unrecognized defined term <99ONCOREAD> for value 1 of attribute <Coding Scheme Designator>",
                "{}",
                file.display()
            );
        }
        assert!(text.contains("ComprehensiveSR"), "{text}");
    }

    // dsrdump: SUBJ-002 read by Lindqvist^Eva at W8 (target T1 grew, new lesion N1).
    let row = rows
        .iter()
        .find(|r| {
            r["subject_id"] == "SUBJ-002"
                && r["reader"] == "Lindqvist^Eva"
                && r["timepoint_id"] == "W8"
        })
        .unwrap();
    let tp = timeline_timepoint(&timeline, row);
    let t1 = tp["lesions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["label"] == "T1")
        .unwrap();
    let dump = Command::new(tool("dsrdump", "dcmtk"))
        .arg(out.join(&row["file"]))
        .output()
        .unwrap();
    assert!(
        dump.status.success(),
        "{}",
        String::from_utf8_lossy(&dump.stderr)
    );
    let dump = String::from_utf8_lossy(&dump.stdout);
    let lines: Vec<&str> = dump.lines().map(str::trim).collect();
    let expected = [
        "Comprehensive SR Document".to_string(),
        "Series              : oncoread assessment (reader Lindqvist Eva) (#990)".into(),
        "Manufacturer        : oncoread (oncoread)".into(),
        "<CONTAINER:(,,\"Imaging Measurement Report\")=SEPARATE>".into(),
        "<has obs context PNAME:(,,\"Person Observer Name\")=\"Lindqvist^Eva\">".into(),
        "<has obs context TEXT:(,,\"Tracking Identifier\")=\"T1\">".into(),
        format!(
            "<has obs context UIDREF:(,,\"Tracking Unique Identifier\")=\"{}\">",
            t1["source"]["tracking_uid"].as_str().unwrap()
        ),
        "<has obs context TEXT:(,,\"Time Point\")=\"W8\">".into(),
        "<has concept mod CODE:(,,\"Finding Site\")=(39607008,SCT,\"Lung\")>".into(),
        format!(
            "<contains NUM:(,,\"Long axis\")=\"{}\" (mm,UCUM,\"mm\")>",
            t1["long_axis_mm"].as_f64().unwrap()
        ),
        "<contains CODE:(,,\"Finding\")=(112074,DCM,\"Target Lesion at Baseline\")>".into(),
        "<has concept mod CODE:(,,\"Response Evaluation Method\")=(126081,DCM,\"RECIST 1.1\")>"
            .into(),
    ];
    for line in &expected {
        assert!(
            lines.contains(&line.as_str()),
            "dsrdump lacks `{line}`:\n{dump}"
        );
    }
    let recist = assessed_responses(&assessment, row)["recist1.1"].clone();
    let response_line = lines
        .iter()
        .position(|l| {
            *l == "<has concept mod CODE:(,,\"Response Evaluation Method\")=(126081,DCM,\"RECIST 1.1\")>"
        })
        .unwrap();
    assert!(
        lines[response_line - 1].starts_with(&format!(
            "<contains CODE:(,,\"Current Response\")=({recist},99ONCOREAD,"
        )),
        "{}",
        lines[response_line - 1]
    );

    // highdicom: every SR as TID 1500 with the timeline's lesions and the assessment's
    // responses.
    let python = std::env::var("ONCOREAD_PYTHON").unwrap_or_else(|_| {
        panic!("ONCOREAD_PYTHON is not set: run scripts/test (it installs highdicom into target/test-venv)")
    });
    let files: Vec<PathBuf> = rows.iter().map(|r| out.join(&r["file"])).collect();
    let read = Command::new(&python)
        .arg(repo().join("tests/peers/read_assessment_sr.py"))
        .args(&files)
        .output()
        .unwrap();
    assert!(
        read.status.success(),
        "highdicom could not read the SRs (scripts/test installs it): {}",
        String::from_utf8_lossy(&read.stderr)
    );
    let peer: Value = serde_json::from_slice(&read.stdout).unwrap();
    // The criterion codes the SR uses, by the assessment's names (README table).
    let criterion_code = |name: &str| match name {
        "recist1.1" => "126081".to_string(),
        "rano" => "C114879".to_string(),
        other => other.to_string(),
    };
    for (row, file) in rows.iter().zip(&files) {
        let got = &peer[file.to_str().unwrap()];
        let what = format!(
            "{} {} {}",
            row["subject_id"], row["reader"], row["timepoint_id"]
        );
        assert_eq!(
            got["sop_class_uid"], "1.2.840.10008.5.1.4.1.1.88.33",
            "{what}"
        );
        let tp = timeline_timepoint(&timeline, row);
        assert_eq!(
            got["study_instance_uid"], tp["source"]["study_instance_uid"],
            "{what}"
        );
        assert_eq!(got["patient_id"], tp["source"]["patient_id"], "{what}");
        let lesions = tp["lesions"].as_array().unwrap();
        let groups = got["groups"].as_array().unwrap();
        assert_eq!(groups.len(), lesions.len(), "{what}");
        for lesion in lesions {
            let uid = &lesion["source"]["tracking_uid"];
            let group = groups
                .iter()
                .find(|g| g["tracking_uid"] == *uid)
                .unwrap_or_else(|| panic!("{what}: no group with tracking UID {uid}"));
            assert_eq!(group["tracking_identifier"], lesion["label"], "{what}");
            for (meaning, key) in [
                ("Long axis", "long_axis_mm"),
                ("Short axis", "short_axis_mm"),
            ] {
                match lesion[key].as_f64() {
                    Some(mm) => {
                        assert_eq!(
                            group["measurements"][meaning][0].as_f64(),
                            Some(mm),
                            "{what}"
                        );
                        assert_eq!(group["measurements"][meaning][1], "mm", "{what}");
                    }
                    None => assert!(group["measurements"][meaning].is_null(), "{what}"),
                }
            }
        }
        let expected: BTreeMap<String, String> = assessed_responses(&assessment, row)
            .into_iter()
            .map(|(criterion, response)| (criterion_code(&criterion), response))
            .collect();
        let responses: BTreeMap<String, String> =
            serde_json::from_value(got["responses"].clone()).unwrap();
        assert_eq!(responses, expected, "{what}");
    }
}

#[test]
fn the_same_assessment_gives_the_same_files_and_uids() {
    let out = sample_run("dicom-sr-again");
    let again = temp_dir("dicom-sr-report").join("out");
    // What an earlier run into the same folder left for a subject no longer in the
    // assessment: the PACS sink sends everything under dicom-sr/, so it must go.
    let stale = again.join("dicom-sr/GONE-001/Reader_X/BL.dcm");
    std::fs::create_dir_all(stale.parent().unwrap()).unwrap();
    std::fs::write(&stale, b"an old SR").unwrap();
    let report = oncoread(&[
        "report",
        out.join("assessment.json").to_str().unwrap(),
        "--timeline",
        out.join("timeline.json").to_str().unwrap(),
        "--out",
        again.to_str().unwrap(),
        "--format",
        "dicom-sr",
    ]);
    assert!(
        report.status.success(),
        "{}",
        String::from_utf8_lossy(&report.stderr)
    );
    assert!(!stale.exists(), "a stale SR was left behind");
    assert!(!again.join("dicom-sr/GONE-001").exists());
    let first = index_rows(&out);
    assert_eq!(first, index_rows(&again));
    for row in &first {
        assert_eq!(
            std::fs::read(out.join(&row["file"])).unwrap(),
            std::fs::read(again.join(&row["file"])).unwrap(),
            "{}",
            row["file"]
        );
    }
    // Distinct timepoints have distinct instances.
    let mut uids: Vec<&String> = first.iter().map(|r| &r["sop_instance_uid"]).collect();
    uids.sort();
    uids.dedup();
    assert_eq!(uids.len(), first.len());
}

#[test]
fn dicom_sr_without_a_timeline_is_refused() {
    let dir = temp_dir("dicom-sr-no-timeline");
    let output = oncoread(&[
        "report",
        repo()
            .join("fixtures/sample-timeline.json")
            .to_str()
            .unwrap(),
        "--out",
        dir.join("out").to_str().unwrap(),
        "--format",
        "dicom-sr",
    ]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--timeline"), "{stderr}");
}
