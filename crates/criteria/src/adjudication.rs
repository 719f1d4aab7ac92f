//! Adjudication of double reads, as trial charters write it: which differences between
//! the two independent reads send a subject to the adjudicator, and, once the adjudicator
//! has read, which of the two reads is accepted.

use serde::{Deserialize, Serialize};

use crate::assessment::{Criterion, CriterionAssessment, Progression, Response};

/// The reader workflow of a trial (`[readers]` of `pipeline.toml`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReaderRules {
    /// The criterion whose reads the triggers compare and the adjudicator decides on.
    pub criterion: Criterion,
    /// The adjudicator's reader name as the timeline gives it: their read is a third read
    /// of the subject, never one of the two compared.
    pub adjudicator: Option<String>,
    /// The read accepted when no trigger fires; `None`: the first reader in name order.
    pub primary: Option<String>,
    /// Concordance statistic: progression dates more than this many days apart (or
    /// progression in one read only) count as discordant.
    pub progression_window_days: i64,
    pub triggers: Triggers,
}

impl Default for ReaderRules {
    fn default() -> Self {
        ReaderRules {
            criterion: Criterion::Recist11,
            adjudicator: None,
            primary: None,
            progression_window_days: 28,
            triggers: Triggers::default(),
        }
    }
}

/// What sends a double-read subject to adjudication (any one suffices).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Triggers {
    /// The best overall responses (without confirmation) differ.
    pub bor_differs: bool,
    /// Both reads progress, on dates more than this many days apart (`None`: off).
    pub progression_days_apart: Option<i64>,
    /// One read has progression and the other has none.
    pub progression_in_one_read: bool,
}

impl Default for Triggers {
    fn default() -> Self {
        Triggers {
            bor_differs: true,
            progression_days_apart: Some(28),
            progression_in_one_read: true,
        }
    }
}

/// One fired trigger: its stable name and what each reader gave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trigger {
    pub trigger: String,
    pub detail: String,
}

/// The triggers that fire between two reads of one criterion.
pub fn fired_triggers(
    triggers: &Triggers,
    readers: [&str; 2],
    reads: [&CriterionAssessment; 2],
) -> Vec<Trigger> {
    let mut fired = Vec::new();
    let [a, b] = reads;
    if triggers.bor_differs && a.best_overall_response != b.best_overall_response {
        fired.push(Trigger {
            trigger: "bor_differs".into(),
            detail: format!(
                "best overall response {} ({}) vs {} ({})",
                a.best_overall_response, readers[0], b.best_overall_response, readers[1]
            ),
        });
    }
    match (&a.progression, &b.progression) {
        (Some(pa), Some(pb)) => {
            if let Some(limit) = triggers.progression_days_apart {
                let apart = (pa.day - pb.day).abs();
                if apart > limit {
                    fired.push(Trigger {
                        trigger: "progression_days_apart".into(),
                        detail: format!(
                            "progression {} ({}) vs {} ({}): {apart} days apart > {limit}",
                            describe(pa),
                            readers[0],
                            describe(pb),
                            readers[1]
                        ),
                    });
                }
            }
        }
        (Some(p), None) | (None, Some(p)) if triggers.progression_in_one_read => {
            let (with, without) = if a.progression.is_some() {
                (readers[0], readers[1])
            } else {
                (readers[1], readers[0])
            };
            fired.push(Trigger {
                trigger: "progression_in_one_read".into(),
                detail: format!("progression {} ({with}), none ({without})", describe(p)),
            });
        }
        _ => {}
    }
    fired
}

fn describe(progression: &Progression) -> String {
    match &progression.date {
        Some(date) => format!(
            "day {} ({}, {date})",
            progression.day, progression.timepoint_id
        ),
        None => format!("day {} ({})", progression.day, progression.timepoint_id),
    }
}

/// Which of the two reads the adjudicator's read sides with, and why.
///
/// The adjudicator reads the subject a third time; the accepted read is the one closer to
/// it: first the same best overall response, then the same presence of progression, then
/// the nearer progression day, then more timepoints with the same overall response. A
/// full tie keeps the first read (reader name order), and the reason says so.
pub fn side_with(
    readers: [&str; 2],
    reads: [&CriterionAssessment; 2],
    adjudicator: &CriterionAssessment,
) -> (usize, String) {
    let distance = |read: &CriterionAssessment| {
        let bor = usize::from(read.best_overall_response != adjudicator.best_overall_response);
        let presence = usize::from(read.progression.is_some() != adjudicator.progression.is_some());
        let days = match (&read.progression, &adjudicator.progression) {
            (Some(r), Some(j)) => (r.day - j.day).unsigned_abs(),
            _ => 0,
        };
        (
            bor,
            presence,
            days,
            timepoint_disagreements(read, adjudicator),
        )
    };
    let first = distance(reads[0]);
    let second = distance(reads[1]);
    let chosen = usize::from(second < first);
    let why = format!(
        "adjudicator: best overall response {}, progression {}; {} agrees {}",
        adjudicator.best_overall_response,
        adjudicator
            .progression
            .as_ref()
            .map(describe)
            .unwrap_or_else(|| "none".into()),
        readers[chosen],
        // The first of the compared points on which the two reads part.
        if first.0 != second.0 {
            "on the best overall response"
        } else if first.1 != second.1 {
            "on whether there is progression"
        } else if first.2 != second.2 {
            "more closely on the progression date"
        } else if first.3 != second.3 {
            "on more timepoint responses"
        } else {
            "as closely as the other read (tie: the first reader is kept)"
        }
    );
    (chosen, why)
}

/// Timepoints both reads assess (baseline aside) whose overall responses differ.
fn timepoint_disagreements(a: &CriterionAssessment, b: &CriterionAssessment) -> usize {
    a.timepoints
        .iter()
        .filter(|row| row.overall != Response::Baseline)
        .filter(|row| {
            b.timepoints
                .iter()
                .any(|other| other.timepoint_id == row.timepoint_id && other.overall != row.overall)
        })
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(bor: Response, progression_day: Option<i64>) -> CriterionAssessment {
        CriterionAssessment {
            criterion: Criterion::Recist11,
            timepoints: Vec::new(),
            best_overall_response: bor,
            confirmed_best_overall_response: bor,
            progression: progression_day.map(|day| Progression {
                timepoint_id: format!("D{day}"),
                day,
                date: None,
            }),
        }
    }

    #[test]
    fn each_trigger_fires_on_its_own_difference() {
        let triggers = Triggers::default();
        let names = |a: &CriterionAssessment, b: &CriterionAssessment| {
            fired_triggers(&triggers, ["R1", "R2"], [a, b])
                .into_iter()
                .map(|t| t.trigger)
                .collect::<Vec<_>>()
        };
        // Same BOR and progression 28 days apart: exactly the limit, not more → nothing.
        assert!(names(&read(Response::PD, Some(56)), &read(Response::PD, Some(84))).is_empty());
        // 29 days apart → the date trigger only.
        assert_eq!(
            names(&read(Response::PD, Some(56)), &read(Response::PD, Some(85))),
            ["progression_days_apart"]
        );
        // PR vs PD with progression in one read only → both of those triggers.
        assert_eq!(
            names(&read(Response::PR, None), &read(Response::PD, Some(56))),
            ["bor_differs", "progression_in_one_read"]
        );
        // Switched off, nothing fires.
        let off = Triggers {
            bor_differs: false,
            progression_days_apart: None,
            progression_in_one_read: false,
        };
        assert!(fired_triggers(
            &off,
            ["R1", "R2"],
            [&read(Response::PR, None), &read(Response::PD, Some(56))]
        )
        .is_empty());
    }

    #[test]
    fn the_adjudicator_sides_with_the_read_of_the_same_response() {
        let pr = read(Response::PR, None);
        let pd = read(Response::PD, Some(56));
        let (chosen, why) = side_with(["R1", "R2"], [&pr, &pd], &read(Response::PD, Some(60)));
        assert_eq!(chosen, 1, "{why}");
        assert!(
            why.contains("R2 agrees on the best overall response"),
            "{why}"
        );
        // Both PD: the nearer progression day wins (|56 − 80| = 24 > |100 − 80| = 20).
        let early = read(Response::PD, Some(56));
        let late = read(Response::PD, Some(100));
        let (chosen, why) = side_with(["R1", "R2"], [&early, &late], &read(Response::PD, Some(80)));
        assert_eq!(chosen, 1);
        assert!(
            why.contains("R2 agrees more closely on the progression date"),
            "{why}"
        );
        // Same BOR, progression in one read: the one matching the adjudicator's presence.
        let pr_then_pd = read(Response::PR, Some(112));
        let (chosen, why) = side_with(["R1", "R2"], [&pr_then_pd, &pr], &read(Response::PR, None));
        assert_eq!(chosen, 1);
        assert!(
            why.contains("R2 agrees on whether there is progression"),
            "{why}"
        );
        // A tie keeps the first reader.
        let (chosen, why) = side_with(["R1", "R2"], [&pr, &pr], &read(Response::SD, None));
        assert_eq!(chosen, 0);
        assert!(why.contains("tie"), "{why}");
    }
}
