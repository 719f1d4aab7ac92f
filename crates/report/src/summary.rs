//! Trial-level figures: response rates per criterion and the per-subject numbers the plots
//! draw (best change from baseline, time on study, first response, progression).

use std::collections::BTreeMap;

use oncoread_criteria::assessment::{
    Assessment, Criterion, CriterionAssessment, Response, SubjectAssessment,
};

use crate::response_class::ResponseClass;

/// The criteria present in the assessment, in the contract's order.
pub fn criteria(assessment: &Assessment) -> Vec<Criterion> {
    let mut criteria: Vec<Criterion> = assessment
        .subjects
        .iter()
        .flat_map(|s| s.assessments.iter().map(|a| a.criterion))
        .collect();
    criteria.sort();
    criteria.dedup();
    criteria
}

/// The distinct readers named in the assessment (a single read without reader counts none).
pub fn readers(assessment: &Assessment) -> Vec<&str> {
    let mut readers: Vec<&str> = assessment
        .subjects
        .iter()
        .filter_map(|s| s.reader.as_deref())
        .collect();
    readers.sort_unstable();
    readers.dedup();
    readers
}

/// Distinct subject ids (a double-read subject counts once).
pub fn distinct_subjects(assessment: &Assessment) -> usize {
    let mut ids: Vec<&str> = assessment
        .subjects
        .iter()
        .map(|s| s.subject_id.as_str())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids.len()
}

/// Counts of one criterion over every subject × reader assessed under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CriterionSummary {
    pub criterion: Criterion,
    /// Subject × reader rows assessed under the criterion.
    pub assessed: usize,
    /// Rows whose best overall response is neither NE nor baseline-only.
    pub evaluable: usize,
    /// Best overall responses by class (without confirmation).
    pub by_class: BTreeMap<ResponseClass, usize>,
    /// Best overall responses by their own name, e.g. `iUPD` → 3.
    pub by_response: BTreeMap<&'static str, usize>,
    pub responders: usize,
    pub controlled: usize,
    pub confirmed_responders: usize,
    pub confirmed_controlled: usize,
}

pub fn criterion_summaries(assessment: &Assessment) -> Vec<CriterionSummary> {
    criteria(assessment)
        .into_iter()
        .map(|criterion| summarise(assessment, criterion))
        .collect()
}

fn summarise(assessment: &Assessment, criterion: Criterion) -> CriterionSummary {
    let mut summary = CriterionSummary {
        criterion,
        assessed: 0,
        evaluable: 0,
        by_class: BTreeMap::new(),
        by_response: BTreeMap::new(),
        responders: 0,
        controlled: 0,
        confirmed_responders: 0,
        confirmed_controlled: 0,
    };
    for subject in &assessment.subjects {
        let Some(assessed) = criterion_of(subject, criterion) else {
            continue;
        };
        summary.assessed += 1;
        let best = ResponseClass::of(assessed.best_overall_response);
        *summary.by_class.entry(best).or_default() += 1;
        *summary
            .by_response
            .entry(assessed.best_overall_response.as_str())
            .or_default() += 1;
        if matches!(best, ResponseClass::NotEvaluable | ResponseClass::Baseline) {
            continue;
        }
        summary.evaluable += 1;
        let confirmed = ResponseClass::of(assessed.confirmed_best_overall_response);
        summary.responders += usize::from(best.is_response());
        summary.controlled += usize::from(best.is_disease_control());
        summary.confirmed_responders += usize::from(confirmed.is_response());
        summary.confirmed_controlled += usize::from(confirmed.is_disease_control());
    }
    summary
}

pub fn criterion_of(
    subject: &SubjectAssessment,
    criterion: Criterion,
) -> Option<&CriterionAssessment> {
    subject
        .assessments
        .iter()
        .find(|a| a.criterion == criterion)
}

/// `2/4 (50.0 %)`; a dash when nobody is evaluable.
pub fn rate(count: usize, of: usize) -> String {
    if of == 0 {
        return "\u{2013}".to_string();
    }
    format!("{count}/{of} ({:.1} %)", 100.0 * count as f64 / of as f64)
}

/// The best (lowest) percent change of the target sum from baseline over the follow-up
/// rows; `None` without any (non-target-only disease, or no follow-up).
pub fn best_change(assessed: &CriterionAssessment) -> Option<f64> {
    assessed
        .timepoints
        .iter()
        .filter(|row| row.overall != Response::Baseline)
        .filter_map(|row| row.change_from_baseline_pct)
        .min_by(f64::total_cmp)
}

/// The last assessed day under any criterion: the swimmer lane's length.
pub fn time_on_study(subject: &SubjectAssessment) -> i64 {
    subject
        .assessments
        .iter()
        .flat_map(|a| &a.timepoints)
        .map(|row| row.day)
        .max()
        .unwrap_or(0)
}

/// The first day with a complete or partial response.
pub fn first_response_day(assessed: &CriterionAssessment) -> Option<i64> {
    assessed
        .timepoints
        .iter()
        .find(|row| ResponseClass::of(row.overall).is_response())
        .map(|row| row.day)
}

/// The first day of a progression still awaiting confirmation (iUPD, PD-unconfirmed).
pub fn first_unconfirmed_progression_day(assessed: &CriterionAssessment) -> Option<i64> {
    assessed
        .timepoints
        .iter()
        .find(|row| ResponseClass::of(row.overall) == ResponseClass::UnconfirmedProgression)
        .map(|row| row.day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use oncoread_criteria::assessment::{Generator, TimepointAssessment};

    fn row(day: i64, overall: Response, change: Option<f64>) -> TimepointAssessment {
        TimepointAssessment {
            timepoint_id: format!("D{day}"),
            day,
            date: None,
            overall,
            target: None,
            non_target: None,
            new_lesions: None,
            target_sum_mm: None,
            burden_mm2: None,
            change_from_baseline_pct: change,
            nadir: None,
            change_from_nadir_pct: None,
            confirmed: None,
            rules: Vec::new(),
        }
    }

    fn subject(
        id: &str,
        bor: Response,
        confirmed: Response,
        rows: Vec<TimepointAssessment>,
    ) -> SubjectAssessment {
        SubjectAssessment {
            subject_id: id.to_string(),
            reader: None,
            assessments: vec![CriterionAssessment {
                criterion: Criterion::Irecist,
                timepoints: rows,
                best_overall_response: bor,
                confirmed_best_overall_response: confirmed,
                progression: None,
            }],
            flags: Vec::new(),
            problems: Vec::new(),
            accepted: None,
        }
    }

    #[test]
    fn rates_count_immune_responses_over_evaluable_subjects() {
        let assessment = Assessment {
            schema: "oncoread.assessment/1".into(),
            generator: Generator {
                name: "oncoread".into(),
                version: "0".into(),
                input_sha256: None,
                config_sha256: None,
            },
            config: BTreeMap::new(),
            subjects: vec![
                subject("A", Response::IPR, Response::ISD, vec![]),
                subject("B", Response::ICR, Response::ICR, vec![]),
                subject("C", Response::ISD, Response::ISD, vec![]),
                subject("D", Response::ICPD, Response::ICPD, vec![]),
                subject("E", Response::NE, Response::NE, vec![]),
            ],
        };
        // Evaluable: A–D (E is NE) = 4. Responders iPR + iCR = 2; control adds iSD = 3.
        // Confirmed: A is iSD, so responders 1 (B), control 3 (A, B, C).
        let summary = &criterion_summaries(&assessment)[0];
        assert_eq!(summary.assessed, 5);
        assert_eq!(summary.evaluable, 4);
        assert_eq!((summary.responders, summary.controlled), (2, 3));
        assert_eq!(
            (summary.confirmed_responders, summary.confirmed_controlled),
            (1, 3)
        );
        assert_eq!(rate(2, 4), "2/4 (50.0 %)");
        assert_eq!(rate(0, 0), "\u{2013}");
    }

    #[test]
    fn best_change_is_the_lowest_follow_up_change() {
        let s = subject(
            "A",
            Response::IPR,
            Response::IPR,
            vec![
                row(0, Response::Baseline, None),
                row(56, Response::IUPD, Some(23.3)),
                row(98, Response::ISD, Some(-16.7)),
                row(154, Response::IPR, Some(-38.3)),
            ],
        );
        let assessed = &s.assessments[0];
        assert_eq!(best_change(assessed), Some(-38.3));
        assert_eq!(first_response_day(assessed), Some(154));
        assert_eq!(first_unconfirmed_progression_day(assessed), Some(56));
        assert_eq!(time_on_study(&s), 154);
    }
}
