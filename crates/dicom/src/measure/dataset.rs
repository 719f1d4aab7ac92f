//! Opening a whole DICOM object (Pixel Data included) and reading typed values from it.
//!
//! The measurement readers (SEG, RTSTRUCT, GSPS, CT/PET slices) need more than the index's
//! header record: nested functional groups, contour data and the pixels. Every accessor
//! returns `None` for an absent or unreadable value; the caller turns a missing required
//! value into a [`MeasureError::Field`] naming the attribute.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use dicom_core::Tag;
use dicom_object::meta::FileMetaTableBuilder;
use dicom_object::{DefaultDicomObject, InMemDicomObject, OpenFileOptions};
use dicom_transfer_syntax_registry::entries::{
    EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN,
};

use super::MeasureError;

/// Opens a file with its Pixel Data: a Part 10 file, or a bare little-endian data set
/// without file meta (pydicom's RTSTRUCT sample is one), given a meta group in memory so
/// that the pixel decoder knows its transfer syntax.
pub fn open_object(path: &Path) -> Result<DefaultDicomObject, MeasureError> {
    let part10_error = match OpenFileOptions::new().open_file(path) {
        Ok(object) => return Ok(object),
        Err(error) => error,
    };
    let unreadable = |reason: String| MeasureError::Unreadable {
        path: path.display().to_string(),
        reason,
    };
    let Some(explicit) = bare_dataset_kind(path) else {
        return Err(unreadable(part10_error.to_string()));
    };
    let (ts, ts_uid) = if explicit {
        (EXPLICIT_VR_LITTLE_ENDIAN.erased(), "1.2.840.10008.1.2.1")
    } else {
        (IMPLICIT_VR_LITTLE_ENDIAN.erased(), "1.2.840.10008.1.2")
    };
    let file = File::open(path).map_err(|e| unreadable(e.to_string()))?;
    let data_set = InMemDicomObject::read_dataset_with_ts(BufReader::new(file), &ts)
        .map_err(|e| unreadable(format!("{part10_error}; as a data set without meta: {e}")))?;
    data_set
        .with_meta(FileMetaTableBuilder::new().transfer_syntax(ts_uid))
        .map_err(|e| unreadable(format!("data set without meta: {e}")))
}

/// `Some(explicit VR?)` when the file starts like a bare data set (first element in group
/// 0008); explicit VR puts two upper-case letters right after the tag.
fn bare_dataset_kind(path: &Path) -> Option<bool> {
    let mut head = [0u8; 6];
    File::open(path).ok()?.read_exact(&mut head).ok()?;
    (head[0..2] == [0x08, 0x00])
        .then(|| head[4].is_ascii_uppercase() && head[5].is_ascii_uppercase())
}

/// A text value, trimmed of DICOM padding; `None` when absent or empty.
pub fn text(item: &InMemDicomObject, tag: Tag) -> Option<String> {
    let value = item.get(tag)?.to_str().ok()?;
    let trimmed = value.trim_matches(|c: char| c == ' ' || c == '\0');
    (!trimmed.is_empty()).then(|| trimmed.to_string())
}

/// A numeric value (DS, IS, FD, FL, US, …) as f64.
pub fn float(item: &InMemDicomObject, tag: Tag) -> Option<f64> {
    item.get(tag)?.to_float64().ok().filter(|v| v.is_finite())
}

/// All values of a numeric attribute as f64.
pub fn floats(item: &InMemDicomObject, tag: Tag) -> Option<Vec<f64>> {
    let values = item.get(tag)?.to_multi_float64().ok()?;
    values.iter().all(|v| v.is_finite()).then_some(values)
}

/// An integer value.
pub fn integer(item: &InMemDicomObject, tag: Tag) -> Option<i64> {
    item.get(tag)?.to_int::<i64>().ok()
}

/// The items of a sequence (empty when absent).
pub fn items(item: &InMemDicomObject, tag: Tag) -> &[InMemDicomObject] {
    item.get(tag).and_then(|e| e.items()).unwrap_or(&[])
}

/// The first item of a sequence.
pub fn first_item(item: &InMemDicomObject, tag: Tag) -> Option<&InMemDicomObject> {
    items(item, tag).first()
}

/// `N` numeric values, e.g. Image Position (Patient).
pub fn fixed<const N: usize>(item: &InMemDicomObject, tag: Tag) -> Option<[f64; N]> {
    floats(item, tag)?.try_into().ok()
}
