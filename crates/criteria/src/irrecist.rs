//! irRECIST (Bohnsack 2014; spec §5.2): RECIST 1.1 measurement and baseline, with new
//! measurable lesions (RECIST-measurable, at most 5 in total and 2 per organ) added to the
//! total measured tumour burden (TMTB). irPR is TMTB ≤ 70 % of baseline, irPD TMTB ≥ 120 %
//! of the nadir and ≥ nadir + 5 mm, to be confirmed at least 4 weeks later. New
//! non-measurable lesions and (by default, B1) unequivocal non-target progression do not
//! define irPD; both prevent irCR. The scheme is the shared one of [`crate::immune_burden`].
//! Unidimensional irRC (Nishino 2013, §5.1) is this criterion with
//! `irrecist.pd_abs_mm = 0` (and the irRC caps, if wanted).

use serde_json::{json, Value};

use crate::assessment::{Criterion, CriterionAssessment, Response};
use crate::categories::Base;
use crate::config::{
    boolean, choice, count, days, fraction, fraction_below_one, fraction_json, millimetres,
    number_mm, Config,
};
use crate::error::ConfigError;
use crate::exact::{Fraction, Micrometres};
use crate::immune_burden::{
    self, option_name, Labels, NewLesionCaps, PdConfirmRule, PfsDate, RuleNames, Settings,
    Unidimensional, PD_CONFIRM_RULES, PFS_DATES,
};
use crate::prepare::PreparedSubject;

/// irRECIST keys (spec §5.3), defaults from the spec.
#[derive(Debug, Clone, PartialEq)]
pub struct IrrecistConfig {
    pub pd_rel: Fraction,
    /// B4: the absolute floor of irPD (Bohnsack yes, Nishino no).
    pub pd_abs: Micrometres,
    pub pr_rel: Fraction,
    /// B1: unequivocal non-target progression defines irPD.
    pub nt_progression_defines_pd: bool,
    /// B2: caps on new measurable lesions added to the TMTB.
    pub new_max_total: usize,
    pub new_max_per_organ: usize,
    /// B3: what the confirming assessment must show.
    pub pd_confirm_rule: PdConfirmRule,
    /// Confirmation is "recommended": when false, the first irPD is final.
    pub pd_confirmation_required: bool,
    pub pd_confirm_min_days: i64,
    pub pd_precedence: bool,
    pub pfs_date: PfsDate,
}

impl Default for IrrecistConfig {
    fn default() -> Self {
        IrrecistConfig {
            pd_rel: Fraction { num: 2, den: 10 },
            pd_abs: Micrometres(5_000),
            pr_rel: Fraction { num: 3, den: 10 },
            nt_progression_defines_pd: false,
            new_max_total: 5,
            new_max_per_organ: 2,
            pd_confirm_rule: PdConfirmRule::StillPdVsNadir,
            pd_confirmation_required: true,
            pd_confirm_min_days: 28,
            pd_precedence: true,
            pfs_date: PfsDate::FirstPd,
        }
    }
}

pub const KEYS: &[&str] = &[
    "irrecist.pd_rel",
    "irrecist.pd_abs_mm",
    "irrecist.pr_rel",
    "irrecist.nt_progression_defines_pd",
    "irrecist.new_max_total",
    "irrecist.new_max_per_organ",
    "irrecist.pd_confirm_rule",
    "irrecist.pd_confirmation_required",
    "irrecist.pd_confirm_min_days",
    "irrecist.pd_precedence",
    "irrecist.pfs_date",
];

impl IrrecistConfig {
    pub fn set(&mut self, key: &str, value: &Value) -> Result<(), ConfigError> {
        match key {
            "irrecist.pd_rel" => self.pd_rel = fraction(key, value)?,
            "irrecist.pd_abs_mm" => self.pd_abs = millimetres(key, value)?,
            "irrecist.pr_rel" => self.pr_rel = fraction_below_one(key, value)?,
            "irrecist.nt_progression_defines_pd" => {
                self.nt_progression_defines_pd = boolean(key, value)?
            }
            "irrecist.new_max_total" => self.new_max_total = count(key, value)?,
            "irrecist.new_max_per_organ" => self.new_max_per_organ = count(key, value)?,
            "irrecist.pd_confirm_rule" => {
                self.pd_confirm_rule = choice(key, value, PD_CONFIRM_RULES)?
            }
            "irrecist.pd_confirmation_required" => {
                self.pd_confirmation_required = boolean(key, value)?
            }
            "irrecist.pd_confirm_min_days" => self.pd_confirm_min_days = days(key, value)?,
            "irrecist.pd_precedence" => self.pd_precedence = boolean(key, value)?,
            "irrecist.pfs_date" => self.pfs_date = choice(key, value, PFS_DATES)?,
            _ => return Err(ConfigError::UnknownKey(key.to_string())),
        }
        Ok(())
    }

    /// Every key with its effective value, in [`KEYS`] order.
    pub fn effective(&self) -> Vec<(&'static str, Value)> {
        vec![
            ("irrecist.pd_rel", fraction_json(self.pd_rel)),
            ("irrecist.pd_abs_mm", number_mm(self.pd_abs)),
            ("irrecist.pr_rel", fraction_json(self.pr_rel)),
            (
                "irrecist.nt_progression_defines_pd",
                json!(self.nt_progression_defines_pd),
            ),
            ("irrecist.new_max_total", json!(self.new_max_total)),
            ("irrecist.new_max_per_organ", json!(self.new_max_per_organ)),
            (
                "irrecist.pd_confirm_rule",
                json!(option_name(PD_CONFIRM_RULES, self.pd_confirm_rule)),
            ),
            (
                "irrecist.pd_confirmation_required",
                json!(self.pd_confirmation_required),
            ),
            (
                "irrecist.pd_confirm_min_days",
                json!(self.pd_confirm_min_days),
            ),
            ("irrecist.pd_precedence", json!(self.pd_precedence)),
            (
                "irrecist.pfs_date",
                json!(option_name(PFS_DATES, self.pfs_date)),
            ),
        ]
    }
}

static NAMES: RuleNames = RuleNames {
    baseline: "irrecist.baseline",
    new_measurable: "irrecist.new_lesion.measurable",
    new_non_measurable: "irrecist.new_lesion.non_measurable",
    target_cr: "irrecist.target.cr",
    target_pd: "irrecist.target.pd",
    target_pr: "irrecist.target.pr",
    target_sd: "irrecist.target.sd",
    target_ne_missing: "irrecist.target.ne_missing",
    target_pd_partial: "irrecist.target.pd_partial_burden",
    pd_precedence: "irrecist.pd_precedence",
    non_target: "irrecist.non_target",
    nt_progression: "irrecist.non_target.pd",
    overall: "irrecist.overall",
    pd_pending: "irrecist.pd_confirm.pending",
    pd_early_scan: "irrecist.pd_confirm.early_scan",
    pd_pending_ne: "irrecist.pd_confirm.pending_ne",
    pd_confirmed: "irrecist.pd_confirm.confirmed",
    pd_not_confirmed: "irrecist.pd_confirm.not_confirmed",
};

const LABELS: Labels = Labels {
    cr: Response::IrCR,
    pr: Response::IrPR,
    sd: Response::IrSD,
    pd: Response::IrPD,
    non_cr: Response::IrSD,
    nt_persisting: Response::IrSD,
};

pub fn assess(config: &Config, subject: &PreparedSubject, base: &Base) -> CriterionAssessment {
    let c = &config.irrecist;
    let settings = Settings {
        criterion: Criterion::Irrecist,
        names: &NAMES,
        labels: LABELS,
        burden_name: "TMTB",
        pd_rel: c.pd_rel,
        pd_abs: c.pd_abs.0,
        pr_rel: c.pr_rel,
        pd_precedence: c.pd_precedence,
        nt_defines_pd: c.nt_progression_defines_pd,
        pd_confirmation_required: c.pd_confirmation_required,
        pd_confirm_rule: c.pd_confirm_rule,
        pd_confirm_min_days: c.pd_confirm_min_days,
        pfs_date: c.pfs_date,
        caps: NewLesionCaps {
            total: Some(c.new_max_total),
            per_organ: c.new_max_per_organ,
            visceral: None,
            cutaneous: None,
        },
        node_resolved_below: config.recist.node_normal_below,
    };
    let measures = Unidimensional {
        config,
        subject,
        base,
    };
    immune_burden::assess(config, &settings, subject, &measures)
}
