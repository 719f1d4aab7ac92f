//! TR (Tumor/Lesion Results): per read, per visit, per lesion the measurements
//! (LDIAM always when measured; SAXIS for lymph nodes; LPERP, the longest perpendicular,
//! when a criterion of the read measures bidimensionally) and the lesion's state
//! (TUMSTATE) when the timeline gives one; then per criterion the visit's sums as the
//! assessment rows give them (SUMDIAM, SUMPDIAM, PCBSD, PCNSD), grouped by TRGRPID = the
//! criterion and linked to RS by TRLNKGRP.

use oncoread_criteria::assessment::{CriterionAssessment, Response};
use oncoread_criteria::timeline::{Lesion, Role};

use super::dataset_json::{double, integer, key, text, Column, Dataset, Row, Value};
use super::study::{Read, Sequence, Visit, EVALUATOR};
use super::terms;
use crate::text::number;
use crate::ReportError;

pub const COLUMNS: [Column; 24] = [
    key("STUDYID", "Study Identifier", 1),
    text("DOMAIN", "Domain Abbreviation"),
    key("USUBJID", "Unique Subject Identifier", 2),
    integer("TRSEQ", "Sequence Number", None),
    key("TRGRPID", "Group ID", 4),
    text("TRLNKGRP", "Link Group ID"),
    key("TRLNKID", "Link ID", 5),
    key("TRTESTCD", "Tumor/Lesion Assessment Short Name", 6),
    text("TRTEST", "Tumor/Lesion Assessment Test Name"),
    text("TRORRES", "Result or Finding in Original Units"),
    text("TRORRESU", "Original Units"),
    text("TRSTRESC", "Character Result/Finding in Std Format"),
    double("TRSTRESN", "Numeric Result/Finding in Standard Units"),
    text("TRSTRESU", "Standard Units"),
    text("TRSTAT", "Completion Status"),
    text("TRREASND", "Reason Not Done"),
    text("TREVAL", "Evaluator"),
    key("TREVALID", "Evaluator Identifier", 3),
    text("TRACPTFL", "Accepted Record Flag"),
    integer("VISITNUM", "Visit Number", Some(7)),
    text("VISIT", "Visit Name"),
    text("TRDTC", "Date/Time of Tumor/Lesion Measurement"),
    integer("TRDY", "Study Day of Tumor/Lesion Measurement", None),
    text("TRLOBXFL", "Last Observation Before Exposure Flag"),
];

/// TRLNKGRP (and RSLNKGRP): the criterion's results of one visit.
pub fn link_group(assessed: &CriterionAssessment, visit_num: i64) -> String {
    format!("{}-V{visit_num}", terms::criterion(assessed.criterion))
}

pub fn dataset(study: &str, reads: &[Read<'_>]) -> Result<Dataset, ReportError> {
    let mut data = Dataset::new("TR", "Tumor/Lesion Results", &COLUMNS);
    let mut seq = Sequence::default();
    for read in reads {
        let bidimensional = read
            .assessed
            .assessments
            .iter()
            .flat_map(|a| &a.timepoints)
            .any(|row| row.burden_mm2.is_some());
        for visit in &read.visits {
            let Some(timepoint) = visit.timepoint else {
                continue;
            };
            for lesion in &timepoint.lesions {
                for (code, name, value) in measurements(lesion, bidimensional) {
                    let mut row = common(study, read, visit, &mut seq);
                    row.push(("TRLNKID", lesion.lesion_id.as_str().into()));
                    row.extend(result(code, name, value, "mm"));
                    data.push(row)?;
                }
                if let Some(status) = lesion.status {
                    let mut row = common(study, read, visit, &mut seq);
                    row.push(("TRLNKID", lesion.lesion_id.as_str().into()));
                    row.push(("TRTESTCD", "TUMSTATE".into()));
                    row.push(("TRTEST", "Tumor State".into()));
                    row.push(("TRORRES", terms::lesion_state(status).into()));
                    row.push(("TRSTRESC", terms::lesion_state(status).into()));
                    data.push(row)?;
                } else if lesion.role == Role::Target && lesion.long_axis_mm.is_none() {
                    let mut row = common(study, read, visit, &mut seq);
                    row.push(("TRLNKID", lesion.lesion_id.as_str().into()));
                    row.push(("TRTESTCD", "LDIAM".into()));
                    row.push(("TRTEST", "Longest Diameter".into()));
                    row.push(("TRSTAT", "NOT DONE".into()));
                    row.push(("TRREASND", "NOT MEASURED".into()));
                    data.push(row)?;
                }
            }
        }
        for assessed in &read.assessed.assessments {
            for assessment_row in &assessed.timepoints {
                let Some(visit) = read.visit(&assessment_row.timepoint_id) else {
                    continue;
                };
                let sums = [
                    (
                        "SUMDIAM",
                        "Sum of Diameters",
                        assessment_row.target_sum_mm,
                        "mm",
                    ),
                    (
                        "SUMPDIAM",
                        "Sum of Products of Diameters",
                        assessment_row.burden_mm2,
                        "mm2",
                    ),
                    (
                        "PCBSD",
                        "Percent Change From Baseline in Sum of Diameters",
                        assessment_row.change_from_baseline_pct,
                        "%",
                    ),
                    (
                        "PCNSD",
                        "Percent Change From Nadir in Sum of Diameters",
                        assessment_row.change_from_nadir_pct,
                        "%",
                    ),
                ];
                for (code, name, value, unit) in sums {
                    let Some(value) = value else {
                        continue;
                    };
                    let mut row = common(study, read, visit, &mut seq);
                    row.push(("TRGRPID", terms::criterion(assessed.criterion).into()));
                    row.push(("TRLNKGRP", link_group(assessed, visit.num).into()));
                    row.extend(result(code, name, value, unit));
                    data.push(row)?;
                }
            }
        }
    }
    Ok(data)
}

/// The variables every TR row of a read's visit has.
fn common(study: &str, read: &Read<'_>, visit: &Visit<'_>, seq: &mut Sequence) -> Row {
    // The baseline scan is the last observation before exposure (the assessment marks it BL).
    let baseline = read
        .assessed
        .assessments
        .iter()
        .flat_map(|a| &a.timepoints)
        .any(|row| row.timepoint_id == visit.label && row.overall == Response::Baseline);
    vec![
        ("STUDYID", study.into()),
        ("DOMAIN", "TR".into()),
        ("USUBJID", read.usubjid.as_str().into()),
        ("TRSEQ", seq.next(&read.usubjid).into()),
        ("TREVAL", EVALUATOR.into()),
        ("TREVALID", read.evaluator_id.as_str().into()),
        ("TRACPTFL", read.accepted_flag.into()),
        ("VISITNUM", visit.num.into()),
        ("VISIT", visit.label.as_str().into()),
        ("TRDTC", visit.date.clone().unwrap_or_default().into()),
        ("TRDY", Value::from(visit.dy)),
        ("TRLOBXFL", if baseline { "Y" } else { "" }.into()),
    ]
}

/// A numeric result: original and standard results are the same (millimetres, percent).
fn result(code: &'static str, name: &'static str, value: f64, unit: &'static str) -> Row {
    vec![
        ("TRTESTCD", code.into()),
        ("TRTEST", name.into()),
        ("TRORRES", number(value).into()),
        ("TRORRESU", unit.into()),
        ("TRSTRESC", number(value).into()),
        ("TRSTRESN", value.into()),
        ("TRSTRESU", unit.into()),
    ]
}

/// The lesion's measured diameters, as (TRTESTCD, TRTEST, millimetres).
fn measurements(lesion: &Lesion, bidimensional: bool) -> Vec<(&'static str, &'static str, f64)> {
    let mut found = Vec::new();
    if let Some(long) = lesion.long_axis_mm {
        found.push(("LDIAM", "Longest Diameter", long));
    }
    if let Some(short) = lesion.short_axis_mm {
        if lesion.nodal {
            found.push(("SAXIS", "Short Axis", short));
        } else if bidimensional {
            found.push(("LPERP", "Longest Perpendicular", short));
        }
    }
    found
}
