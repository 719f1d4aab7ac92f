//! Cross-criterion findings per subject: pseudo-progression (RECIST 1.1 PD followed by
//! response or stability under an immune criterion) and discordant progression dates.

use crate::assessment::{Criterion, CriterionAssessment, Flag, Response};

pub fn cross_criterion_flags(assessments: &[CriterionAssessment]) -> Vec<Flag> {
    let mut flags = Vec::new();
    let Some(recist) = assessments
        .iter()
        .find(|a| a.criterion == Criterion::Recist11)
    else {
        return flags;
    };
    let Some(recist_pd) = &recist.progression else {
        return flags;
    };
    for immune in assessments
        .iter()
        .filter(|a| a.criterion != Criterion::Recist11)
    {
        let later_benefit = immune.timepoints.iter().find(|t| {
            t.day > recist_pd.day
                && matches!(
                    t.overall,
                    Response::ICR | Response::IPR | Response::ISD | Response::NonICrNonIUpd
                )
        });
        if let Some(tp) = later_benefit {
            flags.push(Flag {
                kind: "pseudoprogression".to_string(),
                message: format!(
                    "RECIST 1.1 progression at {} (day {}), but {} shows {} at {} (day {})",
                    recist_pd.timepoint_id,
                    recist_pd.day,
                    immune.criterion.name(),
                    tp.overall,
                    tp.timepoint_id,
                    tp.day
                ),
            });
        }
        match &immune.progression {
            Some(p) if p.day != recist_pd.day => flags.push(Flag {
                kind: "discordant_progression_date".to_string(),
                message: format!(
                    "RECIST 1.1 progression on day {} ({}), {} on day {} ({})",
                    recist_pd.day,
                    recist_pd.timepoint_id,
                    immune.criterion.name(),
                    p.day,
                    p.timepoint_id
                ),
            }),
            _ => {}
        }
    }
    flags
}
