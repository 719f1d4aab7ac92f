//! oncoread-criteria: tumour-response criteria on lesion timelines.
//!
//! Input is the `oncoread.timeline/1` document ([`timeline`]), output the
//! `oncoread.assessment/1` document ([`assessment`]). Decisions are exact ([`exact`]),
//! every convention the criteria leave open is a config key ([`config`]), and every
//! timepoint row carries the rules that decided it. No I/O, no DICOM, no threads.

pub mod assessment;
pub mod config;
pub mod csv_input;
pub mod dates;
pub mod error;
pub mod exact;
pub mod timeline;

mod bor;
mod categories;
mod flags;
mod immune_burden;
mod imrecist;
mod irecist;
mod irrc;
mod irrecist;
mod prepare;
mod recist;
mod rows;

pub use assessment::{Assessment, Criterion, Response, ASSESSMENT_SCHEMA};
pub use config::Config;
pub use error::{ConfigError, InputError};
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
    subjects.sort_by(|a, b| (&a.subject_id, &a.reader).cmp(&(&b.subject_id, &b.reader)));
    Ok(Assessment {
        schema: ASSESSMENT_SCHEMA.to_string(),
        generator: Generator {
            name: "oncoread".to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            input_sha256: None,
            config_sha256: None,
        },
        config: config.effective(),
        subjects,
    })
}

/// Assesses one subject under every given criterion.
pub fn assess_subject(
    subject: &timeline::Subject,
    config: &Config,
    criteria: &[Criterion],
) -> Result<SubjectAssessment, InputError> {
    let mut problems = Vec::new();
    let prepared = prepare::prepare_subject(subject, config, &mut problems)?;
    let base = categories::base_categories(config, &prepared);
    let mut assessments = Vec::with_capacity(criteria.len());
    for criterion in criteria {
        assessments.push(match criterion {
            Criterion::Recist11 => recist::assess(config, &prepared, &base),
            Criterion::Irecist => irecist::assess(config, &prepared, &base),
            Criterion::Irrc => irrc::assess(config, subject, &prepared, &mut problems),
            Criterion::Irrecist => irrecist::assess(config, &prepared, &base),
            Criterion::Imrecist => imrecist::assess(config, &prepared, &base),
            other => {
                return Err(InputError::document(
                    "",
                    &format!("criterion {} is not implemented", other.name()),
                ))
            }
        });
    }
    let flags = flags::cross_criterion_flags(config, &assessments);
    Ok(SubjectAssessment {
        subject_id: subject.subject_id.clone(),
        reader: subject.reader.clone(),
        assessments,
        flags,
        problems,
    })
}
