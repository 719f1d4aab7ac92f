//! The SDTM spellings of oncoread's names: criteria (RSCAT, TRGRPID), responses
//! (--STRESC), new-lesion indicators and lesion states.

use oncoread_criteria::assessment::{Criterion, NewLesions, Response};
use oncoread_criteria::timeline::LesionStatus;

/// RSCAT (and TRGRPID of the sums): the criterion as publications name it.
pub fn criterion(criterion: Criterion) -> &'static str {
    match criterion {
        Criterion::Recist11 => "RECIST 1.1",
        Criterion::Irecist => "iRECIST",
        Criterion::Irrc => "irRC",
        Criterion::Irrecist => "irRECIST",
        Criterion::Imrecist => "imRECIST",
        Criterion::Rano => "RANO",
        Criterion::Irano => "iRANO",
        Criterion::Rano2 => "RANO 2.0",
        Criterion::Mrecist => "mRECIST",
        Criterion::Choi => "Choi",
        Criterion::Percist => "PERCIST",
        Criterion::Lugano => "Lugano",
        Criterion::Lyric => "LYRIC",
    }
}

/// --STRESC of a response: CDISC's oncology response terms are upper case for the
/// "non-CR/non-PD" family; every other response keeps the criterion's spelling (CR, iUPD).
pub fn response(response: Response) -> &'static str {
    match response {
        Response::NonCrNonPd => "NON-CR/NON-PD",
        Response::NonICrNonIUpd => "NON-iCR/NON-iUPD",
        other => other.as_str(),
    }
}

/// NEWLIND result: Y, N, or EQUIVOCAL.
pub fn new_lesions(new_lesions: NewLesions) -> &'static str {
    match new_lesions {
        NewLesions::None => "N",
        NewLesions::Present => "Y",
        NewLesions::Equivocal => "EQUIVOCAL",
    }
}

/// TUMSTATE result of a lesion's status (the qualitative assessment of non-target and new
/// lesions, and of targets that could not be measured).
pub fn lesion_state(status: LesionStatus) -> &'static str {
    match status {
        LesionStatus::Measured => "PRESENT",
        LesionStatus::TooSmall => "TOO SMALL TO MEASURE",
        LesionStatus::Absent => "ABSENT",
        LesionStatus::NotAssessed => "NOT ASSESSED",
        LesionStatus::Present => "PRESENT",
        LesionStatus::UnequivocalProgression => "UNEQUIVOCAL PROGRESSION",
        LesionStatus::Equivocal => "EQUIVOCAL",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_criterion_has_a_category() {
        let names: Vec<&str> = Criterion::ALL_NAMED.iter().map(|c| criterion(*c)).collect();
        assert_eq!(
            names,
            [
                "RECIST 1.1",
                "iRECIST",
                "irRC",
                "irRECIST",
                "imRECIST",
                "RANO",
                "iRANO",
                "RANO 2.0",
                "mRECIST",
                "Choi",
                "PERCIST"
            ]
        );
    }

    #[test]
    fn non_cr_non_pd_is_upper_case() {
        assert_eq!(response(Response::NonCrNonPd), "NON-CR/NON-PD");
        assert_eq!(response(Response::IUPD), "iUPD");
    }
}
