//! A cheap walk over a DICOM file's element headers before it is parsed into a tree, so
//! that hostile files become errors within bounded time and memory.
//!
//! Why: the tree parser (dicom-object) sizes its buffer from an element's declared length
//! before reading the value, so a length of gigabytes in a file of kilobytes costs
//! gigabytes and minutes (found by fuzzing, RELIABILITY.md); and it descends into nested
//! sequences recursively, so thousands of levels exhaust the stack. This walk reads only
//! headers: every defined length must fit in the bytes that remain (and in its enclosing
//! item or sequence), and nesting must stay within [`MAX_NESTING`].

use dicom_core::dictionary::{DataDictionary, DataDictionaryEntry};
use dicom_core::{Tag, VR};
use dicom_dictionary_std::StandardDataDictionary;

/// Sequences and items open at once (each SR content level opens two: the Content
/// Sequence and its item). TID 1500 reports nest about a dozen; 256 leaves room for any
/// real producer and keeps the parser's recursion far from the stack's end.
pub const MAX_NESTING: usize = 256;

const UNDEFINED: u32 = 0xFFFF_FFFF;
const PIXEL_DATA: (u16, u16) = (0x7FE0, 0x0010);

#[derive(Clone, Copy)]
enum Encoding {
    ExplicitLittle,
    ImplicitLittle,
    ExplicitBig,
}

struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn u16(&self, at: usize, big: bool) -> Option<u16> {
        let b: [u8; 2] = self.bytes.get(at..at + 2)?.try_into().ok()?;
        Some(if big {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        })
    }
    fn u32(&self, at: usize, big: bool) -> Option<u32> {
        let b: [u8; 4] = self.bytes.get(at..at + 4)?.try_into().ok()?;
        Some(if big {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    }
}

/// `Ok` when every declared length fits and nesting is bounded; else why not, naming the
/// element and its byte offset. Files it cannot judge (deflated, truncated headers) are
/// left to the parser, which reports them.
pub(crate) fn check_declared_lengths(bytes: &[u8]) -> Result<(), String> {
    let start = if bytes.get(128..132) == Some(b"DICM") {
        132
    } else if bytes.get(0..4) == Some(b"DICM") {
        4
    } else {
        0
    };
    let mut cursor = Cursor { bytes, pos: start };
    let mut transfer_syntax = None;
    // File meta: always explicit VR little endian, group 0002.
    while cursor.u16(cursor.pos, false) == Some(0x0002) {
        let (tag, length, header) = match explicit_header(&cursor, false) {
            Some(h) => h,
            None => return Ok(()),
        };
        let value_at = cursor.pos + header;
        let value = fits(bytes, tag, value_at, length)?;
        if tag == Tag(0x0002, 0x0010) {
            transfer_syntax = Some(
                String::from_utf8_lossy(&bytes[value_at..value_at + value])
                    .trim_end_matches(['\0', ' '])
                    .to_string(),
            );
        }
        cursor.pos = value_at + value;
    }
    let encoding = match transfer_syntax.as_deref() {
        Some("1.2.840.10008.1.2") => Encoding::ImplicitLittle,
        Some("1.2.840.10008.1.2.2") => Encoding::ExplicitBig,
        Some(ts) if ts.starts_with("1.2.840.10008.1.2.1.99") => return Ok(()), // deflated
        Some(_) => Encoding::ExplicitLittle,
        None => {
            let vr = bytes
                .get(cursor.pos + 4..cursor.pos + 6)
                .unwrap_or_default();
            if vr.len() == 2 && vr.iter().all(u8::is_ascii_uppercase) {
                Encoding::ExplicitLittle
            } else {
                Encoding::ImplicitLittle
            }
        }
    };
    walk_data_set(&mut cursor, encoding)
}

/// Tag, defined or undefined length, header size of an explicit VR element.
fn explicit_header(cursor: &Cursor, big: bool) -> Option<(Tag, u32, usize)> {
    let at = cursor.pos;
    let tag = Tag(cursor.u16(at, big)?, cursor.u16(at + 2, big)?);
    if tag.group() == 0xFFFE {
        return Some((tag, cursor.u32(at + 4, big)?, 8));
    }
    let vr = cursor.bytes.get(at + 4..at + 6)?;
    // The VRs with a 16-bit length (PS3.5 7.1.2); any other, an unknown one included, has
    // a 32-bit length as the parser reads it (an unknown VR is read like UN).
    let short = <[u8; 2]>::try_from(vr).is_ok_and(crate::header::is_short_vr);
    if !short {
        Some((tag, cursor.u32(at + 8, big)?, 12))
    } else {
        Some((tag, u32::from(cursor.u16(at + 6, big)?), 8))
    }
}

/// The length as `usize` when the value fits in the bytes after `value_at`.
fn fits(bytes: &[u8], tag: Tag, value_at: usize, length: u32) -> Result<usize, String> {
    let remaining = bytes.len().saturating_sub(value_at);
    let length = usize::try_from(length).unwrap_or(usize::MAX);
    if length > remaining {
        return Err(format!(
            "element ({:04X},{:04X}) at byte {value_at} declares {length} bytes but only \
             {remaining} remain in the file",
            tag.group(),
            tag.element()
        ));
    }
    Ok(length)
}

/// What an open level of the data set holds: a sequence holds items, an item holds
/// data elements.
#[derive(Clone, Copy, PartialEq)]
enum Level {
    Sequence,
    Item,
}

/// An open sequence or item: what it holds and its end offset (`None`: undefined length).
#[derive(Clone, Copy)]
struct Open {
    level: Level,
    end: Option<usize>,
}

fn walk_data_set(cursor: &mut Cursor, encoding: Encoding) -> Result<(), String> {
    let big = matches!(encoding, Encoding::ExplicitBig);
    let mut open: Vec<Open> = Vec::new();
    loop {
        while open
            .last()
            .is_some_and(|o| o.end.is_some_and(|e| cursor.pos >= e))
        {
            open.pop();
        }
        let header = match encoding {
            Encoding::ImplicitLittle => implicit_header(cursor),
            _ => explicit_header(cursor, big),
        };
        let Some((tag, length, header_size)) = header else {
            return Ok(()); // end of file (or a truncated header: the parser says so)
        };
        if open.is_empty() && (tag.group(), tag.element()) == PIXEL_DATA {
            return Ok(()); // the reader stops at Pixel Data
        }
        let value_at = cursor.pos + header_size;
        let in_sequence = open.last().is_some_and(|o| o.level == Level::Sequence);
        // As the parser reads them: an item tag opens an item only inside a sequence; where
        // data elements are expected it is a plain element of its declared length (found
        // by fuzzing: an item tag inside an item, which this walk once descended into
        // while the parser skipped it, so the two read the next header at different
        // bytes). Delimiters close what they delimit; any other (FFFE,xxxx) is a value of
        // its declared length (found by fuzzing: (FFFE,FFFF) with 4 GB).
        let is_delimiter = tag == Tag(0xFFFE, 0xE00D) || tag == Tag(0xFFFE, 0xE0DD);
        let opens = if tag == Tag(0xFFFE, 0xE000) {
            in_sequence.then_some(Level::Item)
        } else if length == UNDEFINED || is_sequence(cursor, tag, encoding) {
            Some(Level::Sequence)
        } else {
            None
        };
        if is_delimiter {
            if open.last().is_some_and(|o| o.end.is_none()) {
                open.pop();
            }
            cursor.pos = value_at;
        } else if let Some(level) = opens {
            let end = if length == UNDEFINED {
                None
            } else {
                Some(value_at + fits(cursor.bytes, tag, value_at, length)?)
            };
            if let (
                Some(end),
                Some(Open {
                    end: Some(outer), ..
                }),
            ) = (end, open.last())
            {
                if end > *outer {
                    return Err(format!(
                        "element ({:04X},{:04X}) at byte {value_at} ends past the item or \
                         sequence that holds it",
                        tag.group(),
                        tag.element()
                    ));
                }
            }
            open.push(Open { level, end });
            if open.len() > MAX_NESTING {
                return Err(format!(
                    "sequences nested more than {MAX_NESTING} deep (at byte {value_at})"
                ));
            }
            cursor.pos = value_at;
        } else {
            cursor.pos = value_at + fits(cursor.bytes, tag, value_at, length)?;
        }
    }
}

fn implicit_header(cursor: &Cursor) -> Option<(Tag, u32, usize)> {
    let at = cursor.pos;
    let tag = Tag(cursor.u16(at, false)?, cursor.u16(at + 2, false)?);
    Some((tag, cursor.u32(at + 4, false)?, 8))
}

/// Whether the element at the cursor is a sequence: its VR when explicit, the data
/// dictionary's when implicit.
fn is_sequence(cursor: &Cursor, tag: Tag, encoding: Encoding) -> bool {
    match encoding {
        Encoding::ImplicitLittle => StandardDataDictionary
            .by_tag(tag)
            .is_some_and(|entry| entry.vr().relaxed() == VR::SQ),
        _ => cursor.bytes.get(cursor.pos + 4..cursor.pos + 6) == Some(b"SQ"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::write::{write_part10, DataSetWriter, FileMeta, Vr};

    const META: FileMeta<'static> = FileMeta {
        sop_class_uid: "1.2.840.10008.5.1.4.1.1.88.33",
        sop_instance_uid: "2.25.1",
        implementation_class_uid: "2.25.2",
        implementation_version_name: "TEST",
    };

    fn part10(data_set: &DataSetWriter) -> Vec<u8> {
        let mut bytes = Vec::new();
        write_part10(&mut bytes, &META, data_set).unwrap();
        bytes
    }

    #[test]
    fn a_length_of_gigabytes_in_a_small_file_is_named() {
        let mut w = DataSetWriter::new();
        w.text(0x0008_0016, Vr::UI, META.sop_class_uid).unwrap();
        let mut bytes = part10(&w);
        let at = bytes.len();
        // (0040,A160) UT with a declared length of 0xC0000000 (3 GiB) and 4 bytes of value.
        bytes.extend_from_slice(b"\x40\x00\x60\xA1UT\x00\x00\x00\x00\x00\xC0abcd");
        let error = check_declared_lengths(&bytes).unwrap_err();
        assert_eq!(
            error,
            format!(
                "element (0040,A160) at byte {} declares 3221225472 bytes but only 4 remain in the file",
                at + 12
            )
        );
    }

    #[test]
    fn sequences_nested_thousands_deep_are_refused() {
        let mut w = DataSetWriter::new();
        for _ in 0..3000 {
            w.begin_sequence(0x0040_A730).unwrap();
            w.begin_item().unwrap();
        }
        for _ in 0..3000 {
            w.end_item().unwrap();
            w.end_sequence().unwrap();
        }
        let error = check_declared_lengths(&part10(&w)).unwrap_err();
        assert!(
            error.starts_with("sequences nested more than 256 deep"),
            "{error}"
        );
    }

    #[test]
    fn a_well_formed_file_passes() {
        let mut w = DataSetWriter::new();
        w.text(0x0008_0016, Vr::UI, META.sop_class_uid).unwrap();
        for _ in 0..100 {
            w.begin_sequence(0x0040_A730).unwrap();
            w.begin_item().unwrap();
        }
        for _ in 0..100 {
            w.end_item().unwrap();
            w.end_sequence().unwrap();
        }
        assert_eq!(check_declared_lengths(&part10(&w)), Ok(()));
    }

    #[test]
    fn an_item_tag_among_an_items_elements_is_read_as_the_parser_reads_it() {
        // Found by fuzzing (fuzz/regressions/sr_tree/oom-4292870399.dcm): inside an item, an
        // item tag (FFFE,E000) of 13 bytes is a plain element to the parser, which skips
        // its value; the header after it declares 4 GB and must be caught here. A walk
        // that descended into the 13 bytes read other headers and let it through.
        let mut w = DataSetWriter::new();
        w.text(0x0008_0016, Vr::UI, META.sop_class_uid).unwrap();
        let mut bytes = part10(&w);
        // (0040,A730) SQ and an item, both of undefined length.
        bytes.extend_from_slice(b"\x40\x00\x30\xA7SQ\x00\x00\xFF\xFF\xFF\xFF");
        bytes.extend_from_slice(b"\xFE\xFF\x00\xE0\xFF\xFF\xFF\xFF");
        // (FFFE,E000) length 13: a sequence delimiter and five more bytes, then
        // (0051,FF00) with an unknown VR and a 4 GB length.
        bytes.extend_from_slice(b"\xFE\xFF\x00\xE0\x0D\x00\x00\x00");
        bytes.extend_from_slice(b"\xFE\xFF\xDD\xE0\x00\x00\x00\x00\x40\x00\x00\xA3\x53");
        let at = bytes.len();
        bytes.extend_from_slice(b"\x51\x00\x00\xFFxx\x00\x00\xFF\x00\xE0\xFFabcd");
        let error = check_declared_lengths(&bytes).unwrap_err();
        assert_eq!(
            error,
            format!(
                "element (0051,FF00) at byte {} declares 4292870399 bytes but only 4 remain in the file",
                at + 12
            )
        );
    }
}
