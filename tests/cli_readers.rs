//! Core-lab reader workflows end to end: double reads compared (agreement figures and
//! Cohen's kappa derived by hand below), adjudication (the accepted read in every
//! output), and `diff-config` between two protocol versions.
//!
//! The timelines are written here, lesion by lesion, so every expectation can be derived
//! from RECIST 1.1 by hand (defaults: PR at sum ≤ 0.7 × baseline; PD at sum ≥ 1.2 × nadir
//! and ≥ nadir + 5 mm, or an unequivocal new lesion; SD needs ≥ 42 days from baseline;
//! confirmation by the first evaluable assessment ≥ `recist.confirm_min_days` later).

mod common;

use common::{oncoread, repo, temp_dir};

use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;

const A: &str = "Reader^A";
const B: &str = "Reader^B";
const ADJUDICATOR: &str = "Adjudicator^C";

/// One visit: id, day since baseline, lesions as (lesion id, role, organ, long axis mm).
type Visit<'a> = (&'a str, i64, &'a [(&'a str, &'a str, &'a str, f64)]);

fn read(subject: &str, reader: Option<&str>, visits: &[Visit]) -> Value {
    let timepoints: Vec<Value> = visits
        .iter()
        .map(|(id, day, lesions)| {
            let lesions: Vec<Value> = lesions
                .iter()
                .map(|(lesion, role, organ, mm)| {
                    json!({"lesion_id": lesion, "role": role, "organ": organ, "long_axis_mm": mm})
                })
                .collect();
            json!({"timepoint_id": id, "day": day, "lesions": lesions})
        })
        .collect();
    let mut subject = json!({"subject_id": subject, "timepoints": timepoints});
    if let Some(reader) = reader {
        subject["reader"] = json!(reader);
    }
    subject
}

/// Two targets, T1 (liver) and T2 (lung).
fn two(t1: f64, t2: f64) -> Vec<(&'static str, &'static str, &'static str, f64)> {
    vec![("T1", "target", "liver", t1), ("T2", "target", "lung", t2)]
}

/// The double-read trial. Per subject, what each read gives under RECIST 1.1:
///
/// | subject | Reader^A                          | Reader^B                               | differs in |
/// |---|---|---|---|
/// | S01 | 80 → 50 (PR) → 50 (PR): BOR PR     | same                                    | nothing |
/// | S02 | 60 → 40 (≤ 42: PR) → 40 PR: BOR PR | 64 → 46 (> 44.8: SD) → 46 SD: BOR SD    | measurement → response |
/// | S03 | T1 liver + T2 lung 80 → 110 PD d56 | T1 liver + T3 adrenal 70 → 100 PD d56   | target selection |
/// | S04 | 80 → 50 PR → 70 (≥ 60) PD d112     | 80 → 50 PR → 52 PR → 70 PD d168         | progression date (56 days) |
/// | S05 | 80 → 50 PR → 50 PR: no PD          | 80 → 50 PR → 50 + new N1: PD d112       | PD in one read only |
/// | S06 | 80 → 76 (SD) → 76 SD               | same                                    | nothing |
/// | S07 | 80 → 50 PR (single read)           | —                                       | — |
///
/// The adjudicator read S05 as Reader^B did (the new lesion, PD day 112).
fn double_read_timeline() -> Value {
    let mut subjects = Vec::new();
    for reader in [A, B] {
        subjects.push(read(
            "S01",
            Some(reader),
            &[
                ("BL", 0, &two(50.0, 30.0)),
                ("W8", 56, &two(30.0, 20.0)),
                ("W16", 112, &two(30.0, 20.0)),
            ],
        ));
        subjects.push(read(
            "S06",
            Some(reader),
            &[
                ("BL", 0, &two(50.0, 30.0)),
                ("W8", 56, &two(48.0, 28.0)),
                ("W16", 112, &two(48.0, 28.0)),
            ],
        ));
    }
    subjects.push(read(
        "S02",
        Some(A),
        &[
            ("BL", 0, &two(40.0, 20.0)),
            ("W8", 56, &two(30.0, 10.0)),
            ("W16", 112, &two(30.0, 10.0)),
        ],
    ));
    subjects.push(read(
        "S02",
        Some(B),
        &[
            ("BL", 0, &two(40.0, 24.0)),
            ("W8", 56, &two(32.0, 14.0)),
            ("W16", 112, &two(32.0, 14.0)),
        ],
    ));
    subjects.push(read(
        "S03",
        Some(A),
        &[("BL", 0, &two(50.0, 30.0)), ("W8", 56, &two(70.0, 40.0))],
    ));
    let adrenal = |t1: f64, t3: f64| {
        vec![
            ("T1", "target", "liver", t1),
            ("T3", "target", "adrenal", t3),
        ]
    };
    subjects.push(read(
        "S03",
        Some(B),
        &[
            ("BL", 0, &adrenal(50.0, 20.0)),
            ("W8", 56, &adrenal(70.0, 30.0)),
        ],
    ));
    subjects.push(read(
        "S04",
        Some(A),
        &[
            ("BL", 0, &two(50.0, 30.0)),
            ("W8", 56, &two(30.0, 20.0)),
            ("W16", 112, &two(40.0, 30.0)),
        ],
    ));
    subjects.push(read(
        "S04",
        Some(B),
        &[
            ("BL", 0, &two(50.0, 30.0)),
            ("W8", 56, &two(30.0, 20.0)),
            ("W16", 112, &two(32.0, 20.0)),
            ("W24", 168, &two(40.0, 30.0)),
        ],
    ));
    subjects.push(read(
        "S05",
        Some(A),
        &[
            ("BL", 0, &two(50.0, 30.0)),
            ("W8", 56, &two(30.0, 20.0)),
            ("W16", 112, &two(30.0, 20.0)),
        ],
    ));
    let mut with_new = two(30.0, 20.0);
    with_new.push(("N1", "new", "liver", 15.0));
    for reader in [B, ADJUDICATOR] {
        subjects.push(read(
            "S05",
            Some(reader),
            &[
                ("BL", 0, &two(50.0, 30.0)),
                ("W8", 56, &two(30.0, 20.0)),
                ("W16", 112, &with_new),
            ],
        ));
    }
    subjects.push(read(
        "S07",
        Some(A),
        &[("BL", 0, &two(50.0, 30.0)), ("W8", 56, &two(30.0, 20.0))],
    ));
    json!({"schema": "oncoread.timeline/1", "subjects": subjects})
}

const READERS_CONFIG: &str = r#"
[criteria]
enabled = ["recist1.1"]

[readers]
criterion = "recist1.1"
adjudicator = "Adjudicator^C"
progression_window_days = 28
[readers.adjudicate_when]
bor_differs = true
progression_days_apart = 28
progression_in_one_read = true
"#;

/// Writes the timeline and config, runs `assess` with the review and `report` with every
/// format; returns the folder.
fn assessed_double_reads(name: &str) -> PathBuf {
    let dir = temp_dir(name);
    let timeline = dir.join("timeline.json");
    std::fs::write(&timeline, double_read_timeline().to_string()).unwrap();
    let config = dir.join("readers.toml");
    std::fs::write(&config, READERS_CONFIG).unwrap();
    let assessment = dir.join("assessment.json");
    let concordance = dir.join("concordance.json");
    let output = oncoread(&[
        "assess",
        path(&timeline),
        "--config",
        path(&config),
        "--concordance",
        path(&concordance),
        "-o",
        path(&assessment),
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        text(&output.stderr).contains("6 double read(s), 3 to adjudicate"),
        "{}",
        text(&output.stderr)
    );
    let output = oncoread(&[
        "report",
        path(&assessment),
        "--timeline",
        path(&timeline),
        "--concordance",
        path(&concordance),
        "--format",
        "csv,html,json,sdtm",
        "--out",
        path(&dir.join("report")),
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    dir
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn json_file(p: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

#[test]
fn agreement_figures_and_kappa_match_the_hand_derivation() {
    let dir = assessed_double_reads("readers-agreement");
    let review = json_file(&dir.join("concordance.json"));
    let stats = &review["statistics"];
    // Six double-read subjects (S07 is read once and not compared).
    assert_eq!(stats["pairs"], 6);
    // Target selection: only S03 differs (T2 lung vs T3 adrenal) → 5 / 6.
    assert_eq!(stats["target_selection"]["agree"], 5);
    assert_eq!(stats["target_selection"]["total"], 6);
    let s03 = review["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["subject_id"] == "S03")
        .unwrap();
    assert_eq!(s03["target_selection"]["both"], json!(["T1 (liver)"]));
    assert_eq!(s03["target_selection"]["only_first"], json!(["T2 (lung)"]));
    assert_eq!(
        s03["target_selection"]["only_second"],
        json!(["T3 (adrenal)"])
    );

    let recist = &stats["criteria"][0];
    assert_eq!(recist["criterion"], "recist1.1");
    assert_eq!(recist["pairs"], 6);
    // BOR pairs (A, B): S01 PR/PR, S02 PR/SD, S03 PD/PD, S04 PR/PR, S05 PR/PR, S06 SD/SD
    // → 5 agree of 6 = 83.33 %.
    assert_eq!(recist["bor"]["agree"], 5);
    assert_eq!(recist["bor"]["total"], 6);
    let percent = recist["bor"]["percent"].as_f64().unwrap();
    assert!((percent - 500.0 / 6.0).abs() < 1e-9, "{percent}");
    // Cohen's kappa: p_o = 5/6. Reader A: PR 4, SD 1, PD 1; reader B: PR 3, SD 2, PD 1.
    // p_e = (4·3 + 1·2 + 1·1) / 6² = 15/36 = 5/12.
    // κ = (5/6 − 5/12) / (1 − 5/12) = (5/12) / (7/12) = 5/7 ≈ 0.7143.
    let kappa = recist["bor_kappa"].as_f64().unwrap();
    assert!((kappa - 5.0 / 7.0).abs() < 1e-12, "{kappa}");
    // Confirmed BOR (a PR needs a PR/CR at the first evaluable scan ≥ 28 days later,
    // else SD when day ≥ 42): S01 PR/PR; S02 PR (W16 confirms) / SD; S03 PD/PD; S04 A's
    // W8 PR meets PD at W16 → SD, B's W16 PR confirms → PR; S05 A PR, B's W16 is PD → SD;
    // S06 SD/SD → 3 agree of 6. A: PR 3, SD 2, PD 1; B: PR 2, SD 3, PD 1 →
    // chance 3·2 + 2·3 + 1·1 = 13 → κ = (6·3 − 13) / (6² − 13) = 5/23 ≈ 0.2174.
    assert_eq!(recist["confirmed_bor"]["agree"], 3);
    let kappa = recist["confirmed_bor_kappa"].as_f64().unwrap();
    assert!((kappa - 5.0 / 23.0).abs() < 1e-12, "{kappa}");
    // Timepoint responses both reads give (baseline aside, rows stop at PD):
    // S01 W8 PR/PR W16 PR/PR (2 of 2); S02 W8 PR/SD W16 PR/SD (0 of 2); S03 W8 PD/PD
    // (1 of 1); S04 W8 PR/PR W16 PD/PR (1 of 2; W24 is B's only); S05 W8 PR/PR
    // W16 PR/PD (1 of 2); S06 W8 SD/SD W16 SD/SD (2 of 2) → 7 of 11.
    assert_eq!(recist["timepoint_response"]["agree"], 7);
    assert_eq!(recist["timepoint_response"]["total"], 11);
    // Discordant progression dates (window 28 days): S04 (day 112 vs 168, 56 apart) and
    // S05 (PD in B only); S03 both day 56 → 2 of 6.
    assert_eq!(recist["progression_date_discordant"]["agree"], 2);
    assert_eq!(recist["progression_date_discordant"]["total"], 6);
    // Baseline sums |A − B|: S02 |60 − 64| = 4, S03 |80 − 70| = 10, the others 0
    // → 14 / 6 = 2.333 mm over 6 pairs.
    let mean = recist["baseline_sum_mean_abs_diff_mm"].as_f64().unwrap();
    assert!((mean - 14.0 / 6.0).abs() < 1e-9, "{mean}");
    assert_eq!(recist["baseline_sum_pairs"], 6);

    // The page shows the same figures (rounded for display) and the plot.
    let page = std::fs::read_to_string(dir.join("report/report.html")).unwrap();
    assert!(
        page.contains("<section id=\"readers\">"),
        "no reader section"
    );
    assert!(page.contains("<li><a href=\"#readers\">Reader agreement</a></li>"));
    assert!(page.contains("5 / 6 (83.3 %)"), "BOR agreement on the page");
    assert!(
        page.contains("<td class=\"n\">0.714</td>"),
        "kappa on the page"
    );
    assert!(page.contains("7 / 11 (63.6 %)"), "timepoint agreement");
    assert!(page.contains("2.3 mm"), "mean baseline difference");
    assert!(
        page.contains("id=\"readers-baseline-recist1-1\""),
        "the plot"
    );
    // One point per pair; S02 is red (different BOR).
    assert!(page.contains("<circle class=\"mark-progression\""));
}

#[test]
fn triggers_list_the_subjects_to_adjudicate_with_each_readers_data() {
    let dir = assessed_double_reads("readers-triggers");
    let review = json_file(&dir.join("concordance.json"));
    let cases = review["adjudication"].as_array().unwrap();
    let summary: Vec<(String, Vec<String>, String)> = cases
        .iter()
        .map(|c| {
            (
                c["subject_id"].as_str().unwrap().to_string(),
                c["reasons"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| r["trigger"].as_str().unwrap().to_string())
                    .collect(),
                c["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    // From the table of `double_read_timeline`: S02 BOR PR vs SD; S04 progression 56 days
    // apart (> 28); S05 progression in B only. Only S05 has the adjudicator's read.
    let expected = [
        ("S02", vec!["bor_differs"], "pending"),
        ("S04", vec!["progression_days_apart"], "pending"),
        ("S05", vec!["progression_in_one_read"], "adjudicated"),
    ];
    assert_eq!(summary.len(), expected.len(), "{summary:?}");
    for ((subject, reasons, status), (s, r, st)) in summary.iter().zip(expected) {
        assert_eq!((subject.as_str(), status.as_str()), (s, st));
        assert_eq!(reasons, &r);
    }
    // The data each reader gave: S04's two progression days, S05's adjudication.
    let s04 = &cases[1];
    assert_eq!(s04["reads"][0]["progression"]["day"], 112);
    assert_eq!(s04["reads"][1]["progression"]["day"], 168);
    let s05 = &cases[2];
    assert_eq!(s05["accepted_reader"], B);
    // A and B both give BOR PR (B's PD at W16 follows its PR at W8); the adjudicator's
    // read has B's progression, so B is accepted on that point.
    let decision = s05["decision"].as_str().unwrap();
    assert!(
        decision.contains("Reader^B agrees on whether there is progression"),
        "{decision}"
    );
    assert_eq!(s05["reads"][2]["reader"], ADJUDICATOR);

    // adjudication.csv: one row per read of each case: 2 + 2 + 3 = 7 rows.
    let rows = read_csv(&dir.join("report/adjudication.csv"));
    assert_eq!(rows.len(), 1 + 7);
    let column = |name: &str| rows[0].iter().position(|h| h == name).unwrap();
    let s05_b = rows
        .iter()
        .find(|r| r[column("subject_id")] == "S05" && r[column("reader")] == B)
        .unwrap();
    assert_eq!(s05_b[column("progression_day")], "112");
    assert_eq!(s05_b[column("accepted_reader")], B);
}

/// S05's accepted read (Reader^B, as the adjudicator read it) in every output.
#[test]
fn the_adjudicated_read_is_accepted_in_every_output() {
    let dir = assessed_double_reads("readers-accepted");
    // Expected accepted flags: S01, S03, S06 no trigger → the first reader (A) by name
    // order; S02, S04 pending → none; S05 → B (A and the adjudicator not); S07 single
    // read → none.
    let expected: &[(&str, &str, Option<bool>)] = &[
        ("S01", A, Some(true)),
        ("S01", B, Some(false)),
        ("S02", A, None),
        ("S02", B, None),
        ("S03", A, Some(true)),
        ("S03", B, Some(false)),
        ("S04", A, None),
        ("S04", B, None),
        ("S05", ADJUDICATOR, Some(false)),
        ("S05", A, Some(false)),
        ("S05", B, Some(true)),
        ("S06", A, Some(true)),
        ("S06", B, Some(false)),
        ("S07", A, None),
    ];
    for (file, pretty) in [
        (dir.join("assessment.json"), false),
        (dir.join("report/assessment.json"), true),
    ] {
        let assessment = json_file(&file);
        let flags: Vec<(String, String, Option<bool>)> = assessment["subjects"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (
                    s["subject_id"].as_str().unwrap().to_string(),
                    s["reader"].as_str().unwrap().to_string(),
                    s["accepted"].as_bool(),
                )
            })
            .collect();
        let wanted: Vec<(String, String, Option<bool>)> = expected
            .iter()
            .map(|(s, r, a)| (s.to_string(), r.to_string(), *a))
            .collect();
        assert_eq!(flags, wanted, "{} (pretty: {pretty})", file.display());
    }

    // CSV: subjects.csv and timepoints.csv carry it on every row of the read.
    for table in ["subjects.csv", "timepoints.csv"] {
        let rows = read_csv(&dir.join("report").join(table));
        let column = |name: &str| rows[0].iter().position(|h| h == name).unwrap();
        for (subject, reader, accepted) in expected {
            let want = match accepted {
                Some(true) => "true",
                Some(false) => "false",
                None => "",
            };
            let found: Vec<&Vec<String>> = rows[1..]
                .iter()
                .filter(|r| r[column("subject_id")] == *subject && r[column("reader")] == *reader)
                .collect();
            assert!(!found.is_empty(), "{table}: {subject} {reader}");
            for row in found {
                assert_eq!(row[column("accepted")], want, "{table}: {subject} {reader}");
            }
        }
    }

    // SDTM: --ACPTFL Y on the accepted read, N on the others, empty when undecided.
    for (domain, file) in [("TU", "tu.csv"), ("TR", "tr.csv"), ("RS", "rs.csv")] {
        let rows = read_csv(&dir.join("report").join(file));
        let column = |name: &str| {
            rows[0]
                .iter()
                .position(|h| h == name)
                .unwrap_or_else(|| panic!("{file}: no {name}"))
        };
        let flag = format!("{domain}ACPTFL");
        let evaluator = format!("{domain}EVALID");
        for (subject, reader, accepted) in expected {
            let want = match accepted {
                Some(true) => "Y",
                Some(false) => "N",
                None => "",
            };
            let usubjid = format!("ONCOREAD-{subject}");
            let found: Vec<&Vec<String>> = rows[1..]
                .iter()
                .filter(|r| r[column("USUBJID")] == usubjid && r[column(&evaluator)] == *reader)
                .collect();
            assert!(!found.is_empty(), "{file}: {subject} {reader}");
            for row in found {
                assert_eq!(row[column(&flag)], want, "{file}: {subject} {reader}");
            }
        }
    }

    // The page's adjudication list names the accepted reader.
    let page = std::fs::read_to_string(dir.join("report/report.html")).unwrap();
    let list = page
        .split("<table id=\"adjudication-list\">")
        .nth(1)
        .expect("the adjudication list");
    let s05 = list.split("<tr><td>S05</td>").nth(1).expect("S05 listed");
    let s05 = s05.split("</tr>").next().unwrap();
    assert!(s05.contains("<td>adjudicated</td><td>Reader^B ("), "{s05}");
    assert!(list.contains("<tr><td>S02</td>") && list.contains("<tr><td>S04</td>"));

    // `accepted` keeps the assessment valid against its schema (checked by the
    // `jsonschema` package, which scripts/test installs).
    validate_assessment(&dir.join("assessment.json"));
}

fn validate_assessment(assessment: &Path) {
    let python = std::env::var("ONCOREAD_PYTHON").unwrap_or_else(|_| {
        panic!(
            "ONCOREAD_PYTHON is not set: run scripts/test, which installs jsonschema into \
             target/test-venv and points ONCOREAD_PYTHON at its python"
        )
    });
    let script = "import json, sys, jsonschema\n\
        schema = json.load(open(sys.argv[1]))\n\
        document = json.load(open(sys.argv[2]))\n\
        jsonschema.Draft202012Validator(schema).validate(document)\n\
        print('valid')\n";
    let output = Command::new(&python)
        .arg("-c")
        .arg(script)
        .arg(repo().join("schemas/assessment.schema.json"))
        .arg(assessment)
        .output()
        .unwrap_or_else(|e| panic!("{python} does not run ({e}): run scripts/test"));
    assert!(
        output.status.success() && text(&output.stdout).trim() == "valid",
        "{}{}",
        text(&output.stdout),
        text(&output.stderr)
    );
}

/// A small RFC 4180 reader (quoted fields, doubled quotes, CRLF).
fn read_csv(path: &Path) -> Vec<Vec<String>> {
    let content = std::fs::read_to_string(path).unwrap();
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = content.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', true) => quoted = false,
            ('"', false) if field.is_empty() => quoted = true,
            (',', false) => row.push(std::mem::take(&mut field)),
            ('\r', false) => {}
            ('\n', false) => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (other, _) => field.push(other),
        }
    }
    rows
}

/// The protocol-version trial: one read per subject, visits every 6 weeks (days 0, 42,
/// 84 …), targets T1 (liver) and T2 (lung) unless said otherwise.
///
/// | subject | sums | confirm_min_days 28 | 56 | pd_abs_mm 5 | 4 |
/// |---|---|---|---|---|---|
/// | P1 | 80 → 50 (PR d42) → 50 (PR d84) | d84 is 42 ≥ 28 days later: confirmed PR | 42 < 56 and no later scan: unconfirmed → SD (d42 ≥ 42) | | |
/// | P2 | 80 → 50 (PR d30) → 50 (PR d60) | d60 is 30 ≥ 28 later: PR | unconfirmed → SD (d60 ≥ 42) | | |
/// | P3 | 80 → 50 (PR d56) → 50 (PR d112) | 56 ≥ 28: PR | 56 ≥ 56: PR | | |
/// | P4 | 80 → 50 (PR d42) → 50 (PR d70) → 50 (PR d140) | d70 confirms (28) | d140 confirms (98 ≥ 56): PR | | |
/// | P5 | 80 → 50 (PR d42) → 70 (PD d84) | unconfirmed: SD | SD | | |
/// | P6 | T1 20 → 24.5 (d42) | | | 24.5 ≥ 24 but +4.5 < 5: SD | +4.5 ≥ 4: PD d42 |
///
/// So "protocol v1" → "amendment 2" (confirm_min_days 28 → 56, pd_abs_mm 5 → 4) changes
/// P1 and P2 (confirmed BOR PR → SD, because of confirm_min_days) and P6 (W6 SD → PD, BOR
/// and confirmed BOR SD → PD, progression none → W6, because of pd_abs_mm); P3, P4, P5
/// do not change.
fn protocol_timeline() -> Value {
    let single = |t1: f64| vec![("T1", "target", "liver", t1)];
    let subjects = vec![
        read(
            "P1",
            None,
            &[
                ("BL", 0, &two(50.0, 30.0)),
                ("W6", 42, &two(30.0, 20.0)),
                ("W12", 84, &two(30.0, 20.0)),
            ],
        ),
        read(
            "P2",
            None,
            &[
                ("BL", 0, &two(50.0, 30.0)),
                ("D30", 30, &two(30.0, 20.0)),
                ("D60", 60, &two(30.0, 20.0)),
            ],
        ),
        read(
            "P3",
            None,
            &[
                ("BL", 0, &two(50.0, 30.0)),
                ("W8", 56, &two(30.0, 20.0)),
                ("W16", 112, &two(30.0, 20.0)),
            ],
        ),
        read(
            "P4",
            None,
            &[
                ("BL", 0, &two(50.0, 30.0)),
                ("W6", 42, &two(30.0, 20.0)),
                ("W10", 70, &two(30.0, 20.0)),
                ("W20", 140, &two(30.0, 20.0)),
            ],
        ),
        read(
            "P5",
            None,
            &[
                ("BL", 0, &two(50.0, 30.0)),
                ("W6", 42, &two(30.0, 20.0)),
                ("W12", 84, &two(40.0, 30.0)),
            ],
        ),
        read(
            "P6",
            None,
            &[("BL", 0, &single(20.0)), ("W6", 42, &single(24.5))],
        ),
    ];
    json!({"schema": "oncoread.timeline/1", "subjects": subjects})
}

const PROTOCOLS_CONFIG: &str = r#"
[criteria]
enabled = ["recist1.1"]

[protocols."protocol v1"]

[protocols."amendment 2".recist]
confirm_min_days = 56
pd_abs_mm = 4.0
"#;

#[test]
fn diff_config_lists_exactly_the_subjects_that_change_and_the_key_why() {
    let dir = temp_dir("readers-diff-config");
    let timeline = dir.join("timeline.json");
    std::fs::write(&timeline, protocol_timeline().to_string()).unwrap();
    let config = dir.join("pipeline.toml");
    std::fs::write(&config, PROTOCOLS_CONFIG).unwrap();
    let out = dir.join("changes.csv");
    let output = oncoread(&[
        "diff-config",
        "protocol v1",
        "amendment 2",
        "--config",
        path(&config),
        "--timeline",
        path(&timeline),
        "-o",
        path(&out),
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains(
            "2 key(s) differ: recist.confirm_min_days 28 → 56, recist.pd_abs_mm 5.0 → 4.0"
        ),
        "{stderr}"
    );
    let rows = read_csv(&out);
    let column = |name: &str| rows[0].iter().position(|h| h == name).unwrap();
    let changes: Vec<[&str; 6]> = rows[1..]
        .iter()
        .map(|r| {
            [
                r[column("subject_id")].as_str(),
                r[column("what")].as_str(),
                r[column("timepoint_id")].as_str(),
                r[column("first")].as_str(),
                r[column("second")].as_str(),
                r[column("keys")].as_str(),
            ]
        })
        .collect();
    // The table of `protocol_timeline`, row by row.
    let confirm = "recist.confirm_min_days";
    let pd_abs = "recist.pd_abs_mm";
    assert_eq!(
        changes,
        vec![
            [
                "P1",
                "confirmed_best_overall_response",
                "",
                "PR",
                "SD",
                confirm
            ],
            [
                "P2",
                "confirmed_best_overall_response",
                "",
                "PR",
                "SD",
                confirm
            ],
            ["P6", "timepoint", "W6", "SD", "PD", pd_abs],
            ["P6", "best_overall_response", "", "SD", "PD", pd_abs],
            [
                "P6",
                "confirmed_best_overall_response",
                "",
                "SD",
                "PD",
                pd_abs
            ],
            ["P6", "progression", "", "none", "W6 (day 42)", pd_abs],
        ]
    );

    // An unknown protocol name is an error naming the known ones.
    let output = oncoread(&[
        "diff-config",
        "protocol v1",
        "amendment 3",
        "--config",
        path(&config),
        "--timeline",
        path(&timeline),
    ]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("no [protocols.\"amendment 3\"]") && stderr.contains("\"amendment 2\""),
        "{stderr}"
    );
}

/// `oncoread run` on the sample trial with a `[readers]` table. The sample's double reads
/// (fixtures/sample/truth.timeline.json), by hand under RECIST 1.1:
/// - SUBJ-002, Lindqvist^Eva: T1 lung 38.2 + T2 adrenal 21.7 = 59.9 mm, W8 73.7 mm
///   (≥ 1.2 × 59.9 = 71.88) with new lesion N1 → PD at W8; Okafor^Daniel: 37.0 + 20.1 =
///   57.1 mm, W8 74.2 mm (≥ 68.52) with N1 → PD at W8, the same visit.
/// - SUBJ-006, Lindqvist^Eva: T1 lung 25.3 mm, then 25.4 / 26.0 / 25.5 / 25.4 → SD;
///   Moreau^Claire: 26.2, then 26.5 / 25.1 / 27.3 / 25.6 → SD (the growing non-target has
///   no status in the reports, so it is not progression).
///
/// Both pairs agree (BOR PD/PD and SD/SD: 2 of 2, κ = (2·2 − (1·1 + 1·1)) / (2² − 2) = 1),
/// same targets by tracking identifier (T1 lung + T2 adrenal gland; T1 lung: 2 of 2 —
/// each reader's tracking UIDs differ), baseline |Δ| = (|59.9 − 57.1| + |25.3 − 26.2|) / 2
/// = (2.8 + 0.9) / 2 = 1.85 mm. No trigger fires, so the first reader by name,
/// Lindqvist^Eva, is accepted in both.
#[test]
fn run_reviews_the_sample_double_reads_and_diff_config_reads_its_timeline() {
    let dir = temp_dir("readers-run");
    let out = dir.join("out");
    let config = dir.join("pipeline.toml");
    std::fs::write(
        &config,
        format!(
            "[[input]]\npath = {:?}\n[run]\nindex = {:?}\n[output]\ndir = {:?}\n\
             formats = [\"json\", \"csv\", \"html\"]\nreproducible = true\n\
             [criteria]\nenabled = [\"recist1.1\"]\n[readers]\n\
             [protocols.v1]\n[protocols.v2.recist]\nconfirm_min_days = 28\n",
            path(&repo().join("fixtures/sample")),
            path(&dir.join("index.sqlite")),
            path(&out),
        ),
    )
    .unwrap();
    let output = oncoread(&["run", "--config", path(&config)]);
    assert!(output.status.success(), "{}", text(&output.stderr));

    let review = json_file(&out.join("concordance.json"));
    let stats = &review["statistics"];
    assert_eq!(stats["pairs"], 2);
    assert_eq!(stats["target_selection"]["agree"], 2);
    let recist = &stats["criteria"][0];
    assert_eq!(recist["bor"]["agree"], 2);
    assert_eq!(recist["bor_kappa"].as_f64(), Some(1.0));
    let mean = recist["baseline_sum_mean_abs_diff_mm"].as_f64().unwrap();
    assert!((mean - 1.85).abs() < 1e-9, "{mean}");
    assert_eq!(review["adjudication"], json!([]));

    let assessment = json_file(&out.join("assessment.json"));
    let accepted: Vec<(String, Option<bool>)> = assessment["subjects"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["subject_id"] == "SUBJ-002" || s["subject_id"] == "SUBJ-006")
        .map(|s| {
            (
                s["reader"].as_str().unwrap().to_string(),
                s["accepted"].as_bool(),
            )
        })
        .collect();
    assert_eq!(
        accepted,
        vec![
            ("Lindqvist^Eva".to_string(), Some(true)),
            ("Okafor^Daniel".to_string(), Some(false)),
            ("Lindqvist^Eva".to_string(), Some(true)),
            ("Moreau^Claire".to_string(), Some(false)),
        ]
    );
    // Only one header row: no subject to adjudicate.
    assert_eq!(read_csv(&out.join("adjudication.csv")).len(), 1);
    let page = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(page.contains("No subject needs adjudication."));

    // diff-config reads the run's timeline.json by default; v2 restates the default, so
    // no key differs and nothing changes.
    let changes = dir.join("changes.csv");
    let output = oncoread(&[
        "diff-config",
        "v1",
        "v2",
        "--config",
        path(&config),
        "-o",
        path(&changes),
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&output.stderr).contains("0 key(s) differ"));
    assert_eq!(read_csv(&changes).len(), 1, "the header alone");
}

/// A subject read three times (no adjudicator configured): the first two reads are
/// compared; the third is not accepted and is listed as a problem in problems.csv,
/// never silently left out.
#[test]
fn a_third_read_is_a_listed_problem() {
    let dir = temp_dir("readers-third");
    let visits: &[Visit] = &[("BL", 0, &two(50.0, 30.0)), ("W8", 56, &two(30.0, 20.0))];
    let timeline = dir.join("timeline.json");
    let subjects: Vec<Value> = ["R1", "R2", "R3"]
        .iter()
        .map(|r| read("X", Some(r), visits))
        .collect();
    std::fs::write(
        &timeline,
        json!({"schema": "oncoread.timeline/1", "subjects": subjects}).to_string(),
    )
    .unwrap();
    let concordance = dir.join("concordance.json");
    let assessment = dir.join("assessment.json");
    let output = oncoread(&[
        "assess",
        path(&timeline),
        "--criteria",
        "recist1.1",
        "--concordance",
        path(&concordance),
        "-o",
        path(&assessment),
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let output = oncoread(&[
        "report",
        path(&assessment),
        "--concordance",
        path(&concordance),
        "--format",
        "csv",
        "--out",
        path(&dir.join("report")),
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let rows = read_csv(&dir.join("report/problems.csv"));
    let column = |name: &str| rows[0].iter().position(|h| h == name).unwrap();
    let listed: Vec<(&str, &str)> = rows[1..]
        .iter()
        .map(|r| (r[column("origin")].as_str(), r[column("kind")].as_str()))
        .collect();
    assert_eq!(listed, [("readers", "more_than_two_reads")]);
    let accepted: Vec<Option<bool>> = json_file(&assessment)["subjects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["accepted"].as_bool())
        .collect();
    assert_eq!(accepted, [Some(true), Some(false), Some(false)]);
}
