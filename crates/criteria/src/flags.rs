//! Cross-criterion findings per subject (schema `subject.flags`).
//!
//! [`cross_criterion_flags`] collects from a list of per-family functions ([`FAMILIES`]);
//! a new family (e.g. the neuro-oncology flags of RANO / iRANO) adds its function there.
//! Kinds produced here:
//!
//! * `pseudoprogression`: RECIST 1.1 progressed, and an immune criterion (iRECIST, irRC,
//!   irRECIST, imRECIST, iRANO) shows response or stability at a later timepoint instead
//!   of confirmed progression; one flag per immune criterion.
//! * `awaiting_confirmation`: a criterion's latest evaluable timepoint is an unconfirmed
//!   progression (iUPD; irRC / irRECIST irPD; imRECIST PD with `confirmed = false`); the
//!   message gives the day (and date) from which, or window in which, the confirming scan
//!   is due by that criterion's configuration. Criteria plug in through [`AWAITING`].
//! * `discordant_progression_date`: a criterion dates progression more than one visit
//!   away from RECIST 1.1, i.e. the two progression timepoints are neither the same nor
//!   adjacent timepoints of the subject. Each criterion is compared with RECIST 1.1 (the
//!   reference every core lab reports), not every pair with each other.

use crate::assessment::{Criterion, CriterionAssessment, Flag, Response, TimepointAssessment};
use crate::config::Config;
use crate::dates::{format_iso_date, parse_iso_date};

/// One family of flags: reads the subject's assessments, appends its flags.
pub type FlagFamily = fn(&Config, &[CriterionAssessment], &mut Vec<Flag>);

/// Every family, in output order.
pub const FAMILIES: &[FlagFamily] = &[
    pseudoprogression,
    awaiting_confirmation,
    discordant_progression_date,
];

pub fn cross_criterion_flags(config: &Config, assessments: &[CriterionAssessment]) -> Vec<Flag> {
    let mut flags = Vec::new();
    for family in FAMILIES {
        family(config, assessments, &mut flags);
    }
    flags
}

/// The criteria built for immunotherapy, whose later response can expose a RECIST 1.1
/// progression as pseudo-progression.
const IMMUNE: [Criterion; 5] = [
    Criterion::Irecist,
    Criterion::Irrc,
    Criterion::Irrecist,
    Criterion::Imrecist,
    Criterion::Irano,
];

fn recist(assessments: &[CriterionAssessment]) -> Option<&CriterionAssessment> {
    assessments
        .iter()
        .find(|a| a.criterion == Criterion::Recist11)
}

/// Response or stability, in any criterion's spelling.
fn is_benefit(response: Response) -> bool {
    matches!(
        response,
        Response::CR
            | Response::PR
            | Response::SD
            | Response::NonCrNonPd
            | Response::ICR
            | Response::IPR
            | Response::ISD
            | Response::NonICrNonIUpd
            | Response::IrCR
            | Response::IrPR
            | Response::IrSD
    )
}

fn pseudoprogression(_: &Config, assessments: &[CriterionAssessment], flags: &mut Vec<Flag>) {
    let Some(recist_pd) = recist(assessments).and_then(|r| r.progression.as_ref()) else {
        return;
    };
    for immune in assessments.iter().filter(|a| IMMUNE.contains(&a.criterion)) {
        let later_benefit = immune
            .timepoints
            .iter()
            .find(|t| t.day > recist_pd.day && is_benefit(t.overall));
        if let Some(tp) = later_benefit {
            flags.push(Flag {
                kind: "pseudoprogression".to_string(),
                message: format!(
                    "RECIST 1.1 progression at {} (day {}), but {} shows {} at {} (day {})",
                    recist_pd.timepoint_id,
                    recist_pd.day,
                    immune.criterion.name(),
                    tp.overall,
                    tp.timepoint_id,
                    tp.day
                ),
            });
        }
    }
}

/// An unconfirmed progression and when its confirming scan is due.
pub struct Awaiting<'a> {
    /// The first scan of the unconfirmed progression.
    pub since: &'a TimepointAssessment,
    /// The earliest day a confirming scan counts.
    pub due_from_day: i64,
    /// The day by which it should be done, when the criterion has a window.
    pub due_by_day: Option<i64>,
}

/// Per criterion: the pending progression of its latest evaluable timepoint, if any.
pub type AwaitingFn = for<'a> fn(&Config, &'a CriterionAssessment) -> Option<Awaiting<'a>>;

pub const AWAITING: &[(Criterion, AwaitingFn)] = &[
    (Criterion::Irecist, irecist_awaiting),
    (Criterion::Irrc, irrc_awaiting),
    (Criterion::Irrecist, irrecist_awaiting),
    (Criterion::Imrecist, imrecist_awaiting),
];

/// The first row of the trailing run of rows that are `pending` (NE rows in between and
/// after are skipped: they keep a progression pending).
fn trailing_run(
    assessment: &CriterionAssessment,
    pending: impl Fn(&TimepointAssessment) -> bool,
) -> Option<&TimepointAssessment> {
    let mut first = None;
    for row in assessment.timepoints.iter().skip(1).rev() {
        if row.overall == Response::NE {
            continue;
        }
        if pending(row) {
            first = Some(row);
        } else {
            break;
        }
    }
    first
}

fn irecist_awaiting<'a>(config: &Config, a: &'a CriterionAssessment) -> Option<Awaiting<'a>> {
    let since = trailing_run(a, |r| r.overall == Response::IUPD)?;
    let (from, by) = config.irecist.confirm_window_days;
    Some(Awaiting {
        since,
        due_from_day: since.day + from,
        due_by_day: Some(since.day + by),
    })
}

/// irRC, irRECIST, imRECIST: an unconfirmed progression row (`confirmed = false`).
fn burden_awaiting<'a>(
    a: &'a CriterionAssessment,
    pd: Response,
    min_days: i64,
) -> Option<Awaiting<'a>> {
    let since = trailing_run(a, |r| r.overall == pd && r.confirmed == Some(false))?;
    Some(Awaiting {
        since,
        due_from_day: since.day + min_days,
        due_by_day: None,
    })
}

fn irrc_awaiting<'a>(config: &Config, a: &'a CriterionAssessment) -> Option<Awaiting<'a>> {
    burden_awaiting(a, Response::IrPD, config.irrc.pd_confirm_min_days)
}

fn irrecist_awaiting<'a>(config: &Config, a: &'a CriterionAssessment) -> Option<Awaiting<'a>> {
    burden_awaiting(a, Response::IrPD, config.irrecist.pd_confirm_min_days)
}

fn imrecist_awaiting<'a>(config: &Config, a: &'a CriterionAssessment) -> Option<Awaiting<'a>> {
    burden_awaiting(a, Response::PD, config.imrecist.pd_confirm_min_days)
}

/// "day 140 (2025-05-21)", or "day 140" when the row has no date.
fn day_and_date(row: &TimepointAssessment, day: i64) -> String {
    match row.date.as_deref().and_then(parse_iso_date) {
        Some(date) => format!("day {day} ({})", format_iso_date(date + day - row.day)),
        None => format!("day {day}"),
    }
}

fn awaiting_confirmation(
    config: &Config,
    assessments: &[CriterionAssessment],
    flags: &mut Vec<Flag>,
) {
    for assessment in assessments {
        let Some((_, find)) = AWAITING.iter().find(|(c, _)| *c == assessment.criterion) else {
            continue;
        };
        let Some(awaiting) = find(config, assessment) else {
            continue;
        };
        let since = awaiting.since;
        let due = match awaiting.due_by_day {
            Some(by) => format!(
                "due from {} to {}",
                day_and_date(since, awaiting.due_from_day),
                day_and_date(since, by)
            ),
            None => format!("due from {}", day_and_date(since, awaiting.due_from_day)),
        };
        flags.push(Flag {
            kind: "awaiting_confirmation".to_string(),
            message: format!(
                "{}: {} at {} (day {}) is not confirmed yet; confirming scan {due}",
                assessment.criterion.name(),
                since.overall,
                since.timepoint_id,
                since.day
            ),
        });
    }
}

/// Position of a timepoint among the subject's timepoints: the longest row list holds
/// every timepoint up to the latest end of assessment, so it holds both progression dates.
fn visit_position(assessments: &[CriterionAssessment], id: &str, day: i64) -> Option<usize> {
    let rows = assessments
        .iter()
        .map(|a| &a.timepoints)
        .max_by_key(|t| t.len())?;
    rows.iter()
        .position(|t| t.timepoint_id == id && t.day == day)
}

fn discordant_progression_date(
    _: &Config,
    assessments: &[CriterionAssessment],
    flags: &mut Vec<Flag>,
) {
    let Some(recist_pd) = recist(assessments).and_then(|r| r.progression.as_ref()) else {
        return;
    };
    let Some(recist_at) = visit_position(assessments, &recist_pd.timepoint_id, recist_pd.day)
    else {
        return;
    };
    for other in assessments
        .iter()
        .filter(|a| a.criterion != Criterion::Recist11)
    {
        let Some(p) = &other.progression else {
            continue;
        };
        let Some(at) = visit_position(assessments, &p.timepoint_id, p.day) else {
            continue;
        };
        if at.abs_diff(recist_at) > 1 {
            flags.push(Flag {
                kind: "discordant_progression_date".to_string(),
                message: format!(
                    "RECIST 1.1 progression on day {} ({}), {} on day {} ({}): {} visits apart",
                    recist_pd.day,
                    recist_pd.timepoint_id,
                    other.criterion.name(),
                    p.day,
                    p.timepoint_id,
                    at.abs_diff(recist_at)
                ),
            });
        }
    }
}
