//! imRECIST (Hodi 2018; spec §6): RECIST 1.1 with new measurable lesions (at most 5 in
//! total and 2 per organ) added to the sum of target diameters (SLD); new non-measurable
//! lesions and non-target progression never define PD, they only prevent CR. PD (≥ 20 %
//! and ≥ 5 mm over the nadir of the SLD) must be confirmed by the next assessment at least
//! 4 weeks later; an unconfirmed PD is ignored and responses after it count. Responses
//! keep the RECIST strings (CR, PR, SD, PD; non-CR/non-PD without target disease). The
//! scheme is the shared one of [`crate::immune_burden`].

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

/// imRECIST keys (spec §6, M1–M4), defaults from the spec. M3 (responses after an
/// unconfirmed PD count) holds by definition and is not a key.
#[derive(Debug, Clone, PartialEq)]
pub struct ImrecistConfig {
    pub pd_rel: Fraction,
    pub pd_abs: Micrometres,
    pub pr_rel: Fraction,
    /// M2: caps on new measurable lesions added to the SLD.
    pub new_max_total: usize,
    pub new_max_per_organ: usize,
    /// M1: what the confirming assessment must show.
    pub pd_confirm_rule: PdConfirmRule,
    pub pd_confirm_min_days: i64,
    pub pd_precedence: bool,
    /// M4: the progression date of a confirmed PD.
    pub pfs_date: PfsDate,
}

impl Default for ImrecistConfig {
    fn default() -> Self {
        ImrecistConfig {
            pd_rel: Fraction { num: 2, den: 10 },
            pd_abs: Micrometres(5_000),
            pr_rel: Fraction { num: 3, den: 10 },
            new_max_total: 5,
            new_max_per_organ: 2,
            pd_confirm_rule: PdConfirmRule::StillPdVsNadir,
            pd_confirm_min_days: 28,
            pd_precedence: true,
            pfs_date: PfsDate::FirstPd,
        }
    }
}

pub const KEYS: &[&str] = &[
    "imrecist.pd_rel",
    "imrecist.pd_abs_mm",
    "imrecist.pr_rel",
    "imrecist.new_max_total",
    "imrecist.new_max_per_organ",
    "imrecist.pd_confirm_rule",
    "imrecist.pd_confirm_min_days",
    "imrecist.pd_precedence",
    "imrecist.pfs_date",
];

impl ImrecistConfig {
    pub fn set(&mut self, key: &str, value: &Value) -> Result<(), ConfigError> {
        match key {
            "imrecist.pd_rel" => self.pd_rel = fraction(key, value)?,
            "imrecist.pd_abs_mm" => self.pd_abs = millimetres(key, value)?,
            "imrecist.pr_rel" => self.pr_rel = fraction_below_one(key, value)?,
            "imrecist.new_max_total" => self.new_max_total = count(key, value)?,
            "imrecist.new_max_per_organ" => self.new_max_per_organ = count(key, value)?,
            "imrecist.pd_confirm_rule" => {
                self.pd_confirm_rule = choice(key, value, PD_CONFIRM_RULES)?
            }
            "imrecist.pd_confirm_min_days" => self.pd_confirm_min_days = days(key, value)?,
            "imrecist.pd_precedence" => self.pd_precedence = boolean(key, value)?,
            "imrecist.pfs_date" => self.pfs_date = choice(key, value, PFS_DATES)?,
            _ => return Err(ConfigError::UnknownKey(key.to_string())),
        }
        Ok(())
    }

    /// Every key with its effective value, in [`KEYS`] order.
    pub fn effective(&self) -> Vec<(&'static str, Value)> {
        vec![
            ("imrecist.pd_rel", fraction_json(self.pd_rel)),
            ("imrecist.pd_abs_mm", number_mm(self.pd_abs)),
            ("imrecist.pr_rel", fraction_json(self.pr_rel)),
            ("imrecist.new_max_total", json!(self.new_max_total)),
            ("imrecist.new_max_per_organ", json!(self.new_max_per_organ)),
            (
                "imrecist.pd_confirm_rule",
                json!(option_name(PD_CONFIRM_RULES, self.pd_confirm_rule)),
            ),
            (
                "imrecist.pd_confirm_min_days",
                json!(self.pd_confirm_min_days),
            ),
            ("imrecist.pd_precedence", json!(self.pd_precedence)),
            (
                "imrecist.pfs_date",
                json!(option_name(PFS_DATES, self.pfs_date)),
            ),
        ]
    }
}

static NAMES: RuleNames = RuleNames {
    baseline: "imrecist.baseline",
    new_measurable: "imrecist.new_lesion.measurable",
    new_non_measurable: "imrecist.new_lesion.non_measurable",
    target_cr: "imrecist.target.cr",
    target_pd: "imrecist.target.pd",
    target_pr: "imrecist.target.pr",
    target_sd: "imrecist.target.sd",
    target_ne_missing: "imrecist.target.ne_missing",
    target_pd_partial: "imrecist.target.pd_partial_burden",
    pd_precedence: "imrecist.pd_precedence",
    non_target: "imrecist.non_target",
    nt_progression: "imrecist.non_target.pd",
    overall: "imrecist.overall",
    pd_pending: "imrecist.pd_confirm.pending",
    pd_early_scan: "imrecist.pd_confirm.early_scan",
    pd_pending_ne: "imrecist.pd_confirm.pending_ne",
    pd_confirmed: "imrecist.pd_confirm.confirmed",
    pd_not_confirmed: "imrecist.pd_confirm.not_confirmed",
};

const LABELS: Labels = Labels {
    cr: Response::CR,
    pr: Response::PR,
    sd: Response::SD,
    pd: Response::PD,
    non_cr: Response::NonCrNonPd,
    nt_persisting: Response::NonCrNonPd,
};

pub fn assess(config: &Config, subject: &PreparedSubject, base: &Base) -> CriterionAssessment {
    let c = &config.imrecist;
    let settings = Settings {
        criterion: Criterion::Imrecist,
        names: &NAMES,
        labels: LABELS,
        burden_name: "SLD",
        pd_rel: c.pd_rel,
        pd_abs: c.pd_abs.0,
        pr_rel: c.pr_rel,
        pd_precedence: c.pd_precedence,
        nt_defines_pd: false,
        pd_confirmation_required: true,
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
