//! The input contract `oncoread.timeline/1` (see `shared/schemas/timeline.schema.json`).
//!
//! Field names and enum strings match the schema exactly. Every object except `source`
//! and `problem` rejects unknown fields; [`parse_timeline_json`] reports the JSON path of
//! the offending field.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::error::InputError;

pub const TIMELINE_SCHEMA: &str = "oncoread.timeline/1";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Timeline {
    pub schema: String,
    pub subjects: Vec<Subject>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<Problem>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subject {
    pub subject_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reader: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<Context>,
    pub timepoints: Vec<Timepoint>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Disease {
    SolidTumor,
    HighGradeGlioma,
    Gist,
    Hcc,
    Lymphoma,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Context {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disease: Option<Disease>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub therapy_start_day: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub therapy_start_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub immunotherapy_start_day: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub immunotherapy_start_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub radiotherapy_end_day: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub radiotherapy_end_date: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScanStatus {
    #[default]
    Done,
    Missing,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Timepoint {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timepoint_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub day: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<bool>,
    #[serde(default, skip_serializing_if = "is_default")]
    pub scan: ScanStatus,
    #[serde(default, skip_serializing_if = "is_default")]
    pub unscheduled: bool,
    #[serde(default, skip_serializing_if = "is_default")]
    pub symptomatic: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clinical: Option<Clinical>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lesions: Vec<Lesion>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub liver_sul_mean: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub liver_sul_sd: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClinicalStatus {
    Improved,
    Stable,
    Worse,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum T2Flair {
    Decreased,
    Stable,
    Increased,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Clinical {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clinical_status: Option<ClinicalStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub steroid_dose_mg: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub t2flair: Option<T2Flair>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_neurological_deficit: Option<bool>,
}

#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    #[default]
    Target,
    NonTarget,
    New,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Target => "target",
            Role::NonTarget => "non_target",
            Role::New => "new",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LesionStatus {
    Measured,
    TooSmall,
    Absent,
    NotAssessed,
    Present,
    UnequivocalProgression,
    Equivocal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    Decreased,
    Unchanged,
    Increased,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lesion {
    pub lesion_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organ: Option<String>,
    #[serde(default, skip_serializing_if = "is_default")]
    pub nodal: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub long_axis_mm: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub short_axis_mm: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<LesionStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change_since_last: Option<Change>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fragments_mm: Option<Vec<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coalesced_into: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slice_thickness_mm: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outside_rt_field: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean_hu: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sul_peak: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_mm3: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub viable_long_axis_mm: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_intratumoral_nodule: Option<bool>,
}

/// Provenance: free-form keys are allowed (the schema's only open object besides problems).
pub type Source = BTreeMap<String, serde_json::Value>;

/// Something that could not be used, with its reason. Never silently dropped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    pub kind: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sop_instance_uid: Option<String>,
    /// Any further keys a producer attached (the schema allows them).
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

impl Problem {
    pub fn new(kind: &str, message: String) -> Self {
        Problem {
            kind: kind.to_string(),
            message,
            path: None,
            sop_instance_uid: None,
            extra: BTreeMap::new(),
        }
    }
}

fn is_default<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

/// Parses a timeline document. The fast path parses directly; only when that fails is the
/// document parsed again with path tracking, so the error names the JSON path of the field.
pub fn parse_timeline_json(bytes: &[u8]) -> Result<Timeline, InputError> {
    let timeline: Timeline = match serde_json::from_slice(bytes) {
        Ok(timeline) => timeline,
        Err(_) => {
            let mut deserializer = serde_json::Deserializer::from_slice(bytes);
            return match serde_path_to_error::deserialize::<_, Timeline>(&mut deserializer) {
                Ok(_) => Err(InputError::document("", "the document is not valid JSON")),
                Err(error) => Err(InputError::document(
                    &error.path().to_string(),
                    &error.inner().to_string(),
                )),
            };
        }
    };
    if timeline.schema != TIMELINE_SCHEMA {
        return Err(InputError::document(
            "schema",
            &format!(
                "expected \"{TIMELINE_SCHEMA}\", found \"{}\"",
                timeline.schema
            ),
        ));
    }
    Ok(timeline)
}
