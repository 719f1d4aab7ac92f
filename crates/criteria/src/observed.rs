//! The raw timeline of one subject in assessment order, for the criteria that read lesion
//! fields beyond the RECIST measure (RANO family: both diameters, radiation field and
//! clinical data; mRECIST: viable diameter; Choi: attenuation; PERCIST: SULpeak).
//!
//! Built once per subject and shared by those criteria. It deliberately does not run the
//! RECIST preparation, so RECIST measurability rules and input requirements (a baseline
//! long axis for every target) do not apply to these criteria.

use crate::assessment::{Response, Rule, TimepointAssessment};
use crate::config::{Config, MeasurementRounding, SdAnchor};
use crate::dates::parse_iso_date;
use crate::error::InputError;
use crate::exact::Micrometres;
use crate::prepare::{ordered_timepoints, problem_for, timepoint_label};
use crate::timeline::{Disease, Lesion, Problem, Role, ScanStatus, Subject, Timepoint};

/// One timepoint: its label, day since the baseline scan, the raw record, and its
/// lesions in id order (so no result depends on the order of the input).
pub(crate) struct ObservedTimepoint<'a> {
    pub id: String,
    pub day: i64,
    pub tp: &'a Timepoint,
    pub lesions: Vec<&'a Lesion>,
}

impl<'a> ObservedTimepoint<'a> {
    pub fn missing(&self) -> bool {
        self.tp.scan == ScanStatus::Missing
    }

    /// The lesion with this id at this timepoint.
    pub fn lesion(&self, id: &str) -> Option<&'a Lesion> {
        self.lesions
            .binary_search_by(|l| l.lesion_id.as_str().cmp(id))
            .ok()
            .map(|i| self.lesions[i])
    }

    /// The new lesions (role `new`) at this timepoint.
    pub fn new_lesions(&self) -> impl Iterator<Item = &'a Lesion> + '_ {
        self.lesions.iter().copied().filter(|l| l.role == Role::New)
    }
}

pub(crate) struct Observed<'a> {
    pub subject: &'a Subject,
    /// Baseline first, then the follow-ups after it in day order.
    pub timepoints: Vec<ObservedTimepoint<'a>>,
    /// The baseline's day in the document's own day numbers (0 when only dates are given).
    baseline_day: i64,
    /// The baseline's calendar date as a day number, when it has a date.
    baseline_date: Option<i64>,
}

impl<'a> Observed<'a> {
    pub fn build(
        subject: &'a Subject,
        config: &Config,
        problems: &mut Vec<Problem>,
    ) -> Result<Observed<'a>, InputError> {
        let (baseline, order) = ordered_timepoints(subject, config)?;
        let baseline_tp = &subject.timepoints[baseline];
        let baseline_day = baseline_tp.day.unwrap_or(0);
        let baseline_label = timepoint_label(baseline_tp, baseline);
        let mut timepoints = Vec::with_capacity(order.len());
        // Each lesion's role where it was first seen: roles must not change (as in the
        // RECIST preparation, so every criterion reads the same input contract).
        let mut roles: Vec<(&str, Role, usize)> = Vec::with_capacity(16);
        for (index, day) in order {
            let tp = &subject.timepoints[index];
            let id = timepoint_label(tp, index);
            let mut lesions: Vec<&Lesion> = tp.lesions.iter().collect();
            lesions.sort_by(|a, b| a.lesion_id.cmp(&b.lesion_id));
            let error = |field: &str, message: String| {
                InputError::subject(&subject.subject_id, Some(&id), field, message)
            };
            if let Some(pair) = lesions
                .windows(2)
                .find(|p| p[0].lesion_id == p[1].lesion_id)
            {
                return Err(error(
                    "lesion_id",
                    format!("lesion {} is listed twice", pair[0].lesion_id),
                ));
            }
            for lesion in &lesions {
                let lid = lesion.lesion_id.as_str();
                match roles.iter().find(|(known, _, _)| *known == lid) {
                    Some((_, role, first)) if *role != lesion.role => {
                        let first = timepoint_label(&subject.timepoints[*first], *first);
                        return Err(error(
                            "role",
                            format!(
                                "lesion {lid} changes role from {} (at {first}) to {}",
                                role.as_str(),
                                lesion.role.as_str()
                            ),
                        ));
                    }
                    Some(_) => {}
                    None => roles.push((lid, lesion.role, index)),
                }
            }
            if index != baseline && day <= baseline_day {
                // Same wording as the RECIST preparation, so the problem is listed once.
                push_once(
                    problems,
                    problem_for(
                        &subject.subject_id,
                        "before_baseline",
                        format!(
                            "timepoint {id} (day {day}) is not after the baseline {baseline_label}; it is not assessed"
                        ),
                    ),
                );
                continue;
            }
            timepoints.push(ObservedTimepoint {
                id,
                day: day - baseline_day,
                tp,
                lesions,
            });
        }
        Ok(Observed {
            subject,
            timepoints,
            baseline_day,
            baseline_date: baseline_tp.date.as_deref().and_then(parse_iso_date),
        })
    }

    /// A context day (`*_day`, in the document's day numbers) or date, as days since the
    /// baseline scan. `None` when neither is given or the date cannot be placed.
    pub fn context_day(&self, day: Option<i64>, date: Option<&str>) -> Option<i64> {
        if let Some(day) = day {
            return Some(day - self.baseline_day);
        }
        Some(parse_iso_date(date?)? - self.baseline_date?)
    }

    /// The day the SD minimum duration is counted from (`recist.sd_anchor`); a missing
    /// therapy start falls back to the baseline scan.
    pub fn sd_anchor_day(&self, config: &Config) -> i64 {
        match config.recist.sd_anchor {
            SdAnchor::BaselineScan => 0,
            SdAnchor::TherapyStart => {
                let context = self.subject.context.as_ref();
                self.context_day(
                    context.and_then(|c| c.therapy_start_day),
                    context.and_then(|c| c.therapy_start_date.as_deref()),
                )
                .unwrap_or(0)
            }
        }
    }

    /// Whether any lesion of any timepoint satisfies `test`.
    pub fn any_lesion(&self, test: impl Fn(&Lesion) -> bool) -> bool {
        self.timepoints
            .iter()
            .any(|t| t.lesions.iter().any(|l| test(l)))
    }

    pub fn disease(&self) -> Option<Disease> {
        self.subject.context.as_ref().and_then(|c| c.disease)
    }

    pub fn problem(&self, problems: &mut Vec<Problem>, kind: &str, message: String) {
        push_once(
            problems,
            problem_for(&self.subject.subject_id, kind, message),
        );
    }
}

/// Adds a problem unless the same one is already listed (several criteria of one subject
/// may find the same gap in the input).
pub(crate) fn push_once(problems: &mut Vec<Problem>, problem: Problem) {
    if !problems.contains(&problem) {
        problems.push(problem);
    }
}

/// A recorded length in exact micrometres, honouring `measurement_rounding`; `None` for
/// values that are not lengths.
pub(crate) fn length(config: &Config, mm: Option<f64>) -> Option<Micrometres> {
    let m = Micrometres::from_mm(mm?)?;
    Some(match config.measurement_rounding {
        MeasurementRounding::None => m,
        MeasurementRounding::NearestMm => m.rounded_to_mm(),
    })
}

/// A recorded quantity (HU, SUL, mg) as an exact integer count of `1/scale` units, rounded
/// to the nearest unit — far below any recorded precision, so 2.3 SUL is exactly 23 000
/// ten-thousandths and binary-fraction noise never reaches a threshold decision.
pub(crate) fn exact_units(value: Option<f64>, scale: i64) -> Option<i64> {
    let v = value?;
    if !v.is_finite() || v.abs() > 1.0e12 {
        return None;
    }
    Some((v * scale as f64).round() as i64)
}

/// A count of `1/scale` units displayed as a plain decimal without trailing zeros
/// ("2.3", "-12.5", "0"); for explanations only.
pub(crate) struct Units {
    pub value: i64,
    pub scale: i64,
}

impl std::fmt::Display for Units {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sign = if self.value < 0 { "-" } else { "" };
        let abs = self.value.unsigned_abs();
        let scale = self.scale.max(1) as u64;
        let mut frac = abs % scale;
        let mut digits = scale.ilog10() as usize;
        if frac == 0 {
            return write!(f, "{sign}{}", abs / scale);
        }
        while frac.is_multiple_of(10) {
            frac /= 10;
            digits -= 1;
        }
        write!(f, "{sign}{}.{frac:0digits$}", abs / scale)
    }
}

/// An area in µm² as mm² for the `burden_mm2` column.
pub(crate) fn mm2(area: i128) -> f64 {
    area as f64 / 1.0e6
}

/// An area in µm² displayed in mm² with up to six decimals ("1200.0", "400.25").
pub(crate) struct Area(pub i128);

impl std::fmt::Display for Area {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let whole = abs / 1_000_000;
        let mut frac = abs % 1_000_000;
        if frac == 0 {
            return write!(f, "{sign}{whole}.0");
        }
        let mut digits = 6;
        while frac.is_multiple_of(10) {
            frac /= 10;
            digits -= 1;
        }
        write!(f, "{sign}{whole}.{frac:0digits$}")
    }
}

/// A row with only the identity columns filled.
pub(crate) fn blank_row(
    tp: &ObservedTimepoint,
    overall: Response,
    rules: Vec<Rule>,
) -> TimepointAssessment {
    TimepointAssessment {
        timepoint_id: tp.id.clone(),
        day: tp.day,
        date: tp.tp.date.clone(),
        overall,
        target: None,
        non_target: None,
        new_lesions: None,
        target_sum_mm: None,
        burden_mm2: None,
        change_from_baseline_pct: None,
        nadir: None,
        change_from_nadir_pct: None,
        confirmed: None,
        rules,
    }
}

pub(crate) fn missing_scan_row(tp: &ObservedTimepoint) -> TimepointAssessment {
    blank_row(
        tp,
        Response::NE,
        vec![Rule::new(
            "scan.missing",
            "no imaging at this visit → NE".to_string(),
        )],
    )
}

/// `YYYY-MM-DD` of a day number since 1970-01-01 (inverse of [`parse_iso_date`]; the
/// era-based civil-from-days algorithm, years starting in March).
pub(crate) fn format_date(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// Where a criterion reports its problems: the subject's list when the subject carries any
/// of the criterion's inputs (or its disease context), else nowhere. A plain RECIST
/// timeline assessed under `all` then lists no "missing mean_hu" and the like, while a
/// GIST subject with one missing `mean_hu` does.
pub(crate) fn problem_sink<'p>(
    applicable: bool,
    problems: &'p mut Vec<Problem>,
    unreported: &'p mut Vec<Problem>,
) -> &'p mut Vec<Problem> {
    if applicable {
        problems
    } else {
        unreported
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    #[test]
    fn dates_round_trip_across_leap_days() -> TestResult {
        // 2024-02-28 + 1 day is the leap day; + 2 days is 1 March (counted by hand).
        let base = parse_iso_date("2024-02-28").ok_or("2024-02-28 should parse")?;
        assert_eq!(format_date(base + 1), "2024-02-29");
        assert_eq!(format_date(base + 2), "2024-03-01");
        assert_eq!(format_date(0), "1970-01-01");
        assert_eq!(format_date(-1), "1969-12-31");
        Ok(())
    }

    #[test]
    fn exact_units_remove_binary_noise() {
        // 2.3 is 2.29999999999999982236431605997495353221893310546875 in binary.
        assert_eq!(exact_units(Some(2.3), 10_000), Some(23_000));
        assert_eq!(exact_units(Some(-12.5), 1000), Some(-12_500));
        assert_eq!(exact_units(Some(f64::NAN), 1000), None);
        assert_eq!(
            Units {
                value: 23_000,
                scale: 10_000
            }
            .to_string(),
            "2.3"
        );
        assert_eq!(
            Units {
                value: -500,
                scale: 1000
            }
            .to_string(),
            "-0.5"
        );
        assert_eq!(Area(1_200_000_000).to_string(), "1200.0");
        assert_eq!(Area(400_250_000).to_string(), "400.25");
    }
}
