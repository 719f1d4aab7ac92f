//! irRC, the immune-related response criteria (Wolchok 2009; spec §4): bidimensional.
//!
//! Every lesion counts by the product of its long axis and the longest diameter
//! perpendicular to it (the timeline's `short_axis_mm`; nodes are measured the same way,
//! without the RECIST short-axis rule). The tumour burden is the products of the index
//! lesions (the baseline targets) plus those of new measurable lesions (both diameters
//! ≥ `irrc.new_measurable_min_mm`). irPR is ≤ 50 % of the baseline burden, irPD ≥ 125 % of
//! the nadir, and irPD must be confirmed at least 4 weeks later; the scheme is the shared
//! one of [`crate::immune_burden`].
//!
//! Per lesion: absent or coalesced → 0; too small to measure → `irrc.too_small_mm` squared;
//! split lesions (`fragments_mm` carries long axes only) and lesions without both diameters
//! are not measured (the row is NE unless the partial burden proves progression). Index
//! limits and measurability are checked at baseline and reported as problems, never
//! silently fixed. Index lesions without both diameters at baseline make every irRC row NE
//! (the baseline row says why). Which new lesions count at all (unequivocal, not a node
//! below `recist.new_node_min_sa_mm`) is decided once for every criterion in `prepare`.

use serde_json::{json, Value};

use crate::assessment::{Criterion, CriterionAssessment, Response};
use crate::config::{
    boolean, choice, count, days, fraction, fraction_below_one, fraction_json, millimetres,
    number_mm, Config, MeasurementRounding,
};
use crate::error::ConfigError;
use crate::exact::{Fraction, Micrometres};
use crate::immune_burden::{
    self, is_cutaneous, option_name, Labels, Measures, NewLesionCaps, NewMeasure, PdConfirmRule,
    PfsDate, RuleNames, Settings, TargetBurden, Unit, PD_CONFIRM_RULES, PFS_DATES,
};
use crate::prepare::PreparedSubject;
use crate::timeline::{Lesion, LesionStatus, Problem, Subject};

/// irRC keys (spec §4.5), defaults from the spec.
#[derive(Debug, Clone, PartialEq)]
pub struct IrrcConfig {
    /// C1: both diameters of an index lesion at least this at baseline (checked, reported).
    pub index_min: Micrometres,
    pub index_max_per_organ: usize,
    pub index_max_visceral: usize,
    pub index_max_cutaneous: usize,
    /// A new lesion is measurable when both diameters are at least this (5 × 5 mm).
    pub new_measurable_min: Micrometres,
    pub new_max_per_organ: usize,
    pub new_max_visceral: usize,
    pub new_max_cutaneous: usize,
    /// irPD: burden ≥ (1 + pd_rel) × nadir.
    pub pd_rel: Fraction,
    /// irPR: burden ≤ (1 − pr_rel) × baseline.
    pub pr_rel: Fraction,
    /// C2: PD wins when both thresholds are met.
    pub pd_precedence: bool,
    /// C3: what the confirming assessment must show.
    pub pd_confirm_rule: PdConfirmRule,
    pub pd_confirm_min_days: i64,
    /// C4: a node whose short (perpendicular) axis is below this is resolved.
    pub node_resolved_below: Micrometres,
    /// Each diameter of a lesion too small to measure.
    pub too_small: Micrometres,
    pub pfs_date: PfsDate,
}

impl Default for IrrcConfig {
    fn default() -> Self {
        IrrcConfig {
            index_min: Micrometres(5_000),
            index_max_per_organ: 5,
            index_max_visceral: 10,
            index_max_cutaneous: 5,
            new_measurable_min: Micrometres(5_000),
            new_max_per_organ: 5,
            new_max_visceral: 10,
            new_max_cutaneous: 5,
            pd_rel: Fraction { num: 25, den: 100 },
            pr_rel: Fraction { num: 5, den: 10 },
            pd_precedence: true,
            pd_confirm_rule: PdConfirmRule::StillPdVsNadir,
            pd_confirm_min_days: 28,
            node_resolved_below: Micrometres(10_000),
            too_small: Micrometres(5_000),
            pfs_date: PfsDate::FirstPd,
        }
    }
}

pub const KEYS: &[&str] = &[
    "irrc.index_min_mm",
    "irrc.index_max_per_organ",
    "irrc.index_max_visceral",
    "irrc.index_max_cutaneous",
    "irrc.new_measurable_min_mm",
    "irrc.new_max_per_organ",
    "irrc.new_max_visceral",
    "irrc.new_max_cutaneous",
    "irrc.pd_rel",
    "irrc.pr_rel",
    "irrc.pd_precedence",
    "irrc.pd_confirm_rule",
    "irrc.pd_confirm_min_days",
    "irrc.node_resolved_sa_lt_mm",
    "irrc.too_small_mm",
    "irrc.pfs_date",
];

impl IrrcConfig {
    pub fn set(&mut self, key: &str, value: &Value) -> Result<(), ConfigError> {
        match key {
            "irrc.index_min_mm" => self.index_min = millimetres(key, value)?,
            "irrc.index_max_per_organ" => self.index_max_per_organ = count(key, value)?,
            "irrc.index_max_visceral" => self.index_max_visceral = count(key, value)?,
            "irrc.index_max_cutaneous" => self.index_max_cutaneous = count(key, value)?,
            "irrc.new_measurable_min_mm" => self.new_measurable_min = millimetres(key, value)?,
            "irrc.new_max_per_organ" => self.new_max_per_organ = count(key, value)?,
            "irrc.new_max_visceral" => self.new_max_visceral = count(key, value)?,
            "irrc.new_max_cutaneous" => self.new_max_cutaneous = count(key, value)?,
            "irrc.pd_rel" => self.pd_rel = fraction(key, value)?,
            "irrc.pr_rel" => self.pr_rel = fraction_below_one(key, value)?,
            "irrc.pd_precedence" => self.pd_precedence = boolean(key, value)?,
            "irrc.pd_confirm_rule" => self.pd_confirm_rule = choice(key, value, PD_CONFIRM_RULES)?,
            "irrc.pd_confirm_min_days" => self.pd_confirm_min_days = days(key, value)?,
            "irrc.node_resolved_sa_lt_mm" => self.node_resolved_below = millimetres(key, value)?,
            "irrc.too_small_mm" => self.too_small = millimetres(key, value)?,
            "irrc.pfs_date" => self.pfs_date = choice(key, value, PFS_DATES)?,
            _ => return Err(ConfigError::UnknownKey(key.to_string())),
        }
        Ok(())
    }

    /// Every key with its effective value, in [`KEYS`] order.
    pub fn effective(&self) -> Vec<(&'static str, Value)> {
        vec![
            ("irrc.index_min_mm", number_mm(self.index_min)),
            ("irrc.index_max_per_organ", json!(self.index_max_per_organ)),
            ("irrc.index_max_visceral", json!(self.index_max_visceral)),
            ("irrc.index_max_cutaneous", json!(self.index_max_cutaneous)),
            (
                "irrc.new_measurable_min_mm",
                number_mm(self.new_measurable_min),
            ),
            ("irrc.new_max_per_organ", json!(self.new_max_per_organ)),
            ("irrc.new_max_visceral", json!(self.new_max_visceral)),
            ("irrc.new_max_cutaneous", json!(self.new_max_cutaneous)),
            ("irrc.pd_rel", fraction_json(self.pd_rel)),
            ("irrc.pr_rel", fraction_json(self.pr_rel)),
            ("irrc.pd_precedence", json!(self.pd_precedence)),
            (
                "irrc.pd_confirm_rule",
                json!(option_name(PD_CONFIRM_RULES, self.pd_confirm_rule)),
            ),
            ("irrc.pd_confirm_min_days", json!(self.pd_confirm_min_days)),
            (
                "irrc.node_resolved_sa_lt_mm",
                number_mm(self.node_resolved_below),
            ),
            ("irrc.too_small_mm", number_mm(self.too_small)),
            (
                "irrc.pfs_date",
                json!(option_name(PFS_DATES, self.pfs_date)),
            ),
        ]
    }
}

static NAMES: RuleNames = RuleNames {
    baseline: "irrc.baseline",
    new_measurable: "irrc.new_lesion.measurable",
    new_non_measurable: "irrc.new_lesion.non_measurable",
    target_cr: "irrc.target.cr",
    target_pd: "irrc.target.pd",
    target_pr: "irrc.target.pr",
    target_sd: "irrc.target.sd",
    target_ne_missing: "irrc.target.ne_missing",
    target_pd_partial: "irrc.target.pd_partial_burden",
    pd_precedence: "irrc.pd_precedence",
    non_target: "irrc.non_target",
    nt_progression: "irrc.non_target.pd",
    overall: "irrc.overall",
    pd_pending: "irrc.pd_confirm.pending",
    pd_early_scan: "irrc.pd_confirm.early_scan",
    pd_pending_ne: "irrc.pd_confirm.pending_ne",
    pd_confirmed: "irrc.pd_confirm.confirmed",
    pd_not_confirmed: "irrc.pd_confirm.not_confirmed",
};

const LABELS: Labels = Labels {
    cr: Response::IrCR,
    pr: Response::IrPR,
    sd: Response::IrSD,
    pd: Response::IrPD,
    non_cr: Response::IrSD,
    nt_persisting: Response::IrSD,
};

pub fn assess(
    config: &Config,
    raw: &Subject,
    subject: &PreparedSubject,
    problems: &mut Vec<Problem>,
) -> CriterionAssessment {
    let c = &config.irrc;
    let products = Products {
        config,
        raw,
        subject,
    };
    check_index_lesions(config, &products, problems);
    let settings = Settings {
        criterion: Criterion::Irrc,
        names: &NAMES,
        labels: LABELS,
        burden_name: "tumour burden",
        pd_rel: c.pd_rel,
        pd_abs: 0,
        pr_rel: c.pr_rel,
        pd_precedence: c.pd_precedence,
        nt_defines_pd: false,
        pd_confirmation_required: true,
        pd_confirm_rule: c.pd_confirm_rule,
        pd_confirm_min_days: c.pd_confirm_min_days,
        pfs_date: c.pfs_date,
        caps: NewLesionCaps {
            total: None,
            per_organ: c.new_max_per_organ,
            visceral: Some(c.new_max_visceral),
            cutaneous: Some(c.new_max_cutaneous),
        },
        node_resolved_below: c.node_resolved_below,
    };
    immune_burden::assess(config, &settings, subject, &products)
}

/// Both diameters of a lesion, and its product, as irRC counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Bidimensional {
    long: Micrometres,
    perpendicular: Micrometres,
}

impl Bidimensional {
    fn product(self) -> i64 {
        self.long.0.saturating_mul(self.perpendicular.0)
    }
}

/// Products read from the input lesions (the prepared subject keeps only RECIST measures).
struct Products<'a> {
    config: &'a Config,
    raw: &'a Subject,
    subject: &'a PreparedSubject,
}

impl Products<'_> {
    fn lesion(&self, index: usize, id: &str) -> Option<&Lesion> {
        let source = self.subject.timepoints.get(index)?.source;
        self.raw
            .timepoints
            .get(source)?
            .lesions
            .iter()
            .find(|l| l.lesion_id == id)
    }

    fn mm(&self, value: Option<f64>) -> Option<Micrometres> {
        let v = Micrometres::from_mm(value?)?;
        Some(match self.config.measurement_rounding {
            MeasurementRounding::None => v,
            MeasurementRounding::NearestMm => v.rounded_to_mm(),
        })
    }

    /// `None` when the lesion is not measured at this timepoint.
    fn diameters(&self, lesion: &Lesion) -> Option<Bidimensional> {
        let zero = Bidimensional {
            long: Micrometres::ZERO,
            perpendicular: Micrometres::ZERO,
        };
        if lesion.coalesced_into.is_some() {
            return Some(zero);
        }
        if lesion.fragments_mm.is_some() {
            return None;
        }
        match lesion.status {
            Some(LesionStatus::Absent) => Some(zero),
            Some(LesionStatus::TooSmall) => Some(Bidimensional {
                long: self.config.irrc.too_small,
                perpendicular: self.config.irrc.too_small,
            }),
            Some(LesionStatus::NotAssessed) => None,
            _ => Some(Bidimensional {
                long: self.mm(lesion.long_axis_mm)?,
                perpendicular: self.mm(lesion.short_axis_mm)?,
            }),
        }
    }

    fn resolved(&self, lesion: &Lesion, d: Bidimensional) -> bool {
        if lesion.nodal {
            d.perpendicular < self.config.irrc.node_resolved_below
        } else {
            d.product() == 0
        }
    }
}

impl Measures for Products<'_> {
    fn unit(&self) -> Unit {
        Unit::SquareMicrometres
    }

    fn targets(&self, index: usize) -> TargetBurden {
        let mut burden = TargetBurden {
            sum: 0,
            missing: 0,
            resolved: true,
        };
        for target in &self.subject.targets {
            let lesion = self.lesion(index, &target.id);
            match lesion.and_then(|l| Some((l, self.diameters(l)?))) {
                Some((lesion, d)) => {
                    burden.sum = burden.sum.saturating_add(d.product());
                    burden.resolved &= self.resolved(lesion, d);
                }
                None => {
                    burden.missing += 1;
                    burden.resolved = false;
                }
            }
        }
        burden
    }

    fn new_lesion(&self, index: usize, k: usize) -> NewMeasure {
        let not_measured = NewMeasure {
            value: None,
            measurable: false,
            resolved: false,
        };
        let Some(obs) = self
            .subject
            .timepoints
            .get(index)
            .and_then(|tp| tp.new_lesions.get(k))
        else {
            return not_measured;
        };
        let Some(lesion) = self.lesion(index, &obs.id) else {
            return not_measured;
        };
        let Some(d) = self.diameters(lesion) else {
            return not_measured;
        };
        let min = self.config.irrc.new_measurable_min;
        NewMeasure {
            value: Some(d.product()),
            measurable: d.long >= min && d.perpendicular >= min,
            resolved: self.resolved(lesion, d),
        }
    }
}

/// Baseline checks (C1 and the index limits) of lesions with both diameters: reported as
/// problems, lesions kept.
fn check_index_lesions(config: &Config, products: &Products, problems: &mut Vec<Problem>) {
    let c = &config.irrc;
    let subject_id = &products.raw.subject_id;
    let mut report = |message: String| {
        let mut problem = Problem::new("irrc_index_lesions", message);
        problem
            .extra
            .insert("subject_id".into(), Value::String(subject_id.clone()));
        problems.push(problem);
    };
    let mut per_organ: Vec<(&str, usize)> = Vec::new();
    let (mut visceral, mut cutaneous) = (0usize, 0usize);
    for target in &products.subject.targets {
        match products.lesion(0, &target.id).and_then(|l| products.diameters(l)) {
            Some(d) if d.long < c.index_min || d.perpendicular < c.index_min => report(format!(
                "irRC: index lesion {} is {} × {} mm at baseline, below {} × {} mm; kept as recorded",
                target.id, d.long, d.perpendicular, c.index_min, c.index_min
            )),
            // Without both diameters irRC cannot be assessed; the baseline row says so.
            // Not a problem: unidimensional data are common and fine for other criteria.
            _ => {}
        }
        let organ = target.organ_key.as_deref().unwrap_or_default();
        if is_cutaneous(Some(organ)) {
            cutaneous += 1;
        } else {
            visceral += 1;
        }
        match per_organ.iter_mut().find(|(o, _)| *o == organ) {
            Some((_, n)) => *n += 1,
            None => per_organ.push((organ, 1)),
        }
    }
    per_organ.sort_unstable();
    for (organ, n) in per_organ {
        if n > c.index_max_per_organ && !organ.is_empty() {
            report(format!(
                "irRC: {n} index lesions in organ \"{organ}\"; at most {} per organ; all kept",
                c.index_max_per_organ
            ));
        }
    }
    if visceral > c.index_max_visceral {
        report(format!(
            "irRC: {visceral} visceral index lesions; at most {}; all kept",
            c.index_max_visceral
        ));
    }
    if cutaneous > c.index_max_cutaneous {
        report(format!(
            "irRC: {cutaneous} cutaneous index lesions; at most {}; all kept",
            c.index_max_cutaneous
        ));
    }
}
