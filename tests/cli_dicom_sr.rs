//! End-to-end tests of the DICOM SR output (`formats = [..., "dicom-sr"]`, `--format
//! dicom-sr`): `oncoread run --reproducible` on the bundled sample, then three peers
//! `scripts/test` installs:
//! - dicom3tools `dciodvfy` (Debian `dicom3tools`): zero errors on every SR; the only
//!   warnings allowed are the local coding scheme `99ONCOREAD` (see README);
//! - DCMTK `dsrdump` (Debian `dcmtk`): parses, and the content tree has the lines expected
//!   from the timeline and the assessment;
//! - highdicom (PyPI, in the venv ONCOREAD_PYTHON names): reads each SR as a TID 1500
//!   Measurement Report whose lengths and tracking UIDs are the timeline's, whose lesion
//!   categories are the timeline's roles, and whose responses, best overall responses and
//!   accepted-read flags are assessment.json's, coded as [`response_code`] and
//!   [`criterion_code`] say.
//!
//! The expected codes are written here from their sources, not taken from the code under
//! test: DICOM PS3.16 (CID 6145, 6147, 230; DCM 112049) and CDISC SDTM Controlled
//! Terminology (codelists C124298 Category of Oncology Response Assessment, C96785
//! Oncology Response Assessment Result, C123650 Tumor or Lesion Identification Test
//! Results).
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
    let mut out = BTreeMap::new();
    for criterion in assessed_subject(assessment, row)["assessments"]
        .as_array()
        .unwrap()
    {
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

/// The code of a response as assessment.json spells it: CDISC SDTM CT codelist C96785
/// "Oncology Response Assessment Result" (NCIt C-codes); what it lacks is local.
fn response_code(response: &str) -> (String, &'static str) {
    let ncit = match response {
        "CR" => "C4870",
        "PR" => "C18058",
        "SD" => "C18213",
        "PD" => "C35571",
        "NE" => "C62222",
        "non-CR/non-PD" => "C96700",
        "iCR" => "C142357",
        "iPR" => "C142358",
        "iSD" => "C142359",
        "iUPD" => "C142360",
        "iCPD" => "C142356",
        "non-iCR/non-iUPD" => "C142361",
        "PD-unconfirmed" => "C123607",
        "CMR" => "C123407",
        "PMR" => "C123609",
        "SMD" => "C123616",
        "PMD" => "C123608",
        // BL and the irRC responses (irCR … irPD) are in neither DICOM nor CDISC CT.
        local => return (local.to_string(), "99ONCOREAD"),
    };
    (ncit.to_string(), "NCIt")
}

/// The code of a criterion by its assessment name: DICOM CID 6147 "Response Criteria"
/// (RECIST 1.1, RANO), else CDISC SDTM CT codelist C124298 "Category of Oncology Response
/// Assessment"; irRECIST, imRECIST, RANO 2.0 and LYRIC are in neither.
fn criterion_code(name: &str) -> (String, &'static str) {
    let (value, scheme) = match name {
        "recist1.1" => ("126081", "DCM"),
        "rano" => ("C114879", "NCIt"),
        "irecist" => ("C136711", "NCIt"),
        "irrc" => ("C126051", "NCIt"),
        "irano" => ("C158263", "NCIt"),
        "mrecist" => ("C126032", "NCIt"),
        "choi" => ("C122394", "NCIt"),
        "percist" => ("C126039", "NCIt"),
        "lugano" => ("C126025", "NCIt"),
        local => (local, "99ONCOREAD"),
    };
    (value.to_string(), scheme)
}

/// The category of a lesion by its timeline role: CID 6145 for targets and non-targets,
/// CDISC C123650 "NEW" for new lesions.
fn category_code(role: &str) -> [&'static str; 3] {
    match role {
        "target" => ["112074", "DCM", "Target Lesion at Baseline"],
        "non_target" => ["112075", "DCM", "Non-Target Lesion at Baseline"],
        "new" => ["C94522", "NCIt", "NEW"],
        other => panic!("unknown role {other}"),
    }
}

/// dciodvfy finds no error in `file`, and warns of nothing but the local coding scheme.
fn assert_dciodvfy_clean(file: &Path) {
    let output = Command::new(tool("dciodvfy", "dicom3tools"))
        .arg(file)
        .output()
        .unwrap();
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

/// The SRs read back by highdicom (tests/peers/read_assessment_sr.py), by file.
fn read_back(files: &[PathBuf]) -> Value {
    let python = std::env::var("ONCOREAD_PYTHON").unwrap_or_else(|_| {
        panic!("ONCOREAD_PYTHON is not set: run scripts/test (it installs highdicom into target/test-venv)")
    });
    let read = Command::new(&python)
        .arg(repo().join("tests/peers/read_assessment_sr.py"))
        .args(files)
        .output()
        .unwrap();
    assert!(
        read.status.success(),
        "highdicom could not read the SRs (scripts/test installs it): {}",
        String::from_utf8_lossy(&read.stderr)
    );
    serde_json::from_slice(&read.stdout).unwrap()
}

/// The assessment's subject read of an index row.
fn assessed_subject<'a>(assessment: &'a Value, row: &BTreeMap<String, String>) -> &'a Value {
    assessment["subjects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| {
            s["subject_id"] == row["subject_id"].as_str()
                && s["reader"].as_str().unwrap_or("") == row["reader"]
        })
        .unwrap()
}

/// The evaluations of one SR read back with `concept`: by the code value of their
/// Response Evaluation Method ("" without one), their value as (code value, scheme).
fn evaluations_of(got: &Value, concept: &str) -> BTreeMap<String, (String, String)> {
    got["evaluations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["concept"] == concept)
        .map(|e| {
            (
                e["method"][0].as_str().unwrap_or("").to_string(),
                (
                    e["value"][0].as_str().unwrap().to_string(),
                    e["value"][1].as_str().unwrap().to_string(),
                ),
            )
        })
        .collect()
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
    for row in &rows {
        assert_dciodvfy_clean(&out.join(&row["file"]));
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
        // N1, new at W8 (CDISC C123650 "NEW").
        "<contains CODE:(,,\"Finding\")=(C94522,NCIt,\"NEW\")>".into(),
        // iRECIST by its CDISC code (C124298).
        "<has concept mod CODE:(,,\"Response Evaluation Method\")=(C136711,NCIt,\"iRECIST\")>"
            .into(),
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
    // RECIST 1.1 PD at W8 (cli_readers.rs derives it by hand), as CDISC C96785 codes it.
    assert_eq!(recist, "PD");
    assert_eq!(
        lines[response_line - 1],
        "<contains CODE:(,,\"Current Response\")=(C35571,NCIt,\"Progressive Disease\")>"
    );

    // highdicom: every SR as TID 1500 with the timeline's lesions and the assessment's
    // responses.
    let files: Vec<PathBuf> = rows.iter().map(|r| out.join(&r["file"])).collect();
    let peer = read_back(&files);
    let mut best_responses_seen = 0;
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
            let role = lesion["role"].as_str().unwrap_or("target");
            assert_eq!(
                group["findings"][1],
                serde_json::json!(category_code(role)),
                "{what}: {}",
                lesion["label"]
            );
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
        let code_pair = |(value, scheme): (String, &str)| (value, scheme.to_string());
        let expected: BTreeMap<String, (String, String)> = assessed_responses(&assessment, row)
            .into_iter()
            .map(|(criterion, response)| {
                (
                    criterion_code(&criterion).0,
                    code_pair(response_code(&response)),
                )
            })
            .collect();
        assert_eq!(evaluations_of(got, "112048"), expected, "{what}");
        // The best overall response sits at each criterion's last timepoint only.
        let subject = assessed_subject(&assessment, row);
        let expected_best: BTreeMap<String, (String, String)> = subject["assessments"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| {
                c["timepoints"].as_array().unwrap().last().unwrap()["timepoint_id"]
                    == row["timepoint_id"].as_str()
            })
            .map(|c| {
                (
                    criterion_code(c["criterion"].as_str().unwrap()).0,
                    code_pair(response_code(c["best_overall_response"].as_str().unwrap())),
                )
            })
            .collect();
        best_responses_seen += expected_best.len();
        assert_eq!(evaluations_of(got, "112049"), expected_best, "{what}");
        // The sample is read without a [readers] table: no accepted-read flag.
        assert!(subject["accepted"].is_null(), "{what}");
        assert!(evaluations_of(got, "ACCEPTED-READ").is_empty(), "{what}");
    }
    // 8 reads × 5 criteria, each with its best overall response once.
    assert_eq!(best_responses_seen, 8 * 5);
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

/// `oncoread run` on the sample with a `[readers]` table and `dicom-sr`: the two double
/// reads (SUBJ-002 and SUBJ-006) agree, so no adjudication trigger fires and the first
/// reader by name, Lindqvist^Eva, is accepted in both (derived by hand in
/// tests/cli_readers.rs); every SR of a double read says so — CID 230 Yes for her reads,
/// No for Okafor^Daniel's and Moreau^Claire's — and single reads carry no flag.
#[test]
fn the_srs_of_a_double_read_say_whether_it_was_accepted() {
    let dir = temp_dir("dicom-sr-readers");
    let out = dir.join("out");
    let config = dir.join("pipeline.toml");
    let toml_path = |p: &Path| format!("{:?}", p.to_str().unwrap());
    std::fs::write(
        &config,
        format!(
            "[[input]]\npath = {}\n[run]\nindex = {}\n[output]\ndir = {}\n\
             formats = [\"json\", \"dicom-sr\"]\nreproducible = true\n\
             [criteria]\nenabled = [\"recist1.1\"]\n[readers]\n",
            toml_path(&repo().join("fixtures/sample")),
            toml_path(&dir.join("index.sqlite")),
            toml_path(&out),
        ),
    )
    .unwrap();
    let run = oncoread(&["run", "--config", config.to_str().unwrap()]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let rows = index_rows(&out);
    let files: Vec<PathBuf> = rows.iter().map(|r| out.join(&r["file"])).collect();
    for file in &files {
        assert_dciodvfy_clean(file);
    }
    let peer = read_back(&files);
    let assessment = read_json(&out.join("assessment.json"));
    let mut flagged = BTreeMap::new();
    for (row, file) in rows.iter().zip(&files) {
        let got = &peer[file.to_str().unwrap()];
        let accepted = evaluations_of(got, "ACCEPTED-READ");
        let read = (row["subject_id"].clone(), row["reader"].clone());
        match accepted.get("") {
            None => assert!(
                assessed_subject(&assessment, row)["accepted"].is_null(),
                "{read:?} has no accepted-read flag"
            ),
            Some(answer) => {
                assert_eq!(
                    assessed_subject(&assessment, row)["accepted"].as_bool(),
                    Some(answer.0 == "373066001"),
                    "{read:?}"
                );
                assert_eq!(answer.1, "SCT", "{read:?}");
                // The flag is the read's: every SR of the read says the same.
                let before = flagged.insert(read.clone(), answer.0.clone());
                assert!(
                    before.is_none() || before.as_ref() == Some(&answer.0),
                    "{read:?}"
                );
            }
        }
    }
    let yes = "373066001".to_string();
    let no = "373067005".to_string();
    let read = |subject: &str, reader: &str| (subject.to_string(), reader.to_string());
    assert_eq!(
        flagged,
        BTreeMap::from([
            (read("SUBJ-002", "Lindqvist^Eva"), yes.clone()),
            (read("SUBJ-002", "Okafor^Daniel"), no.clone()),
            (read("SUBJ-006", "Lindqvist^Eva"), yes),
            (read("SUBJ-006", "Moreau^Claire"), no),
        ])
    );
}
