//! oncoread-dicom: everything that touches DICOM bytes.
//!
//! - [`header`]: the lean header reader behind `oncoread scan` (one [`header::HeaderRecord`]
//!   per instance, read up to Pixel Data and never beyond).
//! - [`limits`]: the resource limits an SR read works within (`[limits]` of pipeline.toml).
//! - [`sr`]: reading SR documents, recognising TID 1500 and extracting its measurement
//!   groups with units, codes and geometry as recorded.
//! - [`geometry`]: SCOORD / SCOORD3D lengths in millimetres.
//! - [`dicom_json`]: the same header records from DICOM JSON (DICOMweb metadata).
//! - [`dataset_record`]: the same header records from a parsed data set (DIMSE C-FIND).
//! - [`measure`]: lesion sizes, density and uptake from SEG, RTSTRUCT, GSPS, CT and PET
//!   pixels.
//! - [`slice_pixels`]: one frame decoded to modality values (key images, pixel statistics).
//! - [`write`]: a lean Explicit VR Little Endian Part 10 writer (synthetic trials).
//! - [`sr_write`]: SR documents from a content tree, on top of [`write`].

pub mod dataset_record;
pub mod dicom_json;
pub mod geometry;
pub mod header;
pub mod limits;
pub mod measure;
pub mod slice_pixels;
pub mod sr;
pub mod sr_write;
pub mod write;
