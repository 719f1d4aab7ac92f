//! What the DICOMweb and DIMSE source tests share: reading their outputs, comparing a PACS
//! timeline with a folder's, and the "Orthanc killed during a run" scenario, which must
//! hold the same way for both protocols.

use super::orthanc::{files_under, Orthanc};
use super::{holds_no_output, oncoread, repo, temp_dir};

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The `.dcm` files under `folder`.
pub fn dicom_files(folder: &Path) -> Vec<PathBuf> {
    files_under(folder)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "dcm"))
        .collect()
}

pub fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// The timeline without provenance (`source` names files, URLs or PACS instances) and
/// without the problems' paths, which differ by nature between a folder and a PACS.
pub fn without_provenance(mut timeline: Value) -> Value {
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

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The protocol a PACS source speaks.
#[derive(Debug, Clone, Copy)]
pub enum Protocol {
    DicomWeb,
    Dimse,
}

impl Protocol {
    fn name(self) -> &'static str {
        match self {
            Protocol::DicomWeb => "dicomweb",
            Protocol::Dimse => "dimse",
        }
    }

    /// The `[[input]]` table of a pipeline.toml reading `pacs` one study at a time.
    fn input_table(self, pacs: &Orthanc) -> String {
        match self {
            Protocol::DicomWeb => format!("[[input]]\ndicomweb = \"{}\"\n", pacs.dicomweb()),
            Protocol::Dimse => format!(
                "[[input]]\ndimse = \"{}\"\n",
                pacs.dimse().strip_prefix("dimse:").unwrap()
            ),
        }
    }

    /// The source as the index keys its synced studies.
    fn index_source(self, pacs: &Orthanc) -> String {
        match self {
            Protocol::DicomWeb => format!("dicomweb:{}", pacs.dicomweb()),
            Protocol::Dimse => pacs.dimse(),
        }
    }
}

/// Orthanc is killed while `oncoread run` fetches from it: the run exits 2 naming what
/// could not be fetched and writes nothing; the index keeps the studies fetched whole;
/// after a restart the rerun fetches only the rest and writes exactly what an
/// uninterrupted run wrote.
pub fn killed_pacs_then_rerun_is_identical(protocol: Protocol) {
    let dir = temp_dir(&format!("{}-killed", protocol.name()));
    // Enough studies that the run is still fetching when Orthanc goes: 12 subjects × 4
    // visits, small images (no pixel data is fetched anyway).
    let trial = dir.join("trial");
    let synth = oncoread(&[
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
    ]);
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
            "{}concurrency = 1\n[output]\nformats = [\"json\"]\n",
            protocol.input_table(&pacs)
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

    // The interrupted run: Orthanc is killed once four reports are in the run's cache.
    let cache = dir.join("cut-index/dicomweb-cache");
    let mut child = run("cut").spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(300);
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
        assert!(Instant::now() < deadline, "no progress in 300 s");
        std::thread::sleep(Duration::from_millis(5));
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
    let kept = oncoread_pipeline::index::Index::open(&dir.join("cut-index/index.sqlite"))
        .unwrap()
        .synced_studies(&protocol.index_source(&pacs))
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
            "{}: {studies} studies, {} fetched (0 failed)",
            protocol.name(),
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

/// The PACS timeline of the highdicom longitudinal set without the one problem a folder
/// does not give: its presentation state (T0's GSPS ruler) is listed by the PACS but read
/// from files only (`pacs_object_not_read`), while the folder reads it (it agrees with the
/// report, so it adds nothing else).
pub fn without_the_unread_presentation_state(mut timeline: Value) -> Value {
    let problems = timeline["problems"].as_array_mut().unwrap();
    let unread: Vec<Value> = problems
        .iter()
        .filter(|p| p["kind"] == "pacs_object_not_read")
        .cloned()
        .collect();
    assert_eq!(unread.len(), 1, "{unread:?}");
    assert!(
        unread[0]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("1 presentation states (GSPS)")),
        "{unread:?}"
    );
    problems.retain(|p| p["kind"] != "pacs_object_not_read");
    timeline
}
