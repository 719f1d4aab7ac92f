//! The RECIST 1.1 non-target category and overall tables (spec §2.6, §2.9) on raw
//! timeline lesions, for the unidimensional criteria that keep them (mRECIST, Choi).

use crate::assessment::{Response, Rule};
use crate::config::Config;
use crate::observed::{length, ObservedTimepoint};
use crate::timeline::{Lesion, LesionStatus};

/// Non-target category: PD on unequivocal progression, NE when one is not evaluated, CR
/// when every one is gone (nodes below `recist.node_normal_below_mm`), else non-CR/non-PD.
/// `None` when there were no non-targets at baseline. Rule names start with `prefix`.
pub(crate) fn non_target_category(
    config: &Config,
    non_targets: &[&Lesion],
    tp: &ObservedTimepoint,
    names: [&'static str; 3],
    rules: &mut Vec<Rule>,
) -> Option<Response> {
    if non_targets.is_empty() {
        return None;
    }
    let mut progressed = Vec::new();
    let mut unassessed = Vec::new();
    let mut persisting = 0usize;
    for base in non_targets {
        let id = base.lesion_id.as_str();
        let Some(lesion) = tp.lesion(id) else {
            unassessed.push(id);
            continue;
        };
        match lesion.status {
            Some(LesionStatus::UnequivocalProgression) => progressed.push(id),
            Some(LesionStatus::NotAssessed) => unassessed.push(id),
            Some(LesionStatus::Absent) => {}
            _ => {
                let normal_node = base.nodal
                    && length(config, lesion.short_axis_mm)
                        .is_some_and(|sa| sa < config.recist.node_normal_below);
                if !normal_node {
                    persisting += 1;
                }
            }
        }
    }
    let [pd, ne, cr] = names;
    if !progressed.is_empty() {
        rules.push(Rule::new(
            pd,
            format!(
                "unequivocal progression of non-target {} → PD",
                progressed.join(", ")
            ),
        ));
        return Some(Response::PD);
    }
    if !unassessed.is_empty() {
        rules.push(Rule::new(
            ne,
            format!("non-target {} not evaluated → NE", unassessed.join(", ")),
        ));
        return Some(Response::NE);
    }
    if persisting == 0 {
        rules.push(Rule::new(cr, "every non-target gone → CR".into()));
        return Some(Response::CR);
    }
    Some(Response::NonCrNonPd)
}

/// Table A (target disease) and Table B (non-target only) of spec §2.9, for a scan
/// without progression in any category (progression is decided before).
pub(crate) fn overall_without_progression(
    target: Option<Response>,
    non_target: Option<Response>,
) -> Response {
    match target {
        Some(Response::NE) => Response::NE,
        Some(Response::CR) => match non_target {
            None | Some(Response::CR) => Response::CR,
            _ => Response::PR,
        },
        Some(t) => t,
        None => match non_target {
            Some(n) => n,
            None => Response::NE,
        },
    }
}
