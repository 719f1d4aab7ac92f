//! The RECIST 1.1 lesion-category rules (spec §2.4–§2.8) that iRECIST inherits:
//! the sum of diameters, the target category against baseline and nadir, the
//! non-target category, and which new lesions count. Each returns its reasons.

use crate::assessment::Rule;
use crate::bor::{self, Level, Row};
use crate::config::{Config, MissingTargetPolicy};
use crate::exact::Micrometres;
use crate::prepare::{Measure, NewStatus, NonTargetState, PreparedSubject, PreparedTimepoint};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetCategory {
    CR,
    PR,
    SD,
    PD,
    NE,
}

impl TargetCategory {
    pub fn level(self) -> Level {
        match self {
            TargetCategory::CR => Level::CR,
            TargetCategory::PR => Level::PR,
            TargetCategory::SD => Level::SD,
            TargetCategory::PD => Level::PD,
            TargetCategory::NE => Level::NE,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonTargetCategory {
    CR,
    NonCrNonPd,
    PD,
    NE,
}

/// The target sum at one timepoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TargetSum {
    /// Sum of the values that are known (and imputed, when imputation is configured).
    pub sum: Micrometres,
    /// Every target has a recorded value.
    pub complete: bool,
    /// Some missing values were imputed from earlier timepoints.
    pub imputed: bool,
    /// Number of targets without a value (before imputation).
    pub missing: usize,
}

/// Sums the targets' measures; missing ones are imputed when the policy says so.
pub fn target_sum(config: &Config, subject: &PreparedSubject, index: usize) -> TargetSum {
    let tp = &subject.timepoints[index];
    let mut sum = Micrometres::ZERO;
    let mut missing = 0;
    let mut imputed = false;
    for (k, measure) in tp.targets.iter().enumerate() {
        match measure {
            Measure::Value(v) => sum = sum + *v,
            Measure::Missing => {
                missing += 1;
                let mut prior = subject.timepoints[..index]
                    .iter()
                    .filter(|t| !t.scan_missing)
                    .filter_map(|t| match t.targets.get(k) {
                        Some(Measure::Value(v)) => Some(*v),
                        _ => None,
                    });
                let fill = match config.recist.missing_target_policy {
                    MissingTargetPolicy::Ne => None,
                    MissingTargetPolicy::ImputeLast => prior.next_back(),
                    MissingTargetPolicy::ImputeMax => prior.max(),
                };
                if let Some(v) = fill {
                    sum = sum + v;
                    imputed = true;
                }
            }
        }
    }
    TargetSum {
        sum,
        complete: missing == 0,
        imputed,
        missing,
    }
}

/// Whether `sum` meets the RECIST PD threshold over `nadir` (≥ 20 % and ≥ 5 mm).
pub fn meets_pd(config: &Config, sum: Micrometres, nadir: Micrometres) -> bool {
    let r = &config.recist;
    r.pd_rel.grown_by_at_least(sum.0, nadir.0) && sum - nadir >= r.pd_abs
}

pub fn pd_detail(config: &Config, sum: Micrometres, nadir: Micrometres, what: &str) -> String {
    let mut out = String::with_capacity(96);
    write_pd_detail(&mut out, config, sum, nadir, what);
    out
}

/// Appends "sum 80.0 mm ≥ 1.2 × nadir 50.0 mm and +30.0 mm ≥ 5.0 mm" to `out`.
pub fn write_pd_detail(
    out: &mut String,
    config: &Config,
    sum: Micrometres,
    nadir: Micrometres,
    what: &str,
) {
    use std::fmt::Write;
    let r = &config.recist;
    let grown = r.pd_rel.grown_by_at_least(sum.0, nadir.0);
    let increase = sum - nadir;
    let sign = if increase.0 >= 0 { "+" } else { "" };
    // Writing to a String cannot fail.
    let _ = write!(
        out,
        "{what} {sum} mm {} {} × nadir {nadir} mm and {sign}{increase} mm {} {} mm",
        if grown { "≥" } else { "<" },
        r.pd_rel.one_plus(),
        if increase >= r.pd_abs { "≥" } else { "<" },
        r.pd_abs
    );
}

/// The target category before sticky-PR and reappearance adjustments (spec §2.5, §2.8).
pub fn target_category(
    config: &Config,
    subject: &PreparedSubject,
    tp: &PreparedTimepoint,
    sum: &TargetSum,
    baseline: Micrometres,
    nadir: Micrometres,
    rules: &mut Vec<Rule>,
) -> TargetCategory {
    use std::fmt::Write;
    let r = &config.recist;
    let pd = meets_pd(config, sum.sum, nadir);
    if !sum.complete && !sum.imputed {
        let mut detail = String::with_capacity(160);
        let _ = write!(
            detail,
            "{} of {} targets not assessed",
            sum.missing,
            tp.targets.len()
        );
        if pd {
            detail.push_str("; ");
            write_pd_detail(&mut detail, config, sum.sum, nadir, "partial sum");
            detail.push_str(" → PD (a missing lesion cannot lower the sum)");
            rules.push(Rule::new("recist.target.pd_partial_sum", detail));
            return TargetCategory::PD;
        }
        detail.push_str(" and the partial sum does not prove PD (");
        write_pd_detail(&mut detail, config, sum.sum, nadir, "partial sum");
        detail.push_str(") → NE");
        rules.push(Rule::new("recist.target.ne_missing", detail));
        return TargetCategory::NE;
    }
    if sum.imputed {
        rules.push(Rule::new(
            "recist.missing_target_policy",
            format!(
                "{} missing target(s) imputed from earlier values (recist.missing_target_policy); sum {} mm",
                sum.missing, sum.sum
            ),
        ));
    }
    let all_normal = subject
        .targets
        .iter()
        .zip(&tp.targets)
        .all(|(t, m)| match m {
            Measure::Value(v) if t.nodal => *v < r.node_normal_below,
            Measure::Value(v) => *v == Micrometres::ZERO,
            Measure::Missing => false,
        });
    if all_normal && (r.cr_precedence || !pd) {
        let nodes = subject.targets.iter().any(|t| t.nodal);
        let detail = if nodes {
            format!(
                "every non-nodal target 0 mm and every nodal target short axis < {} mm (sum {} mm) → CR",
                r.node_normal_below, sum.sum
            )
        } else {
            "every target 0 mm → CR".to_string()
        };
        rules.push(Rule::new("recist.target.cr", detail));
        return TargetCategory::CR;
    }
    let mut detail = String::with_capacity(160);
    if pd {
        write_pd_detail(&mut detail, config, sum.sum, nadir, "sum");
        detail.push_str(" → PD");
        rules.push(Rule::new("recist.target.pd", detail));
        return TargetCategory::PD;
    }
    let pr = r.pr_rel.shrunk_by_at_least(sum.sum.0, baseline.0);
    let _ = write!(
        detail,
        "sum {} mm {} {} × baseline {baseline} mm; ",
        sum.sum,
        if pr { "≤" } else { ">" },
        r.pr_rel.one_minus()
    );
    write_pd_detail(&mut detail, config, sum.sum, nadir, "sum");
    if pr {
        detail.push_str(" → PR");
        rules.push(Rule::new("recist.target.pr", detail));
        TargetCategory::PR
    } else {
        detail.push_str(" → SD");
        rules.push(Rule::new("recist.target.sd", detail));
        TargetCategory::SD
    }
}

/// The non-target category (spec §2.6); `None` when there were no non-targets at
/// baseline. CR needs every non-target gone and every node, target or not, below 10 mm.
/// Tumour markers are not part of the timeline and are taken as normal.
pub fn non_target_category(
    config: &Config,
    subject: &PreparedSubject,
    tp: &PreparedTimepoint,
    rules: &mut Vec<Rule>,
) -> Option<NonTargetCategory> {
    if subject.non_targets.is_empty() {
        return None;
    }
    let r = &config.recist;
    let ids = |pred: &dyn Fn(&NonTargetState) -> bool| -> Vec<&str> {
        subject
            .non_targets
            .iter()
            .zip(&tp.non_targets)
            .filter(|(_, s)| pred(s))
            .map(|(l, _)| l.id.as_str())
            .collect()
    };
    let progressed = ids(&|s| *s == NonTargetState::UnequivocalProgression);
    if !progressed.is_empty() {
        rules.push(Rule::new(
            "recist.non_target.pd",
            format!(
                "unequivocal progression of non-target {} → PD",
                progressed.join(", ")
            ),
        ));
        return Some(NonTargetCategory::PD);
    }
    let unassessed = ids(&|s| *s == NonTargetState::NotAssessed);
    if !unassessed.is_empty() {
        rules.push(Rule::new(
            "recist.non_target.ne",
            format!("non-target {} not evaluated → NE", unassessed.join(", ")),
        ));
        return Some(NonTargetCategory::NE);
    }
    let normal = |nodal: bool, state: &NonTargetState| match state {
        NonTargetState::Absent => true,
        NonTargetState::Present {
            nodal_short_axis: Some(sa),
        } if nodal => *sa < r.node_normal_below,
        _ => false,
    };
    let persisting: Vec<&str> = subject
        .non_targets
        .iter()
        .zip(&tp.non_targets)
        .filter(|(l, s)| !normal(l.nodal, s))
        .map(|(l, _)| l.id.as_str())
        .collect();
    let target_nodes_normal = subject
        .targets
        .iter()
        .zip(&tp.targets)
        .all(|(t, m)| !t.nodal || matches!(m, Measure::Value(v) if *v < r.node_normal_below));
    if persisting.is_empty() && target_nodes_normal {
        rules.push(Rule::new(
            "recist.non_target.cr",
            format!(
                "every non-target gone and every node < {} mm → CR",
                r.node_normal_below
            ),
        ));
        Some(NonTargetCategory::CR)
    } else {
        let detail = if persisting.is_empty() {
            format!(
                "a target node is still ≥ {} mm → non-CR/non-PD",
                r.node_normal_below
            )
        } else {
            format!(
                "non-target {} persisting → non-CR/non-PD",
                persisting.join(", ")
            )
        };
        rules.push(Rule::new("recist.non_target.non_cr_non_pd", detail));
        Some(NonTargetCategory::NonCrNonPd)
    }
}

/// New lesions at a timepoint under RECIST 1.1: present when any unequivocal one counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NewLesionFinding {
    None,
    Present,
    Equivocal,
}

/// The RECIST new-lesion finding alone, without explanations.
pub fn new_lesion_status(tp: &PreparedTimepoint) -> NewLesionFinding {
    if tp.new_lesions.iter().any(|n| n.status.counts()) {
        NewLesionFinding::Present
    } else if tp
        .new_lesions
        .iter()
        .any(|n| n.status == NewStatus::Equivocal)
    {
        NewLesionFinding::Equivocal
    } else {
        NewLesionFinding::None
    }
}

pub fn new_lesion_finding(
    config: &Config,
    tp: &PreparedTimepoint,
    rules: &mut Vec<Rule>,
) -> NewLesionFinding {
    if tp.new_lesions.is_empty() {
        return NewLesionFinding::None;
    }
    let counting: Vec<&str> = tp
        .new_lesions
        .iter()
        .filter(|n| n.status.counts())
        .map(|n| n.id.as_str())
        .collect();
    let small_nodes: Vec<&str> = tp
        .new_lesions
        .iter()
        .filter(|n| n.status == NewStatus::BelowNodeThreshold)
        .map(|n| n.id.as_str())
        .collect();
    if !small_nodes.is_empty() {
        rules.push(Rule::new(
            "recist.new_lesion.node_below_threshold",
            format!(
                "new node {} short axis < {} mm: not a new lesion",
                small_nodes.join(", "),
                config.recist.new_node_min_sa
            ),
        ));
    }
    if !counting.is_empty() {
        rules.push(Rule::new(
            "recist.new_lesion.present",
            format!("unequivocal new lesion {} → PD", counting.join(", ")),
        ));
        return NewLesionFinding::Present;
    }
    let equivocal: Vec<&str> = tp
        .new_lesions
        .iter()
        .filter(|n| n.status == NewStatus::Equivocal)
        .map(|n| n.id.as_str())
        .collect();
    if !equivocal.is_empty() {
        rules.push(Rule::new(
            "recist.new_lesion.equivocal",
            format!(
                "equivocal new lesion {}: not PD unless a later scan confirms it",
                equivocal.join(", ")
            ),
        ));
        return NewLesionFinding::Equivocal;
    }
    NewLesionFinding::None
}

/// Sticky PR (EORTC FAQ, `recist.pr_sticky`): the day of the earlier target PR/CR that
/// keeps a later SD-sized sum at PR — confirmed first when the protocol requires
/// confirmation. `target_levels` are the target categories since the last target PD.
pub fn sticky_response_day(config: &Config, target_levels: &[Row]) -> Option<i64> {
    if !config.recist.pr_sticky {
        return None;
    }
    let responded = |l: Level| matches!(l, Level::CR | Level::PR);
    target_levels
        .iter()
        .enumerate()
        .find(|(i, r)| {
            responded(r.level)
                && (!config.recist.confirmation_required
                    || bor::confirming_row(config, target_levels, *i, responded).is_some())
        })
        .map(|(_, r)| r.day)
}

/// The target sum and category of follow-up `index` (§2.5, §2.8), sticky PR applied;
/// `None` when the subject has no target lesions.
fn assess_targets(
    config: &Config,
    subject: &PreparedSubject,
    index: usize,
    baseline: Micrometres,
    nadir: Micrometres,
    target_levels: &[Row],
    rules: &mut Vec<Rule>,
) -> (TargetSum, Option<TargetCategory>) {
    let sum = target_sum(config, subject, index);
    if subject.targets.is_empty() {
        return (sum, None);
    }
    let tp = &subject.timepoints[index];
    let mut category = target_category(config, subject, tp, &sum, baseline, nadir, rules);
    if category == TargetCategory::SD {
        if let Some(day) = sticky_response_day(config, target_levels) {
            rules.push(Rule::new(
                "recist.pr_sticky",
                format!(
                    "a target partial or complete response was assigned on day {day}{}; no target progression since → stays partial response",
                    if config.recist.confirmation_required { " and confirmed" } else { "" }
                ),
            ));
            category = TargetCategory::PR;
        }
    }
    (sum, Some(category))
}

/// The RECIST 1.1 lesion categories of one follow-up with their reasons. They are the
/// same for every RECIST-family criterion (iRECIST inherits them), so they are computed
/// once per subject.
#[derive(Debug, Clone)]
pub struct BaseCategories {
    pub sum: TargetSum,
    pub target: Option<TargetCategory>,
    pub non_target: Option<NonTargetCategory>,
    /// The nadir this timepoint was measured against.
    pub nadir: Micrometres,
    pub rules: Vec<Rule>,
}

/// Per subject: the baseline sum and, per timepoint (`None` for the baseline and for missed
/// scans), the base categories. The nadir takes complete sums only (NE partial sums
/// excluded unless `recist.nadir_excludes_ne = false`); sticky PR ends at a target PD.
pub struct Base {
    pub baseline_sum: Micrometres,
    pub rows: Vec<Option<BaseCategories>>,
}

pub fn base_categories(config: &Config, subject: &PreparedSubject) -> Base {
    let baseline_sum = target_sum(config, subject, 0).sum;
    let has_targets = !subject.targets.is_empty();
    let mut nadir = baseline_sum;
    let mut target_levels: Vec<Row> = Vec::new();
    let mut rows = Vec::with_capacity(subject.timepoints.len());
    rows.push(None);
    for (index, tp) in subject.timepoints.iter().enumerate().skip(1) {
        if tp.scan_missing {
            rows.push(None);
            continue;
        }
        let mut rules = Vec::with_capacity(4);
        let (sum, target) = assess_targets(
            config,
            subject,
            index,
            baseline_sum,
            nadir,
            &target_levels,
            &mut rules,
        );
        let non_target = non_target_category(config, subject, tp, &mut rules);
        rows.push(Some(BaseCategories {
            sum,
            target,
            non_target,
            nadir,
            rules,
        }));
        match target {
            Some(TargetCategory::PD) => target_levels.clear(),
            Some(t) => target_levels.push(Row {
                day: tp.day,
                level: t.level(),
            }),
            None => {}
        }
        let usable = sum.complete || (!config.recist.nadir_excludes_ne && !sum.imputed);
        if has_targets && usable && sum.sum < nadir {
            nadir = sum.sum;
        }
    }
    Base { baseline_sum, rows }
}
