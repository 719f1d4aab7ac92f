//! The coded concepts the reader looks for, as (scheme, value) pairs.
//!
//! Concepts are matched by coding scheme designator and code value only, never by Code
//! Meaning: producers spell meanings differently ("Long Axis" / "Long axis", "AREA").
//! Each concept lists its SNOMED CT code and the retired SNOMED-RT style code that older
//! files use (sr.md §3.2, pitfall 2). Legacy SNOMED-RT codes are accepted under both
//! designators that have been used for them, "SRT" and the older "SNM3".

use super::{Code, Quantity};

/// (coding scheme designator, code value).
pub(crate) type CodeKey = (&'static str, &'static str);

/// True when `code` is any of `keys`.
pub(crate) fn matches(code: &Code, keys: &[CodeKey]) -> bool {
    keys.iter().any(|&(scheme, value)| {
        code.value == value && (code.scheme == scheme || (scheme == "SRT" && code.scheme == "SNM3"))
    })
}

/// True when the (optional) concept name is any of `keys`.
pub(crate) fn named(concept: Option<&Code>, keys: &[CodeKey]) -> bool {
    concept.is_some_and(|code| matches(code, keys))
}

// Document level (TID 1500, TID 1001).
pub(crate) const IMAGING_MEASUREMENT_REPORT: &[CodeKey] = &[("DCM", "126000")];
pub(crate) const OBSERVER_TYPE: &[CodeKey] = &[("DCM", "121005")];
pub(crate) const OBSERVER_PERSON: &[CodeKey] = &[("DCM", "121006")];
pub(crate) const OBSERVER_DEVICE: &[CodeKey] = &[("DCM", "121007")];
pub(crate) const PERSON_OBSERVER_NAME: &[CodeKey] = &[("DCM", "121008")];
pub(crate) const DEVICE_OBSERVER_UID: &[CodeKey] = &[("DCM", "121012")];
pub(crate) const DEVICE_OBSERVER_NAME: &[CodeKey] = &[("DCM", "121013")];

// Containers.
pub(crate) const IMAGING_MEASUREMENTS: &[CodeKey] = &[("DCM", "126010")];
pub(crate) const MEASUREMENT_GROUP: &[CodeKey] = &[("DCM", "125007")];

// Measurement group rows (TID 1501 / 1410 / 1411).
pub(crate) const TRACKING_IDENTIFIER: &[CodeKey] = &[("DCM", "112039")];
pub(crate) const TRACKING_UID: &[CodeKey] = &[("DCM", "112040")];
pub(crate) const ACTIVITY_SESSION: &[CodeKey] = &[("NCIt", "C67447")];
pub(crate) const FINDING: &[CodeKey] = &[("DCM", "121071")];
pub(crate) const FINDING_CATEGORY: &[CodeKey] = &[("SCT", "276214006")];
pub(crate) const FINDING_SITE: &[CodeKey] = &[("SCT", "363698007"), ("SRT", "G-C0E3")];
pub(crate) const LATERALITY: &[CodeKey] = &[("SCT", "272741003"), ("SRT", "G-C171")];
pub(crate) const TOPOGRAPHICAL_MODIFIER: &[CodeKey] = &[("SCT", "106233006"), ("SRT", "G-A1F8")];
pub(crate) const MEASUREMENT_METHOD: &[CodeKey] = &[("SCT", "370129005"), ("SRT", "G-C036")];
pub(crate) const DERIVATION: &[CodeKey] = &[("DCM", "121401")];

// TID 1502 time point context. Note 126070 is the *Subject Time Point Identifier*, not
// "Time Point" (sr.md §3.1).
pub(crate) const TIME_POINT: &[CodeKey] = &[("UMLS", "C2348792")];
pub(crate) const TIME_POINT_TYPE: &[CodeKey] = &[("DCM", "126072")];
pub(crate) const TIME_POINT_ORDER: &[CodeKey] = &[("DCM", "126073")];
pub(crate) const SUBJECT_TIME_POINT_IDENTIFIER: &[CodeKey] = &[("DCM", "126070")];
pub(crate) const PROTOCOL_TIME_POINT_IDENTIFIER: &[CodeKey] = &[("DCM", "126071")];

// ROI rows (TID 1410 planar, TID 1411 volumetric).
pub(crate) const IMAGE_REGION: &[CodeKey] = &[("DCM", "111030")];
pub(crate) const REGION_IN_SPACE: &[CodeKey] = &[("DCM", "130488")];
pub(crate) const VOLUME_SURFACE: &[CodeKey] = &[("DCM", "121231")];
pub(crate) const REFERENCED_SEGMENT: &[CodeKey] = &[("DCM", "121191")];
pub(crate) const REFERENCED_SEGMENTATION_FRAME: &[CodeKey] = &[("DCM", "121214")];
pub(crate) const SOURCE_SERIES_FOR_SEGMENTATION: &[CodeKey] = &[("DCM", "121232")];

/// CID 6145 lesion status answers (target / non-target / non-lesion at baseline): TID
/// 1500 has no dedicated row for them, so producers put them in qualitative evaluations,
/// sometimes under the Finding concept (sr.md §5).
pub(crate) const LESION_STATUS_AT_BASELINE: &[CodeKey] =
    &[("DCM", "112074"), ("DCM", "112075"), ("DCM", "112076")];

// NUM concept names → quantity (sr.md §3.2).
const LONG_AXIS: &[CodeKey] = &[
    ("SCT", "103339001"),
    ("SRT", "G-A185"),
    // Major axis: the longest diameter of a fitted ellipse, i.e. the long axis.
    ("SCT", "131187009"),
    ("SRT", "G-A193"),
];
const SHORT_AXIS: &[CodeKey] = &[
    ("SCT", "103340004"),
    ("SRT", "G-A186"),
    // Minor axis and Perpendicular axis: the diameter perpendicular to the longest one,
    // which is what RECIST / WHO call the short axis.
    ("SCT", "131188004"),
    ("SRT", "G-A194"),
    ("SCT", "131189007"),
    ("SRT", "G-A195"),
];
const LENGTH: &[CodeKey] = &[
    ("SCT", "410668003"),
    ("SRT", "G-D7FE"),
    ("DCM", "121227"), // Line segment length
    ("DCM", "121206"), // Distance
];
const DIAMETER: &[CodeKey] = &[("SCT", "81827009"), ("SRT", "M-02550")];
const AREA: &[CodeKey] = &[
    ("SCT", "42798000"),
    ("SRT", "G-A166"),
    ("SCT", "131184002"), // Area of defined region
    ("SRT", "G-A16A"),
];
const VOLUME: &[CodeKey] = &[
    ("SCT", "118565006"),
    ("SRT", "G-D705"),
    // "Volume estimated from …", "Volume of bounding three dimensional region", "Volume
    // of sphere / ellipsoid / circumscribed sphere" (volumetric tools).
    ("DCM", "121216"),
    ("DCM", "121217"),
    ("DCM", "121218"),
    ("DCM", "121219"),
    ("DCM", "121220"),
    ("DCM", "121221"),
    ("DCM", "121222"),
];

/// The quantity a NUM concept name stands for; [`Quantity::Other`] for anything else.
pub(crate) fn quantity_of(concept: &Code) -> Quantity {
    let table: [(&[CodeKey], Quantity); 6] = [
        (LONG_AXIS, Quantity::LongAxis),
        (SHORT_AXIS, Quantity::ShortAxis),
        (LENGTH, Quantity::Length),
        (DIAMETER, Quantity::Diameter),
        (AREA, Quantity::Area),
        (VOLUME, Quantity::Volume),
    ];
    table
        .iter()
        .find(|(keys, _)| matches(concept, keys))
        .map_or(Quantity::Other, |&(_, quantity)| quantity)
}

/// "(value, scheme, meaning)" for messages.
pub(crate) fn describe(code: &Code) -> String {
    format!("({}, {}, {})", code.value, code.scheme, code.meaning)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(value: &str, scheme: &str, meaning: &str) -> Code {
        Code {
            value: value.into(),
            scheme: scheme.into(),
            meaning: meaning.into(),
        }
    }

    #[test]
    fn quantity_is_chosen_by_scheme_and_value_not_meaning() {
        assert_eq!(
            quantity_of(&code("G-A185", "SRT", "whatever")),
            Quantity::LongAxis
        );
        assert_eq!(
            quantity_of(&code("103340004", "SCT", "Short axis")),
            Quantity::ShortAxis
        );
        // dcmjs's mis-coded "AREA" is G-D7FE, i.e. Length by its code.
        assert_eq!(
            quantity_of(&code("G-D7FE", "SRT", "AREA")),
            Quantity::Length
        );
        // Right value, wrong scheme: not a match.
        assert_eq!(
            quantity_of(&code("103339001", "DCM", "Long axis")),
            Quantity::Other
        );
        // Right meaning, unknown code: not a match.
        assert_eq!(
            quantity_of(&code("1234", "99_OFFIS_DCMTK", "Diameter")),
            Quantity::Other
        );
        assert_eq!(
            quantity_of(&code("G-A16A", "SRT", "Area of defined region")),
            Quantity::Area
        );
        assert_eq!(
            quantity_of(&code("131189007", "SCT", "")),
            Quantity::ShortAxis
        );
        assert_eq!(quantity_of(&code("121206", "DCM", "")), Quantity::Length);
    }

    #[test]
    fn legacy_snomed_designator_snm3_is_accepted_for_srt_codes() {
        assert!(matches(
            &code("G-C0E3", "SNM3", "Finding Site"),
            FINDING_SITE
        ));
        assert!(!matches(
            &code("363698007", "SNM3", "Finding Site"),
            FINDING_SITE
        ));
    }
}
