//! The header record of one DICOM instance (what `oncoread scan` indexes) and the lean
//! reader that fills it.
//!
//! Why a hand-written reader: the scan must index tens of thousands of files per second,
//! while dicom-object builds the whole in-memory tree of every file (50–500 µs each). The
//! index needs ~30 attributes, so this reader walks element headers, copies only the values
//! it needs and skips everything else without reading it (a skip past its buffer is a file
//! offset change, not a read). It stops at Pixel Data and never reads pixels. Its output
//! is checked against dicom-object and pydicom on every real fixture (see the tests).
//!
//! Handled: 128-byte preamble + `DICM`; file meta without preamble; bare data sets without
//! meta (explicit vs implicit VR sniffed as pydicom does); explicit VR big endian; deflated
//! data sets (raw deflate after the meta, via flate2); encapsulated (compressed) transfer
//! syntaxes; a wrong File Meta Information Group Length (the meta is read element by
//! element while the group is 0002); undefined-length sequences and items; UN sequences.
//!
//! Robustness: every declared length is checked against the file size before anything is
//! skipped or read, copied values are capped at [`MAX_CAPTURED_VALUE`] bytes, nesting is
//! capped at [`MAX_DEPTH`], so a truncated or garbage file gives a [`HeaderError`], never a
//! panic or an allocation sized by the file's own claims.

use flate2::read::DeflateDecoder;
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

/// One row of the index: the attributes of one instance that the pipeline needs.
/// Text values are trimmed of DICOM padding (trailing spaces / NULs); an attribute that is
/// absent or empty is `None`. Numbers that do not parse are `None`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HeaderRecord {
    /// The file as given by the walk (relative or absolute as the user named it).
    pub path: String,
    pub file_size: u64,
    /// The transfer syntax of the data set: from the file meta; for a bare data set
    /// without meta, the one detected (Implicit or Explicit VR Little Endian).
    pub transfer_syntax_uid: Option<String>,
    /// SOP Class UID (0008,0016); when the data set has none (DICOMDIR), the Media
    /// Storage SOP Class UID of the file meta.
    pub sop_class_uid: Option<String>,
    /// SOP Instance UID (0008,0018), else the Media Storage SOP Instance UID.
    pub sop_instance_uid: Option<String>,
    pub study_instance_uid: Option<String>,
    pub series_instance_uid: Option<String>,
    pub patient_id: Option<String>,
    pub patient_name: Option<String>,
    /// Patient's Birth Date (0010,0030) as recorded: with the name, what tells two
    /// patients sharing one Patient ID apart.
    #[serde(default)]
    pub patient_birth_date: Option<String>,
    /// Clinical Trial Subject ID (0012,0040): preferred over Patient ID for the subject.
    pub clinical_trial_subject_id: Option<String>,
    /// Clinical Trial Time Point ID (0012,0050).
    pub clinical_trial_time_point_id: Option<String>,
    pub clinical_trial_protocol_id: Option<String>,
    pub modality: Option<String>,
    pub study_date: Option<String>,
    pub study_time: Option<String>,
    pub series_date: Option<String>,
    pub series_time: Option<String>,
    pub acquisition_date: Option<String>,
    /// Acquisition Time (0008,0032).
    #[serde(default)]
    pub acquisition_time: Option<String>,
    pub content_date: Option<String>,
    pub content_time: Option<String>,
    pub series_number: Option<i64>,
    pub instance_number: Option<i64>,
    pub frame_of_reference_uid: Option<String>,
    /// Pixel Spacing (0028,0030) as recorded: [row spacing, column spacing] in mm. For
    /// enhanced multi-frame objects, from the Shared (else first Per-frame) Functional
    /// Groups' Pixel Measures.
    pub pixel_spacing: Option<[f64; 2]>,
    /// Slice Thickness (0018,0050): top level, else from the functional groups' Pixel
    /// Measures like Pixel Spacing.
    pub slice_thickness: Option<f64>,
    /// Spacing Between Slices (0018,0088): top level, else from Pixel Measures.
    pub spacing_between_slices: Option<f64>,
    pub rows: Option<u16>,
    pub columns: Option<u16>,
    pub number_of_frames: Option<u32>,
    /// Image Position (Patient): top level, else the first frame's Plane Position
    /// (Shared, else first Per-frame Functional Groups).
    pub image_position_patient: Option<[f64; 3]>,
    /// Image Orientation (Patient): top level, else Plane Orientation from the Shared
    /// (else first Per-frame) Functional Groups.
    pub image_orientation_patient: Option<[f64; 6]>,
}

/// Why a file could not be indexed. The messages are shown to users as problem reasons.
#[derive(Debug, thiserror::Error)]
pub enum HeaderError {
    #[error("cannot read the file: {0}")]
    Io(#[from] io::Error),
    #[error("empty file (0 bytes)")]
    Empty,
    #[error("not DICOM: no DICM magic and no plausible data set start")]
    NotDicom,
    #[error("truncated at byte {offset} in {}", describe_tag(*.tag))]
    Truncated { offset: u64, tag: Option<u32> },
    #[error("malformed at byte {offset} in {}: {reason}", describe_tag(*.tag))]
    Malformed {
        offset: u64,
        tag: Option<u32>,
        reason: &'static str,
    },
    #[error("deflate stream corrupt: {0}")]
    Deflate(String),
    /// An image (by SOP Class, or Rows and Columns) whose data set ends without Pixel
    /// Data: in practice a file cut at an element boundary.
    #[error("image without Pixel Data: the data set ends at byte {offset} (truncated?)")]
    MissingPixelData { offset: u64 },
    /// Neither the data set nor the file meta names the instance.
    #[error(
        "no SOP Instance UID (0008,0018): not a DICOM instance, or cut short at byte {offset}"
    )]
    NoInstanceUid { offset: u64 },
    /// An attribute the index needs, encoded with a binary VR where text is defined (or
    /// the reverse): its bytes cannot be read as its value.
    #[error("wrong VR at byte {offset}: {attribute} ({:04X},{:04X}) is encoded as {found}, not {expected}", .tag >> 16, .tag & 0xFFFF)]
    WrongVr {
        offset: u64,
        tag: u32,
        attribute: &'static str,
        found: String,
        expected: &'static str,
    },
}

/// Image Storage SOP Classes (PS3.4 B.5) whose IOD requires Pixel Data. RT Dose is left
/// out: its Pixel Data is conditional.
pub fn is_image_sop_class(uid: &str) -> bool {
    let Some(rest) = uid.strip_prefix("1.2.840.10008.5.1.4.1.1.") else {
        return false;
    };
    matches!(
        rest,
        "1" | "1.1" | "1.1.1" | "1.2" | "1.2.1" | "1.3" | "1.3.1" // CR, DX, MG, intra-oral
            | "2" | "2.1" | "2.2" // CT
            | "3.1" | "6.1" | "6.2" | "6.3" // US
            | "4" | "4.1" | "4.3" | "4.4" // MR
            | "7" | "7.1" | "7.2" | "7.3" | "7.4" // secondary capture
            | "12.1" | "12.1.1" | "12.2" | "12.2.1" // XA, XRF
            | "13.1.1" | "13.1.2" | "13.1.3" | "13.1.4" | "13.1.5" // 3D X-ray, tomosynthesis
            | "14.1" | "14.2" // IVOCT
            | "20" | "128" | "128.1" | "130" // NM, PET
            | "30" | "66.4" | "66.7" // parametric map, segmentation, label map
            | "77.1.1" | "77.1.1.1" | "77.1.2" | "77.1.2.1" | "77.1.3" | "77.1.4" | "77.1.4.1"
            | "77.1.5.1" | "77.1.5.2" | "77.1.5.4" | "77.1.6" | "77.1.7" // visible light
            | "481.1" // RT Image
    )
}

fn describe_tag(tag: Option<u32>) -> String {
    match tag {
        Some(t) => format!("element ({:04X},{:04X})", t >> 16, t & 0xFFFF),
        None => "an element header".to_string(),
    }
}

/// Values longer than this are skipped instead of copied (no attribute the index needs is
/// anywhere near it); keeps memory independent of what a file claims.
pub const MAX_CAPTURED_VALUE: u32 = 64 * 1024;
/// Deepest sequence nesting followed; deeper is reported as malformed (stack safety).
pub const MAX_DEPTH: usize = 64;
/// The first read of a file: covers the whole header of typical CT/MR slices in one
/// system call.
const FIRST_READ: usize = 8 * 1024;
const UNDEFINED_LENGTH: u32 = 0xFFFF_FFFF;

const fn tag(group: u16, element: u16) -> u32 {
    ((group as u32) << 16) | element as u32
}

const MEDIA_STORAGE_SOP_CLASS_UID: u32 = tag(0x0002, 0x0002);
const MEDIA_STORAGE_SOP_INSTANCE_UID: u32 = tag(0x0002, 0x0003);
const TRANSFER_SYNTAX_UID: u32 = tag(0x0002, 0x0010);
const ITEM: u32 = tag(0xFFFE, 0xE000);
const ITEM_DELIMITATION: u32 = tag(0xFFFE, 0xE00D);
const SEQUENCE_DELIMITATION: u32 = tag(0xFFFE, 0xE0DD);
/// Float Pixel Data (7FE0,0008), Double Float Pixel Data (7FE0,0009) and Pixel Data
/// (7FE0,0010) all end the header.
const FIRST_PIXEL_DATA_TAG: u32 = tag(0x7FE0, 0x0008);
const LAST_PIXEL_DATA_TAG: u32 = tag(0x7FE0, 0x0010);

pub const IMPLICIT_VR_LITTLE_ENDIAN: &str = "1.2.840.10008.1.2";
pub const EXPLICIT_VR_LITTLE_ENDIAN: &str = "1.2.840.10008.1.2.1";
pub const DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN: &str = "1.2.840.10008.1.2.1.99";
pub const EXPLICIT_VR_BIG_ENDIAN: &str = "1.2.840.10008.1.2.2";

/// Reads the header of the DICOM file at `path`, up to Pixel Data.
pub fn read_header(path: &Path) -> Result<HeaderRecord, HeaderError> {
    HeaderReader::new().read(path)
}

/// Reads the header of a DICOM file held in memory (tests, network sources).
pub fn read_header_from_bytes(bytes: &[u8]) -> Result<HeaderRecord, HeaderError> {
    let mut buffers = Buffers::default();
    let mut record = read_stream(
        SliceSource {
            data: bytes,
            pos: 0,
        },
        &mut buffers,
    )?;
    record.file_size = bytes.len() as u64;
    Ok(record)
}

/// A header reader that keeps its buffers between files: one per worker thread saves an
/// allocation per file in the scan.
#[derive(Default)]
pub struct HeaderReader {
    buffers: Buffers,
}

#[derive(Default)]
struct Buffers {
    main: Vec<u8>,
    inflated: Vec<u8>,
}

impl HeaderReader {
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads the header of the file at `path`; `record.path` is the path as given.
    pub fn read(&mut self, path: &Path) -> Result<HeaderRecord, HeaderError> {
        let file = File::open(path)?;
        let len = file.metadata()?.len();
        self.read_open(file, path, len)
    }

    /// Like [`HeaderReader::read`], with the file size the caller already has (the scan's
    /// walk): saves a `stat` per file. A file that changed size since is reported as
    /// truncated, or read as it was; either way its new size and time make the next scan
    /// read it again.
    pub fn read_with_size(&mut self, path: &Path, len: u64) -> Result<HeaderRecord, HeaderError> {
        self.read_open(File::open(path)?, path, len)
    }

    fn read_open(
        &mut self,
        file: File,
        path: &Path,
        len: u64,
    ) -> Result<HeaderRecord, HeaderError> {
        let mut record = read_stream(FileSource::new(file, len), &mut self.buffers)?;
        record.path = path.to_string_lossy().into_owned();
        record.file_size = len;
        Ok(record)
    }
}

// ---------------------------------------------------------------------------------------
// Byte sources: a plain file (positional reads, skips are offset changes), a slice, and an
// inflating wrapper for deflated data sets.

trait Source {
    fn read_some(&mut self, buf: &mut [u8]) -> Result<usize, HeaderError>;
    /// Skips up to `n` bytes; returns how many were skipped before the end of the stream.
    fn skip(&mut self, n: u64) -> Result<u64, HeaderError>;
    /// Total length of the stream, when known without reading it.
    fn total_len(&self) -> Option<u64>;
    /// The last 8 bytes of the stream, when they can be had without reading the rest.
    fn last_eight(&mut self) -> Result<Option<[u8; 8]>, HeaderError>;
}

struct FileSource {
    file: File,
    pos: u64,
    len: u64,
}

impl FileSource {
    fn new(file: File, len: u64) -> Self {
        FileSource { file, pos: 0, len }
    }
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], pos: u64) -> io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buf, pos)
}

#[cfg(not(unix))]
fn read_at(mut file: &File, buf: &mut [u8], pos: u64) -> io::Result<usize> {
    use std::io::{Seek, SeekFrom};
    file.seek(SeekFrom::Start(pos))?;
    file.read(buf)
}

impl Source for FileSource {
    fn read_some(&mut self, buf: &mut [u8]) -> Result<usize, HeaderError> {
        if self.pos >= self.len {
            return Ok(0); // the length is known: no system call to learn about the end
        }
        loop {
            match read_at(&self.file, buf, self.pos) {
                Ok(n) => {
                    self.pos += n as u64;
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e.into()),
            }
        }
    }

    fn skip(&mut self, n: u64) -> Result<u64, HeaderError> {
        let skipped = n.min(self.len.saturating_sub(self.pos));
        self.pos += skipped;
        Ok(skipped)
    }

    fn total_len(&self) -> Option<u64> {
        Some(self.len)
    }

    fn last_eight(&mut self) -> Result<Option<[u8; 8]>, HeaderError> {
        if self.len < 8 {
            return Ok(None);
        }
        let mut tail = [0u8; 8];
        let mut done = 0;
        while done < 8 {
            match read_at(&self.file, &mut tail[done..], self.len - 8 + done as u64) {
                Ok(0) => return Ok(None),
                Ok(n) => done += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(Some(tail))
    }
}

struct SliceSource<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Source for SliceSource<'_> {
    fn read_some(&mut self, buf: &mut [u8]) -> Result<usize, HeaderError> {
        let rest = &self.data[self.pos..];
        let n = rest.len().min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        self.pos += n;
        Ok(n)
    }

    fn skip(&mut self, n: u64) -> Result<u64, HeaderError> {
        let rest = (self.data.len() - self.pos) as u64;
        let skipped = n.min(rest);
        self.pos += skipped as usize;
        Ok(skipped)
    }

    fn total_len(&self) -> Option<u64> {
        Some(self.data.len() as u64)
    }

    fn last_eight(&mut self) -> Result<Option<[u8; 8]>, HeaderError> {
        Ok(self.data.len().checked_sub(8).map(|start| {
            let mut tail = [0u8; 8];
            tail.copy_from_slice(&self.data[start..]);
            tail
        }))
    }
}

/// Lets a [`Source`] feed flate2.
struct SourceReader<S>(S);

impl<S: Source> Read for SourceReader<S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0
            .read_some(buf)
            .map_err(|e| io::Error::other(e.to_string()))
    }
}

struct InflateSource<R: Read> {
    decoder: DeflateDecoder<R>,
}

fn deflate_error(e: io::Error) -> HeaderError {
    HeaderError::Deflate(e.to_string())
}

impl<R: Read> Source for InflateSource<R> {
    fn read_some(&mut self, buf: &mut [u8]) -> Result<usize, HeaderError> {
        loop {
            match self.decoder.read(buf) {
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(deflate_error(e)),
            }
        }
    }

    fn skip(&mut self, n: u64) -> Result<u64, HeaderError> {
        io::copy(&mut (&mut self.decoder).take(n), &mut io::sink()).map_err(deflate_error)
    }

    fn total_len(&self) -> Option<u64> {
        None
    }

    fn last_eight(&mut self) -> Result<Option<[u8; 8]>, HeaderError> {
        Ok(None)
    }
}

// ---------------------------------------------------------------------------------------
// Buffered input over a source.

struct Input<'b, S> {
    src: S,
    buf: &'b mut Vec<u8>,
    /// Next unread byte in `buf`.
    start: usize,
    /// End of the valid bytes in `buf`.
    end: usize,
    /// Stream offset of `buf[0]`.
    base: u64,
}

impl<'b, S: Source> Input<'b, S> {
    fn new(src: S, buf: &'b mut Vec<u8>) -> Self {
        if buf.len() < FIRST_READ {
            buf.resize(FIRST_READ, 0);
        }
        Input {
            src,
            buf,
            start: 0,
            end: 0,
            base: 0,
        }
    }

    fn offset(&self) -> u64 {
        self.base + self.start as u64
    }

    fn available(&self) -> usize {
        self.end - self.start
    }

    /// Makes at least `n` bytes available; `false` when the stream ends first.
    fn fill(&mut self, n: usize) -> Result<bool, HeaderError> {
        if self.available() >= n {
            return Ok(true);
        }
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.base += self.start as u64;
            self.end -= self.start;
            self.start = 0;
        }
        if self.buf.len() < n {
            self.buf.resize(n, 0);
        }
        while self.end < n {
            let got = self.src.read_some(&mut self.buf[self.end..])?;
            if got == 0 {
                return Ok(false);
            }
            self.end += got;
        }
        Ok(true)
    }

    /// The next `n` available bytes (call [`Input::fill`] first).
    fn peek(&self, n: usize) -> &[u8] {
        &self.buf[self.start..self.start + n]
    }

    fn consume(&mut self, n: usize) {
        self.start += n;
    }

    /// Skips `n` bytes; `false` when the stream ends first.
    fn skip(&mut self, n: u64) -> Result<bool, HeaderError> {
        let available = self.available() as u64;
        if n <= available {
            self.start += n as usize;
            return Ok(true);
        }
        let rest = n - available;
        self.base += self.end as u64;
        self.start = 0;
        self.end = 0;
        let skipped = self.src.skip(rest)?;
        self.base += skipped;
        Ok(skipped == rest)
    }

    /// Bytes left in the stream after the current offset, when the length is known.
    fn remaining(&self) -> Option<u64> {
        self.src
            .total_len()
            .map(|total| total.saturating_sub(self.offset()))
    }

    fn into_parts(self) -> (S, Vec<u8>) {
        let rest = self.buf[self.start..self.end].to_vec();
        (self.src, rest)
    }
}

// ---------------------------------------------------------------------------------------
// Encodings and element headers.

#[derive(Clone, Copy, Debug, PartialEq)]
struct Encoding {
    explicit: bool,
    big_endian: bool,
}

const EXPLICIT_LE: Encoding = Encoding {
    explicit: true,
    big_endian: false,
};
const IMPLICIT_LE: Encoding = Encoding {
    explicit: false,
    big_endian: false,
};

impl Encoding {
    fn u16(self, b: &[u8]) -> u16 {
        let bytes = [b[0], b[1]];
        if self.big_endian {
            u16::from_be_bytes(bytes)
        } else {
            u16::from_le_bytes(bytes)
        }
    }

    fn u32(self, b: &[u8]) -> u32 {
        let bytes = [b[0], b[1], b[2], b[3]];
        if self.big_endian {
            u32::from_be_bytes(bytes)
        } else {
            u32::from_le_bytes(bytes)
        }
    }
}

/// VRs whose explicit encoding has 2 reserved bytes and a 32-bit length.
fn is_long_vr(vr: [u8; 2]) -> bool {
    matches!(
        &vr,
        b"OB"
            | b"OD"
            | b"OF"
            | b"OL"
            | b"OV"
            | b"OW"
            | b"SQ"
            | b"SV"
            | b"UC"
            | b"UN"
            | b"UR"
            | b"UT"
            | b"UV"
    )
}

/// VRs with a 16-bit length (PS3.5 7.1.2).
pub(crate) fn is_short_vr(vr: [u8; 2]) -> bool {
    matches!(
        &vr,
        b"AE"
            | b"AS"
            | b"AT"
            | b"CS"
            | b"DA"
            | b"DS"
            | b"DT"
            | b"FL"
            | b"FD"
            | b"IS"
            | b"LO"
            | b"LT"
            | b"PN"
            | b"SH"
            | b"SL"
            | b"SS"
            | b"ST"
            | b"TM"
            | b"UI"
            | b"UL"
            | b"US"
    )
}

fn is_vr(vr: [u8; 2]) -> bool {
    is_short_vr(vr) || is_long_vr(vr)
}

/// No VR: implicit encoding, or an item / delimiter.
const NO_VR: [u8; 2] = [0, 0];

struct ElementHeader {
    tag: u32,
    vr: [u8; 2],
    len: u32,
}

impl ElementHeader {
    fn is_sequence_like(&self, enc: Encoding) -> bool {
        !enc.explicit || self.vr == *b"SQ" || self.vr == *b"UN"
    }
}

// ---------------------------------------------------------------------------------------
// What to do with each element, by where it is.

/// Where the parser is: which attributes it wants there.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Ctx {
    Root,
    /// An item of the Shared (5200,9229) or Per-frame (5200,9230) Functional Groups.
    FunctionalGroup,
    PixelMeasures,
    PlanePosition,
    PlaneOrientation,
    /// Structure only: nothing is wanted.
    Skip,
}

#[derive(Clone, Copy, Debug)]
enum Field {
    SpecificCharacterSet,
    SopClassUid,
    SopInstanceUid,
    StudyDate,
    SeriesDate,
    AcquisitionDate,
    ContentDate,
    StudyTime,
    SeriesTime,
    AcquisitionTime,
    ContentTime,
    Modality,
    PatientName,
    PatientId,
    PatientBirthDate,
    ClinicalTrialProtocolId,
    ClinicalTrialSubjectId,
    ClinicalTrialTimePointId,
    SliceThickness,
    SpacingBetweenSlices,
    StudyInstanceUid,
    SeriesInstanceUid,
    SeriesNumber,
    InstanceNumber,
    ImagePositionPatient,
    ImageOrientationPatient,
    FrameOfReferenceUid,
    NumberOfFrames,
    Rows,
    Columns,
    PixelSpacing,
}

impl Field {
    /// The attribute's name and its VR in the data dictionary (PS3.6).
    fn dictionary_entry(self) -> (&'static str, &'static str) {
        use Field::*;
        match self {
            SpecificCharacterSet => ("Specific Character Set", "CS"),
            SopClassUid => ("SOP Class UID", "UI"),
            SopInstanceUid => ("SOP Instance UID", "UI"),
            StudyDate => ("Study Date", "DA"),
            SeriesDate => ("Series Date", "DA"),
            AcquisitionDate => ("Acquisition Date", "DA"),
            ContentDate => ("Content Date", "DA"),
            StudyTime => ("Study Time", "TM"),
            SeriesTime => ("Series Time", "TM"),
            AcquisitionTime => ("Acquisition Time", "TM"),
            ContentTime => ("Content Time", "TM"),
            Modality => ("Modality", "CS"),
            PatientName => ("Patient's Name", "PN"),
            PatientId => ("Patient ID", "LO"),
            PatientBirthDate => ("Patient's Birth Date", "DA"),
            ClinicalTrialProtocolId => ("Clinical Trial Protocol ID", "LO"),
            ClinicalTrialSubjectId => ("Clinical Trial Subject ID", "LO"),
            ClinicalTrialTimePointId => ("Clinical Trial Time Point ID", "LO"),
            SliceThickness => ("Slice Thickness", "DS"),
            SpacingBetweenSlices => ("Spacing Between Slices", "DS"),
            StudyInstanceUid => ("Study Instance UID", "UI"),
            SeriesInstanceUid => ("Series Instance UID", "UI"),
            SeriesNumber => ("Series Number", "IS"),
            InstanceNumber => ("Instance Number", "IS"),
            ImagePositionPatient => ("Image Position (Patient)", "DS"),
            ImageOrientationPatient => ("Image Orientation (Patient)", "DS"),
            FrameOfReferenceUid => ("Frame of Reference UID", "UI"),
            NumberOfFrames => ("Number of Frames", "IS"),
            Rows => ("Rows", "US"),
            Columns => ("Columns", "US"),
            PixelSpacing => ("Pixel Spacing", "DS"),
        }
    }
}

/// VRs whose values are binary numbers, sequences or bytes, never text.
fn is_binary_vr(vr: [u8; 2]) -> bool {
    matches!(
        &vr,
        b"AT"
            | b"FL"
            | b"FD"
            | b"SL"
            | b"SS"
            | b"SV"
            | b"UL"
            | b"US"
            | b"UV"
            | b"OB"
            | b"OD"
            | b"OF"
            | b"OL"
            | b"OV"
            | b"OW"
            | b"SQ"
    )
}

/// Whether an explicit VR cannot hold `field`'s value: text read from binary bytes (or
/// the reverse) would be garbage, so the file is refused rather than indexed with it. Any
/// text VR is accepted for a text attribute (LO for SH and the like is common and
/// harmless), and UN always (its bytes are the value as the dictionary VR encodes it).
fn is_wrong_vr(field: Field, vr: [u8; 2], enc: Encoding) -> bool {
    if !enc.explicit || vr == *b"UN" || vr == NO_VR {
        return false;
    }
    let (_, expected) = field.dictionary_entry();
    let expects_binary = <[u8; 2]>::try_from(expected.as_bytes()).is_ok_and(is_binary_vr);
    expects_binary != is_binary_vr(vr)
}

enum Action {
    Skip,
    Capture(Field),
    Descend(Ctx),
}

fn action(ctx: Ctx, tag: u32) -> Action {
    use Field::*;
    let capture = Action::Capture;
    match ctx {
        Ctx::Root => match tag {
            0x0008_0005 => capture(SpecificCharacterSet),
            0x0008_0016 => capture(SopClassUid),
            0x0008_0018 => capture(SopInstanceUid),
            0x0008_0020 => capture(StudyDate),
            0x0008_0021 => capture(SeriesDate),
            0x0008_0022 => capture(AcquisitionDate),
            0x0008_0023 => capture(ContentDate),
            0x0008_0030 => capture(StudyTime),
            0x0008_0031 => capture(SeriesTime),
            0x0008_0032 => capture(AcquisitionTime),
            0x0008_0033 => capture(ContentTime),
            0x0008_0060 => capture(Modality),
            0x0010_0010 => capture(PatientName),
            0x0010_0020 => capture(PatientId),
            0x0010_0030 => capture(PatientBirthDate),
            0x0012_0020 => capture(ClinicalTrialProtocolId),
            0x0012_0040 => capture(ClinicalTrialSubjectId),
            0x0012_0050 => capture(ClinicalTrialTimePointId),
            0x0018_0050 => capture(SliceThickness),
            0x0018_0088 => capture(SpacingBetweenSlices),
            0x0020_000D => capture(StudyInstanceUid),
            0x0020_000E => capture(SeriesInstanceUid),
            0x0020_0011 => capture(SeriesNumber),
            0x0020_0013 => capture(InstanceNumber),
            0x0020_0032 => capture(ImagePositionPatient),
            0x0020_0037 => capture(ImageOrientationPatient),
            0x0020_0052 => capture(FrameOfReferenceUid),
            0x0028_0008 => capture(NumberOfFrames),
            0x0028_0010 => capture(Rows),
            0x0028_0011 => capture(Columns),
            0x0028_0030 => capture(PixelSpacing),
            0x5200_9229 | 0x5200_9230 => Action::Descend(Ctx::FunctionalGroup),
            _ => Action::Skip,
        },
        Ctx::FunctionalGroup => match tag {
            0x0028_9110 => Action::Descend(Ctx::PixelMeasures),
            0x0020_9113 => Action::Descend(Ctx::PlanePosition),
            0x0020_9116 => Action::Descend(Ctx::PlaneOrientation),
            _ => Action::Skip,
        },
        Ctx::PixelMeasures => match tag {
            0x0028_0030 => capture(PixelSpacing),
            0x0018_0050 => capture(SliceThickness),
            0x0018_0088 => capture(SpacingBetweenSlices),
            _ => Action::Skip,
        },
        Ctx::PlanePosition => match tag {
            0x0020_0032 => capture(ImagePositionPatient),
            _ => Action::Skip,
        },
        Ctx::PlaneOrientation => match tag {
            0x0020_0037 => capture(ImageOrientationPatient),
            _ => Action::Skip,
        },
        Ctx::Skip => Action::Skip,
    }
}

// ---------------------------------------------------------------------------------------
// Value decoding.

#[derive(Clone, Copy, PartialEq, Debug, Default)]
enum Charset {
    /// Default repertoire (ASCII); non-ASCII bytes are read as UTF-8 when valid, else
    /// Latin-1, so nothing is lost or fails.
    #[default]
    Default,
    Latin1,
    Utf8,
}

impl Charset {
    fn from_value(value: &[u8]) -> Charset {
        let text = String::from_utf8_lossy(value);
        let terms = text.split('\\').map(|t| t.trim());
        let mut charset = Charset::Default;
        for term in terms {
            match term {
                "ISO_IR 192" => return Charset::Utf8,
                "ISO_IR 100" | "ISO 2022 IR 100" => charset = Charset::Latin1,
                _ => {}
            }
        }
        charset
    }

    fn decode(self, bytes: &[u8]) -> String {
        match self {
            Charset::Utf8 => String::from_utf8_lossy(bytes).into_owned(),
            Charset::Latin1 => bytes.iter().map(|&b| b as char).collect(),
            Charset::Default => match std::str::from_utf8(bytes) {
                Ok(s) => s.to_owned(),
                Err(_) => bytes.iter().map(|&b| b as char).collect(),
            },
        }
    }
}

fn trim_end_padding(bytes: &[u8]) -> &[u8] {
    let end = bytes
        .iter()
        .rposition(|&b| b != b' ' && b != 0)
        .map_or(0, |i| i + 1);
    &bytes[..end]
}

fn trim_padding(bytes: &[u8]) -> &[u8] {
    let bytes = trim_end_padding(bytes);
    let start = bytes
        .iter()
        .position(|&b| b != b' ' && b != 0)
        .unwrap_or(bytes.len());
    &bytes[start..]
}

/// Text of a string value, trailing padding removed; `None` when empty.
fn text(bytes: &[u8], charset: Charset) -> Option<String> {
    let bytes = trim_end_padding(bytes);
    (!bytes.is_empty()).then(|| charset.decode(bytes))
}

/// Code strings and UIDs: ASCII by definition, padding trimmed at both ends.
fn code(bytes: &[u8]) -> Option<String> {
    let bytes = trim_padding(bytes);
    (!bytes.is_empty()).then(|| String::from_utf8_lossy(bytes).into_owned())
}

fn parse_number<T: std::str::FromStr>(value: &[u8]) -> Option<T> {
    let value = trim_padding(value);
    std::str::from_utf8(value).ok()?.parse().ok()
}

/// The first value of a DS/IS string.
fn first_number<T: std::str::FromStr>(bytes: &[u8]) -> Option<T> {
    parse_number(bytes.split(|&b| b == b'\\').next()?)
}

/// A finite decimal (DS never holds NaN or infinity; Rust's parser would accept them).
fn decimal(value: &[u8]) -> Option<f64> {
    parse_number::<f64>(value).filter(|v| v.is_finite())
}

/// The first value of a DS string.
fn first_decimal(bytes: &[u8]) -> Option<f64> {
    decimal(bytes.split(|&b| b == b'\\').next()?)
}

/// Exactly `N` decimal values, else `None`.
fn decimals<const N: usize>(bytes: &[u8]) -> Option<[f64; N]> {
    let mut out = [0.0; N];
    let mut parts = bytes.split(|&b| b == b'\\');
    for slot in out.iter_mut() {
        *slot = decimal(parts.next()?)?;
    }
    parts.next().is_none().then_some(out)
}

/// Accumulates the record while parsing.
#[derive(Default)]
struct State {
    record: HeaderRecord,
    /// The root data set reached Pixel Data (rather than its end).
    reached_pixel_data: bool,
    charset: Charset,
    media_sop_class: Option<String>,
    media_sop_instance: Option<String>,
}

fn set_once<T>(slot: &mut Option<T>, value: Option<T>) {
    if slot.is_none() {
        *slot = value;
    }
}

impl State {
    fn store(&mut self, field: Field, vr: [u8; 2], enc: Encoding, value: &[u8]) {
        let r = &mut self.record;
        let cs = self.charset;
        match field {
            Field::SpecificCharacterSet => self.charset = Charset::from_value(value),
            Field::SopClassUid => set_once(&mut r.sop_class_uid, code(value)),
            Field::SopInstanceUid => set_once(&mut r.sop_instance_uid, code(value)),
            Field::StudyDate => set_once(&mut r.study_date, code(value)),
            Field::SeriesDate => set_once(&mut r.series_date, code(value)),
            Field::AcquisitionDate => set_once(&mut r.acquisition_date, code(value)),
            Field::ContentDate => set_once(&mut r.content_date, code(value)),
            Field::StudyTime => set_once(&mut r.study_time, code(value)),
            Field::SeriesTime => set_once(&mut r.series_time, code(value)),
            Field::AcquisitionTime => set_once(&mut r.acquisition_time, code(value)),
            Field::ContentTime => set_once(&mut r.content_time, code(value)),
            Field::Modality => set_once(&mut r.modality, code(value)),
            Field::PatientName => set_once(&mut r.patient_name, text(value, cs)),
            Field::PatientId => set_once(&mut r.patient_id, text(value, cs)),
            Field::PatientBirthDate => set_once(&mut r.patient_birth_date, code(value)),
            Field::ClinicalTrialProtocolId => {
                set_once(&mut r.clinical_trial_protocol_id, text(value, cs))
            }
            Field::ClinicalTrialSubjectId => {
                set_once(&mut r.clinical_trial_subject_id, text(value, cs))
            }
            Field::ClinicalTrialTimePointId => {
                set_once(&mut r.clinical_trial_time_point_id, text(value, cs))
            }
            Field::SliceThickness => set_once(&mut r.slice_thickness, first_decimal(value)),
            Field::SpacingBetweenSlices => {
                set_once(&mut r.spacing_between_slices, first_decimal(value))
            }
            Field::StudyInstanceUid => set_once(&mut r.study_instance_uid, code(value)),
            Field::SeriesInstanceUid => set_once(&mut r.series_instance_uid, code(value)),
            Field::SeriesNumber => set_once(&mut r.series_number, first_number(value)),
            Field::InstanceNumber => set_once(&mut r.instance_number, first_number(value)),
            Field::ImagePositionPatient => {
                set_once(&mut r.image_position_patient, decimals::<3>(value))
            }
            Field::ImageOrientationPatient => {
                set_once(&mut r.image_orientation_patient, decimals::<6>(value))
            }
            Field::FrameOfReferenceUid => set_once(&mut r.frame_of_reference_uid, code(value)),
            Field::NumberOfFrames => set_once(&mut r.number_of_frames, first_number(value)),
            Field::Rows => set_once(&mut r.rows, unsigned_short(vr, enc, value)),
            Field::Columns => set_once(&mut r.columns, unsigned_short(vr, enc, value)),
            Field::PixelSpacing => set_once(&mut r.pixel_spacing, decimals::<2>(value)),
        }
    }
}

/// First value of a US element (implicit VR: US by the dictionary).
fn unsigned_short(vr: [u8; 2], enc: Encoding, value: &[u8]) -> Option<u16> {
    if enc.explicit && vr != *b"US" {
        return None;
    }
    (value.len() >= 2).then(|| enc.u16(value))
}

// ---------------------------------------------------------------------------------------
// The parser.

/// How a data set ends.
#[derive(Clone, Copy)]
enum Extent {
    /// The root data set: end of stream (or Pixel Data).
    Stream,
    /// A defined-length item ending at this stream offset.
    Until(u64),
    /// An undefined-length item ending with an Item Delimitation Item.
    Delimited,
}

struct Parser<'i, 'b, S> {
    input: &'i mut Input<'b, S>,
    state: &'i mut State,
}

impl<S: Source> Parser<'_, '_, S> {
    fn truncated(&self, tag: Option<u32>) -> HeaderError {
        HeaderError::Truncated {
            offset: self.input.base + self.input.end as u64,
            tag,
        }
    }

    fn malformed(&self, offset: u64, tag: Option<u32>, reason: &'static str) -> HeaderError {
        HeaderError::Malformed {
            offset,
            tag,
            reason,
        }
    }

    /// Reads an element (or item) header. `None` at a clean end of stream.
    fn element_header(&mut self, enc: Encoding) -> Result<Option<ElementHeader>, HeaderError> {
        if !self.input.fill(8)? {
            if self.input.available() == 0 {
                return Ok(None);
            }
            return Err(self.truncated(None));
        }
        let b = self.input.peek(8);
        let tag = tag(enc.u16(&b[0..2]), enc.u16(&b[2..4]));
        if tag >> 16 == 0xFFFE {
            // Items and delimiters: tag + 32-bit length in every encoding.
            let len = enc.u32(&b[4..8]);
            self.input.consume(8);
            return Ok(Some(ElementHeader {
                tag,
                vr: NO_VR,
                len,
            }));
        }
        if !enc.explicit {
            let len = enc.u32(&b[4..8]);
            self.input.consume(8);
            return Ok(Some(ElementHeader {
                tag,
                vr: NO_VR,
                len,
            }));
        }
        let vr = [b[4], b[5]];
        if is_short_vr(vr) {
            let len = u32::from(enc.u16(&b[6..8]));
            self.input.consume(8);
            Ok(Some(ElementHeader { tag, vr, len }))
        } else if is_long_vr(vr) {
            if !self.input.fill(12)? {
                return Err(self.truncated(Some(tag)));
            }
            let len = enc.u32(&self.input.peek(12)[8..12]);
            self.input.consume(12);
            Ok(Some(ElementHeader { tag, vr, len }))
        } else {
            Err(self.malformed(self.input.offset(), Some(tag), "invalid VR"))
        }
    }

    fn skip_value(&mut self, header: &ElementHeader) -> Result<(), HeaderError> {
        if self.input.skip(u64::from(header.len))? {
            Ok(())
        } else {
            Err(self.truncated(Some(header.tag)))
        }
    }

    /// Reads the file meta group element by element while the group is 0002 (the group
    /// length is not trusted: some writers get it wrong). Returns the transfer syntax.
    fn meta(&mut self) -> Result<Option<String>, HeaderError> {
        let mut transfer_syntax = None;
        loop {
            if !self.input.fill(2)? {
                break;
            }
            if u16::from_le_bytes([self.input.peek(2)[0], self.input.peek(2)[1]]) != 0x0002 {
                break;
            }
            let Some(header) = self.element_header(EXPLICIT_LE)? else {
                break;
            };
            if header.len == UNDEFINED_LENGTH {
                return Err(self.malformed(
                    self.input.offset(),
                    Some(header.tag),
                    "undefined length in the file meta",
                ));
            }
            let wanted = matches!(
                header.tag,
                TRANSFER_SYNTAX_UID | MEDIA_STORAGE_SOP_CLASS_UID | MEDIA_STORAGE_SOP_INSTANCE_UID
            );
            if !wanted || header.len > MAX_CAPTURED_VALUE {
                self.skip_value(&header)?;
                continue;
            }
            let len = header.len as usize;
            if !self.input.fill(len)? {
                return Err(self.truncated(Some(header.tag)));
            }
            let value = code(self.input.peek(len));
            self.input.consume(len);
            match header.tag {
                TRANSFER_SYNTAX_UID => transfer_syntax = value,
                MEDIA_STORAGE_SOP_CLASS_UID => self.state.media_sop_class = value,
                _ => self.state.media_sop_instance = value,
            }
        }
        Ok(transfer_syntax)
    }

    /// Parses a data set: the root (up to Pixel Data) or an item.
    fn dataset(
        &mut self,
        enc: Encoding,
        ctx: Ctx,
        extent: Extent,
        depth: usize,
    ) -> Result<(), HeaderError> {
        if depth > MAX_DEPTH {
            return Err(self.malformed(self.input.offset(), None, "sequences nested too deep"));
        }
        loop {
            if let Extent::Until(end) = extent {
                let offset = self.input.offset();
                if offset == end {
                    return Ok(());
                }
                if offset > end {
                    return Err(self.malformed(offset, None, "element runs past its item"));
                }
            }
            let start = self.input.offset();
            let Some(header) = self.element_header(enc)? else {
                return match extent {
                    Extent::Stream => Ok(()),
                    _ => Err(self.truncated(None)),
                };
            };
            match header.tag {
                ITEM_DELIMITATION => {
                    return match extent {
                        Extent::Delimited => Ok(()),
                        _ => Err(self.malformed(start, Some(header.tag), "unexpected delimiter")),
                    };
                }
                t if t >> 16 == 0xFFFE => {
                    return Err(self.malformed(start, Some(t), "item tag inside a data set"));
                }
                t if ctx == Ctx::Root
                    && (FIRST_PIXEL_DATA_TAG..=LAST_PIXEL_DATA_TAG).contains(&t) =>
                {
                    return self.pixel_data(enc, &header, depth);
                }
                _ => {}
            }
            if header.len == UNDEFINED_LENGTH {
                // A sequence (SQ, UN or any undefined length in implicit VR) or encapsulated
                // data: items up to a Sequence Delimitation Item.
                let child = match action(ctx, header.tag) {
                    Action::Descend(child) if header.is_sequence_like(enc) => child,
                    _ => Ctx::Skip,
                };
                let item_enc = if header.vr == *b"UN" {
                    IMPLICIT_LE
                } else {
                    enc
                };
                self.sequence(item_enc, child, None, depth + 1)?;
                continue;
            }
            if let Some(remaining) = self.input.remaining() {
                if u64::from(header.len) > remaining {
                    return Err(HeaderError::Truncated {
                        offset: self.input.offset() + remaining,
                        tag: Some(header.tag),
                    });
                }
            }
            match action(ctx, header.tag) {
                Action::Capture(field) if is_wrong_vr(field, header.vr, enc) => {
                    let (attribute, expected) = field.dictionary_entry();
                    return Err(HeaderError::WrongVr {
                        offset: start,
                        tag: header.tag,
                        attribute,
                        found: String::from_utf8_lossy(&header.vr).into_owned(),
                        expected,
                    });
                }
                Action::Capture(field) if header.len <= MAX_CAPTURED_VALUE => {
                    let len = header.len as usize;
                    if !self.input.fill(len)? {
                        return Err(self.truncated(Some(header.tag)));
                    }
                    self.state
                        .store(field, header.vr, enc, self.input.peek(len));
                    self.input.consume(len);
                }
                Action::Descend(child) if header.is_sequence_like(enc) => {
                    let item_enc = if header.vr == *b"UN" {
                        IMPLICIT_LE
                    } else {
                        enc
                    };
                    let end = self.input.offset() + u64::from(header.len);
                    self.sequence(item_enc, child, Some(end), depth + 1)?;
                }
                _ => self.skip_value(&header)?,
            }
        }
    }

    /// Parses the items of a sequence; only the first item is read in context `child`
    /// (the first frame of the functional groups), later ones are skipped.
    fn sequence(
        &mut self,
        enc: Encoding,
        child: Ctx,
        end: Option<u64>,
        depth: usize,
    ) -> Result<(), HeaderError> {
        if depth > MAX_DEPTH {
            return Err(self.malformed(self.input.offset(), None, "sequences nested too deep"));
        }
        let mut first = true;
        loop {
            if let Some(end) = end {
                let offset = self.input.offset();
                if offset == end {
                    return Ok(());
                }
                if offset > end {
                    return Err(self.malformed(offset, None, "item runs past its sequence"));
                }
                if !first || child == Ctx::Skip {
                    // Nothing more is wanted here: jump to the end of the sequence.
                    return if self.input.skip(end - offset)? {
                        Ok(())
                    } else {
                        Err(self.truncated(None))
                    };
                }
            }
            let start = self.input.offset();
            let Some(header) = self.element_header(enc)? else {
                return Err(self.truncated(None));
            };
            match header.tag {
                SEQUENCE_DELIMITATION if end.is_none() => return Ok(()),
                ITEM => {}
                t => return Err(self.malformed(start, Some(t), "expected an item")),
            }
            let ctx = if first { child } else { Ctx::Skip };
            first = false;
            if header.len == UNDEFINED_LENGTH {
                self.dataset(enc, ctx, Extent::Delimited, depth + 1)?;
            } else if ctx == Ctx::Skip {
                self.skip_value(&header)?;
            } else {
                let item_end = self.input.offset() + u64::from(header.len);
                if let Some(remaining) = self.input.remaining() {
                    if u64::from(header.len) > remaining {
                        return Err(self.truncated(Some(ITEM)));
                    }
                }
                self.dataset(enc, ctx, Extent::Until(item_end), depth + 1)?;
            }
        }
    }

    /// Pixel Data ends the header. Its declared length is still checked against the file
    /// size (a cut-off file must not be indexed as whole); for encapsulated data the file
    /// must end with a Sequence Delimitation Item, else the fragments are walked.
    fn pixel_data(
        &mut self,
        enc: Encoding,
        header: &ElementHeader,
        depth: usize,
    ) -> Result<(), HeaderError> {
        self.state.reached_pixel_data = true;
        let Some(remaining) = self.input.remaining() else {
            // Deflated: a cut stream inflates to a clean-looking end, so the only way to
            // know the file is whole is to inflate through Pixel Data (streamed, fixed
            // buffer). Deflated files are rare; this is their price.
            if header.len == UNDEFINED_LENGTH {
                self.sequence(enc, Ctx::Skip, None, depth + 1)?;
            } else {
                self.skip_value(header)?;
            }
            return self.dataset(enc, Ctx::Skip, Extent::Stream, depth);
        };
        if header.len != UNDEFINED_LENGTH {
            let len = u64::from(header.len);
            if len > remaining {
                return Err(HeaderError::Truncated {
                    offset: self.input.offset() + remaining,
                    tag: Some(header.tag),
                });
            }
            if len == remaining {
                return Ok(()); // Pixel Data ends the file: the usual case, nothing to read
            }
            // Trailing elements (Data Set Trailing Padding): check they are whole too.
            self.skip_value(header)?;
            return self.dataset(enc, Ctx::Skip, Extent::Stream, depth);
        }
        let delimiter_ok = |tail: &[u8]| {
            tail.len() == 8
                && enc.u16(&tail[0..2]) == 0xFFFE
                && enc.u16(&tail[2..4]) == 0xE0DD
                && tail[4..8] == [0, 0, 0, 0]
        };
        let tail = if remaining <= self.input.available() as u64 {
            let available = self.input.available();
            let all = self.input.peek(available);
            all.get(all.len().saturating_sub(8)..).map(<[u8]>::to_vec)
        } else {
            self.input.src.last_eight()?.map(|t| t.to_vec())
        };
        if tail.as_deref().is_some_and(delimiter_ok) {
            return Ok(());
        }
        // Trailing elements or a broken file: walk the fragments, then what follows.
        self.sequence(enc, Ctx::Skip, None, depth + 1)
            .map_err(|e| match e {
                HeaderError::Truncated { offset, .. } => HeaderError::Truncated {
                    offset,
                    tag: Some(header.tag),
                },
                other => other,
            })?;
        self.dataset(enc, Ctx::Skip, Extent::Stream, depth)
    }
}

/// Where the data set starts, and in which encoding.
enum Layout {
    /// File meta at this offset (after the preamble and/or `DICM`).
    Meta(usize),
    /// A bare data set at offset 0, in this encoding.
    Bare(Encoding),
}

/// Explicit if bytes 4–5 of the first element are a known VR (pydicom's rule).
fn sniff_encoding(first: &[u8]) -> Encoding {
    if first.len() >= 6 && is_vr([first[4], first[5]]) {
        EXPLICIT_LE
    } else {
        IMPLICIT_LE
    }
}

fn detect_layout(head: &[u8]) -> Option<Layout> {
    if head.len() >= 132 && &head[128..132] == b"DICM" {
        return Some(Layout::Meta(132));
    }
    if head.len() >= 4 && &head[0..4] == b"DICM" {
        return Some(Layout::Meta(4));
    }
    if head.len() < 8 {
        return None;
    }
    let group = u16::from_le_bytes([head[0], head[1]]);
    if group == 0x0002 && is_vr([head[4], head[5]]) {
        return Some(Layout::Meta(0));
    }
    // A bare data set starts with a low, even group (0008 in practice).
    if group & 1 != 0 || !(0x0002..=0x0010).contains(&group) {
        return None;
    }
    let enc = sniff_encoding(head);
    if !enc.explicit {
        let len = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
        if len != UNDEFINED_LENGTH && len > 0x0100_0000 {
            return None;
        }
    }
    Some(Layout::Bare(enc))
}

fn encoding_of(transfer_syntax: &str) -> Option<Encoding> {
    match transfer_syntax {
        IMPLICIT_VR_LITTLE_ENDIAN => Some(IMPLICIT_LE),
        EXPLICIT_VR_BIG_ENDIAN => Some(Encoding {
            explicit: true,
            big_endian: true,
        }),
        // Explicit LE, deflated, and every encapsulated (compressed) syntax.
        _ if transfer_syntax.starts_with("1.2.840.10008.1.2.") => Some(EXPLICIT_LE),
        _ => None,
    }
}

fn read_stream<S: Source>(src: S, buffers: &mut Buffers) -> Result<HeaderRecord, HeaderError> {
    let mut input = Input::new(src, &mut buffers.main);
    let mut state = State::default();
    if !input.fill(1)? {
        return Err(HeaderError::Empty);
    }
    input.fill(132)?;
    let head = input.peek(input.available().min(132));
    let layout = detect_layout(head).ok_or(HeaderError::NotDicom)?;

    let (enc, deflated) = match layout {
        Layout::Bare(enc) => {
            state.record.transfer_syntax_uid = Some(
                if enc.explicit {
                    EXPLICIT_VR_LITTLE_ENDIAN
                } else {
                    IMPLICIT_VR_LITTLE_ENDIAN
                }
                .to_string(),
            );
            (enc, false)
        }
        Layout::Meta(offset) => {
            input.consume(offset);
            let ts = Parser {
                input: &mut input,
                state: &mut state,
            }
            .meta()?;
            let deflated = ts.as_deref() == Some(DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN);
            let declared = ts.as_deref().and_then(encoding_of);
            state.record.transfer_syntax_uid = ts;
            let enc = match declared {
                Some(enc) if enc.big_endian || deflated => enc,
                // Little endian: trust the bytes over the declaration, as pydicom does.
                _ => {
                    input.fill(8)?;
                    let first = input.peek(input.available().min(8));
                    if first.len() < 8 {
                        declared.unwrap_or(EXPLICIT_LE)
                    } else {
                        sniff_encoding(first)
                    }
                }
            };
            (enc, deflated)
        }
    };

    let end = if deflated {
        let (src, rest) = input.into_parts();
        let compressed = io::Cursor::new(rest).chain(SourceReader(src));
        let source = InflateSource {
            decoder: DeflateDecoder::new(compressed),
        };
        let mut inflated = Input::new(source, &mut buffers.inflated);
        Parser {
            input: &mut inflated,
            state: &mut state,
        }
        .dataset(enc, Ctx::Root, Extent::Stream, 0)?;
        inflated.offset()
    } else {
        Parser {
            input: &mut input,
            state: &mut state,
        }
        .dataset(enc, Ctx::Root, Extent::Stream, 0)?;
        input.offset()
    };

    let mut record = state.record;
    set_once(&mut record.sop_class_uid, state.media_sop_class);
    set_once(&mut record.sop_instance_uid, state.media_sop_instance);
    // A cut at an element boundary leaves a well-formed but incomplete data set: catch
    // what can be caught from what the object says it is.
    let is_image = (record.rows.is_some() && record.columns.is_some())
        || record
            .sop_class_uid
            .as_deref()
            .is_some_and(is_image_sop_class);
    if is_image && !state.reached_pixel_data {
        return Err(HeaderError::MissingPixelData { offset: end });
    }
    if record.sop_instance_uid.is_none() {
        return Err(HeaderError::NoInstanceUid { offset: end });
    }
    Ok(record)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a test or a test helper gives back: a failure is the error `?` met.
    type TestResult<T = ()> = Result<T, Box<dyn std::error::Error>>;

    fn explicit_element(out: &mut Vec<u8>, group: u16, element: u16, vr: &[u8; 2], value: &[u8]) {
        out.extend_from_slice(&group.to_le_bytes());
        out.extend_from_slice(&element.to_le_bytes());
        out.extend_from_slice(vr);
        if is_long_vr(*vr) {
            out.extend_from_slice(&[0, 0]);
            out.extend_from_slice(&(value.len() as u32).to_le_bytes());
        } else {
            out.extend_from_slice(&(value.len() as u16).to_le_bytes());
        }
        out.extend_from_slice(value);
    }

    fn with_meta(ts: &str, dataset: &[u8]) -> Vec<u8> {
        let mut out = vec![0u8; 128];
        out.extend_from_slice(b"DICM");
        let mut ts_value = ts.as_bytes().to_vec();
        if ts_value.len() % 2 == 1 {
            ts_value.push(0);
        }
        // Deliberately wrong group length: the reader must not rely on it.
        explicit_element(&mut out, 0x0002, 0x0000, b"UL", &999u32.to_le_bytes());
        explicit_element(&mut out, 0x0002, 0x0003, b"UI", b"9.8.7.6\0");
        explicit_element(&mut out, 0x0002, 0x0010, b"UI", &ts_value);
        out.extend_from_slice(dataset);
        out
    }

    #[test]
    fn reads_explicit_le_and_trims_padding() -> TestResult {
        let mut ds = Vec::new();
        explicit_element(&mut ds, 0x0008, 0x0018, b"UI", b"1.2.3\0");
        explicit_element(&mut ds, 0x0008, 0x0060, b"CS", b"CT");
        explicit_element(&mut ds, 0x0010, 0x0010, b"PN", b"Doe^John ");
        explicit_element(&mut ds, 0x0028, 0x0010, b"US", &512u16.to_le_bytes());
        explicit_element(&mut ds, 0x0028, 0x0030, b"DS", b"0.5\\0.25");
        explicit_element(&mut ds, 0x7FE0, 0x0010, b"OW", &[0u8; 4]);
        let record = read_header_from_bytes(&with_meta(EXPLICIT_VR_LITTLE_ENDIAN, &ds))?;
        assert_eq!(record.sop_instance_uid.as_deref(), Some("1.2.3"));
        assert_eq!(record.modality.as_deref(), Some("CT"));
        assert_eq!(record.patient_name.as_deref(), Some("Doe^John"));
        assert_eq!(record.rows, Some(512));
        assert_eq!(record.pixel_spacing, Some([0.5, 0.25]));
        assert_eq!(
            record.transfer_syntax_uid.as_deref(),
            Some(EXPLICIT_VR_LITTLE_ENDIAN)
        );
        Ok(())
    }

    #[test]
    fn birth_date_is_read_and_a_binary_vr_on_a_text_attribute_is_refused() -> TestResult {
        let mut ds = Vec::new();
        explicit_element(&mut ds, 0x0008, 0x0018, b"UI", b"1.2.3\0");
        explicit_element(&mut ds, 0x0010, 0x0030, b"DA", b"19600229");
        let record = read_header_from_bytes(&with_meta(EXPLICIT_VR_LITTLE_ENDIAN, &ds))?;
        assert_eq!(record.patient_birth_date.as_deref(), Some("19600229"));

        // Study Date as US (PS3.6: DA): its two bytes are no date. It starts at byte
        // 128 + 4 (DICM) + 12 + 16 + 28 (meta: UL, 8-byte UI, 20-byte UI) + 14 (SOP UID) = 202.
        let mut ds = Vec::new();
        explicit_element(&mut ds, 0x0008, 0x0018, b"UI", b"1.2.3\0");
        explicit_element(&mut ds, 0x0008, 0x0020, b"US", &2023u16.to_le_bytes());
        let error = read_header_from_bytes(&with_meta(EXPLICIT_VR_LITTLE_ENDIAN, &ds))
            .err()
            .ok_or("Study Date encoded as US should be rejected")?;
        assert_eq!(
            error.to_string(),
            "wrong VR at byte 202: Study Date (0008,0020) is encoded as US, not DA"
        );
        // A text VR other than the dictionary's (LO for SH and the like) and UN are read.
        let mut ds = Vec::new();
        explicit_element(&mut ds, 0x0008, 0x0018, b"UI", b"1.2.3\0");
        explicit_element(&mut ds, 0x0008, 0x0020, b"LO", b"20230101");
        explicit_element(&mut ds, 0x0010, 0x0020, b"UN", b"P-7 ");
        let record = read_header_from_bytes(&with_meta(EXPLICIT_VR_LITTLE_ENDIAN, &ds))?;
        assert_eq!(record.study_date.as_deref(), Some("20230101"));
        assert_eq!(record.patient_id.as_deref(), Some("P-7"));
        Ok(())
    }

    #[test]
    fn truncated_pixel_data_is_an_error() -> TestResult {
        let mut ds = Vec::new();
        explicit_element(&mut ds, 0x0008, 0x0060, b"CS", b"CT");
        explicit_element(&mut ds, 0x7FE0, 0x0010, b"OW", &[0u8; 64]);
        let mut bytes = with_meta(EXPLICIT_VR_LITTLE_ENDIAN, &ds);
        bytes.truncate(bytes.len() - 10);
        let error = read_header_from_bytes(&bytes)
            .err()
            .ok_or("truncated Pixel Data should be rejected")?;
        assert!(
            error.to_string().contains("(7FE0,0010)"),
            "unexpected: {error}"
        );
        Ok(())
    }

    #[test]
    fn huge_declared_length_is_truncation_not_allocation() -> TestResult {
        let mut ds = Vec::new();
        explicit_element(&mut ds, 0x0008, 0x0060, b"CS", b"CT");
        ds.extend_from_slice(&[0x10, 0x00, 0x10, 0x00, b'U', b'T', 0, 0]);
        ds.extend_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
        ds.extend_from_slice(b"short");
        let error = read_header_from_bytes(&with_meta(EXPLICIT_VR_LITTLE_ENDIAN, &ds))
            .err()
            .ok_or("a header with a huge declared length should be rejected")?;
        assert!(matches!(error, HeaderError::Truncated { .. }), "{error}");
        Ok(())
    }

    #[test]
    fn image_cut_before_pixel_data_is_a_problem() -> TestResult {
        let mut ds = Vec::new();
        explicit_element(&mut ds, 0x0028, 0x0010, b"US", &16u16.to_le_bytes());
        explicit_element(&mut ds, 0x0028, 0x0011, b"US", &16u16.to_le_bytes());
        let error = read_header_from_bytes(&with_meta(EXPLICIT_VR_LITTLE_ENDIAN, &ds))
            .err()
            .ok_or("an image without Pixel Data should be rejected")?;
        assert!(
            matches!(error, HeaderError::MissingPixelData { .. }),
            "{error}"
        );
        Ok(())
    }

    #[test]
    fn dicomdir_takes_its_sop_class_from_the_meta() -> TestResult {
        let mut out = vec![0u8; 128];
        out.extend_from_slice(b"DICM");
        explicit_element(&mut out, 0x0002, 0x0002, b"UI", b"1.2.840.10008.1.3.10");
        explicit_element(&mut out, 0x0002, 0x0003, b"UI", b"1.2.3.4\0");
        explicit_element(&mut out, 0x0002, 0x0010, b"UI", b"1.2.840.10008.1.2.1\0");
        explicit_element(&mut out, 0x0004, 0x1130, b"CS", b"ARCHIVE ");
        explicit_element(&mut out, 0x0004, 0x1220, b"SQ", &[]);
        let record = read_header_from_bytes(&out)?;
        assert_eq!(
            record.sop_class_uid.as_deref(),
            Some("1.2.840.10008.1.3.10")
        );
        assert_eq!(record.sop_instance_uid.as_deref(), Some("1.2.3.4"));
        Ok(())
    }

    #[test]
    fn text_is_not_dicom_and_empty_is_empty() {
        assert!(matches!(
            read_header_from_bytes(b"hello, this is not an image\n"),
            Err(HeaderError::NotDicom)
        ));
        assert!(matches!(
            read_header_from_bytes(b""),
            Err(HeaderError::Empty)
        ));
    }

    #[test]
    fn latin1_and_utf8_names() -> TestResult {
        for (charset, name, expected) in [
            (&b"ISO_IR 100"[..], &b"M\xfcller"[..], "Müller"),
            (&b"ISO_IR 192"[..], "Müller".as_bytes(), "Müller"),
            (&b""[..], &b"M\xfcller"[..], "Müller"),
            (&b"ISO_IR 192"[..], &b"M\xfcller"[..], "M\u{FFFD}ller"),
        ] {
            let mut ds = Vec::new();
            explicit_element(&mut ds, 0x0008, 0x0005, b"CS", charset);
            explicit_element(&mut ds, 0x0010, 0x0010, b"PN", name);
            let record = read_header_from_bytes(&with_meta(EXPLICIT_VR_LITTLE_ENDIAN, &ds))?;
            assert_eq!(record.patient_name.as_deref(), Some(expected));
        }
        Ok(())
    }

    #[test]
    fn deeply_nested_sequences_are_refused_without_overflow() -> TestResult {
        let mut ds = Vec::new();
        for _ in 0..(MAX_DEPTH * 2) {
            ds.extend_from_slice(&[
                0x09, 0x00, 0x10, 0x00, b'S', b'Q', 0, 0, 0xFF, 0xFF, 0xFF, 0xFF,
            ]);
            ds.extend_from_slice(&[0xFE, 0xFF, 0x00, 0xE0, 0xFF, 0xFF, 0xFF, 0xFF]);
        }
        let error = read_header_from_bytes(&with_meta(EXPLICIT_VR_LITTLE_ENDIAN, &ds))
            .err()
            .ok_or("sequences nested past MAX_DEPTH should be rejected")?;
        assert!(matches!(error, HeaderError::Malformed { .. }), "{error}");
        Ok(())
    }

    #[test]
    fn every_truncation_and_byte_flip_is_handled() -> TestResult {
        // A small but complete header: every prefix and many single-byte corruptions must
        // give a record or an error, never a panic.
        let mut item = Vec::new();
        explicit_element(&mut item, 0x0028, 0x0030, b"DS", b"0.7\\0.7");
        let mut measures = Vec::new();
        explicit_element(&mut measures, 0x0028, 0x9110, b"SQ", &{
            let mut seq = vec![0xFE, 0xFF, 0x00, 0xE0];
            seq.extend_from_slice(&(item.len() as u32).to_le_bytes());
            seq.extend_from_slice(&item);
            seq
        });
        let mut ds = Vec::new();
        explicit_element(&mut ds, 0x0008, 0x0060, b"CS", b"MR");
        ds.extend_from_slice(&[
            0x00, 0x52, 0x29, 0x92, b'S', b'Q', 0, 0, 0xFF, 0xFF, 0xFF, 0xFF,
        ]);
        ds.extend_from_slice(&[0xFE, 0xFF, 0x00, 0xE0, 0xFF, 0xFF, 0xFF, 0xFF]);
        ds.extend_from_slice(&measures);
        ds.extend_from_slice(&[0xFE, 0xFF, 0x0D, 0xE0, 0, 0, 0, 0]);
        ds.extend_from_slice(&[0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0]);
        explicit_element(&mut ds, 0x7FE0, 0x0010, b"OW", &[0u8; 16]);
        let bytes = with_meta(EXPLICIT_VR_LITTLE_ENDIAN, &ds);
        let record = read_header_from_bytes(&bytes)?;
        assert_eq!(record.pixel_spacing, Some([0.7, 0.7]));
        for cut in 0..bytes.len() {
            let _ = read_header_from_bytes(&bytes[..cut]);
        }
        for at in 0..bytes.len() {
            for value in [0x00, 0xFF, 0x7F, 0x80] {
                let mut corrupt = bytes.clone();
                corrupt[at] = value;
                let _ = read_header_from_bytes(&corrupt);
            }
        }
        Ok(())
    }
}
