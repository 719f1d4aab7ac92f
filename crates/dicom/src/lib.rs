//! oncoread-dicom: everything that touches DICOM bytes.
//!
//! - [`header`]: the lean header reader behind `oncoread scan` (one [`header::HeaderRecord`]
//!   per instance, read up to Pixel Data and never beyond).
//! - [`sr`]: reading SR documents, recognising TID 1500 and extracting its measurement
//!   groups with units, codes and geometry as recorded.
//! - [`geometry`]: SCOORD / SCOORD3D lengths in millimetres.
//! - [`dicom_json`]: the same header records from DICOM JSON (DICOMweb metadata).
//! - [`write`]: a lean Explicit VR Little Endian Part 10 writer (synthetic trials).

pub mod dicom_json;
pub mod geometry;
pub mod header;
pub mod sr;
pub mod write;
