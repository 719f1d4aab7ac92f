//! A cheap walk over a DICOM file's element headers before it is parsed into a tree, so
//! that hostile files become errors within bounded time and memory.
//!
//! Why: the tree parser (dicom-object) sizes its buffer from an element's declared length
//! before reading the value, so a length of gigabytes in a file of kilobytes costs
//! gigabytes and minutes (found by fuzzing, RELIABILITY.md); it descends into nested
//! sequences recursively, so thousands of levels exhaust the stack; and it materialises
//! every content item, so a million of them cost memory in proportion. This walk reads
//! only headers, in memory that does not grow with the file (one entry per open
//! sequence or item, itself capped): every defined length must fit in the bytes that
//! remain (and in its enclosing item or sequence), and the [`Limits`] on element size,
//! nesting and content items must hold.

use std::fmt;

use dicom_core::dictionary::{DataDictionary, DataDictionaryEntry};
use dicom_core::{Tag, VR};
use dicom_dictionary_std::StandardDataDictionary;
use flate2::read::DeflateDecoder;
use std::io::Read;

use crate::limits::{LimitExceeded, LimitKey, Limits};

/// Why the walk refuses a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// The file contradicts itself (a length past its end or its enclosing item).
    Malformed(String),
    /// The file is consistent but goes past a configured limit.
    Limit(LimitExceeded),
}

const UNDEFINED: u32 = 0xFFFF_FFFF;
const PIXEL_DATA: (u16, u16) = (0x7FE0, 0x0010);
const ITEM: Tag = Tag(0xFFFE, 0xE000);
const CONTENT_SEQUENCE: Tag = Tag(0x0040, 0xA730);

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

/// `Ok` when every declared length fits and the limits hold; else why not, naming the
/// element and its byte offset. Files it cannot judge (deflated, truncated headers) are
/// left to the parser, which reports them.
pub(crate) fn check_declared_lengths(bytes: &[u8], limits: &Limits) -> Result<(), Refusal> {
    let start = if bytes.get(128..132) == Some(b"DICM") {
        132
    } else if bytes.get(0..4) == Some(b"DICM") {
        4
    } else {
        0
    };
    let mut cursor = Cursor { bytes, pos: start };
    let mut transfer_syntax = None;
    // File meta: always explicit VR little endian. The parser reads it as its group
    // length says: (0002,0000) first, then elements of any group until that many bytes
    // are read (found by fuzzing: a mutated meta tag ended the group early here while the
    // parser read on to its length, so the two started the data set at different bytes).
    // Without a group length the parser refuses the meta; its fallback is walked apart
    // (`check_bare_data_set`), and here the group-0002 elements are walked as they stand.
    let group_length = match explicit_header(&cursor, false) {
        Some((Tag(0x0002, 0x0000), 4, header)) => {
            let value_at = cursor.pos + header;
            let length = cursor.u32(value_at, false);
            cursor.pos = value_at + 4;
            length
        }
        _ => None,
    };
    let mut meta_bytes_read: u32 = 0;
    loop {
        let in_meta = match group_length {
            Some(length) => meta_bytes_read < length,
            None => cursor.u16(cursor.pos, false) == Some(0x0002),
        };
        if !in_meta {
            break;
        }
        let (tag, length, header) = match explicit_header(&cursor, false) {
            Some(h) if h.1 != UNDEFINED => h,
            _ => return Ok(()), // the parser refuses this meta (and its fallback is walked)
        };
        let value_at = cursor.pos + header;
        let value = fits(bytes, tag, value_at, length)?;
        if tag == Tag(0x0002, 0x0010) {
            let uid = bytes.get(value_at..value_at + value).unwrap_or_default();
            // Trimmed as the parser trims it: any trailing white space or NUL (found by
            // fuzzing: a UID ending in a tab, implicit VR to the parser).
            transfer_syntax = Some(
                String::from_utf8_lossy(uid)
                    .trim_end_matches(|c: char| c.is_whitespace() || c == '\0')
                    .to_string(),
            );
        }
        cursor.pos = value_at + value;
        meta_bytes_read = meta_bytes_read
            .saturating_add(header as u32)
            .saturating_add(length);
    }
    let encoding = match transfer_syntax.as_deref() {
        Some("1.2.840.10008.1.2") => Encoding::ImplicitLittle,
        Some("1.2.840.10008.1.2.2") => Encoding::ExplicitBig,
        Some(ts) if ts.starts_with("1.2.840.10008.1.2.1.99") => {
            return walk_deflated(bytes.get(cursor.pos..).unwrap_or_default(), limits);
        }
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
    walk_data_set(&mut cursor, encoding, limits)
}

/// The walk of a data set without file meta read from the file's first byte, as the
/// reader's fallback reads a file that does not open as Part 10 (explicit VR when two
/// upper-case letters follow the first tag, else implicit). Why: a file can fail as Part 10
/// after the walk above judged it as one (a preamble and "DICM", then a broken meta), and
/// the fallback then parses other bytes than those walked (found by fuzzing).
pub(crate) fn check_bare_data_set(bytes: &[u8], limits: &Limits) -> Result<(), Refusal> {
    let explicit = bytes
        .get(4..6)
        .is_some_and(|vr| vr.iter().all(u8::is_ascii_uppercase));
    let encoding = if explicit {
        Encoding::ExplicitLittle
    } else {
        Encoding::ImplicitLittle
    };
    walk_data_set(&mut Cursor { bytes, pos: 0 }, encoding, limits)
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Malformed(reason) => f.write_str(reason),
            Refusal::Limit(exceeded) => write!(f, "{exceeded}"),
        }
    }
}

/// A deflated data set (explicit VR little endian once inflated), inflated to at most
/// `max_sr_file_bytes` so that a small file inflating to gigabytes is refused, then walked.
/// Offsets in what the walk reports count from the start of the inflated data set. A
/// stream that does not inflate is left to the parser, which reports it.
fn walk_deflated(deflated: &[u8], limits: &Limits) -> Result<(), Refusal> {
    let mut inflated = Vec::new();
    let inflating = DeflateDecoder::new(deflated)
        .take(limits.max_sr_file_bytes.saturating_add(1))
        .read_to_end(&mut inflated);
    if inflating.is_err() {
        return Ok(());
    }
    if inflated.len() as u64 > limits.max_sr_file_bytes {
        return Err(Refusal::Limit(LimitExceeded {
            key: LimitKey::MaxSrFileBytes,
            allowed: limits.max_sr_file_bytes,
            found: inflated.len() as u64,
            what: "bytes or more once the deflated data set is inflated",
            at_byte: None,
            element: None,
        }));
    }
    let mut cursor = Cursor {
        bytes: &inflated,
        pos: 0,
    };
    walk_data_set(&mut cursor, Encoding::ExplicitLittle, limits).map_err(|refusal| match refusal {
        Refusal::Malformed(reason) => {
            Refusal::Malformed(format!("{reason} (in the inflated data set)"))
        }
        Refusal::Limit(mut exceeded) => {
            exceeded.element = exceeded
                .element
                .map(|element| format!("{element} of the inflated data set"));
            Refusal::Limit(exceeded)
        }
    })
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
fn fits(bytes: &[u8], tag: Tag, value_at: usize, length: u32) -> Result<usize, Refusal> {
    let remaining = bytes.len().saturating_sub(value_at);
    let length = usize::try_from(length).unwrap_or(usize::MAX);
    if length > remaining {
        return Err(Refusal::Malformed(format!(
            "element {} at byte {value_at} declares {length} bytes but only {remaining} \
             remain in the file",
            tag_text(tag)
        )));
    }
    Ok(length)
}

fn tag_text(tag: Tag) -> String {
    format!("({:04X},{:04X})", tag.group(), tag.element())
}

/// What an open level of the data set holds: a sequence holds items, an item holds
/// data elements.
#[derive(Clone, Copy, PartialEq)]
enum Level {
    Sequence,
    Item,
}

/// An open sequence or item of the walk.
struct Open {
    level: Level,
    /// Its end offset, or `None` for an undefined length.
    end: Option<usize>,
    /// A Content Sequence: its items are content items.
    content_sequence: bool,
}

/// Content items counted so far, and where the limit was first passed.
#[derive(Default)]
struct ContentItems {
    count: u64,
    first_past_limit: Option<usize>,
}

impl ContentItems {
    /// Counts the item at `at`. The count goes on past the limit (it costs nothing: the
    /// walk is linear in the file, which `max_sr_file_bytes` caps) so that the problem can
    /// say how many the file holds.
    fn count(&mut self, at: usize, limits: &Limits) {
        self.count += 1;
        if self.count > limits.max_sr_content_items as u64 && self.first_past_limit.is_none() {
            self.first_past_limit = Some(at);
        }
    }

    fn verdict(&self, limits: &Limits) -> Result<(), Refusal> {
        match self.first_past_limit {
            None => Ok(()),
            Some(at) => Err(Refusal::Limit(LimitExceeded {
                key: LimitKey::MaxSrContentItems,
                allowed: limits.max_sr_content_items as u64,
                found: self.count,
                what: "content items",
                at_byte: Some(at as u64),
                element: Some(tag_text(ITEM)),
            })),
        }
    }
}

fn walk_data_set(cursor: &mut Cursor, encoding: Encoding, limits: &Limits) -> Result<(), Refusal> {
    let big = matches!(encoding, Encoding::ExplicitBig);
    let mut open: Vec<Open> = Vec::new();
    let mut content_items = ContentItems::default();
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
            // End of file (or a truncated header: the parser says so).
            return content_items.verdict(limits);
        };
        if open.is_empty() && (tag.group(), tag.element()) == PIXEL_DATA {
            return content_items.verdict(limits); // the reader stops at Pixel Data
        }
        let value_at = cursor.pos + header_size;
        let in_sequence = open.last().is_some_and(|o| o.level == Level::Sequence);
        // As the parser reads them: an item tag opens an item only inside a sequence; where
        // data elements are expected it is a plain element of its declared length (found
        // by fuzzing: an item tag inside an item, which this walk once descended into
        // while the parser skipped it, so the two read the next header at different
        // bytes). Likewise a delimiter delimits only where it belongs, the item delimiter
        // in an item and the sequence delimiter in a sequence; elsewhere it is a plain
        // element of its declared length (found by fuzzing: a sequence delimiter among an
        // item's elements with a 4 GB length). Any other (FFFE,xxxx) is a value of its
        // declared length (found by fuzzing: (FFFE,FFFF) with 4 GB).
        // Where data elements are expected (in an item, or at the top level, where the
        // parser ignores it) the item delimiter is a bare header (found by fuzzing: one
        // of length 39 at the top level of a data set).
        let is_delimiter = (tag == Tag(0xFFFE, 0xE00D) && !in_sequence)
            || (tag == Tag(0xFFFE, 0xE0DD) && in_sequence);
        let opens = if tag == ITEM {
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
                    return Err(Refusal::Malformed(format!(
                        "element {} at byte {value_at} ends past the item or sequence that \
                         holds it",
                        tag_text(tag)
                    )));
                }
            }
            if tag == ITEM && open.last().is_some_and(|o| o.content_sequence) {
                content_items.count(cursor.pos, limits);
            }
            open.push(Open {
                level,
                end,
                content_sequence: tag == CONTENT_SEQUENCE,
            });
            if open.len() > limits.max_sr_nesting {
                return Err(Refusal::Limit(LimitExceeded {
                    key: LimitKey::MaxSrNesting,
                    allowed: limits.max_sr_nesting as u64,
                    found: open.len() as u64,
                    what: "sequences and items open at once",
                    at_byte: Some(cursor.pos as u64),
                    element: Some(tag_text(tag)),
                }));
            }
            cursor.pos = value_at;
        } else {
            let value = fits(cursor.bytes, tag, value_at, length)?;
            if let Some(unit) = binary_value_unit(cursor, tag, encoding) {
                if value % unit != 0 {
                    return Err(Refusal::Malformed(format!(
                        "element {} at byte {value_at} declares {value} bytes, not a multiple \
                         of the {unit} bytes of each of its values",
                        tag_text(tag)
                    )));
                }
            }
            if value as u64 > limits.max_element_bytes {
                return Err(Refusal::Limit(LimitExceeded {
                    key: LimitKey::MaxElementBytes,
                    allowed: limits.max_element_bytes,
                    found: value as u64,
                    what: "bytes declared",
                    at_byte: Some(cursor.pos as u64),
                    element: Some(tag_text(tag)),
                }));
            }
            cursor.pos = value_at + value;
        }
    }
}

fn implicit_header(cursor: &Cursor) -> Option<(Tag, u32, usize)> {
    let at = cursor.pos;
    let tag = Tag(cursor.u16(at, false)?, cursor.u16(at + 2, false)?);
    Some((tag, cursor.u32(at + 4, false)?, 8))
}

/// The size of each value of a binary numeric element (UL: 4 bytes, FD: 8, …), from its
/// VR when explicit, else from the data dictionary (group lengths are UL). Why: the
/// parser reads such a value as whole numbers and leaves a remainder unread, so with a
/// length of 7 it reads the next header three bytes early, where this walk would not
/// look (found by fuzzing: a UL group length of 7 bytes, after which the parser read a
/// 4 GB length from the value's last bytes).
fn binary_value_unit(cursor: &Cursor, tag: Tag, encoding: Encoding) -> Option<usize> {
    let vr = match encoding {
        Encoding::ImplicitLittle if tag.element() == 0x0000 => VR::UL,
        Encoding::ImplicitLittle => StandardDataDictionary.by_tag(tag)?.vr().relaxed(),
        _ => {
            let bytes: [u8; 2] = cursor
                .bytes
                .get(cursor.pos + 4..cursor.pos + 6)?
                .try_into()
                .ok()?;
            VR::from_binary(bytes)?
        }
    };
    match vr {
        VR::OW | VR::SS | VR::US => Some(2),
        VR::AT | VR::FL | VR::OF | VR::OL | VR::SL | VR::UL => Some(4),
        VR::FD | VR::OD | VR::OV | VR::SV | VR::UV => Some(8),
        _ => None,
    }
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

    /// What a test or a test helper gives back: a failure is the error `?` met.
    type TestResult<T = ()> = Result<T, Box<dyn std::error::Error>>;

    const META: FileMeta<'static> = FileMeta {
        sop_class_uid: "1.2.840.10008.5.1.4.1.1.88.33",
        sop_instance_uid: "2.25.1",
        implementation_class_uid: "2.25.2",
        implementation_version_name: "TEST",
    };

    fn part10(data_set: &DataSetWriter) -> TestResult<Vec<u8>> {
        let mut bytes = Vec::new();
        write_part10(&mut bytes, &META, data_set)?;
        Ok(bytes)
    }

    #[test]
    fn a_length_of_gigabytes_in_a_small_file_is_named() -> TestResult {
        let mut w = DataSetWriter::new();
        w.text(0x0008_0016, Vr::UI, META.sop_class_uid)?;
        let mut bytes = part10(&w)?;
        let at = bytes.len();
        // (0040,A160) UT with a declared length of 0xC0000000 (3 GiB) and 4 bytes of value.
        bytes.extend_from_slice(b"\x40\x00\x60\xA1UT\x00\x00\x00\x00\x00\xC0abcd");
        let error = check_declared_lengths(&bytes, &Limits::default())
            .err()
            .ok_or("a 3 GiB length in a small file should be rejected")?;
        assert_eq!(
            error,
            Refusal::Malformed(format!(
                "element (0040,A160) at byte {} declares 3221225472 bytes but only 4 remain in the file",
                at + 12
            ))
        );
        Ok(())
    }

    #[test]
    fn sequences_nested_thousands_deep_are_refused() -> TestResult {
        let mut w = DataSetWriter::new();
        for _ in 0..3000 {
            w.begin_sequence(0x0040_A730)?;
            w.begin_item()?;
        }
        for _ in 0..3000 {
            w.end_item()?;
            w.end_sequence()?;
        }
        let bytes = part10(&w)?;
        let Err(Refusal::Limit(exceeded)) = check_declared_lengths(&bytes, &Limits::default())
        else {
            return Err("not refused by a limit".into());
        };
        assert_eq!(exceeded.key, LimitKey::MaxSrNesting);
        assert_eq!((exceeded.allowed, exceeded.found), (256, 257));
        // The 257th opening is the 129th sequence's (0040,A730) header: 128 pairs of a
        // 12-byte sequence header and an 8-byte item header after the data set's start.
        // Each of the 3000 levels takes those 20 bytes and two 8-byte delimiters.
        let data_set_start = bytes.len() - 3000 * (20 + 8 + 8);
        assert_eq!(exceeded.at_byte, Some((data_set_start + 128 * 20) as u64));
        assert_eq!(exceeded.element.as_deref(), Some("(0040,A730)"));
        Ok(())
    }

    #[test]
    fn a_well_formed_file_passes() -> TestResult {
        let mut w = DataSetWriter::new();
        w.text(0x0008_0016, Vr::UI, META.sop_class_uid)?;
        for _ in 0..100 {
            w.begin_sequence(0x0040_A730)?;
            w.begin_item()?;
        }
        for _ in 0..100 {
            w.end_item()?;
            w.end_sequence()?;
        }
        assert_eq!(
            check_declared_lengths(&part10(&w)?, &Limits::default()),
            Ok(())
        );
        Ok(())
    }

    /// `count` content items side by side in the root's Content Sequence, each with a
    /// Value Type only, and one nested content item in a Concept Name Code Sequence item
    /// (which is not a content item).
    fn flat_report(count: usize) -> TestResult<Vec<u8>> {
        let mut w = DataSetWriter::new();
        w.text(0x0008_0016, Vr::UI, META.sop_class_uid)?;
        w.begin_sequence(0x0040_A043)?; // Concept Name Code Sequence
        w.begin_item()?;
        w.text(0x0008_0100, Vr::SH, "126000")?;
        w.end_item()?;
        w.end_sequence()?;
        w.begin_sequence(0x0040_A730)?;
        for _ in 0..count {
            w.begin_item()?;
            w.text(0x0040_A040, Vr::CS, "TEXT")?;
            w.end_item()?;
        }
        w.end_sequence()?;
        part10(&w)
    }

    #[test]
    fn content_items_are_counted_to_the_end_past_the_limit() -> TestResult {
        let limits = Limits {
            max_sr_content_items: 10,
            ..Limits::default()
        };
        assert_eq!(check_declared_lengths(&flat_report(10)?, &limits), Ok(()));
        let bytes = flat_report(25)?;
        let Err(Refusal::Limit(exceeded)) = check_declared_lengths(&bytes, &limits) else {
            return Err("not refused by a limit".into());
        };
        assert_eq!(exceeded.key, LimitKey::MaxSrContentItems);
        assert_eq!((exceeded.allowed, exceeded.found), (10, 25));
        // Each item is 8 (item) + 12 (Value Type "TEXT") + 8 (delimiter) = 28 bytes; the
        // sequence delimiter (8 bytes) ends the file. The 11th item starts after ten.
        let sequence_end = bytes.len() - 8;
        assert_eq!(
            exceeded.at_byte,
            Some((sequence_end - 25 * 28 + 10 * 28) as u64)
        );
        assert_eq!(
            exceeded.to_string(),
            format!(
                "limit max_sr_content_items = 10 exceeded: 25 content items (element \
                 (FFFE,E000) at byte {})",
                sequence_end - 15 * 28
            )
        );
        Ok(())
    }

    /// `data_set` deflated behind a meta group declaring Deflated Explicit VR Little Endian.
    fn deflated_part10(data_set: &DataSetWriter) -> TestResult<Vec<u8>> {
        use flate2::write::DeflateEncoder;
        use std::io::Write;
        let mut group = DataSetWriter::new();
        group.ob(0x0002_0001, &[0, 1])?;
        group.text(0x0002_0002, Vr::UI, META.sop_class_uid)?;
        group.text(0x0002_0003, Vr::UI, META.sop_instance_uid)?;
        group.text(0x0002_0010, Vr::UI, "1.2.840.10008.1.2.1.99")?;
        let mut length = DataSetWriter::new();
        length.ul(0x0002_0000, group.bytes().len() as u32)?;
        let mut bytes = vec![0; 128];
        bytes.extend_from_slice(b"DICM");
        bytes.extend_from_slice(length.bytes());
        bytes.extend_from_slice(group.bytes());
        let mut encoder = DeflateEncoder::new(bytes, flate2::Compression::default());
        encoder.write_all(data_set.bytes())?;
        Ok(encoder.finish()?)
    }

    #[test]
    fn a_deflated_report_is_walked_once_inflated_and_its_inflated_size_is_capped() -> TestResult {
        // 10,000 identical items deflate to a few hundred bytes.
        let mut w = DataSetWriter::new();
        w.text(0x0008_0016, Vr::UI, META.sop_class_uid)?;
        w.begin_sequence(0x0040_A730)?;
        for _ in 0..10_000 {
            w.begin_item()?;
            w.text(0x0040_A040, Vr::CS, "TEXT")?;
            w.end_item()?;
        }
        w.end_sequence()?;
        let bytes = deflated_part10(&w)?;
        assert!(bytes.len() < 10_000, "{} bytes", bytes.len());
        assert_eq!(check_declared_lengths(&bytes, &Limits::default()), Ok(()));

        let few_items = Limits {
            max_sr_content_items: 100,
            ..Limits::default()
        };
        let Err(Refusal::Limit(exceeded)) = check_declared_lengths(&bytes, &few_items) else {
            return Err("not refused by a limit".into());
        };
        assert_eq!((exceeded.allowed, exceeded.found), (100, 10_000));
        // Inflated: the SOP Class UID element (8 + 30 bytes), the sequence header (12),
        // then 28 bytes per item; the 101st item follows a hundred.
        assert_eq!(exceeded.at_byte, Some(38 + 12 + 100 * 28));
        assert_eq!(
            exceeded.element.as_deref(),
            Some("(FFFE,E000) of the inflated data set")
        );

        // Inflated, the data set is 38 + 12 + 10,000 × 28 + 8 bytes.
        let small_files = Limits {
            max_sr_file_bytes: 100_000,
            ..Limits::default()
        };
        let Err(Refusal::Limit(exceeded)) = check_declared_lengths(&bytes, &small_files) else {
            return Err("not refused by a limit".into());
        };
        assert_eq!(exceeded.key, LimitKey::MaxSrFileBytes);
        assert_eq!((exceeded.allowed, exceeded.found), (100_000, 100_001));
        Ok(())
    }

    #[test]
    fn an_element_longer_than_max_element_bytes_is_refused_though_it_fits() -> TestResult {
        let mut w = DataSetWriter::new();
        w.text(0x0008_0016, Vr::UI, META.sop_class_uid)?;
        w.text(0x0040_A160, Vr::UT, &"x".repeat(2000))?;
        let bytes = part10(&w)?;
        let limits = Limits {
            max_element_bytes: 1000,
            ..Limits::default()
        };
        let Err(Refusal::Limit(exceeded)) = check_declared_lengths(&bytes, &limits) else {
            return Err("not refused by a limit".into());
        };
        assert_eq!(exceeded.key, LimitKey::MaxElementBytes);
        assert_eq!((exceeded.allowed, exceeded.found), (1000, 2000));
        // The UT header (12 bytes) and its 2000 bytes end the file.
        assert_eq!(exceeded.at_byte, Some((bytes.len() - 2012) as u64));
        assert_eq!(check_declared_lengths(&bytes, &Limits::default()), Ok(()));
        Ok(())
    }

    #[test]
    fn an_item_tag_among_an_items_elements_is_read_as_the_parser_reads_it() -> TestResult {
        // Found by fuzzing (fuzz/regressions/sr_tree/oom-4292870399.dcm): inside an item, an
        // item tag (FFFE,E000) of 13 bytes is a plain element to the parser, which skips
        // its value; the header after it declares 4 GB and must be caught here. A walk
        // that descended into the 13 bytes read other headers and let it through.
        let mut w = DataSetWriter::new();
        w.text(0x0008_0016, Vr::UI, META.sop_class_uid)?;
        let mut bytes = part10(&w)?;
        // (0040,A730) SQ and an item, both of undefined length.
        bytes.extend_from_slice(b"\x40\x00\x30\xA7SQ\x00\x00\xFF\xFF\xFF\xFF");
        bytes.extend_from_slice(b"\xFE\xFF\x00\xE0\xFF\xFF\xFF\xFF");
        // (FFFE,E000) length 13: a sequence delimiter and five more bytes, then
        // (0051,FF00) with an unknown VR and a 4 GB length.
        bytes.extend_from_slice(b"\xFE\xFF\x00\xE0\x0D\x00\x00\x00");
        bytes.extend_from_slice(b"\xFE\xFF\xDD\xE0\x00\x00\x00\x00\x40\x00\x00\xA3\x53");
        let at = bytes.len();
        bytes.extend_from_slice(b"\x51\x00\x00\xFFxx\x00\x00\xFF\x00\xE0\xFFabcd");
        let error = check_declared_lengths(&bytes, &Limits::default())
            .err()
            .ok_or("a 4 GB length after an item tag inside an item should be rejected")?;
        assert_eq!(
            error,
            Refusal::Malformed(format!(
                "element (0051,FF00) at byte {} declares 4292870399 bytes but only 4 remain in the file",
                at + 12
            ))
        );
        Ok(())
    }

    #[test]
    fn a_binary_value_whose_length_is_no_multiple_of_its_size_is_refused() -> TestResult {
        // Found by fuzzing (fuzz/regressions/sr_tree/ul-group-length-of-7-bytes.dcm): a
        // bare implicit-VR data set whose (0008,0000) group length (UL) declares 7 bytes.
        let bytes = b"\x08\x00\x00\x00\x07\x00\x00\x00X\xFF\x06\x00\xFF\x01\x00\x00\x10\xFF\xFF\xFF\xFF\xFF";
        assert_eq!(
            check_declared_lengths(bytes, &Limits::default()),
            Err(Refusal::Malformed(
                "element (0008,0000) at byte 8 declares 7 bytes, not a multiple of the 4 bytes \
                 of each of its values"
                    .to_string()
            ))
        );
        // Explicit VR: an FD of 12 bytes.
        let mut w = DataSetWriter::new();
        w.text(0x0008_0016, Vr::UI, META.sop_class_uid)?;
        let mut bytes = part10(&w)?;
        let at = bytes.len() + 8;
        bytes.extend_from_slice(b"\x40\x00\x0A\xA3FD\x0C\x00abcdefghijkl");
        assert_eq!(
            check_declared_lengths(&bytes, &Limits::default()),
            Err(Refusal::Malformed(format!(
                "element (0040,A30A) at byte {at} declares 12 bytes, not a multiple of the 8 \
                 bytes of each of its values"
            )))
        );
        Ok(())
    }

    #[test]
    fn a_sequence_delimiter_among_an_items_elements_is_read_as_the_parser_reads_it() -> TestResult {
        // Found by fuzzing (fuzz/regressions/sr_tree/sequence-delimiter-inside-an-item.dcm):
        // the item delimiter mutated away, the sequence delimiter then sits among the
        // item's data elements, where the parser reads it as a plain element and its
        // length field (here 4 GB) as a length.
        let mut w = DataSetWriter::new();
        w.text(0x0008_0016, Vr::UI, META.sop_class_uid)?;
        let mut bytes = part10(&w)?;
        bytes.extend_from_slice(b"\x40\x00\x30\xA7SQ\x00\x00\xFF\xFF\xFF\xFF");
        bytes.extend_from_slice(b"\xFE\xFF\x00\xE0\xFF\xFF\xFF\xFF");
        let at = bytes.len() + 8;
        bytes.extend_from_slice(b"\xFE\xFF\xDD\xE0\x00\x00\x00\xFFabcd");
        assert_eq!(
            check_declared_lengths(&bytes, &Limits::default()),
            Err(Refusal::Malformed(format!(
                "element (FFFE,E0DD) at byte {at} declares 4278190080 bytes but only 4 \
                 remain in the file"
            )))
        );
        Ok(())
    }

    #[test]
    fn the_meta_group_ends_where_its_group_length_says_as_the_parser_reads_it() -> TestResult {
        // Found by fuzzing (fuzz/regressions/sr_tree/meta-read-to-its-group-length.dcm): a
        // meta element of another group inside the group length; the parser reads on to
        // the length and starts the (implicit VR) data set after it. Here a meta of 3
        // elements: group length 46 = (0002,0010) UI of 20 (28 bytes) + (3031,3033) UN of 6 (18).
        let mut bytes = vec![0u8; 128];
        bytes.extend_from_slice(b"DICM");
        bytes.extend_from_slice(b"\x02\x00\x00\x00UL\x04\x00\x2E\x00\x00\x00");
        bytes.extend_from_slice(b"\x02\x00\x10\x00UI\x14\x001.2.840.10008.1.2\0\0\0");
        bytes.extend_from_slice(b"\x31\x30\x33\x30UN\x00\x00\x06\x00\x00\x00abcdef");
        // The data set, implicit VR: (0000,0000) with a 2.9 GB length.
        let at = bytes.len() + 8;
        bytes.extend_from_slice(b"\x00\x00\x00\x00\x00\x00\x00\xAEabcd");
        assert_eq!(
            check_declared_lengths(&bytes, &Limits::default()),
            Err(Refusal::Malformed(format!(
                "element (0000,0000) at byte {at} declares 2919235584 bytes but only 4 \
                 remain in the file"
            )))
        );
        Ok(())
    }

    #[test]
    fn a_transfer_syntax_uid_padded_with_a_tab_is_read_as_the_parser_reads_it() -> TestResult {
        // Found by fuzzing (fuzz/regressions/sr_tree/transfer-syntax-padded-with-a-tab.dcm):
        // implicit VR little endian written "1.2.840.10008.1.2\t"; the parser trims any
        // white space and reads the data set as implicit VR.
        let mut bytes = vec![0u8; 128];
        bytes.extend_from_slice(b"DICM");
        bytes.extend_from_slice(b"\x02\x00\x00\x00UL\x04\x00\x1C\x00\x00\x00");
        bytes.extend_from_slice(b"\x02\x00\x10\x00UI\x14\x001.2.840.10008.1.2\t\0\0");
        let at = bytes.len() + 8;
        bytes.extend_from_slice(b"\x08\x00\x30\x10\x00\x00\x00\xFCabcd");
        assert_eq!(
            check_declared_lengths(&bytes, &Limits::default()),
            Err(Refusal::Malformed(format!(
                "element (0008,1030) at byte {at} declares 4227858432 bytes but only 4 \
                 remain in the file"
            )))
        );
        Ok(())
    }

    #[test]
    fn an_item_delimiter_at_the_top_level_is_a_bare_header_as_the_parser_reads_it() -> TestResult {
        // Found by fuzzing (fuzz/regressions/sr_tree/item-delimiter-at-the-top-level.dcm):
        // the parser ignores an item delimiter outside any sequence, header only, whatever
        // its length field says, and reads the next header right after it.
        let mut w = DataSetWriter::new();
        w.text(0x0008_0016, Vr::UI, META.sop_class_uid)?;
        let mut bytes = part10(&w)?;
        bytes.extend_from_slice(b"\xFE\xFF\x0D\xE0\x27\x00\x00\x00");
        let at = bytes.len() + 12;
        bytes.extend_from_slice(b"\x40\x00\x60\xA1UT\x00\x00\x00\xFE\xFF\xDDabcd");
        assert_eq!(
            check_declared_lengths(&bytes, &Limits::default()),
            Err(Refusal::Malformed(format!(
                "element (0040,A160) at byte {at} declares 3724541440 bytes but only 4 \
                 remain in the file"
            )))
        );
        Ok(())
    }
}
