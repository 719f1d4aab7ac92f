//! CDISC SDTM oncology domains of an assessment and its timeline: TU (lesions), TR
//! (measurements and sums), RS (responses per criterion), each as CDISC Dataset-JSON v1.1
//! (`tu.json`, `tr.json`, `rs.json`) and as CSV (`tu.csv`, `tr.csv`, `rs.csv`).
//!
//! Conventions (README "SDTM output" lists what SDTMIG asks that is not met):
//! - STUDYID: the timeline's protocol identifier when a source records one, else
//!   [`study::DEFAULT_STUDY_ID`]; USUBJID = STUDYID-SUBJID.
//! - A double read is two sets of rows: --EVAL = "INDEPENDENT ASSESSOR", --EVALID = the
//!   reader. --ACPTFL is `Y` on the accepted read and `N` on the others when the reader
//!   review ran (`accepted` in the assessment), empty otherwise.
//! - VISITNUM is the timepoint's position in the subject's timeline (1 = its first scan), VISIT
//!   its label; --DY counts from the baseline scan with no day 0 ([`study::study_day`]).
//! - `datasetJSONCreationDateTime` is [`crate::ReportOptions::generated_at`], else
//!   [`FIXED_CREATION_DATETIME`], so that the same input gives the same bytes.

mod dataset_json;
mod rs;
mod study;
mod terms;
mod tr;
mod tu;

use oncoread_criteria::assessment::Assessment;
use oncoread_criteria::timeline::Timeline;

use crate::{ReportError, ReportOptions};
use dataset_json::FileHeader;

/// `datasetJSONCreationDateTime` when the caller gives no time (`oncoread report`,
/// `oncoread run --reproducible`): a fixed, obviously artificial instant.
pub const FIXED_CREATION_DATETIME: &str = "1970-01-01T00:00:00Z";

/// The six files, JSON then CSV per domain, in the order TU, TR, RS.
pub fn render(
    assessment: &Assessment,
    timeline: &Timeline,
    options: &ReportOptions,
) -> Result<Vec<(&'static str, String)>, ReportError> {
    let study = study::study_id(timeline);
    let reads = study::reads(assessment, timeline, &study);
    let header = FileHeader {
        created: options
            .generated_at
            .as_deref()
            .unwrap_or(FIXED_CREATION_DATETIME),
        study_id: &study,
        version: &assessment.generator.version,
    };
    let domains = [
        ("tu.json", "tu.csv", tu::dataset(&study, &reads)?),
        ("tr.json", "tr.csv", tr::dataset(&study, &reads)?),
        ("rs.json", "rs.csv", rs::dataset(&study, &reads)?),
    ];
    let mut files = Vec::new();
    for (json_name, csv_name, data) in domains {
        files.push((json_name, data.to_json(&header)?));
        files.push((csv_name, data.to_csv()));
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    /// One reader-less subject: a screening scan the day before baseline, a baseline with
    /// a target that has both axes and a node, and a follow-up where the target was not
    /// measured; a criterion that reports a bidimensional burden.
    fn example() -> Result<(Assessment, Timeline), serde_json::Error> {
        let timeline: Timeline = serde_json::from_value(json!({
            "schema": "oncoread.timeline/1",
            "subjects": [{
                "subject_id": "007",
                "timepoints": [
                    {"timepoint_id": "SCR", "date": "2024-01-09", "day": -1},
                    {"timepoint_id": "BL", "date": "2024-01-10", "day": 0,
                     "source": {"clinical_trial_protocol_id": "ONC-9"},
                     "lesions": [
                        {"lesion_id": "L1", "label": "T1", "role": "target", "organ": "liver",
                         "long_axis_mm": 20.0, "short_axis_mm": 12.5,
                         "source": {"modality": "CT"}},
                        {"lesion_id": "N1", "role": "target", "organ": "lymph node",
                         "nodal": true, "long_axis_mm": 25.0, "short_axis_mm": 16.0}
                     ]},
                    {"timepoint_id": "W8", "date": "2024-03-06", "day": 56,
                     "lesions": [
                        {"lesion_id": "L1", "label": "T1", "role": "target", "organ": "liver"}
                     ]}
                ]
            }]
        }))?;
        let row = |id: &str, day: i64, overall: &str, burden: Option<f64>| {
            json!({"timepoint_id": id, "day": day, "overall": overall, "target": null,
                   "non_target": null, "new_lesions": null, "target_sum_mm": null,
                   "burden_mm2": burden, "change_from_baseline_pct": null, "nadir": null,
                   "change_from_nadir_pct": null, "confirmed": null, "rules": []})
        };
        let assessment: Assessment = serde_json::from_value(json!({
            "schema": "oncoread.assessment/1",
            "generator": {"name": "oncoread", "version": "9.9.9"},
            "config": {},
            "subjects": [{
                "subject_id": "007",
                "assessments": [{
                    "criterion": "choi",
                    "timepoints": [row("BL", 0, "BL", Some(650.0)), row("W8", 56, "NE", None)],
                    "best_overall_response": "NE",
                    "confirmed_best_overall_response": "NE",
                    "progression": null
                }]
            }]
        }))?;
        Ok((assessment, timeline))
    }

    fn csv_rows(files: &[(&str, String)], name: &str) -> Result<Vec<String>, String> {
        let (_, text) = files
            .iter()
            .find(|(n, _)| *n == name)
            .ok_or(format!("no {name} among the rendered files"))?;
        Ok(text
            .split("\r\n")
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect())
    }

    #[test]
    fn unusual_reads_are_written_as_sdtm_expects() -> TestResult {
        let (assessment, timeline) = example()?;
        let files = render(&assessment, &timeline, &ReportOptions::default())?;
        let names: Vec<&str> = files.iter().map(|(n, _)| *n).collect();
        assert_eq!(
            names,
            ["tu.json", "tu.csv", "tr.json", "tr.csv", "rs.json", "rs.csv"]
        );

        let tu = csv_rows(&files, "tu.csv")?;
        assert_eq!(
            tu[1..],
            [
                "ONC-9,TU,ONC-9-007,1,T1,L1,TUMIDENT,Tumor Identification,TARGET,TARGET,LIVER,CT SCAN,INDEPENDENT ASSESSOR,,,2,BL,2024-01-10,1",
                "ONC-9,TU,ONC-9-007,2,,N1,TUMIDENT,Tumor Identification,TARGET,TARGET,LYMPH NODE,,INDEPENDENT ASSESSOR,,,2,BL,2024-01-10,1",
            ]
        );

        let tr = csv_rows(&files, "tr.csv")?;
        let tests: Vec<String> = tr[1..]
            .iter()
            .map(|line| {
                let f: Vec<&str> = line.split(',').collect();
                // TRGRPID, TRLNKID, TRTESTCD, TRSTRESN, TRSTAT, VISIT, TRDY, TRLOBXFL
                [f[4], f[6], f[7], f[12], f[14], f[20], f[22], f[23]].join(" ")
            })
            .collect();
        assert_eq!(
            tests,
            [
                " L1 LDIAM 20.0  BL 1 Y",
                " L1 LPERP 12.5  BL 1 Y",
                " N1 LDIAM 25.0  BL 1 Y",
                " N1 SAXIS 16.0  BL 1 Y",
                " L1 LDIAM  NOT DONE W8 57 ",
                "Choi  SUMPDIAM 650.0  BL 1 Y",
            ]
        );

        let rs = csv_rows(&files, "rs.csv")?;
        let tests: Vec<String> = rs[1..]
            .iter()
            .map(|line| {
                let f: Vec<&str> = line.split(',').collect();
                // RSTESTCD, RSCAT, RSORRES, VISITNUM, VISIT, RSDY
                [f[5], f[7], f[8], f[15], f[16], f[18]].join(" ")
            })
            .collect();
        assert_eq!(
            tests,
            [
                "OVRLRESP Choi NE 3 W8 57",
                "BESTRESP Choi NE   ",
                "CBESTRSP Choi NE   "
            ]
        );

        let tu_json: serde_json::Value = serde_json::from_str(&files[0].1)?;
        assert_eq!(
            tu_json["datasetJSONCreationDateTime"],
            FIXED_CREATION_DATETIME
        );
        assert_eq!(tu_json["sourceSystem"]["version"], "9.9.9");
        assert_eq!(tu_json["studyOID"], "ONC-9");
        Ok(())
    }

    #[test]
    fn the_creation_time_is_the_callers_when_given() -> TestResult {
        let (assessment, timeline) = example()?;
        let options = ReportOptions {
            generated_at: Some("2026-11-27T20:00:00Z".into()),
            problems: Vec::new(),
            ..ReportOptions::default()
        };
        let files = render(&assessment, &timeline, &options)?;
        let rs: serde_json::Value = serde_json::from_str(&files[4].1)?;
        assert_eq!(rs["datasetJSONCreationDateTime"], "2026-11-27T20:00:00Z");
        Ok(())
    }
}
