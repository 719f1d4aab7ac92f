//! End-to-end tests of the SDTM output (`formats = [..., "sdtm"]`, `--format sdtm`):
//! `oncoread run --reproducible` on the bundled sample, then
//! - tu.json, tr.json and rs.json validated by an independent tool: the `jsonschema` PyPI
//!   package against CDISC's Dataset-JSON v1.1 schema (schemas/dataset-json-1.1.schema.json),
//!   plus the table checks the schema cannot express (records, row widths, value types);
//!   `scripts/test` installs jsonschema into the venv ONCOREAD_PYTHON names. Required:
//!   the test fails, with how to install it, when the tool is missing;
//! - TR LDIAM against the truth timeline's `long_axis_mm`, read here independently;
//! - RS OVRLRESP against the run's assessment.json;
//! - row counts of one subject derived by hand.

mod common;

use common::{oncoread, repo, run_sample_with_formats, temp_dir};

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Runs the sample with `formats = ["json", "csv", "sdtm"]` into a new folder.
fn sample_run(name: &str) -> PathBuf {
    // The hand counts below are for these two criteria (pipeline.toml enables more).
    run_sample_with_formats(
        name,
        r#"["json", "csv", "sdtm"]"#,
        &["--criteria", "recist1.1,irecist"],
    )
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// The rows of a Dataset-JSON file as maps from variable name to value.
fn records(path: &Path) -> Vec<BTreeMap<String, Value>> {
    let doc = read_json(path);
    let names: Vec<String> = doc["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect();
    doc["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            names
                .iter()
                .cloned()
                .zip(row.as_array().unwrap().iter().cloned())
                .collect()
        })
        .collect()
}

fn text<'a>(row: &'a BTreeMap<String, Value>, name: &str) -> &'a str {
    row[name]
        .as_str()
        .unwrap_or_else(|| panic!("{name} is not text: {row:?}"))
}

/// The validator, run by the venv's python: the official schema through `jsonschema`,
/// then what a table must also satisfy. Prints one line per error, then `errors: N`.
const VALIDATE: &str = r#"
import json, sys
try:
    import jsonschema
except ImportError:
    print("jsonschema is not installed in this python: run scripts/test (it installs it)")
    sys.exit(3)
schema = json.load(open(sys.argv[1]))
validator = jsonschema.Draft201909Validator(schema)
errors = []
for path in sys.argv[2:]:
    doc = json.load(open(path))
    for error in validator.iter_errors(doc):
        errors.append(f"{path}: schema: {list(error.path)}: {error.message}")
    columns = doc.get("columns", [])
    rows = doc.get("rows", [])
    if doc.get("records") != len(rows):
        errors.append(f"{path}: records {doc.get('records')} but {len(rows)} rows")
    types = {"string": str, "integer": int, "double": (int, float)}
    for i, row in enumerate(rows):
        if len(row) != len(columns):
            errors.append(f"{path}: row {i} has {len(row)} values for {len(columns)} columns")
            continue
        for column, value in zip(columns, row):
            expected = types.get(column["dataType"])
            if value is None or expected is None:
                continue
            if not isinstance(value, expected) or isinstance(value, bool):
                errors.append(f"{path}: row {i}: {column['name']} is {value!r}, not {column['dataType']}")
            if column["dataType"] == "string" and len(value) > column.get("length", 0):
                errors.append(f"{path}: row {i}: {column['name']} longer than its length")
for error in errors:
    print(error)
print(f"errors: {len(errors)}")
"#;

#[test]
fn sdtm_files_validate_against_the_dataset_json_schema() {
    let out = sample_run("sdtm-validate");
    let python = std::env::var("ONCOREAD_PYTHON").unwrap_or_else(|_| {
        panic!(
            "ONCOREAD_PYTHON is not set: run scripts/test, which installs jsonschema into \
             target/test-venv and points ONCOREAD_PYTHON at its python"
        )
    });
    let schema = repo().join("schemas/dataset-json-1.1.schema.json");
    let files: Vec<PathBuf> = ["tu.json", "tr.json", "rs.json"]
        .iter()
        .map(|f| out.join(f))
        .collect();
    let output = Command::new(&python)
        .arg("-c")
        .arg(VALIDATE)
        .arg(&schema)
        .args(&files)
        .output()
        .unwrap_or_else(|e| panic!("{python} does not run ({e}): run scripts/test"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "validator failed: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.ends_with("errors: 0\n"), "{stdout}");
}

#[test]
fn tr_ldiam_is_the_truth_long_axis_and_rs_overall_is_the_assessment() {
    let out = sample_run("sdtm-golden");

    // TR LDIAM: one row per lesion observation with a long axis in the truth timeline.
    let truth = read_json(&repo().join("fixtures/sample/truth.timeline.json"));
    let mut expected = BTreeMap::new();
    for subject in truth["subjects"].as_array().unwrap() {
        for timepoint in subject["timepoints"].as_array().unwrap() {
            for lesion in timepoint["lesions"].as_array().unwrap() {
                if let Some(long) = lesion["long_axis_mm"].as_f64() {
                    let key = (
                        format!("SYN-2026-{}", subject["subject_id"].as_str().unwrap()),
                        subject["reader"].as_str().unwrap().to_string(),
                        timepoint["timepoint_id"].as_str().unwrap().to_string(),
                        lesion["lesion_id"].as_str().unwrap().to_string(),
                    );
                    assert!(expected.insert(key, long).is_none());
                }
            }
        }
    }
    let tr = records(&out.join("tr.json"));
    let mut found = BTreeMap::new();
    for row in tr.iter().filter(|r| text(r, "TRTESTCD") == "LDIAM") {
        let key = (
            text(row, "USUBJID").to_string(),
            text(row, "TREVALID").to_string(),
            text(row, "VISIT").to_string(),
            text(row, "TRLNKID").to_string(),
        );
        assert_eq!(text(row, "TRSTRESU"), "mm");
        assert_eq!(text(row, "TRORRESU"), "mm");
        let value = row["TRSTRESN"].as_f64().unwrap();
        assert_eq!(text(row, "TRORRES").parse::<f64>().unwrap(), value);
        assert!(
            found.insert(key, value).is_none(),
            "duplicate LDIAM {row:?}"
        );
    }
    assert_eq!(found, expected);

    // Every TRLNKID points at a TU lesion of the same subject and reader.
    let tu = records(&out.join("tu.json"));
    let lesions: BTreeSet<(String, String, String)> = tu
        .iter()
        .map(|r| {
            (
                text(r, "USUBJID").into(),
                text(r, "TUEVALID").into(),
                text(r, "TULNKID").into(),
            )
        })
        .collect();
    for row in tr.iter().filter(|r| !text(r, "TRLNKID").is_empty()) {
        let key = (
            text(row, "USUBJID").to_string(),
            text(row, "TREVALID").to_string(),
            text(row, "TRLNKID").to_string(),
        );
        assert!(lesions.contains(&key), "TR row without TU lesion: {row:?}");
    }

    // RS OVRLRESP: the assessment's overall response of every timepoint after baseline.
    let category = |name: &str| match name {
        "recist1.1" => "RECIST 1.1",
        "irecist" => "iRECIST",
        other => panic!("the sample run assesses {other}: extend this table"),
    };
    let assessment = read_json(&out.join("assessment.json"));
    let mut expected = BTreeSet::new();
    for subject in assessment["subjects"].as_array().unwrap() {
        for assessed in subject["assessments"].as_array().unwrap() {
            for row in assessed["timepoints"].as_array().unwrap() {
                let overall = row["overall"].as_str().unwrap();
                if overall != "BL" {
                    expected.insert((
                        format!("SYN-2026-{}", subject["subject_id"].as_str().unwrap()),
                        subject["reader"].as_str().unwrap().to_string(),
                        category(assessed["criterion"].as_str().unwrap()).to_string(),
                        row["timepoint_id"].as_str().unwrap().to_string(),
                        overall.to_string(),
                    ));
                }
            }
        }
    }
    let rs = records(&out.join("rs.json"));
    let found: BTreeSet<_> = rs
        .iter()
        .filter(|r| text(r, "RSTESTCD") == "OVRLRESP")
        .map(|r| {
            (
                text(r, "USUBJID").to_string(),
                text(r, "RSEVALID").to_string(),
                text(r, "RSCAT").to_string(),
                text(r, "VISIT").to_string(),
                text(r, "RSORRES").to_string(),
            )
        })
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(found, expected);
    let overall_rows = rs
        .iter()
        .filter(|r| text(r, "RSTESTCD") == "OVRLRESP")
        .count();
    assert_eq!(overall_rows, expected.len());
}

#[test]
fn one_subject_row_by_row_counts_and_conventions() {
    let out = sample_run("sdtm-counts");
    let subject = |rows: Vec<BTreeMap<String, Value>>| -> Vec<BTreeMap<String, Value>> {
        rows.into_iter()
            .filter(|r| text(r, "USUBJID") == "SYN-2026-SUBJ-001")
            .collect()
    };
    // SUBJ-001 (one reader, Moreau^Claire) in fixtures/sample/truth.timeline.json: five
    // timepoints BL W8 W16 W24 W32, each with T1 (lung, target), NT1 (liver, non-target,
    // status present) and T2 (liver, target); no node, no new lesion; the run assesses
    // RECIST 1.1 and iRECIST.
    // TU: 3 lesions, all first seen at BL                                    =  3
    // TR: per visit LDIAM T1 + TUMSTATE NT1 + LDIAM T2 = 3 x 5 visits          = 15
    //     per criterion SUMDIAM x 5 + PCBSD x 4 + PCNSD x 4 (none at BL) = 13 x 2 = 26 -> 41
    // RS: per criterion 4 visits after BL x (TRGRESP NTRGRESP NEWLIND OVRLRESP) = 16
    //     + BESTRESP + CBESTRSP = 18, x 2 criteria                          = 36
    let tu = subject(records(&out.join("tu.json")));
    let tr = subject(records(&out.join("tr.json")));
    let rs = subject(records(&out.join("rs.json")));
    assert_eq!((tu.len(), tr.len(), rs.len()), (3, 41, 36));

    let t1 = &tu[0];
    assert_eq!(
        text(t1, "TULNKID"),
        "2.25.136820470332466266008421578157476109527"
    );
    assert_eq!(text(t1, "TUSPID"), "T1");
    assert_eq!(text(t1, "TUTESTCD"), "TUMIDENT");
    assert_eq!(text(t1, "TUORRES"), "TARGET");
    assert_eq!(text(t1, "TULOC"), "LUNG");
    assert_eq!(text(t1, "TUEVAL"), "INDEPENDENT ASSESSOR");
    assert_eq!(text(t1, "TUEVALID"), "Moreau^Claire");
    assert_eq!(text(t1, "TUACPTFL"), "");
    // The sample's SRs carry Clinical Trial Protocol ID (0012,0020) "SYN-2026" (synth).
    assert_eq!(text(t1, "STUDYID"), "SYN-2026");
    assert_eq!(text(t1, "VISIT"), "BL");
    assert_eq!(t1["VISITNUM"], 1);
    assert_eq!(text(t1, "TUDTC"), "2024-01-11");
    assert_eq!(t1["TUDY"], 1, "baseline is study day 1 (no day 0)");
    assert_eq!(text(&tu[1], "TUORRES"), "NON-TARGET");

    // W8 is 2024-03-06, 55 days after the 2024-01-11 baseline: study day 56.
    let w8 = tr.iter().find(|r| text(r, "VISIT") == "W8").unwrap();
    assert_eq!(
        (w8["VISITNUM"].as_i64(), w8["TRDY"].as_i64()),
        (Some(2), Some(56))
    );
    assert_eq!(text(w8, "TRDTC"), "2024-03-06");

    // --SEQ is 1..n within the subject.
    for rows in [&tu, &tr, &rs] {
        let seq: Vec<i64> = rows
            .iter()
            .map(|r| {
                r.iter()
                    .find(|(k, _)| k.ends_with("SEQ"))
                    .unwrap()
                    .1
                    .as_i64()
                    .unwrap()
            })
            .collect();
        assert_eq!(seq, (1..=rows.len() as i64).collect::<Vec<_>>());
    }

    // The sample's W8 and W16 sums under RECIST 1.1: 26.4 + 15.3 and 18.5 + 10.7.
    let sum = |visit: &str| {
        tr.iter()
            .find(|r| {
                text(r, "TRTESTCD") == "SUMDIAM"
                    && text(r, "TRGRPID") == "RECIST 1.1"
                    && text(r, "VISIT") == visit
            })
            .unwrap()["TRSTRESN"]
            .as_f64()
            .unwrap()
    };
    assert!((sum("W8") - 41.7).abs() < 1e-9);
    assert!((sum("W16") - 29.2).abs() < 1e-9);

    let best: Vec<(&str, &str)> = rs
        .iter()
        .filter(|r| text(r, "VISIT").is_empty())
        .map(|r| (text(r, "RSTESTCD"), text(r, "RSCAT")))
        .collect();
    assert_eq!(
        best,
        [
            ("BESTRESP", "RECIST 1.1"),
            ("CBESTRSP", "RECIST 1.1"),
            ("BESTRESP", "iRECIST"),
            ("CBESTRSP", "iRECIST")
        ]
    );
}

#[test]
fn a_double_read_is_two_sets_of_rows_and_csv_matches_json() {
    let out = sample_run("sdtm-double");
    let tu = records(&out.join("tu.json"));
    // SUBJ-002 is read by Lindqvist^Eva and by Okafor^Daniel in the sample.
    let readers: BTreeSet<&str> = tu
        .iter()
        .filter(|r| text(r, "USUBJID") == "SYN-2026-SUBJ-002")
        .map(|r| text(r, "TUEVALID"))
        .collect();
    assert_eq!(readers, BTreeSet::from(["Lindqvist^Eva", "Okafor^Daniel"]));

    for domain in ["tu", "tr", "rs"] {
        let json = read_json(&out.join(format!("{domain}.json")));
        let csv = std::fs::read_to_string(out.join(format!("{domain}.csv"))).unwrap();
        let header = csv.split("\r\n").next().unwrap();
        let names: Vec<&str> = json["columns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        assert_eq!(header, names.join(","));
        // No field of the sample holds a line break: one CSV line per record.
        assert_eq!(
            csv.matches("\r\n").count(),
            json["records"].as_u64().unwrap() as usize + 1,
            "{domain}.csv"
        );
    }
}

#[test]
fn reproducible_runs_give_identical_bytes_with_the_fixed_creation_time() {
    let first = sample_run("sdtm-repro-a");
    let second = sample_run("sdtm-repro-b");
    for file in [
        "tu.json", "tr.json", "rs.json", "tu.csv", "tr.csv", "rs.csv",
    ] {
        assert_eq!(
            std::fs::read(first.join(file)).unwrap(),
            std::fs::read(second.join(file)).unwrap(),
            "{file}"
        );
    }
    let tu = read_json(&first.join("tu.json"));
    assert_eq!(tu["datasetJSONCreationDateTime"], "1970-01-01T00:00:00Z");
    assert_eq!(tu["datasetJSONVersion"], "1.1.0");
    assert_eq!(tu["name"], "TU");
}

#[test]
fn report_sdtm_needs_the_timeline() {
    let dir = temp_dir("sdtm-no-timeline");
    let assessment = dir.join("assessment.json");
    let assessed = oncoread(&[
        "assess",
        "fixtures/sample-timeline.json",
        "--config",
        "pipeline.toml",
        "-o",
        assessment.to_str().unwrap(),
    ]);
    assert!(assessed.status.success());
    let out = dir.join("reports");
    let args = [
        "report",
        assessment.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--format",
        "sdtm",
    ];
    let refused = oncoread(&args);
    assert_eq!(refused.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("--format sdtm needs --timeline"),
        "{stderr}"
    );
    assert!(!out.join("tu.json").exists());

    // With the timeline, `report --format sdtm` writes the six files and nothing else.
    let mut with_timeline = args.to_vec();
    with_timeline.extend(["--timeline", "fixtures/sample-timeline.json"]);
    let written = oncoread(&with_timeline);
    assert!(
        written.status.success(),
        "{}",
        String::from_utf8_lossy(&written.stderr)
    );
    let mut files: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(
        files,
        ["rs.csv", "rs.json", "tr.csv", "tr.json", "tu.csv", "tu.json"]
    );
}
