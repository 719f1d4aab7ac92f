//! Shared helpers for the criteria rule tests: build a timeline from a compact JSON
//! description, assess it, and read back the response strings the schema spells.
//!
//! Each test binary uses only some of these helpers.
#![allow(dead_code)]

use oncoread_criteria::assessment::{CriterionAssessment, SubjectAssessment, TimepointAssessment};
use oncoread_criteria::{
    assess_timeline, parse_timeline_json, Assessment, Config, Criterion, InputError, Timeline,
};
use serde_json::{json, Value};

pub const RECIST: Criterion = Criterion::Recist11;
pub const IRECIST: Criterion = Criterion::Irecist;
pub const IRRC: Criterion = Criterion::Irrc;
pub const IRRECIST: Criterion = Criterion::Irrecist;
pub const IMRECIST: Criterion = Criterion::Imrecist;

/// Organs given to the targets built by [`targets_at`], one organ per lesion so the
/// 2-per-organ limit (§2.3) never comes into play.
const ORGANS: [&str; 5] = ["liver", "lung", "kidney", "adrenal", "spleen"];

// ---------------------------------------------------------------- documents

/// A whole timeline document around a list of subjects.
pub fn doc(subjects: Value) -> Value {
    json!({ "schema": "oncoread.timeline/1", "subjects": subjects })
}

/// A document with one subject `S1` and the given timepoints.
pub fn one_subject(timepoints: Value) -> Value {
    doc(json!([{ "subject_id": "S1", "timepoints": timepoints }]))
}

/// A timepoint by day with the given lesions.
pub fn tp(day: i64, lesions: Vec<Value>) -> Value {
    json!({ "day": day, "lesions": lesions })
}

/// A timepoint whose scan was not done.
pub fn missing_scan(day: i64) -> Value {
    json!({ "day": day, "scan": "missing" })
}

/// One subject whose only lesions are non-nodal targets `T1..Tn` (organs from
/// [`ORGANS`]); each entry is `(day, long axes in mm)`.
pub fn targets_only(series: &[(i64, &[f64])]) -> Value {
    let timepoints: Vec<Value> = series
        .iter()
        .map(|(day, lds)| tp(*day, targets_at(lds)))
        .collect();
    one_subject(Value::Array(timepoints))
}

/// Non-nodal targets `T1..Tn` with the given long axes.
pub fn targets_at(lds: &[f64]) -> Vec<Value> {
    lds.iter()
        .enumerate()
        .map(|(i, ld)| target(&format!("T{}", i + 1), ORGANS[i], *ld))
        .collect()
}

// ---------------------------------------------------------------- lesions

pub fn target(id: &str, organ: &str, ld: f64) -> Value {
    json!({ "lesion_id": id, "role": "target", "organ": organ, "long_axis_mm": ld })
}

/// A nodal target measured by its short axis.
pub fn node_target(id: &str, sa: f64) -> Value {
    json!({ "lesion_id": id, "role": "target", "organ": "lymph node", "nodal": true,
            "short_axis_mm": sa })
}

/// A non-nodal target that disappeared (0 mm).
pub fn absent_target(id: &str, organ: &str) -> Value {
    json!({ "lesion_id": id, "role": "target", "organ": organ, "status": "absent" })
}

/// A lesion of any role that was not assessed at this timepoint.
pub fn not_assessed(id: &str, role: &str, organ: &str) -> Value {
    json!({ "lesion_id": id, "role": role, "organ": organ, "status": "not_assessed" })
}

/// A non-target lesion with a status (present, absent, unequivocal_progression, ...).
pub fn non_target(id: &str, organ: &str, status: &str) -> Value {
    json!({ "lesion_id": id, "role": "non_target", "organ": organ, "status": status })
}

/// A non-target lesion with a status and a `change_since_last` judgement.
pub fn non_target_change(id: &str, organ: &str, status: &str, change: &str) -> Value {
    json!({ "lesion_id": id, "role": "non_target", "organ": organ, "status": status,
            "change_since_last": change })
}

/// A non-nodal target with both diameters (irRC multiplies them; RECIST uses the long axis).
pub fn bi_target(id: &str, organ: &str, ld: f64, perpendicular: f64) -> Value {
    json!({ "lesion_id": id, "role": "target", "organ": organ, "long_axis_mm": ld,
            "short_axis_mm": perpendicular })
}

/// A new non-nodal lesion with both diameters.
pub fn bi_new(id: &str, organ: &str, ld: f64, perpendicular: f64) -> Value {
    json!({ "lesion_id": id, "role": "new", "organ": organ, "long_axis_mm": ld,
            "short_axis_mm": perpendicular })
}

/// The rule names of a row.
pub fn rule_names(row: &TimepointAssessment) -> Vec<&str> {
    row.rules.iter().map(|r| r.rule.as_ref()).collect()
}

/// The detail of the row's rule `name` (panics when the row does not carry it).
pub fn rule_detail<'a>(row: &'a TimepointAssessment, name: &str) -> &'a str {
    row.rules
        .iter()
        .find(|r| r.rule == name)
        .map(|r| r.detail.as_str())
        .unwrap_or_else(|| panic!("no rule {name} in {:?}", rule_names(row)))
}

/// A measured new (non-nodal) lesion.
pub fn new_lesion(id: &str, organ: &str, ld: f64) -> Value {
    json!({ "lesion_id": id, "role": "new", "organ": organ, "long_axis_mm": ld })
}

// ---------------------------------------------------------------- assessing

pub fn parse(doc: &Value) -> Result<Timeline, InputError> {
    parse_timeline_json(doc.to_string().as_bytes())
}

/// Parses and assesses with the default configuration changed by `settings`
/// (`Config::set_text` key/value pairs).
pub fn try_assess(
    doc: &Value,
    criteria: &[Criterion],
    settings: &[(&str, &str)],
) -> Result<Assessment, InputError> {
    let timeline = parse(doc)?;
    let mut config = Config::default();
    for (key, value) in settings {
        config
            .set_text(key, value)
            .unwrap_or_else(|e| panic!("config {key}={value}: {e}"));
    }
    assess_timeline(&timeline, &config, criteria)
}

pub fn assess(doc: &Value, criteria: &[Criterion], settings: &[(&str, &str)]) -> Assessment {
    try_assess(doc, criteria, settings).unwrap_or_else(|e| panic!("assessment failed: {e}"))
}

pub fn subject<'a>(a: &'a Assessment, subject_id: &str) -> &'a SubjectAssessment {
    a.subjects
        .iter()
        .find(|s| s.subject_id == subject_id)
        .unwrap_or_else(|| panic!("no subject {subject_id} in the assessment"))
}

pub fn criterion<'a>(a: &'a Assessment, subject_id: &str, c: Criterion) -> &'a CriterionAssessment {
    subject(a, subject_id)
        .assessments
        .iter()
        .find(|x| x.criterion == c)
        .unwrap_or_else(|| panic!("no {} assessment for {subject_id}", c.name()))
}

/// The overall response of every row (baseline row `BL` first) of subject `S1`.
pub fn overall(a: &Assessment, c: Criterion) -> Vec<&'static str> {
    overall_of(a, "S1", c)
}

pub fn overall_of(a: &Assessment, subject_id: &str, c: Criterion) -> Vec<&'static str> {
    criterion(a, subject_id, c)
        .timepoints
        .iter()
        .map(|t| t.overall.as_str())
        .collect()
}

/// The row of subject `S1` at `day`.
pub fn row(a: &Assessment, c: Criterion, day: i64) -> &TimepointAssessment {
    criterion(a, "S1", c)
        .timepoints
        .iter()
        .find(|t| t.day == day)
        .unwrap_or_else(|| panic!("no {} row at day {day}", c.name()))
}

/// Best overall response (no confirmation) of subject `S1`.
pub fn bor(a: &Assessment, c: Criterion) -> &'static str {
    bor_of(a, "S1", c)
}

pub fn bor_of(a: &Assessment, subject_id: &str, c: Criterion) -> &'static str {
    criterion(a, subject_id, c).best_overall_response.as_str()
}

/// Best overall response with CR/PR confirmation of subject `S1`.
pub fn confirmed_bor(a: &Assessment, c: Criterion) -> &'static str {
    criterion(a, "S1", c)
        .confirmed_best_overall_response
        .as_str()
}

/// The day progression is dated to for subject `S1`, if any.
pub fn progression_day(a: &Assessment, c: Criterion) -> Option<i64> {
    criterion(a, "S1", c).progression.as_ref().map(|p| p.day)
}

/// Whether an error names `field`: the field of a subject error, or the last part of the
/// JSON path of a document error.
pub fn names_field(err: &InputError, field: &str) -> bool {
    let last = |s: &str| -> bool {
        s == field || s.ends_with(&format!(".{field}")) || s.ends_with(&format!("/{field}"))
    };
    match err {
        InputError::Subject { field: f, .. } => last(f),
        InputError::Document { path, .. } => last(path),
    }
}
