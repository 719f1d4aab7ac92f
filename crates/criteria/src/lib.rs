//! oncoread-criteria: tumour-response criteria on lesion timelines.
//!
//! Input is the `oncoread.timeline/1` document ([`timeline`]), output the
//! `oncoread.assessment/1` document ([`assessment`]). Decisions are exact ([`exact`]),
//! every convention the criteria leave open is a config key ([`config`]), and every
//! timepoint row carries the rules that decided it. No I/O, no DICOM, no threads.

pub mod adjudication;
pub mod applicability;
pub mod assessment;
pub mod concordance;
pub mod config;
pub mod config_diff;
pub mod csv_input;
pub mod dates;
pub mod error;
pub mod exact;
pub mod timeline;
pub mod timeline_fast;

mod bor;
mod categories;
mod choi;
mod flags;
mod immune_burden;
mod imrecist;
mod irano;
mod irecist;
mod irrc;
mod irrecist;
mod lesion_tables;
mod mrecist;
mod neuro_flags;
mod observed;
mod percist;
mod prepare;
mod rano;
mod rano2;
mod recist;
mod rows;

pub use assessment::{Assessment, Criterion, Response, ASSESSMENT_SCHEMA};
pub use config::Config;
pub use error::{ConfigError, InputError};
pub use percist::LbmFormula;
pub use timeline::{parse_timeline_json, Timeline, TIMELINE_SCHEMA};

use assessment::{Generator, SubjectAssessment};

/// Parses a criteria list such as `recist1.1,irecist` or `all` (the implemented ones).
pub fn parse_criteria_list(list: &str) -> Result<Vec<Criterion>, ConfigError> {
    let mut criteria = Vec::new();
    for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        if name == "all" {
            criteria.extend(Criterion::IMPLEMENTED);
            continue;
        }
        let criterion =
            Criterion::from_name(name).ok_or_else(|| ConfigError::UnknownCriterion(name.into()))?;
        if !Criterion::IMPLEMENTED.contains(&criterion) {
            return Err(ConfigError::NotImplemented(name.into()));
        }
        criteria.push(criterion);
    }
    criteria.sort();
    criteria.dedup();
    if criteria.is_empty() {
        return Err(ConfigError::UnknownCriterion(list.to_string()));
    }
    Ok(criteria)
}

/// Assesses every subject of a timeline under the given criteria.
///
/// Subjects come out sorted by subject id and reader, so the output does not depend on
/// input order. A subject that cannot be assessed stops the whole document with an
/// [`InputError`] naming subject, timepoint and field. The timeline's own `problems`
/// (from extraction) stay in the timeline; each subject's assessment problems are listed
/// with that subject.
pub fn assess_timeline(
    timeline: &Timeline,
    config: &Config,
    criteria: &[Criterion],
) -> Result<Assessment, InputError> {
    let mut subjects = Vec::with_capacity(timeline.subjects.len());
    for subject in &timeline.subjects {
        subjects.push(assess_subject(subject, config, criteria)?);
    }
    Ok(assessment_document(config, subjects))
}

/// The assessment document of `subjects`, sorted by subject id and reader.
fn assessment_document(config: &Config, mut subjects: Vec<SubjectAssessment>) -> Assessment {
    subjects.sort_by(|a, b| (&a.subject_id, &a.reader).cmp(&(&b.subject_id, &b.reader)));
    Assessment {
        schema: ASSESSMENT_SCHEMA.to_string(),
        generator: Generator {
            name: "oncoread".to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            input_sha256: None,
            config_sha256: None,
        },
        config: config.effective(),
        subjects,
    }
}

/// Like [`assess_timeline`], but for a batch over an archive: a subject that cannot be
/// assessed does not stop the others. It is listed with every criterion not assessed (NE)
/// and a `subject_not_assessable` problem carrying the [`InputError`] (subject, timepoint,
/// field), so one damaged subject costs that subject, not the run.
pub fn assess_timeline_each(
    timeline: &Timeline,
    config: &Config,
    criteria: &[Criterion],
) -> Assessment {
    let mut subjects = Vec::with_capacity(timeline.subjects.len());
    for subject in &timeline.subjects {
        let assessed =
            assess_subject(subject, config, criteria).unwrap_or_else(|error| SubjectAssessment {
                subject_id: subject.subject_id.clone(),
                reader: subject.reader.clone(),
                assessments: criteria.iter().map(|c| not_assessed(*c)).collect(),
                flags: Vec::new(),
                problems: vec![timeline::Problem::new(
                    "subject_not_assessable",
                    format!("not assessed: {error}"),
                )],
                accepted: None,
            });
        subjects.push(assessed);
    }
    assessment_document(config, subjects)
}

/// One problem naming every requested criterion not written for the subject's disease.
fn not_applicable_problem(disease: timeline::Disease, skipped: &[Criterion]) -> timeline::Problem {
    let list: Vec<String> = skipped
        .iter()
        .map(|c| format!("{} ({})", c.name(), applicability::written_for(*c)))
        .collect();
    timeline::Problem::new(
        "criterion_not_applicable",
        format!(
            "not assessed for disease {}: {} (match_disease = true)",
            applicability::disease_name(disease),
            list.join(", ")
        ),
    )
}

/// A criterion that did not assess the subject (not applicable to its disease, or unable
/// to read it; the subject's problems say which): no rows, NE.
fn not_assessed(criterion: Criterion) -> assessment::CriterionAssessment {
    assessment::CriterionAssessment {
        criterion,
        timepoints: Vec::new(),
        best_overall_response: Response::NE,
        confirmed_best_overall_response: Response::NE,
        progression: None,
    }
}

/// Criteria that read the raw timeline lesions ([`observed`]) instead of the RECIST
/// preparation.
fn reads_raw_lesions(criterion: Criterion) -> bool {
    matches!(
        criterion,
        Criterion::Rano
            | Criterion::Irano
            | Criterion::Rano2
            | Criterion::Mrecist
            | Criterion::Choi
            | Criterion::Percist
    )
}

/// Assesses one subject under every given criterion.
pub fn assess_subject(
    subject: &timeline::Subject,
    config: &Config,
    criteria: &[Criterion],
) -> Result<SubjectAssessment, InputError> {
    let mut problems = Vec::new();
    let declared_disease = subject.context.as_ref().and_then(|c| c.disease);
    let applies = |criterion: &Criterion| match declared_disease {
        Some(disease) if config.match_disease => {
            applicability::criterion_applies(*criterion, disease)
        }
        _ => true,
    };
    let not_applicable: Vec<Criterion> = criteria.iter().copied().filter(|c| !applies(c)).collect();
    if let (Some(disease), false) = (declared_disease, not_applicable.is_empty()) {
        problems.push(not_applicable_problem(disease, &not_applicable));
    }
    let applicable: Vec<Criterion> = criteria.iter().copied().filter(applies).collect();
    let criteria_to_assess = applicable.as_slice();
    // The RECIST preparation (with its RECIST measurability problems and input demands)
    // only when a criterion uses it; the others read the raw lesions.
    let any_raw = criteria_to_assess.iter().any(|c| reads_raw_lesions(*c));
    let (prepared, base) = if criteria_to_assess.iter().any(|c| !reads_raw_lesions(*c)) {
        match prepare::prepare_subject(subject, config, &mut problems) {
            Ok(prepared) => {
                let base = categories::base_categories(config, &prepared);
                (Some(prepared), Some(base))
            }
            // A subject the RECIST family cannot read (a PET-only subject without long
            // axes, say) still has its other criteria: the RECIST family is reported not
            // assessable, with the reason, instead of failing the whole document.
            Err(error) if any_raw => {
                problems.push(timeline::Problem::new(
                    "not_assessable_recist_family",
                    format!(
                        "RECIST 1.1, iRECIST, irRC, irRECIST and imRECIST not assessed: {error}"
                    ),
                ));
                (None, None)
            }
            Err(error) => return Err(error),
        }
    } else {
        (None, None)
    };
    let observed = if criteria_to_assess.iter().any(|c| reads_raw_lesions(*c)) {
        Some(observed::Observed::build(subject, config, &mut problems)?)
    } else {
        None
    };
    let mut assessments = Vec::with_capacity(criteria.len());
    for criterion in criteria {
        if not_applicable.contains(criterion) {
            assessments.push(not_assessed(*criterion));
            continue;
        }
        assessments.push(match (criterion, &prepared, &base, &observed) {
            (Criterion::Recist11, Some(p), Some(b), _) => recist::assess(config, p, b),
            (Criterion::Irecist, Some(p), Some(b), _) => irecist::assess(config, p, b),
            (Criterion::Irrc, Some(p), _, _) => irrc::assess(config, subject, p, &mut problems),
            (Criterion::Irrecist, Some(p), Some(b), _) => irrecist::assess(config, p, b),
            (Criterion::Imrecist, Some(p), Some(b), _) => imrecist::assess(config, p, b),
            (Criterion::Rano, _, _, Some(o)) => rano::assess(config, o, &mut problems),
            (Criterion::Irano, _, _, Some(o)) => irano::assess(config, o, &mut problems),
            (Criterion::Rano2, _, _, Some(o)) => rano2::assess(config, o, &mut problems),
            (Criterion::Mrecist, _, _, Some(o)) => mrecist::assess(config, o, &mut problems),
            (Criterion::Choi, _, _, Some(o)) => choi::assess(config, o, &mut problems),
            (Criterion::Percist, _, _, Some(o)) => percist::assess(config, o, &mut problems),
            (recist_family, None, ..) if !reads_raw_lesions(*recist_family) => {
                not_assessed(*recist_family)
            }
            (other, ..) => {
                return Err(InputError::document(
                    "",
                    &format!("criterion {} is not implemented", other.name()),
                ))
            }
        });
    }
    let mut flags = flags::cross_criterion_flags(config, &assessments);
    flags.extend(neuro_flags::neuro_flags(config, &assessments));
    Ok(SubjectAssessment {
        subject_id: subject.subject_id.clone(),
        reader: subject.reader.clone(),
        assessments,
        flags,
        problems,
        accepted: None,
    })
}

#[cfg(test)]
mod batch_tests {
    use super::*;

    #[test]
    fn a_subject_that_cannot_be_assessed_is_listed_not_assessed_and_the_others_are_assessed(
    ) -> Result<(), Box<dyn std::error::Error>> {
        // S2's follow-up has a date but its baseline only a day: no day can be counted
        // for it, which `assess_timeline` refuses for the whole document.
        let json = r#"{"schema": "oncoread.timeline/1", "subjects": [
          {"subject_id": "S2", "timepoints": [
            {"timepoint_id": "BL", "day": 0, "lesions": [
              {"lesion_id": "T1", "role": "target", "organ": "liver", "long_axis_mm": 30}]},
            {"timepoint_id": "W8", "date": "2024-03-01", "lesions": [
              {"lesion_id": "T1", "role": "target", "organ": "liver", "long_axis_mm": 30}]}]},
          {"subject_id": "S1", "timepoints": [
            {"timepoint_id": "BL", "day": 0, "lesions": [
              {"lesion_id": "T1", "role": "target", "organ": "liver", "long_axis_mm": 30}]},
            {"timepoint_id": "W8", "day": 56, "lesions": [
              {"lesion_id": "T1", "role": "target", "organ": "liver", "long_axis_mm": 30}]}]}
        ]}"#;
        let timeline = parse_timeline_json(json.as_bytes())?;
        let criteria = [Criterion::Recist11];
        assert!(assess_timeline(&timeline, &Config::default(), &criteria).is_err());

        let assessment = assess_timeline_each(&timeline, &Config::default(), &criteria);
        let ids: Vec<&str> = assessment
            .subjects
            .iter()
            .map(|s| s.subject_id.as_str())
            .collect();
        assert_eq!(ids, ["S1", "S2"]);
        let (good, bad) = (&assessment.subjects[0], &assessment.subjects[1]);
        // S1: 30 mm → 30 mm is stable disease (RECIST 1.1: neither -30 % nor +20 %).
        assert_eq!(good.assessments[0].timepoints.len(), 2);
        assert_eq!(good.assessments[0].best_overall_response, Response::SD);
        assert!(bad.assessments[0].timepoints.is_empty());
        assert_eq!(bad.assessments[0].best_overall_response, Response::NE);
        assert_eq!(bad.problems.len(), 1);
        assert_eq!(bad.problems[0].kind, "subject_not_assessable");
        assert!(bad.problems[0].message.contains("timepoint W8, field day"));
        Ok(())
    }
}
