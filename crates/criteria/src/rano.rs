//! RANO 2010 for high-grade glioma (Wen 2010; spec §7.1), and the engine that iRANO
//! ([`crate::irano`], §7.2) and RANO 2.0 ([`crate::rano2`], §7.3) run with their changes.
//!
//! Burden is the sum of products of perpendicular diameters (SPD) of the enhancing target
//! lesions, exact in µm² (`i128`). PR: SPD ≤ 50 % of baseline; PD: SPD ≥ 125 % of the
//! reference (nadir; after the early window, the smallest post-radiotherapy scan), or
//! clear progression of non-measurable disease, a new lesion, a significant T2/FLAIR
//! increase, or clinical deterioration. Inside the window after chemoradiotherapy only new
//! enhancement mostly outside the radiation field is progression.

use serde_json::{json, Value};
use std::fmt::Write;

use crate::assessment::{
    Criterion, CriterionAssessment, NewLesions, Progression, Response, Rule, TimepointAssessment,
};
use crate::bor::{self, Level, Row};
use crate::config::{
    choice, count, days, fraction, fraction_below_one, fraction_json, millimetres, number_mm,
    Config,
};
use crate::error::ConfigError;
use crate::exact::{display_percent_change, Fraction, Micrometres};
use crate::observed::{
    blank_row, exact_units, length, missing_scan_row, mm2, problem_sink, Area, Observed, Units,
};
use crate::timeline::{ClinicalStatus, Disease, Lesion, LesionStatus, Problem, Role, T2Flair};

// ---------------------------------------------------------------- configuration

/// What a row shows when growth inside the early window is not progression (spec N2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EarlyLabel {
    Sd,
    Ne,
}

/// The PD reference after the early window (spec N3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostWindowReference {
    /// The smallest SPD of the scans after the end of radiotherapy.
    PostRtMin,
    /// The smallest SPD of all scans, baseline included.
    Nadir,
}

/// What a row shows when steroids rose above the baseline dose without progression
/// ("neither SD nor PD", spec §7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SteroidLabel {
    Ne,
    Sd,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RanoConfig {
    pub early_window_days: i64,
    pub early_increase_label: EarlyLabel,
    pub post_window_reference: PostWindowReference,
    pub pr_rel: Fraction,
    pub pd_rel: Fraction,
    pub max_targets: usize,
    pub measurable_min: Micrometres,
    pub too_small: Micrometres,
    /// Highest dose (mg/day dexamethasone-equivalent) still counting as "no steroids" for CR.
    pub cr_steroid_max_mg: Fraction,
    pub steroid_increase_label: SteroidLabel,
}

impl Default for RanoConfig {
    fn default() -> Self {
        RanoConfig {
            early_window_days: 84,
            early_increase_label: EarlyLabel::Sd,
            post_window_reference: PostWindowReference::PostRtMin,
            pr_rel: Fraction { num: 5, den: 10 },
            pd_rel: Fraction { num: 25, den: 100 },
            max_targets: 5,
            measurable_min: Micrometres(10_000),
            too_small: Micrometres(5_000),
            cr_steroid_max_mg: Fraction { num: 0, den: 1 },
            steroid_increase_label: SteroidLabel::Ne,
        }
    }
}

pub const KEYS: &[&str] = &[
    "rano.early_window_days",
    "rano.early_increase_label",
    "rano.post_window_reference",
    "rano.pr_rel",
    "rano.pd_rel",
    "rano.max_targets",
    "rano.measurable_min_mm",
    "rano.too_small_mm",
    "rano.cr_steroid_max_mg",
    "rano.steroid_increase_label",
];

const EARLY_LABELS: &[(&str, EarlyLabel)] = &[("sd", EarlyLabel::Sd), ("ne", EarlyLabel::Ne)];
const REFERENCES: &[(&str, PostWindowReference)] = &[
    ("post_rt_min", PostWindowReference::PostRtMin),
    ("nadir", PostWindowReference::Nadir),
];
const STEROID_LABELS: &[(&str, SteroidLabel)] =
    &[("ne", SteroidLabel::Ne), ("sd", SteroidLabel::Sd)];

pub(crate) fn name_of<T: Copy + PartialEq>(options: &[(&'static str, T)], value: T) -> Value {
    options
        .iter()
        .find(|(_, v)| *v == value)
        .map_or(Value::Null, |(n, _)| json!(n))
}

impl RanoConfig {
    pub fn set(&mut self, key: &str, value: &Value) -> Result<(), ConfigError> {
        match key {
            "rano.early_window_days" => self.early_window_days = days(key, value)?,
            "rano.early_increase_label" => {
                self.early_increase_label = choice(key, value, EARLY_LABELS)?
            }
            "rano.post_window_reference" => {
                self.post_window_reference = choice(key, value, REFERENCES)?
            }
            "rano.pr_rel" => self.pr_rel = fraction_below_one(key, value)?,
            "rano.pd_rel" => self.pd_rel = fraction(key, value)?,
            "rano.max_targets" => self.max_targets = count(key, value)?,
            "rano.measurable_min_mm" => self.measurable_min = millimetres(key, value)?,
            "rano.too_small_mm" => self.too_small = millimetres(key, value)?,
            "rano.cr_steroid_max_mg" => self.cr_steroid_max_mg = fraction(key, value)?,
            "rano.steroid_increase_label" => {
                self.steroid_increase_label = choice(key, value, STEROID_LABELS)?
            }
            _ => return Err(ConfigError::UnknownKey(key.to_string())),
        }
        Ok(())
    }

    pub fn effective(&self, out: &mut Vec<(&'static str, Value)>) {
        out.extend([
            ("rano.early_window_days", json!(self.early_window_days)),
            (
                "rano.early_increase_label",
                name_of(EARLY_LABELS, self.early_increase_label),
            ),
            (
                "rano.post_window_reference",
                name_of(REFERENCES, self.post_window_reference),
            ),
            ("rano.pr_rel", fraction_json(self.pr_rel)),
            ("rano.pd_rel", fraction_json(self.pd_rel)),
            ("rano.max_targets", json!(self.max_targets)),
            ("rano.measurable_min_mm", number_mm(self.measurable_min)),
            ("rano.too_small_mm", number_mm(self.too_small)),
            (
                "rano.cr_steroid_max_mg",
                fraction_json(self.cr_steroid_max_mg),
            ),
            (
                "rano.steroid_increase_label",
                name_of(STEROID_LABELS, self.steroid_increase_label),
            ),
        ]);
    }
}

// ---------------------------------------------------------------- variants

/// When progression must be confirmed by a later scan before it is final.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Confirmation {
    /// RANO 2010: progression is final at once.
    Never,
    /// iRANO: progression within `window_days` of starting immunotherapy, without a new
    /// neurological deficit or clinical decline.
    Immunotherapy {
        start_day: Option<i64>,
        window_days: i64,
    },
    /// RANO 2.0: progression inside the early window after radiotherapy (or always).
    EarlyWindow { always: bool },
}

/// Rule names of one confirming criterion.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ConfirmNames {
    pub unconfirmed: &'static str,
    pub awaiting: &'static str,
    pub confirmed: &'static str,
    pub not_confirmed: &'static str,
    pub clinical: &'static str,
    pub compare: &'static str,
}

/// What distinguishes RANO 2010, iRANO and RANO 2.0 for the shared engine.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Variant {
    pub criterion: Criterion,
    pub max_targets: usize,
    pub t2flair_defines_pd: bool,
    /// RANO 2.0: a non-measurable lesion growing to measurable size is progression.
    pub nt_becoming_measurable_is_pd: bool,
    /// RANO 2.0: the first scan after radiotherapy is the baseline.
    pub post_rt_baseline: bool,
    /// New enhancement outside the field inside the window is PD at once (not preliminary).
    pub outside_field_immediate_pd: bool,
    pub confirmation: Confirmation,
    pub confirm_min_days: i64,
    /// Confirmation needs ≥ pd_rel growth over the first unconfirmed scan (else: still PD
    /// against the reference).
    pub confirm_vs_first_scan: bool,
    pub names: ConfirmNames,
}

pub fn assess(
    config: &Config,
    observed: &Observed,
    problems: &mut Vec<Problem>,
) -> CriterionAssessment {
    let variant = Variant {
        criterion: Criterion::Rano,
        max_targets: config.rano.max_targets,
        t2flair_defines_pd: true,
        nt_becoming_measurable_is_pd: false,
        post_rt_baseline: false,
        outside_field_immediate_pd: true,
        confirmation: Confirmation::Never,
        confirm_min_days: 0,
        confirm_vs_first_scan: false,
        names: ConfirmNames {
            unconfirmed: "rano.pd",
            awaiting: "rano.pd",
            confirmed: "rano.pd",
            not_confirmed: "rano.pd",
            clinical: "rano.pd",
            compare: "rano.pd",
        },
    };
    run(config, observed, &variant, problems)
}

// ---------------------------------------------------------------- observations

/// The SPD of the targets at one scan.
#[derive(Debug, Clone, Copy)]
struct Spd {
    /// Sum of the known products, µm².
    sum: i128,
    /// Targets without a product.
    missing: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NonMeasurable {
    CR,
    NonCrNonPd,
    PD,
    NE,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TargetCat {
    CR,
    PR,
    SD,
    PD,
    NE,
}

fn target_response(t: TargetCat) -> Response {
    match t {
        TargetCat::CR => Response::CR,
        TargetCat::PR => Response::PR,
        TargetCat::SD => Response::SD,
        TargetCat::PD => Response::PD,
        TargetCat::NE => Response::NE,
    }
}

fn non_measurable_response(n: NonMeasurable) -> Response {
    match n {
        NonMeasurable::CR => Response::CR,
        NonMeasurable::NonCrNonPd => Response::NonCrNonPd,
        NonMeasurable::PD => Response::PD,
        NonMeasurable::NE => Response::NE,
    }
}

/// `value ≥ (1 + rel) × reference`; from a zero reference any regrowth counts.
fn grown(rel: Fraction, value: i128, reference: i128) -> bool {
    if reference == 0 {
        return value > 0;
    }
    value.saturating_mul(rel.den as i128) >= reference.saturating_mul((rel.den + rel.num) as i128)
}

/// `value ≤ (1 − rel) × reference`.
fn shrunk(rel: Fraction, value: i128, reference: i128) -> bool {
    value.saturating_mul(rel.den as i128) <= reference.saturating_mul((rel.den - rel.num) as i128)
}

/// The product of perpendicular diameters of a target, `None` when it cannot be formed.
fn product(config: &Config, lesion: Option<&Lesion>) -> Option<i128> {
    let lesion = lesion?;
    if lesion.coalesced_into.is_some() {
        return Some(0);
    }
    match lesion.status {
        Some(LesionStatus::Absent) => return Some(0),
        Some(LesionStatus::TooSmall) => {
            let side = config.rano.too_small.0 as i128;
            return Some(side * side);
        }
        Some(LesionStatus::NotAssessed) => return None,
        _ => {}
    }
    let ld = length(config, lesion.long_axis_mm)?;
    let perpendicular = length(config, lesion.short_axis_mm)?;
    Some((ld.0 as i128).saturating_mul(perpendicular.0 as i128))
}

/// Whether both diameters reach the measurable minimum (10 mm, or twice the slice).
fn measurable(config: &Config, lesion: &Lesion) -> bool {
    let slice = length(config, lesion.slice_thickness_mm).unwrap_or_default();
    let minimum = config.rano.measurable_min.max(Micrometres(
        slice.0.saturating_mul(config.recist.slice_thickness_factor),
    ));
    let ld = length(config, lesion.long_axis_mm);
    let sa = length(config, lesion.short_axis_mm);
    matches!((ld, sa), (Some(a), Some(b)) if a >= minimum && b >= minimum)
}

/// A steroid dose in exact micrograms.
fn steroid_ug(dose: Option<f64>) -> Option<i64> {
    exact_units(dose, 1000)
}

fn ug(value: i64) -> Units {
    Units { value, scale: 1000 }
}

/// "4 mg" or "not recorded", without allocating.
struct SteroidText(Option<i64>);

impl std::fmt::Display for SteroidText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(dose) => write!(f, "{} mg", ug(dose)),
            None => f.write_str("not recorded"),
        }
    }
}

/// A new lesion counts unless it is absent, not assessed or equivocal.
fn counts(lesion: &Lesion) -> bool {
    !matches!(
        lesion.status,
        Some(LesionStatus::Absent | LesionStatus::NotAssessed | LesionStatus::Equivocal)
    )
}

// ---------------------------------------------------------------- the engine

/// The subject's baseline lists.
struct Lists<'a> {
    targets: Vec<&'a str>,
    /// Non-measurable enhancing lesions, with whether each was measurable at baseline.
    non_measurable: Vec<(&'a str, bool)>,
}

/// A progression waiting for its confirming scan.
struct Waiting {
    /// Row index (into the output rows) of the first unconfirmed scan.
    row: usize,
    day: i64,
    spd: Option<i128>,
    /// Counting new lesions at the first unconfirmed scan.
    new_ids: Vec<String>,
}

/// What one follow-up scan shows, before any window or confirmation rule.
struct Findings {
    spd: Spd,
    target: Option<TargetCat>,
    non_measurable: Option<NonMeasurable>,
    new_in_field: Vec<String>,
    new_outside: Vec<String>,
    new_equivocal: bool,
    clinical_worse: bool,
    new_deficit: bool,
    steroid: Option<i64>,
    /// Imaging progression (target, non-measurable, new lesion, T2/FLAIR).
    imaging_pd: bool,
}

pub(crate) fn run(
    config: &Config,
    observed: &Observed,
    variant: &Variant,
    problems: &mut Vec<Problem>,
) -> CriterionAssessment {
    let applicable = rano_inputs_present(observed);
    let mut unreported = Vec::new();
    let problems = problem_sink(applicable, problems, &mut unreported);
    let rc = &config.rano;
    let tps = &observed.timepoints;
    let context = observed.subject.context.as_ref();
    let rt_end = observed.context_day(
        context.and_then(|c| c.radiotherapy_end_day),
        context.and_then(|c| c.radiotherapy_end_date.as_deref()),
    );
    let (base_index, mut out) = baseline_rows(config, observed, variant, rt_end, problems);
    let base_tp = &tps[base_index];
    let lists = baseline_lists(config, observed, base_index, variant, problems);
    let baseline_spd = spd_at(config, &lists, base_tp).sum;
    let baseline_steroid = steroid_ug(base_tp.tp.clinical.as_ref().and_then(|c| c.steroid_dose_mg));
    {
        let row = &mut out[base_index];
        let mut detail = String::with_capacity(160);
        let _ = write!(
            detail,
            "baseline SPD {} mm² over {} target lesion(s); {} non-measurable lesion(s); steroids {}",
            Area(baseline_spd),
            lists.targets.len(),
            lists.non_measurable.len(),
            SteroidText(baseline_steroid)
        );
        match rt_end {
            Some(end) => {
                let _ = write!(
                    detail,
                    "; radiotherapy ended day {end}, early window to day {}",
                    end + rc.early_window_days
                );
            }
            None => detail.push_str("; no radiotherapy end given: no early window"),
        }
        row.rules.push(Rule::new("rano.baseline", detail));
        if !lists.targets.is_empty() {
            row.burden_mm2 = Some(mm2(baseline_spd));
            row.nadir = Some(mm2(baseline_spd));
        }
    }
    let mut nadir = baseline_spd;
    let mut post_rt_min = rt_end
        .filter(|end| base_tp.day > *end)
        .map(|_| baseline_spd);
    let mut levels: Vec<Row> = Vec::new();
    let mut level_rows: Vec<usize> = Vec::new();
    let mut pending: Option<Waiting> = None;
    let mut steroid_since: Option<usize> = None;
    let mut progression = None;
    let mut steroid_gap_reported = false;

    for tp in &tps[base_index + 1..] {
        if tp.missing() {
            out.push(missing_scan_row(tp));
            levels.push(Row {
                day: tp.day,
                level: Level::NE,
            });
            level_rows.push(out.len() - 1);
            continue;
        }
        let in_window = rt_end.is_some_and(|end| tp.day - end <= rc.early_window_days);
        let reference = match (rc.post_window_reference, post_rt_min) {
            (PostWindowReference::PostRtMin, Some(min)) if !in_window => min,
            _ => nadir,
        };
        let mut rules: Vec<Rule> = Vec::with_capacity(6);
        let f = findings(
            config,
            &lists,
            variant,
            tp,
            baseline_spd,
            reference,
            &mut rules,
        );
        let mut row = blank_row(tp, Response::NE, Vec::new());
        row.target = f.target.map(target_response);
        row.non_target = f.non_measurable.map(non_measurable_response);
        row.new_lesions = Some(if !f.new_in_field.is_empty() || !f.new_outside.is_empty() {
            NewLesions::Present
        } else if f.new_equivocal {
            NewLesions::Equivocal
        } else {
            NewLesions::None
        });
        if !lists.targets.is_empty() {
            if f.spd.missing == 0 {
                row.burden_mm2 = Some(mm2(f.spd.sum));
                row.change_from_baseline_pct = percent(f.spd.sum, baseline_spd);
                row.change_from_nadir_pct = percent(f.spd.sum, reference);
            }
            row.nadir = Some(mm2(reference));
        }

        // 1. A progression waiting for confirmation.
        let mut decided: Option<(Response, bool)> = None; // (overall, final PD)
        if let Some(p) = &pending {
            match follow_pending(rc, variant, p, &out[p.row], tp.day, &f, &mut rules) {
                Pending::Confirmed => {
                    out[p.row].confirmed = Some(true);
                    row.confirmed = Some(true);
                    decided = Some((Response::PD, true));
                }
                Pending::Awaiting => {
                    row.confirmed = Some(false);
                    decided = Some((Response::PdUnconfirmed, false));
                }
                Pending::NotConfirmed => {
                    out[p.row].confirmed = Some(false);
                    pending = None;
                }
            }
        }

        // 2. The scan on its own: window, progression, confirmation need, response.
        if decided.is_none() {
            let window = if in_window {
                window_rule(rc, variant, tp, rt_end, &f, &mut rules)
            } else if f.imaging_pd || f.clinical_worse {
                Window::Progression
            } else {
                Window::Nothing
            };
            decided = match window {
                Window::Progression => {
                    Some(hold_or_final(variant, tp.day, &f, in_window, &mut rules))
                }
                Window::Blocked
                    if f.imaging_pd
                        && matches!(variant.confirmation, Confirmation::EarlyWindow { .. }) =>
                {
                    rules.push(Rule::new(
                        variant.names.unconfirmed,
                        "progression inside the early window is preliminary → PD-unconfirmed until a confirming scan".into(),
                    ));
                    Some((Response::PdUnconfirmed, false))
                }
                Window::Blocked => Some((
                    match rc.early_increase_label {
                        EarlyLabel::Sd => Response::SD,
                        EarlyLabel::Ne => Response::NE,
                    },
                    false,
                )),
                Window::Nothing => None,
            };
        }
        let starts_pending =
            pending.is_none() && decided.is_some_and(|(r, _)| r == Response::PdUnconfirmed);
        if decided.is_some_and(|(r, _)| r == Response::PdUnconfirmed) {
            row.confirmed = Some(false);
        }

        let (overall, final_pd) = match decided {
            Some(d) => d,
            None => match response(config, &f, baseline_steroid, &mut rules) {
                Outcome::Response(r) => (r, false),
                Outcome::SteroidIncrease => (
                    match rc.steroid_increase_label {
                        SteroidLabel::Ne => Response::NE,
                        SteroidLabel::Sd => Response::SD,
                    },
                    false,
                ),
            },
        };
        if f.steroid.is_some() && baseline_steroid.is_none() && !steroid_gap_reported {
            steroid_gap_reported = true;
            observed.problem(
                problems,
                "rano_steroid_baseline_missing",
                format!(
                    "{}: steroid dose recorded at follow-up but not at the baseline {}; steroid rules not applied",
                    variant.criterion.name(),
                    base_tp.id
                ),
            );
        }
        if final_pd
            && matches!(
                variant.confirmation,
                Confirmation::Immunotherapy {
                    start_day: None,
                    ..
                }
            )
        {
            observed.problem(
                problems,
                "irano_no_immunotherapy_start",
                "iRANO: context.immunotherapy_start_day/date not given (or not placeable); progression was not held for confirmation".into(),
            );
        }
        let steroid_up = matches!((f.steroid, baseline_steroid), (Some(d), Some(b)) if d > b);
        row.overall = overall;
        row.rules = rules;
        out.push(row);
        let row_index = out.len() - 1;
        levels.push(Row {
            day: tp.day,
            level: level_of(overall),
        });
        level_rows.push(row_index);

        if starts_pending {
            pending = Some(Waiting {
                row: row_index,
                day: tp.day,
                spd: (f.spd.missing == 0).then_some(f.spd.sum),
                new_ids: f
                    .new_in_field
                    .iter()
                    .chain(&f.new_outside)
                    .cloned()
                    .collect(),
            });
        }
        if overall == Response::PdUnconfirmed {
            continue;
        }
        if overall == Response::PD && final_pd {
            let mut first = pending.as_ref().map_or(row_index, |p| p.row);
            if let Some(s) = steroid_since.filter(|s| *s < first) {
                let (id, day) = (out[s].timepoint_id.clone(), out[s].day);
                out[row_index].rules.push(Rule::new(
                    "rano.steroids.backdated",
                    format!("steroids were raised above the baseline dose from {id} (day {day}) → progression dated to {id}"),
                ));
                first = s;
            }
            progression = Some(Progression {
                timepoint_id: out[first].timepoint_id.clone(),
                day: out[first].day,
                date: out[first].date.clone(),
            });
            break;
        }
        if steroid_up && overall != Response::PD {
            steroid_since.get_or_insert(row_index);
        } else if !steroid_up {
            steroid_since = None;
        }
        if f.spd.missing == 0 && !lists.targets.is_empty() && overall != Response::PdUnconfirmed {
            nadir = nadir.min(f.spd.sum);
            if rt_end.is_some_and(|end| tp.day > end) {
                post_rt_min = Some(post_rt_min.map_or(f.spd.sum, |m| m.min(f.spd.sum)));
            }
        }
    }

    let confirmed = bor::confirmed_flags(config, &levels);
    for (&r, flag) in level_rows.iter().zip(confirmed) {
        if flag.is_some() {
            out[r].confirmed = flag;
        }
    }
    let has_targets = !lists.targets.is_empty();
    let anchor = observed.sd_anchor_day(config);
    let best = bor::best_unconfirmed(config, &levels, anchor);
    let best_confirmed = bor::best_confirmed(config, &levels, anchor, has_targets);
    CriterionAssessment {
        criterion: variant.criterion,
        timepoints: out,
        best_overall_response: response_of(best),
        confirmed_best_overall_response: response_of(best_confirmed),
        progression,
    }
}

/// The baseline row(s): the protocol baseline, and for RANO 2.0 the post-radiotherapy
/// scan that replaces it, with the scans in between. Returns the index of the baseline
/// the responses are measured from.
fn baseline_rows(
    config: &Config,
    observed: &Observed,
    variant: &Variant,
    rt_end: Option<i64>,
    problems: &mut Vec<Problem>,
) -> (usize, Vec<TimepointAssessment>) {
    let tps = &observed.timepoints;
    let mut out = Vec::with_capacity(tps.len());
    out.push(blank_row(
        &tps[0],
        Response::Baseline,
        Vec::with_capacity(2),
    ));
    if !variant.post_rt_baseline {
        return (0, out);
    }
    let Some(end) = rt_end else {
        out[0].rules.push(Rule::new(
            "rano2.baseline.protocol",
            "no radiotherapy end given: the protocol baseline is the reference".into(),
        ));
        return (0, out);
    };
    if tps[0].day > end {
        out[0].rules.push(Rule::new(
            "rano2.baseline.post_rt",
            format!("the baseline (day 0) is after the end of radiotherapy (day {end})"),
        ));
        return (0, out);
    }
    let targets: Vec<&str> = tps[0]
        .lesions
        .iter()
        .filter(|l| l.role == Role::Target)
        .map(|l| l.lesion_id.as_str())
        .collect();
    let candidate = tps.iter().position(|t| {
        t.day > end
            && !t.missing()
            && targets
                .iter()
                .all(|id| product(config, t.lesion(id)).is_some())
    });
    let Some(index) = candidate else {
        out[0].rules.push(Rule::new(
            "rano2.baseline.protocol",
            format!("no scan after the end of radiotherapy (day {end}) measures every target: the protocol baseline is the reference"),
        ));
        observed.problem(
            problems,
            "rano2_no_post_rt_baseline",
            format!("RANO 2.0: no scan after the end of radiotherapy (day {end}) measures every baseline target; the protocol baseline is used"),
        );
        return (0, out);
    };
    out[0].rules.push(Rule::new(
        "rano2.baseline.pre_rt",
        format!(
            "scan before the end of radiotherapy (day {end}); the RANO 2.0 baseline is {} (day {})",
            tps[index].id, tps[index].day
        ),
    ));
    for tp in &tps[1..index] {
        out.push(blank_row(
            tp,
            Response::NE,
            vec![Rule::new(
                "rano2.before_post_rt_baseline",
                format!(
                    "before the post-radiotherapy baseline {} → not assessed (NE)",
                    tps[index].id
                ),
            )],
        ));
    }
    let mut row = blank_row(&tps[index], Response::Baseline, Vec::with_capacity(2));
    row.rules.push(Rule::new(
        "rano2.baseline.post_rt",
        format!("first scan after the end of radiotherapy (day {end}) → the RANO 2.0 baseline"),
    ));
    out.push(row);
    (index, out)
}

/// Targets (with both diameters at the baseline) and non-measurable enhancing lesions;
/// gaps and limits become problems, never errors.
fn baseline_lists<'a>(
    config: &Config,
    observed: &'a Observed,
    base_index: usize,
    variant: &Variant,
    problems: &mut Vec<Problem>,
) -> Lists<'a> {
    let name = variant.criterion.name();
    let tps = &observed.timepoints;
    let lesions: Vec<&Lesion> = tps[0]
        .lesions
        .iter()
        .copied()
        .filter(|l| l.role != Role::New)
        .collect();
    let base = &tps[base_index];
    let mut lists = Lists {
        targets: Vec::with_capacity(lesions.len()),
        non_measurable: Vec::new(),
    };
    for lesion in lesions {
        let id = lesion.lesion_id.as_str();
        let at_base = base.lesion(id);
        let is_measurable = at_base.is_some_and(|l| measurable(config, l));
        if lesion.role == Role::Target {
            if product(config, at_base).is_some_and(|p| p > 0) {
                if !is_measurable {
                    observed.problem(
                        problems,
                        "rano_not_measurable_at_baseline",
                        format!("RANO: target lesion {id} has a diameter below the measurable minimum at the baseline {}; kept as recorded", base.id),
                    );
                }
                lists.targets.push(id);
                continue;
            }
            observed.problem(
                problems,
                "rano_target_unmeasured_at_baseline",
                format!("RANO: target lesion {id} lacks long_axis_mm or short_axis_mm at the baseline {}; assessed as non-measurable disease", base.id),
            );
        }
        lists.non_measurable.push((id, is_measurable));
    }
    if lists.targets.len() > variant.max_targets {
        observed.problem(
            problems,
            "rano_target_selection",
            format!(
                "{name}: {} target lesions at baseline; at most {} are allowed; all are kept as recorded",
                lists.targets.len(),
                variant.max_targets
            ),
        );
    }
    lists
}

fn spd_at(config: &Config, lists: &Lists, tp: &crate::observed::ObservedTimepoint) -> Spd {
    let mut spd = Spd { sum: 0, missing: 0 };
    for id in &lists.targets {
        match product(config, tp.lesion(id)) {
            Some(p) => spd.sum = spd.sum.saturating_add(p),
            None => spd.missing += 1,
        }
    }
    spd
}

fn percent(value: i128, reference: i128) -> Option<f64> {
    let v = i64::try_from(value).ok()?;
    let r = i64::try_from(reference).ok()?;
    display_percent_change(v, r)
}

#[allow(clippy::too_many_arguments)]
fn findings(
    config: &Config,
    lists: &Lists,
    variant: &Variant,
    tp: &crate::observed::ObservedTimepoint,
    baseline_spd: i128,
    reference: i128,
    rules: &mut Vec<Rule>,
) -> Findings {
    let rc = &config.rano;
    let spd = spd_at(config, lists, tp);
    // Target SPD (spec §7.1: PD against the reference, PR against the baseline).
    let target = if lists.targets.is_empty() {
        None
    } else if spd.missing > 0 {
        let pd = grown(rc.pd_rel, spd.sum, reference);
        let mut detail = String::with_capacity(120);
        let _ = write!(
            detail,
            "{} of {} targets without both diameters; partial SPD {} mm² {} {} × reference {} mm²",
            spd.missing,
            lists.targets.len(),
            Area(spd.sum),
            if pd { "≥" } else { "<" },
            rc.pd_rel.one_plus(),
            Area(reference)
        );
        if pd {
            detail.push_str(" → PD (a missing lesion cannot lower the sum)");
            rules.push(Rule::new("rano.target.pd_partial_sum", detail));
            Some(TargetCat::PD)
        } else {
            detail.push_str(" → NE");
            rules.push(Rule::new("rano.target.ne_missing", detail));
            Some(TargetCat::NE)
        }
    } else if spd.sum == 0 {
        rules.push(Rule::new(
            "rano.target.cr",
            "every enhancing target gone (SPD 0 mm²) → CR".into(),
        ));
        Some(TargetCat::CR)
    } else {
        let pd = grown(rc.pd_rel, spd.sum, reference);
        let pr = shrunk(rc.pr_rel, spd.sum, baseline_spd);
        let mut detail = String::with_capacity(140);
        let _ = write!(
            detail,
            "SPD {} mm² {} {} × reference {} mm²",
            Area(spd.sum),
            if pd { "≥" } else { "<" },
            rc.pd_rel.one_plus(),
            Area(reference)
        );
        if pd {
            detail.push_str(" → PD");
            rules.push(Rule::new("rano.target.pd", detail));
            Some(TargetCat::PD)
        } else {
            let _ = write!(
                detail,
                "; SPD {} {} × baseline {} mm²",
                if pr { "≤" } else { ">" },
                rc.pr_rel.one_minus(),
                Area(baseline_spd)
            );
            if pr {
                detail.push_str(" → PR");
                rules.push(Rule::new("rano.target.pr", detail));
                Some(TargetCat::PR)
            } else {
                detail.push_str(" → SD");
                rules.push(Rule::new("rano.target.sd", detail));
                Some(TargetCat::SD)
            }
        }
    };

    // Non-measurable enhancing disease.
    let non_measurable = if lists.non_measurable.is_empty() {
        None
    } else {
        let mut progressed: Vec<&str> = Vec::new();
        let mut unassessed: Vec<&str> = Vec::new();
        let mut all_gone = true;
        for (id, was_measurable) in &lists.non_measurable {
            let lesion = tp.lesion(id);
            match lesion.and_then(|l| l.status) {
                _ if lesion.is_none() => unassessed.push(id),
                Some(LesionStatus::Absent) => continue,
                Some(LesionStatus::UnequivocalProgression) => progressed.push(id),
                Some(LesionStatus::NotAssessed) => unassessed.push(id),
                _ => {
                    let grew = variant.nt_becoming_measurable_is_pd
                        && !was_measurable
                        && lesion.is_some_and(|l| measurable(config, l));
                    if grew {
                        rules.push(Rule::new(
                            "rano2.non_target.became_measurable",
                            format!("non-measurable lesion {id} now has both diameters ≥ {} mm → progression", rc.measurable_min),
                        ));
                        progressed.push(id);
                    }
                }
            }
            all_gone = false;
        }
        Some(if !progressed.is_empty() {
            rules.push(Rule::new(
                "rano.non_target.pd",
                format!(
                    "clear progression of non-measurable disease {} → PD",
                    progressed.join(", ")
                ),
            ));
            NonMeasurable::PD
        } else if !unassessed.is_empty() {
            rules.push(Rule::new(
                "rano.non_target.ne",
                format!(
                    "non-measurable lesion {} not evaluated → NE",
                    unassessed.join(", ")
                ),
            ));
            NonMeasurable::NE
        } else if all_gone {
            rules.push(Rule::new(
                "rano.non_target.cr",
                "every non-measurable enhancing lesion gone → CR".into(),
            ));
            NonMeasurable::CR
        } else {
            NonMeasurable::NonCrNonPd
        })
    };

    // New lesions, by radiation field.
    let mut new_in_field = Vec::new();
    let mut new_outside = Vec::new();
    let mut new_equivocal = false;
    for lesion in tp.new_lesions() {
        if lesion.status == Some(LesionStatus::Equivocal) {
            new_equivocal = true;
        } else if counts(lesion) {
            if lesion.outside_rt_field == Some(true) {
                new_outside.push(lesion.lesion_id.clone());
            } else {
                new_in_field.push(lesion.lesion_id.clone());
            }
        }
    }
    if !new_in_field.is_empty() || !new_outside.is_empty() {
        let mut detail = String::from("new enhancing lesion ");
        let all: Vec<&str> = new_in_field
            .iter()
            .chain(&new_outside)
            .map(String::as_str)
            .collect();
        detail.push_str(&all.join(", "));
        if !new_outside.is_empty() {
            let _ = write!(
                detail,
                " ({} mostly outside the radiation field)",
                new_outside.join(", ")
            );
        }
        detail.push_str(" → PD");
        rules.push(Rule::new("rano.new_lesion.present", detail));
    } else if new_equivocal {
        rules.push(Rule::new(
            "rano.new_lesion.equivocal",
            "equivocal new lesion: not progression unless a later scan confirms it".into(),
        ));
    }

    // Clinical data.
    let clinical = tp.tp.clinical.as_ref();
    let t2_increase =
        variant.t2flair_defines_pd && clinical.and_then(|c| c.t2flair) == Some(T2Flair::Increased);
    if t2_increase {
        rules.push(Rule::new(
            "rano.t2flair.pd",
            "significant T2/FLAIR increase → PD".into(),
        ));
    }
    let clinical_worse = clinical.and_then(|c| c.clinical_status) == Some(ClinicalStatus::Worse);
    if clinical_worse {
        rules.push(Rule::new(
            "rano.clinical.pd",
            "clinical deterioration → PD".into(),
        ));
    }
    let new_deficit = clinical.and_then(|c| c.new_neurological_deficit) == Some(true);
    let steroid = steroid_ug(clinical.and_then(|c| c.steroid_dose_mg));
    let imaging_pd = target == Some(TargetCat::PD)
        || non_measurable == Some(NonMeasurable::PD)
        || !new_in_field.is_empty()
        || !new_outside.is_empty()
        || t2_increase;
    Findings {
        spd,
        target,
        non_measurable,
        new_in_field,
        new_outside,
        new_equivocal,
        clinical_worse,
        new_deficit,
        steroid,
        imaging_pd,
    }
}

/// What a later scan makes of a waiting progression.
enum Pending {
    Confirmed,
    Awaiting,
    /// Not confirmed (pseudo-progression): the scan is assessed afresh.
    NotConfirmed,
}

/// Spec §7.2 / §7.3: clinical decline (or, for iRANO, a new neurological deficit) confirms
/// at once; otherwise a scan at least `confirm_min_days` later confirms with ≥ pd_rel growth
/// over the first unconfirmed scan or an additional new lesion (or, with the alternative
/// rule, still progression against the reference). An earlier scan that still shows
/// progression keeps waiting; anything else is not a confirmation.
fn follow_pending(
    rc: &RanoConfig,
    variant: &Variant,
    p: &Waiting,
    first: &TimepointAssessment,
    day: i64,
    f: &Findings,
    rules: &mut Vec<Rule>,
) -> Pending {
    let names = &variant.names;
    let clinical = f.clinical_worse || f.new_deficit;
    let since = day - p.day;
    let confirms = if clinical {
        rules.push(Rule::new(
            names.clinical,
            format!(
                "clinical decline or new neurological deficit after the unconfirmed progression at {} (day {}) → PD",
                first.timepoint_id, first.day
            ),
        ));
        true
    } else if variant.confirm_vs_first_scan {
        let added: Vec<&str> = f
            .new_in_field
            .iter()
            .chain(&f.new_outside)
            .filter(|id| !p.new_ids.contains(id))
            .map(String::as_str)
            .collect();
        let mut detail = String::with_capacity(120);
        let grew = match p.spd {
            Some(first_spd) if f.spd.missing == 0 => {
                let grew = grown(rc.pd_rel, f.spd.sum, first_spd);
                let _ = write!(
                    detail,
                    "SPD {} mm² {} {} × SPD {} mm² at {}",
                    Area(f.spd.sum),
                    if grew { "≥" } else { "<" },
                    rc.pd_rel.one_plus(),
                    Area(first_spd),
                    first.timepoint_id
                );
                grew
            }
            _ => {
                let _ = write!(detail, "SPD not comparable with {}", first.timepoint_id);
                false
            }
        };
        if !added.is_empty() {
            let _ = write!(detail, "; additional new lesion {}", added.join(", "));
        }
        rules.push(Rule::new(names.compare, detail));
        grew || !added.is_empty()
    } else {
        f.imaging_pd
    };
    if confirms && (clinical || since >= variant.confirm_min_days) {
        rules.push(Rule::new(
            names.confirmed,
            format!(
                "progression confirmed {since} days after {} (day {}) → PD, dated to {}",
                first.timepoint_id, first.day, first.timepoint_id
            ),
        ));
        Pending::Confirmed
    } else if (confirms || f.imaging_pd) && since < variant.confirm_min_days {
        rules.push(Rule::new(
            names.awaiting,
            format!(
                "{since} days after the unconfirmed progression at {} (day {}); confirmation needs a scan ≥ {} days after it → PD-unconfirmed",
                first.timepoint_id, first.day, variant.confirm_min_days
            ),
        ));
        Pending::Awaiting
    } else {
        rules.push(Rule::new(
            names.not_confirmed,
            format!(
                "the progression at {} (day {}) is not confirmed {since} days later: pseudo-progression; assessed afresh",
                first.timepoint_id, first.day
            ),
        ));
        Pending::NotConfirmed
    }
}

/// What the early window after radiotherapy makes of a scan.
enum Window {
    /// Progression (after the window, or new enhancement outside the field inside it).
    Progression,
    /// Growth (or decline) that the window keeps from being progression.
    Blocked,
    Nothing,
}

/// Spec §7.1: inside the window only new enhancement mostly outside the radiation field
/// is progression; in-field growth, clinical decline or steroids alone are not.
fn window_rule(
    rc: &RanoConfig,
    variant: &Variant,
    tp: &crate::observed::ObservedTimepoint,
    rt_end: Option<i64>,
    f: &Findings,
    rules: &mut Vec<Rule>,
) -> Window {
    let after = rt_end.map_or(0, |end| tp.day - end);
    if !f.new_outside.is_empty() {
        rules.push(Rule::new(
            "rano.early_window.outside_field",
            format!(
                "{} (day {}) is {after} days after the end of radiotherapy (≤ {}); new enhancement {} mostly outside the radiation field → progression",
                tp.id,
                tp.day,
                rc.early_window_days,
                f.new_outside.join(", ")
            ),
        ));
        return Window::Progression;
    }
    if f.imaging_pd {
        let consequence = if matches!(variant.confirmation, Confirmation::EarlyWindow { .. }) {
            "preliminary progression, to be confirmed"
        } else {
            "not progression (possible pseudo-progression)"
        };
        rules.push(Rule::new(
            "rano.early_window.in_field_growth",
            format!(
                "{} (day {}) is {after} days after the end of radiotherapy (≤ {}); growth inside the radiation field → {consequence}",
                tp.id, tp.day, rc.early_window_days
            ),
        ));
        return Window::Blocked;
    }
    if f.clinical_worse {
        rules.push(Rule::new(
            "rano.early_window.clinical_only",
            format!(
                "{} (day {}) is {after} days after the end of radiotherapy (≤ {}); clinical decline alone is not progression in the window",
                tp.id, tp.day, rc.early_window_days
            ),
        ));
        return Window::Blocked;
    }
    Window::Nothing
}

/// Progression is final, or held as PD-unconfirmed until a later scan confirms it.
fn hold_or_final(
    variant: &Variant,
    day: i64,
    f: &Findings,
    in_window: bool,
    rules: &mut Vec<Rule>,
) -> (Response, bool) {
    match variant.confirmation {
        Confirmation::Never => (Response::PD, true),
        Confirmation::Immunotherapy {
            start_day: Some(start),
            window_days,
        } if (0..=window_days).contains(&(day - start)) => {
            if f.new_deficit || f.clinical_worse {
                rules.push(Rule::new(
                    variant.names.clinical,
                    format!(
                        "day {day} is {} days after the start of immunotherapy (≤ {window_days}), but with a new neurological deficit or clinical decline → PD without confirmation",
                        day - start
                    ),
                ));
                return (Response::PD, true);
            }
            rules.push(Rule::new(
                variant.names.unconfirmed,
                format!(
                    "day {day} is {} days after the start of immunotherapy (≤ {window_days}) and there is no new neurological deficit → PD-unconfirmed until a scan ≥ {} days later confirms it",
                    day - start,
                    variant.confirm_min_days
                ),
            ));
            (Response::PdUnconfirmed, false)
        }
        Confirmation::Immunotherapy { .. } => (Response::PD, true),
        Confirmation::EarlyWindow { always } => {
            let outside_now =
                in_window && variant.outside_field_immediate_pd && !f.new_outside.is_empty();
            if (in_window || always) && !outside_now && !f.clinical_worse {
                rules.push(Rule::new(
                    variant.names.unconfirmed,
                    format!(
                        "preliminary progression → PD-unconfirmed until a scan ≥ {} days later confirms it",
                        variant.confirm_min_days
                    ),
                ));
                (Response::PdUnconfirmed, false)
            } else {
                (Response::PD, true)
            }
        }
    }
}

enum Outcome {
    Response(Response),
    /// Steroids above the baseline dose without progression: neither SD nor PD.
    SteroidIncrease,
}

/// CR / PR / SD / NE of a scan without progression (spec §7.1 table: every criterion of
/// a column must hold).
fn response(
    config: &Config,
    f: &Findings,
    baseline_steroid: Option<i64>,
    rules: &mut Vec<Rule>,
) -> Outcome {
    let rc = &config.rano;
    let nm = f.non_measurable;
    let mut imaging = match f.target {
        Some(TargetCat::NE) => Response::NE,
        Some(TargetCat::CR) if matches!(nm, None | Some(NonMeasurable::CR)) && !f.new_equivocal => {
            Response::CR
        }
        Some(TargetCat::CR | TargetCat::PR) => Response::PR,
        Some(TargetCat::SD | TargetCat::PD) => Response::SD,
        None => match nm {
            None | Some(NonMeasurable::NE) => Response::NE,
            Some(_) => {
                rules.push(Rule::new(
                    "rano.no_measurable_disease",
                    "only non-measurable disease: CR and PR are not possible → SD".into(),
                ));
                Response::SD
            }
        },
    };
    if imaging != Response::NE {
        match (f.steroid, baseline_steroid) {
            (Some(dose), Some(base)) if dose > base => {
                rules.push(Rule::new(
                    "rano.steroids.increase",
                    format!(
                        "steroids {} mg > {} mg at baseline without progression: neither SD nor PD",
                        ug(dose),
                        ug(base)
                    ),
                ));
                return Outcome::SteroidIncrease;
            }
            (Some(dose), _) if imaging == Response::CR && !within(dose, rc.cr_steroid_max_mg) => {
                rules.push(Rule::new(
                    "rano.steroids.cr_needs_none",
                    format!(
                        "steroids {} mg > {} mg: CR needs corticosteroids off (physiological replacement only) → PR",
                        ug(dose),
                        rc.cr_steroid_max_mg
                    ),
                ));
                imaging = Response::PR;
            }
            // Recorded on one side only: say so (no steroid data at all is said once, on the
            // baseline row).
            (None, Some(_)) | (Some(_), None) => rules.push(Rule::new(
                "rano.steroids.not_recorded",
                "steroid dose not recorded at this scan or at baseline: not checked".into(),
            )),
            _ => {}
        }
    }
    let t = f.target.map_or("none", |t| target_response(t).as_str());
    let n = nm.map_or("none", |n| non_measurable_response(n).as_str());
    rules.push(Rule::new(
        "rano.overall",
        format!("target {t}, non-measurable {n}, no new lesion, no progression → {imaging}"),
    ));
    Outcome::Response(imaging)
}

/// `dose` (µg) ≤ `limit` (mg, exact decimal).
fn within(dose_ug: i64, limit_mg: Fraction) -> bool {
    (dose_ug as i128).saturating_mul(limit_mg.den as i128)
        <= (limit_mg.num as i128).saturating_mul(1000)
}

fn level_of(response: Response) -> Level {
    match response {
        Response::CR => Level::CR,
        Response::PR => Level::PR,
        Response::SD => Level::SD,
        Response::PD => Level::PD,
        Response::PdUnconfirmed => Level::UnconfirmedPd,
        _ => Level::NE,
    }
}

fn response_of(level: Level) -> Response {
    match level {
        Level::CR => Response::CR,
        Level::PR => Response::PR,
        Level::SD | Level::NonCrNonPd => Response::SD,
        Level::PD => Response::PD,
        Level::UnconfirmedPd => Response::PdUnconfirmed,
        Level::NE => Response::NE,
    }
}

/// Whether RANO problems concern this subject: a glioma context, or — with no disease
/// given — anything the RANO family reads beyond RECIST (radiotherapy end, clinical data,
/// a radiation-field flag, a second diameter on a non-nodal lesion).
fn rano_inputs_present(observed: &Observed) -> bool {
    match observed.disease() {
        Some(disease) => disease == Disease::HighGradeGlioma,
        None => {
            observed.subject.context.as_ref().is_some_and(|c| {
                c.radiotherapy_end_day.is_some() || c.radiotherapy_end_date.is_some()
            }) || observed.timepoints.iter().any(|t| t.tp.clinical.is_some())
                || observed.any_lesion(|l| {
                    l.outside_rt_field.is_some() || (!l.nodal && l.short_axis_mm.is_some())
                })
        }
    }
}
