//! The timeline a synthetic trial encodes (`oncoread.timeline/1`), as `oncoread extract`
//! should read it back from the archive.
//!
//! Per subject and reader: the visits that were scanned (a missed visit has no files and
//! no timepoint), each with the lesions that reader recorded: lesion id = the Tracking
//! Unique Identifier, label = the Tracking Identifier, role, organ (the finding site's
//! meaning in lower case), nodal flag, the recorded long / short axes, and status
//! `present` for a non-target recorded without a size. `source` carries what the SRs cannot
//! say: the subject's trajectory (on each timepoint) and, on a lesion, the status the
//! criteria should see (e.g. unequivocal progression of a measured non-target).

use oncoread_criteria::timeline::Timeline;
use oncoread_criteria::timeline::{
    Lesion, LesionStatus, Role, Source, Subject, Timepoint, TIMELINE_SCHEMA,
};
use serde_json::Value;

use crate::dates::iso_date;
use crate::plan::SubjectPlan;
use crate::uid::Uids;

/// The truth of one subject: one entry per reader.
pub fn subject_truth(subject: &SubjectPlan, uids: Uids) -> Vec<Subject> {
    subject
        .readers
        .iter()
        .map(|reader| {
            let timepoints = subject
                .visits
                .iter()
                .zip(&subject.done)
                .filter(|(_, done)| **done)
                .map(|(visit, _)| {
                    let v = visit.schedule_index;
                    let mut lesions: Vec<Lesion> = subject
                        .lesions
                        .iter()
                        .zip(&reader.readings)
                        .filter_map(|(lesion, readings)| {
                            let reading = readings.get(v).copied().flatten()?;
                            let (code_meaning, nodal) =
                                (lesion.site.code().1, lesion.site.is_nodal());
                            let unmeasured =
                                reading.long_mm.is_none() && reading.short_mm.is_none();
                            let mut source = Source::new();
                            if let Some(intent) = lesion.intent.get(v).copied().flatten() {
                                source.insert("synth_intended_status".into(), Value::from(intent));
                            }
                            Some(Lesion {
                                lesion_id: uids.tracking(
                                    &subject.subject_id,
                                    reader.slot,
                                    &lesion.label,
                                ),
                                label: Some(lesion.label.clone()),
                                role: lesion.role,
                                organ: Some(code_meaning.to_ascii_lowercase()),
                                nodal,
                                long_axis_mm: reading.long_mm,
                                short_axis_mm: reading.short_mm,
                                status: (unmeasured && lesion.role == Role::NonTarget)
                                    .then_some(LesionStatus::Present),
                                source: (!source.is_empty()).then_some(source),
                                ..Lesion::default()
                            })
                        })
                        .collect();
                    lesions.sort_by(|a, b| a.lesion_id.cmp(&b.lesion_id));
                    let mut source = Source::new();
                    source.insert(
                        "synth_trajectory".into(),
                        Value::from(subject.trajectory.as_str()),
                    );
                    Timepoint {
                        timepoint_id: Some(visit.timepoint_id.clone()),
                        date: Some(iso_date(visit.day)),
                        lesions,
                        source: Some(source),
                        ..Timepoint::default()
                    }
                })
                .collect();
            Subject {
                subject_id: subject.subject_id.clone(),
                reader: Some(reader.name.to_string()),
                context: None,
                timepoints,
            }
        })
        .collect()
}

/// The whole document, subjects ordered by (subject id, reader) as extraction orders them.
pub fn timeline(mut subjects: Vec<Subject>) -> Timeline {
    subjects.sort_by(|a, b| (&a.subject_id, &a.reader).cmp(&(&b.subject_id, &b.reader)));
    Timeline {
        schema: TIMELINE_SCHEMA.to_string(),
        subjects,
        problems: Vec::new(),
    }
}
