//! iRANO (Okada 2015; spec §7.2): RANO for patients on immunotherapy. Radiographic
//! progression within `irano.window_days` of starting immunotherapy, without a new
//! significant neurological deficit, is `PD-unconfirmed` until a scan at least
//! `irano.confirm_min_days` later confirms it; confirmed progression is dated back to the
//! first scan. The RANO engine ([`crate::rano`]) does the rest.

use serde_json::{json, Value};

use crate::assessment::{Criterion, CriterionAssessment};
use crate::config::{choice, days, Config};
use crate::error::ConfigError;
use crate::observed::Observed;
use crate::rano::{name_of, run, ConfirmNames, Confirmation, Variant};
use crate::timeline::Problem;

/// What confirms an unconfirmed progression (spec N5, `[U]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfirmRule {
    /// SPD ≥ (1 + rano.pd_rel) × SPD of the first unconfirmed scan, or an additional new
    /// lesion, or clinical decline.
    VsInitialPdScan,
    /// The scan still meets RANO progression against the reference (nadir).
    StillPdVsNadir,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IranoConfig {
    pub window_days: i64,
    pub confirm_min_days: i64,
    pub confirm_rule: ConfirmRule,
}

impl Default for IranoConfig {
    fn default() -> Self {
        IranoConfig {
            window_days: 183,
            confirm_min_days: 84,
            confirm_rule: ConfirmRule::VsInitialPdScan,
        }
    }
}

pub const KEYS: &[&str] = &[
    "irano.window_days",
    "irano.confirm_min_days",
    "irano.confirm_rule",
];

const RULES: &[(&str, ConfirmRule)] = &[
    ("vs_initial_pd_scan", ConfirmRule::VsInitialPdScan),
    ("still_pd_vs_nadir", ConfirmRule::StillPdVsNadir),
];

impl IranoConfig {
    pub fn set(&mut self, key: &str, value: &Value) -> Result<(), ConfigError> {
        match key {
            "irano.window_days" => self.window_days = days(key, value)?,
            "irano.confirm_min_days" => self.confirm_min_days = days(key, value)?,
            "irano.confirm_rule" => self.confirm_rule = choice(key, value, RULES)?,
            _ => return Err(ConfigError::UnknownKey(key.to_string())),
        }
        Ok(())
    }

    pub fn effective(&self, out: &mut Vec<(&'static str, Value)>) {
        out.extend([
            ("irano.window_days", json!(self.window_days)),
            ("irano.confirm_min_days", json!(self.confirm_min_days)),
            ("irano.confirm_rule", name_of(RULES, self.confirm_rule)),
        ]);
    }
}

pub fn assess(
    config: &Config,
    observed: &Observed,
    problems: &mut Vec<Problem>,
) -> CriterionAssessment {
    let context = observed.subject.context.as_ref();
    let start_day = observed.context_day(
        context.and_then(|c| c.immunotherapy_start_day),
        context.and_then(|c| c.immunotherapy_start_date.as_deref()),
    );
    let variant = Variant {
        criterion: Criterion::Irano,
        max_targets: config.rano.max_targets,
        t2flair_defines_pd: true,
        nt_becoming_measurable_is_pd: false,
        post_rt_baseline: false,
        outside_field_immediate_pd: true,
        confirmation: Confirmation::Immunotherapy {
            start_day,
            window_days: config.irano.window_days,
        },
        confirm_min_days: config.irano.confirm_min_days,
        confirm_vs_first_scan: config.irano.confirm_rule == ConfirmRule::VsInitialPdScan,
        names: ConfirmNames {
            unconfirmed: "irano.pd_unconfirmed",
            awaiting: "irano.awaiting_confirmation",
            confirmed: "irano.confirmed",
            not_confirmed: "irano.not_confirmed",
            clinical: "irano.clinical_decline",
            compare: "irano.confirmation.compare",
        },
    };
    run(config, observed, &variant, problems)
}
