//! Header records from a parsed data set ([`InMemDicomObject`]), as a DIMSE C-FIND
//! IMAGE-level response identifier gives it: the same [`HeaderRecord`] the file reader
//! gives, so a PACS read over DIMSE and a folder of the same instances index alike.
//!
//! The rules are the file reader's: text trimmed of trailing padding, UIDs and code
//! strings trimmed at both ends, an attribute that is absent or empty (a C-FIND answer
//! returns every requested key, empty when the SCP has no value) is `None`, and a number
//! that does not parse is `None`. Enhanced multi-frame geometry comes from the Shared,
//! else the first Per-frame, Functional Groups.

use dicom_core::{Tag, VR};
use dicom_object::InMemDicomObject;

use crate::header::HeaderRecord;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum DataSetRecordError {
    #[error("data set without a SOP Instance UID (0008,0018)")]
    NoInstanceUid,
}

const fn tag(group: u16, element: u16) -> Tag {
    Tag(group, element)
}

const SHARED_FUNCTIONAL_GROUPS: Tag = tag(0x5200, 0x9229);
const PER_FRAME_FUNCTIONAL_GROUPS: Tag = tag(0x5200, 0x9230);
const PIXEL_MEASURES: Tag = tag(0x0028, 0x9110);
const PLANE_POSITION: Tag = tag(0x0020, 0x9113);
const PLANE_ORIENTATION: Tag = tag(0x0020, 0x9116);
const PIXEL_SPACING: Tag = tag(0x0028, 0x0030);
const SLICE_THICKNESS: Tag = tag(0x0018, 0x0050);
const SPACING_BETWEEN_SLICES: Tag = tag(0x0018, 0x0088);
const IMAGE_POSITION: Tag = tag(0x0020, 0x0032);
const IMAGE_ORIENTATION: Tag = tag(0x0020, 0x0037);

/// Text as the file reader gives it: values joined by `\`, trailing padding removed.
fn text(ds: &InMemDicomObject, tag: Tag) -> Option<String> {
    let value = ds.get(tag)?.to_str().ok()?;
    let value = value.trim_end_matches([' ', '\0']);
    (!value.is_empty()).then(|| value.to_string())
}

/// UIDs and code strings: padding trimmed at both ends.
fn code(ds: &InMemDicomObject, tag: Tag) -> Option<String> {
    let value = text(ds, tag)?;
    let value = value.trim_matches([' ', '\0']);
    (!value.is_empty()).then(|| value.to_string())
}

/// Every value as a finite decimal; `None` when absent, empty or not all numbers.
/// Read from the text form, so DS and IS parse alike whether the data set holds them as
/// one string with `\` separators or as several values.
fn numbers(ds: &InMemDicomObject, tag: Tag) -> Option<Vec<f64>> {
    let element = ds.get(tag)?;
    let values: Vec<f64> = match element.vr() {
        VR::DS | VR::IS => {
            let text = element.to_str().ok()?;
            let text = text.trim_matches([' ', '\0']);
            if text.is_empty() {
                return None;
            }
            text.split('\\')
                .map(|v| v.trim_matches([' ', '\0']).parse::<f64>().ok())
                .collect::<Option<_>>()?
        }
        _ => element.to_multi_float64().ok()?,
    };
    (!values.is_empty() && values.iter().all(|v| v.is_finite())).then_some(values)
}

fn integer<T: TryFrom<i64>>(ds: &InMemDicomObject, tag: Tag) -> Option<T> {
    let value: i64 = ds.get(tag)?.to_int().ok()?;
    T::try_from(value).ok()
}

/// The first item of a sequence.
fn first_item(ds: &InMemDicomObject, tag: Tag) -> Option<&InMemDicomObject> {
    ds.get(tag)?.items()?.first()
}

/// The header record of one data set. `path` names where it came from (for a DIMSE
/// source, the instance's `dimse:` name) and `file_size` its size when known.
pub fn header_from_dataset(
    ds: &InMemDicomObject,
    path: &str,
    file_size: u64,
) -> Result<HeaderRecord, DataSetRecordError> {
    let sop_instance_uid =
        code(ds, tag(0x0008, 0x0018)).ok_or(DataSetRecordError::NoInstanceUid)?;
    let groups = [
        first_item(ds, SHARED_FUNCTIONAL_GROUPS),
        first_item(ds, PER_FRAME_FUNCTIONAL_GROUPS),
    ];
    let from_groups = |sequence: Tag, tag: Tag| {
        groups
            .iter()
            .flatten()
            .filter_map(|group| first_item(group, sequence))
            .find_map(|item| numbers(item, tag))
    };
    let fixed = |tag: Tag, sequence: Tag, n: usize| {
        numbers(ds, tag)
            .or_else(|| from_groups(sequence, tag))
            .filter(|v| v.len() == n)
    };
    let first = |tag: Tag, sequence: Tag| {
        numbers(ds, tag)
            .or_else(|| from_groups(sequence, tag))
            .and_then(|v| v.first().copied())
    };
    let pixel_spacing = fixed(PIXEL_SPACING, PIXEL_MEASURES, 2);
    let position = fixed(IMAGE_POSITION, PLANE_POSITION, 3);
    let orientation = fixed(IMAGE_ORIENTATION, PLANE_ORIENTATION, 6);
    Ok(HeaderRecord {
        path: path.to_string(),
        file_size,
        transfer_syntax_uid: None,
        sop_class_uid: code(ds, tag(0x0008, 0x0016)),
        sop_instance_uid: Some(sop_instance_uid),
        study_instance_uid: code(ds, tag(0x0020, 0x000D)),
        series_instance_uid: code(ds, tag(0x0020, 0x000E)),
        patient_id: text(ds, tag(0x0010, 0x0020)),
        patient_name: text(ds, tag(0x0010, 0x0010)),
        patient_birth_date: code(ds, tag(0x0010, 0x0030)),
        clinical_trial_subject_id: text(ds, tag(0x0012, 0x0040)),
        clinical_trial_time_point_id: text(ds, tag(0x0012, 0x0050)),
        clinical_trial_protocol_id: text(ds, tag(0x0012, 0x0020)),
        modality: code(ds, tag(0x0008, 0x0060)),
        study_date: code(ds, tag(0x0008, 0x0020)),
        study_time: code(ds, tag(0x0008, 0x0030)),
        series_date: code(ds, tag(0x0008, 0x0021)),
        series_time: code(ds, tag(0x0008, 0x0031)),
        acquisition_date: code(ds, tag(0x0008, 0x0022)),
        acquisition_time: code(ds, tag(0x0008, 0x0032)),
        content_date: code(ds, tag(0x0008, 0x0023)),
        content_time: code(ds, tag(0x0008, 0x0033)),
        series_number: integer(ds, tag(0x0020, 0x0011)),
        instance_number: integer(ds, tag(0x0020, 0x0013)),
        frame_of_reference_uid: code(ds, tag(0x0020, 0x0052)),
        pixel_spacing: pixel_spacing.map(|v| [v[0], v[1]]),
        slice_thickness: first(SLICE_THICKNESS, PIXEL_MEASURES),
        spacing_between_slices: first(SPACING_BETWEEN_SLICES, PIXEL_MEASURES),
        rows: integer(ds, tag(0x0028, 0x0010)),
        columns: integer(ds, tag(0x0028, 0x0011)),
        number_of_frames: integer(ds, tag(0x0028, 0x0008)),
        image_position_patient: position.map(|v| [v[0], v[1], v[2]]),
        image_orientation_patient: orientation.map(|v| [v[0], v[1], v[2], v[3], v[4], v[5]]),
    })
}

/// The attributes [`header_from_dataset`] reads at the top level, with their VRs: the
/// return keys of a C-FIND IMAGE-level query (each sent empty, "give me this").
pub const RECORD_KEYS: &[(Tag, VR)] = &[
    (tag(0x0008, 0x0016), VR::UI),
    (tag(0x0008, 0x0018), VR::UI),
    (tag(0x0008, 0x0020), VR::DA),
    (tag(0x0008, 0x0021), VR::DA),
    (tag(0x0008, 0x0022), VR::DA),
    (tag(0x0008, 0x0023), VR::DA),
    (tag(0x0008, 0x0030), VR::TM),
    (tag(0x0008, 0x0031), VR::TM),
    (tag(0x0008, 0x0032), VR::TM),
    (tag(0x0008, 0x0033), VR::TM),
    (tag(0x0008, 0x0060), VR::CS),
    (tag(0x0010, 0x0010), VR::PN),
    (tag(0x0010, 0x0020), VR::LO),
    (tag(0x0010, 0x0030), VR::DA),
    (tag(0x0012, 0x0020), VR::LO),
    (tag(0x0012, 0x0040), VR::LO),
    (tag(0x0012, 0x0050), VR::LO),
    (tag(0x0018, 0x0050), VR::DS),
    (tag(0x0018, 0x0088), VR::DS),
    (tag(0x0020, 0x0011), VR::IS),
    (tag(0x0020, 0x0013), VR::IS),
    (tag(0x0020, 0x0032), VR::DS),
    (tag(0x0020, 0x0037), VR::DS),
    (tag(0x0020, 0x0052), VR::UI),
    (tag(0x0028, 0x0008), VR::IS),
    (tag(0x0028, 0x0010), VR::US),
    (tag(0x0028, 0x0011), VR::US),
    (tag(0x0028, 0x0030), VR::DS),
];

#[cfg(test)]
mod tests {
    use super::*;
    use dicom_core::value::{DataSetSequence, PrimitiveValue};
    use dicom_core::DataElement;

    /// What a test or a test helper gives back: a failure is the error `?` met.
    type TestResult<T = ()> = Result<T, Box<dyn std::error::Error>>;

    fn element(group: u16, element: u16, vr: VR, value: &str) -> DataElement<InMemDicomObject> {
        DataElement::new(Tag(group, element), vr, PrimitiveValue::from(value))
    }

    #[test]
    fn a_ct_identifier_as_a_c_find_answer_gives_it() -> TestResult {
        let ds = InMemDicomObject::from_element_iter([
            element(0x0008, 0x0016, VR::UI, "1.2.840.10008.5.1.4.1.1.2\0"),
            element(0x0008, 0x0018, VR::UI, "1.2.3.4\0"),
            element(0x0008, 0x0020, VR::DA, "20240105"),
            element(0x0008, 0x0021, VR::DA, ""), // asked for, the SCP has none
            element(0x0008, 0x0060, VR::CS, "CT"),
            element(0x0010, 0x0010, VR::PN, "Doe^Jane "),
            element(0x0012, 0x0040, VR::LO, "SUBJ-01 "),
            element(0x0020, 0x0011, VR::IS, "3 "),
            element(0x0020, 0x0013, VR::IS, "12"),
            element(0x0020, 0x0032, VR::DS, "-125\\-125.0\\40.5"),
            element(0x0020, 0x0037, VR::DS, "1\\0\\0\\0\\1\\0 "),
            element(0x0028, 0x0030, VR::DS, "0.7\\0.7 "),
            element(0x0018, 0x0050, VR::DS, "2.5 "),
            element(0x0018, 0x0088, VR::DS, "not a number"),
            DataElement::new(Tag(0x0028, 0x0010), VR::US, PrimitiveValue::from(512_u16)),
            DataElement::new(Tag(0x0028, 0x0011), VR::US, PrimitiveValue::from(256_u16)),
        ]);
        let record = header_from_dataset(&ds, "dimse:X@h:1/i", 0)?;
        assert_eq!(record.path, "dimse:X@h:1/i");
        assert_eq!(
            record.sop_class_uid.as_deref(),
            Some("1.2.840.10008.5.1.4.1.1.2")
        );
        assert_eq!(record.sop_instance_uid.as_deref(), Some("1.2.3.4"));
        assert_eq!(record.study_date.as_deref(), Some("20240105"));
        assert_eq!(record.series_date, None);
        assert_eq!(record.patient_name.as_deref(), Some("Doe^Jane"));
        assert_eq!(record.clinical_trial_subject_id.as_deref(), Some("SUBJ-01"));
        assert_eq!(record.series_number, Some(3));
        assert_eq!(record.instance_number, Some(12));
        assert_eq!(record.image_position_patient, Some([-125.0, -125.0, 40.5]));
        assert_eq!(
            record.image_orientation_patient,
            Some([1.0, 0.0, 0.0, 0.0, 1.0, 0.0])
        );
        assert_eq!(record.pixel_spacing, Some([0.7, 0.7]));
        assert_eq!(record.slice_thickness, Some(2.5));
        assert_eq!(record.spacing_between_slices, None);
        assert_eq!((record.rows, record.columns), (Some(512), Some(256)));
        assert_eq!(record.study_instance_uid, None);
        Ok(())
    }

    #[test]
    fn enhanced_geometry_comes_from_the_functional_groups() -> TestResult {
        let item = |elements: Vec<DataElement<InMemDicomObject>>| {
            InMemDicomObject::from_element_iter(elements)
        };
        let sequence = |group: u16, element: u16, items: Vec<InMemDicomObject>| {
            DataElement::new(Tag(group, element), VR::SQ, DataSetSequence::from(items))
        };
        let shared = item(vec![
            sequence(
                0x0028,
                0x9110,
                vec![item(vec![
                    element(0x0028, 0x0030, VR::DS, "0.5\\0.6"),
                    element(0x0018, 0x0050, VR::DS, "1.25"),
                ])],
            ),
            sequence(
                0x0020,
                0x9116,
                vec![item(vec![element(
                    0x0020,
                    0x0037,
                    VR::DS,
                    "1\\0\\0\\0\\0\\-1",
                )])],
            ),
        ]);
        let frame = item(vec![sequence(
            0x0020,
            0x9113,
            vec![item(vec![element(0x0020, 0x0032, VR::DS, "1\\2\\3")])],
        )]);
        let ds = InMemDicomObject::from_element_iter([
            element(0x0008, 0x0018, VR::UI, "9.9"),
            sequence(0x5200, 0x9229, vec![shared]),
            sequence(0x5200, 0x9230, vec![frame]),
        ]);
        let record = header_from_dataset(&ds, "p", 0)?;
        assert_eq!(record.pixel_spacing, Some([0.5, 0.6]));
        assert_eq!(record.slice_thickness, Some(1.25));
        assert_eq!(
            record.image_orientation_patient,
            Some([1.0, 0.0, 0.0, 0.0, 0.0, -1.0])
        );
        assert_eq!(record.image_position_patient, Some([1.0, 2.0, 3.0]));
        Ok(())
    }

    #[test]
    fn no_instance_uid_is_an_error() {
        let ds = InMemDicomObject::from_element_iter([element(0x0008, 0x0018, VR::UI, "")]);
        assert_eq!(
            header_from_dataset(&ds, "p", 0),
            Err(DataSetRecordError::NoInstanceUid)
        );
    }
}
