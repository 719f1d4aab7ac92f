//! Choi criteria for GIST (Choi 2007; spec §8.2, `[S]`). Size is the RECIST-style sum of
//! longest diameters (nodes: short axis); density the mean of the targets' mean
//! attenuation (`mean_hu`, mean of per-lesion means `[C]`).
//!
//! PR: size ≥ 10 % below baseline **or** density ≥ 15 % below baseline (both with
//! `choi.pr_requires_both`, modified Choi). PD: size ≥ 10 % above the reference (nadir by
//! default) and not PR by density; or a new lesion; or a new intratumoral nodule; or
//! unequivocal non-target progression. HU are compared exactly in milli-HU.

use serde_json::{json, Value};
use std::fmt::Write;

use crate::assessment::{Criterion, CriterionAssessment, NewLesions, Progression, Response, Rule};
use crate::bor::{self, Level, Row};
use crate::config::{boolean, choice, fraction_below_one, fraction_json, Config};
use crate::error::ConfigError;
use crate::exact::{display_percent_change, Fraction, Micrometres};
use crate::lesion_tables::{non_target_category, overall_without_progression};
use crate::observed::{
    blank_row, exact_units, length, missing_scan_row, problem_sink, Observed, ObservedTimepoint,
    Units,
};
use crate::rano::name_of;
use crate::timeline::{Disease, Lesion, LesionStatus, Problem, Role};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SizeReference {
    Nadir,
    Baseline,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ChoiConfig {
    pub size_pr_rel: Fraction,
    pub size_pd_rel: Fraction,
    pub density_pr_rel: Fraction,
    pub size_pd_reference: SizeReference,
    pub pr_requires_both: bool,
}

impl Default for ChoiConfig {
    fn default() -> Self {
        ChoiConfig {
            size_pr_rel: Fraction { num: 1, den: 10 },
            size_pd_rel: Fraction { num: 1, den: 10 },
            density_pr_rel: Fraction { num: 15, den: 100 },
            size_pd_reference: SizeReference::Nadir,
            pr_requires_both: false,
        }
    }
}

pub const KEYS: &[&str] = &[
    "choi.size_pr_rel",
    "choi.size_pd_rel",
    "choi.density_pr_rel",
    "choi.size_pd_reference",
    "choi.pr_requires_both",
];

const REFERENCES: &[(&str, SizeReference)] = &[
    ("nadir", SizeReference::Nadir),
    ("baseline", SizeReference::Baseline),
];

impl ChoiConfig {
    pub fn set(&mut self, key: &str, value: &Value) -> Result<(), ConfigError> {
        match key {
            "choi.size_pr_rel" => self.size_pr_rel = fraction_below_one(key, value)?,
            "choi.size_pd_rel" => self.size_pd_rel = crate::config::fraction(key, value)?,
            "choi.density_pr_rel" => self.density_pr_rel = fraction_below_one(key, value)?,
            "choi.size_pd_reference" => self.size_pd_reference = choice(key, value, REFERENCES)?,
            "choi.pr_requires_both" => self.pr_requires_both = boolean(key, value)?,
            _ => return Err(ConfigError::UnknownKey(key.to_string())),
        }
        Ok(())
    }

    pub fn effective(&self, out: &mut Vec<(&'static str, Value)>) {
        out.extend([
            ("choi.size_pr_rel", fraction_json(self.size_pr_rel)),
            ("choi.size_pd_rel", fraction_json(self.size_pd_rel)),
            ("choi.density_pr_rel", fraction_json(self.density_pr_rel)),
            (
                "choi.size_pd_reference",
                name_of(REFERENCES, self.size_pd_reference),
            ),
            ("choi.pr_requires_both", json!(self.pr_requires_both)),
        ]);
    }
}

/// Milli-HU.
const HU: i64 = 1000;

/// The RECIST-style size of a target at one scan.
fn size(config: &Config, lesion: Option<&Lesion>) -> Option<Micrometres> {
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
    if let Some(fragments) = &lesion.fragments_mm {
        let mut sum = Micrometres::ZERO;
        for f in fragments {
            sum = sum + length(config, Some(*f))?;
        }
        return Some(sum);
    }
    length(
        config,
        if lesion.nodal {
            lesion.short_axis_mm
        } else {
            lesion.long_axis_mm
        },
    )
}

/// Density of the targets present at a scan: (sum of milli-HU, count), or the ids of the
/// present targets without `mean_hu`.
fn density<'a>(
    config: &Config,
    targets: &[&'a Lesion],
    tp: &ObservedTimepoint,
) -> Result<(i64, i64), Vec<&'a str>> {
    let mut sum = 0i64;
    let mut n = 0i64;
    let mut missing = Vec::new();
    for t in targets {
        let lesion = tp.lesion(&t.lesion_id);
        if size(config, lesion).is_some_and(|s| s == Micrometres::ZERO) {
            continue;
        }
        match exact_units(lesion.and_then(|l| l.mean_hu), HU) {
            Some(hu) => {
                sum = sum.saturating_add(hu);
                n += 1;
            }
            None => missing.push(t.lesion_id.as_str()),
        }
    }
    if missing.is_empty() {
        Ok((sum, n))
    } else {
        Err(missing)
    }
}

fn mean(sum: i64, n: i64) -> Units {
    // For display only: the mean rounded to 0.1 HU.
    let tenths = if n == 0 {
        0
    } else {
        (sum as i128 * 10 / (n as i128 * HU as i128)) as i64
    };
    Units {
        value: tenths,
        scale: 10,
    }
}

pub fn assess(
    config: &Config,
    observed: &Observed,
    problems: &mut Vec<Problem>,
) -> CriterionAssessment {
    // Problems concern an GIST subject, or one without a disease that has the inputs.
    let applicable = match observed.disease() {
        Some(disease) => disease == Disease::Gist,
        None => observed.any_lesion(|l| l.mean_hu.is_some() || l.new_intratumoral_nodule.is_some()),
    };
    let mut unreported = Vec::new();
    let problems = problem_sink(applicable, problems, &mut unreported);
    let tps = &observed.timepoints;
    let lesions: Vec<&Lesion> = tps[0]
        .lesions
        .iter()
        .copied()
        .filter(|l| l.role != Role::New)
        .collect();
    let targets: Vec<&Lesion> = lesions
        .iter()
        .copied()
        .filter(|l| l.role == Role::Target)
        .collect();
    let non_targets: Vec<&Lesion> = lesions
        .iter()
        .copied()
        .filter(|l| l.role == Role::NonTarget)
        .collect();

    let mut first = blank_row(&tps[0], Response::Baseline, Vec::with_capacity(1));
    let mut baseline = Micrometres::ZERO;
    let mut unmeasured = Vec::new();
    for t in &targets {
        match size(config, Some(t)).filter(|s| *s > Micrometres::ZERO) {
            Some(s) => baseline = baseline + s,
            None => unmeasured.push(t.lesion_id.as_str()),
        }
    }
    let base_density = density(config, &targets, &tps[0]);
    let mut detail = format!(
        "baseline size {baseline} mm over {} target(s); {} non-target(s); ",
        targets.len(),
        non_targets.len()
    );
    match &base_density {
        Ok((sum, n)) if *n > 0 => {
            let _ = write!(detail, "mean attenuation {} HU", mean(*sum, *n));
        }
        Ok(_) => detail.push_str("no attenuation"),
        Err(missing) => {
            let _ = write!(detail, "mean_hu missing for {}", missing.join(", "));
            observed.problem(
                problems,
                "choi_mean_hu_missing",
                format!(
                    "Choi: target {} has no mean_hu at the baseline {}; the density rule cannot be applied",
                    missing.join(", "),
                    tps[0].id
                ),
            );
        }
    }
    first.rules.push(Rule::new("choi.baseline", detail));
    if !unmeasured.is_empty() {
        let message = format!(
            "Choi: target {} has no long axis (nodes: short axis) at the baseline {}; no timepoint can be assessed",
            unmeasured.join(", "),
            tps[0].id
        );
        observed.problem(problems, "choi_baseline_unmeasured", message.clone());
        first
            .rules
            .push(Rule::new("choi.baseline.incomplete", message));
    } else if !targets.is_empty() {
        first.target_sum_mm = Some(baseline.as_mm());
        first.nadir = Some(baseline.as_mm());
    }
    let mut out = Vec::with_capacity(tps.len());
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
        let mut rules = Vec::with_capacity(5);
        // Progression that needs no numbers.
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
        if !new.is_empty() {
            rules.push(Rule::new(
                "choi.new_lesion.present",
                format!("new lesion {} → PD", new.join(", ")),
            ));
        }
        let nodules: Vec<&str> = tp
            .lesions
            .iter()
            .filter(|l| l.role != Role::New && l.new_intratumoral_nodule == Some(true))
            .map(|l| l.lesion_id.as_str())
            .collect();
        if !nodules.is_empty() {
            rules.push(Rule::new(
                "choi.intratumoral_nodule",
                format!("new intratumoral nodule in {} → PD", nodules.join(", ")),
            ));
        }
        let non_target = non_target_category(
            config,
            &non_targets,
            tp,
            [
                "choi.non_target.pd",
                "choi.non_target.ne",
                "choi.non_target.cr",
            ],
            &mut rules,
        );
        let (target, sum) = if unmeasured.is_empty() {
            target_category(
                config,
                observed,
                &targets,
                tp,
                baseline,
                nadir,
                &base_density,
                problems,
                &mut rules,
            )
        } else {
            rules.push(Rule::new(
                "choi.baseline.incomplete",
                "the baseline sizes are incomplete → target NE".into(),
            ));
            (Some(Response::NE), None)
        };
        let overall = if !new.is_empty()
            || !nodules.is_empty()
            || non_target == Some(Response::PD)
            || target == Some(Response::PD)
        {
            Response::PD
        } else {
            overall_without_progression(target, non_target)
        };
        rules.push(Rule::new(
            "choi.overall",
            format!(
                "target {}, non-target {}, new lesions {}, intratumoral nodule {} → {overall}",
                target.map_or("none", Response::as_str),
                non_target.map_or("none", Response::as_str),
                if new.is_empty() { "no" } else { "yes" },
                if nodules.is_empty() { "no" } else { "yes" }
            ),
        ));
        let mut row = blank_row(tp, overall, rules);
        row.target = target;
        row.non_target = non_target;
        row.new_lesions = Some(if new.is_empty() {
            NewLesions::None
        } else {
            NewLesions::Present
        });
        if !targets.is_empty() {
            row.nadir = Some(nadir.as_mm());
        }
        if let Some(sum) = sum {
            row.target_sum_mm = Some(sum.as_mm());
            row.change_from_baseline_pct = display_percent_change(sum.0, baseline.0);
            row.change_from_nadir_pct = display_percent_change(sum.0, nadir.0);
            nadir = nadir.min(sum);
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
    CriterionAssessment {
        criterion: Criterion::Choi,
        timepoints: out,
        best_overall_response: response_of(bor::best_unconfirmed(config, &levels, anchor)),
        confirmed_best_overall_response: response_of(bor::best_confirmed(
            config,
            &levels,
            anchor,
            !targets.is_empty(),
        )),
        progression,
    }
}

/// The Choi target category and the complete size sum, if any.
#[allow(clippy::too_many_arguments)]
fn target_category(
    config: &Config,
    observed: &Observed,
    targets: &[&Lesion],
    tp: &ObservedTimepoint,
    baseline: Micrometres,
    nadir: Micrometres,
    base_density: &Result<(i64, i64), Vec<&str>>,
    problems: &mut Vec<Problem>,
    rules: &mut Vec<Rule>,
) -> (Option<Response>, Option<Micrometres>) {
    if targets.is_empty() {
        return (None, None);
    }
    let cc = &config.choi;
    let mut sum = Micrometres::ZERO;
    let mut missing = Vec::new();
    for t in targets {
        match size(config, tp.lesion(&t.lesion_id)) {
            Some(s) => sum = sum + s,
            None => missing.push(t.lesion_id.as_str()),
        }
    }
    let reference = match cc.size_pd_reference {
        SizeReference::Nadir => nadir,
        SizeReference::Baseline => baseline,
    };
    let grew = if reference == Micrometres::ZERO {
        sum > Micrometres::ZERO
    } else {
        cc.size_pd_rel.grown_by_at_least(sum.0, reference.0)
    };
    if !missing.is_empty() {
        rules.push(Rule::new(
            "choi.size.ne_missing",
            format!(
                "target {} not measured; partial size {sum} mm → NE",
                missing.join(", ")
            ),
        ));
        return (Some(Response::NE), None);
    }
    if sum == Micrometres::ZERO {
        rules.push(Rule::new("choi.target.cr", "every target gone → CR".into()));
        return (Some(Response::CR), Some(sum));
    }
    let size_pr = cc.size_pr_rel.shrunk_by_at_least(sum.0, baseline.0);
    let mut detail = String::with_capacity(160);
    let _ = write!(
        detail,
        "size {sum} mm {} {} × baseline {baseline} mm; {} {} × {} {reference} mm",
        if size_pr { "≤" } else { ">" },
        cc.size_pr_rel.one_minus(),
        if grew { "≥" } else { "<" },
        cc.size_pd_rel.one_plus(),
        match cc.size_pd_reference {
            SizeReference::Nadir => "nadir",
            SizeReference::Baseline => "baseline",
        }
    );
    rules.push(Rule::new("choi.size", detail));

    // Density: Some(true/false) when decidable, None when an input is missing.
    let density_pr: Option<bool> = match (base_density, density(config, targets, tp)) {
        (Ok((bsum, bn)), Ok((csum, cn))) if *bn > 0 && cn > 0 => {
            if *bsum <= 0 {
                rules.push(Rule::new(
                    "choi.density.not_applicable",
                    format!(
                        "baseline mean attenuation {} HU ≤ 0: no relative decrease",
                        mean(*bsum, *bn)
                    ),
                ));
                Some(false)
            } else {
                // mean_cur ≤ (1 − rel) × mean_base ⇔ csum·bn·den ≤ bsum·cn·(den − num).
                let rel = cc.density_pr_rel;
                let pr = (csum as i128 * *bn as i128).saturating_mul(rel.den as i128)
                    <= (*bsum as i128 * cn as i128).saturating_mul((rel.den - rel.num) as i128);
                rules.push(Rule::new(
                    "choi.density",
                    format!(
                        "mean attenuation {} HU {} {} × baseline {} HU",
                        mean(csum, cn),
                        if pr { "≤" } else { ">" },
                        rel.one_minus(),
                        mean(*bsum, *bn)
                    ),
                ));
                Some(pr)
            }
        }
        (Ok(_), Ok(_)) => Some(false),
        (Err(_), _) => {
            rules.push(Rule::new(
                "choi.density.missing",
                "mean_hu missing at baseline: density not comparable".into(),
            ));
            None
        }
        (_, Err(missing)) => {
            observed.problem(
                problems,
                "choi_mean_hu_missing",
                format!(
                    "Choi: timepoint {}: target {} has no mean_hu; the density rule cannot be applied",
                    tp.id,
                    missing.join(", ")
                ),
            );
            rules.push(Rule::new(
                "choi.density.missing",
                format!(
                    "target {} has no mean_hu: density not comparable",
                    missing.join(", ")
                ),
            ));
            None
        }
    };
    let pr = if cc.pr_requires_both {
        if size_pr {
            density_pr
        } else {
            Some(false)
        }
    } else if size_pr || density_pr == Some(true) {
        Some(true)
    } else {
        density_pr
    };
    let category = if grew && density_pr != Some(true) {
        match density_pr {
            Some(_) => {
                rules.push(Rule::new(
                    "choi.target.pd",
                    "size increase and no PR by attenuation → PD".into(),
                ));
                Response::PD
            }
            None => {
                rules.push(Rule::new(
                    "choi.target.ne_density",
                    "size increase, but whether attenuation fell enough is unknown → NE".into(),
                ));
                Response::NE
            }
        }
    } else {
        match pr {
            Some(true) => {
                rules.push(Rule::new(
                    "choi.target.pr",
                    if size_pr && density_pr == Some(true) {
                        "size and attenuation decrease → PR"
                    } else if size_pr {
                        "size decrease → PR"
                    } else {
                        "attenuation decrease → PR"
                    }
                    .into(),
                ));
                Response::PR
            }
            Some(false) => {
                rules.push(Rule::new("choi.target.sd", "neither PR nor PD → SD".into()));
                Response::SD
            }
            None => {
                rules.push(Rule::new(
                    "choi.target.ne_density",
                    "no PR by size and attenuation unknown → NE".into(),
                ));
                Response::NE
            }
        }
    };
    (Some(category), Some(sum))
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
