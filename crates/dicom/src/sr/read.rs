//! [`read_sr`]: open a file, decide whether it is an SR, and read it.

use std::io::Read;
use std::path::Path;

use dicom_dictionary_std::tags;
use dicom_object::file::ReadPreamble;
use dicom_object::{FileDicomObject, InMemDicomObject, OpenFileOptions, ReadError};
use dicom_transfer_syntax_registry::entries::{
    EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN,
};

use super::bounds::{check_bare_data_set, check_declared_lengths, Refusal};
use super::tree::string;
use super::{document, groups, SrDocument, SrError};
use crate::limits::{LimitExceeded, LimitKey, Limits};

/// Every standard SR storage class shares this prefix (PS3.4 B.5).
const SR_CLASS_PREFIX: &str = "1.2.840.10008.5.1.4.1.1.88.";

/// Reads one SR file within the default [`Limits`] (see [`read_sr_within`]).
///
/// # Errors
///
/// As [`read_sr_within`].
pub fn read_sr(path: &Path) -> Result<SrDocument, SrError> {
    read_sr_within(path, &Limits::default())
}

/// Reads one SR file, refusing it when it goes past `limits`.
///
/// Errors only when the file is not readable DICOM, is not a structured report, or goes
/// past a limit. An SR that cannot hold measurements (Basic Text SR, Key Object
/// Selection, other SR classes) or that is not a TID 1500 Measurement Report comes back
/// with `is_tid1500 = false` and `not_tid1500_reason`, its header attributes filled and no
/// groups.
///
/// # Errors
///
/// [`SrError::Unreadable`] when the file cannot be opened or parsed as DICOM (Part 10, or
/// a bare little-endian data set); [`SrError::NotSr`] when it is DICOM but not a
/// structured report; [`SrError::LimitExceeded`] when it is larger, deeper or holds more
/// content items than `limits` allow. All name the file.
pub fn read_sr_within(path: &Path, limits: &Limits) -> Result<SrDocument, SrError> {
    let shown = path.display().to_string();
    let unreadable = |error: std::io::Error| SrError::Unreadable {
        path: shown.clone(),
        reason: error.to_string(),
    };
    // Refused before it is read: the whole file is held in memory.
    let size = std::fs::metadata(path).map_err(unreadable)?.len();
    check_file_size(size, limits, &shown)?;
    let bytes = std::fs::read(path).map_err(unreadable)?;
    read_sr_from_bytes_within(&bytes, &shown, limits)
}

/// Reads one SR held in memory (network sources, fuzzing) within the default [`Limits`];
/// `shown` names it in errors.
///
/// # Errors
///
/// As [`read_sr_within`].
pub fn read_sr_from_bytes(bytes: &[u8], shown: &str) -> Result<SrDocument, SrError> {
    read_sr_from_bytes_within(bytes, shown, &Limits::default())
}

/// Reads one SR held in memory within `limits`; `shown` names it in errors.
///
/// # Errors
///
/// As [`read_sr_within`].
pub fn read_sr_from_bytes_within(
    bytes: &[u8],
    shown: &str,
    limits: &Limits,
) -> Result<SrDocument, SrError> {
    check_file_size(bytes.len() as u64, limits, shown)?;
    // Lengths, nesting and content items first: the tree parser trusts them (see `bounds`).
    check_declared_lengths(bytes, limits).map_err(|refusal| match refusal {
        Refusal::Malformed(reason) => SrError::Unreadable {
            path: shown.to_string(),
            reason,
        },
        Refusal::Limit(exceeded) => SrError::LimitExceeded {
            path: shown.to_string(),
            exceeded,
        },
    })?;
    let opened = open_bytes(bytes, limits).map_err(|reason| SrError::Unreadable {
        path: shown.to_string(),
        reason,
    })?;
    let mut doc = read_opened(opened, shown.to_string())?;
    identity_as_indexed(bytes, &mut doc);
    Ok(doc)
}

/// Replaces the identifying values with the index's decoding of the same bytes (the
/// header reader's), so a report and the index agree on its subject, and a value whose
/// bytes are not valid in the declared character set comes out with U+FFFD (as pydicom
/// gives it) where dicom-rs writes octal escapes such as `\303`, whose backslash is
/// DICOM's value separator. Bytes without a Specific Character Set read as UTF-8 when
/// valid, else as Latin-1 (see `header`). A file the header reader refuses keeps the
/// tree's values.
fn identity_as_indexed(bytes: &[u8], doc: &mut SrDocument) {
    let Ok(record) = crate::header::read_header_from_bytes(bytes) else {
        return;
    };
    let slots = [
        (&mut doc.patient_id, record.patient_id),
        (&mut doc.patient_name, record.patient_name),
        (
            &mut doc.clinical_trial_subject_id,
            record.clinical_trial_subject_id,
        ),
        (
            &mut doc.clinical_trial_time_point_id,
            record.clinical_trial_time_point_id,
        ),
        (
            &mut doc.clinical_trial_protocol_id,
            record.clinical_trial_protocol_id,
        ),
    ];
    for (slot, indexed) in slots {
        // Trimmed as the tree's values are (`tree::string`).
        let indexed = indexed
            .map(|v| {
                v.trim_matches(|c: char| c.is_whitespace() || c == '\0')
                    .to_string()
            })
            .filter(|v| !v.is_empty());
        if indexed.is_some() {
            *slot = indexed;
        }
    }
}

fn check_file_size(size: u64, limits: &Limits, shown: &str) -> Result<(), SrError> {
    if size <= limits.max_sr_file_bytes {
        return Ok(());
    }
    Err(SrError::LimitExceeded {
        path: shown.to_string(),
        exceeded: LimitExceeded {
            key: LimitKey::MaxSrFileBytes,
            allowed: limits.max_sr_file_bytes,
            found: size,
            what: "bytes in the file",
            at_byte: None,
            element: None,
        },
    })
}

fn read_opened(
    (root, meta_sop_class): (InMemDicomObject, Option<String>),
    shown: String,
) -> Result<SrDocument, SrError> {
    let sop_class_uid = string(&root, tags::SOP_CLASS_UID)
        .or(meta_sop_class)
        .ok_or_else(|| SrError::NotSr {
            path: shown.clone(),
            reason: "no SOP Class UID".to_string(),
        })?;
    let class = SrClass::of(&sop_class_uid, &root).ok_or_else(|| SrError::NotSr {
        path: shown.clone(),
        reason: format!("SOP Class UID {sop_class_uid} is not a structured report"),
    })?;

    let mut doc = SrDocument {
        path: shown,
        sop_instance_uid: string(&root, tags::SOP_INSTANCE_UID).unwrap_or_default(),
        sop_class_uid,
        ..SrDocument::default()
    };
    document::read_header(&root, &mut doc);

    let verdict = match class {
        SrClass::CanHoldMeasurements => document::check_tid1500(&root, &doc),
        SrClass::NoMeasurements(why) => Err(why),
    };
    match verdict {
        Ok(()) => {
            doc.is_tid1500 = true;
            doc.groups = groups::read_groups(&root, &mut doc.problems);
        }
        Err(reason) => doc.not_tid1500_reason = Some(reason),
    }
    Ok(doc)
}

/// What the SOP class allows.
enum SrClass {
    /// Enhanced, Comprehensive, Comprehensive 3D, Extensible SR: NUM items allowed.
    CanHoldMeasurements,
    /// An SR that cannot carry TID 1500 measurements, and why.
    NoMeasurements(String),
}

impl SrClass {
    /// `None` when the object is not an SR at all.
    fn of(sop_class_uid: &str, root: &InMemDicomObject) -> Option<SrClass> {
        let class = match sop_class_uid.strip_prefix(SR_CLASS_PREFIX) {
            Some("22" | "33" | "34" | "35") => SrClass::CanHoldMeasurements,
            Some("11") => SrClass::NoMeasurements(format!(
                "SOP class {sop_class_uid} is Basic Text SR, which cannot hold NUM measurements"
            )),
            Some("59") => SrClass::NoMeasurements(format!(
                "SOP class {sop_class_uid} is Key Object Selection, which holds no measurements"
            )),
            Some(_) => SrClass::NoMeasurements(format!(
                "SOP class {sop_class_uid} is not an SR class used for TID 1500 \
                 (Enhanced, Comprehensive, Comprehensive 3D or Extensible SR)"
            )),
            // A private SOP class can still carry an SR content tree; it is listed, not used.
            None if string(root, tags::VALUE_TYPE).as_deref() == Some("CONTAINER")
                && root.get(tags::CONTENT_SEQUENCE).is_some() =>
            {
                SrClass::NoMeasurements(format!(
                    "SOP class {sop_class_uid} is not a standard SR storage class"
                ))
            }
            None => return None,
        };
        Some(class)
    }
}

/// Opens a DICOM file held in memory up to Pixel Data: a Part 10 file (with or without
/// preamble, which is detected), or a bare little-endian data set without file meta
/// (which some tools still write). Returns the data set and the meta's Media Storage SOP
/// Class UID, if any.
fn open_bytes(bytes: &[u8], limits: &Limits) -> Result<(InMemDicomObject, Option<String>), String> {
    let part10 = OpenFileOptions::new()
        .read_until(tags::PIXEL_DATA)
        .read_preamble(ReadPreamble::Auto)
        .from_reader(bytes);
    opened_or_bare(part10, || {
        let head = bytes.get(..6)?;
        if !starts_like_bare_data_set(head) {
            return None;
        }
        // The walk before parsing judged the file as Part 10: walk it again as the
        // fallback reads it.
        if let Err(refusal) = check_bare_data_set(bytes, limits) {
            return Some(Err(refusal.to_string()));
        }
        read_bare_dataset(head, bytes)
    })
}

/// Whether `head` (a file's first six bytes) starts like a data set without file meta:
/// its first element in group 0008, so random bytes are not parsed at all.
fn starts_like_bare_data_set(head: &[u8]) -> bool {
    head.len() >= 6 && head[0..2] == [0x08, 0x00]
}

/// The Part 10 object with its meta's SOP class, else the bare data set `bare` reads.
fn opened_or_bare(
    part10: Result<FileDicomObject<InMemDicomObject>, ReadError>,
    bare: impl FnOnce() -> Option<Result<InMemDicomObject, String>>,
) -> Result<(InMemDicomObject, Option<String>), String> {
    match part10 {
        Ok(file) => {
            let meta_class = file
                .meta()
                .media_storage_sop_class_uid()
                .trim_end_matches(['\0', ' '])
                .to_string();
            let meta_class = (!meta_class.is_empty()).then_some(meta_class);
            Ok((file.into_inner(), meta_class))
        }
        Err(part10_error) => match bare() {
            Some(Ok(root)) => Ok((root, None)),
            Some(Err(bare_error)) => Err(format!(
                "{}; read as a data set without file meta: {bare_error}",
                error_chain(&part10_error)
            )),
            None => Err(error_chain(&part10_error)),
        },
    }
}

/// Reads a data set without file meta (`head`: its first six bytes), choosing explicit or implicit VR from the first
/// element. `None` when the file does not start like a bare data set (first element in
/// group 0008), so random bytes are not parsed at all.
fn read_bare_dataset(head: &[u8], reader: impl Read) -> Option<Result<InMemDicomObject, String>> {
    if !starts_like_bare_data_set(head) {
        return None;
    }
    // Explicit VR puts two upper-case letters (the VR) right after the tag.
    let explicit = head[4].is_ascii_uppercase() && head[5].is_ascii_uppercase();
    let ts = if explicit {
        EXPLICIT_VR_LITTLE_ENDIAN.erased()
    } else {
        IMPLICIT_VR_LITTLE_ENDIAN.erased()
    };
    Some(InMemDicomObject::read_dataset_with_ts(reader, &ts).map_err(|e| error_chain(&e)))
}

/// An error with its causes: dicom-object's top-level messages ("Could not parse meta
/// group data set") say where it failed, the causes say why.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::write::{write_part10, DataSetWriter, FileMeta, Vr};

    /// What a test or a test helper gives back: a failure is the error `?` met.
    type TestResult<T = ()> = Result<T, Box<dyn std::error::Error>>;

    fn small_sr() -> TestResult<Vec<u8>> {
        let meta = FileMeta {
            sop_class_uid: "1.2.840.10008.5.1.4.1.1.88.33",
            sop_instance_uid: "2.25.7",
            implementation_class_uid: "2.25.8",
            implementation_version_name: "TEST",
        };
        let mut w = DataSetWriter::new();
        w.text(0x0008_0016, Vr::UI, meta.sop_class_uid)?;
        w.text(0x0008_0018, Vr::UI, meta.sop_instance_uid)?;
        w.text(0x0040_A040, Vr::CS, "CONTAINER")?;
        let mut bytes = Vec::new();
        write_part10(&mut bytes, &meta, &w)?;
        Ok(bytes)
    }

    #[test]
    fn a_file_larger_than_max_sr_file_bytes_is_refused_before_it_is_read() -> TestResult {
        let bytes = small_sr()?;
        let size = bytes.len() as u64;
        let path = std::env::temp_dir().join(format!("oncoread-limits-{}.dcm", std::process::id()));
        std::fs::write(&path, &bytes)?;
        let exact = Limits {
            max_sr_file_bytes: size,
            ..Limits::default()
        };
        assert!(read_sr_within(&path, &exact).is_ok());
        let smaller = Limits {
            max_sr_file_bytes: size - 1,
            ..Limits::default()
        };
        let error = read_sr_within(&path, &smaller)
            .err()
            .ok_or("a file one byte over max_sr_file_bytes should be rejected")?;
        let _ = std::fs::remove_file(&path);
        assert_eq!(error.problem_kind(), "limit_exceeded");
        assert_eq!(
            error.to_string(),
            format!(
                "{}: limit max_sr_file_bytes = {} exceeded: {size} bytes in the file",
                path.display(),
                size - 1
            )
        );
        // The same from memory.
        let error = read_sr_from_bytes_within(&bytes, "in memory", &smaller)
            .err()
            .ok_or("the same bytes read from memory should be rejected")?;
        assert!(matches!(
            error,
            SrError::LimitExceeded {
                exceeded: LimitExceeded {
                    key: LimitKey::MaxSrFileBytes,
                    ..
                },
                ..
            }
        ));
        Ok(())
    }
}
