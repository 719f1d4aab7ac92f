//! End-to-end tests of the PACS sink (`[output.pacs]`) against a real Orthanc started by
//! each test: the run's assessment SRs (`formats = [..., "dicom-sr"]`) are stored in the
//! studies they assess (found back with QIDO-RS), sending them again adds no instance, and
//! a file that cannot be sent fails the run with a line naming the file and its study.
//!
//! The failure and credential tests put extra DICOM files into `key-images/` themselves
//! (copies of a sample report with fixed SOP and Series Instance UIDs, and a broken file),
//! to control what is sent: the sink sends every `.dcm` there, while `dicom-sr/` holds
//! only what the run itself wrote (anything else is removed by the run).

mod common;

use common::orthanc::{files_under, Orthanc};
use common::{oncoread, repo, temp_dir};

use dicom_core::{DataElement, VR};
use dicom_dictionary_std::tags;
use dicom_object::meta::FileMetaTableBuilder;
use dicom_object::open_file;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Output;

/// The sample trial: 271 DICOM instances (README: 272 files = 271 instances + the truth
/// timeline).
const SAMPLE_INSTANCES: u64 = 271;

/// The two result SRs the tests send: (source report of the sample, SOP Instance UID,
/// Series Instance UID). Fixed UIDs under 2.25, as deterministic outputs have.
const RESULTS: [(&str, &str, &str); 2] = [
    (
        "fixtures/sample/SUBJ-001/00-BL/SR/reader1.dcm",
        "2.25.311091718293014405717744913001",
        "2.25.311091718293014405717744913101",
    ),
    (
        "fixtures/sample/SUBJ-002/01-W8/SR/reader1.dcm",
        "2.25.311091718293014405717744913002",
        "2.25.311091718293014405717744913102",
    ),
];

fn dicom_files(folder: &Path) -> Vec<PathBuf> {
    files_under(folder)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "dcm"))
        .collect()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Writes the extra DICOM files into `out/key-images/`; returns (study, SOP Instance UID)
/// of each.
fn write_results(out: &Path) -> Vec<(String, String)> {
    let folder = out.join("key-images");
    std::fs::create_dir_all(&folder).unwrap();
    RESULTS
        .iter()
        .enumerate()
        .map(|(n, (source, sop, series))| {
            let original = open_file(repo().join(source)).unwrap();
            let study = original
                .element(tags::STUDY_INSTANCE_UID)
                .unwrap()
                .to_str()
                .unwrap()
                .trim_end_matches('\0')
                .to_string();
            let mut data_set = original.into_inner();
            data_set.put(DataElement::new(tags::SOP_INSTANCE_UID, VR::UI, *sop));
            data_set.put(DataElement::new(tags::SERIES_INSTANCE_UID, VR::UI, *series));
            let file = data_set
                .with_meta(
                    FileMetaTableBuilder::new().transfer_syntax("1.2.840.10008.1.2.1"), // Explicit VR LE
                )
                .unwrap();
            file.write_to_file(folder.join(format!("result{n}.dcm")))
                .unwrap();
            (study, sop.to_string())
        })
        .collect()
}

fn instance_count(pacs: &Orthanc) -> u64 {
    let statistics: Value = serde_json::from_str(&pacs.get("statistics").unwrap()).unwrap();
    statistics["CountInstances"].as_u64().unwrap()
}

/// The output formats of the runs: the sink sends the DICOM SR output.
const FORMATS: &str = "[\"json\", \"dicom-sr\"]";

/// Runs the sample folder through `oncoread run` (writing [`FORMATS`]), with
/// `[output.pacs]` set to `sink` (the table's body).
fn run_with_sink(dir: &Path, sink: &str) -> Output {
    let config = dir.join("pipeline.toml");
    std::fs::write(
        &config,
        format!(
            "[[input]]\npath = \"{}\"\n[run]\nindex = \"index.sqlite\"\n\
             [output]\ndir = \"out\"\nformats = {FORMATS}\nreproducible = true\n\
             [output.pacs]\n{sink}\n",
            repo().join("fixtures/sample").display()
        ),
    )
    .unwrap();
    oncoread(&["run", "--config", config.to_str().unwrap()])
}

/// QIDO-RS: the Study Instance UIDs of the instance with this SOP Instance UID.
fn studies_holding(pacs: &Orthanc, sop: &str) -> Vec<String> {
    let answer: Value = serde_json::from_str(
        &pacs
            .get(&format!("dicom-web/instances?SOPInstanceUID={sop}"))
            .unwrap(),
    )
    .unwrap();
    answer
        .as_array()
        .unwrap()
        .iter()
        .map(|instance| {
            instance["0020000D"]["Value"][0]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

/// The study of a sample visit, read from its images: `fixtures/sample/SUBJECT/NN-VISIT/`.
fn sample_study(subject: &str, timepoint: &str) -> String {
    let subject_folder = repo().join("fixtures/sample").join(subject);
    let visit = std::fs::read_dir(&subject_folder)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .split_once('-')
                .is_some_and(|(_, name)| name == timepoint)
        })
        .unwrap_or_else(|| panic!("{subject}: no visit folder for {timepoint}"));
    let image = dicom_files(&visit.join("CT")).remove(0);
    text(&open_file(image).unwrap(), tags::STUDY_INSTANCE_UID)
}

fn text(object: &dicom_object::DefaultDicomObject, tag: dicom_core::Tag) -> String {
    object
        .element(tag)
        .unwrap()
        .to_str()
        .unwrap()
        .trim_end_matches('\0')
        .to_string()
}

/// The assessment SRs land in the studies they assess; a second send adds nothing.
fn stores_results_once(name: &str, sink_for: impl Fn(&Orthanc) -> String) {
    let dir = temp_dir(name);
    let pacs = Orthanc::start(&dir.join("orthanc"), None);
    pacs.stow(&dicom_files(&repo().join("fixtures/sample")));
    assert_eq!(instance_count(&pacs), SAMPLE_INSTANCES);

    let output = run_with_sink(&dir, &sink_for(&pacs));
    assert!(output.status.success(), "{}", stderr(&output));
    // One assessment SR per report read in the sample: 39 (README), over its 29 visits.
    let written = dicom_files(&dir.join("out/dicom-sr"));
    assert_eq!(written.len(), 39);
    assert!(
        stderr(&output).contains("pacs: 39 file(s) of 29 study(ies) sent to ")
            && stderr(&output).contains(": 39 stored, 0 failed"),
        "{}",
        stderr(&output)
    );
    assert_eq!(instance_count(&pacs), SAMPLE_INSTANCES + 39);
    // dicom-sr/SUBJECT/READER/TIMEPOINT.dcm: QIDO finds it in that visit's study.
    for file in &written {
        let timepoint = file.file_stem().unwrap().to_str().unwrap();
        let subject = file
            .parent()
            .and_then(Path::parent)
            .and_then(Path::file_name)
            .unwrap()
            .to_str()
            .unwrap();
        let sop = text(&open_file(file).unwrap(), tags::SOP_INSTANCE_UID);
        assert_eq!(
            studies_holding(&pacs, &sop),
            vec![sample_study(subject, timepoint)],
            "{}",
            file.display()
        );
    }

    // A second run writes the same SRs (same UIDs): sending them stores nothing new.
    let again = run_with_sink(&dir, &sink_for(&pacs));
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(
        stderr(&again).contains(": 39 stored, 0 failed"),
        "{}",
        stderr(&again)
    );
    assert_eq!(instance_count(&pacs), SAMPLE_INSTANCES + 39);
    let record: Value =
        serde_json::from_slice(&std::fs::read(dir.join("out/run.json")).unwrap()).unwrap();
    assert_eq!(record["pacs"]["stored"], 39);
    assert_eq!(record["pacs"]["problems"], serde_json::json!([]));
}

#[test]
fn stow_rs_stores_the_results_in_their_studies_once() {
    stores_results_once("sink-stow", |pacs| {
        format!("dicomweb = \"{}\"", pacs.dicomweb())
    });
}

#[test]
fn c_store_stores_the_results_in_their_studies_once() {
    stores_results_once("sink-cstore", |pacs| {
        let address = pacs.dimse();
        format!(
            "dimse = \"{}\"\ncalling_aet = \"CORELAB\"",
            address.strip_prefix("dimse:").unwrap()
        )
    });
}

#[test]
fn files_that_cannot_be_sent_fail_the_run_naming_file_and_study() {
    let dir = temp_dir("sink-fail");
    let results = write_results(&dir.join("out"));
    std::fs::write(dir.join("out/key-images/broken.dcm"), b"not DICOM").unwrap();
    // Nothing listens on this port (bound, then released).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let output = run_with_sink(
        &dir,
        &format!("dicomweb = \"http://127.0.0.1:{port}/dicom-web\"\nretries = 1\ntimeout_s = 2"),
    );
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let message = stderr(&output);
    // The run's 39 SRs, the two copies and the broken file; the first study's request
    // and its one retry fail, then the other studies are not tried.
    assert!(
        message.contains("pacs: 42 file(s) of 29 study(ies) sent to ")
            && message.contains(": 0 stored, 42 failed, 2 request(s)"),
        "{message}"
    );
    assert_eq!(
        message.matches("pacs: not stored: ").count(),
        42,
        "{message}"
    );
    assert!(
        message.contains("not sent: the PACS stopped answering"),
        "{message}"
    );
    let broken = dir.join("out/key-images/broken.dcm");
    assert!(
        message.contains(&format!(
            "pacs: not stored: {} (study unknown): not a DICOM Part 10 file",
            broken.display()
        )),
        "{message}"
    );
    for (n, (study, _)) in results.iter().enumerate() {
        let file = dir.join(format!("out/key-images/result{n}.dcm"));
        assert!(
            message.contains(&format!(
                "pacs: not stored: {} (study {study}): ",
                file.display()
            )),
            "{message}"
        );
    }
    // The assessment itself was written, and the run record lists every problem.
    assert!(dir.join("out/assessment.json").exists());
    let record: Value =
        serde_json::from_slice(&std::fs::read(dir.join("out/run.json")).unwrap()).unwrap();
    assert_eq!(record["pacs"]["problems"].as_array().unwrap().len(), 42);
}

#[test]
fn stow_rs_takes_its_credentials_from_the_variables_named_in_the_config() {
    let dir = temp_dir("sink-auth");
    let pacs = Orthanc::start(&dir.join("orthanc"), Some(("ci", "ci-secret")));
    pacs.stow(&dicom_files(&repo().join("fixtures/sample")));
    let results = write_results(&dir.join("out"));
    let config = dir.join("pipeline.toml");
    std::fs::write(
        &config,
        format!(
            "[[input]]\npath = \"{}\"\n[run]\nindex = \"index.sqlite\"\n\
             [output]\ndir = \"out\"\nformats = {FORMATS}\n\
             [output.pacs]\ndicomweb = \"{}\"\nauth_env = \"RESULTS_PACS\"\n",
            repo().join("fixtures/sample").display(),
            pacs.dicomweb()
        ),
    )
    .unwrap();
    let run = |password: Option<&str>| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_oncoread"));
        command
            .args(["run", "--config", config.to_str().unwrap()])
            .current_dir(repo())
            .env_remove("RESULTS_PACS_TOKEN")
            .env_remove("RESULTS_PACS_USER")
            .env_remove("RESULTS_PACS_PASSWORD");
        if let Some(password) = password {
            command
                .env("RESULTS_PACS_USER", "ci")
                .env("RESULTS_PACS_PASSWORD", password);
        }
        command.output().unwrap()
    };

    for password in [None, Some("wrong")] {
        let output = run(password);
        assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
        assert!(
            stderr(&output).contains("pacs: nothing sent to dicomweb:")
                && stderr(&output).contains("authentication refused (HTTP 401)"),
            "{password:?}: {}",
            stderr(&output)
        );
        assert_eq!(instance_count(&pacs), SAMPLE_INSTANCES);
    }

    let output = run(Some("ci-secret"));
    assert!(output.status.success(), "{}", stderr(&output));
    // The run's 39 SRs and the two copies.
    assert_eq!(instance_count(&pacs), SAMPLE_INSTANCES + 41);
    for (study, sop) in &results {
        assert_eq!(studies_holding(&pacs, sop), vec![study.clone()]);
    }
    // The secret is written nowhere.
    let record = std::fs::read_to_string(dir.join("out/run.json")).unwrap();
    assert!(!record.contains("ci-secret"));
    assert!(record.contains("RESULTS_PACS"));
}

#[test]
fn key_images_as_secondary_capture_are_sent_unless_left_out() {
    let dir = temp_dir("sink-key-images");
    let pacs = Orthanc::start(&dir.join("orthanc"), None);
    pacs.stow(&dicom_files(&repo().join("fixtures/sample")));
    // A key image as Secondary Capture (1.2.840.10008.5.1.4.1.1.7) made from a baseline
    // slice of SUBJ-001, beside a PNG key image (not DICOM: never sent).
    let slice = dicom_files(&repo().join("fixtures/sample/SUBJ-001/00-BL/CT")).remove(0);
    let study = sample_study("SUBJ-001", "BL");
    let mut data_set = open_file(&slice).unwrap().into_inner();
    let sop = "2.25.311091718293014405717744913201";
    data_set.put(DataElement::new(
        tags::SOP_CLASS_UID,
        VR::UI,
        "1.2.840.10008.5.1.4.1.1.7",
    ));
    data_set.put(DataElement::new(tags::SOP_INSTANCE_UID, VR::UI, sop));
    data_set.put(DataElement::new(
        tags::SERIES_INSTANCE_UID,
        VR::UI,
        "2.25.311091718293014405717744913202",
    ));
    let folder = dir.join("out/key-images/SUBJ-001/reader");
    std::fs::create_dir_all(&folder).unwrap();
    data_set
        .with_meta(FileMetaTableBuilder::new().transfer_syntax("1.2.840.10008.1.2.1"))
        .unwrap()
        .write_to_file(folder.join("BL-T1.dcm"))
        .unwrap();
    std::fs::write(folder.join("BL-T1.png"), b"\x89PNG\r\n\x1a\n").unwrap();

    let sink = format!("dicomweb = \"{}\"", pacs.dicomweb());
    // Left out: only the run's 39 SRs go.
    let left_out = run_with_sink(&dir, &format!("{sink}\nkey_images = false"));
    assert!(left_out.status.success(), "{}", stderr(&left_out));
    assert!(
        stderr(&left_out).contains("pacs: 39 file(s) of 29 study(ies)"),
        "{}",
        stderr(&left_out)
    );
    assert_eq!(instance_count(&pacs), SAMPLE_INSTANCES + 39);

    // By default the key image goes too, into the SRs' study of that visit.
    let sent = run_with_sink(&dir, &sink);
    assert!(sent.status.success(), "{}", stderr(&sent));
    assert!(
        stderr(&sent).contains("pacs: 40 file(s) of 29 study(ies)")
            && stderr(&sent).contains(": 40 stored, 0 failed"),
        "{}",
        stderr(&sent)
    );
    assert_eq!(instance_count(&pacs), SAMPLE_INSTANCES + 40);
    assert_eq!(studies_holding(&pacs, sop), vec![study]);
}
