//! Criteria configuration: every convention the criteria leave open is a dotted key with
//! the default of `shared/spec/criteria.md` (§2.11 RECIST 1.1, §3.9 iRECIST, §0.3).
//!
//! Keys are set from text (`--set recist.pd_rel=0.2`) or from JSON/TOML values, and the
//! effective configuration, defaults included, is written into every assessment.

use serde_json::{json, Value};
use std::collections::BTreeMap;

use crate::error::ConfigError;
use crate::exact::{Fraction, Micrometres};
use crate::imrecist::ImrecistConfig;
use crate::irrc::IrrcConfig;
use crate::irrecist::IrrecistConfig;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MeasurementRounding {
    None,
    NearestMm,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfirmationRule {
    /// First later evaluable timepoint at ≥ `confirm_min_days`; NE timepoints skipped.
    NextEvaluable,
    /// The very next timepoint, which must be at ≥ `confirm_min_days`.
    StrictlyNext,
    /// Any later timepoint at ≥ `confirm_min_days`, with no PD in between.
    AnyLaterWithoutInterveningPd,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SdAnchor {
    BaselineScan,
    TherapyStart,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MissingTargetPolicy {
    /// NE unless the assessed subset already proves PD.
    Ne,
    /// Impute a missing target by its last recorded value.
    ImputeLast,
    /// Impute a missing target by its largest recorded value.
    ImputeMax,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrThenPr {
    /// "CR then PR" is a confirmed PR (the first CR was really a PR).
    Pr,
    /// The unconfirmed CR counts only as SD.
    Sd,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResetWithPersistentNewLesions {
    /// EORTC FAQ scenarios B/F: reset only if the target sum fell since the previous assessment.
    TargetDecrease,
    /// The paper's Table 2 literally: persisting new lesions keep iUPD.
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IcpdReference {
    /// Cumulative: the sum at the first iUPD of the current run.
    FirstIupdOfRun,
    /// Non-cumulative: the sum at the previous iUPD timepoint.
    PreviousIupd,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PfsDate {
    /// The iUPD that was later confirmed.
    Iupd,
    /// The confirming iCPD.
    Icpd,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NltNadir {
    SmallestSinceFirst,
    FirstValue,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RecistConfig {
    pub pd_rel: Fraction,
    pub pd_abs: Micrometres,
    pub pr_rel: Fraction,
    pub too_small_value: Micrometres,
    pub measurable_min: Micrometres,
    pub node_measurable_min: Micrometres,
    pub node_normal_below: Micrometres,
    pub slice_thickness_factor: i64,
    pub node_slice_rule: bool,
    pub max_targets: usize,
    pub max_targets_per_organ: usize,
    pub nodes_one_organ: bool,
    pub pr_sticky: bool,
    pub reappearance_after_confirmed_cr_is_pd: bool,
    pub confirmation_required: bool,
    pub confirm_min_days: i64,
    pub confirmation_rule: ConfirmationRule,
    pub cr_then_pr: CrThenPr,
    pub sd_min_days: i64,
    pub sd_anchor: SdAnchor,
    pub missing_target_policy: MissingTargetPolicy,
    pub nadir_excludes_ne: bool,
    pub new_node_min_sa: Micrometres,
    pub new_node_equivocal_below: Option<Micrometres>,
    pub cr_precedence: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IrecistConfig {
    pub confirm_window_days: (i64, i64),
    pub early_scan_exception: bool,
    pub reset_with_persistent_new_lesions: ResetWithPersistentNewLesions,
    pub icpd_reference: IcpdReference,
    pub icpd_increase: Micrometres,
    pub pfs_date: PfsDate,
    pub nlt_nadir: NltNadir,
    pub max_new_targets: usize,
    pub max_new_targets_per_organ: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub measurement_rounding: MeasurementRounding,
    /// `match_disease`: a subject that declares `context.disease` is assessed only under
    /// the criteria written for that disease ([`crate::applicability`]).
    pub match_disease: bool,
    pub recist: RecistConfig,
    pub irecist: IrecistConfig,
    pub irrc: IrrcConfig,
    pub irrecist: IrrecistConfig,
    pub imrecist: ImrecistConfig,
    pub rano: crate::rano::RanoConfig,
    pub irano: crate::irano::IranoConfig,
    pub rano2: crate::rano2::Rano2Config,
    pub mrecist: crate::mrecist::MrecistConfig,
    pub choi: crate::choi::ChoiConfig,
    pub percist: crate::percist::PercistConfig,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            measurement_rounding: MeasurementRounding::None,
            match_disease: true,
            recist: RecistConfig {
                pd_rel: Fraction { num: 2, den: 10 },
                pd_abs: Micrometres(5_000),
                pr_rel: Fraction { num: 3, den: 10 },
                too_small_value: Micrometres(5_000),
                measurable_min: Micrometres(10_000),
                node_measurable_min: Micrometres(15_000),
                node_normal_below: Micrometres(10_000),
                slice_thickness_factor: 2,
                node_slice_rule: true,
                max_targets: 5,
                max_targets_per_organ: 2,
                nodes_one_organ: true,
                pr_sticky: true,
                reappearance_after_confirmed_cr_is_pd: true,
                confirmation_required: false,
                confirm_min_days: 28,
                confirmation_rule: ConfirmationRule::NextEvaluable,
                cr_then_pr: CrThenPr::Pr,
                sd_min_days: 42,
                sd_anchor: SdAnchor::BaselineScan,
                missing_target_policy: MissingTargetPolicy::Ne,
                nadir_excludes_ne: true,
                new_node_min_sa: Micrometres(10_000),
                new_node_equivocal_below: None,
                cr_precedence: true,
            },
            irecist: IrecistConfig {
                confirm_window_days: (28, 56),
                early_scan_exception: true,
                reset_with_persistent_new_lesions: ResetWithPersistentNewLesions::TargetDecrease,
                icpd_reference: IcpdReference::FirstIupdOfRun,
                icpd_increase: Micrometres(5_000),
                pfs_date: PfsDate::Iupd,
                nlt_nadir: NltNadir::SmallestSinceFirst,
                max_new_targets: 5,
                max_new_targets_per_organ: 2,
            },
            irrc: IrrcConfig::default(),
            irrecist: IrrecistConfig::default(),
            imrecist: ImrecistConfig::default(),
            rano: Default::default(),
            irano: Default::default(),
            rano2: Default::default(),
            mrecist: Default::default(),
            choi: Default::default(),
            percist: Default::default(),
        }
    }
}

/// The keys of this module (shared conventions, RECIST 1.1, iRECIST); the other criteria
/// list theirs in their own modules, see [`all_keys`].
pub const KEYS: &[&str] = &[
    "measurement_rounding",
    "match_disease",
    "recist.pd_rel",
    "recist.pd_abs_mm",
    "recist.pr_rel",
    "recist.too_small_mm",
    "recist.measurable_min_mm",
    "recist.node_measurable_min_mm",
    "recist.node_normal_below_mm",
    "recist.slice_thickness_factor",
    "recist.node_slice_rule",
    "recist.max_targets",
    "recist.max_targets_per_organ",
    "recist.nodes_one_organ",
    "recist.pr_sticky",
    "recist.reappearance_after_confirmed_cr_is_pd",
    "recist.confirmation_required",
    "recist.confirm_min_days",
    "recist.confirmation_rule",
    "recist.cr_then_pr",
    "recist.sd_min_days",
    "recist.sd_anchor",
    "recist.missing_target_policy",
    "recist.nadir_excludes_ne",
    "recist.new_node_min_sa_mm",
    "recist.new_node_equivocal_below_mm",
    "recist.cr_precedence",
    "irecist.confirm_window_days",
    "irecist.early_scan_exception",
    "irecist.reset_with_persistent_new_lesions",
    "irecist.icpd_reference",
    "irecist.icpd_increase_mm",
    "irecist.pfs_date",
    "irecist.nlt_nadir",
    "irecist.max_new_targets",
    "irecist.max_new_targets_per_organ",
];

/// Every key of every criterion: [`KEYS`], then each criterion module's own keys.
pub fn all_keys() -> impl Iterator<Item = &'static str> {
    [
        KEYS,
        crate::irrc::KEYS,
        crate::irrecist::KEYS,
        crate::imrecist::KEYS,
        crate::rano::KEYS,
        crate::irano::KEYS,
        crate::rano2::KEYS,
        crate::mrecist::KEYS,
        crate::choi::KEYS,
        crate::percist::KEYS,
    ]
    .into_iter()
    .flatten()
    .copied()
}

impl Config {
    /// Sets a key from command-line text. Numbers keep their exact decimal spelling.
    pub fn set_text(&mut self, key: &str, text: &str) -> Result<(), ConfigError> {
        let text = text.trim();
        let value = match serde_json::from_str::<Value>(text) {
            Ok(value) if !value.is_string() => value,
            _ => Value::String(text.to_string()),
        };
        // Keep the decimal text of fractions: "0.2" must not become a binary float first.
        if key.ends_with(".pd_rel") || key.ends_with(".pr_rel") {
            return self.set(key, &Value::String(text.to_string()));
        }
        self.set(key, &value)
    }

    /// Sets a key from a JSON (or TOML-converted) value.
    pub fn set(&mut self, key: &str, value: &Value) -> Result<(), ConfigError> {
        match key.split_once('.').map(|(prefix, _)| prefix) {
            Some("irrc") => return self.irrc.set(key, value),
            Some("irrecist") => return self.irrecist.set(key, value),
            Some("imrecist") => return self.imrecist.set(key, value),
            Some("rano") => return self.rano.set(key, value),
            Some("irano") => return self.irano.set(key, value),
            Some("rano2") => return self.rano2.set(key, value),
            Some("mrecist") => return self.mrecist.set(key, value),
            Some("choi") => return self.choi.set(key, value),
            Some("percist") => return self.percist.set(key, value),
            _ => {}
        }
        let r = &mut self.recist;
        let i = &mut self.irecist;
        match key {
            "measurement_rounding" => {
                self.measurement_rounding = choice(
                    key,
                    value,
                    &[
                        ("none", MeasurementRounding::None),
                        ("nearest_mm", MeasurementRounding::NearestMm),
                    ],
                )?
            }
            "match_disease" => self.match_disease = boolean(key, value)?,
            "recist.pd_rel" => r.pd_rel = fraction(key, value)?,
            "recist.pd_abs_mm" => r.pd_abs = millimetres(key, value)?,
            "recist.pr_rel" => r.pr_rel = fraction_below_one(key, value)?,
            "recist.too_small_mm" => r.too_small_value = millimetres(key, value)?,
            "recist.measurable_min_mm" => r.measurable_min = millimetres(key, value)?,
            "recist.node_measurable_min_mm" => r.node_measurable_min = millimetres(key, value)?,
            "recist.node_normal_below_mm" => r.node_normal_below = millimetres(key, value)?,
            "recist.slice_thickness_factor" => r.slice_thickness_factor = count(key, value)? as i64,
            "recist.node_slice_rule" => r.node_slice_rule = boolean(key, value)?,
            "recist.max_targets" => r.max_targets = count(key, value)?,
            "recist.max_targets_per_organ" => r.max_targets_per_organ = count(key, value)?,
            "recist.nodes_one_organ" => r.nodes_one_organ = boolean(key, value)?,
            "recist.pr_sticky" => r.pr_sticky = boolean(key, value)?,
            "recist.reappearance_after_confirmed_cr_is_pd" => {
                r.reappearance_after_confirmed_cr_is_pd = boolean(key, value)?
            }
            "recist.confirmation_required" => r.confirmation_required = boolean(key, value)?,
            "recist.confirm_min_days" => r.confirm_min_days = days(key, value)?,
            "recist.confirmation_rule" => {
                r.confirmation_rule = choice(
                    key,
                    value,
                    &[
                        ("next_evaluable", ConfirmationRule::NextEvaluable),
                        ("strictly_next", ConfirmationRule::StrictlyNext),
                        (
                            "any_later_without_intervening_pd",
                            ConfirmationRule::AnyLaterWithoutInterveningPd,
                        ),
                    ],
                )?
            }
            "recist.cr_then_pr" => {
                r.cr_then_pr = choice(key, value, &[("pr", CrThenPr::Pr), ("sd", CrThenPr::Sd)])?
            }
            "recist.sd_min_days" => r.sd_min_days = days(key, value)?,
            "recist.sd_anchor" => {
                r.sd_anchor = choice(
                    key,
                    value,
                    &[
                        ("baseline_scan", SdAnchor::BaselineScan),
                        ("therapy_start", SdAnchor::TherapyStart),
                    ],
                )?
            }
            "recist.missing_target_policy" => {
                r.missing_target_policy = choice(
                    key,
                    value,
                    &[
                        ("ne", MissingTargetPolicy::Ne),
                        ("impute_last", MissingTargetPolicy::ImputeLast),
                        ("impute_max", MissingTargetPolicy::ImputeMax),
                    ],
                )?
            }
            "recist.nadir_excludes_ne" => r.nadir_excludes_ne = boolean(key, value)?,
            "recist.new_node_min_sa_mm" => r.new_node_min_sa = millimetres(key, value)?,
            "recist.new_node_equivocal_below_mm" => {
                r.new_node_equivocal_below = match value {
                    Value::Null => None,
                    Value::String(s) if s == "off" || s == "none" => None,
                    _ => Some(millimetres(key, value)?),
                }
            }
            "recist.cr_precedence" => r.cr_precedence = boolean(key, value)?,
            "irecist.confirm_window_days" => i.confirm_window_days = day_window(key, value)?,
            "irecist.early_scan_exception" => i.early_scan_exception = boolean(key, value)?,
            "irecist.reset_with_persistent_new_lesions" => {
                i.reset_with_persistent_new_lesions = choice(
                    key,
                    value,
                    &[
                        (
                            "target_decrease",
                            ResetWithPersistentNewLesions::TargetDecrease,
                        ),
                        ("never", ResetWithPersistentNewLesions::Never),
                    ],
                )?
            }
            "irecist.icpd_reference" => {
                i.icpd_reference = choice(
                    key,
                    value,
                    &[
                        ("first_iupd_of_run", IcpdReference::FirstIupdOfRun),
                        ("previous_iupd", IcpdReference::PreviousIupd),
                    ],
                )?
            }
            "irecist.icpd_increase_mm" => i.icpd_increase = millimetres(key, value)?,
            "irecist.pfs_date" => {
                i.pfs_date = choice(
                    key,
                    value,
                    &[("iupd", PfsDate::Iupd), ("icpd", PfsDate::Icpd)],
                )?
            }
            "irecist.nlt_nadir" => {
                i.nlt_nadir = choice(
                    key,
                    value,
                    &[
                        ("smallest_since_first", NltNadir::SmallestSinceFirst),
                        ("first_value", NltNadir::FirstValue),
                    ],
                )?
            }
            "irecist.max_new_targets" => i.max_new_targets = count(key, value)?,
            "irecist.max_new_targets_per_organ" => i.max_new_targets_per_organ = count(key, value)?,
            _ => return Err(ConfigError::UnknownKey(key.to_string())),
        }
        Ok(())
    }

    /// The effective configuration, every key with its value (defaults included).
    pub fn effective(&self) -> BTreeMap<String, Value> {
        let r = &self.recist;
        let i = &self.irecist;
        let mm = |m: Micrometres| number_mm(m);
        let frac = fraction_json;
        let mut entries: Vec<(&str, Value)> = vec![
            (
                "measurement_rounding",
                json!(match self.measurement_rounding {
                    MeasurementRounding::None => "none",
                    MeasurementRounding::NearestMm => "nearest_mm",
                }),
            ),
            ("match_disease", json!(self.match_disease)),
            ("recist.pd_rel", frac(r.pd_rel)),
            ("recist.pd_abs_mm", mm(r.pd_abs)),
            ("recist.pr_rel", frac(r.pr_rel)),
            ("recist.too_small_mm", mm(r.too_small_value)),
            ("recist.measurable_min_mm", mm(r.measurable_min)),
            ("recist.node_measurable_min_mm", mm(r.node_measurable_min)),
            ("recist.node_normal_below_mm", mm(r.node_normal_below)),
            (
                "recist.slice_thickness_factor",
                json!(r.slice_thickness_factor),
            ),
            ("recist.node_slice_rule", json!(r.node_slice_rule)),
            ("recist.max_targets", json!(r.max_targets)),
            (
                "recist.max_targets_per_organ",
                json!(r.max_targets_per_organ),
            ),
            ("recist.nodes_one_organ", json!(r.nodes_one_organ)),
            ("recist.pr_sticky", json!(r.pr_sticky)),
            (
                "recist.reappearance_after_confirmed_cr_is_pd",
                json!(r.reappearance_after_confirmed_cr_is_pd),
            ),
            (
                "recist.confirmation_required",
                json!(r.confirmation_required),
            ),
            ("recist.confirm_min_days", json!(r.confirm_min_days)),
            (
                "recist.confirmation_rule",
                json!(match r.confirmation_rule {
                    ConfirmationRule::NextEvaluable => "next_evaluable",
                    ConfirmationRule::StrictlyNext => "strictly_next",
                    ConfirmationRule::AnyLaterWithoutInterveningPd =>
                        "any_later_without_intervening_pd",
                }),
            ),
            (
                "recist.cr_then_pr",
                json!(match r.cr_then_pr {
                    CrThenPr::Pr => "pr",
                    CrThenPr::Sd => "sd",
                }),
            ),
            ("recist.sd_min_days", json!(r.sd_min_days)),
            (
                "recist.sd_anchor",
                json!(match r.sd_anchor {
                    SdAnchor::BaselineScan => "baseline_scan",
                    SdAnchor::TherapyStart => "therapy_start",
                }),
            ),
            (
                "recist.missing_target_policy",
                json!(match r.missing_target_policy {
                    MissingTargetPolicy::Ne => "ne",
                    MissingTargetPolicy::ImputeLast => "impute_last",
                    MissingTargetPolicy::ImputeMax => "impute_max",
                }),
            ),
            ("recist.nadir_excludes_ne", json!(r.nadir_excludes_ne)),
            ("recist.new_node_min_sa_mm", mm(r.new_node_min_sa)),
            (
                "recist.new_node_equivocal_below_mm",
                r.new_node_equivocal_below.map_or(Value::Null, mm),
            ),
            ("recist.cr_precedence", json!(r.cr_precedence)),
            (
                "irecist.confirm_window_days",
                json!([i.confirm_window_days.0, i.confirm_window_days.1]),
            ),
            (
                "irecist.early_scan_exception",
                json!(i.early_scan_exception),
            ),
            (
                "irecist.reset_with_persistent_new_lesions",
                json!(match i.reset_with_persistent_new_lesions {
                    ResetWithPersistentNewLesions::TargetDecrease => "target_decrease",
                    ResetWithPersistentNewLesions::Never => "never",
                }),
            ),
            (
                "irecist.icpd_reference",
                json!(match i.icpd_reference {
                    IcpdReference::FirstIupdOfRun => "first_iupd_of_run",
                    IcpdReference::PreviousIupd => "previous_iupd",
                }),
            ),
            ("irecist.icpd_increase_mm", mm(i.icpd_increase)),
            (
                "irecist.pfs_date",
                json!(match i.pfs_date {
                    PfsDate::Iupd => "iupd",
                    PfsDate::Icpd => "icpd",
                }),
            ),
            (
                "irecist.nlt_nadir",
                json!(match i.nlt_nadir {
                    NltNadir::SmallestSinceFirst => "smallest_since_first",
                    NltNadir::FirstValue => "first_value",
                }),
            ),
            ("irecist.max_new_targets", json!(i.max_new_targets)),
            (
                "irecist.max_new_targets_per_organ",
                json!(i.max_new_targets_per_organ),
            ),
        ];
        self.rano.effective(&mut entries);
        self.irano.effective(&mut entries);
        self.rano2.effective(&mut entries);
        self.mrecist.effective(&mut entries);
        self.choi.effective(&mut entries);
        self.percist.effective(&mut entries);
        entries
            .into_iter()
            .chain(self.irrc.effective())
            .chain(self.irrecist.effective())
            .chain(self.imrecist.effective())
            .map(|(k, v)| (k.to_string(), v))
            .collect()
    }
}

/// A fraction as the JSON number of its decimal spelling (0.2 stays 0.2).
pub(crate) fn fraction_json(f: Fraction) -> Value {
    serde_json::from_str(&f.to_string()).unwrap_or(Value::Null)
}

pub(crate) fn number_mm(m: Micrometres) -> Value {
    serde_json::from_str(&m.to_string()).unwrap_or(Value::Null)
}

pub(crate) fn bad(key: &str, message: String) -> ConfigError {
    ConfigError::BadValue {
        key: key.to_string(),
        message,
    }
}

pub(crate) fn boolean(key: &str, value: &Value) -> Result<bool, ConfigError> {
    match value {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s == "true" => Ok(true),
        Value::String(s) if s == "false" => Ok(false),
        _ => Err(bad(key, format!("expected true or false, found {value}"))),
    }
}

pub(crate) fn count(key: &str, value: &Value) -> Result<usize, ConfigError> {
    value
        .as_u64()
        .and_then(|n| usize::try_from(n).ok())
        .ok_or_else(|| bad(key, format!("expected a whole number ≥ 0, found {value}")))
}

pub(crate) fn days(key: &str, value: &Value) -> Result<i64, ConfigError> {
    value.as_i64().filter(|d| *d >= 0).ok_or_else(|| {
        bad(
            key,
            format!("expected a whole number of days ≥ 0, found {value}"),
        )
    })
}

pub(crate) fn day_window(key: &str, value: &Value) -> Result<(i64, i64), ConfigError> {
    let parsed = match value {
        Value::Array(items) if items.len() == 2 => items[0]
            .as_i64()
            .zip(items[1].as_i64())
            .filter(|(lo, hi)| *lo >= 0 && lo <= hi),
        Value::String(s) => s
            .trim_matches(|c| c == '[' || c == ']')
            .split_once(',')
            .and_then(|(a, b)| Some((a.trim().parse().ok()?, b.trim().parse().ok()?)))
            .filter(|(lo, hi): &(i64, i64)| *lo >= 0 && lo <= hi),
        _ => None,
    };
    parsed.ok_or_else(|| bad(key, format!("expected [min_days, max_days], found {value}")))
}

fn decimal_text(value: &Value) -> Option<String> {
    match value {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(s.clone()),
        _ => None,
    }
}

pub(crate) fn fraction(key: &str, value: &Value) -> Result<Fraction, ConfigError> {
    decimal_text(value)
        .and_then(|t| Fraction::parse_decimal(&t))
        .ok_or_else(|| {
            bad(
                key,
                format!("expected a plain decimal such as 0.2, found {value}"),
            )
        })
}

pub(crate) fn fraction_below_one(key: &str, value: &Value) -> Result<Fraction, ConfigError> {
    let f = fraction(key, value)?;
    if f.num > f.den {
        return Err(bad(
            key,
            format!("expected a fraction between 0 and 1, found {value}"),
        ));
    }
    Ok(f)
}

pub(crate) fn millimetres(key: &str, value: &Value) -> Result<Micrometres, ConfigError> {
    let text = decimal_text(value)
        .ok_or_else(|| bad(key, format!("expected millimetres, found {value}")))?;
    let f = Fraction::parse_decimal(&text)
        .filter(|f| f.den <= 1000)
        .ok_or_else(|| {
            bad(
                key,
                format!("expected millimetres with at most 3 decimals, found {value}"),
            )
        })?;
    Ok(Micrometres(f.num * (1000 / f.den)))
}

pub(crate) fn choice<T: Copy>(
    key: &str,
    value: &Value,
    options: &[(&str, T)],
) -> Result<T, ConfigError> {
    let text = value.as_str().unwrap_or_default();
    options
        .iter()
        .find(|(name, _)| *name == text)
        .map(|(_, v)| *v)
        .ok_or_else(|| {
            let names: Vec<&str> = options.iter().map(|(n, _)| *n).collect();
            bad(
                key,
                format!("expected one of {}, found {value}", names.join(", ")),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    #[test]
    fn every_key_appears_in_the_effective_config_and_can_be_set_back() -> TestResult {
        let config = Config::default();
        let effective = config.effective();
        let listed: Vec<&String> = effective.keys().collect();
        let mut expected: Vec<&str> = all_keys().collect();
        expected.sort_unstable();
        assert_eq!(listed, expected);
        // Round trip: feeding the effective values back gives the same config.
        let mut again = Config::default();
        for (key, value) in &effective {
            again.set(key, value)?;
        }
        assert_eq!(again, config);
        Ok(())
    }

    #[test]
    fn spec_defaults() {
        let e = Config::default().effective();
        assert_eq!(e["recist.pd_rel"], json!(0.2));
        assert_eq!(e["recist.pd_abs_mm"], json!(5.0));
        assert_eq!(e["recist.sd_min_days"], json!(42));
        assert_eq!(e["recist.confirm_min_days"], json!(28));
        assert_eq!(e["recist.pr_sticky"], json!(true));
        assert_eq!(e["irecist.confirm_window_days"], json!([28, 56]));
        assert_eq!(
            e["irecist.reset_with_persistent_new_lesions"],
            json!("target_decrease")
        );
    }

    #[test]
    fn immune_criteria_spec_defaults() -> TestResult {
        // Spec §4.5 (irRC), §5.3 (irRECIST), §6 (imRECIST).
        let e = Config::default().effective();
        assert_eq!(e["irrc.pd_rel"], json!(0.25));
        assert_eq!(e["irrc.pr_rel"], json!(0.5));
        assert_eq!(e["irrc.index_min_mm"], json!(5.0));
        assert_eq!(e["irrc.pd_precedence"], json!(true));
        assert_eq!(e["irrc.pd_confirm_rule"], json!("still_pd_vs_nadir"));
        assert_eq!(e["irrc.node_resolved_sa_lt_mm"], json!(10.0));
        assert_eq!(e["irrecist.nt_progression_defines_pd"], json!(false));
        assert_eq!(e["irrecist.new_max_total"], json!(5));
        assert_eq!(e["irrecist.new_max_per_organ"], json!(2));
        assert_eq!(e["irrecist.pd_abs_mm"], json!(5.0));
        assert_eq!(e["imrecist.pd_confirm_rule"], json!("still_pd_vs_nadir"));
        assert_eq!(e["imrecist.pfs_date"], json!("first_pd"));
        let mut c = Config::default();
        c.set_text("irrc.pd_rel", "0.3")?;
        assert_eq!(c.irrc.pd_rel, Fraction { num: 3, den: 10 });
        assert!(matches!(
            c.set_text("irrc.nope", "1"),
            Err(ConfigError::UnknownKey(_))
        ));
        let err = c
            .set_text("imrecist.pd_confirm_rule", "twice")
            .err()
            .ok_or("an unknown PD confirmation rule should be rejected")?;
        assert!(err.to_string().contains("imrecist.pd_confirm_rule"));
        Ok(())
    }

    #[test]
    fn text_values_and_errors() -> TestResult {
        let mut c = Config::default();
        c.set_text("recist.pd_rel", "0.25")?;
        assert_eq!(c.recist.pd_rel, Fraction { num: 25, den: 100 });
        c.set_text("recist.pr_sticky", "false")?;
        assert!(!c.recist.pr_sticky);
        c.set_text("irecist.confirm_window_days", "[21,63]")?;
        assert_eq!(c.irecist.confirm_window_days, (21, 63));
        assert!(matches!(
            c.set_text("recist.nope", "1"),
            Err(ConfigError::UnknownKey(_))
        ));
        let err = c
            .set_text("recist.confirmation_rule", "sometimes")
            .err()
            .ok_or("an unknown confirmation rule should be rejected")?;
        assert!(err.to_string().contains("recist.confirmation_rule"));
        Ok(())
    }
}
