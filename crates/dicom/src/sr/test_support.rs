//! Builders for small in-memory SR trees, for unit tests of shapes the real fixtures do
//! not cover (by-reference rows, empty Measured Value Sequences, exponent DS, …).

use dicom_core::value::{DataSetSequence, PrimitiveValue};
use dicom_core::{DataElement, Tag, VR};
use dicom_dictionary_std::tags;
use dicom_object::mem::InMemElement;
use dicom_object::InMemDicomObject;

pub(crate) fn code(value: &str, scheme: &str, meaning: &str) -> InMemDicomObject {
    InMemDicomObject::from_element_iter([
        DataElement::new(tags::CODE_VALUE, VR::SH, value),
        DataElement::new(tags::CODING_SCHEME_DESIGNATOR, VR::SH, scheme),
        DataElement::new(tags::CODE_MEANING, VR::LO, meaning),
    ])
}

pub(crate) fn seq(tag: Tag, items: Vec<InMemDicomObject>) -> InMemElement {
    DataElement::new(tag, VR::SQ, DataSetSequence::from(items))
}

/// A content item: relationship, value type, optional concept name, value elements and
/// children.
pub(crate) fn item(
    relationship: &str,
    value_type: &str,
    concept: Option<(&str, &str, &str)>,
    value: Vec<InMemElement>,
    children: Vec<InMemDicomObject>,
) -> InMemDicomObject {
    let mut elements = vec![DataElement::new(tags::VALUE_TYPE, VR::CS, value_type)];
    if !relationship.is_empty() {
        elements.push(DataElement::new(
            tags::RELATIONSHIP_TYPE,
            VR::CS,
            relationship,
        ));
    }
    if let Some((v, s, m)) = concept {
        elements.push(seq(tags::CONCEPT_NAME_CODE_SEQUENCE, vec![code(v, s, m)]));
    }
    elements.extend(value);
    if !children.is_empty() {
        elements.push(seq(tags::CONTENT_SEQUENCE, children));
    }
    InMemDicomObject::from_element_iter(elements)
}

pub(crate) fn text(concept: (&str, &str, &str), value: &str) -> InMemDicomObject {
    item(
        "HAS OBS CONTEXT",
        "TEXT",
        Some(concept),
        vec![DataElement::new(tags::TEXT_VALUE, VR::UT, value)],
        vec![],
    )
}

pub(crate) fn code_row(
    relationship: &str,
    concept: (&str, &str, &str),
    answer: (&str, &str, &str),
    children: Vec<InMemDicomObject>,
) -> InMemDicomObject {
    let (v, s, m) = answer;
    item(
        relationship,
        "CODE",
        Some(concept),
        vec![seq(tags::CONCEPT_CODE_SEQUENCE, vec![code(v, s, m)])],
        children,
    )
}

/// A NUM with a DS value, an optional FD value and a UCUM unit.
pub(crate) fn num(
    concept: (&str, &str, &str),
    ds: &str,
    fd: Option<f64>,
    unit: Option<&str>,
    children: Vec<InMemDicomObject>,
) -> InMemDicomObject {
    let mut value = vec![DataElement::new(tags::NUMERIC_VALUE, VR::DS, ds)];
    if let Some(fd) = fd {
        value.push(DataElement::new(
            tags::FLOATING_POINT_VALUE,
            VR::FD,
            PrimitiveValue::from(fd),
        ));
    }
    if let Some(unit) = unit {
        value.push(seq(
            tags::MEASUREMENT_UNITS_CODE_SEQUENCE,
            vec![code(unit, "UCUM", unit)],
        ));
    }
    let measured = InMemDicomObject::from_element_iter(value);
    item(
        "CONTAINS",
        "NUM",
        Some(concept),
        vec![seq(tags::MEASURED_VALUE_SEQUENCE, vec![measured])],
        children,
    )
}

pub(crate) fn scoord(relationship: &str, graphic_type: &str, data: &[f32]) -> InMemDicomObject {
    let data = PrimitiveValue::F32(data.iter().copied().collect());
    item(
        relationship,
        "SCOORD",
        None,
        vec![
            DataElement::new(tags::GRAPHIC_TYPE, VR::CS, graphic_type),
            DataElement::new(tags::GRAPHIC_DATA, VR::FL, data),
        ],
        vec![],
    )
}

/// A by-reference item pointing at content item "1.2".
pub(crate) fn by_reference(relationship: &str) -> InMemDicomObject {
    by_reference_to(relationship, &[1, 2])
}

/// A by-reference item pointing at the content item at `position` ("1.1.1.3" is
/// `[1, 1, 1, 3]`: the root, then the child number at each level).
pub(crate) fn by_reference_to(relationship: &str, position: &[u32]) -> InMemDicomObject {
    InMemDicomObject::from_element_iter([
        DataElement::new(tags::RELATIONSHIP_TYPE, VR::CS, relationship),
        DataElement::new(
            tags::REFERENCED_CONTENT_ITEM_IDENTIFIER,
            VR::UL,
            PrimitiveValue::U32(position.iter().copied().collect()),
        ),
    ])
}

/// A TID 1500 root with one Imaging Measurements container holding `groups`.
pub(crate) fn report(groups: Vec<InMemDicomObject>) -> InMemDicomObject {
    let measurements = item(
        "CONTAINS",
        "CONTAINER",
        Some(("126010", "DCM", "Imaging Measurements")),
        vec![],
        groups,
    );
    item(
        "",
        "CONTAINER",
        Some(("126000", "DCM", "Imaging Measurement Report")),
        vec![],
        vec![measurements],
    )
}

pub(crate) fn group(rows: Vec<InMemDicomObject>) -> InMemDicomObject {
    item(
        "CONTAINS",
        "CONTAINER",
        Some(("125007", "DCM", "Measurement Group")),
        vec![],
        rows,
    )
}
