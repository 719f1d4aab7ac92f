//! Header records from DICOM JSON (PS3.18 F.2), as DICOMweb's WADO-RS `/metadata` and
//! QIDO-RS return it: the same [`HeaderRecord`] the file reader gives, so a PACS source
//! and a folder of the same instances index alike.
//!
//! Only the attributes the index keeps are read. Values may come as JSON strings or
//! numbers (DS and IS are either, depending on the server); a value of the wrong shape is
//! an error naming the attribute, never a guess.

use serde_json::{Map, Value};

use crate::header::HeaderRecord;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum DicomJsonError {
    #[error("DICOM JSON: expected an object of attributes, found {0}")]
    NotAnObject(&'static str),
    #[error("DICOM JSON: attribute ({group:04X},{element:04X}): {reason}")]
    Attribute {
        group: u16,
        element: u16,
        reason: String,
    },
    #[error("DICOM JSON: no SOP Instance UID (0008,0018)")]
    NoInstanceUid,
}

/// One data set of DICOM JSON: `{"00080018": {"vr": "UI", "Value": ["1.2.3"]}, ...}`.
struct DataSet<'a>(&'a Map<String, Value>);

impl<'a> DataSet<'a> {
    fn new(value: &'a Value) -> Result<Self, DicomJsonError> {
        match value {
            Value::Object(map) => Ok(DataSet(map)),
            other => Err(DicomJsonError::NotAnObject(kind(other))),
        }
    }

    /// The `Value` array of a tag; `None` when the attribute is absent or empty.
    fn values(&self, tag: u32) -> Result<Option<&'a Vec<Value>>, DicomJsonError> {
        let Some(attribute) = self.0.get(&format!("{tag:08X}")) else {
            return Ok(None);
        };
        let Value::Object(attribute) = attribute else {
            return Err(error(
                tag,
                format!("expected an object, found {}", kind(attribute)),
            ));
        };
        match attribute.get("Value") {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Array(values)) if values.is_empty() => Ok(None),
            Some(Value::Array(values)) => Ok(Some(values)),
            Some(other) => Err(error(
                tag,
                format!("\"Value\" must be an array, found {}", kind(other)),
            )),
        }
    }

    /// The values as the file reader gives text: strings joined by `\`, trailing spaces
    /// removed; person names from their alphabetic (`=` ideographic, `=` phonetic) groups.
    fn text(&self, tag: u32) -> Result<Option<String>, DicomJsonError> {
        let Some(values) = self.values(tag)? else {
            return Ok(None);
        };
        let mut parts = Vec::with_capacity(values.len());
        for value in values {
            parts.push(match value {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Null => String::new(),
                Value::Object(name) => person_name(tag, name)?,
                other => return Err(error(tag, format!("unexpected {} value", kind(other)))),
            });
        }
        let text = parts.join("\\");
        let text = text.trim_end_matches([' ', '\0']);
        Ok((!text.is_empty()).then(|| text.to_string()))
    }

    /// UIDs and code strings: padding trimmed at both ends, like the file reader.
    fn code(&self, tag: u32) -> Result<Option<String>, DicomJsonError> {
        Ok(self
            .text(tag)?
            .map(|t| t.trim_matches([' ', '\0']).to_string())
            .filter(|t| !t.is_empty()))
    }

    /// Numeric values (DS, IS, US, UL, FD ...), from JSON numbers or decimal strings.
    fn numbers(&self, tag: u32) -> Result<Option<Vec<f64>>, DicomJsonError> {
        let Some(values) = self.values(tag)? else {
            return Ok(None);
        };
        let mut numbers = Vec::with_capacity(values.len());
        for value in values {
            let number = match value {
                Value::Number(n) => n.as_f64(),
                Value::String(s) => s.trim().parse::<f64>().ok(),
                _ => None,
            }
            .filter(|n| n.is_finite())
            .ok_or_else(|| error(tag, format!("not a number: {value}")))?;
            numbers.push(number);
        }
        Ok(Some(numbers))
    }

    fn first_number(&self, tag: u32) -> Result<Option<f64>, DicomJsonError> {
        Ok(self.numbers(tag)?.and_then(|n| n.first().copied()))
    }

    fn integer<T: TryFrom<i64>>(&self, tag: u32) -> Result<Option<T>, DicomJsonError> {
        match self.first_number(tag)? {
            None => Ok(None),
            Some(n) if n.fract() == 0.0 && n.abs() < 9.0e15 => T::try_from(n as i64)
                .map(Some)
                .map_err(|_| error(tag, format!("{n} is out of range"))),
            Some(n) => Err(error(tag, format!("{n} is not an integer"))),
        }
    }

    /// The first item of a sequence.
    fn first_item(&self, tag: u32) -> Result<Option<DataSet<'a>>, DicomJsonError> {
        match self.values(tag)? {
            None => Ok(None),
            Some(items) => DataSet::new(&items[0])
                .map(Some)
                .map_err(|e| error(tag, e.to_string())),
        }
    }
}

fn person_name(tag: u32, name: &Map<String, Value>) -> Result<String, DicomJsonError> {
    let mut groups = Vec::new();
    for key in ["Alphabetic", "Ideographic", "Phonetic"] {
        match name.get(key) {
            None => groups.push(""),
            Some(Value::String(s)) => groups.push(s.as_str()),
            Some(other) => {
                return Err(error(
                    tag,
                    format!("person name {key} must be a string, found {}", kind(other)),
                ))
            }
        }
    }
    while groups.last() == Some(&"") {
        groups.pop();
    }
    Ok(groups.join("="))
}

fn error(tag: u32, reason: String) -> DicomJsonError {
    DicomJsonError::Attribute {
        group: (tag >> 16) as u16,
        element: (tag & 0xFFFF) as u16,
        reason,
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The header record of one instance's DICOM JSON. `path` names where it came from
/// (for a DICOMweb source, the instance's URL) and `file_size` its size when known.
pub fn header_from_dicom_json(
    instance: &Value,
    path: &str,
    file_size: u64,
) -> Result<HeaderRecord, DicomJsonError> {
    let ds = DataSet::new(instance)?;
    let sop_instance_uid = ds.code(0x0008_0018)?.ok_or(DicomJsonError::NoInstanceUid)?;
    // Enhanced multi-frame images keep geometry in functional groups: the shared groups,
    // else the first frame's.
    let shared = ds.first_item(0x5200_9229)?;
    let first_frame = ds.first_item(0x5200_9230)?;
    let groups = [shared, first_frame];
    let from_groups = |sequence: u32, tag: u32| -> Result<Option<Vec<f64>>, DicomJsonError> {
        for group in groups.iter().flatten() {
            if let Some(item) = group.first_item(sequence)? {
                if let Some(values) = item.numbers(tag)? {
                    return Ok(Some(values));
                }
            }
        }
        Ok(None)
    };
    const PIXEL_MEASURES: u32 = 0x0028_9110;
    const PLANE_POSITION: u32 = 0x0020_9113;
    const PLANE_ORIENTATION: u32 = 0x0020_9116;
    let fixed_or_groups =
        |tag: u32, sequence: u32, n: usize| -> Result<Option<Vec<f64>>, DicomJsonError> {
            match ds.numbers(tag)? {
                Some(values) => Ok(Some(values)),
                None => from_groups(sequence, tag),
            }
            .map(|v| v.filter(|v| v.len() == n))
        };
    let first_or_groups = |tag: u32, sequence: u32| -> Result<Option<f64>, DicomJsonError> {
        match ds.first_number(tag)? {
            Some(value) => Ok(Some(value)),
            None => Ok(from_groups(sequence, tag)?.and_then(|v| v.first().copied())),
        }
    };
    let pixel_spacing = fixed_or_groups(0x0028_0030, PIXEL_MEASURES, 2)?;
    let position = fixed_or_groups(0x0020_0032, PLANE_POSITION, 3)?;
    let orientation = fixed_or_groups(0x0020_0037, PLANE_ORIENTATION, 6)?;
    Ok(HeaderRecord {
        path: path.to_string(),
        file_size,
        transfer_syntax_uid: ds.code(0x0002_0010)?,
        sop_class_uid: ds.code(0x0008_0016)?,
        sop_instance_uid: Some(sop_instance_uid),
        study_instance_uid: ds.code(0x0020_000D)?,
        series_instance_uid: ds.code(0x0020_000E)?,
        patient_id: ds.text(0x0010_0020)?,
        patient_name: ds.text(0x0010_0010)?,
        patient_birth_date: ds.code(0x0010_0030)?,
        clinical_trial_subject_id: ds.text(0x0012_0040)?,
        clinical_trial_time_point_id: ds.text(0x0012_0050)?,
        clinical_trial_protocol_id: ds.text(0x0012_0020)?,
        modality: ds.code(0x0008_0060)?,
        study_date: ds.text(0x0008_0020)?,
        study_time: ds.text(0x0008_0030)?,
        series_date: ds.text(0x0008_0021)?,
        series_time: ds.text(0x0008_0031)?,
        acquisition_date: ds.text(0x0008_0022)?,
        acquisition_time: ds.text(0x0008_0032)?,
        content_date: ds.text(0x0008_0023)?,
        content_time: ds.text(0x0008_0033)?,
        series_number: ds.integer(0x0020_0011)?,
        instance_number: ds.integer(0x0020_0013)?,
        frame_of_reference_uid: ds.code(0x0020_0052)?,
        pixel_spacing: pixel_spacing.map(|v| [v[0], v[1]]),
        slice_thickness: first_or_groups(0x0018_0050, PIXEL_MEASURES)?,
        spacing_between_slices: first_or_groups(0x0018_0088, PIXEL_MEASURES)?,
        rows: ds.integer(0x0028_0010)?,
        columns: ds.integer(0x0028_0011)?,
        number_of_frames: ds.integer(0x0028_0008)?,
        image_position_patient: position.map(|v| [v[0], v[1], v[2]]),
        image_orientation_patient: orientation.map(|v| [v[0], v[1], v[2], v[3], v[4], v[5]]),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// What a test or a test helper gives back: a failure is the error `?` met.
    type TestResult<T = ()> = Result<T, Box<dyn std::error::Error>>;

    #[test]
    fn a_ct_instance_as_a_dicomweb_server_writes_it() -> TestResult {
        // Values in the shapes PS3.18 F.2.3 gives: DS as numbers, IS as numbers or
        // strings, PN as an object, UIDs as strings.
        let instance = json!({
            "00080016": {"vr": "UI", "Value": ["1.2.840.10008.5.1.4.1.1.2"]},
            "00080018": {"vr": "UI", "Value": ["1.2.3.4"]},
            "00080020": {"vr": "DA", "Value": ["20240105"]},
            "00080060": {"vr": "CS", "Value": ["CT"]},
            "00100010": {"vr": "PN", "Value": [{"Alphabetic": "Doe^Jane"}]},
            "00100020": {"vr": "LO", "Value": ["PAT-1"]},
            "00120040": {"vr": "LO", "Value": ["SUBJ-01"]},
            "00120050": {"vr": "LO", "Value": ["W6"]},
            "0020000D": {"vr": "UI", "Value": ["1.2.3"]},
            "00200011": {"vr": "IS", "Value": ["3"]},
            "00200013": {"vr": "IS", "Value": [12]},
            "00200032": {"vr": "DS", "Value": [-125.0, -125.0, 40.5]},
            "00200037": {"vr": "DS", "Value": [1, 0, 0, 0, 1, 0]},
            "00280010": {"vr": "US", "Value": [512]},
            "00280011": {"vr": "US", "Value": [512]},
            "00280030": {"vr": "DS", "Value": ["0.7", "0.7"]},
            "00180050": {"vr": "DS", "Value": [2.5]},
            "7FE00010": {"vr": "OW", "BulkDataURI": "http://pacs/bulk/1"},
        });
        let record = header_from_dicom_json(&instance, "dicomweb:x", 0)?;
        assert_eq!(record.sop_instance_uid.as_deref(), Some("1.2.3.4"));
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
        assert_eq!((record.rows, record.columns), (Some(512), Some(512)));
        assert_eq!(record.series_instance_uid, None);
        Ok(())
    }

    #[test]
    fn enhanced_multiframe_geometry_comes_from_the_functional_groups() -> TestResult {
        let instance = json!({
            "00080018": {"vr": "UI", "Value": ["9.9"]},
            "52009229": {"vr": "SQ", "Value": [{
                "00289110": {"vr": "SQ", "Value": [{
                    "00280030": {"vr": "DS", "Value": [0.5, 0.6]},
                    "00180050": {"vr": "DS", "Value": [1.25]}
                }]},
                "00209116": {"vr": "SQ", "Value": [{
                    "00200037": {"vr": "DS", "Value": [1, 0, 0, 0, 0, -1]}
                }]}
            }]},
            "52009230": {"vr": "SQ", "Value": [{
                "00209113": {"vr": "SQ", "Value": [{
                    "00200032": {"vr": "DS", "Value": [1, 2, 3]}
                }]}
            }]}
        });
        let record = header_from_dicom_json(&instance, "p", 0)?;
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
    fn malformed_values_name_the_attribute() -> TestResult {
        let cases = [
            (
                json!({"00080018": {"vr": "UI", "Value": "1.2"}}),
                "(0008,0018): \"Value\" must be an array",
            ),
            (
                json!({"00080018": {"vr": "UI", "Value": ["1"]}, "00200013": {"vr": "IS", "Value": ["x"]}}),
                "(0020,0013): not a number",
            ),
            (
                json!({"00080018": {"vr": "UI", "Value": ["1"]}, "00280010": {"vr": "US", "Value": [70000]}}),
                "(0028,0010): 70000 is out of range",
            ),
            (
                json!({"00100010": {"vr": "PN", "Value": [{"Alphabetic": 5}]}, "00080018": {"vr": "UI", "Value": ["1"]}}),
                "(0010,0010): person name Alphabetic",
            ),
            (
                json!({"00080016": {"vr": "UI", "Value": ["1.2"]}}),
                "no SOP Instance UID",
            ),
            (
                json!([1, 2]),
                "expected an object of attributes, found an array",
            ),
        ];
        for (instance, expected) in cases {
            let message = header_from_dicom_json(&instance, "p", 0)
                .err()
                .ok_or(format!("{instance} should be rejected"))?
                .to_string();
            assert!(message.contains(expected), "{message}");
        }
        Ok(())
    }
}
