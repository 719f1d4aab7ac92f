//! Subject flags of the neuro-oncology criteria: in-field growth inside the early window
//! after radiotherapy (possible pseudo-progression), and a latest timepoint still waiting
//! for the scan that confirms progression (iRANO, RANO 2.0 preliminary progression).

use crate::assessment::{Criterion, CriterionAssessment, Flag, Response};
use crate::config::Config;
use crate::dates::parse_iso_date;
use crate::observed::format_date;

/// The rule the RANO engine puts on a row with in-field growth inside the early window.
const IN_FIELD_GROWTH: &str = "rano.early_window.in_field_growth";

pub(crate) fn neuro_flags(config: &Config, assessments: &[CriterionAssessment]) -> Vec<Flag> {
    let mut flags = Vec::new();
    for a in assessments {
        let confirm_days = match a.criterion {
            Criterion::Rano => None,
            Criterion::Irano => Some(config.irano.confirm_min_days),
            Criterion::Rano2 => Some(config.rano2.confirm_min_days),
            _ => continue,
        };
        for t in &a.timepoints {
            if t.rules.iter().any(|r| r.rule == IN_FIELD_GROWTH) {
                flags.push(Flag {
                    kind: "rano_early_window".to_string(),
                    message: format!(
                        "{}: growth inside the radiation field at {} (day {}) within {} days after radiotherapy: possible pseudo-progression",
                        a.criterion.name(),
                        t.timepoint_id,
                        t.day,
                        config.rano.early_window_days
                    ),
                });
            }
        }
        let Some(confirm_days) = confirm_days else {
            continue;
        };
        if a.timepoints.last().map(|t| t.overall) != Some(Response::PdUnconfirmed) {
            continue;
        }
        // The scan that started the pending progression: the latest unconfirmed row that
        // is not itself only waiting (missed scans in between keep it pending).
        let first = a
            .timepoints
            .iter()
            .rev()
            .take_while(|t| matches!(t.overall, Response::PdUnconfirmed | Response::NE))
            .find(|t| {
                t.overall == Response::PdUnconfirmed
                    && !t
                        .rules
                        .iter()
                        .any(|r| r.rule.ends_with(".awaiting_confirmation"))
            });
        let Some(first) = first else { continue };
        let due_day = first.day + confirm_days;
        let due_date = first
            .date
            .as_deref()
            .and_then(parse_iso_date)
            .map(|d| format!(" ({})", format_date(d + confirm_days)))
            .unwrap_or_default();
        flags.push(Flag {
            kind: "awaiting_confirmation".to_string(),
            message: format!(
                "{}: progression at {} (day {}) is unconfirmed; the confirming scan is due from day {due_day}{due_date}",
                a.criterion.name(),
                first.timepoint_id,
                first.day
            ),
        });
    }
    flags
}
