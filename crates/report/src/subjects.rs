//! Joining the assessment with the timeline it came from: each assessed subject's lesion
//! observations, each timeline timepoint's label and day, and every problem to list.

use std::collections::HashMap;

use oncoread_criteria::assessment::{Assessment, SubjectAssessment};
use oncoread_criteria::timeline::{Problem, Subject, Timeline, Timepoint};

use crate::ReportOptions;

/// The timeline's subjects by (subject, reader), the key the assessment also uses.
pub struct TimelineIndex<'a> {
    subjects: HashMap<(&'a str, Option<&'a str>), &'a Subject>,
}

impl<'a> TimelineIndex<'a> {
    pub fn new(timeline: Option<&'a Timeline>) -> Self {
        let subjects = timeline
            .map(|t| t.subjects.as_slice())
            .unwrap_or_default()
            .iter()
            .map(|s| ((s.subject_id.as_str(), s.reader.as_deref()), s))
            .collect();
        TimelineIndex { subjects }
    }

    pub fn subject(&self, assessed: &SubjectAssessment) -> Option<&'a Subject> {
        self.subjects
            .get(&(assessed.subject_id.as_str(), assessed.reader.as_deref()))
            .copied()
    }
}

/// The timepoint's name as the assessment rows spell it: its id, else `TP<n>` (1-based
/// position in the timeline), the engine's own fallback.
pub fn timepoint_label(timepoint: &Timepoint, index: usize) -> String {
    timepoint
        .timepoint_id
        .clone()
        .unwrap_or_else(|| format!("TP{}", index + 1))
}

/// The timepoint's day since baseline: its own `day`, else the day the assessment gave
/// the row of the same label (the engine derives days from dates). `None` when neither
/// says (a timepoint after every criterion stopped scoring, given only by date).
pub fn timepoint_day(
    timepoint: &Timepoint,
    label: &str,
    assessed: &SubjectAssessment,
) -> Option<i64> {
    timepoint.day.or_else(|| {
        assessed
            .assessments
            .iter()
            .flat_map(|a| &a.timepoints)
            .find(|row| row.timepoint_id == label)
            .map(|row| row.day)
    })
}

/// A problem with where it was recorded: `run` (the caller's), `timeline`, or the subject.
pub struct ListedProblem<'a> {
    pub origin: &'static str,
    pub subject_id: Option<&'a str>,
    pub reader: Option<&'a str>,
    pub problem: &'a Problem,
}

/// Every problem to show, in a fixed order: the caller's, the timeline's, then each
/// subject's in assessment order.
pub fn all_problems<'a>(
    assessment: &'a Assessment,
    timeline: Option<&'a Timeline>,
    options: &'a ReportOptions,
) -> Vec<ListedProblem<'a>> {
    let unattached = |origin, problem| ListedProblem {
        origin,
        subject_id: None,
        reader: None,
        problem,
    };
    let mut listed: Vec<ListedProblem<'a>> = options
        .problems
        .iter()
        .map(|p| unattached("run", p))
        .collect();
    if let Some(timeline) = timeline {
        listed.extend(timeline.problems.iter().map(|p| unattached("timeline", p)));
    }
    // What the reader review could not compare (a third read, a criterion missing).
    if let Some(readers) = &options.readers {
        listed.extend(readers.problems.iter().map(|p| unattached("readers", p)));
    }
    for subject in &assessment.subjects {
        listed.extend(subject.problems.iter().map(|problem| ListedProblem {
            origin: "assessment",
            subject_id: Some(&subject.subject_id),
            reader: subject.reader.as_deref(),
            problem,
        }));
    }
    listed
}
