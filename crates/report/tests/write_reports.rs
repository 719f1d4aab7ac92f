//! The library API as `oncoread run` calls it: formats, file names, options, atomic
//! writes, on a small hand-made assessment.

use oncoread_criteria::assessment::Assessment;
use oncoread_criteria::timeline::{Problem, Timeline};
use oncoread_report::{render, write_reports, Format, ReportError, ReportOptions};
use serde_json::json;
use std::path::PathBuf;

fn temp_dir(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("oncoread-report-lib-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// One subject, one reader, RECIST 1.1: 50 mm at baseline, 30 mm on day 42 (−40 %, PR).
/// Its subject id needs escaping in HTML and quoting in CSV.
fn assessment() -> Assessment {
    serde_json::from_value(json!({
        "schema": "oncoread.assessment/1",
        "generator": {"name": "oncoread", "version": "test"},
        "config": {"recist.pd_rel": 0.2},
        "subjects": [{
            "subject_id": "S<1>, \"A\"",
            "assessments": [{
                "criterion": "recist1.1",
                "timepoints": [
                    {"timepoint_id": "BL", "day": 0, "overall": "BL", "target": null,
                     "non_target": null, "new_lesions": null, "target_sum_mm": 50.0,
                     "burden_mm2": null, "change_from_baseline_pct": null, "nadir": 50.0,
                     "change_from_nadir_pct": null, "confirmed": null,
                     "rules": [{"rule": "baseline", "detail": "sum 50.0 mm"}]},
                    {"timepoint_id": "V1", "day": 42, "overall": "PR", "target": "PR",
                     "non_target": null, "new_lesions": "none", "target_sum_mm": 30.0,
                     "burden_mm2": null, "change_from_baseline_pct": -40.0, "nadir": 50.0,
                     "change_from_nadir_pct": -40.0, "confirmed": false,
                     "rules": [{"rule": "recist.target.pr", "detail": "30.0 ≤ 0.7 × 50.0"}]}
                ],
                "best_overall_response": "PR",
                "confirmed_best_overall_response": "SD",
                "progression": null
            }],
            "problems": [{"kind": "measurability", "message": "T3 below 10 mm"}]
        }]
    }))
    .unwrap()
}

#[test]
fn formats_parse_from_the_command_line_list() {
    assert_eq!(
        Format::parse_list("json,csv,csv").unwrap(),
        [Format::Csv, Format::Json]
    );
    assert!(matches!(
        Format::parse_list("csv,xlsx"),
        Err(ReportError::UnknownFormat { name }) if name == "xlsx"
    ));
    assert!(Format::parse_list("").is_err());
}

#[test]
fn writes_each_format_and_no_lesion_table_without_a_timeline() {
    let dir = temp_dir("all");
    let written = write_reports(
        &assessment(),
        None,
        &dir,
        &Format::ALL,
        &ReportOptions::default(),
    )
    .unwrap();
    let names: Vec<_> = written
        .iter()
        .map(|p| p.file_name().unwrap().to_str().unwrap().to_string())
        .collect();
    assert_eq!(
        names,
        [
            "timepoints.csv",
            "subjects.csv",
            "problems.csv",
            "report.html",
            "assessment.json"
        ]
    );
    // Only those files: no temporary file is left behind.
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 5);

    // Two timepoint rows; the subject id quoted, its quotes doubled.
    let timepoints = std::fs::read_to_string(dir.join("timepoints.csv")).unwrap();
    assert_eq!(timepoints.matches("\r\n").count(), 3);
    assert!(timepoints.contains(
        "\"S<1>, \"\"A\"\"\",,recist1.1,V1,42,,PR,PR,,none,30.0,,-40.0,50.0,-40.0,false,recist.target.pr: 30.0 ≤ 0.7 × 50.0,\r\n"
    ), "a single read: the accepted column is empty");
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(html.contains("S&lt;1>, &quot;A&quot;"));
    assert!(!html.contains("S<1>"));
    assert!(html.contains("No timeline was given"));
    // Without generated_at there is no timestamp.
    assert!(!html.contains("generated at"));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("assessment.json")).unwrap())
            .unwrap();
    assert_eq!(
        json["subjects"][0]["assessments"][0]["best_overall_response"],
        "PR"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn options_add_the_time_and_the_callers_problems() {
    let timeline = Timeline {
        schema: "oncoread.timeline/1".into(),
        subjects: Vec::new(),
        problems: vec![Problem::new("not_dicom", "a.txt is not DICOM".into())],
    };
    let options = ReportOptions {
        generated_at: Some("2026-01-02T03:04:05Z".into()),
        problems: vec![Problem::new("scan", "b.dcm is truncated".into())],
        ..ReportOptions::default()
    };
    let files = render(Format::Csv, &assessment(), Some(&timeline), &options).unwrap();
    let problems = &files.iter().find(|(n, _)| *n == "problems.csv").unwrap().1;
    // The caller's, the timeline's, then the subject's: 3 rows after the header.
    let rows: Vec<&str> = problems.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(rows.len(), 4);
    assert!(rows[1].starts_with("run,,,scan,b.dcm is truncated"));
    assert!(rows[2].starts_with("timeline,,,not_dicom,"));
    assert!(rows[3].starts_with("assessment,\"S<1>, \"\"A\"\"\",,measurability,"));
    // A timeline without this subject gives an empty lesion table, header only.
    let lesions = &files.iter().find(|(n, _)| *n == "lesions.csv").unwrap().1;
    assert_eq!(lesions.matches("\r\n").count(), 1);

    let html = &render(Format::Html, &assessment(), Some(&timeline), &options).unwrap()[0].1;
    assert!(html.contains("generated at 2026-01-02T03:04:05Z"));
    assert!(html.contains("<h2>Problems (3)</h2>"));
}
