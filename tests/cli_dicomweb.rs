//! End-to-end tests of the DICOMweb source against a real Orthanc PACS started by each
//! test: the PACS path gives the folder path's timeline, only what changed is fetched,
//! credentials are checked at once, and a server that goes away costs nothing fetched.

mod common;

use common::orthanc::Orthanc;
use common::pacs_source::{
    dicom_files, killed_pacs_then_rerun_is_identical, read_json, stderr, without_provenance,
    without_the_unread_presentation_state, Protocol,
};
use common::{holds_no_output, repo, temp_dir};

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The four visits of one patient written with highdicom (CT images and TID 1500 reports,
/// one of them amended): see fixtures/real/MANIFEST.md.
const LONGITUDINAL: &str = "fixtures/real/generated/highdicom-longitudinal";

/// Runs oncoread with the given DICOMweb credentials in the environment.
fn oncoread_with(args: &[&str], credentials: Option<(&str, &str)>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_oncoread"));
    command
        .args(args)
        .current_dir(repo())
        .env_remove("ONCOREAD_DICOMWEB_USER")
        .env_remove("ONCOREAD_DICOMWEB_PASSWORD")
        .env_remove("ONCOREAD_DICOMWEB_TOKEN");
    if let Some((user, password)) = credentials {
        command
            .env("ONCOREAD_DICOMWEB_USER", user)
            .env("ONCOREAD_DICOMWEB_PASSWORD", password);
    }
    command.output().expect("the oncoread binary runs")
}

fn extract(input: &str, index: &Path, out: &Path, credentials: Option<(&str, &str)>) -> Output {
    oncoread_with(
        &[
            "extract",
            input,
            "--index",
            index.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ],
        credentials,
    )
}

#[test]
fn the_pacs_gives_the_folders_timeline_and_fetches_only_what_changed() {
    let dir = temp_dir("dicomweb-same");
    let pacs = Orthanc::start(&dir.join("orthanc"), None);
    let folder = repo().join(LONGITUDINAL);
    // The first three visits now, the fourth later.
    let (later, now): (Vec<PathBuf>, Vec<PathBuf>) = dicom_files(&folder)
        .into_iter()
        .partition(|p| p.to_string_lossy().contains("/T3/"));
    pacs.stow(&now);

    let index = dir.join("index.sqlite");
    let first = extract(
        &format!("dicomweb:{}", pacs.dicomweb()),
        &index,
        &dir.join("t1.json"),
        None,
    );
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(
        stderr(&first).contains("dicomweb: 3 studies, 3 fetched (0 failed)"),
        "{}",
        stderr(&first)
    );

    pacs.stow(&later);
    let second = extract(
        &format!("dicomweb:{}", pacs.dicomweb()),
        &index,
        &dir.join("t2.json"),
        None,
    );
    assert!(second.status.success(), "{}", stderr(&second));
    // Only the new study: the study list (1 request), its series (1), the CT series'
    // metadata (1), the SR series' instance list (1) and its one report (1).
    assert!(
        stderr(&second).contains("dicomweb: 4 studies, 1 fetched (0 failed), ")
            && stderr(&second).contains(" 5 requests,"),
        "{}",
        stderr(&second)
    );

    // The same archive read from the folder.
    let from_folder = extract(
        folder.to_str().unwrap(),
        &dir.join("folder-index.sqlite"),
        &dir.join("folder.json"),
        None,
    );
    assert!(from_folder.status.success(), "{}", stderr(&from_folder));
    let mut folder_timeline = without_provenance(read_json(&dir.join("folder.json")));
    // The folder also holds the fixture's expected.json, a problem (not DICOM) the PACS
    // never sees.
    folder_timeline["problems"]
        .as_array_mut()
        .unwrap()
        .retain(|p| p["kind"] != "unreadable_file");
    assert_eq!(
        without_the_unread_presentation_state(without_provenance(read_json(&dir.join("t2.json")))),
        folder_timeline
    );

    // A third run on the unchanged PACS asks for the study list only.
    let third = extract(
        &format!("dicomweb:{}", pacs.dicomweb()),
        &index,
        &dir.join("t3.json"),
        None,
    );
    assert!(
        stderr(&third).contains(
            "4 studies, 0 fetched (0 failed), 0 instances indexed, 0 problem(s), 1 requests"
        ),
        "{}",
        stderr(&third)
    );
}

#[test]
fn credentials_are_checked_at_once() {
    let dir = temp_dir("dicomweb-auth");
    let pacs = Orthanc::start(&dir.join("orthanc"), Some(("ci", "ci-secret")));
    pacs.stow(&dicom_files(&repo().join(LONGITUDINAL).join("T0")));
    let input = format!("dicomweb:{}", pacs.dicomweb());
    let out = dir.join("timeline.json");
    for (credentials, name) in [(None, "none"), (Some(("ci", "wrong")), "wrong")] {
        let output = extract(
            &input,
            &dir.join(format!("{name}.sqlite")),
            &out,
            credentials,
        );
        assert_eq!(output.status.code(), Some(2), "{name}: {}", stderr(&output));
        let message = stderr(&output);
        assert_eq!(message.lines().count(), 1, "one clear line: {message}");
        assert!(
            message.contains("authentication refused (HTTP 401)"),
            "{message}"
        );
        assert!(message.contains("ONCOREAD_DICOMWEB_USER"), "{message}");
        assert!(holds_no_output(&out), "nothing written");
    }
    let output = extract(
        &input,
        &dir.join("right.sqlite"),
        &out,
        Some(("ci", "ci-secret")),
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let timeline = read_json(&out);
    assert_eq!(timeline["subjects"][0]["subject_id"], "FIXTURE-LONG-001");
    // The secret is never written anywhere.
    assert!(!std::fs::read_to_string(&out).unwrap().contains("ci-secret"));
}

#[test]
fn a_pacs_that_goes_away_fails_the_run_and_the_next_run_completes_it() {
    let dir = temp_dir("dicomweb-down");
    let mut pacs = Orthanc::start(&dir.join("orthanc"), None);
    pacs.stow(&dicom_files(&repo().join(LONGITUDINAL)));
    let input = format!("dicomweb:{}", pacs.dicomweb());
    let index = dir.join("index.sqlite");
    let uninterrupted = dir.join("uninterrupted.json");
    let output = extract(&input, &dir.join("other.sqlite"), &uninterrupted, None);
    assert!(output.status.success(), "{}", stderr(&output));

    pacs.kill();
    let out = dir.join("timeline.json");
    let output = extract(&input, &index, &out, None);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains(&pacs.dicomweb()),
        "{}",
        stderr(&output)
    );
    assert!(holds_no_output(&out), "nothing written half");

    // The same server again (same storage and ports): the run completes.
    pacs.restart();
    let output = extract(&format!("dicomweb:{}", pacs.dicomweb()), &index, &out, None);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        without_provenance(read_json(&out)),
        without_provenance(read_json(&uninterrupted))
    );
}

#[test]
fn run_over_dicomweb_gives_the_folder_runs_assessment() {
    let dir = temp_dir("dicomweb-run");
    let pacs = Orthanc::start(&dir.join("orthanc"), None);
    pacs.stow(&dicom_files(&repo().join("fixtures/sample")));
    let mut assessments = Vec::new();
    for (name, input) in [
        ("folder", "fixtures/sample".to_string()),
        ("pacs", format!("dicomweb:{}", pacs.dicomweb())),
    ] {
        let out = dir.join(name);
        let output = oncoread_with(
            &[
                "run",
                "--reproducible",
                "--input",
                &input,
                "--out",
                out.to_str().unwrap(),
                "--index",
                dir.join(format!("{name}.sqlite")).to_str().unwrap(),
            ],
            None,
        );
        assert!(output.status.success(), "{name}: {}", stderr(&output));
        assessments.push(read_json(&out.join("assessment.json")));
    }
    // The timelines differ only in provenance (file paths against URLs), so the
    // assessments differ only in the hash of the timeline they assessed.
    assert_eq!(assessments[0]["subjects"], assessments[1]["subjects"]);
    assert_eq!(assessments[0]["config"], assessments[1]["config"]);
    assert!(!assessments[0]["subjects"].as_array().unwrap().is_empty());
}

#[test]
fn orthanc_killed_during_a_run_fails_it_and_the_rerun_completes_it_identically() {
    killed_pacs_then_rerun_is_identical(Protocol::DicomWeb);
}
