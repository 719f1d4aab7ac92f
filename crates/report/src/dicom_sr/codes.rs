//! Every code the assessment SR uses (the README's table lists the same, with where each
//! was verified). DICOM codes where DICOM has them (PS3.16, as pydicom's concept
//! dictionary spells them); NCI Thesaurus codes from CDISC SDTM Controlled Terminology
//! otherwise (codelists C124298 "Category of Oncology Response Assessment", C96785
//! "Oncology Response Assessment Result", C123650 "Tumor or Lesion Identification Test
//! Results"). What neither has (irRECIST, imRECIST, RANO 2.0, LYRIC; the irRC responses;
//! the baseline row; the accepted-read question) stays in the local scheme `99ONCOREAD`
//! rather than a guessed code. The code meanings of NCIt codes are CDISC's submission
//! value, or its synonym where the value is an abbreviation.

use oncoread_criteria::assessment::{Criterion, Response};
use oncoread_criteria::timeline::Role;
use oncoread_dicom::sr_write::{code, Code};

pub const LOCAL_SCHEME: &str = "99ONCOREAD";

pub fn report_title() -> Code {
    code("126000", "DCM", "Imaging Measurement Report")
}
pub fn language() -> Code {
    code("121049", "DCM", "Language of Content Item and Descendants")
}
pub fn english_us() -> Code {
    code("en-US", "RFC5646", "English (United States)")
}
pub fn observer_type() -> Code {
    code("121005", "DCM", "Observer Type")
}
pub fn person() -> Code {
    code("121006", "DCM", "Person")
}
pub fn person_observer_name() -> Code {
    code("121008", "DCM", "Person Observer Name")
}
pub fn device() -> Code {
    code("121007", "DCM", "Device")
}
pub fn device_observer_uid() -> Code {
    code("121012", "DCM", "Device Observer UID")
}
pub fn device_observer_name() -> Code {
    code("121013", "DCM", "Device Observer Name")
}
pub fn procedure_reported() -> Code {
    code("121058", "DCM", "Procedure reported")
}
pub fn imaging_procedure() -> Code {
    code("363679005", "SCT", "Imaging procedure")
}
pub fn image_library() -> Code {
    code("111028", "DCM", "Image Library")
}
pub fn image_library_group() -> Code {
    code("126200", "DCM", "Image Library Group")
}
pub fn imaging_measurements() -> Code {
    code("126010", "DCM", "Imaging Measurements")
}
pub fn measurement_group() -> Code {
    code("125007", "DCM", "Measurement Group")
}
pub fn tracking_identifier() -> Code {
    code("112039", "DCM", "Tracking Identifier")
}
pub fn tracking_uid() -> Code {
    code("112040", "DCM", "Tracking Unique Identifier")
}
pub fn time_point() -> Code {
    code("C2348792", "UMLS", "Time Point")
}
pub fn time_point_type() -> Code {
    code("126072", "DCM", "Time Point Type")
}
/// CID 6146 Time Point Types.
pub fn baseline() -> Code {
    code("C1442488", "UMLS", "Baseline")
}
pub fn posttreatment() -> Code {
    code("126074", "DCM", "Posttreatment")
}
pub fn finding() -> Code {
    code("121071", "DCM", "Finding")
}
pub fn tumor() -> Code {
    code("108369006", "SCT", "Tumor")
}
pub fn finding_site() -> Code {
    code("363698007", "SCT", "Finding Site")
}
pub fn long_axis() -> Code {
    code("103339001", "SCT", "Long axis")
}
pub fn short_axis() -> Code {
    code("103340004", "SCT", "Short axis")
}
pub fn millimetre() -> Code {
    code("mm", "UCUM", "mm")
}
pub fn source_of_measurement() -> Code {
    code("121112", "DCM", "Source of Measurement")
}
/// CID 6145 Baseline Category.
pub fn target_at_baseline() -> Code {
    code("112074", "DCM", "Target Lesion at Baseline")
}
pub fn non_target_at_baseline() -> Code {
    code("112075", "DCM", "Non-Target Lesion at Baseline")
}
pub fn qualitative_evaluations() -> Code {
    code("C0034375", "UMLS", "Qualitative Evaluations")
}
pub fn current_response() -> Code {
    code("112048", "DCM", "Current Response")
}
pub fn response_evaluation_method() -> Code {
    code("112021", "DCM", "Response Evaluation Method")
}

/// The scheme designator DICOM uses for the NCI Thesaurus (PS3.16 CID 6147 RANO).
pub const NCIT: &str = "NCIt";

/// A lesion's category: CID 6145 for targets and non-targets; DICOM has no code for a new
/// lesion, so that is CDISC's TU result "NEW" (C123650).
pub fn lesion_category(role: Role) -> Code {
    match role {
        Role::Target => target_at_baseline(),
        Role::NonTarget => non_target_at_baseline(),
        Role::New => code("C94522", NCIT, "NEW"),
    }
}

pub fn best_overall_response() -> Code {
    code("112049", "DCM", "Best Overall Response")
}

/// Whether this read is the one adjudication accepted: no DICOM or CDISC concept names
/// the question (SDTM's RSACPTFL is a variable, not a term), so it is local; the answer
/// is CID 230 Yes / No.
pub fn accepted_read() -> Code {
    code("ACCEPTED-READ", LOCAL_SCHEME, "Accepted read")
}
pub fn yes_no(answer: bool) -> Code {
    if answer {
        code("373066001", "SCT", "Yes")
    } else {
        code("373067005", "SCT", "No")
    }
}

/// The criterion as CID 6147 codes it, else as CDISC's C124298 names it, else local.
pub fn criterion(criterion: Criterion) -> Code {
    match criterion {
        Criterion::Recist11 => code("126081", "DCM", "RECIST 1.1"),
        Criterion::Rano => code("C114879", NCIT, "RANO"),
        Criterion::Irecist => code("C136711", NCIT, "iRECIST"),
        Criterion::Irrc => code("C126051", NCIT, "irRC"),
        Criterion::Irano => code("C158263", NCIT, "IRANO 2015"),
        Criterion::Mrecist => code("C126032", NCIT, "MRECIST LENCIONI LIVER CANCER 2010"),
        Criterion::Choi => code("C122394", NCIT, "CHOI GIST 2008"),
        Criterion::Percist => code("C126039", NCIT, "PERCIST"),
        Criterion::Lugano => code("C126025", NCIT, "LUGANO CLASSIFICATION"),
        local @ (Criterion::Irrecist
        | Criterion::Imrecist
        | Criterion::Rano2
        | Criterion::Lyric) => code(local.name(), LOCAL_SCHEME, criterion_display_name(local)),
    }
}

pub fn criterion_display_name(criterion: Criterion) -> &'static str {
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
        Criterion::Percist => "PERCIST 1.0",
        Criterion::Lugano => "Lugano",
        Criterion::Lyric => "LYRIC",
    }
}

/// A response as CDISC's C96785 codes it; the irRC responses and the baseline row, which
/// it does not hold, in the local scheme under the assessment's spelling.
pub fn response(response: Response) -> Code {
    let (value, meaning) = match response {
        Response::CR => ("C4870", "Complete Response"),
        Response::PR => ("C18058", "Partial Response"),
        Response::SD => ("C18213", "Stable Disease"),
        Response::PD => ("C35571", "Progressive Disease"),
        Response::NE => ("C62222", "Not Evaluable"),
        Response::NonCrNonPd => ("C96700", "Non Complete Response/Non Progressive Disease"),
        Response::ICR => ("C142357", "iCR"),
        Response::IPR => ("C142358", "iPR"),
        Response::ISD => ("C142359", "iSD"),
        Response::IUPD => ("C142360", "iUPD"),
        Response::ICPD => ("C142356", "iCPD"),
        Response::NonICrNonIUpd => ("C142361", "NON-iCR/NON-iUPD"),
        Response::PdUnconfirmed => ("C123607", "Unconfirmed Progressive Disease"),
        Response::CMR => ("C123407", "Complete Metabolic Response"),
        Response::PMR => ("C123609", "Partial Metabolic Response"),
        Response::SMD => ("C123616", "Stable Metabolic Disease"),
        Response::PMD => ("C123608", "Progressive Metabolic Disease"),
        local => return code(local.as_str(), LOCAL_SCHEME, local_response_meaning(local)),
    };
    code(value, NCIT, meaning)
}

fn local_response_meaning(response: Response) -> &'static str {
    match response {
        Response::Baseline => "Baseline",
        Response::IrCR => "Immune-related Complete Response",
        Response::IrPR => "Immune-related Partial Response",
        Response::IrSD => "Immune-related Stable Disease",
        Response::IrPD => "Immune-related Progressive Disease",
        _ => response.as_str(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value_and_scheme(code: Code) -> (String, String) {
        (code.value, code.scheme)
    }

    /// Every criterion, including those the sample run does not enable, against the
    /// sources as written here: PS3.16 CID 6147 (126081 DCM RECIST 1.1, C114879 NCIt
    /// RANO) and CDISC SDTM CT codelist C124298.
    #[test]
    fn criteria_have_their_cid_6147_or_cdisc_code() {
        let expected = [
            (Criterion::Recist11, "126081", "DCM"),
            (Criterion::Irecist, "C136711", "NCIt"),
            (Criterion::Irrc, "C126051", "NCIt"),
            (Criterion::Irrecist, "irrecist", "99ONCOREAD"),
            (Criterion::Imrecist, "imrecist", "99ONCOREAD"),
            (Criterion::Rano, "C114879", "NCIt"),
            (Criterion::Irano, "C158263", "NCIt"),
            (Criterion::Rano2, "rano2", "99ONCOREAD"),
            (Criterion::Mrecist, "C126032", "NCIt"),
            (Criterion::Choi, "C122394", "NCIt"),
            (Criterion::Percist, "C126039", "NCIt"),
            (Criterion::Lugano, "C126025", "NCIt"),
            (Criterion::Lyric, "lyric", "99ONCOREAD"),
        ];
        for (criterion, value, scheme) in expected {
            assert_eq!(
                value_and_scheme(super::criterion(criterion)),
                (value.to_string(), scheme.to_string()),
                "{criterion:?}"
            );
        }
    }

    /// Every response against CDISC SDTM CT codelist C96785 as written here; BL and the
    /// irRC responses are not in it.
    #[test]
    fn responses_have_their_cdisc_code() {
        let expected = [
            (Response::Baseline, "BL", "99ONCOREAD"),
            (Response::CR, "C4870", "NCIt"),
            (Response::PR, "C18058", "NCIt"),
            (Response::SD, "C18213", "NCIt"),
            (Response::PD, "C35571", "NCIt"),
            (Response::NE, "C62222", "NCIt"),
            (Response::NonCrNonPd, "C96700", "NCIt"),
            (Response::ICR, "C142357", "NCIt"),
            (Response::IPR, "C142358", "NCIt"),
            (Response::ISD, "C142359", "NCIt"),
            (Response::IUPD, "C142360", "NCIt"),
            (Response::ICPD, "C142356", "NCIt"),
            (Response::NonICrNonIUpd, "C142361", "NCIt"),
            (Response::IrCR, "irCR", "99ONCOREAD"),
            (Response::IrPR, "irPR", "99ONCOREAD"),
            (Response::IrSD, "irSD", "99ONCOREAD"),
            (Response::IrPD, "irPD", "99ONCOREAD"),
            (Response::PdUnconfirmed, "C123607", "NCIt"),
            (Response::CMR, "C123407", "NCIt"),
            (Response::PMR, "C123609", "NCIt"),
            (Response::SMD, "C123616", "NCIt"),
            (Response::PMD, "C123608", "NCIt"),
        ];
        for (response, value, scheme) in expected {
            assert_eq!(
                value_and_scheme(super::response(response)),
                (value.to_string(), scheme.to_string()),
                "{response:?}"
            );
        }
    }

    /// Code values are SH (16 characters at most) and meanings LO (64).
    #[test]
    fn every_code_fits_its_value_representation() {
        let mut codes: Vec<Code> = Criterion::ALL_NAMED
            .iter()
            .chain([Criterion::Lugano, Criterion::Lyric].iter())
            .map(|c| criterion(*c))
            .collect();
        codes.extend([Role::Target, Role::NonTarget, Role::New].map(lesion_category));
        codes.extend([accepted_read(), yes_no(true), yes_no(false)]);
        for code in codes {
            assert!(code.value.len() <= 16, "{code:?}");
            assert!(code.meaning.len() <= 64, "{code:?}");
        }
    }
}
