//! mRECIST for hepatocellular carcinoma (Lencioni & Llovet 2010; spec §8.1, `[U]`):
//! RECIST 1.1 on the longest diameter of the viable (arterially enhancing) tumour,
//! `viable_long_axis_mm` (nodal targets keep their short axis). CR: no viable tumour in
//! any target; PR: sum ≤ 70 % of baseline; PD: sum ≥ 120 % of the nadir and at least
//! `mrecist.pd_abs_mm` (0 in the original) above it. Non-target and overall tables as RECIST.

use serde_json::Value;
use std::fmt::Write;

use crate::assessment::{Criterion, CriterionAssessment, NewLesions, Progression, Response, Rule};
use crate::bor::{self, Level, Row};
use crate::config::{fraction, fraction_below_one, fraction_json, millimetres, number_mm, Config};
use crate::error::ConfigError;
use crate::exact::{display_percent_change, Fraction, Micrometres};
use crate::lesion_tables::{non_target_category, overall_without_progression};
use crate::observed::{
    blank_row, length, missing_scan_row, problem_sink, Observed, ObservedTimepoint,
};
use crate::timeline::{Disease, Lesion, LesionStatus, Problem, Role};

#[derive(Debug, Clone, PartialEq)]
pub struct MrecistConfig {
    pub pd_rel: Fraction,
    pub pd_abs: Micrometres,
    pub pr_rel: Fraction,
    pub measurable_min: Micrometres,
}

impl Default for MrecistConfig {
    fn default() -> Self {
        MrecistConfig {
            pd_rel: Fraction { num: 2, den: 10 },
            pd_abs: Micrometres(0),
            pr_rel: Fraction { num: 3, den: 10 },
            measurable_min: Micrometres(10_000),
        }
    }
}

pub const KEYS: &[&str] = &[
    "mrecist.pd_rel",
    "mrecist.pd_abs_mm",
    "mrecist.pr_rel",
    "mrecist.measurable_min_mm",
];

impl MrecistConfig {
    pub fn set(&mut self, key: &str, value: &Value) -> Result<(), ConfigError> {
        match key {
            "mrecist.pd_rel" => self.pd_rel = fraction(key, value)?,
            "mrecist.pd_abs_mm" => self.pd_abs = millimetres(key, value)?,
            "mrecist.pr_rel" => self.pr_rel = fraction_below_one(key, value)?,
            "mrecist.measurable_min_mm" => self.measurable_min = millimetres(key, value)?,
            _ => return Err(ConfigError::UnknownKey(key.to_string())),
        }
        Ok(())
    }

    pub fn effective(&self, out: &mut Vec<(&'static str, Value)>) {
        out.extend([
            ("mrecist.pd_rel", fraction_json(self.pd_rel)),
            ("mrecist.pd_abs_mm", number_mm(self.pd_abs)),
            ("mrecist.pr_rel", fraction_json(self.pr_rel)),
            ("mrecist.measurable_min_mm", number_mm(self.measurable_min)),
        ]);
    }
}

/// The mRECIST measure of a target at one scan: viable long axis (nodes: short axis).
fn viable(config: &Config, lesion: Option<&Lesion>) -> Option<Micrometres> {
    let lesion = lesion?;
    if lesion.coalesced_into.is_some() {
        return Some(Micrometres::ZERO);
    }
    match lesion.status {
        Some(LesionStatus::Absent) => return Some(Micrometres::ZERO),
        Some(LesionStatus::TooSmall) => return Some(config.recist.too_small_value),
        Some(LesionStatus::NotAssessed) => return None,
        _ => {}
    }
    if lesion.nodal {
        length(config, lesion.short_axis_mm)
    } else {
        length(config, lesion.viable_long_axis_mm)
    }
}

fn field(lesion: &Lesion) -> &'static str {
    if lesion.nodal {
        "short_axis_mm"
    } else {
        "viable_long_axis_mm"
    }
}

pub fn assess(
    config: &Config,
    observed: &Observed,
    problems: &mut Vec<Problem>,
) -> CriterionAssessment {
    // Problems concern an HCC subject, or one without a disease that has the inputs.
    let applicable = match observed.disease() {
        Some(disease) => disease == Disease::Hcc,
        None => observed.any_lesion(|l| l.viable_long_axis_mm.is_some()),
    };
    let mut unreported = Vec::new();
    let problems = problem_sink(applicable, problems, &mut unreported);
    let mc = &config.mrecist;
    let tps = &observed.timepoints;
    let baseline_lesions: Vec<&Lesion> = tps[0]
        .lesions
        .iter()
        .copied()
        .filter(|l| l.role != Role::New)
        .collect();
    let targets: Vec<&Lesion> = baseline_lesions
        .iter()
        .copied()
        .filter(|l| l.role == Role::Target)
        .collect();
    let non_targets: Vec<&Lesion> = baseline_lesions
        .iter()
        .copied()
        .filter(|l| l.role == Role::NonTarget)
        .collect();

    let mut baseline = Micrometres::ZERO;
    let mut unmeasured: Vec<&str> = Vec::new();
    for t in &targets {
        match viable(config, Some(t)).filter(|v| *v > Micrometres::ZERO) {
            Some(v) => {
                if !t.nodal && v < mc.measurable_min {
                    observed.problem(
                        problems,
                        "mrecist_not_measurable_at_baseline",
                        format!(
                            "mRECIST: target {} viable diameter {v} mm < {} mm at baseline; kept as recorded",
                            t.lesion_id, mc.measurable_min
                        ),
                    );
                }
                baseline = baseline + v;
            }
            None => unmeasured.push(&t.lesion_id),
        }
    }
    let mut first = blank_row(&tps[0], Response::Baseline, Vec::with_capacity(1));
    let mut out = Vec::with_capacity(tps.len());
    if !unmeasured.is_empty() {
        let message = format!(
            "mRECIST: target {} has no viable_long_axis_mm (nodes: short_axis_mm) at the baseline {}; no timepoint can be assessed",
            unmeasured.join(", "),
            tps[0].id
        );
        observed.problem(problems, "mrecist_baseline_unmeasured", message.clone());
        first
            .rules
            .push(Rule::new("mrecist.baseline.incomplete", message));
        out.push(first);
        for tp in &tps[1..] {
            out.push(blank_row(
                tp,
                Response::NE,
                vec![Rule::new(
                    "mrecist.baseline.incomplete",
                    "the baseline viable diameters are incomplete → NE".into(),
                )],
            ));
        }
        return CriterionAssessment {
            criterion: Criterion::Mrecist,
            timepoints: out,
            best_overall_response: Response::NE,
            confirmed_best_overall_response: Response::NE,
            progression: None,
        };
    }
    first.rules.push(Rule::new(
        "mrecist.baseline",
        format!(
            "baseline sum of viable diameters {baseline} mm over {} target(s); {} non-target(s)",
            targets.len(),
            non_targets.len()
        ),
    ));
    if !targets.is_empty() {
        first.target_sum_mm = Some(baseline.as_mm());
        first.nadir = Some(baseline.as_mm());
    }
    out.push(first);

    let mut nadir = baseline;
    let mut levels: Vec<Row> = Vec::new();
    let mut progression = None;
    for tp in &tps[1..] {
        if tp.missing() {
            out.push(missing_scan_row(tp));
            levels.push(Row {
                day: tp.day,
                level: Level::NE,
            });
            continue;
        }
        let mut rules = Vec::with_capacity(4);
        let (sum, missing) = sum_at(config, observed, &targets, tp, problems);
        let target = target_category(
            config, &targets, tp, sum, missing, baseline, nadir, &mut rules,
        );
        let non_target = non_target_category(
            config,
            &non_targets,
            tp,
            [
                "mrecist.non_target.pd",
                "mrecist.non_target.ne",
                "mrecist.non_target.cr",
            ],
            &mut rules,
        );
        let new: Vec<&str> = tp
            .new_lesions()
            .filter(|l| {
                !matches!(
                    l.status,
                    Some(
                        LesionStatus::Absent | LesionStatus::NotAssessed | LesionStatus::Equivocal
                    )
                )
            })
            .map(|l| l.lesion_id.as_str())
            .collect();
        let equivocal = tp
            .new_lesions()
            .any(|l| l.status == Some(LesionStatus::Equivocal));
        if !new.is_empty() {
            rules.push(Rule::new(
                "mrecist.new_lesion.present",
                format!("new lesion {} → PD", new.join(", ")),
            ));
        }
        let overall = if target == Some(Response::PD)
            || non_target == Some(Response::PD)
            || !new.is_empty()
        {
            Response::PD
        } else {
            overall_without_progression(target, non_target)
        };
        rules.push(Rule::new(
            "mrecist.overall",
            format!(
                "target {}, non-target {}, new lesions {} → {overall}",
                target.map_or("none", Response::as_str),
                non_target.map_or("none", Response::as_str),
                if new.is_empty() { "no" } else { "yes" }
            ),
        ));
        let mut row = blank_row(tp, overall, rules);
        row.target = target;
        row.non_target = non_target;
        row.new_lesions = Some(if !new.is_empty() {
            NewLesions::Present
        } else if equivocal {
            NewLesions::Equivocal
        } else {
            NewLesions::None
        });
        if !targets.is_empty() {
            row.nadir = Some(nadir.as_mm());
            if missing == 0 {
                row.target_sum_mm = Some(sum.as_mm());
                row.change_from_baseline_pct = display_percent_change(sum.0, baseline.0);
                row.change_from_nadir_pct = display_percent_change(sum.0, nadir.0);
                nadir = nadir.min(sum);
            }
        }
        out.push(row);
        levels.push(Row {
            day: tp.day,
            level: level_of(overall),
        });
        if overall == Response::PD {
            progression = Some(Progression {
                timepoint_id: tp.id.clone(),
                day: tp.day,
                date: tp.tp.date.clone(),
            });
            break;
        }
    }
    let flags = bor::confirmed_flags(config, &levels);
    for (row, flag) in out[1..].iter_mut().zip(flags) {
        row.confirmed = flag;
    }
    let anchor = observed.sd_anchor_day(config);
    let has_targets = !targets.is_empty();
    CriterionAssessment {
        criterion: Criterion::Mrecist,
        timepoints: out,
        best_overall_response: response_of(bor::best_unconfirmed(config, &levels, anchor)),
        confirmed_best_overall_response: response_of(bor::best_confirmed(
            config,
            &levels,
            anchor,
            has_targets,
        )),
        progression,
    }
}

/// The sum of viable diameters and the number of targets without one.
fn sum_at(
    config: &Config,
    observed: &Observed,
    targets: &[&Lesion],
    tp: &ObservedTimepoint,
    problems: &mut Vec<Problem>,
) -> (Micrometres, usize) {
    let mut sum = Micrometres::ZERO;
    let mut missing = 0;
    for t in targets {
        let lesion = tp.lesion(&t.lesion_id);
        match viable(config, lesion) {
            Some(v) => sum = sum + v,
            None => {
                missing += 1;
                if lesion.is_some_and(|l| l.status != Some(LesionStatus::NotAssessed)) {
                    observed.problem(
                        problems,
                        "mrecist_viable_missing",
                        format!(
                            "mRECIST: timepoint {}: target {} has no {}; counted as not assessed",
                            tp.id,
                            t.lesion_id,
                            field(t)
                        ),
                    );
                }
            }
        }
    }
    (sum, missing)
}

#[allow(clippy::too_many_arguments)]
fn target_category(
    config: &Config,
    targets: &[&Lesion],
    tp: &ObservedTimepoint,
    sum: Micrometres,
    missing: usize,
    baseline: Micrometres,
    nadir: Micrometres,
    rules: &mut Vec<Rule>,
) -> Option<Response> {
    if targets.is_empty() {
        return None;
    }
    let mc = &config.mrecist;
    let pd = mc.pd_rel.grown_by_at_least(sum.0, nadir.0) && sum - nadir >= mc.pd_abs;
    let mut detail = String::with_capacity(140);
    let _ = write!(
        detail,
        "viable sum {sum} mm {} {} × nadir {nadir} mm and {}{} mm {} {} mm",
        if mc.pd_rel.grown_by_at_least(sum.0, nadir.0) {
            "≥"
        } else {
            "<"
        },
        mc.pd_rel.one_plus(),
        if sum >= nadir { "+" } else { "" },
        sum - nadir,
        if sum - nadir >= mc.pd_abs { "≥" } else { "<" },
        mc.pd_abs
    );
    if missing > 0 {
        let _ = write!(detail, "; {missing} target(s) without a viable diameter");
        return Some(if pd {
            detail.push_str(" → PD (a missing lesion cannot lower the sum)");
            rules.push(Rule::new("mrecist.target.pd_partial_sum", detail));
            Response::PD
        } else {
            detail.push_str(" → NE");
            rules.push(Rule::new("mrecist.target.ne_missing", detail));
            Response::NE
        });
    }
    let no_viable = targets.iter().all(|t| {
        let v = viable(config, tp.lesion(&t.lesion_id));
        if t.nodal {
            v.is_some_and(|sa| sa < config.recist.node_normal_below)
        } else {
            v == Some(Micrometres::ZERO)
        }
    });
    if no_viable {
        rules.push(Rule::new(
            "mrecist.target.cr",
            "no viable (arterially enhancing) tumour in any target → CR".into(),
        ));
        return Some(Response::CR);
    }
    if pd {
        detail.push_str(" → PD");
        rules.push(Rule::new("mrecist.target.pd", detail));
        return Some(Response::PD);
    }
    let pr = mc.pr_rel.shrunk_by_at_least(sum.0, baseline.0);
    let _ = write!(
        detail,
        "; {} {} × baseline {baseline} mm",
        if pr { "≤" } else { ">" },
        mc.pr_rel.one_minus()
    );
    Some(if pr {
        detail.push_str(" → PR");
        rules.push(Rule::new("mrecist.target.pr", detail));
        Response::PR
    } else {
        detail.push_str(" → SD");
        rules.push(Rule::new("mrecist.target.sd", detail));
        Response::SD
    })
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
