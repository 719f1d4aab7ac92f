//! Which criteria were written for which disease (`match_disease`).
//!
//! Each criterion of `shared/spec/criteria.md` was published for a disease: RECIST 1.1 and
//! its immune-related variants for solid tumours (§2–§6; GIST and HCC trials report them
//! beside Choi and mRECIST), RANO, iRANO and RANO 2.0 for gliomas (§7), mRECIST for
//! hepatocellular carcinoma (§8.1), Choi for GIST (§8.2), PERCIST for solid tumours on FDG
//! PET (§8.3), Lugano and LYRIC for lymphoma (§8.4). A subject that declares its disease
//! (`context.disease`) is assessed only under the requested criteria written for it; the
//! others are reported "not assessed" with the reason, never silently left out.

use crate::assessment::Criterion;
use crate::timeline::Disease;

/// Whether `criterion` was written for `disease`.
pub fn criterion_applies(criterion: Criterion, disease: Disease) -> bool {
    use Criterion::*;
    use Disease::*;
    match criterion {
        Recist11 | Irecist | Irrc | Irrecist | Imrecist | Percist => {
            matches!(disease, SolidTumor | Gist | Hcc)
        }
        Rano | Irano | Rano2 => disease == HighGradeGlioma,
        Mrecist => disease == Hcc,
        Choi => disease == Gist,
        Lugano | Lyric => disease == Lymphoma,
    }
}

/// The disease a criterion was written for, in words, for the "not assessed" reason.
pub fn written_for(criterion: Criterion) -> &'static str {
    use Criterion::*;
    match criterion {
        Recist11 | Irecist | Irrc | Irrecist | Imrecist => "solid tumours",
        Percist => "solid tumours on FDG PET",
        Rano | Irano | Rano2 => "high-grade glioma",
        Mrecist => "hepatocellular carcinoma",
        Choi => "GIST",
        Lugano | Lyric => "lymphoma",
    }
}

pub fn disease_name(disease: Disease) -> &'static str {
    match disease {
        Disease::SolidTumor => "solid_tumor",
        Disease::HighGradeGlioma => "high_grade_glioma",
        Disease::Gist => "gist",
        Disease::Hcc => "hcc",
        Disease::Lymphoma => "lymphoma",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table of the module comment, written out by hand from the spec's sections.
    #[test]
    fn each_disease_gets_the_criteria_written_for_it() {
        use Criterion::*;
        let expected: [(Disease, &[Criterion]); 5] = [
            (
                Disease::SolidTumor,
                &[Recist11, Irecist, Irrc, Irrecist, Imrecist, Percist],
            ),
            (Disease::HighGradeGlioma, &[Rano, Irano, Rano2]),
            (
                Disease::Gist,
                &[Recist11, Irecist, Irrc, Irrecist, Imrecist, Choi, Percist],
            ),
            (
                Disease::Hcc,
                &[
                    Recist11, Irecist, Irrc, Irrecist, Imrecist, Mrecist, Percist,
                ],
            ),
            (Disease::Lymphoma, &[Lugano, Lyric]),
        ];
        let every = [
            Recist11, Irecist, Irrc, Irrecist, Imrecist, Rano, Irano, Rano2, Mrecist, Choi, Percist,
        ];
        for (disease, applicable) in expected {
            for criterion in every {
                assert_eq!(
                    criterion_applies(criterion, disease),
                    applicable.contains(&criterion),
                    "{criterion:?} for {disease:?}"
                );
            }
        }
    }
}
