//! RANO 2.0 (Wen 2023; spec §7.3, mostly `[S]`/`[U]`): RANO with the post-radiotherapy
//! scan as baseline, at most 3 targets, progression inside the early window after
//! radiotherapy recorded as preliminary (`PD-unconfirmed`) until a confirming scan, a
//! non-measurable lesion growing to measurable size as progression, and T2/FLAIR not used
//! for progression by default. The RANO engine ([`crate::rano`]) does the rest.
//!
//! Rules the spec could not verify are keys (see README, "RANO 2.0: unverified rules").

use serde_json::{json, Value};

use crate::assessment::{Criterion, CriterionAssessment};
use crate::config::{boolean, choice, count, days, Config};
use crate::error::ConfigError;
use crate::observed::Observed;
use crate::rano::{name_of, run, ConfirmNames, Confirmation, Variant};
use crate::timeline::Problem;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rano2Baseline {
    /// The first scan after the end of radiotherapy (when the radiotherapy end is known).
    PostRt,
    /// The timeline's baseline scan.
    Protocol,
}

/// What confirms preliminary progression (spec N8, `[U]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfirmReference {
    /// SPD ≥ (1 + rano.pd_rel) × SPD of the preliminary scan, or an additional new lesion.
    PreliminaryScan,
    /// The scan still meets progression against the reference.
    Reference,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Rano2Config {
    pub baseline: Rano2Baseline,
    pub max_targets: usize,
    pub confirm_min_days: i64,
    pub confirm_reference: ConfirmReference,
    pub confirm_outside_window: bool,
    pub outside_field_immediate_pd: bool,
    pub t2flair_defines_pd: bool,
}

impl Default for Rano2Config {
    fn default() -> Self {
        Rano2Config {
            baseline: Rano2Baseline::PostRt,
            max_targets: 3,
            confirm_min_days: 28,
            confirm_reference: ConfirmReference::PreliminaryScan,
            confirm_outside_window: false,
            outside_field_immediate_pd: true,
            t2flair_defines_pd: false,
        }
    }
}

pub const KEYS: &[&str] = &[
    "rano2.baseline",
    "rano2.max_targets",
    "rano2.confirm_min_days",
    "rano2.confirm_reference",
    "rano2.confirm_outside_window",
    "rano2.outside_field_immediate_pd",
    "rano2.t2flair_defines_pd",
];

const BASELINES: &[(&str, Rano2Baseline)] = &[
    ("post_rt", Rano2Baseline::PostRt),
    ("protocol", Rano2Baseline::Protocol),
];
const REFERENCES: &[(&str, ConfirmReference)] = &[
    ("preliminary_scan", ConfirmReference::PreliminaryScan),
    ("reference", ConfirmReference::Reference),
];

impl Rano2Config {
    pub fn set(&mut self, key: &str, value: &Value) -> Result<(), ConfigError> {
        match key {
            "rano2.baseline" => self.baseline = choice(key, value, BASELINES)?,
            "rano2.max_targets" => self.max_targets = count(key, value)?,
            "rano2.confirm_min_days" => self.confirm_min_days = days(key, value)?,
            "rano2.confirm_reference" => self.confirm_reference = choice(key, value, REFERENCES)?,
            "rano2.confirm_outside_window" => self.confirm_outside_window = boolean(key, value)?,
            "rano2.outside_field_immediate_pd" => {
                self.outside_field_immediate_pd = boolean(key, value)?
            }
            "rano2.t2flair_defines_pd" => self.t2flair_defines_pd = boolean(key, value)?,
            _ => return Err(ConfigError::UnknownKey(key.to_string())),
        }
        Ok(())
    }

    pub fn effective(&self, out: &mut Vec<(&'static str, Value)>) {
        out.extend([
            ("rano2.baseline", name_of(BASELINES, self.baseline)),
            ("rano2.max_targets", json!(self.max_targets)),
            ("rano2.confirm_min_days", json!(self.confirm_min_days)),
            (
                "rano2.confirm_reference",
                name_of(REFERENCES, self.confirm_reference),
            ),
            (
                "rano2.confirm_outside_window",
                json!(self.confirm_outside_window),
            ),
            (
                "rano2.outside_field_immediate_pd",
                json!(self.outside_field_immediate_pd),
            ),
            ("rano2.t2flair_defines_pd", json!(self.t2flair_defines_pd)),
        ]);
    }
}

pub fn assess(
    config: &Config,
    observed: &Observed,
    problems: &mut Vec<Problem>,
) -> CriterionAssessment {
    let c = &config.rano2;
    let variant = Variant {
        criterion: Criterion::Rano2,
        max_targets: c.max_targets,
        t2flair_defines_pd: c.t2flair_defines_pd,
        nt_becoming_measurable_is_pd: true,
        post_rt_baseline: c.baseline == Rano2Baseline::PostRt,
        outside_field_immediate_pd: c.outside_field_immediate_pd,
        confirmation: Confirmation::EarlyWindow {
            always: c.confirm_outside_window,
        },
        confirm_min_days: c.confirm_min_days,
        confirm_vs_first_scan: c.confirm_reference == ConfirmReference::PreliminaryScan,
        names: ConfirmNames {
            unconfirmed: "rano2.preliminary_pd",
            awaiting: "rano2.awaiting_confirmation",
            confirmed: "rano2.confirmed",
            not_confirmed: "rano2.not_confirmed",
            clinical: "rano2.clinical_decline",
            compare: "rano2.confirmation.compare",
        },
    };
    run(config, observed, &variant, problems)
}
