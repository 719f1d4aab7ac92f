//! Double reads compared: per subject, the two independent reads' target selection,
//! timepoint responses, best overall responses and progression dates; for the trial,
//! percent agreement and Cohen's kappa of the best overall response, the share of
//! discordant progression dates and the mean absolute difference of baseline sums.
//! [`review_reads`] also runs the adjudication ([`crate::adjudication`]) and marks the
//! accepted read of every double-read subject in the assessment.
//!
//! The assessment schema closes its top level, so this is a document of its own
//! (`oncoread.concordance/1`, written as `concordance.json`); only the per-read
//! `accepted` flag goes into the assessment.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::adjudication::{fired_triggers, side_with, ReaderRules, Trigger};
use crate::assessment::{
    Assessment, Criterion, CriterionAssessment, Progression, Response, SubjectAssessment,
};
use crate::timeline::{Problem, Role, Timeline};

pub const CONCORDANCE_SCHEMA: &str = "oncoread.concordance/1";

/// The reader review of a trial.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Concordance {
    pub schema: String,
    pub rules: ReaderRules,
    pub statistics: Statistics,
    /// One per double-read subject, in subject order.
    pub pairs: Vec<ReadPair>,
    /// The subjects a trigger sends to adjudication, in subject order.
    pub adjudication: Vec<AdjudicationCase>,
    /// What the review could not compare (more than two reads, a criterion missing).
    pub problems: Vec<Problem>,
}

/// `agree` of `total` (`percent` is for display; decisions use the counts).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Agreement {
    pub agree: usize,
    pub total: usize,
    pub percent: Option<f64>,
}

impl Agreement {
    fn new(agree: usize, total: usize) -> Agreement {
        let percent = (total > 0).then(|| 100.0 * agree as f64 / total as f64);
        Agreement {
            agree,
            total,
            percent,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Statistics {
    /// Double-read subjects (pairs compared).
    pub pairs: usize,
    /// Pairs whose target lesions are the same (tracking identifier, else lesion id, and
    /// organ); only with the timeline.
    pub target_selection: Option<Agreement>,
    pub criteria: Vec<CriterionStatistics>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CriterionStatistics {
    pub criterion: Criterion,
    /// Pairs in which both reads have this criterion.
    pub pairs: usize,
    pub bor: Agreement,
    /// Cohen's kappa of the best overall response (`None` when chance agreement is 1).
    pub bor_kappa: Option<f64>,
    pub confirmed_bor: Agreement,
    pub confirmed_bor_kappa: Option<f64>,
    /// Timepoints both reads assess (baseline aside) with the same overall response.
    pub timepoint_response: Agreement,
    /// `agree` here counts the pairs whose progression dates are discordant: progression
    /// in one read only, or dates more than the window apart.
    pub progression_date_discordant: Agreement,
    /// Mean |sum A − sum B| at baseline over the pairs where both reads have one (mm).
    pub baseline_sum_mean_abs_diff_mm: Option<f64>,
    pub baseline_sum_pairs: usize,
}

/// Two reads of one subject compared.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReadPair {
    pub subject_id: String,
    pub readers: [String; 2],
    /// Only with the timeline.
    pub target_selection: Option<SelectionComparison>,
    pub criteria: Vec<CriterionComparison>,
}

/// Target lesions as `identity (organ)` (see [`targets`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SelectionComparison {
    pub same: bool,
    pub both: Vec<String>,
    pub only_first: Vec<String>,
    pub only_second: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CriterionComparison {
    pub criterion: Criterion,
    pub bor: [Response; 2],
    pub confirmed_bor: [Response; 2],
    pub progression: [Option<Progression>; 2],
    /// |day A − day B| when both reads progress.
    pub progression_days_apart: Option<i64>,
    pub baseline_sum_mm: [Option<f64>; 2],
    /// Timepoints both reads assess, baseline aside.
    pub timepoints: Vec<TimepointComparison>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimepointComparison {
    pub timepoint_id: String,
    pub overall: [Response; 2],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdjudicationStatus {
    /// No adjudicator read yet: no read is accepted.
    Pending,
    /// The adjudicator's read decided the accepted read.
    Adjudicated,
}

/// A subject to adjudicate: why, and what each reader gave.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdjudicationCase {
    pub subject_id: String,
    pub criterion: Criterion,
    pub reasons: Vec<Trigger>,
    pub status: AdjudicationStatus,
    pub adjudicator: Option<String>,
    pub accepted_reader: Option<String>,
    pub decision: Option<String>,
    /// The two compared reads, then the adjudicator's when there is one.
    pub reads: Vec<ReadSummary>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReadSummary {
    pub reader: String,
    pub best_overall_response: Response,
    pub confirmed_best_overall_response: Response,
    pub progression: Option<Progression>,
    pub baseline_sum_mm: Option<f64>,
    /// Target lesions as `identity (organ)` (only with the timeline).
    pub targets: Vec<String>,
}

/// Compares the double reads of `assessment`, runs the adjudication and sets each read's
/// `accepted` flag: the primary read when no trigger fires, the read the adjudicator
/// sides with when one does and the adjudicator has read, none while adjudication is
/// pending. The adjudicator's own read is never the accepted one.
pub fn review_reads(
    timeline: Option<&Timeline>,
    assessment: &mut Assessment,
    rules: &ReaderRules,
) -> Concordance {
    let mut pairs = Vec::new();
    let mut cases = Vec::new();
    let mut problems = Vec::new();
    let mut accepted: Vec<Option<bool>> = vec![None; assessment.subjects.len()];
    for group in subject_groups(&assessment.subjects) {
        let reads = &assessment.subjects[group.clone()];
        let is_adjudicator =
            |s: &SubjectAssessment| rules.adjudicator.is_some() && s.reader == rules.adjudicator;
        let adjudicator = reads
            .iter()
            .position(is_adjudicator)
            .map(|i| group.start + i);
        let compared: Vec<usize> = reads
            .iter()
            .enumerate()
            .filter(|(_, s)| !is_adjudicator(s))
            .map(|(i, _)| group.start + i)
            .collect();
        let [first, second] = match compared.as_slice() {
            [first, second, rest @ ..] => {
                if !rest.is_empty() {
                    problems.push(Problem::new(
                        "more_than_two_reads",
                        format!(
                            "subject {}: {} reads besides the adjudicator's; the first two \
                             (by reader name) are compared, the others are not accepted",
                            reads[0].subject_id,
                            compared.len()
                        ),
                    ));
                    for &extra in rest {
                        accepted[extra] = Some(false);
                    }
                }
                [*first, *second]
            }
            _ => continue, // a single read: nothing to compare or accept
        };
        let subjects = &assessment.subjects;
        let pair = compare_pair(timeline, [&subjects[first], &subjects[second]]);
        let names = [pair.readers[0].as_str(), pair.readers[1].as_str()];
        let decided = criterion_of(&subjects[first], rules.criterion)
            .zip(criterion_of(&subjects[second], rules.criterion));
        let Some((read_a, read_b)) = decided else {
            problems.push(Problem::new(
                "reader_criterion_missing",
                format!(
                    "subject {}: {} is not assessed in both reads, so no trigger was checked \
                     and no read is accepted",
                    pair.subject_id,
                    rules.criterion.name()
                ),
            ));
            pairs.push(pair);
            continue;
        };
        let reasons = fired_triggers(&rules.triggers, names, [read_a, read_b]);
        if reasons.is_empty() {
            let primary =
                usize::from(rules.primary.is_some() && subjects[second].reader == rules.primary);
            accepted[first] = Some(primary == 0);
            accepted[second] = Some(primary == 1);
            if let Some(adjudicator) = adjudicator {
                accepted[adjudicator] = Some(false);
            }
            pairs.push(pair);
            continue;
        }
        let adjudicated = adjudicator.and_then(|index| {
            criterion_of(&subjects[index], rules.criterion).map(|read| (index, read))
        });
        let mut summaries = vec![
            summary(&subjects[first], rules.criterion, timeline),
            summary(&subjects[second], rules.criterion, timeline),
        ];
        let case = match adjudicated {
            Some((index, adjudicator_read)) => {
                let (chosen, why) = side_with(names, [read_a, read_b], adjudicator_read);
                accepted[first] = Some(chosen == 0);
                accepted[second] = Some(chosen == 1);
                accepted[index] = Some(false);
                summaries.push(summary(&subjects[index], rules.criterion, timeline));
                AdjudicationCase {
                    subject_id: pair.subject_id.clone(),
                    criterion: rules.criterion,
                    reasons,
                    status: AdjudicationStatus::Adjudicated,
                    adjudicator: subjects[index].reader.clone(),
                    accepted_reader: Some(names[chosen].to_string()),
                    decision: Some(why),
                    reads: summaries,
                }
            }
            None => AdjudicationCase {
                subject_id: pair.subject_id.clone(),
                criterion: rules.criterion,
                reasons,
                status: AdjudicationStatus::Pending,
                adjudicator: rules.adjudicator.clone(),
                accepted_reader: None,
                decision: None,
                reads: summaries,
            },
        };
        cases.push(case);
        pairs.push(pair);
    }
    for (subject, flag) in assessment.subjects.iter_mut().zip(accepted) {
        subject.accepted = flag;
    }
    Concordance {
        schema: CONCORDANCE_SCHEMA.to_string(),
        rules: rules.clone(),
        statistics: statistics(&pairs, timeline.is_some(), rules.progression_window_days),
        pairs,
        adjudication: cases,
        problems,
    }
}

/// Index ranges of the reads of each subject (the assessment is sorted by subject id).
fn subject_groups(subjects: &[SubjectAssessment]) -> Vec<std::ops::Range<usize>> {
    let mut groups = Vec::new();
    let mut start = 0;
    for end in 1..=subjects.len() {
        if end == subjects.len() || subjects[end].subject_id != subjects[start].subject_id {
            groups.push(start..end);
            start = end;
        }
    }
    groups
}

fn criterion_of(subject: &SubjectAssessment, criterion: Criterion) -> Option<&CriterionAssessment> {
    subject
        .assessments
        .iter()
        .find(|a| a.criterion == criterion)
}

fn reader_name(subject: &SubjectAssessment) -> String {
    subject.reader.clone().unwrap_or_default()
}

fn compare_pair(timeline: Option<&Timeline>, reads: [&SubjectAssessment; 2]) -> ReadPair {
    let [a, b] = reads;
    let target_selection = timeline.map(|timeline| {
        let first = targets(timeline, a);
        let second = targets(timeline, b);
        let both: Vec<String> = first
            .iter()
            .filter(|t| second.contains(t))
            .cloned()
            .collect();
        let only_first: Vec<String> = first
            .iter()
            .filter(|t| !second.contains(t))
            .cloned()
            .collect();
        let only_second: Vec<String> = second
            .iter()
            .filter(|t| !first.contains(t))
            .cloned()
            .collect();
        SelectionComparison {
            same: only_first.is_empty() && only_second.is_empty(),
            both,
            only_first,
            only_second,
        }
    });
    let criteria = a
        .assessments
        .iter()
        .filter_map(|first| {
            criterion_of(b, first.criterion).map(|second| compare_criterion(first, second))
        })
        .collect();
    ReadPair {
        subject_id: a.subject_id.clone(),
        readers: [reader_name(a), reader_name(b)],
        target_selection,
        criteria,
    }
}

/// The read's target lesions, `identity (organ)`, sorted and distinct. Tracking UIDs
/// are minted by each reader's workstation, so across readers a lesion's identity is its
/// tracking identifier (`label`, e.g. `T1`) when it has one, else its `lesion_id`.
fn targets(timeline: &Timeline, read: &SubjectAssessment) -> Vec<String> {
    let mut found: Vec<String> = timeline
        .subjects
        .iter()
        .filter(|s| s.subject_id == read.subject_id && s.reader == read.reader)
        .flat_map(|s| &s.timepoints)
        .flat_map(|tp| &tp.lesions)
        .filter(|lesion| lesion.role == Role::Target)
        .map(|lesion| {
            let identity = lesion.label.as_deref().unwrap_or(&lesion.lesion_id);
            match &lesion.organ {
                Some(organ) => format!("{identity} ({organ})"),
                None => identity.to_string(),
            }
        })
        .collect();
    found.sort();
    found.dedup();
    found
}

fn baseline_sum(read: &CriterionAssessment) -> Option<f64> {
    read.timepoints
        .iter()
        .find(|row| row.overall == Response::Baseline)
        .and_then(|row| row.target_sum_mm)
}

fn compare_criterion(a: &CriterionAssessment, b: &CriterionAssessment) -> CriterionComparison {
    let timepoints = a
        .timepoints
        .iter()
        .filter(|row| row.overall != Response::Baseline)
        .filter_map(|row| {
            b.timepoints
                .iter()
                .find(|other| other.timepoint_id == row.timepoint_id)
                .filter(|other| other.overall != Response::Baseline)
                .map(|other| TimepointComparison {
                    timepoint_id: row.timepoint_id.clone(),
                    overall: [row.overall, other.overall],
                })
        })
        .collect();
    let progression_days_apart = match (&a.progression, &b.progression) {
        (Some(pa), Some(pb)) => Some((pa.day - pb.day).abs()),
        _ => None,
    };
    CriterionComparison {
        criterion: a.criterion,
        bor: [a.best_overall_response, b.best_overall_response],
        confirmed_bor: [
            a.confirmed_best_overall_response,
            b.confirmed_best_overall_response,
        ],
        progression: [a.progression.clone(), b.progression.clone()],
        progression_days_apart,
        baseline_sum_mm: [baseline_sum(a), baseline_sum(b)],
        timepoints,
    }
}

fn summary(
    read: &SubjectAssessment,
    criterion: Criterion,
    timeline: Option<&Timeline>,
) -> ReadSummary {
    let assessed = criterion_of(read, criterion);
    ReadSummary {
        reader: reader_name(read),
        best_overall_response: assessed.map_or(Response::NE, |a| a.best_overall_response),
        confirmed_best_overall_response: assessed
            .map_or(Response::NE, |a| a.confirmed_best_overall_response),
        progression: assessed.and_then(|a| a.progression.clone()),
        baseline_sum_mm: assessed.and_then(baseline_sum),
        targets: timeline.map(|t| targets(t, read)).unwrap_or_default(),
    }
}

fn statistics(pairs: &[ReadPair], with_timeline: bool, window_days: i64) -> Statistics {
    let target_selection = with_timeline.then(|| {
        let same = pairs
            .iter()
            .filter(|p| p.target_selection.as_ref().is_some_and(|s| s.same))
            .count();
        Agreement::new(same, pairs.len())
    });
    // Criteria in their first appearance order (every pair usually has the same list).
    let mut by_criterion: BTreeMap<Criterion, Vec<&CriterionComparison>> = BTreeMap::new();
    for comparison in pairs.iter().flat_map(|p| &p.criteria) {
        by_criterion
            .entry(comparison.criterion)
            .or_default()
            .push(comparison);
    }
    let criteria = by_criterion
        .into_iter()
        .map(|(criterion, comparisons)| criterion_statistics(criterion, &comparisons, window_days))
        .collect();
    Statistics {
        pairs: pairs.len(),
        target_selection,
        criteria,
    }
}

fn criterion_statistics(
    criterion: Criterion,
    comparisons: &[&CriterionComparison],
    window_days: i64,
) -> CriterionStatistics {
    let bor: Vec<[Response; 2]> = comparisons.iter().map(|c| c.bor).collect();
    let confirmed: Vec<[Response; 2]> = comparisons.iter().map(|c| c.confirmed_bor).collect();
    let rows: Vec<&TimepointComparison> = comparisons.iter().flat_map(|c| &c.timepoints).collect();
    let discordant = comparisons
        .iter()
        .filter(|c| match &c.progression {
            [Some(_), None] | [None, Some(_)] => true,
            [Some(_), Some(_)] => c.progression_days_apart.is_some_and(|d| d > window_days),
            [None, None] => false,
        })
        .count();
    let sums: Vec<f64> = comparisons
        .iter()
        .filter_map(|c| match c.baseline_sum_mm {
            [Some(a), Some(b)] => Some((a - b).abs()),
            _ => None,
        })
        .collect();
    CriterionStatistics {
        criterion,
        pairs: comparisons.len(),
        bor: Agreement::new(bor.iter().filter(|[a, b]| a == b).count(), bor.len()),
        bor_kappa: cohen_kappa(&names(&bor)),
        confirmed_bor: Agreement::new(
            confirmed.iter().filter(|[a, b]| a == b).count(),
            confirmed.len(),
        ),
        confirmed_bor_kappa: cohen_kappa(&names(&confirmed)),
        timepoint_response: Agreement::new(
            rows.iter().filter(|r| r.overall[0] == r.overall[1]).count(),
            rows.len(),
        ),
        progression_date_discordant: Agreement::new(discordant, comparisons.len()),
        baseline_sum_mean_abs_diff_mm: (!sums.is_empty())
            .then(|| sums.iter().sum::<f64>() / sums.len() as f64),
        baseline_sum_pairs: sums.len(),
    }
}

/// Responses by their schema spelling (an ordered key for counting categories).
fn names(pairs: &[[Response; 2]]) -> Vec<[&'static str; 2]> {
    pairs
        .iter()
        .map(|[a, b]| [a.as_str(), b.as_str()])
        .collect()
}

/// Cohen's kappa of paired categories: (p_o − p_e) / (1 − p_e), with p_o the observed
/// agreement and p_e = Σ_k (a_k / n)(b_k / n) the agreement expected by chance from each
/// reader's own category counts. Computed on integer counts as
/// (n·agree − Σ a_k b_k) / (n² − Σ a_k b_k); `None` without pairs or when chance
/// agreement is 1 (both readers always gave the one same category).
pub fn cohen_kappa<T: Ord + Copy>(pairs: &[[T; 2]]) -> Option<f64> {
    let n = pairs.len() as u64;
    let agree = pairs.iter().filter(|[a, b]| a == b).count() as u64;
    let mut first: BTreeMap<T, u64> = BTreeMap::new();
    let mut second: BTreeMap<T, u64> = BTreeMap::new();
    for [a, b] in pairs {
        *first.entry(*a).or_default() += 1;
        *second.entry(*b).or_default() += 1;
    }
    let chance: u64 = first
        .iter()
        .map(|(k, a)| a * second.get(k).copied().unwrap_or(0))
        .sum();
    let denominator = n * n - chance;
    (denominator > 0).then(|| (n as f64 * agree as f64 - chance as f64) / denominator as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    #[test]
    fn kappa_of_a_published_two_by_two_table() -> TestResult {
        // The worked example of the Wikipedia article "Cohen's kappa": 50 items, both say
        // yes 20, both no 15, A yes / B no 5, A no / B yes 10 → p_o = 0.7, p_e = 0.5,
        // κ = 0.4.
        let mut pairs = Vec::new();
        pairs.extend(std::iter::repeat_n(["yes", "yes"], 20));
        pairs.extend(std::iter::repeat_n(["no", "no"], 15));
        pairs.extend(std::iter::repeat_n(["yes", "no"], 5));
        pairs.extend(std::iter::repeat_n(["no", "yes"], 10));
        let kappa = cohen_kappa(&pairs).ok_or("kappa is undefined for the published table")?;
        assert!((kappa - 0.4).abs() < 1e-12, "{kappa}");
        Ok(())
    }

    #[test]
    fn kappa_is_undefined_without_variation_and_one_when_perfect() {
        assert_eq!(cohen_kappa::<u8>(&[]), None);
        assert_eq!(cohen_kappa(&[[1, 1], [1, 1]]), None);
        assert_eq!(cohen_kappa(&[[1, 1], [2, 2]]), Some(1.0));
        // Complete disagreement over two balanced categories: p_o = 0, p_e = 0.5, κ = −1.
        assert_eq!(cohen_kappa(&[[1, 2], [2, 1]]), Some(-1.0));
    }
}

#[cfg(test)]
mod review_tests {
    use super::*;
    use crate::{assess_timeline, parse_timeline_json, Config};

    type TestResult<T = ()> = Result<T, Box<dyn std::error::Error>>;

    /// One read: baseline 80 mm (T1 50 + T2 30), day 56 at `w8` mm split 5:3.
    fn read(subject: &str, reader: &str, w8: f64) -> serde_json::Value {
        let lesions = |sum: f64| {
            serde_json::json!([
                {"lesion_id": "T1", "role": "target", "organ": "liver", "long_axis_mm": sum * 5.0 / 8.0},
                {"lesion_id": "T2", "role": "target", "organ": "lung", "long_axis_mm": sum * 3.0 / 8.0}
            ])
        };
        serde_json::json!({"subject_id": subject, "reader": reader, "timepoints": [
            {"timepoint_id": "BL", "day": 0, "lesions": lesions(80.0)},
            {"timepoint_id": "W8", "day": 56, "lesions": lesions(w8)}
        ]})
    }

    fn review(
        subjects: Vec<serde_json::Value>,
        rules: &ReaderRules,
    ) -> TestResult<(Assessment, Concordance)> {
        let document = serde_json::json!({"schema": "oncoread.timeline/1", "subjects": subjects});
        let timeline = parse_timeline_json(document.to_string().as_bytes())?;
        let mut assessment =
            assess_timeline(&timeline, &Config::default(), &[Criterion::Recist11])?;
        let concordance = review_reads(Some(&timeline), &mut assessment, rules);
        Ok((assessment, concordance))
    }

    fn accepted(assessment: &Assessment) -> Vec<Option<bool>> {
        assessment.subjects.iter().map(|s| s.accepted).collect()
    }

    #[test]
    fn a_third_read_is_listed_as_a_problem_not_dropped_silently() -> TestResult {
        // Three readers agreeing (W8 50 mm ≤ 0.7 × 80 = 56: PR each): R1 and R2 are
        // compared, R1 accepted; R3 is not accepted and the problem says why.
        let (assessment, concordance) = review(
            vec![
                read("S", "R1", 50.0),
                read("S", "R2", 50.0),
                read("S", "R3", 50.0),
            ],
            &ReaderRules::default(),
        )?;
        assert_eq!(
            accepted(&assessment),
            [Some(true), Some(false), Some(false)]
        );
        assert_eq!(concordance.statistics.pairs, 1);
        assert_eq!(concordance.problems.len(), 1);
        assert_eq!(concordance.problems[0].kind, "more_than_two_reads");
        assert!(concordance.problems[0]
            .message
            .contains("subject S: 3 reads"));
        Ok(())
    }

    #[test]
    fn the_primary_reader_is_accepted_when_the_reads_agree() -> TestResult {
        let rules = ReaderRules {
            primary: Some("R2".into()),
            ..ReaderRules::default()
        };
        let (assessment, concordance) =
            review(vec![read("S", "R1", 50.0), read("S", "R2", 50.0)], &rules)?;
        assert_eq!(accepted(&assessment), [Some(false), Some(true)]);
        assert!(concordance.adjudication.is_empty());
        Ok(())
    }

    #[test]
    fn a_review_criterion_not_assessed_is_a_problem_and_nothing_is_accepted() -> TestResult {
        // W8 50 mm vs 76 mm: PR vs SD under RECIST 1.1, but the review asks for iRECIST,
        // which was not assessed.
        let rules = ReaderRules {
            criterion: Criterion::Irecist,
            ..ReaderRules::default()
        };
        let (assessment, concordance) =
            review(vec![read("S", "R1", 50.0), read("S", "R2", 76.0)], &rules)?;
        assert_eq!(accepted(&assessment), [None, None]);
        assert_eq!(concordance.problems[0].kind, "reader_criterion_missing");
        // The RECIST comparison is still made: PR vs SD, one pair, no agreement.
        assert_eq!(concordance.statistics.criteria[0].bor.agree, 0);
        assert_eq!(
            concordance.pairs[0].criteria[0].bor,
            [Response::PR, Response::SD]
        );
        Ok(())
    }
}
