//! The response strings of every criterion grouped into the classes the summary counts and
//! the plots colour by (iCR, irCR and CMR are complete responses like CR, and so on).

use oncoread_criteria::assessment::Response;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ResponseClass {
    Complete,
    Partial,
    /// Stable disease, including non-CR/non-PD (non-target-only disease).
    Stable,
    /// Progression awaiting confirmation (iUPD, PD-unconfirmed).
    UnconfirmedProgression,
    Progression,
    NotEvaluable,
    Baseline,
}

impl ResponseClass {
    /// In legend order.
    pub const ALL: [ResponseClass; 7] = [
        ResponseClass::Complete,
        ResponseClass::Partial,
        ResponseClass::Stable,
        ResponseClass::UnconfirmedProgression,
        ResponseClass::Progression,
        ResponseClass::NotEvaluable,
        ResponseClass::Baseline,
    ];

    pub fn of(response: Response) -> ResponseClass {
        use Response::*;
        match response {
            CR | ICR | IrCR | CMR => ResponseClass::Complete,
            PR | IPR | IrPR | PMR => ResponseClass::Partial,
            SD | ISD | IrSD | SMD | NonCrNonPd | NonICrNonIUpd => ResponseClass::Stable,
            IUPD | PdUnconfirmed => ResponseClass::UnconfirmedProgression,
            PD | ICPD | IrPD | PMD => ResponseClass::Progression,
            NE => ResponseClass::NotEvaluable,
            Baseline => ResponseClass::Baseline,
        }
    }

    /// Objective response: complete or partial.
    pub fn is_response(self) -> bool {
        matches!(self, ResponseClass::Complete | ResponseClass::Partial)
    }

    /// Disease control: response or stable disease.
    pub fn is_disease_control(self) -> bool {
        self.is_response() || self == ResponseClass::Stable
    }

    pub fn label(self) -> &'static str {
        match self {
            ResponseClass::Complete => "complete response",
            ResponseClass::Partial => "partial response",
            ResponseClass::Stable => "stable disease",
            ResponseClass::UnconfirmedProgression => "unconfirmed progression",
            ResponseClass::Progression => "progression",
            ResponseClass::NotEvaluable => "not evaluable",
            ResponseClass::Baseline => "baseline only",
        }
    }

    /// A CSS class name (`r-complete`, ...), shared by table cells and SVG marks.
    pub fn css(self) -> &'static str {
        match self {
            ResponseClass::Complete => "r-complete",
            ResponseClass::Partial => "r-partial",
            ResponseClass::Stable => "r-stable",
            ResponseClass::UnconfirmedProgression => "r-unconfirmed",
            ResponseClass::Progression => "r-progression",
            ResponseClass::NotEvaluable => "r-ne",
            ResponseClass::Baseline => "r-baseline",
        }
    }

    /// Okabe–Ito colours: distinguishable with the common colour-vision deficiencies.
    pub fn colour(self) -> &'static str {
        match self {
            ResponseClass::Complete => "#009e73",
            ResponseClass::Partial => "#56b4e9",
            ResponseClass::Stable => "#f0e442",
            ResponseClass::UnconfirmedProgression => "#e69f00",
            ResponseClass::Progression => "#d55e00",
            ResponseClass::NotEvaluable => "#999999",
            ResponseClass::Baseline => "#cccccc",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn immune_responses_count_like_their_recist_counterparts() {
        for r in [Response::CR, Response::ICR, Response::IrCR, Response::CMR] {
            assert_eq!(ResponseClass::of(r), ResponseClass::Complete, "{r}");
        }
        for r in [Response::PR, Response::IPR, Response::IrPR, Response::PMR] {
            assert!(ResponseClass::of(r).is_response(), "{r}");
        }
        assert!(ResponseClass::of(Response::NonCrNonPd).is_disease_control());
        assert!(!ResponseClass::of(Response::IUPD).is_disease_control());
        assert!(!ResponseClass::of(Response::NE).is_disease_control());
    }
}
