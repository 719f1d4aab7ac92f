//! What the three domains share: the study identifier, each read (one subject by one
//! reader) with its USUBJID and evaluator, its visits (VISITNUM, VISIT, --DTC, --DY), and
//! the per-subject --SEQ counters.

use std::collections::HashMap;

use oncoread_criteria::assessment::{Assessment, SubjectAssessment};
use oncoread_criteria::timeline::{Source, Subject, Timeline, Timepoint};

use crate::subjects::{timepoint_day, timepoint_label, TimelineIndex};

/// STUDYID when neither the timeline nor the caller names the study: a placeholder a
/// sponsor replaces with the protocol identifier.
pub const DEFAULT_STUDY_ID: &str = "ONCOREAD";

/// Source keys that name the study (DICOM Clinical Trial Protocol ID, 0012,0020), looked
/// up in each timepoint's and lesion's `source`, first found wins.
const STUDY_KEYS: [&str; 2] = ["clinical_trial_protocol_id", "study_id"];

/// --EVAL of every row: the reads are blinded independent central reads.
pub const EVALUATOR: &str = "INDEPENDENT ASSESSOR";

/// STUDYID: the first protocol identifier found in the timeline's sources, else
/// [`DEFAULT_STUDY_ID`].
pub fn study_id(timeline: &Timeline) -> String {
    let from_source = |source: &Option<Source>| {
        source.as_ref().and_then(|s| {
            STUDY_KEYS
                .iter()
                .find_map(|key| s.get(*key).and_then(|v| v.as_str()))
                .filter(|v| !v.trim().is_empty())
                .map(|v| v.trim().to_string())
        })
    };
    timeline
        .subjects
        .iter()
        .flat_map(|s| &s.timepoints)
        .find_map(|tp| {
            from_source(&tp.source)
                .or_else(|| tp.lesions.iter().find_map(|l| from_source(&l.source)))
        })
        .unwrap_or_else(|| DEFAULT_STUDY_ID.to_string())
}

/// SDTM study day of a day counted from the baseline scan (baseline = day 0): SDTM has
/// no day 0, so days on or after baseline shift by one (baseline is study day 1) and days
/// before it stay as they are (the day before baseline is -1). The reference start
/// (RFSTDTC) is therefore the baseline scan date; DM is not written by oncoread.
pub fn study_day(day_from_baseline: i64) -> i64 {
    if day_from_baseline >= 0 {
        day_from_baseline + 1
    } else {
        day_from_baseline
    }
}

/// One visit of a read.
pub struct Visit<'a> {
    /// 1-based, in the timeline's timepoint order.
    pub num: i64,
    /// The timepoint label (`BL`, `W8`, ... or `TP<n>`).
    pub label: String,
    pub date: Option<String>,
    /// Study day (see [`study_day`]).
    pub dy: Option<i64>,
    /// The timeline's timepoint, when the read has one.
    pub timepoint: Option<&'a Timepoint>,
}

/// One subject read by one reader.
pub struct Read<'a> {
    pub assessed: &'a SubjectAssessment,
    pub usubjid: String,
    /// --EVALID: the reader's name as the timeline gives it (empty without a reader).
    pub evaluator_id: String,
    /// --ACPTFL: `Y` for the accepted read of a double-read subject, `N` for its other
    /// reads, empty for a single read or while adjudication is pending.
    pub accepted_flag: &'static str,
    pub visits: Vec<Visit<'a>>,
}

impl<'a> Read<'a> {
    /// The visit of an assessment row's timepoint label.
    pub fn visit(&self, label: &str) -> Option<&Visit<'a>> {
        self.visits.iter().find(|v| v.label == label)
    }
}

/// Every read of the assessment, in its order, joined with the timeline.
pub fn reads<'a>(assessment: &'a Assessment, timeline: &'a Timeline, study: &str) -> Vec<Read<'a>> {
    let index = TimelineIndex::new(Some(timeline));
    assessment
        .subjects
        .iter()
        .map(|assessed| {
            let subject = index.subject(assessed);
            Read {
                assessed,
                usubjid: format!("{study}-{}", assessed.subject_id),
                evaluator_id: assessed.reader.clone().unwrap_or_default(),
                accepted_flag: match assessed.accepted {
                    Some(true) => "Y",
                    Some(false) => "N",
                    None => "",
                },
                visits: visits(assessed, subject),
            }
        })
        .collect()
}

/// The timeline's timepoints in order, then any timepoint only the assessment names.
fn visits<'a>(assessed: &SubjectAssessment, subject: Option<&'a Subject>) -> Vec<Visit<'a>> {
    let mut visits: Vec<Visit<'a>> = Vec::new();
    for (position, timepoint) in subject
        .map(|s| s.timepoints.as_slice())
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let label = timepoint_label(timepoint, position);
        let day = timepoint_day(timepoint, &label, assessed);
        let date = timepoint.date.clone().or_else(|| {
            assessed
                .assessments
                .iter()
                .flat_map(|a| &a.timepoints)
                .find(|row| row.timepoint_id == label)
                .and_then(|row| row.date.clone())
        });
        visits.push(Visit {
            num: visits.len() as i64 + 1,
            label,
            date,
            dy: day.map(study_day),
            timepoint: Some(timepoint),
        });
    }
    for row in assessed.assessments.iter().flat_map(|a| &a.timepoints) {
        if visits.iter().all(|v| v.label != row.timepoint_id) {
            visits.push(Visit {
                num: visits.len() as i64 + 1,
                label: row.timepoint_id.clone(),
                date: row.date.clone(),
                dy: Some(study_day(row.day)),
                timepoint: None,
            });
        }
    }
    visits
}

/// --SEQ: 1, 2, ... per USUBJID within one domain (both reads of a subject share it).
#[derive(Default)]
pub struct Sequence {
    next: HashMap<String, i64>,
}

impl Sequence {
    pub fn next(&mut self, usubjid: &str) -> i64 {
        let counter = self.next.entry(usubjid.to_string()).or_insert(0);
        *counter += 1;
        *counter
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sdtm_has_no_day_zero() {
        assert_eq!(study_day(0), 1);
        assert_eq!(study_day(55), 56);
        assert_eq!(study_day(-1), -1);
        assert_eq!(study_day(-7), -7);
    }

    #[test]
    fn the_study_comes_from_a_source_or_the_placeholder() {
        let mut timeline = Timeline {
            schema: "oncoread.timeline/1".into(),
            subjects: vec![Subject {
                subject_id: "001".into(),
                reader: None,
                context: None,
                timepoints: vec![Timepoint::default()],
            }],
            problems: Vec::new(),
        };
        assert_eq!(study_id(&timeline), "ONCOREAD");
        let mut source = Source::new();
        source.insert("clinical_trial_protocol_id".into(), " ONC-42 ".into());
        timeline.subjects[0].timepoints[0].source = Some(source);
        assert_eq!(study_id(&timeline), "ONC-42");
    }

    #[test]
    fn sequence_counts_per_subject() {
        let mut seq = Sequence::default();
        assert_eq!(seq.next("S-1"), 1);
        assert_eq!(seq.next("S-2"), 1);
        assert_eq!(seq.next("S-1"), 2);
    }
}
