//! SR documents and their TID 1500 measurement groups, as recorded.
//!
//! [`read_sr`] reads one SR file into an [`SrDocument`]: the document-level attributes the
//! pipeline needs to place it (subject, study, time point, observer, status, predecessors)
//! and, when the document is a TID 1500 Measurement Report, its measurement groups with
//! each quantity converted by its UCUM unit code. Geometry (SCOORD in image pixels,
//! SCOORD3D in mm) is kept as recorded with the image it was selected from; turning pixel
//! coordinates into millimetres needs the referenced image's spacing, which the pipeline
//! looks up in its index (see [`crate::geometry`]).
//!
//! Layout (one responsibility each):
//! - this file: the public types (the contract with timeline assembly) and [`SrError`];
//! - `read`: opening the file and deciding whether it is an SR at all;
//! - `document`: document-level attributes, observers, TID 1500 recognition;
//! - `groups`: Imaging Measurements → Measurement Group → NUM extraction;
//! - `tree`: typed access to content items (codes, text, NUM values, SCOORD, references);
//! - `codes`: the coded concepts, matched by (scheme, value) only;
//! - `units`: UCUM unit codes → dimension and factor to mm / mm² / mm³.

use serde::{Deserialize, Serialize};

mod bounds;
mod codes;
mod document;
mod groups;
mod read;
#[cfg(test)]
mod test_support;
mod tree;
mod units;

pub use read::{read_sr, read_sr_from_bytes, read_sr_from_bytes_within, read_sr_within};

/// Why a file could not be read as an SR document at all.
///
/// A readable SR that is not TID 1500 is *not* an error: it comes back as an
/// [`SrDocument`] with `is_tid1500 = false` and a reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SrError {
    /// The bytes are not a DICOM data set this reader can parse.
    #[error("{path}: cannot be read as DICOM: {reason}")]
    Unreadable { path: String, reason: String },
    /// A DICOM object, but not a structured report (an image, a SEG, a GSPS, …).
    #[error("{path}: not a DICOM structured report: {reason}")]
    NotSr { path: String, reason: String },
    /// Larger, deeper or with more content items than the configured
    /// [`crate::limits::Limits`] allow; refused before the tree is built.
    #[error("{path}: {exceeded}")]
    LimitExceeded {
        path: String,
        exceeded: crate::limits::LimitExceeded,
    },
}

impl SrError {
    /// The pipeline's problem kind for this error: `limit_exceeded` for a limit, else
    /// `sr_unreadable`.
    pub fn problem_kind(&self) -> &'static str {
        match self {
            SrError::LimitExceeded { .. } => "limit_exceeded",
            SrError::Unreadable { .. } | SrError::NotSr { .. } => "sr_unreadable",
        }
    }
}

/// A coded concept: matched by (scheme, value), never by meaning.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Code {
    pub value: String,
    pub scheme: String,
    pub meaning: String,
}

impl Code {
    pub fn is(&self, scheme: &str, value: &str) -> bool {
        self.scheme == scheme && self.value == value
    }
}

/// What a measured quantity is, from its concept name (SCT and legacy SRT codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Quantity {
    LongAxis,
    ShortAxis,
    Length,
    Diameter,
    Area,
    Volume,
    /// Any other NUM (mean HU, SUV, …): kept with its code and unit, not a size.
    Other,
}

/// The dimension a UCUM unit code gives a value, with the factor to mm, mm² or mm³.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    Length,
    Area,
    Volume,
    /// Not a length, area or volume (HU, SUV, ratio, px, unknown unit).
    Other,
}

/// A 2-D spatial coordinate in image pixels, or a 3-D one in patient mm.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scoord {
    /// POINT, MULTIPOINT, POLYLINE, POLYGON, CIRCLE, ELLIPSE, ELLIPSOID.
    pub graphic_type: String,
    /// SCOORD: (column, row) pairs in pixels; SCOORD3D: (x, y, z) triplets in mm.
    pub data: Vec<f32>,
    /// True for SCOORD3D.
    pub three_d: bool,
    /// SCOORD: the image it was selected from (SELECTED FROM IMAGE child).
    pub referenced_sop_instance_uid: Option<String>,
    pub referenced_frame: Option<u32>,
    /// SCOORD3D: Referenced Frame of Reference UID.
    pub frame_of_reference_uid: Option<String>,
}

/// One NUM of a measurement group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Measurement {
    pub concept: Code,
    pub quantity: Quantity,
    /// The value as recorded (FD Floating Point Value preferred over DS Numeric Value);
    /// `None` for a NUM without a value (which the reader also reports as a problem).
    pub value: Option<f64>,
    pub unit: Option<Code>,
    pub dimension: Dimension,
    /// The value converted by its UCUM unit code to mm (length), mm² (area) or mm³
    /// (volume); `None` when the unit is not one of those (px, HU, unknown).
    pub value_si_mm: Option<f64>,
    /// Geometry the NUM was INFERRED FROM, if any (TID 1501 / dcmjs style).
    pub scoord: Option<Scoord>,
    /// A tracking UID repeated on the NUM (highdicom does this).
    pub tracking_uid: Option<String>,
    /// Derivation (121401, DCM) modifier of the NUM, e.g. Mean / Maximum (added field).
    pub derivation: Option<Code>,
    /// Measurement Method modifier on the NUM itself, e.g. dcmqi's (126030, DCM, "Sum of
    /// segmented voxel volumes") (added field; the group's method is on the group).
    pub measurement_method: Option<Code>,
}

/// TID 1502 time point context of a group, as recorded.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TimePointContext {
    /// (C2348792, UMLS, "Time Point") TEXT.
    pub time_point: Option<String>,
    pub time_point_type: Option<Code>,
    pub time_point_order: Option<f64>,
    pub subject_time_point_identifier: Option<String>,
    pub protocol_time_point_identifier: Option<String>,
}

/// A segment of a SEG that a TID 1411 group refers to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentReference {
    pub sop_instance_uid: String,
    pub segment_number: Option<u16>,
}

/// One Measurement Group (TID 1501 / 1410 / 1411) of the Imaging Measurements container.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MeasurementGroup {
    /// The group's template identifier as written ("1410", "1411", "1501"), if any (added
    /// field).
    pub template: Option<String>,
    /// Tracking Identifier (112039): human label, or a viewer's tool tag.
    pub tracking_identifier: Option<String>,
    /// Tracking Unique Identifier (112040).
    pub tracking_uid: Option<String>,
    pub finding: Option<Code>,
    /// Finding category (276214006, SCT), e.g. Morphologically Abnormal Structure (added
    /// field).
    pub finding_category: Option<Code>,
    pub finding_site: Option<Code>,
    pub laterality: Option<Code>,
    /// Topographical modifier (106233006 SCT / G-A1F8 SRT) of the finding site (added field).
    pub topographical_modifier: Option<Code>,
    pub measurement_method: Option<Code>,
    pub time_point: TimePointContext,
    /// Activity Session (C67447, NCIt) TEXT, as dcmqi and highdicom write it (added field).
    pub activity_session: Option<String>,
    /// The group's ROI (TID 1410 Image Region / Region in Space), if any.
    pub roi: Option<Scoord>,
    pub segment: Option<SegmentReference>,
    /// Source series for segmentation (121232, DCM) UIDREF of a TID 1411 group (added field).
    pub source_series_uid: Option<String>,
    pub measurements: Vec<Measurement>,
    /// Qualitative evaluations: (question, answer), e.g. Finding = Target Lesion at Baseline.
    pub qualitative: Vec<(Code, Code)>,
    /// Images the group's geometry was selected from.
    pub referenced_sop_instance_uids: Vec<String>,
}

/// Why a group or value could not be used (units in px, a NUM without value, …).
///
/// `kind` is one of: `num_without_value` (Measured Value Sequence absent or empty),
/// `num_value_unreadable`, `num_without_concept`, `value_not_a_length` /
/// `value_not_an_area` / `value_not_a_volume` (a size NUM whose unit is not convertible,
/// e.g. px), `concept_unit_mismatch` (a size NUM re-labelled by its unit, e.g. dcmjs's
/// Length-coded "AREA" in mm2), `by_reference_item_skipped`, `scoord_without_data`,
/// `scoord_malformed`, `extra_roi_ignored`, `extra_finding`. `message` names the group
/// (index and Tracking Identifier) and the concept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SrProblem {
    pub kind: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ObserverType {
    Person,
    Device,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Observer {
    pub kind: ObserverType,
    /// Person Observer Name, or Device Observer Name (else its UID).
    pub name: Option<String>,
    pub device_uid: Option<String>,
}

/// One SR document.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SrDocument {
    pub path: String,
    pub sop_class_uid: String,
    pub sop_instance_uid: String,
    pub study_instance_uid: Option<String>,
    pub series_instance_uid: Option<String>,
    pub patient_id: Option<String>,
    /// Patient and study attributes an assessment SR of the same study copies (added
    /// fields): Patient's Name, Birth Date and Sex, Accession Number, Study ID, Study
    /// Description, Referring Physician's Name.
    #[serde(default)]
    pub patient_name: Option<String>,
    #[serde(default)]
    pub patient_birth_date: Option<String>,
    #[serde(default)]
    pub patient_sex: Option<String>,
    #[serde(default)]
    pub accession_number: Option<String>,
    #[serde(default)]
    pub study_id: Option<String>,
    #[serde(default)]
    pub study_description: Option<String>,
    #[serde(default)]
    pub referring_physician_name: Option<String>,
    pub clinical_trial_subject_id: Option<String>,
    pub clinical_trial_time_point_id: Option<String>,
    /// Clinical Trial Protocol ID (0012,0020): the study identifier of SDTM outputs.
    #[serde(default)]
    pub clinical_trial_protocol_id: Option<String>,
    pub study_date: Option<String>,
    pub study_time: Option<String>,
    pub content_date: Option<String>,
    pub content_time: Option<String>,
    pub instance_creation_date: Option<String>,
    pub instance_creation_time: Option<String>,
    pub series_number: Option<i64>,
    pub instance_number: Option<i64>,
    /// COMPLETE / PARTIAL.
    pub completion_flag: Option<String>,
    /// VERIFIED / UNVERIFIED.
    pub verification_flag: Option<String>,
    /// PRELIMINARY / FINAL.
    pub preliminary_flag: Option<String>,
    /// SOP Instance UIDs this document replaces (Predecessor Documents Sequence).
    pub predecessor_sop_instance_uids: Vec<String>,
    /// SOP Instance UIDs of identical copies (Identical Documents Sequence).
    pub identical_sop_instance_uids: Vec<String>,
    pub title: Option<Code>,
    /// The root Content Template Sequence's template identifier ("1500"), if any (added
    /// field).
    pub template: Option<String>,
    /// TID 1500 recognised (root concept 126000 and/or template 1500).
    pub is_tid1500: bool,
    /// Why the document is not used, when it is not TID 1500.
    pub not_tid1500_reason: Option<String>,
    /// Observers of the document (TID 1001 at the root).
    pub observers: Vec<Observer>,
    pub groups: Vec<MeasurementGroup>,
    pub problems: Vec<SrProblem>,
}
