//! End-to-end tests of the DIMSE source (C-FIND and C-GET) against a real Orthanc PACS
//! started by each test: the PACS gives the folder's timeline and the folder run's
//! assessment, only what changed is fetched, a study that cannot be retrieved stops the
//! run and is fetched by the next one, and a stopped PACS fails the run at once with
//! nothing written.

mod common;

use common::orthanc::Orthanc;
use common::pacs_source::{
    dicom_files, killed_pacs_then_rerun_is_identical, read_json, stderr, without_provenance,
    without_the_unread_presentation_state, Protocol,
};
use common::{holds_no_output, oncoread, repo, temp_dir};

use std::path::{Path, PathBuf};
use std::process::Output;

/// The four visits of one patient written with highdicom (CT images, TID 1500 reports,
/// one of them amended, a key object selection and a presentation state).
const LONGITUDINAL: &str = "fixtures/real/generated/highdicom-longitudinal";

fn extract(input: &str, index: &Path, out: &Path) -> Output {
    oncoread(&[
        "extract",
        input,
        "--index",
        index.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ])
}

#[test]
fn the_pacs_gives_the_folders_timeline_and_fetches_only_what_changed() {
    let dir = temp_dir("dimse-same");
    let pacs = Orthanc::start(&dir.join("orthanc"), None);
    let folder = repo().join(LONGITUDINAL);
    // The first three visits now, the fourth later.
    let (later, now): (Vec<PathBuf>, Vec<PathBuf>) = dicom_files(&folder)
        .into_iter()
        .partition(|p| p.to_string_lossy().contains("/T3/"));
    pacs.stow(&now);

    let index = dir.join("index.sqlite");
    let first = extract(&pacs.dimse(), &index, &dir.join("t1.json"));
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(
        stderr(&first).contains("dimse: 3 studies, 3 fetched (0 failed)"),
        "{}",
        stderr(&first)
    );

    pacs.stow(&later);
    let second = extract(&pacs.dimse(), &index, &dir.join("t2.json"));
    assert!(second.status.success(), "{}", stderr(&second));
    // Only the new study: the study list (1 C-FIND, 1 association), then on one
    // association its series (1 C-FIND), the CT series' instances (1), the SR series'
    // instances (1) and its one report (1 C-GET).
    assert!(
        stderr(&second).contains(
            "dimse: 4 studies, 1 fetched (0 failed), 4 instances indexed, 0 problem(s), \
             4 C-FIND, 1 C-GET, 2 association(s)"
        ),
        "{}",
        stderr(&second)
    );

    // The same archive read from the folder.
    let from_folder = extract(
        folder.to_str().unwrap(),
        &dir.join("folder-index.sqlite"),
        &dir.join("folder.json"),
    );
    assert!(from_folder.status.success(), "{}", stderr(&from_folder));
    let mut folder_timeline = without_provenance(read_json(&dir.join("folder.json")));
    // The folder also holds the fixture's expected.json, a problem (not DICOM) the PACS
    // never sees.
    folder_timeline["problems"]
        .as_array_mut()
        .unwrap()
        .retain(|p| p["kind"] != "unreadable_file");
    let pacs_timeline =
        without_the_unread_presentation_state(without_provenance(read_json(&dir.join("t2.json"))));
    assert_eq!(pacs_timeline, folder_timeline);
    assert_eq!(pacs_timeline["subjects"].as_array().unwrap().len(), 1);

    // A third run on the unchanged PACS asks for the study list only.
    let third = extract(&pacs.dimse(), &index, &dir.join("t3.json"));
    assert!(third.status.success(), "{}", stderr(&third));
    assert!(
        stderr(&third).contains(
            "dimse: 4 studies, 0 fetched (0 failed), 0 instances indexed, 0 problem(s), \
             1 C-FIND, 0 C-GET, 1 association(s)"
        ),
        "{}",
        stderr(&third)
    );
    assert_eq!(
        without_the_unread_presentation_state(without_provenance(read_json(&dir.join("t3.json")))),
        pacs_timeline
    );
}

#[test]
fn run_over_dimse_gives_the_folder_runs_assessment() {
    let dir = temp_dir("dimse-run");
    let pacs = Orthanc::start(&dir.join("orthanc"), None);
    pacs.stow(&dicom_files(&repo().join("fixtures/sample")));
    let mut assessments = Vec::new();
    for (name, input) in [
        ("folder", "fixtures/sample".to_string()),
        ("pacs", pacs.dimse()),
    ] {
        let out = dir.join(name);
        let output = oncoread(&[
            "run",
            "--reproducible",
            "--input",
            &input,
            "--out",
            out.to_str().unwrap(),
            "--index",
            dir.join(format!("{name}.sqlite")).to_str().unwrap(),
        ]);
        assert!(output.status.success(), "{name}: {}", stderr(&output));
        assessments.push(read_json(&out.join("assessment.json")));
    }
    assert_eq!(assessments[0]["subjects"], assessments[1]["subjects"]);
    assert_eq!(assessments[0]["config"], assessments[1]["config"]);
    // One assessed subject per subject read of the sample's truth (8: two subjects are
    // read twice).
    let truth = read_json(&repo().join("fixtures/sample/truth.timeline.json"));
    assert_eq!(
        assessments[1]["subjects"].as_array().unwrap().len(),
        truth["subjects"].as_array().unwrap().len()
    );
}

#[test]
fn a_stopped_pacs_fails_with_exit_2_and_writes_nothing() {
    let dir = temp_dir("dimse-down");
    let mut pacs = Orthanc::start(&dir.join("orthanc"), None);
    pacs.stow(&dicom_files(&repo().join(LONGITUDINAL).join("T0")));
    let input = pacs.dimse();
    pacs.kill();
    let out = dir.join("timeline.json");
    let index = dir.join("index.sqlite");
    let output = extract(&input, &index, &out);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let message = stderr(&output);
    assert_eq!(message.lines().count(), 1, "one clear line: {message}");
    let address = input.strip_prefix("dimse:").unwrap();
    assert!(message.contains(address), "{message}");
    assert!(holds_no_output(&out), "nothing written");

    // The same PACS again (same storage and port): the run completes.
    pacs.restart();
    let output = extract(&input, &index, &out);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        read_json(&out)["subjects"][0]["subject_id"],
        "FIXTURE-LONG-001"
    );
}

#[test]
fn a_study_that_cannot_be_retrieved_stops_the_run_and_the_next_run_fetches_it() {
    let dir = temp_dir("dimse-refused");
    let mut pacs = Orthanc::start(&dir.join("orthanc"), None);
    pacs.stow(&dicom_files(&repo().join(LONGITUDINAL).join("T0")));
    // Queries are answered, C-GET is refused: the study's report cannot be retrieved.
    pacs.allow_get(false);
    let out = dir.join("timeline.json");
    let index = dir.join("index.sqlite");
    let output = extract(&pacs.dimse(), &index, &out);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let message = stderr(&output);
    assert!(
        message.contains("1 study could not be fetched (run again to resume"),
        "{message}"
    );
    assert!(message.contains("/studies/"), "names the study: {message}");
    assert!(holds_no_output(&out), "nothing written");

    pacs.allow_get(true);
    let output = extract(&pacs.dimse(), &index, &out);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("dimse: 1 studies, 1 fetched (0 failed)"),
        "{}",
        stderr(&output)
    );
    let timeline = read_json(&out);
    assert_eq!(timeline["subjects"][0]["subject_id"], "FIXTURE-LONG-001");
    assert_eq!(
        timeline["subjects"][0]["timepoints"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn a_pacs_that_never_answers_times_out() {
    let dir = temp_dir("dimse-timeout");
    // Connections are accepted by the kernel, and nothing ever answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let config = dir.join("pipeline.toml");
    std::fs::write(
        &config,
        format!(
            "[[input]]\ndimse = \"SILENT@127.0.0.1:{port}\"\ntimeout_s = 1\n\
             [run]\nindex = \"index.sqlite\"\n[output]\ndir = \"out\"\n"
        ),
    )
    .unwrap();
    let started = std::time::Instant::now();
    let output = oncoread(&["run", "--config", config.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("no answer within 1 s"),
        "{}",
        stderr(&output)
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
    assert!(holds_no_output(&dir.join("out")), "nothing written");
    drop(silent);
}

#[test]
fn a_malformed_address_is_a_usage_error() {
    let dir = temp_dir("dimse-address");
    let out = dir.join("timeline.json");
    let output = extract("dimse:PACS@127.0.0.1", &dir.join("index.sqlite"), &out);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("\"PACS@127.0.0.1\": expected AET@HOST:PORT"),
        "{}",
        stderr(&output)
    );
    assert!(!out.exists());
}

#[test]
fn study_dates_limit_the_studies_asked_for() {
    let dir = temp_dir("dimse-dates");
    let pacs = Orthanc::start(&dir.join("orthanc"), None);
    pacs.stow(&dicom_files(&repo().join(LONGITUDINAL)));
    // The visits are dated 2015-01-05, 03-02, 04-27 and 06-22: two fall in the range.
    let address = pacs.dimse();
    let address = address.strip_prefix("dimse:").unwrap();
    let config = dir.join("pipeline.toml");
    std::fs::write(
        &config,
        format!(
            "[[input]]\ndimse = \"{address}\"\ncalling_aet = \"CORELAB\"\n\
             study_dates = \"20150301-20150501\"\n\
             [run]\nindex = \"index.sqlite\"\n[output]\ndir = \"out\"\nformats = [\"json\"]\n"
        ),
    )
    .unwrap();
    let output = oncoread(&["run", "--config", config.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("dimse: 2 studies, 2 fetched (0 failed)"),
        "{}",
        stderr(&output)
    );
    let timeline = read_json(&dir.join("out/timeline.json"));
    let dates: Vec<&str> = timeline["subjects"][0]["timepoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["date"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(dates, ["2015-03-02", "2015-04-27"]);
}

/// The visits of the sample trial: one study per `SUBJ-*/NN-VISIT/` folder.
fn sample_visit_folders() -> usize {
    std::fs::read_dir(repo().join("fixtures/sample"))
        .unwrap()
        .map(|subject| subject.unwrap().path())
        .filter(|subject| subject.is_dir())
        .map(|subject| {
            std::fs::read_dir(subject)
                .unwrap()
                .filter(|visit| visit.as_ref().unwrap().path().is_dir())
                .count()
        })
        .sum()
}

#[test]
fn a_pacs_that_caps_c_find_answers_is_asked_by_study_date_ranges() {
    let dir = temp_dir("dimse-capped");
    let mut pacs = Orthanc::start(&dir.join("orthanc"), None);
    pacs.stow(&dicom_files(&repo().join("fixtures/sample")));
    // At most 4 answers per C-FIND: far fewer than the sample's studies (a study has at
    // most 3 series, so its series list fits).
    pacs.limit_find_results(4);
    let studies = sample_visit_folders();
    assert!(studies > 4, "the cap must crop the study list");

    let mut assessments = Vec::new();
    for (name, input) in [
        ("folder", "fixtures/sample".to_string()),
        ("pacs", pacs.dimse()),
    ] {
        let out = dir.join(name);
        let output = oncoread(&[
            "run",
            "--reproducible",
            "--input",
            &input,
            "--out",
            out.to_str().unwrap(),
            "--index",
            dir.join(format!("{name}.sqlite")).to_str().unwrap(),
        ]);
        assert!(output.status.success(), "{name}: {}", stderr(&output));
        if name == "pacs" {
            assert!(
                stderr(&output).contains(&format!(
                    "dimse: {studies} studies, {studies} fetched (0 failed)"
                )),
                "{}",
                stderr(&output)
            );
        }
        assessments.push(read_json(&out.join("assessment.json")));
    }
    assert_eq!(assessments[0]["subjects"], assessments[1]["subjects"]);
}

/// A loopback proxy to `target` that drops its first `refused` connections at once (a
/// PACS restarting, or at its association limit), then relays bytes both ways. Returns
/// its port and the count of connections it accepted.
fn flaky_proxy(
    target: u16,
    refused: usize,
) -> (u16, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::net::{TcpListener, TcpStream};
    use std::sync::atomic::Ordering;
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = accepted.clone();
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(client) = client else { continue };
            if counter.fetch_add(1, Ordering::SeqCst) < refused {
                drop(client);
                continue;
            }
            let Ok(upstream) = TcpStream::connect(("127.0.0.1", target)) else {
                continue;
            };
            for (mut from, mut to) in [
                (client.try_clone().unwrap(), upstream.try_clone().unwrap()),
                (upstream, client),
            ] {
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut from, &mut to);
                    let _ = to.shutdown(std::net::Shutdown::Write);
                });
            }
        }
    });
    (port, accepted)
}

#[test]
fn associations_that_fail_are_tried_again_with_backoff() {
    let dir = temp_dir("dimse-retry");
    let pacs = Orthanc::start(&dir.join("orthanc"), None);
    pacs.stow(&dicom_files(&repo().join(LONGITUDINAL).join("T0")));

    // Two dropped connections: within the default 3 retries, the run completes.
    let (port, accepted) = flaky_proxy(pacs.dicom_port, 2);
    let input = format!("dimse:ONCOREADTEST@127.0.0.1:{port}");
    let out = dir.join("timeline.json");
    let output = extract(&input, &dir.join("index.sqlite"), &out);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        read_json(&out)["subjects"][0]["subject_id"],
        "FIXTURE-LONG-001"
    );
    // The study list's association (after two dropped attempts), then the study's.
    assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 4);

    // With no retries configured, the first dropped connection fails the run.
    let (port, _) = flaky_proxy(pacs.dicom_port, 1);
    let config = dir.join("pipeline.toml");
    std::fs::write(
        &config,
        format!(
            "[[input]]\ndimse = \"ONCOREADTEST@127.0.0.1:{port}\"\nretries = 0\n\
             [run]\nindex = \"none.sqlite\"\n[output]\ndir = \"out\"\n"
        ),
    )
    .unwrap();
    let output = oncoread(&["run", "--config", config.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("association not established"),
        "{}",
        stderr(&output)
    );
    assert!(holds_no_output(&dir.join("out")), "nothing written");
}

#[test]
fn orthanc_killed_during_a_run_fails_it_and_the_rerun_completes_it_identically() {
    killed_pacs_then_rerun_is_identical(Protocol::Dimse);
}
