//! Building output rows: the baseline row, the missing-scan row, and the numbers columns.

use crate::assessment::{Response, Rule, TimepointAssessment};
use crate::exact::{display_percent_change, Micrometres};
use crate::prepare::{PreparedSubject, PreparedTimepoint};

pub fn empty_row(
    tp: &PreparedTimepoint,
    overall: Response,
    rules: Vec<Rule>,
) -> TimepointAssessment {
    TimepointAssessment {
        timepoint_id: tp.id.clone(),
        day: tp.day,
        date: tp.date.clone(),
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

pub fn baseline_row(
    subject: &PreparedSubject,
    baseline_sum: Micrometres,
    sum_name: &str,
) -> TimepointAssessment {
    let tp = &subject.timepoints[0];
    let nodes = subject.targets.iter().filter(|t| t.nodal).count();
    let detail = if subject.targets.is_empty() {
        format!(
            "no target lesions; {} non-target lesion(s) at baseline",
            subject.non_targets.len()
        )
    } else {
        format!(
            "baseline {sum_name} {baseline_sum} mm over {} target lesion(s) ({} by long axis, {nodes} nodal by short axis); {} non-target lesion(s)",
            subject.targets.len(),
            subject.targets.len() - nodes,
            subject.non_targets.len()
        )
    };
    let mut row = empty_row(tp, Response::Baseline, vec![Rule::new("baseline", detail)]);
    if !subject.targets.is_empty() {
        row.target_sum_mm = Some(baseline_sum.as_mm());
        row.nadir = Some(baseline_sum.as_mm());
    }
    row
}

pub fn missing_scan_row(tp: &PreparedTimepoint) -> TimepointAssessment {
    empty_row(
        tp,
        Response::NE,
        vec![Rule::new(
            "scan.missing",
            "no imaging at this visit → NE".to_string(),
        )],
    )
}

/// Fills the sum, nadir and percent columns (percentages for display only).
pub fn set_numbers(
    row: &mut TimepointAssessment,
    sum: Micrometres,
    baseline: Micrometres,
    nadir: Micrometres,
) {
    row.target_sum_mm = Some(sum.as_mm());
    row.change_from_baseline_pct = display_percent_change(sum.0, baseline.0);
    row.nadir = Some(nadir.as_mm());
    row.change_from_nadir_pct = display_percent_change(sum.0, nadir.0);
}
