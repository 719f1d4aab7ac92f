//! Turns one subject of the timeline into what every criterion needs: timepoints in day
//! order relative to the baseline, the baseline target and non-target lists, and each
//! lesion observation reduced to an exact measure.
//!
//! Input that cannot be assessed around (a target without a baseline measurement, a date
//! that is not a date, a lesion whose role changes) is an [`InputError`]; things a reader
//! should look at but that do not stop the assessment (measurability, target selection
//! limits) are returned as problems.

use crate::config::{Config, MeasurementRounding, SdAnchor};
use crate::dates::parse_iso_date;
use crate::error::InputError;
use crate::exact::Micrometres;
use crate::timeline::{Change, Lesion, LesionStatus, Problem, Role, ScanStatus, Subject};

/// How one lesion enters a sum at one timepoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    /// A value in the sum: measured, too small (default 5 mm), absent (0), fragments, coalesced (0).
    Value(Micrometres),
    /// Not assessed or not listed at this timepoint.
    Missing,
}

#[derive(Debug, Clone)]
pub struct LesionRef {
    pub id: String,
    pub nodal: bool,
    pub organ_key: Option<String>,
}

/// A non-target lesion at a follow-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonTargetState {
    Absent,
    /// Present; for nodes, the short axis when given (normal below 10 mm).
    Present {
        nodal_short_axis: Option<Micrometres>,
    },
    UnequivocalProgression,
    NotAssessed,
}

#[derive(Debug, Clone)]
pub struct NewLesionObs {
    pub id: String,
    pub organ_key: Option<String>,
    pub nodal: bool,
    /// RECIST measure (LD, or SA for nodes) when recorded.
    pub measure: Measure,
    pub status: NewStatus,
    pub change: Option<Change>,
    pub slice_thickness: Option<Micrometres>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NewStatus {
    /// Unequivocal and counting as a new lesion.
    Present,
    /// Present and unequivocally progressing (iRECIST NLNT).
    UnequivocalProgression,
    Equivocal,
    /// A node below the new-node threshold: not a new lesion.
    BelowNodeThreshold,
    Absent,
    NotAssessed,
}

impl NewStatus {
    pub fn counts(self) -> bool {
        matches!(self, NewStatus::Present | NewStatus::UnequivocalProgression)
    }
}

#[derive(Debug, Clone)]
pub struct PreparedTimepoint {
    pub id: String,
    /// Index of this timepoint in the input subject's `timepoints` (criteria that need
    /// more of a lesion than its RECIST measure, e.g. irRC's perpendicular diameter).
    pub source: usize,
    pub day: i64,
    pub date: Option<String>,
    pub scan_missing: bool,
    pub symptomatic: bool,
    /// One per baseline target, in [`PreparedSubject::targets`] order.
    pub targets: Vec<Measure>,
    /// One per baseline non-target.
    pub non_targets: Vec<NonTargetState>,
    pub non_target_changes: Vec<Option<Change>>,
    pub new_lesions: Vec<NewLesionObs>,
}

#[derive(Debug, Clone)]
pub struct PreparedSubject {
    pub targets: Vec<LesionRef>,
    pub non_targets: Vec<LesionRef>,
    /// Baseline first, then follow-ups in day order.
    pub timepoints: Vec<PreparedTimepoint>,
    /// Day the SD minimum duration is counted from.
    pub sd_anchor_day: i64,
}

/// Lymph nodes count as one organ for the 2-per-organ rule (`recist.nodes_one_organ`).
const LYMPH_NODE_ORGAN: &str = "lymph node";

pub fn organ_key(organ: Option<&str>, nodal: bool, nodes_one_organ: bool) -> Option<String> {
    if nodal && nodes_one_organ {
        return Some(LYMPH_NODE_ORGAN.to_string());
    }
    organ
        .map(|o| o.trim().to_lowercase())
        .filter(|o| !o.is_empty())
}

struct Ctx<'a> {
    subject: &'a str,
    config: &'a Config,
}

impl Ctx<'_> {
    fn error(&self, timepoint: Option<&str>, field: &str, message: String) -> InputError {
        InputError::subject(self.subject, timepoint, field, message)
    }

    fn mm(
        &self,
        tp: &str,
        field: &str,
        lesion: &str,
        value: f64,
    ) -> Result<Micrometres, InputError> {
        let micrometres = Micrometres::from_mm(value).ok_or_else(|| {
            self.error(
                Some(tp),
                field,
                format!("lesion {lesion}: {value} is not a length in millimetres"),
            )
        })?;
        Ok(match self.config.measurement_rounding {
            MeasurementRounding::None => micrometres,
            MeasurementRounding::NearestMm => micrometres.rounded_to_mm(),
        })
    }

    /// The RECIST measure of a target-like lesion: long axis, or short axis for nodes.
    fn measure(&self, tp: &str, lesion: &Lesion) -> Result<Measure, InputError> {
        let id = &lesion.lesion_id;
        if lesion.coalesced_into.is_some() {
            return Ok(Measure::Value(Micrometres::ZERO));
        }
        if let Some(fragments) = &lesion.fragments_mm {
            let mut sum = Micrometres::ZERO;
            for f in fragments {
                sum = sum + self.mm(tp, "fragments_mm", id, *f)?;
            }
            return Ok(Measure::Value(sum));
        }
        match lesion.status {
            Some(LesionStatus::Absent) => return Ok(Measure::Value(Micrometres::ZERO)),
            Some(LesionStatus::TooSmall) => {
                return Ok(Measure::Value(self.config.recist.too_small_value))
            }
            Some(LesionStatus::NotAssessed) => return Ok(Measure::Missing),
            _ => {}
        }
        let (field, value) = if lesion.nodal {
            ("short_axis_mm", lesion.short_axis_mm)
        } else {
            ("long_axis_mm", lesion.long_axis_mm)
        };
        match value {
            Some(v) => Ok(Measure::Value(self.mm(tp, field, id, v)?)),
            None => Ok(Measure::Missing),
        }
    }
}

struct DatedTimepoint<'a> {
    index: usize,
    day: i64,
    tp: &'a crate::timeline::Timepoint,
}

pub(crate) fn timepoint_label(tp: &crate::timeline::Timepoint, index: usize) -> String {
    tp.timepoint_id
        .clone()
        .unwrap_or_else(|| format!("TP{}", index + 1))
}

/// Orders the timepoints and gives each a day relative to the baseline scan.
fn date_timepoints<'a>(
    ctx: &Ctx,
    subject: &'a Subject,
) -> Result<(usize, Vec<DatedTimepoint<'a>>), InputError> {
    let mut ordinal: Vec<Option<i64>> = Vec::with_capacity(subject.timepoints.len());
    for (index, tp) in subject.timepoints.iter().enumerate() {
        let label = timepoint_label(tp, index);
        let parsed = match &tp.date {
            Some(text) => Some(parse_iso_date(text).ok_or_else(|| {
                ctx.error(
                    Some(&label),
                    "date",
                    format!("\"{text}\" is not a date (expected YYYY-MM-DD)"),
                )
            })?),
            None => None,
        };
        if parsed.is_none() && tp.day.is_none() {
            return Err(ctx.error(Some(&label), "date", "neither date nor day is given".into()));
        }
        ordinal.push(parsed);
    }
    let flagged: Vec<usize> = (0..subject.timepoints.len())
        .filter(|&i| subject.timepoints[i].baseline == Some(true))
        .collect();
    if flagged.len() > 1 {
        let label = timepoint_label(&subject.timepoints[flagged[1]], flagged[1]);
        return Err(ctx.error(
            Some(&label),
            "baseline",
            "more than one timepoint is marked baseline".into(),
        ));
    }
    let done = |i: &usize| subject.timepoints[*i].scan == ScanStatus::Done;
    let all_dated = ordinal.iter().all(Option::is_some);
    let baseline = match flagged.first() {
        Some(&i) => Some(i),
        None if all_dated => (0..ordinal.len())
            .filter(done)
            .min_by_key(|&i| (ordinal[i], i)),
        None => (0..ordinal.len())
            .filter(done)
            .filter(|&i| subject.timepoints[i].day.is_some())
            .min_by_key(|&i| (subject.timepoints[i].day, i)),
    }
    .ok_or_else(|| {
        ctx.error(
            None,
            "timepoints",
            "no timepoint with a scan done to serve as baseline".into(),
        )
    })?;
    let baseline_tp = &subject.timepoints[baseline];
    if baseline_tp.scan == ScanStatus::Missing {
        let label = timepoint_label(baseline_tp, baseline);
        return Err(ctx.error(
            Some(&label),
            "scan",
            "the baseline scan is marked missing".into(),
        ));
    }
    let baseline_day = baseline_tp.day.unwrap_or(0);
    let mut dated = Vec::with_capacity(subject.timepoints.len());
    for (index, tp) in subject.timepoints.iter().enumerate() {
        let day = match (tp.day, ordinal[index], ordinal[baseline]) {
            (Some(day), _, _) => day,
            (None, Some(date), Some(base_date)) => baseline_day + (date - base_date),
            (None, _, _) => {
                let label = timepoint_label(tp, index);
                return Err(ctx.error(
                    Some(&label),
                    "day",
                    "has only a date but the baseline has no date to count days from".into(),
                ));
            }
        };
        dated.push(DatedTimepoint { index, day, tp });
    }
    dated.sort_by_key(|d| (d.day, d.index != baseline, d.index));
    Ok((baseline, dated))
}

/// The timepoints in day order for criteria that read the raw lesions (RANO, mRECIST,
/// Choi, PERCIST): the baseline's index into `subject.timepoints`, then every timepoint
/// as (index, absolute day), sorted like [`prepare_subject`] sorts them.
pub(crate) fn ordered_timepoints(
    subject: &Subject,
    config: &Config,
) -> Result<(usize, Vec<(usize, i64)>), InputError> {
    let ctx = Ctx {
        subject: &subject.subject_id,
        config,
    };
    let (baseline, dated) = date_timepoints(&ctx, subject)?;
    Ok((baseline, dated.iter().map(|d| (d.index, d.day)).collect()))
}

/// Prepares a subject; problems that do not stop the assessment go to `problems`.
/// Lesion ids are short ("T1", a UID at most) and compared millions of times on a large
/// timeline: a byte loop the compiler inlines beats a library `memcmp` call per pair.
#[inline]
fn same_id(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).all(|(x, y)| x == y)
}

pub fn prepare_subject(
    subject: &Subject,
    config: &Config,
    problems: &mut Vec<Problem>,
) -> Result<PreparedSubject, InputError> {
    let ctx = Ctx {
        subject: &subject.subject_id,
        config,
    };
    let recist = &config.recist;
    let (baseline_index, dated) = date_timepoints(&ctx, subject)?;
    let baseline_tp = &subject.timepoints[baseline_index];
    let baseline_label = timepoint_label(baseline_tp, baseline_index);
    let baseline_day = baseline_tp.day.unwrap_or(0);

    // Roles must not change; ids must be unique within a timepoint. A subject has a
    // handful of lesions, so a list beats a hash map (and no label is built unless needed).
    let mut roles: Vec<(&str, Role, usize)> = Vec::with_capacity(16);
    for d in &dated {
        for (k, lesion) in d.tp.lesions.iter().enumerate() {
            let id = lesion.lesion_id.as_str();
            if d.tp.lesions[..k].iter().any(|l| same_id(&l.lesion_id, id)) {
                return Err(ctx.error(
                    Some(&timepoint_label(d.tp, d.index)),
                    "lesion_id",
                    format!("lesion {id} is listed twice"),
                ));
            }
            match roles.iter().find(|(known, _, _)| same_id(known, id)) {
                Some((_, role, first)) if *role != lesion.role => {
                    let first = timepoint_label(&subject.timepoints[*first], *first);
                    return Err(ctx.error(
                        Some(&timepoint_label(d.tp, d.index)),
                        "role",
                        format!(
                            "lesion {id} changes role from {} (at {first}) to {}",
                            role.as_str(),
                            lesion.role.as_str()
                        ),
                    ));
                }
                Some(_) => {}
                None => roles.push((id, lesion.role, d.index)),
            }
        }
    }

    // Baseline lists.
    let mut targets = Vec::new();
    let mut non_targets = Vec::new();
    let mut baseline_measures = Vec::new();
    // Lesion-id order, so no result or explanation depends on the order of the input.
    let mut baseline_lesions: Vec<&Lesion> = baseline_tp.lesions.iter().collect();
    baseline_lesions.sort_by(|a, b| a.lesion_id.cmp(&b.lesion_id));
    for lesion in baseline_lesions {
        let organ = organ_key(
            lesion.organ.as_deref(),
            lesion.nodal,
            recist.nodes_one_organ,
        );
        let entry = LesionRef {
            id: lesion.lesion_id.clone(),
            nodal: lesion.nodal,
            organ_key: organ,
        };
        match lesion.role {
            Role::Target => {
                let measure = ctx.measure(&baseline_label, lesion)?;
                let value = match (measure, lesion.status) {
                    (_, Some(s)) if s != LesionStatus::Measured => None,
                    (Measure::Value(v), _) if v > Micrometres::ZERO => Some(v),
                    _ => None,
                };
                let Some(value) = value else {
                    let field = if lesion.nodal {
                        "short_axis_mm"
                    } else {
                        "long_axis_mm"
                    };
                    return Err(ctx.error(
                        Some(&baseline_label),
                        field,
                        format!(
                            "target lesion {} has no measurement at baseline",
                            lesion.lesion_id
                        ),
                    ));
                };
                check_measurable(&ctx, &baseline_label, lesion, value, problems)?;
                baseline_measures.push(Measure::Value(value));
                targets.push(entry);
            }
            Role::NonTarget => non_targets.push(entry),
            Role::New => {
                return Err(ctx.error(
                    Some(&baseline_label),
                    "role",
                    format!("lesion {} is marked new at the baseline", lesion.lesion_id),
                ))
            }
        }
    }
    check_target_selection(&ctx, &targets, problems);

    let mut timepoints = Vec::with_capacity(dated.len());
    for d in &dated {
        let label = timepoint_label(d.tp, d.index);
        if d.index != baseline_index && d.day <= baseline_day {
            problems.push(subject_problem(
                &ctx,
                "before_baseline",
                format!(
                    "timepoint {label} (day {}) is not after the baseline {baseline_label}; it is not assessed",
                    d.day
                ),
            ));
            continue;
        }
        let tp = d.tp;
        let find = |id: &str| tp.lesions.iter().find(|l| same_id(&l.lesion_id, id));
        for lesion in &tp.lesions {
            let unknown = lesion.role != Role::New
                && !targets
                    .iter()
                    .chain(&non_targets)
                    .any(|t| same_id(&t.id, &lesion.lesion_id));
            if unknown {
                return Err(ctx.error(
                    Some(&label),
                    "role",
                    format!(
                        "{} lesion {} is not in the baseline {baseline_label}; lesions first seen after baseline are role \"new\"",
                        lesion.role.as_str(),
                        lesion.lesion_id
                    ),
                ));
            }
        }
        let target_measures = if d.index == baseline_index {
            baseline_measures.clone()
        } else {
            let mut measures = Vec::with_capacity(targets.len());
            for t in &targets {
                let measure = match find(&t.id) {
                    Some(lesion) => target_followup_measure(&ctx, &label, lesion, problems)?,
                    None => Measure::Missing,
                };
                measures.push(measure);
            }
            measures
        };
        let mut nt_states = Vec::with_capacity(non_targets.len());
        let mut nt_changes = Vec::with_capacity(non_targets.len());
        for nt in &non_targets {
            let (state, change) = match find(&nt.id) {
                Some(lesion) => (
                    non_target_state(&ctx, &label, lesion)?,
                    lesion.change_since_last,
                ),
                None => (NonTargetState::NotAssessed, None),
            };
            nt_states.push(state);
            nt_changes.push(change);
        }
        let mut new_lesions = Vec::new();
        for lesion in tp.lesions.iter().filter(|l| l.role == Role::New) {
            new_lesions.push(new_lesion_obs(&ctx, &label, lesion)?);
        }
        new_lesions.sort_by(|a, b| a.id.cmp(&b.id));
        timepoints.push(PreparedTimepoint {
            id: label,
            source: d.index,
            day: d.day - baseline_day,
            date: tp.date.clone(),
            scan_missing: tp.scan == ScanStatus::Missing,
            symptomatic: tp.symptomatic,
            targets: target_measures,
            non_targets: nt_states,
            non_target_changes: nt_changes,
            new_lesions,
        });
    }

    let sd_anchor_day = match config.recist.sd_anchor {
        SdAnchor::BaselineScan => 0,
        SdAnchor::TherapyStart => therapy_start_day(&ctx, subject, baseline_tp)?,
    };
    Ok(PreparedSubject {
        targets,
        non_targets,
        timepoints,
        sd_anchor_day,
    })
}

fn therapy_start_day(
    ctx: &Ctx,
    subject: &Subject,
    baseline_tp: &crate::timeline::Timepoint,
) -> Result<i64, InputError> {
    let context = subject.context.as_ref();
    if let Some(day) = context.and_then(|c| c.therapy_start_day) {
        return Ok(day - baseline_tp.day.unwrap_or(0));
    }
    let date = context.and_then(|c| c.therapy_start_date.as_deref());
    match (date, baseline_tp.date.as_deref()) {
        (Some(start), Some(base)) => {
            let start_day = parse_iso_date(start).ok_or_else(|| {
                ctx.error(None, "context.therapy_start_date", format!("\"{start}\" is not a date"))
            })?;
            let base_day = parse_iso_date(base).unwrap_or(start_day);
            Ok(start_day - base_day)
        }
        _ => Err(ctx.error(
            None,
            "context.therapy_start_day",
            "recist.sd_anchor = therapy_start needs context.therapy_start_day (or a start date and a baseline date)".into(),
        )),
    }
}

fn subject_problem(ctx: &Ctx, kind: &str, message: String) -> Problem {
    problem_for(ctx.subject, kind, message)
}

/// A problem of one subject (the subject id travels in the problem's extra keys).
pub(crate) fn problem_for(subject_id: &str, kind: &str, message: String) -> Problem {
    let mut problem = Problem::new(kind, message);
    problem.extra.insert(
        "subject_id".into(),
        serde_json::Value::String(subject_id.to_string()),
    );
    problem
}

fn target_followup_measure(
    ctx: &Ctx,
    label: &str,
    lesion: &Lesion,
    problems: &mut Vec<Problem>,
) -> Result<Measure, InputError> {
    if matches!(
        lesion.status,
        Some(
            LesionStatus::Present | LesionStatus::UnequivocalProgression | LesionStatus::Equivocal
        )
    ) && lesion.fragments_mm.is_none()
        && lesion.coalesced_into.is_none()
    {
        problems.push(subject_problem(
            ctx,
            "target_status",
            format!(
                "timepoint {label}: target lesion {} has status {:?}, which is not a target measurement; counted as not assessed",
                lesion.lesion_id,
                lesion.status.map(status_name).unwrap_or_default()
            ),
        ));
        return Ok(Measure::Missing);
    }
    let measure = ctx.measure(label, lesion)?;
    if measure == Measure::Missing && lesion.status != Some(LesionStatus::NotAssessed) {
        problems.push(subject_problem(
            ctx,
            "target_unmeasured",
            format!(
                "timepoint {label}: target lesion {} is listed without a {}; counted as not assessed",
                lesion.lesion_id,
                if lesion.nodal { "short_axis_mm" } else { "long_axis_mm" }
            ),
        ));
    }
    Ok(measure)
}

fn non_target_state(ctx: &Ctx, label: &str, lesion: &Lesion) -> Result<NonTargetState, InputError> {
    Ok(match lesion.status {
        Some(LesionStatus::Absent) => NonTargetState::Absent,
        Some(LesionStatus::UnequivocalProgression) => NonTargetState::UnequivocalProgression,
        Some(LesionStatus::NotAssessed) => NonTargetState::NotAssessed,
        _ => {
            let nodal_short_axis = match (lesion.nodal, lesion.short_axis_mm) {
                (true, Some(v)) => Some(ctx.mm(label, "short_axis_mm", &lesion.lesion_id, v)?),
                _ => None,
            };
            NonTargetState::Present { nodal_short_axis }
        }
    })
}

fn new_lesion_obs(ctx: &Ctx, label: &str, lesion: &Lesion) -> Result<NewLesionObs, InputError> {
    let recist = &ctx.config.recist;
    let measure = ctx.measure(label, lesion)?;
    let slice_thickness = match lesion.slice_thickness_mm {
        Some(v) => Some(ctx.mm(label, "slice_thickness_mm", &lesion.lesion_id, v)?),
        None => None,
    };
    let status = match lesion.status {
        Some(LesionStatus::Absent) => NewStatus::Absent,
        Some(LesionStatus::NotAssessed) => NewStatus::NotAssessed,
        Some(LesionStatus::Equivocal) => NewStatus::Equivocal,
        Some(LesionStatus::UnequivocalProgression) => NewStatus::UnequivocalProgression,
        _ => match (lesion.nodal, measure) {
            (true, Measure::Value(sa)) if sa < recist.new_node_min_sa => {
                NewStatus::BelowNodeThreshold
            }
            (true, Measure::Value(sa))
                if recist
                    .new_node_equivocal_below
                    .is_some_and(|limit| sa < limit) =>
            {
                NewStatus::Equivocal
            }
            _ => NewStatus::Present,
        },
    };
    Ok(NewLesionObs {
        id: lesion.lesion_id.clone(),
        organ_key: organ_key(
            lesion.organ.as_deref(),
            lesion.nodal,
            recist.nodes_one_organ,
        ),
        nodal: lesion.nodal,
        measure,
        status,
        change: lesion.change_since_last,
        slice_thickness,
    })
}

fn status_name(status: LesionStatus) -> &'static str {
    match status {
        LesionStatus::Measured => "measured",
        LesionStatus::TooSmall => "too_small",
        LesionStatus::Absent => "absent",
        LesionStatus::NotAssessed => "not_assessed",
        LesionStatus::Present => "present",
        LesionStatus::UnequivocalProgression => "unequivocal_progression",
        LesionStatus::Equivocal => "equivocal",
    }
}

/// The RECIST minimum size for a lesion to be measurable: 10 mm (15 mm short axis for
/// nodes), or twice the slice thickness when that is larger.
pub fn measurable_minimum(config: &Config, nodal: bool, slice: Option<Micrometres>) -> Micrometres {
    let recist = &config.recist;
    let floor = if nodal {
        recist.node_measurable_min
    } else {
        recist.measurable_min
    };
    let apply_slice = !nodal || recist.node_slice_rule;
    match slice {
        Some(s) if apply_slice => floor.max(Micrometres(
            s.0.saturating_mul(recist.slice_thickness_factor),
        )),
        _ => floor,
    }
}

fn check_measurable(
    ctx: &Ctx,
    baseline_label: &str,
    lesion: &Lesion,
    value: Micrometres,
    problems: &mut Vec<Problem>,
) -> Result<(), InputError> {
    let slice = match lesion.slice_thickness_mm {
        Some(v) => Some(ctx.mm(baseline_label, "slice_thickness_mm", &lesion.lesion_id, v)?),
        None => None,
    };
    let minimum = measurable_minimum(ctx.config, lesion.nodal, slice);
    if value < minimum {
        let what = if lesion.nodal {
            "short axis"
        } else {
            "long axis"
        };
        problems.push(subject_problem(
            ctx,
            "not_measurable_at_baseline",
            format!(
                "target lesion {}: baseline {what} {value} mm < measurable minimum {minimum} mm; kept as recorded",
                lesion.lesion_id
            ),
        ));
    }
    Ok(())
}

fn check_target_selection(ctx: &Ctx, targets: &[LesionRef], problems: &mut Vec<Problem>) {
    let recist = &ctx.config.recist;
    if targets.len() > recist.max_targets {
        problems.push(subject_problem(
            ctx,
            "target_selection",
            format!(
                "{} target lesions at baseline; at most {} are allowed; all are kept as recorded",
                targets.len(),
                recist.max_targets
            ),
        ));
    }
    let mut per_organ: Vec<(&str, usize)> = Vec::new();
    for organ in targets.iter().filter_map(|t| t.organ_key.as_deref()) {
        match per_organ.iter_mut().find(|(o, _)| *o == organ) {
            Some((_, n)) => *n += 1,
            None => per_organ.push((organ, 1)),
        }
    }
    per_organ.sort_unstable();
    for (organ, n) in per_organ {
        if n > recist.max_targets_per_organ {
            problems.push(subject_problem(
                ctx,
                "target_selection",
                format!(
                    "{n} target lesions in organ \"{organ}\"; at most {} per organ are allowed; all are kept as recorded",
                    recist.max_targets_per_organ
                ),
            ));
        }
    }
}
