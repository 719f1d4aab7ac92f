//! Attribute groups shared by the CT images and the SRs (Patient, Clinical Trial Subject
//! and Series, General Study identity). Each writes one DICOM group in ascending tag order,
//! so callers interleave them with their own groups.

use oncoread_dicom::write::{DataSetWriter, Vr, WriteError};

use crate::dates::dicom_date;
use crate::plan::{SubjectPlan, TrialPlan, VisitPlan, PROTOCOL_NAME, SPONSOR};
use crate::tags::*;

/// Group 0010: Patient module.
pub fn patient(w: &mut DataSetWriter, subject: &SubjectPlan) -> Result<(), WriteError> {
    w.text(
        PATIENT_NAME,
        Vr::PN,
        &format!("SYNTH^{}", subject.subject_id),
    )?;
    w.text(PATIENT_ID, Vr::LO, &subject.subject_id)?;
    w.text(PATIENT_BIRTH_DATE, Vr::DA, &subject.birth_date)?;
    w.text(PATIENT_SEX, Vr::CS, subject.sex)
}

/// Group 0012: Clinical Trial Subject and Clinical Trial Study modules.
pub fn clinical_trial(
    w: &mut DataSetWriter,
    trial: &TrialPlan,
    subject: &SubjectPlan,
    visit: &VisitPlan,
) -> Result<(), WriteError> {
    w.text(CLINICAL_TRIAL_SPONSOR_NAME, Vr::LO, SPONSOR)?;
    w.text(CLINICAL_TRIAL_PROTOCOL_ID, Vr::LO, &trial.protocol_id())?;
    w.text(CLINICAL_TRIAL_PROTOCOL_NAME, Vr::LO, PROTOCOL_NAME)?;
    w.text(CLINICAL_TRIAL_SITE_ID, Vr::LO, &subject.site_id)?;
    w.text(
        CLINICAL_TRIAL_SITE_NAME,
        Vr::LO,
        &format!("Synthetic site {}", subject.site_id),
    )?;
    w.text(CLINICAL_TRIAL_SUBJECT_ID, Vr::LO, &subject.subject_id)?;
    w.text(CLINICAL_TRIAL_TIME_POINT_ID, Vr::LO, &visit.timepoint_id)?;
    w.text(
        CLINICAL_TRIAL_TIME_POINT_DESCRIPTION,
        Vr::ST,
        &visit.description,
    )
}

/// Accession number of a visit's study (Type 2; a short stable code).
pub fn accession(subject: &SubjectPlan, visit: &VisitPlan) -> String {
    format!("A{:05}{:02}", subject.index + 1, visit.schedule_index)
}

pub fn study_date(visit: &VisitPlan) -> String {
    dicom_date(visit.day)
}
