//! RECIST 1.1 (Eisenhauer 2009; spec §2): timepoint responses with their reasons, both
//! best overall responses, and the date of progression.

use crate::assessment::{Criterion, CriterionAssessment, NewLesions, Progression, Response, Rule};
use crate::bor::{self, Level, Row};
use crate::categories::{
    new_lesion_finding, Base, NewLesionFinding, NonTargetCategory, TargetCategory,
};
use crate::config::Config;
use crate::exact::Micrometres;
use crate::prepare::{Measure, NewStatus, NonTargetState, PreparedSubject};
use crate::rows::{baseline_row, missing_scan_row, set_numbers};

pub fn assess(config: &Config, subject: &PreparedSubject, base: &Base) -> CriterionAssessment {
    let baseline_sum = base.baseline_sum;
    let has_targets = !subject.targets.is_empty();
    let mut out = vec![baseline_row(subject, baseline_sum, "sum of diameters")];
    // Follow-up rows only, for confirmation and BOR.
    let mut levels: Vec<Row> = Vec::new();
    let mut progression = None;

    for index in 1..subject.timepoints.len() {
        let tp = &subject.timepoints[index];
        let Some(categories) = &base.rows[index] else {
            out.push(missing_scan_row(tp));
            levels.push(Row {
                day: tp.day,
                level: Level::NE,
            });
            continue;
        };
        let mut rules = categories.rules.clone();
        let (sum, nadir) = (categories.sum, categories.nadir);
        let mut target = categories.target;
        let mut non_target = categories.non_target;
        if config.recist.reappearance_after_confirmed_cr_is_pd
            && confirmed_cr_before(config, &levels)
        {
            let (target_back, non_target_back) = reappearance(config, subject, index);
            if !target_back.is_empty() && target.is_some() {
                rules.push(Rule::new(
                    "recist.reappearance_after_confirmed_cr",
                    format!(
                        "target {} reappeared after a confirmed CR → PD",
                        target_back.join(", ")
                    ),
                ));
                target = Some(TargetCategory::PD);
            }
            if !non_target_back.is_empty() && non_target.is_some() {
                rules.push(Rule::new(
                    "recist.reappearance_after_confirmed_cr",
                    format!(
                        "non-target {} reappeared after a confirmed CR → PD",
                        non_target_back.join(", ")
                    ),
                ));
                non_target = Some(NonTargetCategory::PD);
            }
        }
        let new = new_lesion_finding(config, tp, &mut rules);
        let overall = overall_response(target, non_target, new, &mut rules);

        let mut row = missing_scan_row(tp);
        row.overall = overall;
        row.target = target.map(target_response);
        row.non_target = non_target.map(non_target_response);
        row.new_lesions = Some(new_lesions_value(new));
        if has_targets && (sum.complete || sum.imputed) {
            set_numbers(&mut row, sum.sum, baseline_sum, nadir);
        } else if has_targets {
            row.nadir = Some(nadir.as_mm());
        }
        row.rules = rules;

        levels.push(Row {
            day: tp.day,
            level: level_of(overall),
        });
        if overall == Response::PD {
            let (first_seen, backdate_rule) = first_sighting(subject, index);
            if let Some(rule) = backdate_rule {
                row.rules.push(rule);
            }
            let at = &subject.timepoints[first_seen];
            progression = Some(Progression {
                timepoint_id: at.id.clone(),
                day: at.day,
                date: at.date.clone(),
            });
            out.push(row);
            break; // RECIST stops at the first progression (spec §2.12).
        }
        out.push(row);
    }

    let confirmed = bor::confirmed_flags(config, &levels);
    for (row, flag) in out[1..].iter_mut().zip(confirmed) {
        row.confirmed = flag;
    }
    let best = bor::best_unconfirmed(config, &levels, subject.sd_anchor_day);
    let mut best_confirmed =
        bor::best_confirmed(config, &levels, subject.sd_anchor_day, has_targets);
    if best_confirmed == Level::NE && bor::cr_followed_by_sd(&levels) {
        best_confirmed = Level::PD;
    }
    CriterionAssessment {
        criterion: Criterion::Recist11,
        timepoints: out,
        best_overall_response: response_of(best),
        confirmed_best_overall_response: response_of(best_confirmed),
        progression,
    }
}

fn confirmed_cr_before(config: &Config, levels: &[Row]) -> bool {
    levels.iter().enumerate().any(|(i, r)| {
        r.level == Level::CR && bor::confirming_row(config, levels, i, |l| l == Level::CR).is_some()
    })
}

/// Lesions present again after a CR (at a CR every non-nodal lesion was 0, every node < 10 mm).
fn reappearance(
    config: &Config,
    subject: &PreparedSubject,
    index: usize,
) -> (Vec<String>, Vec<String>) {
    let tp = &subject.timepoints[index];
    let normal_below = config.recist.node_normal_below;
    let targets = subject
        .targets
        .iter()
        .zip(&tp.targets)
        .filter(|(t, m)| match m {
            Measure::Value(v) if t.nodal => *v >= normal_below,
            Measure::Value(v) => *v > Micrometres::ZERO,
            Measure::Missing => false,
        })
        .map(|(t, _)| t.id.clone())
        .collect();
    let non_targets = subject
        .non_targets
        .iter()
        .zip(&tp.non_targets)
        .filter(|(l, s)| match s {
            NonTargetState::Absent | NonTargetState::NotAssessed => false,
            NonTargetState::Present {
                nodal_short_axis: Some(sa),
            } if l.nodal => *sa >= normal_below,
            _ => true,
        })
        .map(|(l, _)| l.id.clone())
        .collect();
    (targets, non_targets)
}

/// PD is dated to the scan where an equivocal new lesion, later confirmed, was first seen.
fn first_sighting(subject: &PreparedSubject, index: usize) -> (usize, Option<Rule>) {
    let tp = &subject.timepoints[index];
    let mut earliest = index;
    let mut which = None;
    for lesion in tp.new_lesions.iter().filter(|n| n.status.counts()) {
        let seen = (1..index).find(|&i| {
            subject.timepoints[i]
                .new_lesions
                .iter()
                .any(|n| n.id == lesion.id && n.status == NewStatus::Equivocal)
        });
        if let Some(i) = seen.filter(|i| *i < earliest) {
            earliest = i;
            which = Some(lesion.id.clone());
        }
    }
    let rule = which.map(|id| {
        let at = &subject.timepoints[earliest];
        Rule::new(
            "recist.new_lesion.backdated",
            format!(
                "new lesion {id} was equivocal at {} (day {}) and is now unequivocal → progression dated to {}",
                at.id, at.day, at.id
            ),
        )
    });
    (earliest, rule)
}

/// Spec §2.9, Table A (target disease at baseline) and Table B (non-target only).
fn overall_response(
    target: Option<TargetCategory>,
    non_target: Option<NonTargetCategory>,
    new: NewLesionFinding,
    rules: &mut Vec<Rule>,
) -> Response {
    let t = target
        .map(|t| target_response(t).as_str())
        .unwrap_or("none");
    let nt = non_target
        .map(|n| non_target_response(n).as_str())
        .unwrap_or("none");
    let nl = match new {
        NewLesionFinding::Present => "yes",
        _ => "no",
    };
    let (table, overall) = match target {
        _ if target == Some(TargetCategory::PD)
            || non_target == Some(NonTargetCategory::PD)
            || new == NewLesionFinding::Present =>
        {
            (if target.is_some() { "A" } else { "B" }, Response::PD)
        }
        Some(TargetCategory::NE) => ("A", Response::NE),
        Some(TargetCategory::CR) => match non_target {
            None | Some(NonTargetCategory::CR) => ("A", Response::CR),
            _ => ("A", Response::PR),
        },
        Some(TargetCategory::PR) => ("A", Response::PR),
        Some(TargetCategory::SD) => ("A", Response::SD),
        Some(TargetCategory::PD) => ("A", Response::PD),
        None => match non_target {
            Some(NonTargetCategory::CR) => ("B", Response::CR),
            Some(NonTargetCategory::NonCrNonPd) => ("B", Response::NonCrNonPd),
            Some(NonTargetCategory::NE) => ("B", Response::NE),
            Some(NonTargetCategory::PD) => ("B", Response::PD),
            None => ("B", Response::NE),
        },
    };
    let detail = if target.is_none() && non_target.is_none() {
        format!("no target or non-target disease at baseline; new lesions {nl} → {overall}")
    } else {
        format!("target {t}, non-target {nt}, new lesions {nl} → {overall}")
    };
    rules.push(Rule::new(
        if table == "A" {
            "recist.overall.table_a"
        } else {
            "recist.overall.table_b"
        },
        detail,
    ));
    overall
}

fn target_response(t: TargetCategory) -> Response {
    match t {
        TargetCategory::CR => Response::CR,
        TargetCategory::PR => Response::PR,
        TargetCategory::SD => Response::SD,
        TargetCategory::PD => Response::PD,
        TargetCategory::NE => Response::NE,
    }
}

fn non_target_response(n: NonTargetCategory) -> Response {
    match n {
        NonTargetCategory::CR => Response::CR,
        NonTargetCategory::NonCrNonPd => Response::NonCrNonPd,
        NonTargetCategory::PD => Response::PD,
        NonTargetCategory::NE => Response::NE,
    }
}

pub fn new_lesions_value(new: NewLesionFinding) -> NewLesions {
    match new {
        NewLesionFinding::None => NewLesions::None,
        NewLesionFinding::Present => NewLesions::Present,
        NewLesionFinding::Equivocal => NewLesions::Equivocal,
    }
}

fn level_of(response: Response) -> Level {
    match response {
        Response::CR => Level::CR,
        Response::PR => Level::PR,
        Response::SD => Level::SD,
        Response::NonCrNonPd => Level::NonCrNonPd,
        Response::PD => Level::PD,
        _ => Level::NE,
    }
}

fn response_of(level: Level) -> Response {
    match level {
        Level::CR => Response::CR,
        Level::PR => Response::PR,
        Level::SD => Response::SD,
        Level::NonCrNonPd => Response::NonCrNonPd,
        Level::PD | Level::UnconfirmedPd => Response::PD,
        Level::NE => Response::NE,
    }
}
