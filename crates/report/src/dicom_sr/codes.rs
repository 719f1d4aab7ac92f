//! Every code the assessment SR uses (the README's table lists the same). DICOM codes where
//! DICOM has them (PS3.16, as pydicom's concept dictionary spells them); the criteria
//! without a DICOM code (CID 6147 holds RECIST 1.0/1.1, WHO and RANO) and the responses,
//! which DICOM does not code, use the local scheme `99ONCOREAD` rather than guessed NCIt
//! codes.

use oncoread_criteria::assessment::{Criterion, Response};
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

/// The criterion as CID 6147 codes it, else in the local scheme.
pub fn criterion(criterion: Criterion) -> Code {
    match criterion {
        Criterion::Recist11 => code("126081", "DCM", "RECIST 1.1"),
        Criterion::Rano => code("C114879", "NCIt", "RANO"),
        other => code(other.name(), LOCAL_SCHEME, criterion_display_name(other)),
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

/// A response as the assessment spells it (code value), with its meaning.
pub fn response(response: Response) -> Code {
    let meaning = match response {
        Response::Baseline => "Baseline",
        Response::CR => "Complete Response",
        Response::PR => "Partial Response",
        Response::SD => "Stable Disease",
        Response::PD => "Progressive Disease",
        Response::NE => "Not Evaluable",
        Response::NonCrNonPd => "Non-CR/Non-PD",
        Response::ICR => "Immune Complete Response",
        Response::IPR => "Immune Partial Response",
        Response::ISD => "Immune Stable Disease",
        Response::IUPD => "Immune Unconfirmed Progressive Disease",
        Response::ICPD => "Immune Confirmed Progressive Disease",
        Response::NonICrNonIUpd => "Non-iCR/Non-iUPD",
        Response::IrCR => "Immune-related Complete Response",
        Response::IrPR => "Immune-related Partial Response",
        Response::IrSD => "Immune-related Stable Disease",
        Response::IrPD => "Immune-related Progressive Disease",
        Response::PdUnconfirmed => "Progressive Disease, unconfirmed",
        Response::CMR => "Complete Metabolic Response",
        Response::PMR => "Partial Metabolic Response",
        Response::SMD => "Stable Metabolic Disease",
        Response::PMD => "Progressive Metabolic Disease",
    };
    code(response.as_str(), LOCAL_SCHEME, meaning)
}
