//! PERCIST 1.0 (Wahl 2009; spec §8.3, `[S]`) on the hottest lesion's SULpeak
//! (`sul_peak`; not necessarily the same lesion each time) against the liver reference
//! (`liver_sul_mean`, `liver_sul_sd` of each scan).
//!
//! Measurable baseline: SULpeak ≥ 1.5 × liver mean + 2 × liver SD. CMR: every lesion at or
//! below the liver mean (or gone) and no new lesion; PMR: ≥ 30 % **and** ≥ 0.8 SUL below
//! baseline; PMD: > 30 % **and** > 0.8 SUL above the reference (`≥` with
//! `percist.pmd_strict = false`), or a new FDG-avid lesion; SMD otherwise. SUL values
//! are compared exactly in ten-thousandths.

use serde_json::{json, Value};
use std::fmt::Write;

use crate::assessment::{Criterion, CriterionAssessment, NewLesions, Progression, Response, Rule};
use crate::bor::{self, Level, Row};
use crate::config::{boolean, choice, fraction, fraction_below_one, fraction_json, Config};
use crate::error::ConfigError;
use crate::exact::{display_percent_change, Fraction};
use crate::observed::{
    blank_row, exact_units, missing_scan_row, problem_sink, Observed, ObservedTimepoint, Units,
};
use crate::rano::name_of;
use crate::timeline::{LesionStatus, Problem, Role};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PmdReference {
    Baseline,
    Nadir,
}

/// Lean body mass formula for SUL (used where SUL is computed from PET pixels).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LbmFormula {
    /// James 1976, as in PERCIST 1.0.
    James,
    /// Janmahasatian 2005, often preferred because James fails in obesity.
    Janmahasatian,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PercistConfig {
    pub measurable_liver_factor: Fraction,
    pub measurable_liver_sd_factor: Fraction,
    pub pmr_rel: Fraction,
    pub pmr_abs_sul: Fraction,
    pub pmd_rel: Fraction,
    pub pmd_abs_sul: Fraction,
    pub pmd_strict: bool,
    pub pmd_reference: PmdReference,
    pub lbm_formula: LbmFormula,
}

impl Default for PercistConfig {
    fn default() -> Self {
        PercistConfig {
            measurable_liver_factor: Fraction { num: 15, den: 10 },
            measurable_liver_sd_factor: Fraction { num: 2, den: 1 },
            pmr_rel: Fraction { num: 3, den: 10 },
            pmr_abs_sul: Fraction { num: 8, den: 10 },
            pmd_rel: Fraction { num: 3, den: 10 },
            pmd_abs_sul: Fraction { num: 8, den: 10 },
            pmd_strict: true,
            pmd_reference: PmdReference::Baseline,
            lbm_formula: LbmFormula::James,
        }
    }
}

pub const KEYS: &[&str] = &[
    "percist.measurable_liver_factor",
    "percist.measurable_liver_sd_factor",
    "percist.pmr_rel",
    "percist.pmr_abs_sul",
    "percist.pmd_rel",
    "percist.pmd_abs_sul",
    "percist.pmd_strict",
    "percist.pmd_reference",
    "percist.lbm_formula",
];

const LBM_FORMULAS: &[(&str, LbmFormula)] = &[
    ("james", LbmFormula::James),
    ("janmahasatian", LbmFormula::Janmahasatian),
];

const REFERENCES: &[(&str, PmdReference)] = &[
    ("baseline", PmdReference::Baseline),
    ("nadir", PmdReference::Nadir),
];

impl PercistConfig {
    pub fn set(&mut self, key: &str, value: &Value) -> Result<(), ConfigError> {
        match key {
            "percist.measurable_liver_factor" => {
                self.measurable_liver_factor = fraction(key, value)?
            }
            "percist.measurable_liver_sd_factor" => {
                self.measurable_liver_sd_factor = fraction(key, value)?
            }
            "percist.pmr_rel" => self.pmr_rel = fraction_below_one(key, value)?,
            "percist.pmr_abs_sul" => self.pmr_abs_sul = fraction(key, value)?,
            "percist.pmd_rel" => self.pmd_rel = fraction(key, value)?,
            "percist.pmd_abs_sul" => self.pmd_abs_sul = fraction(key, value)?,
            "percist.pmd_strict" => self.pmd_strict = boolean(key, value)?,
            "percist.pmd_reference" => self.pmd_reference = choice(key, value, REFERENCES)?,
            "percist.lbm_formula" => self.lbm_formula = choice(key, value, LBM_FORMULAS)?,
            _ => return Err(ConfigError::UnknownKey(key.to_string())),
        }
        Ok(())
    }

    pub fn effective(&self, out: &mut Vec<(&'static str, Value)>) {
        out.extend([
            (
                "percist.measurable_liver_factor",
                fraction_json(self.measurable_liver_factor),
            ),
            (
                "percist.measurable_liver_sd_factor",
                fraction_json(self.measurable_liver_sd_factor),
            ),
            ("percist.pmr_rel", fraction_json(self.pmr_rel)),
            ("percist.pmr_abs_sul", fraction_json(self.pmr_abs_sul)),
            ("percist.pmd_rel", fraction_json(self.pmd_rel)),
            ("percist.pmd_abs_sul", fraction_json(self.pmd_abs_sul)),
            ("percist.pmd_strict", json!(self.pmd_strict)),
            (
                "percist.pmd_reference",
                name_of(REFERENCES, self.pmd_reference),
            ),
            (
                "percist.lbm_formula",
                name_of(LBM_FORMULAS, self.lbm_formula),
            ),
        ]);
    }
}

/// SUL in ten-thousandths.
const SUL: i64 = 10_000;

fn sul(value: i64) -> Units {
    Units { value, scale: SUL }
}

fn sul_units(value: Option<f64>) -> Option<i64> {
    exact_units(value, SUL)
}

/// `a ≥ b` or, strictly, `a > b`.
fn beyond(strict: bool, a: i128, b: i128) -> bool {
    if strict {
        a > b
    } else {
        a >= b
    }
}

/// An absolute SUL difference (ten-thousandths) against a threshold in SUL.
fn diff_reaches(strict: bool, diff: i64, threshold: Fraction) -> bool {
    beyond(
        strict,
        (diff as i128).saturating_mul(threshold.den as i128),
        (threshold.num as i128).saturating_mul(SUL as i128),
    )
}

/// The hottest SULpeak of the (non-new) lesions at a scan (borrowed ids: no allocation
/// unless a lesion lacks its SULpeak).
struct Hottest<'a> {
    /// Highest known SULpeak and its lesion (the smaller id on ties: lesions come in id order).
    max: Option<(i64, &'a str)>,
    /// Present lesions without a SULpeak.
    unknown: Vec<&'a str>,
    /// Every lesion gone.
    all_gone: bool,
}

fn hottest<'a>(tp: &ObservedTimepoint<'a>) -> Hottest<'a> {
    let mut h = Hottest {
        max: None,
        unknown: Vec::new(),
        all_gone: true,
    };
    for lesion in tp.lesions.iter().filter(|l| l.role != Role::New) {
        if matches!(lesion.status, Some(LesionStatus::Absent)) || lesion.coalesced_into.is_some() {
            continue;
        }
        h.all_gone = false;
        match sul_units(lesion.sul_peak) {
            Some(v) => {
                if h.max.is_none_or(|(m, _)| v > m) {
                    h.max = Some((v, lesion.lesion_id.as_str()));
                }
            }
            None => h.unknown.push(lesion.lesion_id.as_str()),
        }
    }
    h
}

pub fn assess(
    config: &Config,
    observed: &Observed,
    problems: &mut Vec<Problem>,
) -> CriterionAssessment {
    let applicable = observed.any_lesion(|l| l.sul_peak.is_some())
        || observed
            .timepoints
            .iter()
            .any(|t| t.tp.liver_sul_mean.is_some() || t.tp.liver_sul_sd.is_some());
    let mut unreported = Vec::new();
    let problems = problem_sink(applicable, problems, &mut unreported);
    let pc = &config.percist;
    let tps = &observed.timepoints;
    let base_tp = &tps[0];
    let base = hottest(base_tp);
    let liver_mean = sul_units(base_tp.tp.liver_sul_mean);
    let liver_sd = sul_units(base_tp.tp.liver_sul_sd);
    let mut first = blank_row(base_tp, Response::Baseline, Vec::with_capacity(1));
    // The baseline reference, when the baseline is measurable.
    let baseline: Option<i64> = match (&base.max, liver_mean, liver_sd) {
        (None, _, _) => {
            let message = format!(
                "PERCIST: no lesion has a sul_peak at the baseline {}; not assessable",
                base_tp.id
            );
            observed.problem(problems, "percist_sul_peak_missing", message.clone());
            first
                .rules
                .push(Rule::new("percist.baseline.no_sul_peak", message));
            None
        }
        (Some(_), None, _) | (Some(_), _, None) => {
            let message = format!(
                "PERCIST: liver_sul_mean or liver_sul_sd missing at the baseline {}; measurability cannot be decided",
                base_tp.id
            );
            observed.problem(problems, "percist_liver_reference_missing", message.clone());
            first
                .rules
                .push(Rule::new("percist.baseline.no_liver_reference", message));
            None
        }
        (Some((peak, id)), Some(mean), Some(sd)) => {
            let (lf, sf) = (pc.measurable_liver_factor, pc.measurable_liver_sd_factor);
            // peak ≥ lf·mean + sf·sd ⇔ peak·lf.den·sf.den ≥ mean·lf.num·sf.den + sd·sf.num·lf.den
            let m = |a: i128, b: i64, c: i64| a.saturating_mul(b as i128).saturating_mul(c as i128);
            let lhs = m(*peak as i128, lf.den, sf.den);
            let rhs = m(mean as i128, lf.num, sf.den).saturating_add(m(sd as i128, sf.num, lf.den));
            let ok = lhs >= rhs;
            let mut detail = String::with_capacity(140);
            let _ = write!(
                detail,
                "hottest lesion {id} SULpeak {} {} {lf} × liver mean {} + {sf} × liver SD {}",
                sul(*peak),
                if ok { "≥" } else { "<" },
                sul(mean),
                sul(sd)
            );
            if ok {
                detail.push_str(" → measurable");
                first
                    .rules
                    .push(Rule::new("percist.baseline.measurable", detail));
                Some(*peak)
            } else {
                detail.push_str(" → not measurable; not assessable");
                observed.problem(
                    problems,
                    "percist_not_measurable",
                    format!(
                        "PERCIST: the baseline {} is not measurable ({detail})",
                        base_tp.id
                    ),
                );
                first
                    .rules
                    .push(Rule::new("percist.baseline.not_measurable", detail));
                None
            }
        }
    };
    if !base.unknown.is_empty() && baseline.is_some() {
        observed.problem(
            problems,
            "percist_sul_peak_missing",
            format!(
                "PERCIST: lesion {} has no sul_peak at the baseline {}; the hottest known lesion is used",
                base.unknown.join(", "),
                base_tp.id
            ),
        );
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
        let mut rules = Vec::with_capacity(3);
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
        let h = hottest(tp);
        let mut row = blank_row(tp, Response::NE, Vec::new());
        row.new_lesions = Some(if new.is_empty() {
            NewLesions::None
        } else {
            NewLesions::Present
        });
        let overall = if baseline.is_none() {
            rules.push(Rule::new(
                "percist.baseline.not_assessable",
                "the baseline is not measurable or lacks inputs → NE".into(),
            ));
            Response::NE
        } else if !new.is_empty() {
            rules.push(Rule::new(
                "percist.new_lesion",
                format!("new FDG-avid lesion {} → PMD", new.join(", ")),
            ));
            Response::PMD
        } else if let (Some(base_peak), Some(reference)) = (baseline, nadir) {
            let reference = match pc.pmd_reference {
                PmdReference::Baseline => base_peak,
                PmdReference::Nadir => reference,
            };
            let decided = decide(config, tp, &h, base_peak, reference, &mut rules);
            if let Some((peak, _)) = h.max {
                if h.unknown.is_empty() {
                    row.change_from_baseline_pct = display_percent_change(peak, base_peak);
                    row.change_from_nadir_pct = display_percent_change(peak, reference);
                }
            }
            if !h.unknown.is_empty() && decided == Response::NE {
                observed.problem(
                    problems,
                    "percist_sul_peak_missing",
                    format!(
                        "PERCIST: timepoint {}: lesion {} has no sul_peak",
                        tp.id,
                        h.unknown.join(", ")
                    ),
                );
            }
            decided
        } else {
            rules.push(Rule::new(
                "percist.reference.missing",
                "no reference SULpeak → NE".into(),
            ));
            Response::NE
        };
        if matches!(overall, Response::CMR | Response::PMR | Response::SMD) && h.unknown.is_empty()
        {
            if let (Some((peak, _)), Some(n)) = (h.max, nadir) {
                nadir = Some(n.min(peak));
            } else if h.all_gone {
                nadir = Some(0);
            }
        }
        row.overall = overall;
        row.rules = rules;
        out.push(row);
        levels.push(Row {
            day: tp.day,
            level: level_of(overall),
        });
        if overall == Response::PMD {
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
        criterion: Criterion::Percist,
        timepoints: out,
        best_overall_response: response_of(bor::best_unconfirmed(config, &levels, anchor)),
        confirmed_best_overall_response: response_of(bor::best_confirmed(
            config, &levels, anchor, true,
        )),
        progression,
    }
}

/// CMR / PMR / SMD / PMD (or NE) of a follow-up without new lesions.
fn decide(
    config: &Config,
    tp: &ObservedTimepoint,
    h: &Hottest,
    base_peak: i64,
    reference: i64,
    rules: &mut Vec<Rule>,
) -> Response {
    let pc = &config.percist;
    if h.all_gone {
        rules.push(Rule::new(
            "percist.cmr",
            "every lesion resolved, no new lesion → CMR".into(),
        ));
        return Response::CMR;
    }
    let Some((peak, id)) = h.max else {
        rules.push(Rule::new(
            "percist.sul_peak.missing",
            format!("no sul_peak recorded for {} → NE", h.unknown.join(", ")),
        ));
        return Response::NE;
    };
    // PMD: peak > (1 + rel) × reference and peak − reference > abs.
    let rel = pc.pmd_rel;
    let grew = beyond(
        pc.pmd_strict,
        (peak as i128).saturating_mul(rel.den as i128),
        (reference as i128).saturating_mul((rel.den + rel.num) as i128),
    );
    let rose = diff_reaches(pc.pmd_strict, peak - reference, pc.pmd_abs_sul);
    let gt = if pc.pmd_strict { ">" } else { "≥" };
    if grew && rose {
        rules.push(Rule::new(
            "percist.pmd",
            format!(
                "hottest lesion {id} SULpeak {} {gt} {} × reference {} and +{} {gt} {} SUL → PMD",
                sul(peak),
                rel.one_plus(),
                sul(reference),
                sul(peak - reference),
                pc.pmd_abs_sul
            ),
        ));
        return Response::PMD;
    }
    if !h.unknown.is_empty() {
        rules.push(Rule::new(
            "percist.sul_peak.missing",
            format!(
                "lesion {} has no sul_peak and the known hottest {} does not prove PMD → NE",
                h.unknown.join(", "),
                sul(peak)
            ),
        ));
        return Response::NE;
    }
    if let Some(liver) = sul_units(tp.tp.liver_sul_mean) {
        // Every known SULpeak at or below the liver mean ⇔ the hottest one is (none unknown).
        if peak <= liver {
            rules.push(Rule::new(
                "percist.cmr",
                format!(
                    "hottest SULpeak {} ≤ liver mean {} (blood pool not recorded, not checked), no new lesion → CMR",
                    sul(peak),
                    sul(liver)
                ),
            ));
            return Response::CMR;
        }
    }
    let shrank = pc.pmr_rel.shrunk_by_at_least(peak, base_peak);
    let fell = diff_reaches(false, base_peak - peak, pc.pmr_abs_sul);
    let mut detail = String::with_capacity(180);
    let _ = write!(
        detail,
        "hottest lesion {id} SULpeak {} {} {} × baseline {} and {}{} {} {} SUL; not {} {} × reference {} with a rise {} {} SUL",
        sul(peak),
        if shrank { "≤" } else { ">" },
        pc.pmr_rel.one_minus(),
        sul(base_peak),
        if base_peak >= peak { "−" } else { "+" },
        sul((base_peak - peak).abs()),
        if fell { "≥" } else { "<" },
        pc.pmr_abs_sul,
        gt,
        rel.one_plus(),
        sul(reference),
        gt,
        pc.pmd_abs_sul
    );
    if shrank && fell {
        detail.push_str(" → PMR");
        rules.push(Rule::new("percist.pmr", detail));
        Response::PMR
    } else {
        detail.push_str(" → SMD");
        rules.push(Rule::new("percist.smd", detail));
        Response::SMD
    }
}

fn level_of(response: Response) -> Level {
    match response {
        Response::CMR => Level::CR,
        Response::PMR => Level::PR,
        Response::SMD => Level::SD,
        Response::PMD => Level::PD,
        _ => Level::NE,
    }
}

fn response_of(level: Level) -> Response {
    match level {
        Level::CR => Response::CMR,
        Level::PR => Response::PMR,
        Level::SD | Level::NonCrNonPd => Response::SMD,
        Level::PD | Level::UnconfirmedPd => Response::PMD,
        Level::NE => Response::NE,
    }
}
