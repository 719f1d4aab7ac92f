//! One TID 1500 Imaging Measurement Report per reader and visit (Enhanced SR), shaped as
//! the SR reader expects (shared/spec/sr.md §3):
//!
//! - observer context: a person (the reader's name);
//! - one Measurement Group per lesion with Tracking Identifier ("T1", "NT1", "N1") and a
//!   Tracking Unique Identifier stable across visits, the Time Point, Finding Category,
//!   Finding, Finding Site, Measurement Method (RECIST 1.1) and the CID 6145 status
//!   (target / non-target lesion at baseline; none for new lesions) written as a second
//!   Finding, as the highdicom-generated fixtures do;
//! - measured lesions (TID 1501): NUM Long axis and Short axis in mm, each INFERRED FROM a
//!   2-point SCOORD POLYLINE on the slice through the lesion centre, SELECTED FROM that
//!   image; the line is exactly as long as the recorded value;
//! - non-targets recorded as present without a size (TID 1410): an Image Region SCOORD
//!   POINT at the lesion centre.

use oncoread_criteria::timeline::Role;
use oncoread_dicom::write::{DataSetWriter, Vr, WriteError};

use crate::ct::CT_IMAGE_STORAGE;
use crate::dates::dicom_date;
use crate::modules;
use crate::plan::{LesionPlan, ReaderPlan, Reading, SubjectPlan, TrialPlan, VisitPlan};
use crate::tags::*;
use crate::uid::Uids;

pub const ENHANCED_SR_STORAGE: &str = "1.2.840.10008.5.1.4.1.1.88.22";

/// (code value, coding scheme designator, code meaning).
type Code<'a> = (&'a str, &'a str, &'a str);

const REPORT_TITLE: Code = ("126000", "DCM", "Imaging Measurement Report");
const LANGUAGE: Code = ("121049", "DCM", "Language of Content Item and Descendants");
const ENGLISH_US: Code = ("en-US", "RFC5646", "English (United States)");
const OBSERVER_TYPE: Code = ("121005", "DCM", "Observer Type");
const PERSON: Code = ("121006", "DCM", "Person");
const PERSON_OBSERVER_NAME: Code = ("121008", "DCM", "Person Observer Name");
const PROCEDURE_REPORTED: Code = ("121058", "DCM", "Procedure reported");
const CT_PROCEDURE: Code = ("25045-6", "LN", "CT unspecified body region");
const IMAGE_LIBRARY: Code = ("111028", "DCM", "Image Library");
const IMAGE_LIBRARY_GROUP: Code = ("126200", "DCM", "Image Library Group");
const IMAGING_MEASUREMENTS: Code = ("126010", "DCM", "Imaging Measurements");
const MEASUREMENT_GROUP: Code = ("125007", "DCM", "Measurement Group");
const TRACKING_IDENTIFIER: Code = ("112039", "DCM", "Tracking Identifier");
const TRACKING_UID: Code = ("112040", "DCM", "Tracking Unique Identifier");
const TIME_POINT: Code = ("C2348792", "UMLS", "Time Point");
const FINDING_CATEGORY: Code = ("276214006", "SCT", "Finding category");
const ABNORMAL_STRUCTURE: Code = ("49755003", "SCT", "Morphologically abnormal structure");
const FINDING: Code = ("121071", "DCM", "Finding");
const NEOPLASM: Code = ("108369006", "SCT", "Neoplasm");
const FINDING_SITE: Code = ("363698007", "SCT", "Finding Site");
const MEASUREMENT_METHOD: Code = ("370129005", "SCT", "Measurement Method");
const RECIST_1_1: Code = ("126081", "DCM", "RECIST 1.1");
const LONG_AXIS: Code = ("103339001", "SCT", "Long axis");
const SHORT_AXIS: Code = ("103340004", "SCT", "Short axis");
const MILLIMETRE: Code = ("mm", "UCUM", "millimeter");
const IMAGE_REGION: Code = ("111030", "DCM", "Image Region");
const TARGET_AT_BASELINE: Code = ("112074", "DCM", "Target Lesion at Baseline");
const NON_TARGET_AT_BASELINE: Code = ("112075", "DCM", "Non-Target Lesion at Baseline");

/// Everything one report needs.
pub struct Report<'a> {
    pub trial: &'a TrialPlan,
    pub subject: &'a SubjectPlan,
    pub visit: &'a VisitPlan,
    pub reader: &'a ReaderPlan,
    pub reader_number: usize,
    pub uids: Uids,
    pub sop_instance_uid: String,
}

/// A lesion as recorded in this report.
struct Recorded<'a> {
    lesion: &'a LesionPlan,
    reading: Reading,
    tracking_uid: String,
    image_uid: String,
}

impl Report<'_> {
    fn recorded(&self) -> Vec<Recorded<'_>> {
        let subject = &self.subject.subject_id;
        let tp = &self.visit.timepoint_id;
        self.subject
            .lesions
            .iter()
            .zip(&self.reader.readings)
            .filter_map(|(lesion, readings)| {
                let reading = readings.get(self.visit.schedule_index).copied().flatten()?;
                Some(Recorded {
                    lesion,
                    reading,
                    tracking_uid: self.uids.tracking(subject, self.reader.slot, &lesion.label),
                    image_uid: self.uids.ct_instance(subject, tp, lesion.slice),
                })
            })
            .collect()
    }
}

fn code_sequence(w: &mut DataSetWriter, tag: u32, code: Code) -> Result<(), WriteError> {
    w.begin_sequence(tag)?;
    w.begin_item()?;
    w.text(CODE_VALUE, Vr::SH, code.0)?;
    w.text(CODING_SCHEME_DESIGNATOR, Vr::SH, code.1)?;
    w.text(CODE_MEANING, Vr::LO, code.2)?;
    w.end_item()?;
    w.end_sequence()
}

/// Relationship, value type and (optional) concept name: the start of every content item.
fn item_head(
    w: &mut DataSetWriter,
    relationship: &str,
    value_type: &str,
    concept: Option<Code>,
) -> Result<(), WriteError> {
    w.text(RELATIONSHIP_TYPE, Vr::CS, relationship)?;
    w.text(VALUE_TYPE, Vr::CS, value_type)?;
    match concept {
        Some(c) => code_sequence(w, CONCEPT_NAME_CODE_SEQUENCE, c),
        None => Ok(()),
    }
}

fn text_item(
    w: &mut DataSetWriter,
    rel: &str,
    concept: Code,
    text: &str,
) -> Result<(), WriteError> {
    w.begin_item()?;
    item_head(w, rel, "TEXT", Some(concept))?;
    w.text(TEXT_VALUE, Vr::UT, text)?;
    w.end_item()
}

fn uid_item(w: &mut DataSetWriter, rel: &str, concept: Code, uid: &str) -> Result<(), WriteError> {
    w.begin_item()?;
    item_head(w, rel, "UIDREF", Some(concept))?;
    w.text(UID, Vr::UI, uid)?;
    w.end_item()
}

fn code_item(
    w: &mut DataSetWriter,
    rel: &str,
    concept: Code,
    value: Code,
) -> Result<(), WriteError> {
    w.begin_item()?;
    item_head(w, rel, "CODE", Some(concept))?;
    code_sequence(w, CONCEPT_CODE_SEQUENCE, value)?;
    w.end_item()
}

fn pname_item(
    w: &mut DataSetWriter,
    rel: &str,
    concept: Code,
    name: &str,
) -> Result<(), WriteError> {
    w.begin_item()?;
    item_head(w, rel, "PNAME", Some(concept))?;
    w.text(PERSON_NAME, Vr::PN, name)?;
    w.end_item()
}

/// An IMAGE item referencing one CT slice.
fn image_item(w: &mut DataSetWriter, rel: &str, image_uid: &str) -> Result<(), WriteError> {
    w.begin_item()?;
    w.begin_sequence(REFERENCED_SOP_SEQUENCE)?;
    w.begin_item()?;
    w.text(REFERENCED_SOP_CLASS_UID, Vr::UI, CT_IMAGE_STORAGE)?;
    w.text(REFERENCED_SOP_INSTANCE_UID, Vr::UI, image_uid)?;
    w.end_item()?;
    w.end_sequence()?;
    item_head(w, rel, "IMAGE", None)?;
    w.end_item()
}

/// A SCOORD with its SELECTED FROM IMAGE child.
fn scoord_item(
    w: &mut DataSetWriter,
    rel: &str,
    concept: Option<Code>,
    graphic_type: &str,
    data: &[f32],
    image_uid: &str,
) -> Result<(), WriteError> {
    w.begin_item()?;
    item_head(w, rel, "SCOORD", concept)?;
    w.begin_sequence(CONTENT_SEQUENCE)?;
    image_item(w, "SELECTED FROM", image_uid)?;
    w.end_sequence()?;
    w.fl_values(GRAPHIC_DATA, data)?;
    w.text(GRAPHIC_TYPE, Vr::CS, graphic_type)?;
    w.end_item()
}

/// A NUM in mm, inferred from its measured line.
fn length_item(
    w: &mut DataSetWriter,
    concept: Code,
    mm: f64,
    line: &[f32; 4],
    image_uid: &str,
) -> Result<(), WriteError> {
    w.begin_item()?;
    item_head(w, "CONTAINS", "NUM", Some(concept))?;
    w.begin_sequence(MEASURED_VALUE_SEQUENCE)?;
    w.begin_item()?;
    code_sequence(w, MEASUREMENT_UNITS_CODE_SEQUENCE, MILLIMETRE)?;
    w.fd(FLOATING_POINT_VALUE, mm)?;
    w.decimals(NUMERIC_VALUE, &[mm])?;
    w.end_item()?;
    w.end_sequence()?;
    w.begin_sequence(CONTENT_SEQUENCE)?;
    scoord_item(w, "INFERRED FROM", None, "POLYLINE", line, image_uid)?;
    w.end_sequence()?;
    w.end_item()
}

fn template(w: &mut DataSetWriter, id: &str) -> Result<(), WriteError> {
    w.begin_sequence(CONTENT_TEMPLATE_SEQUENCE)?;
    w.begin_item()?;
    w.text(MAPPING_RESOURCE, Vr::CS, "DCMR")?;
    w.text(TEMPLATE_IDENTIFIER, Vr::CS, id)?;
    w.end_item()?;
    w.end_sequence()
}

/// The 2-point line of length `mm` through the lesion centre, at `angle` from the row
/// direction, in image pixel coordinates (column, row).
pub fn measured_line(centre: (f64, f64), angle: f64, mm: f64, spacing: f64) -> [f32; 4] {
    let half = mm / 2.0 / spacing;
    let (dc, dr) = (half * angle.cos(), half * angle.sin());
    [
        (centre.0 - dc) as f32,
        (centre.1 - dr) as f32,
        (centre.0 + dc) as f32,
        (centre.1 + dr) as f32,
    ]
}

fn measurement_group(
    w: &mut DataSetWriter,
    report: &Report<'_>,
    recorded: &Recorded<'_>,
) -> Result<(), WriteError> {
    let lesion = recorded.lesion;
    let measured = recorded.reading.long_mm.is_some() || recorded.reading.short_mm.is_some();
    w.begin_item()?;
    item_head(w, "CONTAINS", "CONTAINER", Some(MEASUREMENT_GROUP))?;
    w.text(CONTINUITY_OF_CONTENT, Vr::CS, "SEPARATE")?;
    template(w, if measured { "1501" } else { "1410" })?;
    w.begin_sequence(CONTENT_SEQUENCE)?;
    text_item(w, "HAS OBS CONTEXT", TRACKING_IDENTIFIER, &lesion.label)?;
    uid_item(w, "HAS OBS CONTEXT", TRACKING_UID, &recorded.tracking_uid)?;
    text_item(w, "HAS OBS CONTEXT", TIME_POINT, &report.visit.timepoint_id)?;
    code_item(w, "CONTAINS", FINDING_CATEGORY, ABNORMAL_STRUCTURE)?;
    code_item(w, "CONTAINS", FINDING, NEOPLASM)?;
    let (site_value, site_meaning) = lesion.site.code();
    code_item(
        w,
        "HAS CONCEPT MOD",
        FINDING_SITE,
        (site_value, "SCT", site_meaning),
    )?;
    code_item(w, "HAS CONCEPT MOD", MEASUREMENT_METHOD, RECIST_1_1)?;
    let spacing = report.trial.pixel_spacing();
    if measured {
        let perpendicular = lesion.angle + std::f64::consts::FRAC_PI_2;
        if let Some(long) = recorded.reading.long_mm {
            let line = measured_line(lesion.centre_px, lesion.angle, long, spacing);
            length_item(w, LONG_AXIS, long, &line, &recorded.image_uid)?;
        }
        if let Some(short) = recorded.reading.short_mm {
            let line = measured_line(lesion.centre_px, perpendicular, short, spacing);
            length_item(w, SHORT_AXIS, short, &line, &recorded.image_uid)?;
        }
    } else {
        let point = [lesion.centre_px.0 as f32, lesion.centre_px.1 as f32];
        scoord_item(
            w,
            "CONTAINS",
            Some(IMAGE_REGION),
            "POINT",
            &point,
            &recorded.image_uid,
        )?;
    }
    match lesion.role {
        Role::Target => code_item(w, "CONTAINS", FINDING, TARGET_AT_BASELINE)?,
        Role::NonTarget => code_item(w, "CONTAINS", FINDING, NON_TARGET_AT_BASELINE)?,
        Role::New => {}
    }
    w.end_sequence()?;
    w.end_item()
}

/// Encodes the report data set into `w` (cleared first).
pub fn encode_report(w: &mut DataSetWriter, report: &Report<'_>) -> Result<(), WriteError> {
    let trial = report.trial;
    let subject = report.subject;
    let visit = report.visit;
    let subject_id = &subject.subject_id;
    let tp = &visit.timepoint_id;
    let recorded = report.recorded();
    // The read happens two days after the scan.
    let read_date = dicom_date(visit.day + 2);
    let read_time = "160000";
    let study_uid = report.uids.study(subject_id, tp);
    let ct_series_uid = report.uids.ct_series(subject_id, tp);
    let mut images: Vec<&str> = recorded.iter().map(|r| r.image_uid.as_str()).collect();
    images.sort_unstable();
    images.dedup();

    w.clear();
    w.text(SPECIFIC_CHARACTER_SET, Vr::CS, "ISO_IR 192")?;
    w.text(INSTANCE_CREATION_DATE, Vr::DA, &read_date)?;
    w.text(INSTANCE_CREATION_TIME, Vr::TM, read_time)?;
    w.text(SOP_CLASS_UID, Vr::UI, ENHANCED_SR_STORAGE)?;
    w.text(SOP_INSTANCE_UID, Vr::UI, &report.sop_instance_uid)?;
    w.text(STUDY_DATE, Vr::DA, &modules::study_date(visit))?;
    w.text(CONTENT_DATE, Vr::DA, &read_date)?;
    w.text(STUDY_TIME, Vr::TM, &visit.time)?;
    w.text(CONTENT_TIME, Vr::TM, read_time)?;
    w.text(
        ACCESSION_NUMBER,
        Vr::SH,
        &modules::accession(subject, visit),
    )?;
    w.text(MODALITY, Vr::CS, "SR")?;
    w.text(MANUFACTURER, Vr::LO, "Oncoread Synthetic Core Lab")?;
    w.empty(REFERRING_PHYSICIAN_NAME, Vr::PN)?;
    w.text(STUDY_DESCRIPTION, Vr::LO, "CT chest abdomen pelvis")?;
    w.text(SERIES_DESCRIPTION, Vr::LO, "RECIST 1.1 measurements")?;
    w.empty(REFERENCED_PERFORMED_PROCEDURE_STEP_SEQUENCE, Vr::SQ)?;
    modules::patient(w, subject)?;
    modules::clinical_trial(w, trial, subject, visit)?;
    w.text(STUDY_INSTANCE_UID, Vr::UI, &study_uid)?;
    w.text(
        SERIES_INSTANCE_UID,
        Vr::UI,
        &report.uids.sr_series(subject_id, tp, report.reader.slot),
    )?;
    w.text(STUDY_ID, Vr::SH, tp)?;
    w.integer_string(SERIES_NUMBER, 100 + report.reader_number as i64)?;
    w.integer_string(INSTANCE_NUMBER, 1)?;
    w.text(VALUE_TYPE, Vr::CS, "CONTAINER")?;
    code_sequence(w, CONCEPT_NAME_CODE_SEQUENCE, REPORT_TITLE)?;
    w.text(CONTINUITY_OF_CONTENT, Vr::CS, "SEPARATE")?;
    // Signed off by the reader (VERIFIED requires the Verifying Observer Sequence).
    w.begin_sequence(VERIFYING_OBSERVER_SEQUENCE)?;
    w.begin_item()?;
    w.text(
        VERIFYING_ORGANIZATION,
        Vr::LO,
        "Oncoread Synthetic Core Lab",
    )?;
    w.text(
        VERIFICATION_DATE_TIME,
        Vr::DT,
        &format!("{read_date}{read_time}"),
    )?;
    w.text(VERIFYING_OBSERVER_NAME, Vr::PN, report.reader.name)?;
    w.empty(VERIFYING_OBSERVER_IDENTIFICATION_CODE_SEQUENCE, Vr::SQ)?;
    w.end_item()?;
    w.end_sequence()?;
    w.empty(PERFORMED_PROCEDURE_CODE_SEQUENCE, Vr::SQ)?;
    // Evidence: the CT slices the measurements are on.
    w.begin_sequence(CURRENT_REQUESTED_PROCEDURE_EVIDENCE_SEQUENCE)?;
    w.begin_item()?;
    w.begin_sequence(REFERENCED_SERIES_SEQUENCE)?;
    w.begin_item()?;
    w.begin_sequence(REFERENCED_SOP_SEQUENCE)?;
    for uid in &images {
        w.begin_item()?;
        w.text(REFERENCED_SOP_CLASS_UID, Vr::UI, CT_IMAGE_STORAGE)?;
        w.text(REFERENCED_SOP_INSTANCE_UID, Vr::UI, uid)?;
        w.end_item()?;
    }
    w.end_sequence()?;
    w.text(SERIES_INSTANCE_UID, Vr::UI, &ct_series_uid)?;
    w.end_item()?;
    w.end_sequence()?;
    w.text(STUDY_INSTANCE_UID, Vr::UI, &study_uid)?;
    w.end_item()?;
    w.end_sequence()?;
    w.text(COMPLETION_FLAG, Vr::CS, "COMPLETE")?;
    w.text(VERIFICATION_FLAG, Vr::CS, "VERIFIED")?;
    template(w, "1500")?;

    w.begin_sequence(CONTENT_SEQUENCE)?;
    code_item(w, "HAS CONCEPT MOD", LANGUAGE, ENGLISH_US)?;
    code_item(w, "HAS OBS CONTEXT", OBSERVER_TYPE, PERSON)?;
    pname_item(
        w,
        "HAS OBS CONTEXT",
        PERSON_OBSERVER_NAME,
        report.reader.name,
    )?;
    code_item(w, "HAS CONCEPT MOD", PROCEDURE_REPORTED, CT_PROCEDURE)?;
    // Image Library (TID 1600): the measured slices.
    w.begin_item()?;
    item_head(w, "CONTAINS", "CONTAINER", Some(IMAGE_LIBRARY))?;
    w.text(CONTINUITY_OF_CONTENT, Vr::CS, "SEPARATE")?;
    w.begin_sequence(CONTENT_SEQUENCE)?;
    w.begin_item()?;
    item_head(w, "CONTAINS", "CONTAINER", Some(IMAGE_LIBRARY_GROUP))?;
    w.text(CONTINUITY_OF_CONTENT, Vr::CS, "SEPARATE")?;
    w.begin_sequence(CONTENT_SEQUENCE)?;
    for uid in &images {
        image_item(w, "CONTAINS", uid)?;
    }
    w.end_sequence()?;
    w.end_item()?;
    w.end_sequence()?;
    w.end_item()?;
    // Imaging Measurements: one group per lesion.
    w.begin_item()?;
    item_head(w, "CONTAINS", "CONTAINER", Some(IMAGING_MEASUREMENTS))?;
    w.text(CONTINUITY_OF_CONTENT, Vr::CS, "SEPARATE")?;
    w.begin_sequence(CONTENT_SEQUENCE)?;
    for r in &recorded {
        measurement_group(w, report, r)?;
    }
    w.end_sequence()?;
    w.end_item()?;
    w.end_sequence()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_measured_line_is_as_long_as_the_value() {
        // 30 mm at 45° with 2.8125 mm pixels: ±(15/2.8125)·(√2/2) = ±3.7712 px per axis.
        let line = measured_line((50.0, 60.0), std::f64::consts::FRAC_PI_4, 30.0, 2.8125);
        let expected = [46.2288, 56.2288, 53.7712, 63.7712];
        for (got, want) in line.iter().zip(expected) {
            assert!((f64::from(*got) - want).abs() < 1e-3, "{line:?}");
        }
    }
}
