//! The tumour-burden engine shared by irRC (spec §4), irRECIST (§5) and imRECIST (§6).
//!
//! The three criteria differ in how a lesion is measured (products LD × perpendicular for
//! irRC, the RECIST measure for the other two), in their thresholds and in a few keys, but
//! follow one scheme, implemented here once:
//!
//! * the burden of a timepoint is the baseline targets (index lesions) plus every **new
//!   measurable** lesion, registered when first seen (within the criterion's caps) and
//!   measured at every later timepoint, even if it shrinks below the measurable size (C6);
//! * new non-measurable lesions (and those over the caps) never define progression but
//!   preclude a complete response; non-target progression does not define progression
//!   unless the criterion says so (`irrecist.nt_progression_defines_pd`);
//! * categories, in this order: a missing lesion makes the row NE unless the partial
//!   burden already proves progression; CR when every measured lesion is resolved; PD when
//!   the burden is ≥ (1 + `pd_rel`) × nadir (and ≥ nadir + `pd_abs`, and above the nadir);
//!   PR when ≤ (1 − `pr_rel`) × baseline; SD otherwise. When PD and PR both hold the
//!   criterion's `pd_precedence` decides;
//! * the nadir is the smallest complete burden so far, baseline included (new-lesion
//!   burden included: B5);
//! * progression must be confirmed by the next evaluable assessment at least
//!   `pd_confirm_min_days` later (earlier scans neither confirm nor negate). Confirmed, the
//!   assessment ends there; not confirmed, the progression is negated and the assessment
//!   goes on (the unconfirmed row stays the criterion's PD with `confirmed = false`, but
//!   counts as NE for the best overall response and for response confirmation);
//! * CR / PR confirmation and both best overall responses follow the shared RECIST
//!   conventions of [`crate::bor`] (`recist.confirm_min_days`, `recist.confirmation_rule`,
//!   `recist.sd_min_days`); an unconfirmed progression never counts as stable disease (C5).
//!
//! Decisions are exact: burdens are integer µm (unidimensional) or µm² (products), and
//! every threshold is a cross-multiplication ([`Fraction`]).

use std::fmt::{self, Write};

use crate::assessment::{Criterion, CriterionAssessment, Progression, Response, Rule};
use crate::bor::{self, Level, Row};
use crate::categories::{new_lesion_status, Base};
use crate::config::Config;
use crate::exact::{display_percent_change, Fraction, Micrometres};
use crate::prepare::{measurable_minimum, Measure, NewStatus, NonTargetState, PreparedSubject};
use crate::recist::new_lesions_value;
use crate::rows::{empty_row, missing_scan_row};

/// What the confirming assessment of a progression must show (C3, B3, M1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PdConfirmRule {
    /// The burden still meets the progression threshold over the nadir of the first PD.
    StillPdVsNadir,
    /// The burden grew further beyond the burden at the first PD.
    FurtherIncrease,
}

pub const PD_CONFIRM_RULES: &[(&str, PdConfirmRule)] = &[
    ("still_pd_vs_nadir", PdConfirmRule::StillPdVsNadir),
    ("further_increase", PdConfirmRule::FurtherIncrease),
];

/// Which scan a confirmed progression is dated to (M4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PfsDate {
    /// The first PD scan of the confirmed run.
    FirstPd,
    /// The confirming scan.
    ConfirmingScan,
}

pub const PFS_DATES: &[(&str, PfsDate)] = &[
    ("first_pd", PfsDate::FirstPd),
    ("confirming_scan", PfsDate::ConfirmingScan),
];

/// The option name of a value, for the effective configuration.
pub fn option_name<T: Copy + PartialEq>(options: &[(&'static str, T)], value: T) -> &'static str {
    options
        .iter()
        .find(|(_, v)| *v == value)
        .map_or("", |(name, _)| name)
}

/// The unit of a burden: integer µm (sums of diameters) or µm² (sums of products).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Micrometres,
    SquareMicrometres,
}

impl Unit {
    fn scale(self) -> i64 {
        match self {
            Unit::Micrometres => 1_000,
            Unit::SquareMicrometres => 1_000_000,
        }
    }

    /// The value in mm or mm², for the numbers columns.
    pub fn as_number(self, value: i64) -> f64 {
        value as f64 / self.scale() as f64
    }
}

/// A burden for explanations: "80.0 mm", "625.0 mm²".
#[derive(Debug, Clone, Copy)]
pub struct Amount(pub i64, pub Unit);

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.1 {
            Unit::Micrometres => write!(f, "{} mm", Micrometres(self.0)),
            Unit::SquareMicrometres => {
                let sign = if self.0 < 0 { "-" } else { "" };
                let abs = self.0.unsigned_abs();
                let (whole, mut frac) = (abs / 1_000_000, abs % 1_000_000);
                let mut digits: usize = 6;
                while digits > 1 && frac.is_multiple_of(10) {
                    frac /= 10;
                    digits -= 1;
                }
                write!(f, "{sign}{whole}.{frac:0digits$} mm²")
            }
        }
    }
}

/// The baseline targets (index lesions) at one timepoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TargetBurden {
    /// Sum of the known values.
    pub sum: i64,
    /// Targets without a value.
    pub missing: usize,
    /// Every target resolved (non-nodal gone, nodes below the normal size).
    pub resolved: bool,
}

/// One new lesion at one timepoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewMeasure {
    /// Its value in the burden, `None` when not measured.
    pub value: Option<i64>,
    /// Measurable by the criterion's rule (decides its category when first seen).
    pub measurable: bool,
    /// Gone (or a node back below the normal size).
    pub resolved: bool,
}

/// How a criterion measures lesions.
pub trait Measures {
    fn unit(&self) -> Unit;
    /// The targets at timepoint `index` of the prepared subject (0 = baseline).
    fn targets(&self, index: usize) -> TargetBurden;
    /// New lesion `k` of timepoint `index` (`subject.timepoints[index].new_lesions[k]`).
    fn new_lesion(&self, index: usize, k: usize) -> NewMeasure;
}

/// Limits on new measurable lesions added to the burden (`None`: no limit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewLesionCaps {
    pub total: Option<usize>,
    pub per_organ: usize,
    pub visceral: Option<usize>,
    pub cutaneous: Option<usize>,
}

/// Organ names counted as cutaneous for irRC's separate limits; all others are visceral.
pub fn is_cutaneous(organ: Option<&str>) -> bool {
    matches!(
        organ,
        Some("skin" | "cutaneous" | "subcutaneous" | "subcutaneous tissue")
    )
}

/// The response strings of a criterion.
#[derive(Debug, Clone, Copy)]
pub struct Labels {
    pub cr: Response,
    pub pr: Response,
    pub sd: Response,
    pub pd: Response,
    /// Non-target-only disease without progression or complete response.
    pub non_cr: Response,
    /// Non-target column: every non-target persisting without progression.
    pub nt_persisting: Response,
}

/// The stable rule names of a criterion (borrowed into every row).
#[derive(Debug)]
pub struct RuleNames {
    pub baseline: &'static str,
    pub new_measurable: &'static str,
    pub new_non_measurable: &'static str,
    pub target_cr: &'static str,
    pub target_pd: &'static str,
    pub target_pr: &'static str,
    pub target_sd: &'static str,
    pub target_ne_missing: &'static str,
    pub target_pd_partial: &'static str,
    pub pd_precedence: &'static str,
    pub non_target: &'static str,
    pub nt_progression: &'static str,
    pub overall: &'static str,
    pub pd_pending: &'static str,
    pub pd_early_scan: &'static str,
    pub pd_pending_ne: &'static str,
    pub pd_confirmed: &'static str,
    pub pd_not_confirmed: &'static str,
}

/// Everything one criterion sets for the engine.
#[derive(Debug)]
pub struct Settings {
    pub criterion: Criterion,
    pub names: &'static RuleNames,
    pub labels: Labels,
    /// What the burden is called in explanations.
    pub burden_name: &'static str,
    pub pd_rel: Fraction,
    /// Absolute PD floor in burden units.
    pub pd_abs: i64,
    pub pr_rel: Fraction,
    pub pd_precedence: bool,
    pub nt_defines_pd: bool,
    pub pd_confirmation_required: bool,
    pub pd_confirm_rule: PdConfirmRule,
    pub pd_confirm_min_days: i64,
    pub pfs_date: PfsDate,
    pub caps: NewLesionCaps,
    /// A non-target node whose short axis is below this is resolved.
    pub node_resolved_below: Micrometres,
}

/// A new lesion registered when first seen; its category never changes.
struct Registered<'a> {
    id: &'a str,
    organ: Option<&'a str>,
    measurable: bool,
}

/// A progression awaiting confirmation.
struct Pending {
    /// Row (in the output) of the first PD of the run.
    row: usize,
    day: i64,
    nadir: i64,
    burden: i64,
    /// Output rows of the run that are PD (all get `confirmed` at the end).
    rows: Vec<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NonTarget {
    Resolved,
    Persisting,
    Progression,
    NotAssessed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Category {
    CR,
    PR,
    SD,
    PD,
    NE,
}

pub fn assess(
    config: &Config,
    s: &Settings,
    subject: &PreparedSubject,
    m: &impl Measures,
) -> CriterionAssessment {
    let unit = m.unit();
    let names = s.names;
    let has_targets = !subject.targets.is_empty();
    let baseline_targets = m.targets(0);
    let baseline = baseline_targets.sum;
    let baseline_complete = baseline_targets.missing == 0;
    let mut out = Vec::with_capacity(subject.timepoints.len());
    out.push(baseline_row(s, subject, unit, baseline_targets));

    let mut registry: Vec<Registered> = Vec::new();
    let mut nadir = baseline;
    let mut pending: Option<Pending> = None;
    // PD rows negated (not confirmed) or still pending at the end: `confirmed = false`.
    let mut pd_rows: Vec<(usize, bool)> = Vec::new();
    let mut levels: Vec<Row> = Vec::with_capacity(subject.timepoints.len());
    let mut progression = None;

    for index in 1..subject.timepoints.len() {
        let tp = &subject.timepoints[index];
        if tp.scan_missing || !baseline_complete {
            let mut row = missing_scan_row(tp);
            if !baseline_complete {
                row.rules = vec![Rule::new(
                    names.target_ne_missing,
                    format!(
                        "{} of {} baseline target(s) cannot be measured for this criterion → NE",
                        baseline_targets.missing,
                        subject.targets.len()
                    ),
                )];
            } else if let Some(p) = &pending {
                row.rules.push(pending_rule(s, &out[p.row]));
            }
            out.push(row);
            levels.push(Row {
                day: tp.day,
                level: Level::NE,
            });
            continue;
        }
        let mut rules = Vec::with_capacity(4);
        let targets = m.targets(index);

        // New lesions: register the brand-new ones (largest first, so the caps keep the
        // largest whatever the input order), then measure every registered one.
        register_new_lesions(s, subject, m, index, &mut registry, &mut rules, unit);
        let mut new_sum = 0i64;
        let mut new_missing = 0usize;
        let mut new_resolved = true;
        let mut non_measurable_present: Vec<&str> = Vec::new();
        for reg in &registry {
            let k = tp.new_lesions.iter().position(|n| n.id == reg.id);
            if reg.measurable {
                match k.map(|k| m.new_lesion(index, k)) {
                    Some(NewMeasure {
                        value: Some(v),
                        resolved,
                        ..
                    }) => {
                        new_sum = new_sum.saturating_add(v);
                        new_resolved &= resolved;
                    }
                    _ => new_missing += 1,
                }
            } else if let Some(k) = k {
                let status = tp.new_lesions[k].status;
                if status.counts() || status == NewStatus::Equivocal {
                    non_measurable_present.push(reg.id);
                }
            }
        }
        let burden = targets.sum.saturating_add(new_sum);
        let missing = targets.missing + new_missing;

        let pd = meets_pd(s, burden, nadir);
        let pr = baseline > 0 && s.pr_rel.shrunk_by_at_least(burden, baseline);
        let category = if missing > 0 {
            let mut detail = String::with_capacity(160);
            let _ = write!(detail, "{missing} lesion(s) not measured; partial ");
            write_pd_detail(&mut detail, s, burden, nadir, unit);
            if pd {
                detail.push_str(" → PD (a missing lesion cannot lower the burden)");
                rules.push(Rule::new(names.target_pd_partial, detail));
                Category::PD
            } else {
                detail.push_str(" → NE");
                rules.push(Rule::new(names.target_ne_missing, detail));
                Category::NE
            }
        } else if targets.resolved && new_resolved {
            rules.push(Rule::new(
                names.target_cr,
                format!(
                    "every target and new measurable lesion resolved ({} {}) → CR",
                    s.burden_name,
                    Amount(burden, unit)
                ),
            ));
            Category::CR
        } else {
            let mut detail = String::with_capacity(200);
            write_pd_detail(&mut detail, s, burden, nadir, unit);
            let _ = write!(
                detail,
                "; {} {} {} {} × baseline {}",
                s.burden_name,
                Amount(burden, unit),
                if pr { "≤" } else { ">" },
                s.pr_rel.one_minus(),
                Amount(baseline, unit)
            );
            if pd && pr {
                rules.push(Rule::new(
                    names.pd_precedence,
                    format!(
                        "both the progression and the partial-response thresholds are met → {} wins (pd_precedence = {})",
                        if s.pd_precedence { "PD" } else { "PR" },
                        s.pd_precedence
                    ),
                ));
            }
            if pd && (s.pd_precedence || !pr) {
                detail.push_str(" → PD");
                rules.push(Rule::new(names.target_pd, detail));
                Category::PD
            } else if pr {
                detail.push_str(" → PR");
                rules.push(Rule::new(names.target_pr, detail));
                Category::PR
            } else {
                detail.push_str(" → SD");
                rules.push(Rule::new(names.target_sd, detail));
                Category::SD
            }
        };

        let non_target = non_target_state(subject, index, s.node_resolved_below);
        // The overall rule names the non-target state; progression gets its own rule,
        // which says whether it defines progression under this criterion.
        if non_target == Some(NonTarget::Progression) {
            rules.push(Rule::new(
                names.non_target,
                non_target_progression_detail(s),
            ));
        }
        let nt_pd = s.nt_defines_pd && non_target == Some(NonTarget::Progression);
        let mut overall = match category {
            Category::PD => s.labels.pd,
            _ if nt_pd => s.labels.pd,
            Category::NE => Response::NE,
            Category::CR => {
                let nt_clear = matches!(non_target, None | Some(NonTarget::Resolved));
                match (nt_clear && non_measurable_present.is_empty(), has_targets) {
                    (true, _) => s.labels.cr,
                    (false, true) => s.labels.pr,
                    (false, false) => s.labels.non_cr,
                }
            }
            Category::PR => s.labels.pr,
            Category::SD if has_targets || new_sum > 0 => s.labels.sd,
            Category::SD => s.labels.non_cr,
        };
        if nt_pd && category != Category::PD {
            rules.push(Rule::new(
                names.nt_progression,
                "unequivocal non-target progression defines progression (nt_progression_defines_pd = true)".to_string(),
            ));
        }
        let is_pd = overall == s.labels.pd;
        let ne = overall == Response::NE;
        let mut detail = String::with_capacity(96);
        let _ = write!(
            detail,
            "{} {}, non-target {}",
            s.burden_name,
            category_name(category),
            non_target.map_or("none", nt_name)
        );
        if !non_measurable_present.is_empty() {
            let _ = write!(
                detail,
                ", new non-measurable lesion {} present (no CR, not PD)",
                non_measurable_present.join(", ")
            );
        }
        let _ = write!(detail, " → {overall}");
        rules.push(Rule::new(names.overall, detail));

        // Confirmation of progression.
        let row_index = out.len();
        let mut confirmed_run: Option<usize> = None;
        if let Some(p) = pending.as_mut() {
            let since = tp.day - p.day;
            let first = &out[p.row];
            if ne {
                rules.push(pending_rule(s, first));
            } else if since < s.pd_confirm_min_days {
                rules.push(Rule::new(
                    names.pd_early_scan,
                    format!(
                        "{since} days after the progression at {} (day {}) (< {}): not used to confirm it",
                        first.timepoint_id, first.day, s.pd_confirm_min_days
                    ),
                ));
                if is_pd {
                    p.rows.push(row_index);
                }
            } else {
                let confirms = nt_pd
                    || match s.pd_confirm_rule {
                        PdConfirmRule::StillPdVsNadir => meets_pd(s, burden, p.nadir),
                        PdConfirmRule::FurtherIncrease => burden > p.burden,
                    };
                let mut detail = String::with_capacity(160);
                let _ = write!(
                    detail,
                    "progression at {} (day {}), {since} days earlier: ",
                    first.timepoint_id, first.day
                );
                match s.pd_confirm_rule {
                    PdConfirmRule::StillPdVsNadir => {
                        write_pd_detail(&mut detail, s, burden, p.nadir, unit)
                    }
                    PdConfirmRule::FurtherIncrease => {
                        let _ = write!(
                            detail,
                            "{} {} {} {} at the first progression",
                            s.burden_name,
                            Amount(burden, unit),
                            if burden > p.burden { ">" } else { "≤" },
                            Amount(p.burden, unit)
                        );
                    }
                }
                if nt_pd {
                    detail.push_str("; non-target progression");
                }
                if confirms {
                    detail.push_str(" → confirmed");
                    rules.push(Rule::new(names.pd_confirmed, detail));
                    overall = s.labels.pd;
                    p.rows.push(row_index);
                    confirmed_run = Some(p.row);
                } else {
                    detail.push_str(" → not confirmed: the earlier progression is negated");
                    rules.push(Rule::new(names.pd_not_confirmed, detail));
                    // A negated progression is as if it had not happened: it neither
                    // breaks a response confirmation nor counts for the BOR (levels are
                    // the follow-up rows, one behind the output rows).
                    for r in &p.rows {
                        if let Some(level) = levels.get_mut(r - 1) {
                            level.level = Level::NE;
                        }
                    }
                    pd_rows.extend(p.rows.iter().map(|r| (*r, false)));
                    pending = None;
                }
            }
        }
        let starts_run = pending.is_none() && is_pd && confirmed_run.is_none();
        if starts_run {
            if s.pd_confirmation_required {
                rules.push(Rule::new(
                    names.pd_pending,
                    format!(
                        "progression to be confirmed at an assessment ≥ {} days later (day ≥ {})",
                        s.pd_confirm_min_days,
                        tp.day + s.pd_confirm_min_days
                    ),
                ));
                pending = Some(Pending {
                    row: row_index,
                    day: tp.day,
                    nadir,
                    burden,
                    rows: vec![row_index],
                });
            } else {
                confirmed_run = Some(row_index);
            }
        }

        let mut row = missing_scan_row(tp);
        row.overall = overall;
        row.target = if has_targets {
            Some(category_response(category, s))
        } else {
            None
        };
        row.non_target = non_target.map(|nt| nt_response(nt, s));
        row.new_lesions = Some(new_lesions_value(new_lesion_status(tp)));
        if missing == 0 {
            set_numbers(&mut row, unit, burden, baseline, nadir);
        } else {
            set_nadir(&mut row, unit, nadir);
        }
        row.rules = rules;
        out.push(row);
        let level = if confirmed_run.is_some() {
            Level::PD
        } else if is_pd {
            Level::UnconfirmedPd
        } else {
            level_of(overall, s)
        };
        levels.push(Row { day: tp.day, level });
        if missing == 0 && burden < nadir {
            nadir = burden;
        }
        if let Some(first) = confirmed_run {
            let run_rows = pending.take().map_or_else(|| vec![first], |p| p.rows);
            pd_rows.extend(run_rows.into_iter().map(|r| (r, true)));
            let at = match s.pfs_date {
                PfsDate::FirstPd => &out[first],
                PfsDate::ConfirmingScan => &out[row_index],
            };
            progression = Some(Progression {
                timepoint_id: at.timepoint_id.clone(),
                day: at.day,
                date: at.date.clone(),
            });
            break; // a confirmed progression ends the assessment
        }
    }
    if let Some(p) = pending {
        pd_rows.extend(p.rows.into_iter().map(|r| (r, false)));
    }

    let confirmed = bor::confirmed_flags(config, &levels);
    for (row, flag) in out[1..].iter_mut().zip(confirmed) {
        row.confirmed = flag;
    }
    for (r, flag) in pd_rows {
        if let Some(row) = out.get_mut(r) {
            row.confirmed = Some(flag);
        }
    }
    let best = bor::best_unconfirmed(config, &levels, subject.sd_anchor_day);
    let best_confirmed = bor::best_confirmed(config, &levels, subject.sd_anchor_day, has_targets);
    CriterionAssessment {
        criterion: s.criterion,
        timepoints: out,
        best_overall_response: response_of(best, s),
        confirmed_best_overall_response: response_of(best_confirmed, s),
        progression,
    }
}

/// `burden ≥ (1 + pd_rel) × nadir`, `burden − nadir ≥ pd_abs` and `burden > nadir` (a
/// nadir of 0 must not make an unchanged 0 a progression).
fn meets_pd(s: &Settings, burden: i64, nadir: i64) -> bool {
    burden > nadir
        && s.pd_rel.grown_by_at_least(burden, nadir)
        && burden.saturating_sub(nadir) >= s.pd_abs
}

/// "burden 80.0 mm ≥ 1.2 × nadir 50.0 mm and +30.0 mm ≥ 5.0 mm".
fn write_pd_detail(out: &mut String, s: &Settings, burden: i64, nadir: i64, unit: Unit) {
    let grown = s.pd_rel.grown_by_at_least(burden, nadir);
    let _ = write!(
        out,
        "{} {} {} {} × nadir {}",
        s.burden_name,
        Amount(burden, unit),
        if grown && burden > nadir { "≥" } else { "<" },
        s.pd_rel.one_plus(),
        Amount(nadir, unit)
    );
    if s.pd_abs > 0 {
        let increase = burden.saturating_sub(nadir);
        let _ = write!(
            out,
            " and {}{} {} {}",
            if increase >= 0 { "+" } else { "" },
            Amount(increase, unit),
            if increase >= s.pd_abs { "≥" } else { "<" },
            Amount(s.pd_abs, unit)
        );
    }
}

#[allow(clippy::too_many_arguments)]
fn register_new_lesions<'a>(
    s: &Settings,
    subject: &'a PreparedSubject,
    m: &impl Measures,
    index: usize,
    registry: &mut Vec<Registered<'a>>,
    rules: &mut Vec<Rule>,
    unit: Unit,
) {
    let tp = &subject.timepoints[index];
    let mut brand_new: Vec<(usize, NewMeasure)> = tp
        .new_lesions
        .iter()
        .enumerate()
        .filter(|(_, n)| n.status.counts() && !registry.iter().any(|r| r.id == n.id))
        .map(|(k, _)| (k, m.new_lesion(index, k)))
        .collect();
    if brand_new.is_empty() {
        return;
    }
    brand_new.sort_by(|(ka, a), (kb, b)| {
        b.value
            .unwrap_or(0)
            .cmp(&a.value.unwrap_or(0))
            .then_with(|| tp.new_lesions[*ka].id.cmp(&tp.new_lesions[*kb].id))
    });
    let caps = s.caps;
    for (k, measure) in brand_new {
        let lesion = &tp.new_lesions[k];
        let organ = lesion.organ_key.as_deref();
        let measurable_ones = || registry.iter().filter(|r| r.measurable);
        let total = measurable_ones().count();
        let in_organ = measurable_ones()
            .filter(|r| organ.is_some() && r.organ == organ)
            .count();
        let cutaneous = is_cutaneous(organ);
        let same_kind = measurable_ones()
            .filter(|r| is_cutaneous(r.organ) == cutaneous)
            .count();
        let kind_cap = if cutaneous {
            caps.cutaneous
        } else {
            caps.visceral
        };
        let within_caps = caps.total.is_none_or(|t| total < t)
            && in_organ < caps.per_organ
            && kind_cap.is_none_or(|c| same_kind < c);
        let measurable = measure.measurable && within_caps;
        let value = measure.value.map_or_else(
            || "not measured".to_string(),
            |v| Amount(v, unit).to_string(),
        );
        if measurable {
            rules.push(Rule::new(
                s.names.new_measurable,
                format!(
                    "new lesion {} measurable ({value}) → added to the {}",
                    lesion.id, s.burden_name
                ),
            ));
        } else {
            let why = if measure.measurable {
                "over the new-lesion limits"
            } else {
                "not measurable"
            };
            rules.push(Rule::new(
                s.names.new_non_measurable,
                format!(
                    "new lesion {} {why} ({value}) → not in the {}; not progression, but no complete response",
                    lesion.id, s.burden_name
                ),
            ));
        }
        registry.push(Registered {
            id: &lesion.id,
            organ,
            measurable,
        });
    }
}

fn non_target_state(
    subject: &PreparedSubject,
    index: usize,
    node_resolved_below: Micrometres,
) -> Option<NonTarget> {
    if subject.non_targets.is_empty() {
        return None;
    }
    let states = &subject.timepoints[index].non_targets;
    if states.contains(&NonTargetState::UnequivocalProgression) {
        return Some(NonTarget::Progression);
    }
    if states.contains(&NonTargetState::NotAssessed) {
        return Some(NonTarget::NotAssessed);
    }
    let resolved = subject
        .non_targets
        .iter()
        .zip(states)
        .all(|(l, state)| match state {
            NonTargetState::Absent => true,
            NonTargetState::Present {
                nodal_short_axis: Some(sa),
            } => l.nodal && *sa < node_resolved_below,
            _ => false,
        });
    Some(if resolved {
        NonTarget::Resolved
    } else {
        NonTarget::Persisting
    })
}

fn non_target_progression_detail(s: &Settings) -> String {
    if s.nt_defines_pd {
        "unequivocal non-target progression → progression".to_string()
    } else {
        "unequivocal non-target progression: does not define progression under this criterion, only prevents CR".to_string()
    }
}

fn nt_name(nt: NonTarget) -> &'static str {
    match nt {
        NonTarget::Resolved => "resolved",
        NonTarget::Persisting => "persisting",
        NonTarget::Progression => "unequivocal progression",
        NonTarget::NotAssessed => "not evaluated",
    }
}

fn nt_response(nt: NonTarget, s: &Settings) -> Response {
    match nt {
        NonTarget::Resolved => s.labels.cr,
        NonTarget::Persisting => s.labels.nt_persisting,
        NonTarget::Progression => s.labels.pd,
        NonTarget::NotAssessed => Response::NE,
    }
}

fn category_name(c: Category) -> &'static str {
    match c {
        Category::CR => "CR",
        Category::PR => "PR",
        Category::SD => "SD",
        Category::PD => "PD",
        Category::NE => "NE",
    }
}

fn category_response(c: Category, s: &Settings) -> Response {
    match c {
        Category::CR => s.labels.cr,
        Category::PR => s.labels.pr,
        Category::SD => s.labels.sd,
        Category::PD => s.labels.pd,
        Category::NE => Response::NE,
    }
}

fn level_of(response: Response, s: &Settings) -> Level {
    match response {
        r if r == s.labels.cr => Level::CR,
        r if r == s.labels.pr => Level::PR,
        r if r == s.labels.sd => Level::SD,
        r if r == s.labels.non_cr => Level::NonCrNonPd,
        r if r == s.labels.pd => Level::UnconfirmedPd,
        _ => Level::NE,
    }
}

fn response_of(level: Level, s: &Settings) -> Response {
    match level {
        Level::CR => s.labels.cr,
        Level::PR => s.labels.pr,
        Level::SD => s.labels.sd,
        Level::NonCrNonPd => s.labels.non_cr,
        Level::PD | Level::UnconfirmedPd => s.labels.pd,
        Level::NE => Response::NE,
    }
}

fn pending_rule(s: &Settings, first: &crate::assessment::TimepointAssessment) -> Rule {
    Rule::new(
        s.names.pd_pending_ne,
        format!(
            "progression at {} (day {}) stays unconfirmed until an evaluable assessment",
            first.timepoint_id, first.day
        ),
    )
}

fn baseline_row(
    s: &Settings,
    subject: &PreparedSubject,
    unit: Unit,
    targets: TargetBurden,
) -> crate::assessment::TimepointAssessment {
    let tp = &subject.timepoints[0];
    let detail = if subject.targets.is_empty() {
        format!(
            "no target lesions; {} non-target lesion(s) at baseline",
            subject.non_targets.len()
        )
    } else if targets.missing > 0 {
        format!(
            "{} of {} target lesion(s) lack a measurement this criterion needs at baseline; the criterion cannot be assessed",
            targets.missing,
            subject.targets.len()
        )
    } else {
        format!(
            "baseline {} {} over {} target lesion(s); {} non-target lesion(s)",
            s.burden_name,
            Amount(targets.sum, unit),
            subject.targets.len(),
            subject.non_targets.len()
        )
    };
    let mut row = empty_row(
        tp,
        Response::Baseline,
        vec![Rule::new(s.names.baseline, detail)],
    );
    if !subject.targets.is_empty() && targets.missing == 0 {
        set_value(&mut row, unit, targets.sum);
        set_nadir(&mut row, unit, targets.sum);
    }
    row
}

fn set_value(row: &mut crate::assessment::TimepointAssessment, unit: Unit, value: i64) {
    match unit {
        Unit::Micrometres => row.target_sum_mm = Some(unit.as_number(value)),
        Unit::SquareMicrometres => row.burden_mm2 = Some(unit.as_number(value)),
    }
}

fn set_nadir(row: &mut crate::assessment::TimepointAssessment, unit: Unit, nadir: i64) {
    row.nadir = Some(unit.as_number(nadir));
}

/// The burden, nadir and percent columns (percentages for display only).
fn set_numbers(
    row: &mut crate::assessment::TimepointAssessment,
    unit: Unit,
    burden: i64,
    baseline: i64,
    nadir: i64,
) {
    set_value(row, unit, burden);
    set_nadir(row, unit, nadir);
    row.change_from_baseline_pct = display_percent_change(burden, baseline);
    row.change_from_nadir_pct = display_percent_change(burden, nadir);
}

/// The RECIST measure (long axis; short axis for nodes) of irRECIST and imRECIST: targets
/// from the shared RECIST 1.1 sums ([`Base`], missing-target policy included), new lesions
/// measurable by the RECIST 1.1 rule (≥ 10 mm, nodes ≥ 15 mm short axis, or twice the
/// slice thickness).
pub struct Unidimensional<'a> {
    pub config: &'a Config,
    pub subject: &'a PreparedSubject,
    pub base: &'a Base,
}

impl Measures for Unidimensional<'_> {
    fn unit(&self) -> Unit {
        Unit::Micrometres
    }

    fn targets(&self, index: usize) -> TargetBurden {
        let normal_below = self.config.recist.node_normal_below;
        let resolved = self.subject.timepoints.get(index).is_some_and(|tp| {
            self.subject
                .targets
                .iter()
                .zip(&tp.targets)
                .all(|(t, m)| match m {
                    Measure::Value(v) if t.nodal => *v < normal_below,
                    Measure::Value(v) => *v == Micrometres::ZERO,
                    Measure::Missing => false,
                })
        });
        if index == 0 {
            return TargetBurden {
                sum: self.base.baseline_sum.0,
                missing: 0,
                resolved,
            };
        }
        match self.base.rows.get(index).and_then(Option::as_ref) {
            Some(row) => TargetBurden {
                sum: row.sum.sum.0,
                missing: if row.sum.complete || row.sum.imputed {
                    0
                } else {
                    row.sum.missing
                },
                resolved,
            },
            None => TargetBurden {
                sum: 0,
                missing: self.subject.targets.len().max(1),
                resolved: false,
            },
        }
    }

    fn new_lesion(&self, index: usize, k: usize) -> NewMeasure {
        let obs = self
            .subject
            .timepoints
            .get(index)
            .and_then(|tp| tp.new_lesions.get(k));
        match obs.map(|o| (o, o.measure)) {
            Some((o, Measure::Value(v))) => NewMeasure {
                value: Some(v.0),
                measurable: v >= measurable_minimum(self.config, o.nodal, o.slice_thickness),
                resolved: if o.nodal {
                    v < self.config.recist.node_normal_below
                } else {
                    v == Micrometres::ZERO
                },
            },
            _ => NewMeasure {
                value: None,
                measurable: false,
                resolved: false,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_display_in_mm_and_mm2() {
        assert_eq!(Amount(80_000, Unit::Micrometres).to_string(), "80.0 mm");
        // 25 mm × 25 mm = 625 mm² = 625 000 000 µm².
        assert_eq!(
            Amount(625_000_000, Unit::SquareMicrometres).to_string(),
            "625.0 mm²"
        );
        // 4.9 mm × 5.1 mm = 24.99 mm².
        assert_eq!(
            Amount(24_990_000, Unit::SquareMicrometres).to_string(),
            "24.99 mm²"
        );
        assert_eq!(
            Amount(1, Unit::SquareMicrometres).to_string(),
            "0.000001 mm²"
        );
    }
}
