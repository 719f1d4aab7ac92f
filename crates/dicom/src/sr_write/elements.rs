//! A small ordered data set: elements kept in a map by tag, so callers may add them in any
//! order and [`DataSet::encode`] still writes them ascending, as the Part 10 writer
//! requires. Used for SR documents, whose content tree interleaves with header attributes
//! of group 0040.

use std::collections::BTreeMap;

use crate::write::{DataSetWriter, Tag, Vr, WriteError};

/// One element's value.
#[derive(Debug, Clone, PartialEq)]
pub enum Element {
    /// A text value of the given VR (several values joined by `\`).
    Text(Vr, String),
    /// A single Floating Point Double.
    Double(f64),
    /// A sequence of items (possibly empty: a Type 2 sequence).
    Sequence(Vec<DataSet>),
}

/// A data set (the root or an item of a sequence).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DataSet {
    elements: BTreeMap<Tag, Element>,
}

impl DataSet {
    pub fn new() -> Self {
        DataSet::default()
    }

    /// Sets a text element (replacing any earlier value of the tag).
    pub fn text(&mut self, tag: Tag, vr: Vr, value: impl Into<String>) -> &mut Self {
        self.elements.insert(tag, Element::Text(vr, value.into()));
        self
    }

    /// Sets a text element only when there is a value (a Type 3 attribute).
    pub fn optional_text(&mut self, tag: Tag, vr: Vr, value: Option<&str>) -> &mut Self {
        if let Some(value) = value {
            self.text(tag, vr, value);
        }
        self
    }

    pub fn double(&mut self, tag: Tag, value: f64) -> &mut Self {
        self.elements.insert(tag, Element::Double(value));
        self
    }

    pub fn sequence(&mut self, tag: Tag, items: Vec<DataSet>) -> &mut Self {
        self.elements.insert(tag, Element::Sequence(items));
        self
    }

    pub fn get(&self, tag: Tag) -> Option<&Element> {
        self.elements.get(&tag)
    }

    /// Every text value of this data set and its items (to choose the character set).
    pub fn texts(&self) -> Vec<&str> {
        let mut out = Vec::new();
        for element in self.elements.values() {
            match element {
                Element::Text(_, text) => out.push(text.as_str()),
                Element::Double(_) => {}
                Element::Sequence(items) => items.iter().for_each(|i| out.extend(i.texts())),
            }
        }
        out
    }

    /// Appends the elements, ascending by tag, to `writer`.
    pub fn encode(&self, writer: &mut DataSetWriter) -> Result<(), WriteError> {
        for (&tag, element) in &self.elements {
            match element {
                Element::Text(vr, text) => writer.text(tag, *vr, text)?,
                Element::Double(value) => writer.fd(tag, *value)?,
                Element::Sequence(items) => {
                    writer.begin_sequence(tag)?;
                    for item in items {
                        writer.begin_item()?;
                        item.encode(writer)?;
                        writer.end_item()?;
                    }
                    writer.end_sequence()?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a test or a test helper gives back: a failure is the error `?` met.
    type TestResult<T = ()> = Result<T, Box<dyn std::error::Error>>;

    #[test]
    fn elements_are_written_ascending_whatever_the_insertion_order() -> TestResult {
        let mut set = DataSet::new();
        set.text(0x0010_0020, Vr::LO, "ABC");
        set.text(0x0008_0060, Vr::CS, "SR");
        let mut writer = DataSetWriter::new();
        set.encode(&mut writer)?;
        // (0008,0060) CS len 2 "SR", then (0010,0020) LO len 4 "ABC " (padded by hand).
        assert_eq!(
            writer.bytes(),
            b"\x08\x00\x60\x00CS\x02\x00SR\x10\x00\x20\x00LO\x04\x00ABC "
        );
        Ok(())
    }

    #[test]
    fn texts_reach_into_items() {
        let mut item = DataSet::new();
        item.text(0x0008_0104, Vr::LO, "Länge");
        let mut set = DataSet::new();
        set.sequence(0x0040_A043, vec![item]);
        set.text(0x0008_0060, Vr::CS, "SR");
        assert_eq!(set.texts(), ["SR", "Länge"]);
    }
}
