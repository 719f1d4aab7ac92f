//! TU (Tumor/Lesion Identification): one row per lesion per read, at the visit where the
//! lesion first appears. TULNKID is the lesion's tracking identity (`lesion_id`), the key
//! TR's TRLNKID points back to.

use oncoread_criteria::timeline::{Lesion, Role};

use super::dataset_json::{integer, key, text, Column, Dataset, Value};
use super::study::{Read, Sequence, Visit, EVALUATOR};
use crate::ReportError;

pub const COLUMNS: [Column; 19] = [
    key("STUDYID", "Study Identifier", 1),
    text("DOMAIN", "Domain Abbreviation"),
    key("USUBJID", "Unique Subject Identifier", 2),
    integer("TUSEQ", "Sequence Number", None),
    text("TUSPID", "Sponsor-Defined Identifier"),
    key("TULNKID", "Link ID", 4),
    key("TUTESTCD", "Tumor/Lesion ID Short Name", 5),
    text("TUTEST", "Tumor/Lesion ID Test Name"),
    text("TUORRES", "Tumor/Lesion ID Result"),
    text("TUSTRESC", "Tumor/Lesion ID Result Std. Format"),
    text("TULOC", "Location of the Tumor/Lesion"),
    text("TUMETHOD", "Method of Identification"),
    text("TUEVAL", "Evaluator"),
    key("TUEVALID", "Evaluator Identifier", 3),
    text("TUACPTFL", "Accepted Record Flag"),
    integer("VISITNUM", "Visit Number", None),
    text("VISIT", "Visit Name"),
    text("TUDTC", "Date/Time of Tumor/Lesion Identification"),
    integer("TUDY", "Study Day of Tumor/Lesion Identification", None),
];

/// TUORRES: the lesion's role at its first appearance.
pub fn role_result(role: Role) -> &'static str {
    match role {
        Role::Target => "TARGET",
        Role::NonTarget => "NON-TARGET",
        Role::New => "NEW",
    }
}

/// TUMETHOD from a `modality` source key (DICOM Modality), when the timeline records it.
fn method(lesion: &Lesion) -> &'static str {
    let modality = lesion
        .source
        .as_ref()
        .and_then(|s| s.get("modality"))
        .and_then(|v| v.as_str())
        .unwrap_or("");
    match modality {
        "CT" => "CT SCAN",
        "MR" => "MRI",
        "PT" => "PET SCAN",
        _ => "",
    }
}

pub fn dataset(study: &str, reads: &[Read<'_>]) -> Result<Dataset, ReportError> {
    let mut data = Dataset::new("TU", "Tumor/Lesion Identification", &COLUMNS);
    let mut seq = Sequence::default();
    for read in reads {
        for (lesion, visit) in first_appearances(read) {
            data.push(vec![
                ("STUDYID", study.into()),
                ("DOMAIN", "TU".into()),
                ("USUBJID", read.usubjid.as_str().into()),
                ("TUSEQ", seq.next(&read.usubjid).into()),
                ("TUSPID", lesion.label.clone().unwrap_or_default().into()),
                ("TULNKID", lesion.lesion_id.as_str().into()),
                ("TUTESTCD", "TUMIDENT".into()),
                ("TUTEST", "Tumor Identification".into()),
                ("TUORRES", role_result(lesion.role).into()),
                ("TUSTRESC", role_result(lesion.role).into()),
                (
                    "TULOC",
                    lesion.organ.as_deref().unwrap_or("").to_uppercase().into(),
                ),
                ("TUMETHOD", method(lesion).into()),
                ("TUEVAL", EVALUATOR.into()),
                ("TUEVALID", read.evaluator_id.as_str().into()),
                ("TUACPTFL", read.accepted_flag.into()),
                ("VISITNUM", visit.num.into()),
                ("VISIT", visit.label.as_str().into()),
                ("TUDTC", visit.date.clone().unwrap_or_default().into()),
                ("TUDY", Value::from(visit.dy)),
            ])?;
        }
    }
    Ok(data)
}

/// Each lesion of the read with the visit of its first appearance, in order of appearance.
fn first_appearances<'r, 'a>(read: &'r Read<'a>) -> Vec<(&'a Lesion, &'r Visit<'a>)> {
    let mut found: Vec<(&'a Lesion, &'r Visit<'a>)> = Vec::new();
    for visit in &read.visits {
        let Some(timepoint) = visit.timepoint else {
            continue;
        };
        for lesion in &timepoint.lesions {
            if found.iter().all(|(l, _)| l.lesion_id != lesion.lesion_id) {
                found.push((lesion, visit));
            }
        }
    }
    found
}
