//! `adjudication.csv`: the subjects a trigger sends to adjudication, one row per read
//! (the two compared reads, then the adjudicator's), with the reasons and what each
//! reader gave.

use oncoread_criteria::concordance::Concordance;

use crate::csv::Table;
use crate::text::{enum_name, optional_number};

pub fn adjudication(readers: &Concordance) -> String {
    let mut table = Table::new(&[
        "subject_id",
        "criterion",
        "status",
        "reasons",
        "adjudicator",
        "accepted_reader",
        "decision",
        "reader",
        "best_overall_response",
        "confirmed_best_overall_response",
        "progression_timepoint_id",
        "progression_day",
        "progression_date",
        "baseline_sum_mm",
        "targets",
    ]);
    for case in &readers.adjudication {
        let reasons = case
            .reasons
            .iter()
            .map(|r| format!("{}: {}", r.trigger, r.detail))
            .collect::<Vec<_>>()
            .join(" | ");
        let status = enum_name(&case.status);
        for read in &case.reads {
            let progression = read.progression.as_ref();
            let day = progression.map(|p| p.day.to_string()).unwrap_or_default();
            let sum = optional_number(read.baseline_sum_mm);
            let targets = read.targets.join(" | ");
            table.record([
                case.subject_id.as_str(),
                case.criterion.name(),
                &status,
                &reasons,
                case.adjudicator.as_deref().unwrap_or(""),
                case.accepted_reader.as_deref().unwrap_or(""),
                case.decision.as_deref().unwrap_or(""),
                &read.reader,
                read.best_overall_response.as_str(),
                read.confirmed_best_overall_response.as_str(),
                progression.map(|p| p.timepoint_id.as_str()).unwrap_or(""),
                &day,
                progression.and_then(|p| p.date.as_deref()).unwrap_or(""),
                &sum,
                &targets,
            ]);
        }
    }
    table.out
}
