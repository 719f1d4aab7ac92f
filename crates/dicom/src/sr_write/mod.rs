//! Writing SR documents: a content tree ([`ContentItem`]) turned into the data set of an
//! SR document and then a Part 10 file by the lean writer of [`crate::write`].
//!
//! The tree knows the encoding of each value type (PS3.3 C.17.3): CONTAINER, TEXT, CODE,
//! NUM (Numeric Value DS plus Floating Point Value FD, as highdicom writes), UIDREF, PNAME,
//! DATE and IMAGE. The caller fills the header modules (patient, study, series, equipment)
//! in a [`DataSet`]; [`document`] adds the SR Document Content of the root item and the
//! Current Requested Procedure Evidence, [`part10`] encodes it.

mod elements;
mod uid;

use std::collections::{BTreeMap, BTreeSet};

use dicom_core::Tag as DictionaryTag;
use dicom_dictionary_std::tags;

pub use crate::sr::Code;
use crate::write::{format_ds, write_part10, DataSetWriter, FileMeta, Tag, Vr, WriteError};
pub use elements::{DataSet, Element};
pub use uid::hashed_uid;

/// Comprehensive SR Storage: holds TID 1500 without spatial coordinates of 3-D.
pub const COMPREHENSIVE_SR_STORAGE: &str = "1.2.840.10008.5.1.4.1.1.88.33";

/// A dictionary tag as the writer's `(group << 16) | element`.
pub const fn tag(t: DictionaryTag) -> Tag {
    ((t.0 as u32) << 16) | t.1 as u32
}

/// A coded concept from its three parts.
pub fn code(value: &str, scheme: &str, meaning: &str) -> Code {
    Code {
        value: value.to_string(),
        scheme: scheme.to_string(),
        meaning: meaning.to_string(),
    }
}

/// How a content item relates to its parent (PS3.3 C.17.3.2.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relationship {
    Contains,
    HasObsContext,
    HasConceptMod,
    HasProperties,
    InferredFrom,
    SelectedFrom,
}

impl Relationship {
    pub fn as_str(self) -> &'static str {
        match self {
            Relationship::Contains => "CONTAINS",
            Relationship::HasObsContext => "HAS OBS CONTEXT",
            Relationship::HasConceptMod => "HAS CONCEPT MOD",
            Relationship::HasProperties => "HAS PROPERTIES",
            Relationship::InferredFrom => "INFERRED FROM",
            Relationship::SelectedFrom => "SELECTED FROM",
        }
    }
}

/// A referenced instance: SOP Class and SOP Instance UIDs.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct InstanceReference {
    pub sop_class_uid: String,
    pub sop_instance_uid: String,
}

/// The value of a content item, by value type.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A CONTAINER (continuity SEPARATE) with an optional DCMR template identifier.
    Container {
        template: Option<&'static str>,
    },
    Text(String),
    Code(Code),
    /// A NUM with its unit (UCUM).
    Num {
        value: f64,
        unit: Code,
    },
    UidRef(String),
    PersonName(String),
    /// A DATE (DA, YYYYMMDD).
    Date(String),
    Image(InstanceReference),
}

/// One node of the content tree. The root's relationship is ignored.
#[derive(Debug, Clone, PartialEq)]
pub struct ContentItem {
    pub relationship: Relationship,
    pub concept: Option<Code>,
    pub value: Value,
    pub children: Vec<ContentItem>,
}

impl ContentItem {
    /// A CONTAINER item (continuity of content SEPARATE).
    pub fn container(
        relationship: Relationship,
        concept: Code,
        template: Option<&'static str>,
    ) -> Self {
        ContentItem {
            relationship,
            concept: Some(concept),
            value: Value::Container { template },
            children: Vec::new(),
        }
    }

    /// Any other item with a concept name.
    pub fn new(relationship: Relationship, concept: Code, value: Value) -> Self {
        ContentItem {
            relationship,
            concept: Some(concept),
            value,
            children: Vec::new(),
        }
    }

    /// An IMAGE item without a concept name (as in an Image Library).
    pub fn image(relationship: Relationship, image: InstanceReference) -> Self {
        ContentItem {
            relationship,
            concept: None,
            value: Value::Image(image),
            children: Vec::new(),
        }
    }

    pub fn with_child(mut self, child: ContentItem) -> Self {
        self.children.push(child);
        self
    }

    fn value_type(&self) -> &'static str {
        match self.value {
            Value::Container { .. } => "CONTAINER",
            Value::Text(_) => "TEXT",
            Value::Code(_) => "CODE",
            Value::Num { .. } => "NUM",
            Value::UidRef(_) => "UIDREF",
            Value::PersonName(_) => "PNAME",
            Value::Date(_) => "DATE",
            Value::Image(_) => "IMAGE",
        }
    }

    /// The item's attributes (relationship type only below the root).
    fn encode_into(&self, set: &mut DataSet, is_root: bool) {
        if !is_root {
            set.text(
                tag(tags::RELATIONSHIP_TYPE),
                Vr::CS,
                self.relationship.as_str(),
            );
        }
        set.text(tag(tags::VALUE_TYPE), Vr::CS, self.value_type());
        if let Some(concept) = &self.concept {
            set.sequence(
                tag(tags::CONCEPT_NAME_CODE_SEQUENCE),
                vec![code_item(concept)],
            );
        }
        match &self.value {
            Value::Container { template } => {
                set.text(tag(tags::CONTINUITY_OF_CONTENT), Vr::CS, "SEPARATE");
                if let Some(id) = template {
                    let mut template_item = DataSet::new();
                    template_item
                        .text(tag(tags::MAPPING_RESOURCE), Vr::CS, "DCMR")
                        .text(tag(tags::TEMPLATE_IDENTIFIER), Vr::CS, *id);
                    set.sequence(tag(tags::CONTENT_TEMPLATE_SEQUENCE), vec![template_item]);
                }
            }
            Value::Text(text) => {
                set.text(tag(tags::TEXT_VALUE), Vr::UT, text.as_str());
            }
            Value::Code(value) => {
                set.sequence(tag(tags::CONCEPT_CODE_SEQUENCE), vec![code_item(value)]);
            }
            Value::Num { value, unit } => {
                let mut measured = DataSet::new();
                measured
                    .sequence(
                        tag(tags::MEASUREMENT_UNITS_CODE_SEQUENCE),
                        vec![code_item(unit)],
                    )
                    .double(tag(tags::FLOATING_POINT_VALUE), *value)
                    .text(tag(tags::NUMERIC_VALUE), Vr::DS, format_ds(*value));
                set.sequence(tag(tags::MEASURED_VALUE_SEQUENCE), vec![measured]);
            }
            Value::UidRef(uid) => {
                set.text(tag(tags::UID), Vr::UI, uid.as_str());
            }
            Value::PersonName(name) => {
                set.text(tag(tags::PERSON_NAME), Vr::PN, name.as_str());
            }
            Value::Date(date) => {
                set.text(tag(tags::DATE), Vr::DA, date.as_str());
            }
            Value::Image(image) => {
                set.sequence(
                    tag(tags::REFERENCED_SOP_SEQUENCE),
                    vec![sop_reference(image)],
                );
            }
        }
        if !self.children.is_empty() {
            let items = self
                .children
                .iter()
                .map(|child| {
                    let mut item = DataSet::new();
                    child.encode_into(&mut item, false);
                    item
                })
                .collect();
            set.sequence(tag(tags::CONTENT_SEQUENCE), items);
        }
    }
}

/// A Code Sequence item: Code Value (Long Code Value past 16 characters), Coding Scheme
/// Designator, Code Meaning.
pub fn code_item(code: &Code) -> DataSet {
    let mut item = DataSet::new();
    if code.value.chars().count() > 16 {
        item.text(tag(tags::LONG_CODE_VALUE), Vr::UC, code.value.as_str());
    } else {
        item.text(tag(tags::CODE_VALUE), Vr::SH, code.value.as_str());
    }
    item.text(
        tag(tags::CODING_SCHEME_DESIGNATOR),
        Vr::SH,
        code.scheme.as_str(),
    )
    .text(tag(tags::CODE_MEANING), Vr::LO, code.meaning.as_str());
    item
}

fn sop_reference(instance: &InstanceReference) -> DataSet {
    let mut item = DataSet::new();
    item.text(
        tag(tags::REFERENCED_SOP_CLASS_UID),
        Vr::UI,
        instance.sop_class_uid.as_str(),
    )
    .text(
        tag(tags::REFERENCED_SOP_INSTANCE_UID),
        Vr::UI,
        instance.sop_instance_uid.as_str(),
    );
    item
}

/// Instances the document uses, by study and series (the hierarchical reference of the
/// Current Requested Procedure Evidence Sequence).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Evidence {
    studies: BTreeMap<String, BTreeMap<String, BTreeSet<InstanceReference>>>,
}

impl Evidence {
    pub fn add(&mut self, study_uid: &str, series_uid: &str, instance: InstanceReference) {
        self.studies
            .entry(study_uid.to_string())
            .or_default()
            .entry(series_uid.to_string())
            .or_default()
            .insert(instance);
    }

    pub fn is_empty(&self) -> bool {
        self.studies.is_empty()
    }

    fn sequence(&self) -> Vec<DataSet> {
        self.studies
            .iter()
            .map(|(study, series)| {
                let series_items = series
                    .iter()
                    .map(|(series_uid, instances)| {
                        let mut item = DataSet::new();
                        item.sequence(
                            tag(tags::REFERENCED_SOP_SEQUENCE),
                            instances.iter().map(sop_reference).collect(),
                        )
                        .text(
                            tag(tags::SERIES_INSTANCE_UID),
                            Vr::UI,
                            series_uid.as_str(),
                        );
                        item
                    })
                    .collect();
                let mut item = DataSet::new();
                item.sequence(tag(tags::REFERENCED_SERIES_SEQUENCE), series_items)
                    .text(tag(tags::STUDY_INSTANCE_UID), Vr::UI, study.as_str());
                item
            })
            .collect()
    }
}

/// The SR document: `header` (patient, study, series, equipment, SOP common modules as
/// the caller filled them) plus the SR Document General and Content modules of `root`.
/// Completion is COMPLETE and verification UNVERIFIED: a computed assessment nobody has
/// signed (VERIFIED would need a Verifying Observer).
pub fn document(mut header: DataSet, root: &ContentItem, evidence: &Evidence) -> DataSet {
    root.encode_into(&mut header, true);
    header
        .text(tag(tags::COMPLETION_FLAG), Vr::CS, "COMPLETE")
        .text(tag(tags::VERIFICATION_FLAG), Vr::CS, "UNVERIFIED")
        .sequence(tag(tags::PERFORMED_PROCEDURE_CODE_SEQUENCE), Vec::new());
    if !evidence.is_empty() {
        header.sequence(
            tag(tags::CURRENT_REQUESTED_PROCEDURE_EVIDENCE_SEQUENCE),
            evidence.sequence(),
        );
    }
    header
}

/// Identifies the software in the file meta of the documents it writes.
#[derive(Debug, Clone, Copy)]
pub struct Implementation<'a> {
    pub class_uid: &'a str,
    /// At most 16 characters.
    pub version_name: &'a str,
}

/// The Part 10 file of `document`. Specific Character Set is set to ISO_IR 192 (UTF-8)
/// when any text is outside ASCII, and left out (the default repertoire) otherwise.
pub fn part10(
    mut document: DataSet,
    implementation: Implementation<'_>,
) -> Result<Vec<u8>, WriteError> {
    if document.texts().iter().any(|t| !t.is_ascii()) {
        document.text(tag(tags::SPECIFIC_CHARACTER_SET), Vr::CS, "ISO_IR 192");
    }
    let uid_of = |t: DictionaryTag| match document.get(tag(t)) {
        Some(Element::Text(_, uid)) => Ok(uid.clone()),
        _ => Err(WriteError::Missing("SOP Class or SOP Instance UID")),
    };
    let sop_class_uid = uid_of(tags::SOP_CLASS_UID)?;
    let sop_instance_uid = uid_of(tags::SOP_INSTANCE_UID)?;
    let mut writer = DataSetWriter::new();
    document.encode(&mut writer)?;
    let mut bytes = Vec::with_capacity(writer.bytes().len() + 512);
    let meta = FileMeta {
        sop_class_uid: &sop_class_uid,
        sop_instance_uid: &sop_instance_uid,
        implementation_class_uid: implementation.class_uid,
        implementation_version_name: implementation.version_name,
    };
    write_part10(&mut bytes, &meta, &writer)?;
    Ok(bytes)
}

/// The encoded bytes of a content tree alone (for hashing its content into a UID).
pub fn content_bytes(root: &ContentItem) -> Result<Vec<u8>, WriteError> {
    let mut set = DataSet::new();
    root.encode_into(&mut set, true);
    let mut writer = DataSetWriter::new();
    set.encode(&mut writer)?;
    Ok(writer.bytes().to_vec())
}

#[cfg(test)]
mod tests;
