//! iRECIST (Seymour 2017; spec §3): RECIST 1.1 categories, new lesions tracked as new
//! targets (NLT) and new non-targets (NLNT), unconfirmed progression (iUPD) that must be
//! confirmed (iCPD) at a later scan, and the reset to iSD/iPR/iCR when a later scan no
//! longer shows progression.

use crate::assessment::{Criterion, CriterionAssessment, Progression, Response, Rule};
use crate::bor::{self, Level, Row};
use crate::categories::{
    meets_pd, new_lesion_status, pd_detail, Base, NonTargetCategory, TargetCategory, TargetSum,
};
use crate::config::{Config, IcpdReference, NltNadir, PfsDate, ResetWithPersistentNewLesions};
use crate::exact::Micrometres;
use crate::prepare::{measurable_minimum, Measure, NewLesionObs, NewStatus, PreparedSubject};
use crate::recist::new_lesions_value;
use crate::rows::{baseline_row, missing_scan_row, set_numbers};
use crate::timeline::Change;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NewCategory {
    /// New lesion target: measurable, within 5 in total and 2 per organ.
    Nlt,
    /// New lesion non-target: all other new lesions.
    Nlnt,
}

#[derive(Debug, Clone)]
struct RegisteredNewLesion {
    id: String,
    category: NewCategory,
    organ_key: Option<String>,
}

/// Which categories were in PD when the current iUPD run began.
#[derive(Debug, Clone, Copy, Default)]
struct Triggers {
    target: bool,
    non_target: bool,
    new_lesions: bool,
}

impl Triggers {
    fn any(self) -> bool {
        self.target || self.non_target || self.new_lesions
    }

    fn names(self) -> String {
        let mut names = Vec::new();
        if self.target {
            names.push("target");
        }
        if self.non_target {
            names.push("non-target");
        }
        if self.new_lesions {
            names.push("new lesions");
        }
        names.join(" + ")
    }
}

/// An iUPD run awaiting confirmation.
#[derive(Debug, Clone, Copy)]
struct Run {
    start_index: usize,
    start_day: i64,
    /// Target sum the +5 mm confirmation is measured from (spec §3.3, I2).
    sum_reference: Micrometres,
    /// NLT sum the +5 mm new-lesion confirmation is measured from.
    nlt_reference: Micrometres,
    triggers: Triggers,
}

/// What the new lesions look like at one timepoint.
struct NewLesionState {
    brand_new: Vec<String>,
    persistent_present: Vec<String>,
    nlt_sum: Micrometres,
    has_nlt: bool,
    nlnt_unequivocal: Vec<String>,
    nlnt_increased: Vec<String>,
}

pub fn assess(config: &Config, subject: &PreparedSubject, base: &Base) -> CriterionAssessment {
    let ir = &config.irecist;
    let baseline_sum = base.baseline_sum;
    let has_targets = !subject.targets.is_empty();
    let mut out = vec![baseline_row(subject, baseline_sum, "sum of measures")];
    let mut levels: Vec<Row> = Vec::new();
    let mut registry: Vec<RegisteredNewLesion> = Vec::new();
    let mut nlt_nadir: Option<Micrometres> = None;
    let mut run: Option<Run> = None;
    let mut previous_sum: Option<Micrometres> = None;
    let mut progression = None;

    for index in 1..subject.timepoints.len() {
        let tp = &subject.timepoints[index];
        let Some(categories) = &base.rows[index] else {
            let mut row = missing_scan_row(tp);
            if let Some(r) = &run {
                row.rules.push(pending_rule(subject, r));
            }
            out.push(row);
            levels.push(Row {
                day: tp.day,
                level: Level::NE,
            });
            continue;
        };
        // The RECIST 1.1 categories and their reasons are inherited as they are.
        let mut rules = categories.rules.clone();
        let (sum, nadir) = (categories.sum, categories.nadir);
        let (target, non_target) = (categories.target, categories.non_target);
        // RECIST's own new-lesion rule would call every present new lesion PD; iRECIST
        // explains new lesions itself (brand-new → iUPD, persisting → no iCR).
        let finding = new_lesion_status(tp);
        let new = new_lesion_state(config, subject, index, &mut registry, &mut rules);
        let nlt_pd = nlt_progression(config, &new, nlt_nadir, &mut rules);

        let target_pd = target == Some(TargetCategory::PD);
        let non_target_pd = non_target == Some(NonTargetCategory::PD);
        let (overall, confirmed_run) = match run {
            None => {
                let triggers = Triggers {
                    target: target_pd,
                    non_target: non_target_pd,
                    new_lesions: !new.brand_new.is_empty()
                        || nlt_pd
                        || !new.nlnt_unequivocal.is_empty(),
                };
                if triggers.any() {
                    run = Some(Run {
                        start_index: index,
                        start_day: tp.day,
                        sum_reference: sum.sum,
                        nlt_reference: new.nlt_sum,
                        triggers,
                    });
                    rules.push(Rule::new(
                        "irecist.iupd",
                        format!(
                            "RECIST 1.1 progression in {} → iUPD; confirm at the next assessment {}–{} days later",
                            triggers.names(),
                            ir.confirm_window_days.0,
                            ir.confirm_window_days.1
                        ),
                    ));
                    (Response::IUPD, None)
                } else {
                    (combine(target, non_target, &new, &mut rules), None)
                }
            }
            Some(current) => {
                let since = tp.day - current.start_day;
                if since < ir.confirm_window_days.0 {
                    if ir.early_scan_exception && tp.symptomatic && !new.brand_new.is_empty() {
                        rules.push(Rule::new(
                            "irecist.early_scan_exception",
                            format!(
                                "scan {since} days after iUPD (< {}) done for new symptoms shows additional new lesion {} → iCPD",
                                ir.confirm_window_days.0,
                                new.brand_new.join(", ")
                            ),
                        ));
                        (Response::ICPD, Some(current))
                    } else {
                        rules.push(Rule::new(
                            "irecist.early_scan",
                            format!(
                                "scan {since} days after the iUPD of day {} (< {} days) is not used for confirmation → iUPD",
                                current.start_day, ir.confirm_window_days.0
                            ),
                        ));
                        (Response::IUPD, None)
                    }
                } else {
                    let reasons = confirmation_reasons(
                        config,
                        &current,
                        &sum,
                        target_pd,
                        non_target_pd,
                        nlt_pd,
                        &new,
                        subject,
                        index,
                    );
                    if !reasons.is_empty() {
                        rules.push(Rule::new(
                            "irecist.icpd",
                            format!(
                                "iUPD of day {} confirmed {since} days later: {} → iCPD",
                                current.start_day,
                                reasons.join("; ")
                            ),
                        ));
                        (Response::ICPD, Some(current))
                    } else {
                        let still = still_progressing(
                            config,
                            &current,
                            &sum,
                            previous_sum,
                            target_pd,
                            non_target_pd,
                            &new,
                        );
                        if !still.is_empty() {
                            rules.push(Rule::new(
                                "irecist.iupd_continues",
                                format!(
                                    "not confirmed, but still progression ({}) → iUPD",
                                    still.join("; ")
                                ),
                            ));
                            if ir.icpd_reference == IcpdReference::PreviousIupd {
                                if let Some(r) = run.as_mut() {
                                    r.sum_reference = sum.sum;
                                    r.nlt_reference = new.nlt_sum;
                                }
                            }
                            (Response::IUPD, None)
                        } else if target == Some(TargetCategory::NE) {
                            rules.push(pending_rule(subject, &current));
                            (Response::NE, None)
                        } else {
                            rules.push(Rule::new(
                                "irecist.reset",
                                format!(
                                    "no category in progression any more since the iUPD of day {} → reset; a later progression needs a new iUPD",
                                    current.start_day
                                ),
                            ));
                            run = None;
                            (combine(target, non_target, &new, &mut rules), None)
                        }
                    }
                }
            }
        };

        let mut row = missing_scan_row(tp);
        row.overall = overall;
        row.target = target.map(target_response);
        row.non_target = non_target.map(non_target_response);
        row.new_lesions = Some(new_lesions_value(finding));
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
        if has_targets && sum.complete {
            previous_sum = Some(sum.sum);
        }
        if new.has_nlt {
            nlt_nadir = Some(match (ir.nlt_nadir, nlt_nadir) {
                (_, None) => new.nlt_sum,
                (NltNadir::SmallestSinceFirst, Some(n)) => n.min(new.nlt_sum),
                (NltNadir::FirstValue, Some(n)) => n,
            });
        }
        if let Some(current) = confirmed_run {
            let at = match ir.pfs_date {
                PfsDate::Iupd => &subject.timepoints[current.start_index],
                PfsDate::Icpd => tp,
            };
            progression = Some(Progression {
                timepoint_id: at.id.clone(),
                day: at.day,
                date: at.date.clone(),
            });
            out.push(row);
            break; // iCPD ends the assessment (spec §3.8).
        }
        out.push(row);
    }

    let confirmed = bor::confirmed_flags(config, &levels);
    for (row, flag) in out[1..].iter_mut().zip(confirmed) {
        row.confirmed = flag;
    }
    let best = bor::best_unconfirmed(config, &levels, subject.sd_anchor_day);
    let best_confirmed = bor::best_confirmed(config, &levels, subject.sd_anchor_day, has_targets);
    CriterionAssessment {
        criterion: Criterion::Irecist,
        timepoints: out,
        best_overall_response: response_of(best),
        confirmed_best_overall_response: response_of(best_confirmed),
        progression,
    }
}

fn pending_rule(subject: &PreparedSubject, run: &Run) -> Rule {
    let at = &subject.timepoints[run.start_index];
    Rule::new(
        "irecist.iupd_pending",
        format!(
            "iUPD of {} (day {}) stays pending until an evaluable assessment",
            at.id, at.day
        ),
    )
}

/// Registers brand-new lesions as NLT or NLNT (spec §3.2) and measures the new-lesion
/// state at this timepoint.
fn new_lesion_state(
    config: &Config,
    subject: &PreparedSubject,
    index: usize,
    registry: &mut Vec<RegisteredNewLesion>,
    rules: &mut Vec<Rule>,
) -> NewLesionState {
    let ir = &config.irecist;
    let tp = &subject.timepoints[index];
    let observed = |id: &str| tp.new_lesions.iter().find(|n| n.id == id);

    // Brand-new: counting now and not registered. Largest first, so the NLT slots go to
    // the most measurable lesions whatever the input order.
    let mut brand_new: Vec<&NewLesionObs> = tp
        .new_lesions
        .iter()
        .filter(|n| n.status.counts() && !registry.iter().any(|r| r.id == n.id))
        .collect();
    brand_new.sort_by(|a, b| {
        let size = |n: &NewLesionObs| match n.measure {
            Measure::Value(v) => v,
            Measure::Missing => Micrometres::ZERO,
        };
        size(b).cmp(&size(a)).then_with(|| a.id.cmp(&b.id))
    });
    let mut nlt = Vec::new();
    let mut nlnt = Vec::new();
    for lesion in &brand_new {
        let measurable = match lesion.measure {
            Measure::Value(v) => {
                v >= measurable_minimum(config, lesion.nodal, lesion.slice_thickness)
            }
            Measure::Missing => false,
        };
        let total = registry
            .iter()
            .filter(|r| r.category == NewCategory::Nlt)
            .count();
        let in_organ = registry
            .iter()
            .filter(|r| {
                r.category == NewCategory::Nlt
                    && r.organ_key.is_some()
                    && r.organ_key == lesion.organ_key
            })
            .count();
        let category = if measurable
            && total < ir.max_new_targets
            && in_organ < ir.max_new_targets_per_organ
        {
            nlt.push(lesion.id.as_str());
            NewCategory::Nlt
        } else {
            nlnt.push(lesion.id.as_str());
            NewCategory::Nlnt
        };
        registry.push(RegisteredNewLesion {
            id: lesion.id.clone(),
            category,
            organ_key: lesion.organ_key.clone(),
        });
    }
    if !nlt.is_empty() {
        rules.push(Rule::new(
            "irecist.new_lesion.nlt",
            format!(
                "new lesion {} measurable → new lesion target (at most {} in total, {} per organ)",
                nlt.join(", "),
                ir.max_new_targets,
                ir.max_new_targets_per_organ
            ),
        ));
    }
    if !nlnt.is_empty() {
        rules.push(Rule::new(
            "irecist.new_lesion.nlnt",
            format!("new lesion {} → new lesion non-target", nlnt.join(", ")),
        ));
    }
    let brand_new_ids: Vec<String> = brand_new.iter().map(|n| n.id.clone()).collect();

    let mut state = NewLesionState {
        brand_new: brand_new_ids,
        persistent_present: Vec::new(),
        nlt_sum: Micrometres::ZERO,
        has_nlt: false,
        nlnt_unequivocal: Vec::new(),
        nlnt_increased: Vec::new(),
    };
    for registered in registry.iter() {
        let obs = observed(&registered.id);
        let is_brand_new = state.brand_new.contains(&registered.id);
        if registered.category == NewCategory::Nlt {
            state.has_nlt = true;
            if let Some(Measure::Value(v)) = obs.map(|o| o.measure) {
                state.nlt_sum = state.nlt_sum + v;
            }
        }
        let Some(obs) = obs else { continue };
        if is_brand_new {
            continue;
        }
        if obs.status.counts() || obs.status == NewStatus::Equivocal {
            state.persistent_present.push(registered.id.clone());
        }
        if registered.category == NewCategory::Nlnt {
            if obs.status == NewStatus::UnequivocalProgression {
                state.nlnt_unequivocal.push(registered.id.clone());
            }
            if obs.change == Some(Change::Increased)
                || obs.status == NewStatus::UnequivocalProgression
            {
                state.nlnt_increased.push(registered.id.clone());
            }
        }
    }
    state
}

/// NLT sum meeting RECIST PD over its own nadir (spec §3.4 (b)): only for new lesion
/// targets recorded before this timepoint.
fn nlt_progression(
    config: &Config,
    new: &NewLesionState,
    nlt_nadir: Option<Micrometres>,
    rules: &mut Vec<Rule>,
) -> bool {
    let Some(reference) = nlt_nadir else {
        return false;
    };
    if meets_pd(config, new.nlt_sum, reference) {
        rules.push(Rule::new(
            "irecist.new_lesion.nlt_pd",
            format!(
                "{} → new-lesion progression",
                pd_detail(config, new.nlt_sum, reference, "new-lesion target sum")
            ),
        ));
        return true;
    }
    false
}

#[allow(clippy::too_many_arguments)]
fn confirmation_reasons(
    config: &Config,
    run: &Run,
    sum: &TargetSum,
    target_pd: bool,
    non_target_pd: bool,
    nlt_pd: bool,
    new: &NewLesionState,
    subject: &PreparedSubject,
    index: usize,
) -> Vec<String> {
    let increase = config.irecist.icpd_increase;
    let tp = &subject.timepoints[index];
    let mut reasons = Vec::new();
    if run.triggers.target {
        let grown = sum.sum - run.sum_reference;
        if grown >= increase {
            reasons.push(format!(
                "target sum {} mm is +{grown} mm ≥ {increase} mm over {} mm at iUPD",
                sum.sum, run.sum_reference
            ));
        }
    } else if target_pd {
        reasons.push("target lesions now meet RECIST 1.1 progression".to_string());
    }
    if run.triggers.non_target {
        let increased: Vec<&str> = subject
            .non_targets
            .iter()
            .zip(&tp.non_target_changes)
            .filter(|(_, c)| **c == Some(Change::Increased))
            .map(|(l, _)| l.id.as_str())
            .collect();
        if !increased.is_empty() {
            reasons.push(format!(
                "non-target {} increased further",
                increased.join(", ")
            ));
        }
    } else if non_target_pd {
        reasons.push("non-target lesions now progress unequivocally".to_string());
    }
    if !new.brand_new.is_empty() {
        reasons.push(format!(
            "additional new lesion {}",
            new.brand_new.join(", ")
        ));
    }
    if run.triggers.new_lesions {
        let grown = new.nlt_sum - run.nlt_reference;
        if new.has_nlt && grown >= increase {
            reasons.push(format!(
                "new-lesion target sum {} mm is +{grown} mm ≥ {increase} mm over {} mm at iUPD",
                new.nlt_sum, run.nlt_reference
            ));
        }
        if !new.nlnt_increased.is_empty() {
            reasons.push(format!(
                "new non-target lesion {} increased",
                new.nlnt_increased.join(", ")
            ));
        }
    } else {
        if nlt_pd {
            reasons.push("new-lesion targets now meet RECIST 1.1 progression".to_string());
        }
        if !new.nlnt_unequivocal.is_empty() {
            reasons.push(format!(
                "new non-target lesion {} progresses unequivocally",
                new.nlnt_unequivocal.join(", ")
            ));
        }
    }
    reasons
}

/// Categories still in progression after an unconfirming scan (spec §3.4), including the
/// contested persistent-new-lesion sub-rule (`irecist.reset_with_persistent_new_lesions`).
fn still_progressing(
    config: &Config,
    run: &Run,
    sum: &TargetSum,
    previous_sum: Option<Micrometres>,
    target_pd: bool,
    non_target_pd: bool,
    new: &NewLesionState,
) -> Vec<String> {
    let mut still = Vec::new();
    if target_pd {
        still.push("target sum still meets RECIST 1.1 progression".to_string());
    }
    if non_target_pd {
        still.push("non-target progression persists".to_string());
    }
    if run.triggers.new_lesions && !new.persistent_present.is_empty() {
        let lesions = new.persistent_present.join(", ");
        match config.irecist.reset_with_persistent_new_lesions {
            ResetWithPersistentNewLesions::Never => still.push(format!(
                "new lesion {lesions} still present (irecist.reset_with_persistent_new_lesions = never)"
            )),
            ResetWithPersistentNewLesions::TargetDecrease => {
                let decreased = sum.complete && previous_sum.is_some_and(|p| sum.sum < p);
                if !decreased {
                    still.push(format!(
                        "new lesion {lesions} still present and the target sum {} mm did not fall below the previous assessment's {} (irecist.reset_with_persistent_new_lesions = target_decrease)",
                        sum.sum,
                        previous_sum.map_or("(none)".to_string(), |p| format!("{p} mm"))
                    ));
                }
            }
        }
    }
    still
}

/// The iRECIST table for a timepoint without progression (spec §3.5): persisting new
/// lesions prevent iCR.
fn combine(
    target: Option<TargetCategory>,
    non_target: Option<NonTargetCategory>,
    new: &NewLesionState,
    rules: &mut Vec<Rule>,
) -> Response {
    let persisting = !new.persistent_present.is_empty();
    let overall = match target {
        Some(TargetCategory::NE) => Response::NE,
        Some(TargetCategory::CR) => match non_target {
            None | Some(NonTargetCategory::CR) if !persisting => Response::ICR,
            _ => Response::IPR,
        },
        Some(TargetCategory::PR) => Response::IPR,
        Some(TargetCategory::SD) | Some(TargetCategory::PD) => Response::ISD,
        None => match non_target {
            Some(NonTargetCategory::CR) if !persisting => Response::ICR,
            Some(NonTargetCategory::CR) | Some(NonTargetCategory::NonCrNonPd) => {
                Response::NonICrNonIUpd
            }
            _ => Response::NE,
        },
    };
    let t = target
        .map(|t| target_response(t).as_str())
        .unwrap_or("none");
    let nt = non_target
        .map(|n| non_target_response(n).as_str())
        .unwrap_or("none");
    let persisting_text = if persisting {
        format!(
            ", new lesion {} persisting (no iCR)",
            new.persistent_present.join(", ")
        )
    } else {
        String::new()
    };
    rules.push(Rule::new(
        "irecist.overall",
        format!("target {t}, non-target {nt}{persisting_text} → {overall}"),
    ));
    overall
}

fn target_response(t: TargetCategory) -> Response {
    match t {
        TargetCategory::CR => Response::ICR,
        TargetCategory::PR => Response::IPR,
        TargetCategory::SD => Response::ISD,
        TargetCategory::PD => Response::IUPD,
        TargetCategory::NE => Response::NE,
    }
}

fn non_target_response(n: NonTargetCategory) -> Response {
    match n {
        NonTargetCategory::CR => Response::ICR,
        NonTargetCategory::NonCrNonPd => Response::NonICrNonIUpd,
        NonTargetCategory::PD => Response::IUPD,
        NonTargetCategory::NE => Response::NE,
    }
}

fn level_of(response: Response) -> Level {
    match response {
        Response::ICR => Level::CR,
        Response::IPR => Level::PR,
        Response::ISD => Level::SD,
        Response::NonICrNonIUpd => Level::NonCrNonPd,
        Response::IUPD => Level::UnconfirmedPd,
        Response::ICPD => Level::PD,
        _ => Level::NE,
    }
}

fn response_of(level: Level) -> Response {
    match level {
        Level::CR => Response::ICR,
        Level::PR => Response::IPR,
        Level::SD => Response::ISD,
        Level::NonCrNonPd => Response::NonICrNonIUpd,
        Level::UnconfirmedPd => Response::IUPD,
        Level::PD => Response::ICPD,
        Level::NE => Response::NE,
    }
}
