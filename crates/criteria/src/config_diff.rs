//! Two criteria configurations (a protocol and its amendment) compared on one trial:
//! every subject read whose timepoint response, best overall response or progression
//! changes, and which differing key makes the difference.
//!
//! A key is named for a change when setting that key alone (the first configuration with
//! only that key taken from the second) gives the same change; when no single key does,
//! the change comes from the keys together and says so.

use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

use crate::assessment::{Assessment, Criterion, CriterionAssessment, Progression};
use crate::{assess_timeline, Config, InputError, Timeline};

/// A key whose effective value differs between the two configurations.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeyDifference {
    pub key: String,
    pub first: Value,
    pub second: Value,
}

/// One change of one subject read under one criterion.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Change {
    pub subject_id: String,
    pub reader: Option<String>,
    pub criterion: Criterion,
    /// `timepoint`, `best_overall_response`, `confirmed_best_overall_response` or
    /// `progression`.
    pub what: &'static str,
    /// The timepoint of a `timepoint` change.
    pub timepoint_id: Option<String>,
    pub first: String,
    pub second: String,
    /// The differing keys that make this change on their own (empty: only together).
    pub keys: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConfigDiff {
    pub keys: Vec<KeyDifference>,
    pub changes: Vec<Change>,
}

/// Every effective key whose value differs, in key order.
pub fn differing_keys(first: &Config, second: &Config) -> Vec<KeyDifference> {
    let a = first.effective();
    let b = second.effective();
    a.iter()
        .filter_map(|(key, value)| {
            let other = b.get(key).cloned().unwrap_or(Value::Null);
            (other != *value).then(|| KeyDifference {
                key: key.clone(),
                first: value.clone(),
                second: other,
            })
        })
        .collect()
}

/// Assesses `timeline` under both configurations and lists what changes, with the keys
/// that make each change.
pub fn diff_configs(
    timeline: &Timeline,
    first: &Config,
    second: &Config,
    criteria: &[Criterion],
) -> Result<ConfigDiff, InputError> {
    let keys = differing_keys(first, second);
    let under_first = assess_timeline(timeline, first, criteria)?;
    let under_second = assess_timeline(timeline, second, criteria)?;
    let mut changes = assessment_changes(&under_first, &under_second);
    if changes.is_empty() {
        return Ok(ConfigDiff { keys, changes });
    }
    for difference in &keys {
        let mut single = first.clone();
        if single.set(&difference.key, &difference.second).is_err() {
            continue; // an effective value always sets back; nothing to attribute if not
        }
        let under_single = assess_timeline(timeline, &single, criteria)?;
        let alone = assessment_changes(&under_first, &under_single);
        for change in &mut changes {
            if alone.iter().any(|c| same_change(c, change)) {
                change.keys.push(difference.key.clone());
            }
        }
    }
    Ok(ConfigDiff { keys, changes })
}

fn same_change(a: &Change, b: &Change) -> bool {
    (
        &a.subject_id,
        &a.reader,
        a.criterion,
        a.what,
        &a.timepoint_id,
        &a.first,
        &a.second,
    ) == (
        &b.subject_id,
        &b.reader,
        b.criterion,
        b.what,
        &b.timepoint_id,
        &b.first,
        &b.second,
    )
}

/// What differs between two assessments of the same timeline (subjects in the same
/// order, as [`assess_timeline`] sorts them).
pub fn assessment_changes(first: &Assessment, second: &Assessment) -> Vec<Change> {
    let mut changes = Vec::new();
    let second_subjects: BTreeMap<(&str, Option<&str>), _> = second
        .subjects
        .iter()
        .map(|s| ((s.subject_id.as_str(), s.reader.as_deref()), s))
        .collect();
    for subject in &first.subjects {
        let Some(other) =
            second_subjects.get(&(subject.subject_id.as_str(), subject.reader.as_deref()))
        else {
            continue;
        };
        for a in &subject.assessments {
            let Some(b) = other
                .assessments
                .iter()
                .find(|b| b.criterion == a.criterion)
            else {
                continue;
            };
            let change =
                |what: &'static str, timepoint_id: Option<String>, x: String, y: String| Change {
                    subject_id: subject.subject_id.clone(),
                    reader: subject.reader.clone(),
                    criterion: a.criterion,
                    what,
                    timepoint_id,
                    first: x,
                    second: y,
                    keys: Vec::new(),
                };
            for (timepoint_id, x, y) in timepoint_changes(a, b) {
                changes.push(change("timepoint", Some(timepoint_id), x, y));
            }
            if a.best_overall_response != b.best_overall_response {
                changes.push(change(
                    "best_overall_response",
                    None,
                    a.best_overall_response.to_string(),
                    b.best_overall_response.to_string(),
                ));
            }
            if a.confirmed_best_overall_response != b.confirmed_best_overall_response {
                changes.push(change(
                    "confirmed_best_overall_response",
                    None,
                    a.confirmed_best_overall_response.to_string(),
                    b.confirmed_best_overall_response.to_string(),
                ));
            }
            if a.progression != b.progression {
                changes.push(change(
                    "progression",
                    None,
                    progression_text(a.progression.as_ref()),
                    progression_text(b.progression.as_ref()),
                ));
            }
        }
    }
    changes
}

/// Timepoints whose overall response differs, in the first assessment's order, then any
/// only the second has (a row present in one only is `-` in the other).
fn timepoint_changes(
    a: &CriterionAssessment,
    b: &CriterionAssessment,
) -> Vec<(String, String, String)> {
    let mut found = Vec::new();
    let response_in = |rows: &CriterionAssessment, id: &str| {
        rows.timepoints
            .iter()
            .find(|row| row.timepoint_id == id)
            .map_or_else(|| "-".to_string(), |row| row.overall.to_string())
    };
    for row in &a.timepoints {
        let other = response_in(b, &row.timepoint_id);
        if other != row.overall.as_str() {
            found.push((row.timepoint_id.clone(), row.overall.to_string(), other));
        }
    }
    for row in &b.timepoints {
        if a.timepoints
            .iter()
            .all(|r| r.timepoint_id != row.timepoint_id)
        {
            found.push((
                row.timepoint_id.clone(),
                "-".into(),
                row.overall.to_string(),
            ));
        }
    }
    found
}

fn progression_text(progression: Option<&Progression>) -> String {
    match progression {
        None => "none".into(),
        Some(p) => format!("{} (day {})", p.timepoint_id, p.day),
    }
}
