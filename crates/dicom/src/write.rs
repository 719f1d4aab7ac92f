//! A small, fast writer of DICOM Part 10 files in Explicit VR Little Endian.
//!
//! Why not dicom-object: the synthetic-trial generator writes ~100,000 files per run and
//! builds every file straight into one reused byte buffer; dicom-object would build an
//! in-memory tree per file first. This writer only appends bytes, so it is only as correct
//! as its callers' element order: it checks that tags ascend within each data set and
//! returns an error otherwise, and it checks value lengths against the VR's length field.
//!
//! Encoding choices (all valid PS3.5): sequences and items use undefined lengths with
//! delimitation items (no back-patching of lengths); text values are padded to even length
//! with a space, UIDs with a NUL, binary values with a zero byte.

use std::io::{self, Write};

/// Explicit VR Little Endian.
pub const EXPLICIT_VR_LITTLE_ENDIAN: &str = "1.2.840.10008.1.2.1";

/// A DICOM tag as (group << 16) | element, e.g. `0x0010_0020` for Patient ID.
pub type Tag = u32;

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("element ({:04X},{:04X}) written after ({:04X},{:04X}): tags must ascend within a data set", .tag >> 16, .tag & 0xFFFF, .previous >> 16, .previous & 0xFFFF)]
    TagOrder { tag: Tag, previous: Tag },
    #[error("element ({:04X},{:04X}) {vr}: value of {length} bytes does not fit its 16-bit length", .tag >> 16, .tag & 0xFFFF)]
    ValueTooLong { tag: Tag, vr: String, length: usize },
    #[error("unbalanced sequence/item nesting: {0}")]
    Nesting(&'static str),
    #[error("the data set has no {0}")]
    Missing(&'static str),
    #[error("cannot write the file: {0}")]
    Io(#[from] io::Error),
}

/// Value representations the writer knows how to encode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vr {
    AE,
    AS,
    CS,
    DA,
    DS,
    DT,
    FD,
    FL,
    IS,
    LO,
    LT,
    OB,
    OW,
    PN,
    SH,
    SQ,
    ST,
    TM,
    UC,
    UI,
    UL,
    US,
    UT,
}

impl Vr {
    fn code(self) -> &'static [u8; 2] {
        match self {
            Vr::AE => b"AE",
            Vr::AS => b"AS",
            Vr::CS => b"CS",
            Vr::DA => b"DA",
            Vr::DS => b"DS",
            Vr::DT => b"DT",
            Vr::FD => b"FD",
            Vr::FL => b"FL",
            Vr::IS => b"IS",
            Vr::LO => b"LO",
            Vr::LT => b"LT",
            Vr::OB => b"OB",
            Vr::OW => b"OW",
            Vr::PN => b"PN",
            Vr::SH => b"SH",
            Vr::SQ => b"SQ",
            Vr::ST => b"ST",
            Vr::TM => b"TM",
            Vr::UC => b"UC",
            Vr::UI => b"UI",
            Vr::UL => b"UL",
            Vr::US => b"US",
            Vr::UT => b"UT",
        }
    }

    /// VRs with a reserved 2 bytes and a 32-bit length in explicit VR (PS3.5 7.1.2).
    fn has_long_length(self) -> bool {
        matches!(self, Vr::OB | Vr::OW | Vr::SQ | Vr::UC | Vr::UT)
    }

    fn padding(self) -> u8 {
        match self {
            Vr::UI | Vr::OB => 0,
            _ => b' ',
        }
    }
}

const ITEM: Tag = 0xFFFE_E000;
const ITEM_DELIMITATION: Tag = 0xFFFE_E00D;
const SEQUENCE_DELIMITATION: Tag = 0xFFFE_E0DD;
const UNDEFINED_LENGTH: u32 = 0xFFFF_FFFF;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    /// A data set (the root or an item): holds the last tag written in it.
    DataSet(Option<Tag>),
    /// A sequence: only items may be opened in it.
    Sequence,
}

/// Appends one data set (without file meta) to a byte buffer. Reuse it across files with
/// [`DataSetWriter::clear`] to keep the allocation.
#[derive(Debug, Default)]
pub struct DataSetWriter {
    bytes: Vec<u8>,
    levels: Vec<Level>,
}

impl DataSetWriter {
    pub fn new() -> Self {
        DataSetWriter::with_capacity(64 * 1024)
    }

    /// A writer whose buffer starts with room for `bytes` bytes.
    pub fn with_capacity(bytes: usize) -> Self {
        DataSetWriter {
            bytes: Vec::with_capacity(bytes),
            levels: vec![Level::DataSet(None)],
        }
    }

    /// Empties the buffer (keeping its capacity) for the next data set.
    pub fn clear(&mut self) {
        self.bytes.clear();
        self.levels.clear();
        self.levels.push(Level::DataSet(None));
    }

    /// The encoded data set; complete once every sequence and item is closed.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    fn check_order(&mut self, tag: Tag) -> Result<(), WriteError> {
        match self.levels.last_mut() {
            Some(Level::DataSet(last)) => {
                if let Some(previous) = *last {
                    if tag <= previous {
                        return Err(WriteError::TagOrder { tag, previous });
                    }
                }
                *last = Some(tag);
                Ok(())
            }
            Some(Level::Sequence) => Err(WriteError::Nesting("an element inside a sequence")),
            None => Err(WriteError::Nesting("no open data set")),
        }
    }

    fn put_tag(&mut self, tag: Tag) {
        self.bytes
            .extend_from_slice(&((tag >> 16) as u16).to_le_bytes());
        self.bytes
            .extend_from_slice(&((tag & 0xFFFF) as u16).to_le_bytes());
    }

    /// Element header for a value of `length` bytes (already even).
    fn header(&mut self, tag: Tag, vr: Vr, length: usize) -> Result<(), WriteError> {
        self.check_order(tag)?;
        self.put_tag(tag);
        self.bytes.extend_from_slice(vr.code());
        if vr.has_long_length() {
            let length = u32::try_from(length).map_err(|_| WriteError::ValueTooLong {
                tag,
                vr: format!("{vr:?}"),
                length,
            })?;
            self.bytes.extend_from_slice(&[0, 0]);
            self.bytes.extend_from_slice(&length.to_le_bytes());
        } else {
            let length = u16::try_from(length).map_err(|_| WriteError::ValueTooLong {
                tag,
                vr: format!("{vr:?}"),
                length,
            })?;
            self.bytes.extend_from_slice(&length.to_le_bytes());
        }
        Ok(())
    }

    /// A text value (or several joined by `\`), padded to even length as the VR requires.
    pub fn text(&mut self, tag: Tag, vr: Vr, value: &str) -> Result<(), WriteError> {
        let padded = value.len() + value.len() % 2;
        self.header(tag, vr, padded)?;
        self.bytes.extend_from_slice(value.as_bytes());
        if value.len() % 2 == 1 {
            self.bytes.push(vr.padding());
        }
        Ok(())
    }

    /// A multi-valued text element from parts, joined by `\`.
    pub fn texts(&mut self, tag: Tag, vr: Vr, values: &[&str]) -> Result<(), WriteError> {
        self.text(tag, vr, &values.join("\\"))
    }

    /// Decimal String values (each at most 16 characters, see [`format_ds`]).
    pub fn decimals(&mut self, tag: Tag, values: &[f64]) -> Result<(), WriteError> {
        let parts: Vec<String> = values.iter().map(|v| format_ds(*v)).collect();
        let joined = parts.join("\\");
        self.text(tag, Vr::DS, &joined)
    }

    /// An Integer String value.
    pub fn integer_string(&mut self, tag: Tag, value: i64) -> Result<(), WriteError> {
        self.text(tag, Vr::IS, &value.to_string())
    }

    pub fn us(&mut self, tag: Tag, value: u16) -> Result<(), WriteError> {
        self.header(tag, Vr::US, 2)?;
        self.bytes.extend_from_slice(&value.to_le_bytes());
        Ok(())
    }

    pub fn ul(&mut self, tag: Tag, value: u32) -> Result<(), WriteError> {
        self.header(tag, Vr::UL, 4)?;
        self.bytes.extend_from_slice(&value.to_le_bytes());
        Ok(())
    }

    pub fn fd(&mut self, tag: Tag, value: f64) -> Result<(), WriteError> {
        self.header(tag, Vr::FD, 8)?;
        self.bytes.extend_from_slice(&value.to_le_bytes());
        Ok(())
    }

    pub fn fl_values(&mut self, tag: Tag, values: &[f32]) -> Result<(), WriteError> {
        self.header(tag, Vr::FL, values.len() * 4)?;
        for v in values {
            self.bytes.extend_from_slice(&v.to_le_bytes());
        }
        Ok(())
    }

    /// Raw bytes (OB), padded with a zero byte to even length.
    pub fn ob(&mut self, tag: Tag, value: &[u8]) -> Result<(), WriteError> {
        self.header(tag, Vr::OB, value.len() + value.len() % 2)?;
        self.bytes.extend_from_slice(value);
        if value.len() % 2 == 1 {
            self.bytes.push(0);
        }
        Ok(())
    }

    /// 16-bit words (OW), little endian: Pixel Data of 16-bit images.
    pub fn ow_words(&mut self, tag: Tag, words: &[u16]) -> Result<(), WriteError> {
        self.header(tag, Vr::OW, words.len() * 2)?;
        let start = self.bytes.len();
        self.bytes.resize(start + words.len() * 2, 0);
        for (target, word) in self.bytes[start..].chunks_exact_mut(2).zip(words) {
            target.copy_from_slice(&word.to_le_bytes());
        }
        Ok(())
    }

    /// An empty element (a Type 2 attribute that is known to be empty).
    pub fn empty(&mut self, tag: Tag, vr: Vr) -> Result<(), WriteError> {
        if vr == Vr::SQ {
            self.header(tag, vr, 0)
        } else {
            self.text(tag, vr, "")
        }
    }

    /// Opens a sequence of undefined length; open items with [`Self::begin_item`].
    pub fn begin_sequence(&mut self, tag: Tag) -> Result<(), WriteError> {
        self.check_order(tag)?;
        self.put_tag(tag);
        self.bytes.extend_from_slice(Vr::SQ.code());
        self.bytes.extend_from_slice(&[0, 0]);
        self.bytes
            .extend_from_slice(&UNDEFINED_LENGTH.to_le_bytes());
        self.levels.push(Level::Sequence);
        Ok(())
    }

    pub fn end_sequence(&mut self) -> Result<(), WriteError> {
        if self.levels.last() != Some(&Level::Sequence) {
            return Err(WriteError::Nesting("end_sequence without an open sequence"));
        }
        self.levels.pop();
        self.put_tag(SEQUENCE_DELIMITATION);
        self.bytes.extend_from_slice(&0u32.to_le_bytes());
        Ok(())
    }

    /// Opens an item (a nested data set) of undefined length in the open sequence.
    pub fn begin_item(&mut self) -> Result<(), WriteError> {
        if self.levels.last() != Some(&Level::Sequence) {
            return Err(WriteError::Nesting("begin_item outside a sequence"));
        }
        self.put_tag(ITEM);
        self.bytes
            .extend_from_slice(&UNDEFINED_LENGTH.to_le_bytes());
        self.levels.push(Level::DataSet(None));
        Ok(())
    }

    pub fn end_item(&mut self) -> Result<(), WriteError> {
        if !matches!(self.levels.last(), Some(Level::DataSet(_))) || self.levels.len() < 2 {
            return Err(WriteError::Nesting("end_item without an open item"));
        }
        self.levels.pop();
        self.put_tag(ITEM_DELIMITATION);
        self.bytes.extend_from_slice(&0u32.to_le_bytes());
        Ok(())
    }

    /// True when every sequence and item opened has been closed.
    pub fn is_balanced(&self) -> bool {
        self.levels.len() == 1
    }
}

/// Formats a Decimal String value in at most 16 characters: the shortest of fixed
/// notation with up to 6 decimals (trailing zeros removed) or, if that is too long,
/// scientific notation.
pub fn format_ds(value: f64) -> String {
    let mut fixed = format!("{value:.6}");
    if fixed.contains('.') {
        while fixed.ends_with('0') {
            fixed.pop();
        }
        if fixed.ends_with('.') {
            fixed.pop();
        }
    }
    if fixed == "-0" {
        fixed = "0".to_string();
    }
    if fixed.len() <= 16 {
        return fixed;
    }
    format!("{value:.8e}")
}

/// The identity of the file written into its meta group.
#[derive(Debug, Clone, Copy)]
pub struct FileMeta<'a> {
    pub sop_class_uid: &'a str,
    pub sop_instance_uid: &'a str,
    pub implementation_class_uid: &'a str,
    pub implementation_version_name: &'a str,
}

/// Writes a Part 10 file: 128-byte preamble, `DICM`, the File Meta Information group
/// (with its group length) declaring Explicit VR Little Endian, then `data_set`.
pub fn write_part10(
    out: &mut impl Write,
    meta: &FileMeta<'_>,
    data_set: &DataSetWriter,
) -> Result<(), WriteError> {
    if !data_set.is_balanced() {
        return Err(WriteError::Nesting("a sequence or item is still open"));
    }
    let mut group = DataSetWriter::with_capacity(256);
    group.ob(0x0002_0001, &[0, 1])?;
    group.text(0x0002_0002, Vr::UI, meta.sop_class_uid)?;
    group.text(0x0002_0003, Vr::UI, meta.sop_instance_uid)?;
    group.text(0x0002_0010, Vr::UI, EXPLICIT_VR_LITTLE_ENDIAN)?;
    group.text(0x0002_0012, Vr::UI, meta.implementation_class_uid)?;
    group.text(0x0002_0013, Vr::SH, meta.implementation_version_name)?;
    let mut length = DataSetWriter::with_capacity(16);
    length.ul(0x0002_0000, group.bytes().len() as u32)?;

    out.write_all(&[0u8; 128])?;
    out.write_all(b"DICM")?;
    out.write_all(length.bytes())?;
    out.write_all(group.bytes())?;
    out.write_all(data_set.bytes())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a test or a test helper gives back: a failure is the error `?` met.
    type TestResult<T = ()> = Result<T, Box<dyn std::error::Error>>;

    #[test]
    fn text_values_are_padded_to_even_length_by_vr() -> TestResult {
        let mut w = DataSetWriter::new();
        w.text(0x0008_0018, Vr::UI, "1.2.3")?;
        w.text(0x0010_0020, Vr::LO, "ABC")?;
        // (0008,0018) UI len 6 "1.2.3\0"; (0010,0020) LO len 4 "ABC ".
        assert_eq!(
            w.bytes(),
            b"\x08\x00\x18\x00UI\x06\x001.2.3\x00\x10\x00\x20\x00LO\x04\x00ABC "
        );
        Ok(())
    }

    #[test]
    fn long_vrs_have_reserved_bytes_and_32_bit_lengths() -> TestResult {
        let mut w = DataSetWriter::new();
        w.ow_words(0x7FE0_0010, &[1, 0x0203])?;
        assert_eq!(
            w.bytes(),
            b"\xE0\x7F\x10\x00OW\x00\x00\x04\x00\x00\x00\x01\x00\x03\x02"
        );
        Ok(())
    }

    #[test]
    fn sequences_use_undefined_lengths_and_delimiters() -> TestResult {
        let mut w = DataSetWriter::new();
        w.begin_sequence(0x0040_A730)?;
        w.begin_item()?;
        w.us(0x0028_0010, 7)?;
        w.end_item()?;
        w.end_sequence()?;
        assert!(w.is_balanced());
        let expected: &[u8] = b"\x40\x00\x30\xA7SQ\x00\x00\xFF\xFF\xFF\xFF\
\xFE\xFF\x00\xE0\xFF\xFF\xFF\xFF\
\x28\x00\x10\x00US\x02\x00\x07\x00\
\xFE\xFF\x0D\xE0\x00\x00\x00\x00\
\xFE\xFF\xDD\xE0\x00\x00\x00\x00";
        assert_eq!(w.bytes(), expected);
        Ok(())
    }

    #[test]
    fn descending_tags_and_bad_nesting_are_errors() -> TestResult {
        let mut w = DataSetWriter::new();
        w.us(0x0028_0011, 1)?;
        assert!(matches!(
            w.us(0x0028_0010, 1),
            Err(WriteError::TagOrder { .. })
        ));
        // Tag order restarts inside an item, and resumes after it.
        w.begin_sequence(0x0040_A730)?;
        assert!(w.us(0x0028_0010, 1).is_err());
        w.begin_item()?;
        w.us(0x0008_0001, 1)?;
        w.end_item()?;
        w.end_sequence()?;
        assert!(w.us(0x0040_A000, 1).is_err());
        assert!(w.end_item().is_err());
        assert!(w.end_sequence().is_err());
        Ok(())
    }

    #[test]
    fn short_length_overflow_is_an_error() {
        let mut w = DataSetWriter::new();
        let long = "x".repeat(70_000);
        assert!(matches!(
            w.text(0x0010_0010, Vr::LO, &long),
            Err(WriteError::ValueTooLong { .. })
        ));
    }

    #[test]
    fn decimal_strings_fit_16_characters() {
        assert_eq!(format_ds(0.703125), "0.703125");
        assert_eq!(format_ds(-1024.0), "-1024");
        assert_eq!(format_ds(35.2), "35.2");
        assert_eq!(format_ds(-0.0), "0");
        assert_eq!(format_ds(-174.6484375), "-174.648438");
        let huge = format_ds(-1.234_567_890_123e15);
        assert!(huge.len() <= 16, "{huge}");
    }

    #[test]
    fn part10_has_preamble_magic_and_correct_group_length() -> TestResult {
        let mut body = DataSetWriter::new();
        body.text(0x0008_0016, Vr::UI, "1.2.840.10008.5.1.4.1.1.2")?;
        let mut out = Vec::new();
        let meta = FileMeta {
            sop_class_uid: "1.2.840.10008.5.1.4.1.1.2",
            sop_instance_uid: "2.25.1",
            implementation_class_uid: "2.25.7",
            implementation_version_name: "TEST",
        };
        write_part10(&mut out, &meta, &body)?;
        assert_eq!(&out[128..132], b"DICM");
        // Group length element: tag (0002,0000) UL, length 4, then the value.
        assert_eq!(&out[132..140], b"\x02\x00\x00\x00UL\x04\x00");
        let group_length = u32::from_le_bytes([out[140], out[141], out[142], out[143]]) as usize;
        // By hand: (0002,0001) 8+4+2=14; (0002,0002) 8+26=34; (0002,0003) 8+6=14;
        // (0002,0010) 8+20=28; (0002,0012) 8+6=14; (0002,0013) 8+4=12 → 116.
        assert_eq!(group_length, 116);
        // The data set starts right after the meta group.
        assert_eq!(
            &out[144 + group_length..144 + group_length + 4],
            b"\x08\x00\x16\x00"
        );
        Ok(())
    }
}
