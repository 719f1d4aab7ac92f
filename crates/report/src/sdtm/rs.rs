//! RS (Disease Response and Clin Classification): per read, per criterion (RSCAT), per
//! visit after baseline the target (TRGRESP), non-target (NTRGRESP), new-lesion (NEWLIND)
//! and overall (OVRLRESP) responses as the assessment rows give them; then the best
//! overall response (BESTRESP) and the confirmed one (CBESTRSP, sponsor-defined code),
//! which belong to no visit. The baseline row (BL) is not a response and is not written.

use oncoread_criteria::assessment::Response;

use super::dataset_json::{integer, key, text, Column, Dataset, Row, Value};
use super::study::{Read, Sequence, EVALUATOR};
use super::terms;
use super::tr::link_group;
use crate::ReportError;

pub const COLUMNS: [Column; 19] = [
    key("STUDYID", "Study Identifier", 1),
    text("DOMAIN", "Domain Abbreviation"),
    key("USUBJID", "Unique Subject Identifier", 2),
    integer("RSSEQ", "Sequence Number", None),
    text("RSLNKGRP", "Link Group ID"),
    key("RSTESTCD", "Assessment Short Name", 5),
    text("RSTEST", "Assessment Name"),
    key("RSCAT", "Category for Assessment", 4),
    text("RSORRES", "Result or Finding in Original Units"),
    text("RSSTRESC", "Character Result/Finding in Std Format"),
    text("RSSTAT", "Completion Status"),
    text("RSREASND", "Reason Not Done"),
    text("RSEVAL", "Evaluator"),
    key("RSEVALID", "Evaluator Identifier", 3),
    text("RSACPTFL", "Accepted Record Flag"),
    integer("VISITNUM", "Visit Number", Some(6)),
    text("VISIT", "Visit Name"),
    text("RSDTC", "Date/Time of Assessment"),
    integer("RSDY", "Study Day of Assessment", None),
];

/// (RSORRES, RSSTRESC).
type Outcome = (String, String);

pub fn dataset(study: &str, reads: &[Read<'_>]) -> Result<Dataset, ReportError> {
    let mut data = Dataset::new("RS", "Disease Response and Clin Classification", &COLUMNS);
    let mut seq = Sequence::default();
    for read in reads {
        let base = |seq: &mut Sequence, category: &'static str| -> Row {
            vec![
                ("STUDYID", study.into()),
                ("DOMAIN", "RS".into()),
                ("USUBJID", read.usubjid.as_str().into()),
                ("RSSEQ", seq.next(&read.usubjid).into()),
                ("RSCAT", category.into()),
                ("RSEVAL", EVALUATOR.into()),
                ("RSEVALID", read.evaluator_id.as_str().into()),
                ("RSACPTFL", read.accepted_flag.into()),
            ]
        };
        for assessed in &read.assessed.assessments {
            let category = terms::criterion(assessed.criterion);
            for assessment_row in &assessed.timepoints {
                if assessment_row.overall == Response::Baseline {
                    continue;
                }
                let visit = read.visit(&assessment_row.timepoint_id);
                let tests: [(&str, &str, Option<Outcome>); 4] = [
                    (
                        "TRGRESP",
                        "Target Response",
                        assessment_row.target.map(pair),
                    ),
                    (
                        "NTRGRESP",
                        "Non-target Response",
                        assessment_row.non_target.map(pair),
                    ),
                    (
                        "NEWLIND",
                        "New Lesion Indicator",
                        assessment_row.new_lesions.map(|n| {
                            let text = terms::new_lesions(n).to_string();
                            (text.clone(), text)
                        }),
                    ),
                    (
                        "OVRLRESP",
                        "Overall Response",
                        Some(pair(assessment_row.overall)),
                    ),
                ];
                for (code, name, result) in tests {
                    let Some((original, standard)) = result else {
                        continue;
                    };
                    let mut row = base(&mut seq, category);
                    row.extend([
                        ("RSTESTCD", Value::from(code)),
                        ("RSTEST", name.into()),
                        ("RSORRES", original.into()),
                        ("RSSTRESC", standard.into()),
                        (
                            "RSDTC",
                            assessment_row.date.clone().unwrap_or_default().into(),
                        ),
                    ]);
                    match visit {
                        Some(visit) => row.extend([
                            ("RSLNKGRP", link_group(assessed, visit.num).into()),
                            ("VISITNUM", visit.num.into()),
                            ("VISIT", visit.label.as_str().into()),
                            ("RSDY", Value::from(visit.dy)),
                        ]),
                        None => row.push(("VISIT", assessment_row.timepoint_id.as_str().into())),
                    }
                    data.push(row)?;
                }
            }
            let best = [
                (
                    "BESTRESP",
                    "Best Overall Response",
                    assessed.best_overall_response,
                ),
                (
                    "CBESTRSP",
                    "Confirmed Best Overall Response",
                    assessed.confirmed_best_overall_response,
                ),
            ];
            for (code, name, response) in best {
                let (original, standard) = pair(response);
                let mut row = base(&mut seq, category);
                row.extend([
                    ("RSTESTCD", Value::from(code)),
                    ("RSTEST", name.into()),
                    ("RSORRES", original.into()),
                    ("RSSTRESC", standard.into()),
                ]);
                data.push(row)?;
            }
        }
    }
    Ok(data)
}

/// (RSORRES, RSSTRESC) of a response: the criterion's spelling, the SDTM one.
fn pair(response: Response) -> Outcome {
    (
        response.as_str().to_string(),
        terms::response(response).to_string(),
    )
}
