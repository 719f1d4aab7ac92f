//! Assembling SR measurement reports into the `oncoread.timeline/1` document.
//!
//! Input: the SR documents read from the archive and the header records of the images
//! they reference (from the index). Output: subjects (per reader), timepoints and lesions,
//! with every decision that could be wrong written as a problem:
//!
//! 1. **Which reports count**: non-TID 1500 documents are skipped; a document named in
//!    another's Predecessor Documents (or an identical copy) is dropped; of several
//!    reports by one reader for one study, the verified, complete, final, latest wins.
//! 2. **Subject, reader, timepoint**: subject from Clinical Trial Subject ID, else Patient
//!    ID; reader from the observer context; timepoint from Clinical Trial Time Point ID,
//!    else the TID 1502 time point context, else the measured images' study date. The
//!    date is the measured images' study date (never the SR's content date: some
//!    producers write the export time there).
//! 3. **Lesion identity** across timepoints: tracking UID, else tracking label, else the
//!    same finding site at the nearest position in the same frame of reference.
//! 4. **Lesion role**: CID 6145 evaluation, else the tracking label (`T1`, `NT1`, `N1`,
//!    `Target…`, `Non-target…`, `New…`), else a user-supplied lesion list, else the RECIST
//!    selection rule (written as a problem for review). Lesions first seen after baseline
//!    are `new`.

use std::collections::{BTreeMap, HashMap, HashSet};

use oncoread_criteria::timeline::{
    Lesion, LesionStatus, Problem, Role, Source, Subject, Timeline, Timepoint, TIMELINE_SCHEMA,
};
use oncoread_dicom::geometry;
use oncoread_dicom::header::HeaderRecord;
use oncoread_dicom::sr::{
    Code, Dimension, Measurement, MeasurementGroup, ObserverType, Quantity, Scoord, SrDocument,
};
use serde_json::Value;

/// Agreement required between a recorded length and the length of its own line.
const GEOMETRY_TOLERANCE_MM: f64 = 0.5;
/// Largest distance for matching a lesion by position when no identifier matches.
const POSITION_MATCH_MM: f64 = 15.0;

/// Roles a user assigns by hand (`lesions.csv`), keyed by subject and by tracking UID or label.
#[derive(Debug, Clone, Default)]
pub struct LesionRoles {
    entries: HashMap<(String, String), Role>,
}

impl LesionRoles {
    /// Parses `subject_id,lesion,role` rows (header required; `lesion` is a tracking UID or
    /// tracking label; `role` is target, non_target or new).
    pub fn parse_csv(text: &str) -> Result<LesionRoles, String> {
        let mut lines = text
            .trim_start_matches('\u{feff}')
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty());
        let Some((_, header)) = lines.next() else {
            return Err("line 1: the lesion list has no header row".into());
        };
        let columns: Vec<String> = header
            .split(',')
            .map(|c| c.trim().to_ascii_lowercase())
            .collect();
        let position = |name: &str| {
            columns
                .iter()
                .position(|c| c == name)
                .ok_or_else(|| format!("line 1: the lesion list needs a column \"{name}\""))
        };
        let (subject_col, lesion_col, role_col) = (
            position("subject_id")?,
            position("lesion")?,
            position("role")?,
        );
        let mut entries = HashMap::new();
        for (number, line) in lines {
            let cells: Vec<&str> = line.split(',').map(str::trim).collect();
            let cell = |i: usize| cells.get(i).copied().unwrap_or_default();
            let role = match cell(role_col).to_ascii_lowercase().as_str() {
                "target" => Role::Target,
                "non_target" | "non-target" | "nontarget" => Role::NonTarget,
                "new" => Role::New,
                other => {
                    return Err(format!(
                        "line {}, column role: \"{other}\" is not target, non_target or new",
                        number + 1
                    ))
                }
            };
            entries.insert(
                (cell(subject_col).to_string(), cell(lesion_col).to_string()),
                role,
            );
        }
        Ok(LesionRoles { entries })
    }

    fn role_of(&self, subject: &str, keys: &[&str]) -> Option<Role> {
        keys.iter().find_map(|k| {
            self.entries
                .get(&(subject.to_string(), k.to_string()))
                .copied()
        })
    }
}

/// Image header lookups the assembly needs.
struct Images<'a> {
    by_uid: HashMap<&'a str, &'a HeaderRecord>,
}

impl<'a> Images<'a> {
    fn new(records: &'a [HeaderRecord]) -> Self {
        let mut by_uid = HashMap::with_capacity(records.len());
        for record in records {
            if let Some(uid) = record.sop_instance_uid.as_deref() {
                // Two files with one UID: the first in path order (the index is sorted) wins.
                by_uid.entry(uid).or_insert(record);
            }
        }
        Images { by_uid }
    }

    fn get(&self, uid: &str) -> Option<&'a HeaderRecord> {
        self.by_uid.get(uid).copied()
    }
}

fn problem(kind: &str, message: String, path: Option<&str>, sop: Option<&str>) -> Problem {
    let mut p = Problem::new(kind, message);
    p.path = path.map(str::to_string);
    p.sop_instance_uid = sop.map(str::to_string);
    p
}

/// Assembles the timeline; `problems` receives everything that could not be used.
pub fn assemble(
    images: &[HeaderRecord],
    reports: &[SrDocument],
    roles: &LesionRoles,
    problems: &mut Vec<Problem>,
) -> Timeline {
    let images = Images::new(images);
    let kept = select_reports(reports, problems);
    let mut observations = Vec::new();
    for report in kept {
        observe_report(report, &images, &mut observations, problems);
    }
    build_timeline(observations, roles, problems)
}

// ------------------------------------------------------------------ 1. which reports

fn reader_of(report: &SrDocument) -> Option<String> {
    let people: Vec<&str> = report
        .observers
        .iter()
        .filter(|o| o.kind == ObserverType::Person)
        .filter_map(|o| o.name.as_deref())
        // dcmjs writes this placeholder when it knows no name.
        .filter(|n| !n.eq_ignore_ascii_case("unknown^unknown") && !n.trim().is_empty())
        .collect();
    if !people.is_empty() {
        return Some(people.join(" + "));
    }
    report
        .observers
        .iter()
        .filter(|o| o.kind == ObserverType::Device)
        .find_map(|o| o.name.clone().or_else(|| o.device_uid.clone()))
}

fn subject_of(report: &SrDocument) -> Option<String> {
    report
        .clinical_trial_subject_id
        .clone()
        .or_else(|| report.patient_id.clone())
        .filter(|s| !s.trim().is_empty())
}

/// The preference order among several reports of one reader for one study: verified,
/// complete, final, latest content, latest creation, highest series/instance number.
fn preference_key(report: &SrDocument) -> impl Ord + '_ {
    (
        report.verification_flag.as_deref() == Some("VERIFIED"),
        report.completion_flag.as_deref() == Some("COMPLETE"),
        report.preliminary_flag.as_deref() != Some("PRELIMINARY"),
        (report.content_date.clone(), report.content_time.clone()),
        (
            report.instance_creation_date.clone(),
            report.instance_creation_time.clone(),
        ),
        (report.series_number, report.instance_number),
        report.sop_instance_uid.as_str(),
    )
}

/// (subject, study, reader): the reports that compete for one reading of one study.
type ReportKey = (Option<String>, Option<String>, Option<String>);

fn select_reports<'a>(
    reports: &'a [SrDocument],
    problems: &mut Vec<Problem>,
) -> Vec<&'a SrDocument> {
    let mut candidates = Vec::new();
    for report in reports {
        if report.is_tid1500 {
            candidates.push(report);
        } else {
            problems.push(problem(
                "sr_skipped",
                format!(
                    "not a TID 1500 measurement report: {}",
                    report
                        .not_tid1500_reason
                        .as_deref()
                        .unwrap_or("no reason given")
                ),
                Some(&report.path),
                Some(&report.sop_instance_uid),
            ));
        }
    }
    let replaced: HashMap<&str, &str> = candidates
        .iter()
        .flat_map(|r| {
            r.predecessor_sop_instance_uids
                .iter()
                .map(move |p| (p.as_str(), r.sop_instance_uid.as_str()))
        })
        .collect();
    let mut kept: Vec<&SrDocument> = Vec::new();
    let mut seen_uids: HashSet<&str> = HashSet::new();
    candidates.sort_by(|a, b| (&a.path, &a.sop_instance_uid).cmp(&(&b.path, &b.sop_instance_uid)));
    for report in candidates {
        if let Some(by) = replaced.get(report.sop_instance_uid.as_str()) {
            problems.push(problem(
                "sr_superseded",
                format!("replaced by the amended report {by} (Predecessor Documents Sequence)"),
                Some(&report.path),
                Some(&report.sop_instance_uid),
            ));
            continue;
        }
        let copy_of = report
            .identical_sop_instance_uids
            .iter()
            .find(|u| seen_uids.contains(u.as_str()));
        if let Some(original) = copy_of {
            problems.push(problem(
                "sr_duplicate",
                format!("identical copy of report {original} (Identical Documents Sequence)"),
                Some(&report.path),
                Some(&report.sop_instance_uid),
            ));
            continue;
        }
        if !seen_uids.insert(report.sop_instance_uid.as_str()) {
            problems.push(problem(
                "sr_duplicate",
                "a second file with the same SOP Instance UID".to_string(),
                Some(&report.path),
                Some(&report.sop_instance_uid),
            ));
            continue;
        }
        kept.push(report);
    }
    // Several reports of one reader for one study: keep the preferred one.
    let mut by_study: BTreeMap<ReportKey, Vec<&SrDocument>> = BTreeMap::new();
    for report in kept {
        by_study
            .entry((
                subject_of(report),
                report.study_instance_uid.clone(),
                reader_of(report),
            ))
            .or_default()
            .push(report);
    }
    let mut selected = Vec::new();
    for (_, mut group) in by_study {
        group.sort_by(|a, b| preference_key(b).cmp(&preference_key(a)));
        let best = group[0];
        for other in &group[1..] {
            problems.push(problem(
                "sr_superseded",
                format!(
                    "another report by the same reader for this study is preferred ({}: verified, complete, final, latest)",
                    best.sop_instance_uid
                ),
                Some(&other.path),
                Some(&other.sop_instance_uid),
            ));
        }
        selected.push(best);
    }
    selected
}

// ------------------------------------------------------------------ 2. observations

/// One lesion measured in one report.
#[derive(Debug, Clone)]
struct Observation {
    subject: String,
    reader: Option<String>,
    timepoint_key: String,
    timepoint_label: String,
    date: Option<String>,
    tracking_uid: Option<String>,
    label: Option<String>,
    role_hint: Option<Role>,
    organ: Option<String>,
    nodal: bool,
    long_axis: Option<f64>,
    short_axis: Option<f64>,
    volume: Option<f64>,
    /// Patient-space centre of the lesion's line, with its frame of reference.
    position: Option<(String, [f64; 3])>,
    source: Source,
    /// The report's patient and study attributes, for the timepoint's `source`.
    study: Source,
}

fn dicom_date_to_iso(date: &str) -> Option<String> {
    let d = date.trim();
    if d.len() == 8 && d.bytes().all(|b| b.is_ascii_digit()) {
        Some(format!("{}-{}-{}", &d[0..4], &d[4..6], &d[6..8]))
    } else if d.len() == 10 && d.as_bytes()[4] == b'-' {
        Some(d.to_string())
    } else {
        None
    }
}

/// The images a group's geometry or segment points at.
fn referenced_uids(group: &MeasurementGroup) -> Vec<String> {
    let mut uids: Vec<String> = group.referenced_sop_instance_uids.clone();
    let scoords = group
        .roi
        .iter()
        .chain(group.measurements.iter().filter_map(|m| m.scoord.as_ref()));
    for s in scoords {
        if let Some(uid) = &s.referenced_sop_instance_uid {
            uids.push(uid.clone());
        }
    }
    if let Some(segment) = &group.segment {
        uids.push(segment.sop_instance_uid.clone());
    }
    uids.sort();
    uids.dedup();
    uids
}

fn observe_report(
    report: &SrDocument,
    images: &Images,
    out: &mut Vec<Observation>,
    problems: &mut Vec<Problem>,
) {
    for p in &report.problems {
        problems.push(problem(
            &p.kind,
            p.message.clone(),
            Some(&report.path),
            Some(&report.sop_instance_uid),
        ));
    }
    let Some(subject) = subject_of(report) else {
        problems.push(problem(
            "sr_no_subject",
            "neither Clinical Trial Subject ID (0012,0040) nor Patient ID (0010,0020) is set"
                .into(),
            Some(&report.path),
            Some(&report.sop_instance_uid),
        ));
        return;
    };
    if report.groups.is_empty() {
        // A TID 1500 report whose tree holds no measurement: usually a Content Sequence
        // lost on the way (an export, an anonymiser), so say so rather than stay silent.
        problems.push(problem(
            "sr_no_measurements",
            "no measurement group: the Content Sequence (0040,A730) is absent or holds no \
             TID 1501/1410/1411 group"
                .into(),
            Some(&report.path),
            Some(&report.sop_instance_uid),
        ));
    }
    let reader = reader_of(report);
    for (index, group) in report.groups.iter().enumerate() {
        let name = group
            .tracking_identifier
            .clone()
            .unwrap_or_else(|| format!("group {}", index + 1));
        let uids = referenced_uids(group);
        for missing in uids.iter().filter(|u| images.get(u).is_none()) {
            // The measurement itself (in mm) is still used; only what needs the image
            // (its date, the drawn line's length, key images) is lost.
            problems.push(problem(
                "referenced_image_missing",
                format!(
                    "measurement group \"{name}\": Referenced SOP Instance UID (0008,1155) {missing} is not in the archive"
                ),
                Some(&report.path),
                Some(&report.sop_instance_uid),
            ));
        }
        let referenced: Vec<&HeaderRecord> = uids.iter().filter_map(|u| images.get(u)).collect();
        // Place the measurement by its own images (an SR may restate older values).
        let image = referenced.first().copied();
        let recorded_date = image
            .and_then(|i| i.study_date.as_deref())
            .or(report.study_date.as_deref())
            .filter(|d| !d.trim().is_empty());
        // A date that is not a calendar day (20231399) is a problem naming the file, and
        // the timepoint is left undated, instead of failing the assessment of every subject.
        let date = match recorded_date.map(|d| (d, dicom_date_to_iso(d))) {
            Some((_, Some(iso))) if oncoread_criteria::dates::parse_iso_date(&iso).is_some() => {
                Some(iso)
            }
            Some((recorded, _)) => {
                let whose = match image {
                    Some(i) => format!("of the measured image {}", i.path),
                    None => "of the SR".to_string(),
                };
                problems.push(problem(
                    "invalid_date",
                    format!(
                        "measurement group \"{name}\": Study Date (0008,0020) {whose} is \"{recorded}\", not a calendar date; its timepoint has no date"
                    ),
                    Some(&report.path),
                    Some(&report.sop_instance_uid),
                ));
                None
            }
            None => None,
        };
        let trial_time_point = report
            .clinical_trial_time_point_id
            .clone()
            .or_else(|| image.and_then(|i| i.clinical_trial_time_point_id.clone()));
        let context = &group.time_point;
        let context_label = context
            .time_point
            .clone()
            .or_else(|| context.protocol_time_point_identifier.clone())
            .or_else(|| context.subject_time_point_identifier.clone());
        let (timepoint_key, timepoint_label) = match (&trial_time_point, &context_label, &date) {
            (Some(tp), _, _) => (format!("ct:{tp}"), tp.clone()),
            (None, Some(tp), _) => (format!("tp:{tp}"), tp.clone()),
            (None, None, Some(d)) => (format!("date:{d}"), d.clone()),
            (None, None, None) => {
                problems.push(problem(
                    "no_timepoint",
                    format!(
                        "measurement group \"{name}\": no clinical-trial time point, no TID 1502 time point and no study date of the measured images"
                    ),
                    Some(&report.path),
                    Some(&report.sop_instance_uid),
                ));
                continue;
            }
        };
        let Some(observation) = observe_group(report, group, &name, &referenced, images, problems)
        else {
            continue;
        };
        out.push(Observation {
            subject: subject.clone(),
            reader: reader.clone(),
            timepoint_key,
            timepoint_label,
            date,
            ..observation
        });
    }
}

/// Finding sites that are lymph nodes (SCT and legacy SRT).
fn is_lymph_node(site: &Code) -> bool {
    site.is("SCT", "59441001")
        || site.is("SRT", "T-C4000")
        || site.is("SNM3", "T-C4000")
        || site.meaning.to_ascii_lowercase().contains("lymph node")
}

fn pick_length<'m>(
    measurements: &'m [Measurement],
    wanted: &[Quantity],
) -> Option<&'m Measurement> {
    wanted.iter().find_map(|q| {
        measurements.iter().find(|m| {
            m.quantity == *q && m.dimension == Dimension::Length && m.value_si_mm.is_some()
        })
    })
}

/// The linear size of a drawn shape in mm: a polyline's length, a circle's diameter, an
/// ellipse's major axis. SCOORD needs the referenced image's pixel spacing (from the index);
/// SCOORD3D is already in mm.
fn shape_length_mm(scoord: &Scoord, images: &Images) -> Option<f64> {
    let spacing = if scoord.three_d {
        None
    } else {
        images
            .get(scoord.referenced_sop_instance_uid.as_deref()?)?
            .pixel_spacing
    };
    geometry::scoord_length_mm(scoord, spacing)
}

/// Whether a shape is the measured line itself, so that its size must equal the recorded
/// value: a 2-point line, a circle (diameter) or an ellipse (major axis).
fn is_measuring_shape(scoord: &Scoord) -> bool {
    let points = scoord.data.len() / if scoord.three_d { 3 } else { 2 };
    match scoord.graphic_type.as_str() {
        "POLYLINE" => points == 2,
        "CIRCLE" | "ELLIPSE" => !scoord.three_d,
        _ => false,
    }
}

/// Whether an image-plane ROI outlines an area (its pixels give the lesion's mean HU).
fn encloses_area(scoord: &Scoord) -> bool {
    !scoord.three_d
        && match scoord.graphic_type.as_str() {
            "CIRCLE" | "ELLIPSE" => true,
            "POLYGON" | "POLYLINE" => scoord.data.len() >= 6,
            _ => false,
        }
}

/// The lesion centre in patient coordinates: midpoint of its line mapped through the
/// image plane (position + col·row-direction… per PS3.3 C.7.6.2.1.1).
fn line_centre(scoord: &Scoord, images: &Images) -> Option<(String, [f64; 3])> {
    if scoord.three_d {
        let n = scoord.data.len() / 3;
        if n == 0 {
            return None;
        }
        let mut c = [0.0; 3];
        for p in scoord.data.chunks_exact(3) {
            for k in 0..3 {
                c[k] += p[k] as f64 / n as f64;
            }
        }
        return Some((scoord.frame_of_reference_uid.clone()?, c));
    }
    let image = images.get(scoord.referenced_sop_instance_uid.as_deref()?)?;
    let n = scoord.data.len() / 2;
    if n == 0 {
        return None;
    }
    let (mut col, mut row) = (0.0, 0.0);
    for p in scoord.data.chunks_exact(2) {
        col += p[0] as f64 / n as f64;
        row += p[1] as f64 / n as f64;
    }
    let [row_spacing, col_spacing] = image.pixel_spacing?;
    let origin = image.image_position_patient?;
    let o = image.image_orientation_patient?;
    let mut centre = [0.0; 3];
    for k in 0..3 {
        // Orientation: first three = direction of increasing column index (along a row).
        centre[k] = origin[k] + o[k] * col_spacing * col + o[k + 3] * row_spacing * row;
    }
    Some((image.frame_of_reference_uid.clone()?, centre))
}

/// A 2-D line (SCOORD POLYLINE) as key images need it: its points in image pixels, the
/// image and frame it was drawn on, and that image's file from the index (absent when the
/// image is not among the files read).
fn measurement_line(axis: &str, scoord: &Scoord, images: &Images) -> Option<Value> {
    if scoord.three_d || scoord.graphic_type != "POLYLINE" || scoord.data.len() < 4 {
        return None;
    }
    let mut line = serde_json::Map::new();
    line.insert("axis".into(), Value::from(axis));
    line.insert("graphic_type".into(), Value::from("POLYLINE"));
    line.insert(
        "graphic_data".into(),
        scoord
            .data
            .iter()
            .map(|&v| Value::from(f64::from(v)))
            .collect(),
    );
    if let Some(uid) = scoord.referenced_sop_instance_uid.as_deref() {
        line.insert("referenced_sop_instance_uid".into(), Value::from(uid));
        if let Some(image) = images.get(uid) {
            line.insert("image_path".into(), Value::from(image.path.as_str()));
        }
    }
    if let Some(frame) = scoord.referenced_frame {
        line.insert("referenced_frame_number".into(), Value::from(frame));
    }
    Some(Value::Object(line))
}

/// Labels a viewer writes instead of a lesion name (OHIF/dcmjs tool tags).
fn is_tool_tag(label: &str) -> bool {
    let l = label.to_ascii_lowercase();
    l.contains("tools@") || l.contains("tools:") || l == "web annotation"
}

/// Role from a tracking label: `T1`, `TL1`, `Target…` → target; `NT1`, `NTL1`,
/// `Non-target…` → non-target; `N1`, `NEW1`, `New…` → new.
pub fn role_from_label(label: &str) -> Option<Role> {
    let l: String = label
        .trim()
        .to_ascii_lowercase()
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '_'))
        .collect();
    let numbered = |prefix: &str| {
        l.strip_prefix(prefix)
            .is_some_and(|rest| !rest.is_empty() && rest.chars().all(|c| c.is_ascii_digit()))
    };
    if l.starts_with("nontarget") || numbered("nt") || numbered("ntl") {
        Some(Role::NonTarget)
    } else if l.starts_with("newlesion") || numbered("new") || numbered("n") || l == "new" {
        Some(Role::New)
    } else if l.starts_with("target") || numbered("t") || numbered("tl") {
        Some(Role::Target)
    } else {
        None
    }
}

fn role_from_evaluation(group: &MeasurementGroup) -> Option<Option<Role>> {
    group.qualitative.iter().find_map(|(_, answer)| {
        if answer.is("DCM", "112074") {
            Some(Some(Role::Target))
        } else if answer.is("DCM", "112075") {
            Some(Some(Role::NonTarget))
        } else if answer.is("DCM", "112076") {
            Some(None) // Non-Lesion at Baseline
        } else {
            None
        }
    })
}

fn observe_group(
    report: &SrDocument,
    group: &MeasurementGroup,
    name: &str,
    referenced: &[&HeaderRecord],
    images: &Images,
    problems: &mut Vec<Problem>,
) -> Option<Observation> {
    let report_problem = |kind: &str, message: String| {
        problem(
            kind,
            message,
            Some(&report.path),
            Some(&report.sop_instance_uid),
        )
    };
    let evaluation = role_from_evaluation(group);
    if evaluation == Some(None) {
        problems.push(report_problem(
            "group_not_a_lesion",
            format!("measurement group \"{name}\" is evaluated Non-Lesion at Baseline (112076); not used"),
        ));
        return None;
    }
    let label_role = group
        .tracking_identifier
        .as_deref()
        .filter(|l| !is_tool_tag(l))
        .and_then(role_from_label);
    let role_hint = evaluation.flatten().or(label_role);

    let long = pick_length(
        &group.measurements,
        &[Quantity::LongAxis, Quantity::Length, Quantity::Diameter],
    );
    let short = pick_length(&group.measurements, &[Quantity::ShortAxis]);
    let volume = group
        .measurements
        .iter()
        .find(|m| m.dimension == Dimension::Volume && m.value_si_mm.is_some())
        .and_then(|m| m.value_si_mm);

    // A recorded length must agree with its own line (TID 1501 INFERRED FROM, or the
    // 2-point Image Region of a TID 1410 group when it is the long axis).
    let mut checks: Vec<(&str, f64, &Scoord)> = Vec::new();
    if let Some(m) = long {
        if let (Some(v), Some(s)) = (m.value_si_mm, m.scoord.as_ref().or(group.roi.as_ref())) {
            checks.push(("long axis", v, s));
        }
    }
    if let Some(m) = short {
        if let (Some(v), Some(s)) = (m.value_si_mm, m.scoord.as_ref()) {
            checks.push(("short axis", v, s));
        }
    }
    for (what, value, scoord) in checks {
        if !is_measuring_shape(scoord) {
            continue;
        }
        if let Some(drawn) = shape_length_mm(scoord, images) {
            if (drawn - value).abs() > GEOMETRY_TOLERANCE_MM {
                problems.push(report_problem(
                    "measurement_geometry_mismatch",
                    format!(
                        "measurement group \"{name}\": {what} {value:.2} mm but its {} measures {drawn:.2} mm (tolerance {GEOMETRY_TOLERANCE_MM} mm)",
                        scoord.graphic_type.to_ascii_lowercase()
                    ),
                ));
            }
        }
    }
    let mut long_axis = long.and_then(|m| m.value_si_mm);
    let mut from_geometry = None;
    if long_axis.is_none() && role_hint != Some(Role::NonTarget) {
        // No recorded length: the drawn line, circle or ellipse is the reader's measure.
        if let Some(roi) = group.roi.as_ref().filter(|r| is_measuring_shape(r)) {
            long_axis = shape_length_mm(roi, images);
            if long_axis.is_some() {
                from_geometry = Some(roi.graphic_type.to_ascii_lowercase());
            }
        }
    }
    // A group that only references a segment is sized from the SEG after assembly.
    if long_axis.is_none()
        && short.is_none()
        && role_hint != Some(Role::NonTarget)
        && volume.is_none()
        && group.segment.is_none()
    {
        problems.push(report_problem(
            "group_without_size",
            format!(
                "measurement group \"{name}\" has no length, long/short axis, diameter or volume in mm; not used as a lesion"
            ),
        ));
        return None;
    }
    let site = group.finding_site.as_ref();
    let nodal = site.is_some_and(is_lymph_node)
        || group
            .tracking_identifier
            .as_deref()
            .is_some_and(|l| l.to_ascii_lowercase().contains("lymph node"));
    let organ = if nodal {
        Some("lymph node".to_string())
    } else {
        site.map(|s| s.meaning.to_ascii_lowercase())
    };
    let centre_from = group
        .roi
        .as_ref()
        .or_else(|| long.and_then(|m| m.scoord.as_ref()));
    let position = centre_from.and_then(|s| line_centre(s, images));

    let mut source = Source::new();
    let mut put = |k: &str, v: Option<&str>| {
        if let Some(v) = v {
            source.insert(k.to_string(), Value::String(v.to_string()));
        }
    };
    put("sop_instance_uid", Some(&report.sop_instance_uid));
    put("sop_class_uid", Some(&report.sop_class_uid));
    put("study_instance_uid", report.study_instance_uid.as_deref());
    put("series_instance_uid", report.series_instance_uid.as_deref());
    put("tracking_uid", group.tracking_uid.as_deref());
    // The measured image, as an assessment SR's evidence references it.
    let image = referenced.first();
    put(
        "referenced_sop_instance_uid",
        image.and_then(|r| r.sop_instance_uid.as_deref()),
    );
    put(
        "referenced_sop_class_uid",
        image.and_then(|r| r.sop_class_uid.as_deref()),
    );
    put(
        "referenced_series_instance_uid",
        image.and_then(|r| r.series_instance_uid.as_deref()),
    );
    put(
        "referenced_study_instance_uid",
        image.and_then(|r| r.study_instance_uid.as_deref()),
    );
    // The finding site as coded (the organ above keeps only its meaning).
    put("finding_site_code", site.map(|c| c.value.as_str()));
    put("finding_site_scheme", site.map(|c| c.scheme.as_str()));
    put("finding_site_meaning", site.map(|c| c.meaning.as_str()));
    put("path", Some(&report.path));
    put(
        "clinical_trial_protocol_id",
        report.clinical_trial_protocol_id.as_deref(),
    );
    let derived =
        from_geometry.map(|shape| format!("{shape} drawn on the image × its pixel spacing"));
    put("long_axis_from", derived.as_deref());
    if let Some(segment) = &group.segment {
        put(
            crate::pixel_measures::SEGMENT_UID_KEY,
            Some(&segment.sop_instance_uid),
        );
        if let Some(number) = segment.segment_number {
            source.insert(
                crate::pixel_measures::SEGMENT_NUMBER_KEY.to_string(),
                Value::from(number),
            );
        }
    }
    if let Some(roi) = group.roi.as_ref().filter(|r| encloses_area(r)) {
        let text = |v: &str| Value::String(v.to_string());
        let keys = [
            (
                crate::pixel_measures::ROI_TYPE_KEY,
                Some(text(&roi.graphic_type)),
            ),
            (
                crate::pixel_measures::ROI_IMAGE_KEY,
                roi.referenced_sop_instance_uid.as_deref().map(text),
            ),
            (
                crate::pixel_measures::ROI_DATA_KEY,
                Some(Value::from(roi.data.clone())),
            ),
        ];
        for (key, value) in keys {
            if let Some(value) = value {
                source.insert(key.to_string(), value);
            }
        }
    }
    let long_line = long.and_then(|m| m.scoord.as_ref()).or(group.roi.as_ref());
    let lines: Vec<Value> = [
        ("long", long_line),
        ("short", short.and_then(|m| m.scoord.as_ref())),
    ]
    .into_iter()
    .filter_map(|(axis, scoord)| measurement_line(axis, scoord?, images))
    .collect();
    if !lines.is_empty() {
        source.insert("measurement_lines".into(), Value::Array(lines));
    }
    Some(Observation {
        subject: String::new(),
        reader: None,
        timepoint_key: String::new(),
        timepoint_label: String::new(),
        date: None,
        tracking_uid: group.tracking_uid.clone(),
        label: group.tracking_identifier.clone(),
        role_hint,
        organ,
        nodal,
        long_axis,
        short_axis: short.and_then(|m| m.value_si_mm),
        volume,
        position,
        source,
        study: study_source(report),
    })
}

/// The report's patient and study attributes (DICOM spellings of dates and names), kept in
/// the timepoint's `source` so that an assessment SR can join the same study. The DICOM
/// Study ID is `dicom_study_id`: SDTM reads a `study_id` key as the protocol.
fn study_source(report: &SrDocument) -> Source {
    let mut source = Source::new();
    let fields = [
        ("study_instance_uid", &report.study_instance_uid),
        ("study_date", &report.study_date),
        ("study_time", &report.study_time),
        ("accession_number", &report.accession_number),
        ("dicom_study_id", &report.study_id),
        ("study_description", &report.study_description),
        ("referring_physician_name", &report.referring_physician_name),
        ("patient_name", &report.patient_name),
        ("patient_id", &report.patient_id),
        ("patient_birth_date", &report.patient_birth_date),
        ("patient_sex", &report.patient_sex),
    ];
    for (key, value) in fields {
        if let Some(value) = value {
            source.insert(key.to_string(), Value::String(value.clone()));
        }
    }
    source
}

// ------------------------------------------------------------------ 3. and 4. lesions

struct TimepointSlot {
    label: String,
    date: Option<String>,
    /// The patient and study attributes of the visit's first report.
    study: Source,
}

fn build_timeline(
    observations: Vec<Observation>,
    roles: &LesionRoles,
    problems: &mut Vec<Problem>,
) -> Timeline {
    let mut by_subject: BTreeMap<(String, Option<String>), Vec<Observation>> = BTreeMap::new();
    for o in observations {
        by_subject
            .entry((o.subject.clone(), o.reader.clone()))
            .or_default()
            .push(o);
    }
    let mut subjects = Vec::new();
    for ((subject_id, reader), obs) in by_subject {
        subjects.push(build_subject(&subject_id, reader, obs, roles, problems));
    }
    Timeline {
        schema: TIMELINE_SCHEMA.to_string(),
        subjects,
        problems: Vec::new(),
    }
}

/// Union-find over observation indices.
struct Groups {
    parent: Vec<usize>,
}

impl Groups {
    fn new(n: usize) -> Self {
        Groups {
            parent: (0..n).collect(),
        }
    }
    fn find(&mut self, i: usize) -> usize {
        let mut root = i;
        while self.parent[root] != root {
            root = self.parent[root];
        }
        let mut j = i;
        while self.parent[j] != root {
            let next = self.parent[j];
            self.parent[j] = root;
            j = next;
        }
        root
    }
    fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            self.parent[ra.max(rb)] = ra.min(rb);
        }
    }
}

fn build_subject(
    subject_id: &str,
    reader: Option<String>,
    mut obs: Vec<Observation>,
    roles: &LesionRoles,
    problems: &mut Vec<Problem>,
) -> Subject {
    let who = match &reader {
        Some(r) => format!("subject {subject_id} (reader {r})"),
        None => format!("subject {subject_id}"),
    };
    // Timepoints in date order (undated last, by label).
    let mut slots: BTreeMap<String, TimepointSlot> = BTreeMap::new();
    for o in &obs {
        let slot = slots
            .entry(o.timepoint_key.clone())
            .or_insert(TimepointSlot {
                label: o.timepoint_label.clone(),
                date: o.date.clone(),
                study: o.study.clone(),
            });
        // The visit's date is the earliest scan date among its measurements.
        if let Some(d) = &o.date {
            if slot.date.as_ref().is_none_or(|s| d < s) {
                slot.date = Some(d.clone());
            }
        }
    }
    let mut order: Vec<(String, Option<String>, String)> = slots
        .iter()
        .map(|(k, s)| (k.clone(), s.date.clone(), s.label.clone()))
        .collect();
    order.sort_by(|a, b| (a.1.is_none(), &a.1, &a.2).cmp(&(b.1.is_none(), &b.1, &b.2)));
    let rank: HashMap<String, usize> = order
        .iter()
        .enumerate()
        .map(|(i, t)| (t.0.clone(), i))
        .collect();
    obs.sort_by(|a, b| {
        (rank[&a.timepoint_key], &a.tracking_uid, &a.label).cmp(&(
            rank[&b.timepoint_key],
            &b.tracking_uid,
            &b.label,
        ))
    });

    // Identity: tracking UID, then label, then position.
    let n = obs.len();
    let mut groups = Groups::new(n);
    let mut by_uid: HashMap<&str, usize> = HashMap::new();
    for (i, o) in obs.iter().enumerate() {
        if let Some(uid) = o.tracking_uid.as_deref() {
            match by_uid.get(uid) {
                Some(&j) => groups.union(i, j),
                None => {
                    by_uid.insert(uid, i);
                }
            }
        }
    }
    let mut how: HashMap<usize, &'static str> = HashMap::new();
    let timepoints_of = |groups: &mut Groups, root: usize| -> HashSet<usize> {
        (0..n)
            .filter(|&k| groups.find(k) == root)
            .map(|k| rank[&obs[k].timepoint_key])
            .collect()
    };
    // Label fallback: identities that never share a timepoint and carry the same label.
    for i in 0..n {
        for j in 0..i {
            let (ri, rj) = (groups.find(i), groups.find(j));
            if ri == rj {
                continue;
            }
            let same_label = matches!((&obs[i].label, &obs[j].label), (Some(a), Some(b)) if a == b && !is_tool_tag(a));
            let uids_differ = obs[i].tracking_uid.is_some() && obs[j].tracking_uid.is_some();
            if same_label {
                let (ti, tj) = (
                    timepoints_of(&mut groups, ri),
                    timepoints_of(&mut groups, rj),
                );
                if ti.is_disjoint(&tj) {
                    groups.union(i, j);
                    how.insert(
                        groups.find(i),
                        if uids_differ {
                            "label (tracking UIDs differ)"
                        } else {
                            "label"
                        },
                    );
                }
            }
        }
    }
    // Position fallback: same finding site, same frame of reference, nearest within limit.
    for i in 0..n {
        let ri = groups.find(i);
        if timepoints_of(&mut groups, ri).len() > 1 {
            continue;
        }
        let Some((frame_i, centre_i)) = obs[i].position.clone() else {
            continue;
        };
        let mut best: Option<(f64, usize)> = None;
        for j in 0..n {
            let rj = groups.find(j);
            if rj == ri || obs[j].organ != obs[i].organ {
                continue;
            }
            let Some((frame_j, centre_j)) = &obs[j].position else {
                continue;
            };
            if *frame_j != frame_i {
                continue;
            }
            let d = (0..3)
                .map(|k| (centre_i[k] - centre_j[k]).powi(2))
                .sum::<f64>()
                .sqrt();
            if d <= POSITION_MATCH_MM && best.is_none_or(|(bd, _)| d < bd) {
                let (ti, tj) = (
                    timepoints_of(&mut groups, ri),
                    timepoints_of(&mut groups, rj),
                );
                if ti.is_disjoint(&tj) {
                    best = Some((d, j));
                }
            }
        }
        if let Some((d, j)) = best {
            groups.union(i, j);
            problems.push(Problem::new(
                "lesion_matched_by_position",
                format!(
                    "{who}: lesion \"{}\" at {} matched to \"{}\" at {} by finding site and position ({d:.1} mm apart); review",
                    obs[i].label.as_deref().unwrap_or("?"),
                    obs[i].timepoint_label,
                    obs[j].label.as_deref().unwrap_or("?"),
                    obs[j].timepoint_label
                ),
            ));
        }
    }
    for (root, method) in &how {
        let label = obs[*root].label.clone().unwrap_or_default();
        if method.contains("differ") {
            problems.push(Problem::new(
                "lesion_matched_by_label",
                format!("{who}: lesion \"{label}\" matched across timepoints by its label; its tracking UIDs differ between reports; review"),
            ));
        }
    }

    // Lesion ids and roles per identity.
    let mut members: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for i in 0..n {
        let root = groups.find(i);
        members.entry(root).or_default().push(i);
    }
    let baseline_rank = 0usize;
    let mut lesion_ids: HashMap<usize, String> = HashMap::new();
    let mut lesion_roles: HashMap<usize, Role> = HashMap::new();
    let mut used_ids: HashSet<String> = HashSet::new();
    let mut undecided: Vec<usize> = Vec::new();
    for (root, list) in &members {
        let first = &obs[list[0]];
        let mut id = first
            .tracking_uid
            .clone()
            .or_else(|| first.label.clone())
            .unwrap_or_else(|| format!("L{}", root + 1));
        if !used_ids.insert(id.clone()) {
            id = format!("{id}#{}", root + 1);
            used_ids.insert(id.clone());
        }
        lesion_ids.insert(*root, id);
        let first_seen = list
            .iter()
            .map(|&i| rank[&obs[i].timepoint_key])
            .min()
            .unwrap_or(0);
        let hint = list.iter().find_map(|&i| obs[i].role_hint);
        let keys: Vec<&str> = list
            .iter()
            .flat_map(|&i| [obs[i].tracking_uid.as_deref(), obs[i].label.as_deref()])
            .flatten()
            .collect();
        let role = if first_seen > baseline_rank {
            Some(Role::New)
        } else {
            match hint {
                Some(Role::New) => {
                    problems.push(Problem::new(
                        "lesion_role",
                        format!("{who}: lesion \"{}\" is labelled new but is seen at the baseline; taken as non-target", first.label.as_deref().unwrap_or("?")),
                    ));
                    Some(Role::NonTarget)
                }
                Some(r) => Some(r),
                None => roles.role_of(subject_id, &keys),
            }
        };
        match role {
            Some(r) => {
                lesion_roles.insert(*root, r);
            }
            None => undecided.push(*root),
        }
    }
    if !undecided.is_empty() {
        select_targets(
            &obs,
            &members,
            &mut undecided,
            &mut lesion_roles,
            &lesion_ids,
            &who,
            problems,
        );
    }

    // Timepoints.
    let mut timepoints: Vec<Timepoint> = order
        .iter()
        .map(|(key, date, label)| Timepoint {
            timepoint_id: Some(label.clone()),
            date: date.clone(),
            day: if date.is_none() { Some(0) } else { None },
            source: slots
                .get(key)
                .map(|slot| slot.study.clone())
                .filter(|study| !study.is_empty()),
            ..Timepoint::default()
        })
        .collect();
    if order.iter().any(|t| t.1.is_none()) {
        problems.push(Problem::new(
            "timepoint_without_date",
            format!("{who}: a timepoint has no study date; its day cannot be computed and is set to 0; review"),
        ));
    }
    for (root, list) in &members {
        let role = lesion_roles[root];
        let id = &lesion_ids[root];
        let first = &obs[list[0]];
        for &i in list {
            let o = &obs[i];
            let t = rank[&o.timepoint_key];
            // How this observation was tied to the lesion's first sighting.
            let matched_by = if i == list[0] {
                "first_sighting"
            } else if o.tracking_uid.is_some() && o.tracking_uid == first.tracking_uid {
                "tracking_uid"
            } else if o.label.is_some() && o.label == first.label {
                "tracking_label"
            } else {
                "finding_site_and_position"
            };
            let mut source = o.source.clone();
            source.insert("identity_match".into(), Value::String(matched_by.into()));
            let lesion = Lesion {
                lesion_id: id.clone(),
                label: o.label.clone(),
                role,
                organ: o.organ.clone(),
                nodal: o.nodal,
                long_axis_mm: o.long_axis,
                short_axis_mm: o.short_axis,
                status: if role == Role::NonTarget
                    && o.long_axis.is_none()
                    && o.short_axis.is_none()
                {
                    Some(LesionStatus::Present)
                } else {
                    None
                },
                volume_mm3: o.volume,
                source: Some(source),
                ..Lesion::default()
            };
            let tp = &mut timepoints[t];
            if tp.lesions.iter().any(|l| l.lesion_id == lesion.lesion_id) {
                problems.push(Problem::new(
                    "lesion_measured_twice",
                    format!(
                        "{who}: lesion {id} is measured twice at {}; the first is kept",
                        o.timepoint_label
                    ),
                ));
                continue;
            }
            tp.lesions.push(lesion);
        }
    }
    for tp in &mut timepoints {
        tp.lesions.sort_by(|a, b| a.lesion_id.cmp(&b.lesion_id));
    }
    Subject {
        subject_id: subject_id.to_string(),
        reader,
        context: None,
        timepoints,
    }
}

/// RECIST selection for lesions without any role information: largest first (nodes by
/// short axis), at most 2 per organ and 5 in all; the rest are non-targets.
fn select_targets(
    obs: &[Observation],
    members: &BTreeMap<usize, Vec<usize>>,
    undecided: &mut [usize],
    roles: &mut HashMap<usize, Role>,
    ids: &HashMap<usize, String>,
    who: &str,
    problems: &mut Vec<Problem>,
) {
    let baseline_measure = |root: usize| -> f64 {
        let i = members[&root][0];
        let o = &obs[i];
        if o.nodal { o.short_axis } else { o.long_axis }.unwrap_or(0.0)
    };
    undecided.sort_by(|a, b| {
        baseline_measure(*b)
            .partial_cmp(&baseline_measure(*a))
            .unwrap_or(std::cmp::Ordering::Equal)
            .then_with(|| ids[a].cmp(&ids[b]))
    });
    let already: Vec<&Option<String>> = roles
        .iter()
        .filter(|(_, r)| **r == Role::Target)
        .map(|(root, _)| &obs[members[root][0]].organ)
        .collect();
    let mut total = already.len();
    let mut per_organ: HashMap<Option<String>, usize> = HashMap::new();
    for organ in already {
        *per_organ.entry(organ.clone()).or_default() += 1;
    }
    let mut chosen = Vec::new();
    for root in undecided.iter() {
        let o = &obs[members[root][0]];
        let minimum = if o.nodal { 15.0 } else { 10.0 };
        let count = per_organ.entry(o.organ.clone()).or_default();
        let role =
            if baseline_measure(*root) >= minimum && total < 5 && (*count < 2 || o.organ.is_none())
            {
                *count += 1;
                total += 1;
                chosen.push(ids[root].clone());
                Role::Target
            } else {
                Role::NonTarget
            };
        roles.insert(*root, role);
    }
    problems.push(Problem::new(
        "lesion_roles_selected",
        format!(
            "{who}: no lesion role in the reports (no CID 6145 evaluation, no role label, no lesion list); targets chosen by the RECIST selection rule (largest, 2 per organ, 5 in all): {}; the others are non-targets; review",
            if chosen.is_empty() { "none".to_string() } else { chosen.join(", ") }
        ),
    ));
}

#[cfg(test)]
mod tests {
    use super::*;
    use oncoread_dicom::sr::{Observer, TimePointContext};

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn code(scheme: &str, value: &str, meaning: &str) -> Code {
        Code {
            value: value.into(),
            scheme: scheme.into(),
            meaning: meaning.into(),
        }
    }

    fn length(quantity: Quantity, mm: f64) -> Measurement {
        Measurement {
            concept: code("SCT", "103339001", "Long axis"),
            quantity,
            value: Some(mm),
            unit: Some(code("UCUM", "mm", "millimeter")),
            dimension: Dimension::Length,
            value_si_mm: Some(mm),
            scoord: None,
            tracking_uid: None,
            derivation: None,
            measurement_method: None,
        }
    }

    fn group(label: &str, uid: &str, long: f64, site: Code) -> MeasurementGroup {
        MeasurementGroup {
            tracking_identifier: Some(label.into()),
            tracking_uid: Some(uid.into()),
            finding_site: Some(site),
            measurements: vec![length(Quantity::LongAxis, long)],
            ..MeasurementGroup::default()
        }
    }

    fn report(uid: &str, study: &str, date: &str, groups: Vec<MeasurementGroup>) -> SrDocument {
        SrDocument {
            path: format!("{uid}.dcm"),
            sop_class_uid: "1.2.840.10008.5.1.4.1.1.88.34".into(),
            sop_instance_uid: uid.into(),
            study_instance_uid: Some(study.into()),
            patient_id: Some("P1".into()),
            study_date: Some(date.into()),
            content_date: Some("20991231".into()),
            is_tid1500: true,
            observers: vec![Observer {
                kind: ObserverType::Person,
                name: Some("Reader^One".into()),
                device_uid: None,
            }],
            groups,
            ..SrDocument::default()
        }
    }

    fn liver() -> Code {
        code("SCT", "10200004", "Liver")
    }

    fn run(reports: &[SrDocument]) -> (Timeline, Vec<Problem>) {
        let mut problems = Vec::new();
        let timeline = assemble(&[], reports, &LesionRoles::default(), &mut problems);
        (timeline, problems)
    }

    #[test]
    fn labels_give_roles() -> TestResult {
        for (label, role) in [
            ("T1", Some(Role::Target)),
            ("TL2", Some(Role::Target)),
            ("Target lesion 3 (lymph node)", Some(Role::Target)),
            ("NT1", Some(Role::NonTarget)),
            ("NTL1", Some(Role::NonTarget)),
            ("Non-target lesion 1", Some(Role::NonTarget)),
            ("N1", Some(Role::New)),
            ("NEW1", Some(Role::New)),
            ("New lesion 1", Some(Role::New)),
            ("lesion-A", None),
            ("cornerstoneTools@^4.0.0:Bidirectional", None),
            ("Nodule 1", None),
        ] {
            assert_eq!(role_from_label(label), role, "{label}");
        }
        Ok(())
    }

    #[test]
    fn a_study_date_that_is_no_calendar_day_is_a_problem_and_the_visit_is_undated() -> TestResult {
        // Month 13, day 99: the SR's Study Date cannot be a day. The other visit keeps its
        // date; the bad one is named (file, SOP, field, value) and not used as a date.
        let reports = vec![
            report(
                "1.1",
                "S-A",
                "20150105",
                vec![group("Target lesion 1", "2.25.1", 40.0, liver())],
            ),
            report(
                "1.2",
                "S-B",
                "20231399",
                vec![group("Target lesion 1", "2.25.1", 28.0, liver())],
            ),
        ];
        let (timeline, problems) = run(&reports);
        let invalid: Vec<&Problem> = problems
            .iter()
            .filter(|p| p.kind == "invalid_date")
            .collect();
        assert_eq!(invalid.len(), 1, "{problems:?}");
        assert_eq!(invalid[0].sop_instance_uid.as_deref(), Some("1.2"));
        assert!(
            invalid[0]
                .message
                .contains("Study Date (0008,0020) of the SR is \"20231399\""),
            "{}",
            invalid[0].message
        );
        // With no time point in the SR either, the group cannot be placed: that is a
        // second problem, and the good visit stands alone.
        assert!(
            problems.iter().any(|p| p.kind == "no_timepoint"),
            "{problems:?}"
        );
        let dates: Vec<Option<String>> = timeline.subjects[0]
            .timepoints
            .iter()
            .map(|t| t.date.clone())
            .collect();
        assert_eq!(dates, [Some("2015-01-05".to_string())]);
        // 2024-02-29 is a day (leap year); 2023-02-29 is not.
        for (recorded, valid) in [("20240229", true), ("20230229", false)] {
            let (_, problems) = run(&[report(
                "1.3",
                "S-C",
                recorded,
                vec![group("Target lesion 1", "2.25.1", 30.0, liver())],
            )]);
            let flagged = problems.iter().any(|p| p.kind == "invalid_date");
            assert_eq!(flagged, !valid, "{recorded}: {problems:?}");
        }
        Ok(())
    }

    #[test]
    fn visits_are_dated_by_study_and_lesions_follow_their_tracking_uid() -> TestResult {
        // Two visits by study date; the SR content date (2099) is never used.
        let reports = vec![
            report(
                "1.1",
                "S-A",
                "20150105",
                vec![group("Target lesion 1", "2.25.1", 40.0, liver())],
            ),
            report(
                "1.2",
                "S-B",
                "20150302",
                vec![group("Target lesion 1", "2.25.1", 28.0, liver())],
            ),
        ];
        let (timeline, problems) = run(&reports);
        assert!(problems.is_empty(), "{problems:?}");
        let subject = &timeline.subjects[0];
        assert_eq!(subject.subject_id, "P1");
        assert_eq!(subject.reader.as_deref(), Some("Reader^One"));
        let dates: Vec<_> = subject
            .timepoints
            .iter()
            .map(|t| t.date.clone().ok_or("a time point without its date"))
            .collect::<Result<_, _>>()?;
        assert_eq!(dates, ["2015-01-05", "2015-03-02"]);
        let l0 = &subject.timepoints[0].lesions[0];
        let l1 = &subject.timepoints[1].lesions[0];
        assert_eq!(
            (l0.lesion_id.as_str(), l0.role, l0.long_axis_mm),
            ("2.25.1", Role::Target, Some(40.0))
        );
        assert_eq!(
            (l1.lesion_id.as_str(), l1.long_axis_mm),
            ("2.25.1", Some(28.0))
        );
        let matched = |l: &Lesion| {
            l.source
                .as_ref()
                .map(|source| source["identity_match"].clone())
                .ok_or(format!("lesion {} without its source", l.lesion_id))
        };
        assert_eq!(matched(l0)?, "first_sighting");
        assert_eq!(matched(l1)?, "tracking_uid");
        Ok(())
    }

    #[test]
    fn an_amended_report_replaces_its_predecessor() -> TestResult {
        let original = report(
            "1.2",
            "S-B",
            "20150302",
            vec![group("T1", "2.25.1", 28.0, liver())],
        );
        let mut amended = report(
            "1.3",
            "S-B",
            "20150302",
            vec![group("T1", "2.25.1", 29.0, liver())],
        );
        amended.predecessor_sop_instance_uids = vec!["1.2".into()];
        let baseline = report(
            "1.1",
            "S-A",
            "20150105",
            vec![group("T1", "2.25.1", 40.0, liver())],
        );
        let (timeline, problems) = run(&[original, amended, baseline]);
        let values: Vec<_> = timeline.subjects[0]
            .timepoints
            .iter()
            .map(|t| {
                t.lesions[0]
                    .long_axis_mm
                    .ok_or("a lesion without its long axis")
            })
            .collect::<Result<_, _>>()?;
        assert_eq!(values, [40.0, 29.0]);
        assert!(problems
            .iter()
            .any(|p| p.kind == "sr_superseded" && p.sop_instance_uid.as_deref() == Some("1.2")));
        Ok(())
    }

    #[test]
    fn preferred_report_is_verified_then_complete() -> TestResult {
        let mut draft = report(
            "1.2",
            "S-B",
            "20150302",
            vec![group("T1", "2.25.1", 28.0, liver())],
        );
        draft.verification_flag = Some("UNVERIFIED".into());
        let mut signed = report(
            "1.3",
            "S-B",
            "20150302",
            vec![group("T1", "2.25.1", 30.0, liver())],
        );
        signed.verification_flag = Some("VERIFIED".into());
        signed.content_date = Some("20000101".into()); // older, but verified wins
        let (timeline, problems) = run(&[draft, signed]);
        assert_eq!(
            timeline.subjects[0].timepoints[0].lesions[0].long_axis_mm,
            Some(30.0)
        );
        assert_eq!(
            problems
                .iter()
                .filter(|p| p.kind == "sr_superseded")
                .count(),
            1
        );
        Ok(())
    }

    #[test]
    fn two_readers_are_a_double_read() -> TestResult {
        let one = report(
            "1.1",
            "S-A",
            "20150105",
            vec![group("T1", "2.25.1", 40.0, liver())],
        );
        let mut two = report(
            "1.2",
            "S-A",
            "20150105",
            vec![group("T1", "2.25.9", 42.0, liver())],
        );
        two.observers[0].name = Some("Reader^Two".into());
        let (timeline, _) = run(&[one, two]);
        let readers: Vec<_> = timeline
            .subjects
            .iter()
            .map(|s| s.reader.clone().ok_or("a subject without its reader"))
            .collect::<Result<_, _>>()?;
        assert_eq!(readers, ["Reader^One", "Reader^Two"]);
        Ok(())
    }

    #[test]
    fn lesions_first_seen_after_baseline_are_new_and_labels_match_when_uids_differ() -> TestResult {
        // Baseline T1 (uid 2.25.1); follow-up relabels T1 with a new UID (a viewer that
        // mints UIDs per export) and adds a lesion never seen before.
        let baseline = report(
            "1.1",
            "S-A",
            "20150105",
            vec![group("T1", "2.25.1", 40.0, liver())],
        );
        let follow = report(
            "1.2",
            "S-B",
            "20150302",
            vec![
                group("T1", "2.25.2", 30.0, liver()),
                group("lesion X", "2.25.3", 12.0, liver()),
            ],
        );
        let (timeline, problems) = run(&[baseline, follow]);
        let tp = &timeline.subjects[0].timepoints[1];
        let t1 = tp
            .lesions
            .iter()
            .find(|l| l.label.as_deref() == Some("T1"))
            .ok_or("no lesion labelled T1 at follow-up")?;
        assert_eq!((t1.lesion_id.as_str(), t1.role), ("2.25.1", Role::Target));
        assert_eq!(
            t1.source.as_ref().ok_or("T1 without its source")?["identity_match"],
            "tracking_label"
        );
        let x = tp
            .lesions
            .iter()
            .find(|l| l.label.as_deref() == Some("lesion X"))
            .ok_or("no lesion labelled lesion X at follow-up")?;
        assert_eq!(x.role, Role::New);
        assert!(
            problems.iter().any(|p| p.kind == "lesion_matched_by_label"),
            "{problems:?}"
        );
        Ok(())
    }

    #[test]
    fn without_any_role_information_targets_are_selected_and_flagged() -> TestResult {
        // Three liver lesions (50, 30, 20 mm) and a 12 mm lung lesion with neutral labels:
        // targets are the two largest liver lesions (2 per organ) and the lung lesion
        // (≥ 10 mm); the 20 mm liver lesion becomes a non-target.
        let lung = code("SCT", "39607008", "Lung");
        let baseline = report(
            "1.1",
            "S-A",
            "20150105",
            vec![
                group("lesion-A", "2.25.1", 50.0, liver()),
                group("lesion-B", "2.25.2", 30.0, liver()),
                group("lesion-C", "2.25.3", 20.0, liver()),
                group("lesion-D", "2.25.4", 12.0, lung),
            ],
        );
        let (timeline, problems) = run(&[baseline]);
        let roles: BTreeMap<String, Role> = timeline.subjects[0].timepoints[0]
            .lesions
            .iter()
            .map(|l| Ok((l.label.clone().ok_or("a lesion without its label")?, l.role)))
            .collect::<Result<_, &str>>()?;
        assert_eq!(roles["lesion-A"], Role::Target);
        assert_eq!(roles["lesion-B"], Role::Target);
        assert_eq!(roles["lesion-C"], Role::NonTarget);
        assert_eq!(roles["lesion-D"], Role::Target);
        assert!(problems.iter().any(|p| p.kind == "lesion_roles_selected"));
        Ok(())
    }

    #[test]
    fn the_time_point_context_names_the_visit_and_non_tid1500_reports_are_listed() -> TestResult {
        let mut g = group("T1", "2.25.1", 40.0, liver());
        g.time_point = TimePointContext {
            time_point: Some("T0".into()),
            ..TimePointContext::default()
        };
        let r = report("1.1", "S-A", "20150105", vec![g]);
        let mut other = report("9.9", "S-A", "20150105", vec![]);
        other.is_tid1500 = false;
        other.not_tid1500_reason = Some("root concept is not 126000".into());
        let (timeline, problems) = run(&[r, other]);
        assert_eq!(
            timeline.subjects[0].timepoints[0].timepoint_id.as_deref(),
            Some("T0")
        );
        assert!(problems
            .iter()
            .any(|p| p.kind == "sr_skipped" && p.message.contains("126000")));
        Ok(())
    }

    #[test]
    fn user_lesion_list_assigns_roles() -> TestResult {
        let roles = LesionRoles::parse_csv("subject_id,lesion,role\nP1,lesion-A,non_target\n")?;
        let baseline = report(
            "1.1",
            "S-A",
            "20150105",
            vec![group("lesion-A", "2.25.1", 50.0, liver())],
        );
        let mut problems = Vec::new();
        let timeline = assemble(&[], &[baseline], &roles, &mut problems);
        assert_eq!(
            timeline.subjects[0].timepoints[0].lesions[0].role,
            Role::NonTarget
        );
        assert!(LesionRoles::parse_csv("subject_id,lesion\n").is_err());
        assert!(
            LesionRoles::parse_csv("subject_id,lesion,role\nP1,x,maybe\n")
                .err()
                .ok_or("the role \"maybe\" should be rejected")?
                .contains("line 2")
        );
        Ok(())
    }
}
