//! Best overall response with and without confirmation (spec §2.10, §3.6), shared by the
//! RECIST-family criteria. Timepoint responses are reduced to [`Level`]s first.

use crate::config::{Config, ConfirmationRule, CrThenPr};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    CR,
    PR,
    SD,
    /// Non-CR/non-PD (non-target-only disease).
    NonCrNonPd,
    /// Unconfirmed progression (iUPD): breaks confirmation but is not a final PD.
    UnconfirmedPd,
    PD,
    NE,
}

impl Level {
    fn is_progression(self) -> bool {
        matches!(self, Level::PD | Level::UnconfirmedPd)
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Row {
    pub day: i64,
    pub level: Level,
}

/// The later row that confirms the response at `index`, if the confirmation rule finds
/// one whose level `accepts`.
pub fn confirming_row(
    config: &Config,
    rows: &[Row],
    index: usize,
    accepts: impl Fn(Level) -> bool,
) -> Option<usize> {
    let min_days = config.recist.confirm_min_days;
    let start = rows[index].day;
    let later = rows.iter().enumerate().skip(index + 1);
    match config.recist.confirmation_rule {
        ConfirmationRule::StrictlyNext => rows
            .get(index + 1)
            .filter(|r| r.day - start >= min_days && accepts(r.level))
            .map(|_| index + 1),
        ConfirmationRule::NextEvaluable => {
            for (j, row) in later {
                if row.level.is_progression() {
                    return None;
                }
                if row.level == Level::NE || row.day - start < min_days {
                    continue;
                }
                return accepts(row.level).then_some(j);
            }
            None
        }
        ConfirmationRule::AnyLaterWithoutInterveningPd => {
            for (j, row) in later {
                if row.level.is_progression() {
                    return None;
                }
                if row.day - start >= min_days && accepts(row.level) {
                    return Some(j);
                }
            }
            None
        }
    }
}

/// Which rows hold a confirmed CR / PR (for the `confirmed` column of the output).
pub fn confirmed_flags(config: &Config, rows: &[Row]) -> Vec<Option<bool>> {
    rows.iter()
        .enumerate()
        .map(|(i, row)| match row.level {
            Level::CR => Some(
                confirming_row(config, rows, i, |l| l == Level::CR).is_some()
                    || (config.recist.cr_then_pr == CrThenPr::Pr
                        && confirming_row(config, rows, i, |l| matches!(l, Level::CR | Level::PR))
                            .is_some()),
            ),
            Level::PR => Some(
                confirming_row(config, rows, i, |l| matches!(l, Level::CR | Level::PR)).is_some(),
            ),
            _ => None,
        })
        .collect()
}

/// BOR without confirmation: best of CR, PR, then SD (or non-CR/non-PD) at ≥ the SD
/// minimum, then PD (final, else unconfirmed), else NE.
pub fn best_unconfirmed(config: &Config, rows: &[Row], sd_anchor_day: i64) -> Level {
    if rows.iter().any(|r| r.level == Level::CR) {
        return Level::CR;
    }
    if rows.iter().any(|r| r.level == Level::PR) {
        return Level::PR;
    }
    stable_or_worse(
        config,
        rows,
        sd_anchor_day,
        |l| l == Level::SD,
        |l| l == Level::NonCrNonPd,
    )
}

/// BOR with confirmation: CR and PR count only when confirmed (spec §2.10); an
/// unconfirmed CR/PR counts as SD when it meets the SD minimum.
pub fn best_confirmed(
    config: &Config,
    rows: &[Row],
    sd_anchor_day: i64,
    has_targets: bool,
) -> Level {
    let confirmed = confirmed_flags(config, rows);
    let confirmed_cr = rows.iter().enumerate().any(|(i, r)| {
        r.level == Level::CR && confirming_row(config, rows, i, |l| l == Level::CR).is_some()
    });
    if confirmed_cr {
        return Level::CR;
    }
    if rows
        .iter()
        .zip(&confirmed)
        .any(|(r, c)| matches!(r.level, Level::CR | Level::PR) && *c == Some(true))
    {
        return Level::PR;
    }
    // An unconfirmed CR/PR is SD-level; in non-target-only disease an unconfirmed CR is
    // non-CR/non-PD-level.
    let sd_like = |l: Level| match l {
        Level::SD | Level::PR => true,
        Level::CR => has_targets,
        _ => false,
    };
    let non_cr_like = |l: Level| match l {
        Level::NonCrNonPd => true,
        Level::CR => !has_targets,
        _ => false,
    };
    stable_or_worse(config, rows, sd_anchor_day, sd_like, non_cr_like)
}

/// A CR later followed by SD: with no SD-level response long enough, RECIST 1.1's BOR
/// table calls this PD (if the CR was real, the disease came back).
pub fn cr_followed_by_sd(rows: &[Row]) -> bool {
    rows.iter()
        .position(|r| r.level == Level::CR)
        .is_some_and(|i| rows[i + 1..].iter().any(|r| r.level == Level::SD))
}

fn stable_or_worse(
    config: &Config,
    rows: &[Row],
    sd_anchor_day: i64,
    sd_like: impl Fn(Level) -> bool,
    non_cr_like: impl Fn(Level) -> bool,
) -> Level {
    let long_enough = |r: &&Row| r.day - sd_anchor_day >= config.recist.sd_min_days;
    if rows.iter().filter(long_enough).any(|r| sd_like(r.level)) {
        return Level::SD;
    }
    if rows
        .iter()
        .filter(long_enough)
        .any(|r| non_cr_like(r.level))
    {
        return Level::NonCrNonPd;
    }
    if rows.iter().any(|r| r.level == Level::PD) {
        return Level::PD;
    }
    if rows.iter().any(|r| r.level == Level::UnconfirmedPd) {
        return Level::UnconfirmedPd;
    }
    Level::NE
}
