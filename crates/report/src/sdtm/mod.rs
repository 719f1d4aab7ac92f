//! CDISC SDTM oncology domains of an assessment and its timeline: TU (lesions), TR
//! (measurements and sums), RS (responses per criterion), each as CDISC Dataset-JSON v1.1
//! (`tu.json`, `tr.json`, `rs.json`) and as CSV (`tu.csv`, `tr.csv`, `rs.csv`).
//!
//! Conventions (README "SDTM output" lists what SDTMIG asks that is not met):
//! - STUDYID: the timeline's protocol identifier when a source records one, else
//!   [`study::DEFAULT_STUDY_ID`]; USUBJID = STUDYID-SUBJID.
//! - A double read is two sets of rows: --EVAL = "INDEPENDENT ASSESSOR", --EVALID = the
//!   reader. --ACPTFL stays empty: choosing the accepted read is adjudication (not done).
//! - VISITNUM is the timepoint's position in the subject's timeline (1 = baseline), VISIT
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
