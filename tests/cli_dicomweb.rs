//! End-to-end tests of the DICOMweb source against a real Orthanc PACS started by each
//! test: the PACS path gives the folder path's timeline, only what changed is fetched,
//! credentials are checked at once, and a server that goes away costs nothing fetched.

mod common;

use common::orthanc::{files_under, Orthanc};
use common::{holds_no_output, repo, temp_dir};

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The four visits of one patient written with highdicom (CT images and TID 1500 reports,
/// one of them amended): see fixtures/real/MANIFEST.md.
const LONGITUDINAL: &str = "fixtures/real/generated/highdicom-longitudinal";

fn dicom_files(folder: &Path) -> Vec<PathBuf> {
    files_under(folder)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "dcm"))
        .collect()
}

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

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// The timeline without provenance (`source` names files or URLs) and without the
/// problems' paths, which differ by nature between a folder and a PACS.
fn without_provenance(mut timeline: Value) -> Value {
    for subject in timeline["subjects"].as_array_mut().unwrap() {
        for timepoint in subject["timepoints"].as_array_mut().unwrap() {
            timepoint.as_object_mut().unwrap().remove("source");
            for lesion in timepoint["lesions"].as_array_mut().unwrap() {
                lesion.as_object_mut().unwrap().remove("source");
            }
        }
    }
    for problem in timeline["problems"].as_array_mut().unwrap() {
        problem.as_object_mut().unwrap().remove("path");
    }
    timeline
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
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
        without_provenance(read_json(&dir.join("t2.json"))),
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
    use std::process::Stdio;
    let dir = temp_dir("dicomweb-killed");
    // A trial with enough studies that the run is still fetching when Orthanc goes: 12
    // subjects × 4 visits, small images (the images' pixels are never fetched anyway).
    let trial = dir.join("trial");
    let synth = oncoread_with(
        &[
            "synth",
            "--out",
            trial.to_str().unwrap(),
            "--subjects",
            "12",
            "--timepoints",
            "4",
            "--slices",
            "4",
            "--matrix",
            "32",
        ],
        None,
    );
    assert!(synth.status.success(), "{}", stderr(&synth));
    let mut pacs = Orthanc::start(&dir.join("orthanc"), None);
    pacs.stow(&dicom_files(&trial));
    // The studies as the PACS lists them (QIDO-RS).
    let listed: Vec<Value> = serde_json::from_str(&pacs.get("dicom-web/studies").unwrap()).unwrap();
    let studies = listed.len();
    assert!(studies >= 40, "{studies} studies");

    // One study at a time, as a polite nightly job would.
    let config = dir.join("pipeline.toml");
    std::fs::write(
        &config,
        format!(
            "[[input]]\ndicomweb = \"{}\"\nconcurrency = 1\n\
             [output]\nformats = [\"json\"]\n",
            pacs.dicomweb()
        ),
    )
    .unwrap();
    let run = |name: &str| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_oncoread"));
        command
            .args([
                "run",
                "--reproducible",
                "--config",
                config.to_str().unwrap(),
                "--out",
                dir.join(name).to_str().unwrap(),
                "--index",
                dir.join(format!("{name}-index/index.sqlite"))
                    .to_str()
                    .unwrap(),
            ])
            .current_dir(repo())
            .env_remove("ONCOREAD_DICOMWEB_USER")
            .env_remove("ONCOREAD_DICOMWEB_PASSWORD")
            .env_remove("ONCOREAD_DICOMWEB_TOKEN")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    };
    let uninterrupted = run("whole").output().unwrap();
    assert!(uninterrupted.status.success(), "{}", stderr(&uninterrupted));

    // The interrupted run: Orthanc is killed once four reports are in its cache.
    let cache = dir.join("cut-index/dicomweb-cache");
    let mut child = run("cut").spawn().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(300);
    loop {
        let cached = std::fs::read_dir(&cache).map_or(0, |entries| {
            entries
                .filter(|e| {
                    e.as_ref()
                        .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "dcm"))
                })
                .count()
        });
        if cached >= 4 {
            break;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run ended before Orthanc was killed: make the trial bigger"
        );
        assert!(std::time::Instant::now() < deadline, "no progress in 300 s");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    pacs.kill();
    let interrupted = child.wait_with_output().unwrap();
    assert_eq!(
        interrupted.status.code(),
        Some(2),
        "{}",
        stderr(&interrupted)
    );
    assert!(
        stderr(&interrupted).contains("could not be fetched (run again to resume"),
        "{}",
        stderr(&interrupted)
    );
    assert!(holds_no_output(&dir.join("cut")), "nothing written half");
    // Studies fetched whole before the kill are in the index; the others are not.
    let source = format!("dicomweb:{}", pacs.dicomweb());
    let kept = oncoread_pipeline::index::Index::open(&dir.join("cut-index/index.sqlite"))
        .unwrap()
        .synced_studies(&source)
        .unwrap()
        .len();
    assert!(kept >= 1 && kept < studies, "{kept} of {studies} kept");

    // Orthanc again on the same storage: the rerun fetches only the studies not kept and
    // writes exactly what the uninterrupted run wrote.
    pacs.restart();
    let rerun = run("cut").output().unwrap();
    assert!(rerun.status.success(), "{}", stderr(&rerun));
    assert!(
        stderr(&rerun).contains(&format!(
            "dicomweb: {studies} studies, {} fetched (0 failed)",
            studies - kept
        )),
        "{}",
        stderr(&rerun)
    );
    for file in ["assessment.json", "timeline.json"] {
        assert!(
            std::fs::read(dir.join("whole").join(file)).unwrap()
                == std::fs::read(dir.join("cut").join(file)).unwrap(),
            "{file} differs from the uninterrupted run's"
        );
    }
    // The generated trial and three runs' outputs: removed once passed (kept on failure).
    drop(pacs);
    let _ = std::fs::remove_dir_all(&dir);
}
