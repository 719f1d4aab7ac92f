//! Typed, non-failing access to SR content items (PS3.3 C.17.3).
//!
//! Every accessor returns `None` (or an empty list) for a missing, empty or malformed
//! attribute instead of an error: one odd item must not lose the rest of a report.
//! Text values are trimmed of DICOM padding.

use dicom_core::Tag;
use dicom_dictionary_std::tags;
use dicom_object::InMemDicomObject;

use super::{codes, Code, Scoord};

/// A trimmed, non-empty string value of `tag` (multi-values joined with `\`).
pub(crate) fn string(obj: &InMemDicomObject, tag: Tag) -> Option<String> {
    let value = obj.get(tag)?.to_str().ok()?;
    let trimmed = value.trim_matches(|c: char| c.is_whitespace() || c == '\0');
    (!trimmed.is_empty()).then(|| trimmed.to_string())
}

/// The items of a sequence attribute; empty when absent or not a sequence.
pub(crate) fn items(obj: &InMemDicomObject, tag: Tag) -> &[InMemDicomObject] {
    obj.get(tag).and_then(|e| e.items()).unwrap_or(&[])
}

/// The first item of a sequence attribute.
pub(crate) fn first_item(obj: &InMemDicomObject, tag: Tag) -> Option<&InMemDicomObject> {
    items(obj, tag).first()
}

/// An integer string (IS) value; the first of several.
pub(crate) fn integer(obj: &InMemDicomObject, tag: Tag) -> Option<i64> {
    let value = string(obj, tag)?;
    first_value(&value).parse().ok()
}

/// A decimal string (DS): first value, padding trimmed, exponent forms accepted; `None`
/// when not a finite number.
pub(crate) fn parse_ds(text: &str) -> Option<f64> {
    first_value(text)
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
}

fn first_value(text: &str) -> &str {
    text.split('\\')
        .next()
        .unwrap_or("")
        .trim_matches(|c: char| c.is_whitespace() || c == '\0')
}

/// A code from a code sequence item: Code Value, else Long Code Value, else URN Code
/// Value; `None` when it has no value at all.
pub(crate) fn code_of(item: &InMemDicomObject) -> Option<Code> {
    let value = string(item, tags::CODE_VALUE)
        .or_else(|| string(item, tags::LONG_CODE_VALUE))
        .or_else(|| string(item, tags::URN_CODE_VALUE))?;
    Some(Code {
        value,
        scheme: string(item, tags::CODING_SCHEME_DESIGNATOR).unwrap_or_default(),
        meaning: string(item, tags::CODE_MEANING).unwrap_or_default(),
    })
}

/// The first code of a code sequence attribute.
pub(crate) fn code_in(obj: &InMemDicomObject, tag: Tag) -> Option<Code> {
    first_item(obj, tag).and_then(code_of)
}

/// A reference to a composite instance (IMAGE / COMPOSITE items, Referenced SOP Sequence).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct InstanceRef {
    pub sop_instance_uid: String,
    pub frame: Option<u32>,
    pub segment_number: Option<u16>,
}

/// The value of a NUM item.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum MeasuredValue {
    /// Measured Value Sequence absent or empty; the Numeric Value Qualifier (NaN,
    /// "Measurement failure", …) if the producer said why.
    Missing {
        qualifier: Option<Code>,
    },
    /// A value item whose number cannot be read.
    Unreadable {
        raw: String,
        unit: Option<Code>,
    },
    Value {
        value: f64,
        unit: Option<Code>,
    },
}

/// One content item: its header attributes read once, its value read on demand.
#[derive(Debug, Clone)]
pub(crate) struct ContentItem<'a> {
    pub obj: &'a InMemDicomObject,
    /// Value Type, upper-case ("NUM", "CODE", …).
    pub value_type: String,
    /// Relationship Type with its parent ("CONTAINS", "HAS OBS CONTEXT", …).
    pub relationship: String,
    /// Concept name; absent on unnamed IMAGE / SCOORD items (dcmjs).
    pub concept: Option<Code>,
    /// A by-reference item (Referenced Content Item Identifier): a pointer to another
    /// node, not a value. Readers here skip these.
    pub by_reference: bool,
}

impl<'a> ContentItem<'a> {
    pub fn new(obj: &'a InMemDicomObject) -> Self {
        ContentItem {
            obj,
            value_type: string(obj, tags::VALUE_TYPE)
                .unwrap_or_default()
                .to_ascii_uppercase(),
            relationship: string(obj, tags::RELATIONSHIP_TYPE)
                .unwrap_or_default()
                .to_ascii_uppercase(),
            concept: code_in(obj, tags::CONCEPT_NAME_CODE_SEQUENCE),
            by_reference: obj.get(tags::REFERENCED_CONTENT_ITEM_IDENTIFIER).is_some(),
        }
    }

    /// The item's children (Content Sequence), by-value and by-reference alike.
    pub fn children(&self) -> impl Iterator<Item = ContentItem<'a>> {
        items(self.obj, tags::CONTENT_SEQUENCE)
            .iter()
            .map(ContentItem::new)
    }

    pub fn is(&self, value_type: &str) -> bool {
        self.value_type == value_type
    }

    pub fn named(&self, keys: &[codes::CodeKey]) -> bool {
        codes::named(self.concept.as_ref(), keys)
    }

    /// TEXT value.
    pub fn text(&self) -> Option<String> {
        string(self.obj, tags::TEXT_VALUE)
    }

    /// The position a by-reference item points at, as written ("1.1.1.3"); `None` when
    /// absent or unreadable.
    pub fn referenced_position(&self) -> Option<String> {
        let position = self
            .obj
            .get(tags::REFERENCED_CONTENT_ITEM_IDENTIFIER)?
            .to_multi_int::<u32>()
            .ok()?;
        let parts: Vec<String> = position.iter().map(u32::to_string).collect();
        (!parts.is_empty()).then(|| parts.join("."))
    }

    /// UIDREF value.
    pub fn uid(&self) -> Option<String> {
        string(self.obj, tags::UID)
    }

    /// A name from a PNAME item, or from a TEXT item where a producer wrote a name as text
    /// (highdicom did this for Person Observer Name).
    pub fn name_text(&self) -> Option<String> {
        match self.value_type.as_str() {
            "PNAME" => string(self.obj, tags::PERSON_NAME),
            "TEXT" => self.text(),
            _ => None,
        }
    }

    /// CODE value (Concept Code Sequence).
    pub fn code(&self) -> Option<Code> {
        code_in(self.obj, tags::CONCEPT_CODE_SEQUENCE)
    }

    /// IMAGE / COMPOSITE / WAVEFORM value: the first Referenced SOP Sequence item.
    pub fn instance_ref(&self) -> Option<InstanceRef> {
        let sop = first_item(self.obj, tags::REFERENCED_SOP_SEQUENCE)?;
        Some(InstanceRef {
            sop_instance_uid: string(sop, tags::REFERENCED_SOP_INSTANCE_UID)?,
            frame: integer(sop, tags::REFERENCED_FRAME_NUMBER).and_then(|f| u32::try_from(f).ok()),
            segment_number: integer(sop, tags::REFERENCED_SEGMENT_NUMBER)
                .and_then(|n| u16::try_from(n).ok()),
        })
    }

    /// NUM value: Floating Point Value (FD) when present and finite, else Numeric Value
    /// (DS), with its unit.
    pub fn measured_value(&self) -> MeasuredValue {
        let Some(mv) = first_item(self.obj, tags::MEASURED_VALUE_SEQUENCE) else {
            return MeasuredValue::Missing {
                qualifier: code_in(self.obj, tags::NUMERIC_VALUE_QUALIFIER_CODE_SEQUENCE),
            };
        };
        let unit = code_in(mv, tags::MEASUREMENT_UNITS_CODE_SEQUENCE);
        let fd = mv
            .get(tags::FLOATING_POINT_VALUE)
            .and_then(|e| e.to_float64().ok())
            .filter(|v| v.is_finite());
        let ds_text = string(mv, tags::NUMERIC_VALUE);
        match (fd, ds_text.as_deref().and_then(parse_ds)) {
            (Some(value), _) | (None, Some(value)) => MeasuredValue::Value { value, unit },
            (None, None) => MeasuredValue::Unreadable {
                raw: ds_text.unwrap_or_default(),
                unit,
            },
        }
    }

    /// SCOORD / SCOORD3D value with the image it was selected from (SCOORD) or its frame
    /// of reference (SCOORD3D). `None` when the item has no readable Graphic Data.
    pub fn scoord(&self) -> Option<Scoord> {
        let three_d = self.is("SCOORD3D");
        let data = self.obj.get(tags::GRAPHIC_DATA)?.to_multi_float32().ok()?;
        let mut scoord = Scoord {
            graphic_type: string(self.obj, tags::GRAPHIC_TYPE)
                .unwrap_or_default()
                .to_ascii_uppercase(),
            data,
            three_d,
            referenced_sop_instance_uid: None,
            referenced_frame: None,
            frame_of_reference_uid: None,
        };
        if three_d {
            scoord.frame_of_reference_uid =
                string(self.obj, tags::REFERENCED_FRAME_OF_REFERENCE_UID);
        } else if let Some(image) = self
            .children()
            .filter(|c| !c.by_reference && c.is("IMAGE"))
            .find_map(|c| c.instance_ref())
        {
            // SELECTED FROM IMAGE child; its concept name varies (or is absent).
            scoord.referenced_sop_instance_uid = Some(image.sop_instance_uid);
            scoord.referenced_frame = image.frame;
        }
        Some(scoord)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ds_parsing_trims_padding_and_accepts_exponents() {
        assert_eq!(parse_ds("29.5 "), Some(29.5));
        assert_eq!(parse_ds(" 1.2e+01\0"), Some(12.0));
        assert_eq!(parse_ds("4806.42320110457"), Some(4806.42320110457));
        assert_eq!(parse_ds("1.0\\2.0"), Some(1.0));
        assert_eq!(parse_ds(""), None);
        assert_eq!(parse_ds("NaN"), None);
        assert_eq!(parse_ds("abc"), None);
    }
}
