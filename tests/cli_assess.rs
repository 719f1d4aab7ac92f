//! End-to-end tests of `oncoread assess`: the binary on the bundled sample and on small
//! hand-made documents, checked against the JSON schemas and hand-derived expectations.

mod common;

use common::{oncoread, repo, temp_dir};

use serde_json::{json, Value};
use std::process::Output;

fn schema(name: &str) -> jsonschema::Validator {
    let text = std::fs::read_to_string(repo().join("schemas").join(name)).unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    jsonschema::validator_for(&schema).expect("the schema compiles")
}

fn assert_valid(validator: &jsonschema::Validator, doc: &Value, what: &str) {
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(
        errors.is_empty(),
        "{what} does not follow the schema:\n{}",
        errors.join("\n")
    );
}

fn assess_doc(doc: &Value, extra: &[&str]) -> (Output, Option<Value>) {
    let dir = temp_dir("doc");
    let input = dir.join("timeline.json");
    std::fs::write(&input, serde_json::to_vec(doc).unwrap()).unwrap();
    let mut args = vec!["assess", input.to_str().unwrap(), "-o", "-"];
    args.extend_from_slice(extra);
    let output = oncoread(&args);
    let parsed = serde_json::from_slice(&output.stdout).ok();
    (output, parsed)
}

fn criterion<'a>(assessment: &'a Value, subject: &str, name: &str) -> &'a Value {
    assessment["subjects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["subject_id"] == subject)
        .unwrap_or_else(|| panic!("subject {subject}"))["assessments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["criterion"] == name)
        .unwrap_or_else(|| panic!("criterion {name}"))
}

fn overall(assessment: &Value) -> Vec<String> {
    assessment["timepoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["overall"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn sample_timeline_assesses_and_follows_both_schemas() {
    let dir = temp_dir("sample");
    let out = dir.join("assessment.json");
    let output = oncoread(&[
        "assess",
        "fixtures/sample-timeline.json",
        "--config",
        "pipeline.toml",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    // pipeline.toml enables RECIST 1.1, iRECIST, irRC, irRECIST and imRECIST.
    assert!(stderr.contains("4 subject(s), 5 criterion(s)"), "{stderr}");

    let timeline: Value = serde_json::from_slice(
        &std::fs::read(repo().join("fixtures/sample-timeline.json")).unwrap(),
    )
    .unwrap();
    assert_valid(
        &schema("timeline.schema.json"),
        &timeline,
        "the sample timeline",
    );
    let assessment: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_valid(
        &schema("assessment.schema.json"),
        &assessment,
        "the assessment",
    );

    // SUBJ-001: 42 + 18 + 16 (node SA) = 76 mm; W8 30.1 + 12 + 11 = 53.1 mm;
    // 53.1 / 76 = 0.6987 ≤ 0.7 → PR; W16 24 + 5 (too small) + 9 = 38.0 → PR;
    // W24 22.5 + 5 + 8 = 35.5 → PR (NT1 persists, so never CR).
    let s1 = criterion(&assessment, "SUBJ-001", "recist1.1");
    assert_eq!(overall(s1), ["BL", "PR", "PR", "PR"]);
    assert_eq!(s1["timepoints"][1]["target_sum_mm"], json!(53.1));
    assert_eq!(s1["timepoints"][2]["target_sum_mm"], json!(38.0));
    // Days come from dates: 2025-01-06 → 2025-03-03 is 26 + 28 + 2 = 56 days.
    assert_eq!(s1["timepoints"][1]["day"], json!(56));
    // (53.1 − 76) / 76 = −30.13 % → −30.1 for display.
    assert_eq!(
        s1["timepoints"][1]["change_from_baseline_pct"],
        json!(-30.1)
    );
    assert_eq!(s1["best_overall_response"], "PR");

    // SUBJ-002, pseudo-progression: 35 + 25 = 60 → 44 + 30 = 74 (+23.3 %, +14 mm) with a
    // new liver lesion: RECIST PD at W8 (day 56). iRECIST: iUPD at W8; W14 (42 days
    // later) 30 + 20 = 50 < 74, new lesion unchanged → reset; 50 > 0.7 × 60 = 42 → iSD;
    // W22 22 + 15 = 37 ≤ 42 and the new lesion gone → iPR.
    let s2_recist = criterion(&assessment, "SUBJ-002", "recist1.1");
    assert_eq!(overall(s2_recist), ["BL", "PD"]);
    assert_eq!(s2_recist["progression"]["day"], json!(56));
    let s2_irecist = criterion(&assessment, "SUBJ-002", "irecist");
    assert_eq!(overall(s2_irecist), ["BL", "iUPD", "iSD", "iPR"]);
    assert_eq!(s2_irecist["best_overall_response"], "iPR");
    assert_eq!(s2_irecist["progression"], Value::Null);
    let flags = assessment["subjects"][1]["flags"].as_array().unwrap();
    assert!(
        flags.iter().any(|f| f["kind"] == "pseudoprogression"),
        "{flags:?}"
    );

    // SUBJ-003: 27.0 → 32.4 mm is exactly +20 % and +5.4 mm → PD; iRECIST confirms at
    // W14: 38.0 − 32.4 = 5.6 mm ≥ 5 → iCPD, dated back to the iUPD on day 56.
    assert_eq!(
        overall(criterion(&assessment, "SUBJ-003", "recist1.1")),
        ["BL", "PD"]
    );
    let s3_irecist = criterion(&assessment, "SUBJ-003", "irecist");
    assert_eq!(overall(s3_irecist), ["BL", "iUPD", "iCPD"]);
    assert_eq!(s3_irecist["progression"]["day"], json!(56));

    // SUBJ-004 (non-target only): non-CR/non-PD at day 57, missed scan, then CR (node
    // 8 mm < 10, effusion gone). Unconfirmed BOR CR; the CR is never confirmed, so the
    // confirmed BOR is non-CR/non-PD (seen at day 57 ≥ 42).
    let s4 = criterion(&assessment, "SUBJ-004", "recist1.1");
    assert_eq!(overall(s4), ["BL", "non-CR/non-PD", "NE", "CR"]);
    assert_eq!(s4["best_overall_response"], "CR");
    assert_eq!(s4["confirmed_best_overall_response"], "non-CR/non-PD");

    // The effective config is written, defaults included.
    assert_eq!(assessment["config"]["recist.pd_rel"], json!(0.2));
    assert_eq!(
        assessment["config"]["irecist.confirm_window_days"],
        json!([28, 56])
    );
    assert_eq!(
        assessment["generator"]["input_sha256"]
            .as_str()
            .unwrap()
            .len(),
        64
    );
}

#[test]
fn csv_input_gives_the_same_assessment_as_json() {
    let json_out = oncoread(&["assess", "fixtures/sample-timeline.json", "-o", "-"]);
    let csv_out = oncoread(&["assess", "fixtures/sample-timeline.csv", "-o", "-"]);
    assert!(
        csv_out.status.success(),
        "{}",
        String::from_utf8_lossy(&csv_out.stderr)
    );
    let mut a: Value = serde_json::from_slice(&json_out.stdout).unwrap();
    let mut b: Value = serde_json::from_slice(&csv_out.stdout).unwrap();
    a["generator"]["input_sha256"] = Value::Null;
    b["generator"]["input_sha256"] = Value::Null;
    assert_eq!(a, b);
}

#[test]
fn output_is_deterministic() {
    let first = oncoread(&["assess", "fixtures/sample-timeline.json", "-o", "-"]);
    let second = oncoread(&["assess", "fixtures/sample-timeline.json", "-o", "-"]);
    assert_eq!(first.stdout, second.stdout);
}

fn simple(lesions_bl: Value, followups: Vec<(i64, Value)>) -> Value {
    let mut timepoints = vec![json!({"timepoint_id": "BL", "day": 0, "lesions": lesions_bl})];
    for (i, (day, lesions)) in followups.into_iter().enumerate() {
        timepoints
            .push(json!({"timepoint_id": format!("V{}", i + 1), "day": day, "lesions": lesions}));
    }
    json!({"schema": "oncoread.timeline/1", "subjects": [{"subject_id": "S1", "timepoints": timepoints}]})
}

fn target(id: &str, mm: f64) -> Value {
    json!({"lesion_id": id, "role": "target", "organ": id, "long_axis_mm": mm})
}

#[test]
fn set_and_config_file_override_defaults() {
    // Sums 100 → 60 → 80: 80 ≤ 70 is false, 80 vs nadir 60 is +33 % and +20 mm → PD.
    // With pd_rel 0.5: 80 < 1.5 × 60 = 90 → not PD; 80 > 70 → SD, but sticky PR
    // (PR assigned at V1) keeps PR; with pr_sticky=false it is the bare table's SD.
    let doc = simple(
        json!([target("A", 100.0)]),
        vec![
            (56, json!([target("A", 60.0)])),
            (112, json!([target("A", 80.0)])),
        ],
    );
    let (_, default) = assess_doc(&doc, &["--criteria", "recist1.1"]);
    assert_eq!(
        overall(criterion(&default.unwrap(), "S1", "recist1.1")),
        ["BL", "PR", "PD"]
    );
    let (_, relaxed) = assess_doc(
        &doc,
        &["--criteria", "recist1.1", "--set", "recist.pd_rel=0.5"],
    );
    assert_eq!(
        overall(criterion(&relaxed.unwrap(), "S1", "recist1.1")),
        ["BL", "PR", "PR"]
    );

    let dir = temp_dir("config");
    let config = dir.join("criteria.toml");
    std::fs::write(&config, "[recist]\npd_rel = 0.5\npr_sticky = false\n").unwrap();
    let (output, bare) = assess_doc(
        &doc,
        &[
            "--criteria",
            "recist1.1",
            "--config",
            config.to_str().unwrap(),
        ],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let bare = bare.unwrap();
    assert_eq!(
        overall(criterion(&bare, "S1", "recist1.1")),
        ["BL", "PR", "SD"]
    );
    assert_eq!(bare["config"]["recist.pr_sticky"], json!(false));
    assert_eq!(bare["config"]["recist.pd_rel"], json!(0.5));
}

fn assert_one_line_error(output: &Output, needles: &[&str]) {
    assert_eq!(
        output.status.code(),
        Some(2),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line expected: {stderr}");
    for needle in needles {
        assert!(
            lines[0].contains(needle),
            "`{needle}` missing from: {}",
            lines[0]
        );
    }
}

#[test]
fn bad_input_exits_2_with_one_line_naming_file_subject_timepoint_and_field() {
    // Unknown field: named with its JSON path.
    let mut doc = simple(
        json!([target("A", 30.0)]),
        vec![(56, json!([target("A", 20.0)]))],
    );
    doc["subjects"][0]["timepoints"][1]["lesions"][0]["diameter"] = json!(3);
    let (output, _) = assess_doc(&doc, &[]);
    assert_one_line_error(
        &output,
        &[
            "timeline.json",
            "subjects[0].timepoints[1].lesions[0]",
            "diameter",
        ],
    );

    // A target without a measurement at baseline (an input error for the RECIST family;
    // with other criteria requested too, that family reports the subject not assessed).
    let doc = simple(
        json!([{"lesion_id": "A", "role": "target", "organ": "liver"}]),
        vec![(56, json!([target("A", 20.0)]))],
    );
    let (output, _) = assess_doc(&doc, &["--criteria", "recist1.1,irecist"]);
    assert_one_line_error(
        &output,
        &[
            "timeline.json",
            "subject S1",
            "timepoint BL",
            "long_axis_mm",
        ],
    );

    // A date that is not a date.
    let doc = json!({"schema": "oncoread.timeline/1", "subjects": [{"subject_id": "S1", "timepoints": [
        {"timepoint_id": "BL", "date": "2025-02-30", "lesions": [target("A", 30.0)]}]}]});
    let (output, _) = assess_doc(&doc, &[]);
    assert_one_line_error(
        &output,
        &["subject S1", "timepoint BL", "field date", "2025-02-30"],
    );

    // A lesion whose role changes.
    let doc = simple(
        json!([target("A", 30.0), {"lesion_id": "B", "role": "non_target", "status": "present"}]),
        vec![(56, json!([target("A", 20.0), target("B", 12.0)]))],
    );
    let (output, _) = assess_doc(&doc, &[]);
    assert_one_line_error(
        &output,
        &["subject S1", "timepoint V1", "field role", "lesion B"],
    );

    // Unknown criterion and unknown config key: usage errors, also exit 2.
    let output = oncoread(&[
        "assess",
        "fixtures/sample-timeline.json",
        "--criteria",
        "recist2",
    ]);
    assert_one_line_error(&output, &["recist2"]);
    let output = oncoread(&[
        "assess",
        "fixtures/sample-timeline.json",
        "--set",
        "recist.pd=0.3",
    ]);
    assert_one_line_error(&output, &["recist.pd"]);
    let output = oncoread(&["assess", "no-such-file.json"]);
    assert_one_line_error(&output, &["no-such-file.json"]);
}

#[test]
fn problems_are_listed_and_strict_exits_3() {
    // A 7 mm non-nodal target is below the 10 mm measurable minimum: assessed as
    // recorded, reported as a problem; --strict turns that into exit status 3.
    let doc = simple(
        json!([target("A", 7.0), target("B", 30.0)]),
        vec![(56, json!([target("A", 7.0), target("B", 30.0)]))],
    );
    let (output, assessment) = assess_doc(&doc, &[]);
    assert!(output.status.success());
    let assessment = assessment.unwrap();
    assert_valid(
        &schema("assessment.schema.json"),
        &assessment,
        "an assessment with problems",
    );
    let problems = assessment["subjects"][0]["problems"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0]["kind"], "not_measurable_at_baseline");
    assert!(problems[0]["message"]
        .as_str()
        .unwrap()
        .contains("7.0 mm < measurable minimum 10.0 mm"));
    let (output, _) = assess_doc(&doc, &["--strict"]);
    assert_eq!(output.status.code(), Some(3));
}

#[test]
fn output_file_is_written_atomically_and_folders_are_created() {
    let dir = temp_dir("atomic");
    let out = dir.join("nested/deeper/assessment.json");
    let output = oncoread(&[
        "assess",
        "fixtures/sample-timeline.json",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(output.status.success());
    let entries: Vec<String> = std::fs::read_dir(out.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        entries,
        ["assessment.json"],
        "no temporary file is left behind"
    );
}

fn bidimensional(id: &str, role: &str, ld: f64, perpendicular: f64) -> Value {
    json!({"lesion_id": id, "role": role, "organ": if role == "new" { "lung" } else { "liver" },
           "long_axis_mm": ld, "short_axis_mm": perpendicular})
}

#[test]
fn immune_criteria_end_to_end_follow_the_schema_and_summarise_flags() {
    // S1, a pseudo-progressor: BL T1 20 × 20. V1 (day 56) T1 unchanged and a new lesion
    // N1 10 × 10: RECIST 1.1 PD (new lesion); iRECIST iUPD; irRC TB 400 + 100 = 500 ≥ 1.25
    // × 400 → irPD; irRECIST / imRECIST 20 + 10 = 30 ≥ 1.2 × 20 and +10 mm → irPD / PD.
    // V2 (day 112) T1 10 × 10, N1 gone: iRECIST resets (10 ≤ 0.7 × 20) → iPR; irRC 100:
    // the irPD is negated, 100 × 2 ≤ 400 → irPR; irRECIST / imRECIST 10 ≤ 14 → irPR / PR.
    // Four pseudoprogression flags (one per immune criterion).
    // S2, awaiting: BL T1 20 × 20, V1 (day 56) T1 25 × 20: PD everywhere (RECIST +25 %,
    // +5 mm; irRC 500 vs 400), nothing confirmed yet → four awaiting_confirmation flags.
    let s1 = json!({"subject_id": "S1", "timepoints": [
        {"timepoint_id": "BL", "day": 0, "lesions": [bidimensional("T1", "target", 20.0, 20.0)]},
        {"timepoint_id": "V1", "day": 56, "lesions": [bidimensional("T1", "target", 20.0, 20.0), bidimensional("N1", "new", 10.0, 10.0)]},
        {"timepoint_id": "V2", "day": 112, "lesions": [bidimensional("T1", "target", 10.0, 10.0),
            {"lesion_id": "N1", "role": "new", "organ": "lung", "status": "absent"}]}
    ]});
    let s2 = json!({"subject_id": "S2", "timepoints": [
        {"timepoint_id": "BL", "date": "2025-01-01", "lesions": [bidimensional("T1", "target", 20.0, 20.0)]},
        {"timepoint_id": "V1", "date": "2025-02-26", "lesions": [bidimensional("T1", "target", 25.0, 20.0)]}
    ]});
    let doc = json!({"schema": "oncoread.timeline/1", "subjects": [s1, s2]});
    assert_valid(&schema("timeline.schema.json"), &doc, "the timeline");
    let (output, assessment) = assess_doc(
        &doc,
        &["--criteria", "recist1.1,irecist,irrc,irrecist,imrecist"],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let assessment = assessment.expect("JSON on standard output");
    assert_valid(
        &schema("assessment.schema.json"),
        &assessment,
        "the assessment",
    );
    for (name, expected) in [
        ("recist1.1", vec!["BL", "PD"]),
        ("irecist", vec!["BL", "iUPD", "iPR"]),
        ("irrc", vec!["BL", "irPD", "irPR"]),
        ("irrecist", vec!["BL", "irPD", "irPR"]),
        ("imrecist", vec!["BL", "PD", "PR"]),
    ] {
        assert_eq!(
            overall(criterion(&assessment, "S1", name)),
            expected,
            "{name}"
        );
    }
    let irrc = criterion(&assessment, "S1", "irrc");
    assert_eq!(irrc["timepoints"][1]["burden_mm2"], json!(500.0));
    assert_eq!(irrc["timepoints"][1]["confirmed"], json!(false));
    assert_eq!(irrc["progression"], Value::Null);
    let kinds = |subject: usize| -> Vec<String> {
        assessment["subjects"][subject]["flags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["kind"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(kinds(0), vec!["pseudoprogression"; 4]);
    assert_eq!(kinds(1), vec!["awaiting_confirmation"; 4]);
    assert!(
        stderr.contains("oncoread assess: flag awaiting_confirmation: 4\n"),
        "{stderr}"
    );
    assert!(
        stderr.contains("oncoread assess: flag pseudoprogression: 4\n"),
        "{stderr}"
    );
    assert!(!stderr.contains("discordant_progression_date"), "{stderr}");
}

/// The flags of one subject, as (kind, message).
fn subject_flags(assessment: &Value, subject: &str) -> Vec<(String, String)> {
    assessment["subjects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["subject_id"] == subject)
        .and_then(|s| s["flags"].as_array())
        .map(|flags| {
            flags
                .iter()
                .map(|f| {
                    (
                        f["kind"].as_str().unwrap().to_string(),
                        f["message"].as_str().unwrap().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn neuro_hcc_gist_and_pet_criteria_assess_end_to_end_and_follow_the_schema() {
    let enh = |ld: f64, perp: f64| json!({"lesion_id": "T1", "role": "target", "organ": "brain", "long_axis_mm": ld, "short_axis_mm": perp});
    let doc = json!({"schema": "oncoread.timeline/1", "subjects": [
        {"subject_id": "GLIOMA-1",
         "context": {"disease": "high_grade_glioma", "radiotherapy_end_day": 42, "immunotherapy_start_day": 100},
         "timepoints": [
            {"day": 0, "lesions": [enh(20.0, 20.0)], "clinical": {"steroid_dose_mg": 4.0}},
            {"day": 100, "lesions": [enh(25.0, 24.0)], "clinical": {"steroid_dose_mg": 4.0}},
            {"day": 200, "lesions": [enh(40.0, 20.0)],
             "clinical": {"steroid_dose_mg": 4.0, "new_neurological_deficit": false}}]},
        {"subject_id": "HCC-1", "context": {"disease": "hcc"}, "timepoints": [
            {"day": 0, "lesions": [{"lesion_id": "T1", "role": "target", "organ": "liver",
                                    "long_axis_mm": 50.0, "viable_long_axis_mm": 40.0}]},
            {"day": 56, "lesions": [{"lesion_id": "T1", "role": "target", "organ": "liver",
                                     "long_axis_mm": 50.0, "viable_long_axis_mm": 20.0}]}]},
        {"subject_id": "GIST-1", "context": {"disease": "gist"}, "timepoints": [
            {"day": 0, "lesions": [{"lesion_id": "T1", "role": "target", "organ": "stomach",
                                    "long_axis_mm": 50.0, "mean_hu": 100.0}]},
            {"day": 56, "lesions": [{"lesion_id": "T1", "role": "target", "organ": "stomach",
                                     "long_axis_mm": 50.0, "mean_hu": 80.0}]}]},
        {"subject_id": "PET-1", "timepoints": [
            {"day": 0, "liver_sul_mean": 2.0, "liver_sul_sd": 0.3,
             "lesions": [{"lesion_id": "L1", "role": "target", "organ": "lung", "sul_peak": 10.0}]},
            {"day": 56, "liver_sul_mean": 2.0, "liver_sul_sd": 0.3,
             "lesions": [{"lesion_id": "L1", "role": "target", "organ": "lung", "sul_peak": 13.5}]}]}
    ]});
    assert_valid(
        &schema("timeline.schema.json"),
        &doc,
        "the hand-made timeline",
    );
    let (output, assessment) = assess_doc(
        &doc,
        &["--criteria", "rano,irano,rano2,mrecist,choi,percist"],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let assessment = assessment.expect("the assessment is JSON");
    assert_valid(
        &schema("assessment.schema.json"),
        &assessment,
        "the assessment",
    );

    // GLIOMA-1: baseline 20×20 = 400 mm²; radiotherapy ended day 42.
    // Day 100 (58 days after, inside the 12-week window): 25×24 = 600 ≥ 1.25 × 400, growth in
    // the field → SD under RANO and iRANO (rule + flag). Day 200 (after the window): 40×20 =
    // 800 ≥ 1.25 × 600 (smallest post-radiotherapy scan) → RANO PD. iRANO: day 200 is 100
    // days after the immunotherapy start (≤ 183), no new deficit → PD-unconfirmed, the
    // confirming scan due from day 200 + 84 = 284. RANO 2.0: day 100 is the first
    // post-radiotherapy scan → its baseline; day 200: 800 ≥ 1.25 × 600 after the window → PD.
    let rano = criterion(&assessment, "GLIOMA-1", "rano");
    assert_eq!(overall(rano), ["BL", "SD", "PD"]);
    assert_eq!(rano["timepoints"][1]["burden_mm2"], json!(600.0));
    assert!(rano["timepoints"][1]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["rule"] == "rano.early_window.in_field_growth"));
    assert_eq!(rano["progression"]["day"], json!(200));
    let irano = criterion(&assessment, "GLIOMA-1", "irano");
    assert_eq!(overall(irano), ["BL", "SD", "PD-unconfirmed"]);
    assert_eq!(irano["progression"], Value::Null);
    let rano2 = criterion(&assessment, "GLIOMA-1", "rano2");
    assert_eq!(overall(rano2), ["BL", "BL", "PD"]);
    assert_eq!(rano2["progression"]["day"], json!(200));
    let flags = subject_flags(&assessment, "GLIOMA-1");
    let kinds: Vec<&str> = flags.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "rano_early_window",
            "rano_early_window",
            "awaiting_confirmation"
        ],
        "{flags:?}"
    );
    assert!(flags[2].1.contains("day 284"), "{}", flags[2].1);

    // HCC-1: viable 40 → 20 mm = −50 % ≤ −30 % → mRECIST PR.
    assert_eq!(
        overall(criterion(&assessment, "HCC-1", "mrecist")),
        ["BL", "PR"]
    );
    // GIST-1: size unchanged, 100 → 80 HU = −20 % ≥ 15 % → Choi PR.
    assert_eq!(
        overall(criterion(&assessment, "GIST-1", "choi")),
        ["BL", "PR"]
    );
    // PET-1: measurable (10 ≥ 1.5 × 2.0 + 2 × 0.3 = 3.6); 10 → 13.5 = +35 % and +3.5 SUL
    // (> 30 %, > 0.8) → PMD.
    let percist = criterion(&assessment, "PET-1", "percist");
    assert_eq!(overall(percist), ["BL", "PMD"]);
    assert_eq!(percist["best_overall_response"], "PMD");
    // PERCIST was written for solid tumours: the glioma subject is not assessed under it
    // (no rows, NE) and the subject's problems say why; mRECIST and Choi likewise.
    let glioma_percist = criterion(&assessment, "GLIOMA-1", "percist");
    assert_eq!(glioma_percist["timepoints"], json!([]));
    assert_eq!(glioma_percist["best_overall_response"], "NE");
    let glioma = assessment["subjects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["subject_id"] == "GLIOMA-1")
        .unwrap();
    assert_eq!(glioma["problems"][0]["kind"], "criterion_not_applicable");
    assert_eq!(
        glioma["problems"][0]["message"],
        "not assessed for disease high_grade_glioma: mrecist (hepatocellular carcinoma), \
         choi (GIST), percist (solid tumours on FDG PET) (match_disease = true)"
    );
    // With match_disease = false every requested criterion assesses every subject:
    // missing inputs are NE, never a failure (the glioma has no sul_peak).
    let (output, every) = assess_doc(
        &doc,
        &["--criteria", "percist", "--set", "match_disease=false"],
    );
    assert!(output.status.success());
    assert_eq!(
        overall(criterion(&every.unwrap(), "GLIOMA-1", "percist")),
        ["BL", "NE", "NE"]
    );

    // The effective config lists the new keys with their defaults.
    assert_eq!(assessment["config"]["rano.early_window_days"], json!(84));
    assert_eq!(assessment["config"]["irano.window_days"], json!(183));
    assert_eq!(
        assessment["config"]["rano2.confirm_reference"],
        json!("preliminary_scan")
    );
    assert_eq!(assessment["config"]["percist.pmd_strict"], json!(true));
}

#[test]
fn a_pet_only_subject_under_all_criteria_is_assessed_where_it_can_be() {
    // PET only: one target with SULpeak, no diameters. Baseline SULpeak 5.0 with liver
    // 2.0 ± 0.3 (measurable: 5.0 ≥ 1.5 × 2.0 + 2 × 0.3 = 3.6); at W8 3.0: −40 % and −2.0
    // SUL (≥ 30 % and ≥ 0.8) → PMR. RECIST 1.1 needs a long axis for every target, so the
    // RECIST family cannot read this subject: under `all` it is reported not assessed
    // (no rows, NE, the reason as a problem) while PERCIST still assesses it; asked for
    // RECIST 1.1 alone, the document stays an input error (exit 2).
    let pet =
        |sul: f64| json!({"lesion_id": "P1", "role": "target", "organ": "lung", "sul_peak": sul});
    let doc = json!({"schema": "oncoread.timeline/1", "subjects": [{"subject_id": "PET1", "timepoints": [
        {"timepoint_id": "BL", "day": 0, "liver_sul_mean": 2.0, "liver_sul_sd": 0.3, "lesions": [pet(5.0)]},
        {"timepoint_id": "W8", "day": 56, "liver_sul_mean": 2.0, "liver_sul_sd": 0.3, "lesions": [pet(3.0)]}
    ]}]});
    let (output, assessment) = assess_doc(&doc, &["--criteria", "all"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let assessment = assessment.unwrap();
    assert_valid(
        &schema("assessment.schema.json"),
        &assessment,
        "the assessment",
    );
    assert_eq!(
        overall(criterion(&assessment, "PET1", "percist")),
        ["BL", "PMR"]
    );
    let recist = criterion(&assessment, "PET1", "recist1.1");
    assert_eq!(recist["timepoints"], json!([]));
    assert_eq!(recist["best_overall_response"], "NE");
    let problems = assessment["subjects"][0]["problems"].as_array().unwrap();
    assert!(
        problems
            .iter()
            .any(|p| p["kind"] == "not_assessable_recist_family"),
        "{problems:?}"
    );

    let (alone, _) = assess_doc(&doc, &["--criteria", "recist1.1"]);
    assert_eq!(alone.status.code(), Some(2));
}

#[test]
fn a_named_pipe_as_output_is_written_in_place_not_replaced() {
    // Renaming a temporary file over a device or a pipe (say `-o /dev/null`) would replace
    // it with a plain file; such targets are written in place. A named pipe stands in for
    // the device here (the test must not risk the machine's /dev/null).
    use std::os::unix::fs::FileTypeExt;
    let dir = temp_dir("fifo");
    let fifo = dir.join("out.pipe");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    let reader_path = fifo.clone();
    let reader = std::thread::spawn(move || std::fs::read(reader_path).unwrap());
    let output = oncoread(&[
        "assess",
        "fixtures/sample-timeline.json",
        "--criteria",
        "recist1.1",
        "-o",
        fifo.to_str().unwrap(),
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // Checked before waiting for the reader: had the pipe been replaced, the reader would
    // wait on it for ever.
    let kind = std::fs::symlink_metadata(&fifo).unwrap().file_type();
    assert!(kind.is_fifo(), "the pipe is still a pipe");
    let received: Value = serde_json::from_slice(&reader.join().unwrap()).unwrap();
    // The sample timeline has four subjects (fixtures/sample-timeline.json).
    assert_eq!(received["subjects"].as_array().unwrap().len(), 4);
}
