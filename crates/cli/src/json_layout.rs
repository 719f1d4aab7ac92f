//! The layout of the assessment JSON: compact, with one line per subject.
//!
//! A 100,000-subject assessment is about a gigabyte when indented and roughly half that
//! compact; indenting it also costs more time than assessing it. [`LineFormatter`] writes
//! compact JSON except that every element of an array directly inside the top-level object
//! (the assessment's `subjects` and `problems`) starts on its own line, so the file stays
//! usable with line tools (`grep SUBJ-000042`, `head`, `wc -l`) and diffs well.
//!
//! The formatter can also splice pre-serialised elements into one top-level array (see
//! [`Splice`]); the streaming assessment uses that to write subjects it serialised one by
//! one, producing exactly the bytes a whole-document serialisation would.

use serde_json::ser::Formatter;
use std::io::{self, Write};
use std::ops::Range;

/// Elements to write into the top-level array named `key` (which is serialised empty).
pub struct Splice<'a> {
    pub key: &'a str,
    /// Compact JSON of every element, addressed by `order`.
    pub bytes: &'a [u8],
    /// The byte range of each element in `bytes`, in output order.
    pub order: &'a [Range<usize>],
}

/// Compact JSON with each element of a top-level array on its own line.
#[derive(Default)]
pub struct LineFormatter<'a> {
    /// Objects and arrays currently open (the top-level object is depth 1).
    depth: usize,
    /// Whether the open depth-2 array has had an element.
    array_has_elements: bool,
    /// The key of the current top-level member, while it is written and after.
    in_top_level_key: bool,
    top_level_key: Vec<u8>,
    splice: Option<Splice<'a>>,
}

impl<'a> LineFormatter<'a> {
    pub fn with_splice(splice: Splice<'a>) -> Self {
        LineFormatter {
            splice: Some(splice),
            ..LineFormatter::default()
        }
    }

    fn element_separator(&mut self) -> &'static [u8] {
        let first = !self.array_has_elements;
        self.array_has_elements = true;
        if first {
            b"\n"
        } else {
            b",\n"
        }
    }
}

impl Formatter for LineFormatter<'_> {
    fn begin_array<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.depth += 1;
        if self.depth == 2 {
            self.array_has_elements = false;
        }
        writer.write_all(b"[")
    }

    fn end_array<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        if self.depth == 2 {
            let spliced = self
                .splice
                .take_if(|s| s.key.as_bytes() == self.top_level_key.as_slice());
            if let Some(splice) = spliced {
                for range in splice.order {
                    writer.write_all(self.element_separator())?;
                    writer.write_all(&splice.bytes[range.clone()])?;
                }
            }
            if self.array_has_elements {
                writer.write_all(b"\n")?;
            }
        }
        self.depth -= 1;
        writer.write_all(b"]")
    }

    fn begin_array_value<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        if self.depth == 2 {
            writer.write_all(self.element_separator())
        } else if first {
            Ok(())
        } else {
            writer.write_all(b",")
        }
    }

    fn begin_object<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.depth += 1;
        writer.write_all(b"{")
    }

    fn end_object<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.depth -= 1;
        writer.write_all(b"}")
    }

    fn begin_object_key<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        if self.depth == 1 {
            self.in_top_level_key = true;
            self.top_level_key.clear();
        }
        if first {
            Ok(())
        } else {
            writer.write_all(b",")
        }
    }

    fn end_object_key<W: ?Sized + Write>(&mut self, _writer: &mut W) -> io::Result<()> {
        self.in_top_level_key = false;
        Ok(())
    }

    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        if self.in_top_level_key {
            self.top_level_key.extend_from_slice(fragment.as_bytes());
        }
        writer.write_all(fragment.as_bytes())
    }
}

/// Serialises `value` with [`LineFormatter`].
pub fn to_writer_lines<W: ?Sized + Write, T: ?Sized + serde::Serialize>(
    writer: &mut W,
    value: &T,
    formatter: LineFormatter,
) -> serde_json::Result<()> {
    let mut serializer = serde_json::Serializer::with_formatter(writer, formatter);
    value.serialize(&mut serializer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    type TestResult<T = ()> = Result<T, Box<dyn std::error::Error>>;

    fn lines(value: &serde_json::Value) -> TestResult<String> {
        let mut out = Vec::new();
        to_writer_lines(&mut out, value, LineFormatter::default())?;
        Ok(String::from_utf8(out)?)
    }

    #[test]
    fn top_level_array_elements_get_a_line_each() -> TestResult {
        let value = json!({
            "schema": "x",
            "config": {"a": [1, 2], "b": {"c": []}},
            "subjects": [{"id": "S1", "rows": [1, 2]}, {"id": "S2", "rows": []}],
            "problems": [],
        });
        let text = lines(&value)?;
        // serde_json's Map is sorted by key without the preserve_order feature.
        assert_eq!(
            text,
            "{\"config\":{\"a\":[1,2],\"b\":{\"c\":[]}},\"problems\":[],\"schema\":\"x\",\"subjects\":[\n\
             {\"id\":\"S1\",\"rows\":[1,2]},\n{\"id\":\"S2\",\"rows\":[]}\n]}"
        );
        let back: serde_json::Value = serde_json::from_str(&text)?;
        assert_eq!(back, value);
        Ok(())
    }

    #[test]
    fn splicing_gives_the_same_bytes_as_serialising_the_elements() -> TestResult {
        let whole =
            json!({"a": 1, "subjects": [{"id": "S1"}, {"id": "S2"}, {"id": "S3"}], "z": [true]});
        let mut header = whole.clone();
        header["subjects"] = json!([]);
        let mut bytes = Vec::new();
        let mut ranges = Vec::new();
        for element in whole["subjects"].as_array().ok_or("subjects is an array")? {
            let start = bytes.len();
            serde_json::to_writer(&mut bytes, element)?;
            ranges.push(start..bytes.len());
        }
        let splice = Splice {
            key: "subjects",
            bytes: &bytes,
            order: &ranges,
        };
        let mut spliced = Vec::new();
        to_writer_lines(&mut spliced, &header, LineFormatter::with_splice(splice))?;
        assert_eq!(String::from_utf8(spliced)?, lines(&whole)?);
        Ok(())
    }
}
