//! End-to-end tests of `oncoread run --pseudonymize` on the bundled sample trial.
//!
//! Independent expectations:
//! - the original identifiers come from pydicom reading the input DICOM files
//!   (scripts/peer_identifiers.py), never from oncoread;
//! - the expected pseudonyms and date offsets come from Python's `hmac` following the rule
//!   the README documents ("P-" + 12 base32 characters of HMAC-SHA-256(key, original); the
//!   offset from HMAC(key, "date-shift:" + subject id));
//! - the responses come from a run of the same trial without pseudonymization.
//!
//! The Python is ONCOREAD_PYTHON (scripts/test installs pydicom into target/test-venv).

mod common;

use common::shards::{assert_same_folders, folder_bytes};
use common::{
    files_under, holds_no_output, oncoread, repo, run_sample_with_formats, sample_config, temp_dir,
};

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const EVERY_FORMAT: &str = r#"["json", "csv", "html", "sdtm", "dicom-sr", "key-images"]"#;
const KEY_ENV: &str = "ONCOREAD_PSEUDONYM_KEY";
const KEY: &str = "k3y-for-the-pseudonym-test-7f3a9c";
const OTHER_KEY: &str = "another-key-entirely-41b2d0";

fn python() -> String {
    std::env::var("ONCOREAD_PYTHON").unwrap_or_else(|_| {
        panic!(
            "ONCOREAD_PYTHON is not set: run scripts/test, which installs pydicom into \
             target/test-venv and points ONCOREAD_PYTHON at its python"
        )
    })
}

fn peer(args: &[&str], key: Option<&str>) -> Value {
    let python = python();
    let mut command = Command::new(&python);
    command
        .arg(repo().join("scripts/peer_identifiers.py"))
        .args(args)
        .env_remove(KEY_ENV);
    if let Some(key) = key {
        command.env(KEY_ENV, key);
    }
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("{python} does not run ({e}): run scripts/test"));
    assert!(
        output.status.success(),
        "scripts/peer_identifiers.py failed (is pydicom installed? run scripts/test): {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// pydicom's list of every identifier in the sample, and its subject ids.
fn sample_originals() -> (Vec<String>, Vec<String>) {
    let sample = repo().join("fixtures/sample");
    let found = peer(&["originals", sample.to_str().unwrap()], None);
    let list = |key: &str| -> Vec<String> {
        found[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect()
    };
    (list("identifiers"), list("subjects"))
}

/// Subject id → (pseudonym, day offset) under `key`, computed by Python's hmac.
fn peer_pseudonyms(subjects: &[String], key: &str) -> BTreeMap<String, (String, i64)> {
    let mut args = vec!["pseudonyms"];
    args.extend(subjects.iter().map(String::as_str));
    let found = peer(&args, Some(key));
    subjects
        .iter()
        .map(|s| {
            let entry = &found[s.as_str()];
            (
                s.clone(),
                (
                    entry["pseudonym"].as_str().unwrap().to_string(),
                    entry["day_offset"].as_i64().unwrap(),
                ),
            )
        })
        .collect()
}

/// `oncoread run` on the sample (every format, reproducible) with `privacy` appended to the
/// configuration, `args` added, and the key variable set to `key` (or unset).
fn run_with_key(name: &str, privacy: &str, args: &[&str], key: Option<&str>) -> (PathBuf, Output) {
    let dir = temp_dir(name);
    let config = sample_config(&dir, EVERY_FORMAT);
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str(privacy);
    std::fs::write(&config, text).unwrap();
    let out = dir.join("out");
    let mut command = Command::new(env!("CARGO_BIN_EXE_oncoread"));
    command
        .args(["run", "--config", config.to_str().unwrap()])
        .args(["--out", out.to_str().unwrap(), "--reproducible"])
        .args(args)
        .current_dir(repo())
        .env_remove(KEY_ENV);
    if let Some(key) = key {
        command.env(KEY_ENV, key);
    }
    (out, command.output().expect("the oncoread binary runs"))
}

fn run_ok(name: &str, privacy: &str, args: &[&str], key: &str) -> PathBuf {
    let (out, output) = run_with_key(name, privacy, args, Some(key));
    assert!(
        output.status.success(),
        "{name}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    out
}

const SHIFT_DATES: &str = "\n[privacy]\npseudonymize = true\nshift_dates = true\n";

/// (file, needle) for every needle found in the bytes of any file under `dir`, and the
/// path of any file or folder whose name holds one.
fn occurrences(dir: &Path, needles: &[String]) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for file in files_under(dir) {
        let bytes = std::fs::read(&file).unwrap();
        let name = file
            .strip_prefix(dir)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        for needle in needles {
            let in_bytes = bytes
                .windows(needle.len())
                .any(|window| window == needle.as_bytes());
            if in_bytes || name.contains(needle.as_str()) {
                found.push((name.clone(), needle.clone()));
            }
        }
    }
    found
}

#[test]
fn no_output_byte_holds_an_original_identifier_or_the_key() {
    let (identifiers, subjects) = sample_originals();
    // The sample's identifiers must be distinctive, or the search below proves nothing:
    // SUBJ-00n, SYNTH^SUBJ-00n and its parts, 8-digit birth dates.
    assert!(
        subjects.len() == 6 && identifiers.len() >= 18,
        "{identifiers:?}"
    );
    for identifier in &identifiers {
        assert!(
            identifier.len() >= 5,
            "{identifier:?} is too short to search for"
        );
    }
    // The search finds them where they are: a run without pseudonymization holds each
    // subject id, each whole name and each birth date somewhere.
    let plain = run_sample_with_formats("pseudo-plain-grep", EVERY_FORMAT, &[]);
    let in_plain: BTreeSet<String> = occurrences(&plain, &identifiers)
        .into_iter()
        .map(|(_, needle)| needle)
        .collect();
    assert_eq!(
        in_plain,
        identifiers.iter().cloned().collect(),
        "the plain run does not hold every identifier: the search would prove nothing"
    );

    let mut needles = identifiers.clone();
    needles.push(KEY.to_string());
    let flagged = run_ok("pseudo-grep-flag", "", &["--pseudonymize"], KEY);
    let shifted = run_ok("pseudo-grep-shift", SHIFT_DATES, &[], KEY);
    for out in [&flagged, &shifted] {
        assert!(
            files_under(out).len() > 100,
            "{} is nearly empty",
            out.display()
        );
        assert_eq!(
            occurrences(out, &needles),
            Vec::<(String, String)>::new(),
            "originals or the key in {}",
            out.display()
        );
    }
    // run.json says pseudonymization was on and names the variable, not the key.
    let record: Value =
        serde_json::from_slice(&std::fs::read(shifted.join("run.json")).unwrap()).unwrap();
    assert_eq!(
        record["config"]["privacy"],
        serde_json::json!({"pseudonymize": true, "key_env": KEY_ENV, "shift_dates": true})
    );
}

/// A CSV line's fields (quoted fields may hold commas and doubled quotes).
fn csv_fields(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                fields.last_mut().unwrap().push('"');
            }
            '"' => quoted = !quoted,
            ',' if !quoted => fields.push(String::new()),
            _ => fields.last_mut().unwrap().push(c),
        }
    }
    fields
}

/// The rows of `out/NAME` as column → value maps.
fn csv_rows(out: &Path, name: &str) -> Vec<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(out.join(name)).unwrap();
    let mut lines = text.lines();
    let header = csv_fields(lines.next().unwrap());
    lines
        .map(|line| header.iter().cloned().zip(csv_fields(line)).collect())
        .collect()
}

/// The rows of `name`, the subject id mapped through `rename`, the date columns moved back
/// by the subject's offset (`dates`), sorted so that both runs list them alike.
fn comparable_rows(
    out: &Path,
    name: &str,
    rename: &BTreeMap<String, String>,
    dates: &BTreeMap<String, i64>,
) -> Vec<BTreeMap<String, String>> {
    let mut rows: Vec<_> = csv_rows(out, name)
        .into_iter()
        .map(|mut row| {
            let subject = row["subject_id"].clone();
            let original = rename.get(&subject).cloned().unwrap_or(subject);
            if let Some(offset) = dates.get(&original) {
                for column in ["date", "progression_date"] {
                    if let Some(date) = row.get_mut(column).filter(|d| !d.is_empty()) {
                        *date = add_days(date, -offset);
                    }
                }
                // The why-trail quotes dates; the responses are what is compared here.
                row.remove("rules");
            }
            row.insert("subject_id".into(), original);
            row
        })
        .collect();
    rows.sort();
    rows
}

/// `YYYY-MM-DD` plus `days`, by a civil-date calculation written here (Howard Hinnant's
/// days-from-civil), not oncoread's.
fn add_days(date: &str, days: i64) -> String {
    let parts: Vec<i64> = date.split('-').map(|p| p.parse().unwrap()).collect();
    let (y, m, d) = (parts[0], parts[1], parts[2]);
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let z = era * 146_097 + doe + days;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[test]
fn responses_and_day_intervals_are_the_plain_runs() {
    let (_, subjects) = sample_originals();
    let expected_pseudonyms = peer_pseudonyms(&subjects, KEY);
    let rename: BTreeMap<String, String> = expected_pseudonyms
        .iter()
        .map(|(original, (pseudonym, _))| (pseudonym.clone(), original.clone()))
        .collect();
    let offsets: BTreeMap<String, i64> = expected_pseudonyms
        .iter()
        .map(|(original, (_, offset))| (original.clone(), *offset))
        .collect();
    for offset in offsets.values() {
        assert!((-365..=-1).contains(offset), "offset {offset}");
    }
    let plain = run_sample_with_formats("pseudo-plain-responses", EVERY_FORMAT, &[]);
    let flagged = run_ok("pseudo-responses-flag", "", &["--pseudonymize"], KEY);
    let shifted = run_ok("pseudo-responses-shift", SHIFT_DATES, &[], KEY);
    let (no_rename, no_shift) = (BTreeMap::new(), BTreeMap::new());
    for table in ["subjects.csv", "timepoints.csv"] {
        let expected = comparable_rows(&plain, table, &no_rename, &no_shift);
        assert!(!expected.is_empty());
        // Every subject id is the peer's pseudonym (else the mapping leaves it unknown).
        for out in [&flagged, &shifted] {
            for row in csv_rows(out, table) {
                assert!(rename.contains_key(&row["subject_id"]), "{row:?}");
            }
        }
        // Without the shift: the same rows, dates and why-trail included.
        assert_eq!(
            comparable_rows(&flagged, table, &rename, &no_shift),
            expected,
            "{table} without date shift"
        );
        // With it: every date of a subject moved by the peer's offset for that subject,
        // so the days between scans, and every response, are the same.
        let mut expected_without_rules = expected.clone();
        for row in &mut expected_without_rules {
            row.remove("rules");
        }
        assert_eq!(
            comparable_rows(&shifted, table, &rename, &offsets),
            expected_without_rules,
            "{table} with shifted dates"
        );
    }
    // The shift moves dates the plain run has: at least one date differs.
    let dates = |out: &Path| -> BTreeSet<String> {
        csv_rows(out, "timepoints.csv")
            .into_iter()
            .map(|r| r["date"].clone())
            .collect()
    };
    assert_ne!(dates(&plain), dates(&shifted));
    assert_eq!(dates(&plain), dates(&flagged));

    // Birth dates: removed without the shift, moved by the subject's offset with it.
    let sample = repo().join("fixtures/sample");
    let birth_dates = peer(&["originals", sample.to_str().unwrap()], None)["birth_dates"].clone();
    for (out, shift) in [(&flagged, false), (&shifted, true)] {
        let timeline: Value =
            serde_json::from_slice(&std::fs::read(out.join("timeline.json")).unwrap()).unwrap();
        for subject in timeline["subjects"].as_array().unwrap() {
            let original = &rename[subject["subject_id"].as_str().unwrap()];
            for timepoint in subject["timepoints"].as_array().unwrap() {
                let found = &timepoint["source"]["patient_birth_date"];
                if !shift {
                    assert!(found.is_null(), "{original}: birth date {found}");
                    continue;
                }
                let dicom = birth_dates[original.as_str()].as_str().unwrap();
                let iso = format!("{}-{}-{}", &dicom[..4], &dicom[4..6], &dicom[6..]);
                let expected = add_days(&iso, offsets[original]).replace('-', "");
                assert_eq!(found.as_str(), Some(expected.as_str()), "{original}");
            }
        }
    }
}

/// The subject ids of `subjects.csv`.
fn subject_ids(out: &Path) -> BTreeSet<String> {
    csv_rows(out, "subjects.csv")
        .into_iter()
        .map(|row| row["subject_id"].clone())
        .collect()
}

#[test]
fn pseudonyms_are_the_same_per_key_across_runs_and_shards_and_change_with_the_key() {
    let first = run_ok("pseudo-stable-1", "", &["--pseudonymize"], KEY);
    let second = run_ok("pseudo-stable-2", "", &["--pseudonymize"], KEY);
    // Byte for byte, but run.json: it names each run's own configuration file.
    let outputs = |out: &Path| {
        let mut files = folder_bytes(out);
        files.remove("run.json");
        files
    };
    assert!(
        outputs(&first) == outputs(&second),
        "two runs with one key differ"
    );
    let other = run_ok("pseudo-other-key", "", &["--pseudonymize"], OTHER_KEY);
    let (ids_first, ids_other) = (subject_ids(&first), subject_ids(&other));
    assert_eq!(ids_first.len(), 6);
    assert!(
        ids_first.is_disjoint(&ids_other),
        "{ids_first:?} / {ids_other:?}"
    );
    let (_, subjects) = sample_originals();
    let expected: BTreeSet<String> = peer_pseudonyms(&subjects, OTHER_KEY)
        .into_values()
        .map(|(pseudonym, _)| pseudonym)
        .collect();
    assert_eq!(ids_other, expected);

    // Three shards and their merge give the single run's bytes (the merge reads the key).
    let dir = temp_dir("pseudo-shards");
    let config = sample_config(&dir, EVERY_FORMAT);
    let single = dir.join("single");
    let parts = dir.join("parts");
    let run = |args: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_oncoread"))
            .args(args)
            .current_dir(repo())
            .env(KEY_ENV, KEY)
            .output()
            .expect("the oncoread binary runs");
        assert!(
            output.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    };
    let config = config.to_str().unwrap();
    run(&[
        "run",
        "--config",
        config,
        "--reproducible",
        "--pseudonymize",
    ]
    .into_iter()
    .chain(["--out", single.to_str().unwrap()])
    .collect::<Vec<_>>());
    for k in 0..3 {
        let shard = format!("{k}/3");
        run(&[
            "run",
            "--config",
            config,
            "--reproducible",
            "--pseudonymize",
            "--shard",
            &shard,
            "--out",
            parts.to_str().unwrap(),
        ]);
    }
    let merged = dir.join("merged");
    run(&[
        "merge",
        parts.to_str().unwrap(),
        "--out",
        merged.to_str().unwrap(),
    ]);
    assert_same_folders(&single, &merged, "3 pseudonymized shards");
    assert_eq!(subject_ids(&merged), subject_ids(&first));
}

#[test]
fn a_missing_or_empty_key_stops_the_run_naming_the_variable() {
    for (name, key) in [("pseudo-no-key", None), ("pseudo-empty-key", Some(""))] {
        let (out, output) = run_with_key(name, "", &["--pseudonymize"], key);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{name}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{name}: one line: {stderr}");
        assert!(stderr.contains(KEY_ENV), "{name}: {stderr}");
        assert!(holds_no_output(&out), "{name}: wrote outputs");
    }
    // The configuration names another variable: that one is asked for.
    let (out, output) = run_with_key(
        "pseudo-named-key",
        "\n[privacy]\npseudonymize = true\nkey_env = \"TRIAL_PSEUDONYM_KEY\"\n",
        &[],
        Some(KEY),
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("TRIAL_PSEUDONYM_KEY"), "{stderr}");
    assert!(holds_no_output(&out));
    // Sending the SRs back to the PACS would put pseudonyms into the original studies.
    let (out, output) = run_with_key(
        "pseudo-pacs",
        "\n[output.pacs]\ndicomweb = \"http://127.0.0.1:9/dicom-web\"\n",
        &["--pseudonymize"],
        Some(KEY),
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("[output.pacs]"), "{stderr}");
    assert!(holds_no_output(&out));
    // The flag and its variable are in the help.
    let help = oncoread(&["run", "--help"]);
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(
        help.contains("--pseudonymize") && help.contains(KEY_ENV),
        "{help}"
    );
}
