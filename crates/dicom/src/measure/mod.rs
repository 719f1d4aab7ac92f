//! Measurements from pixels and contours: segmentations, RT structure sets, presentation
//! state rulers, CT density and PET uptake.
//!
//! Layout (one responsibility each):
//! - `dataset`: opening a whole object (Pixel Data included) and typed value access;
//! - `plane`: the patient geometry of a slice or frame (top level or functional groups);
//! - `planar`: longest and perpendicular in-plane diameters, polygon area;
//! - `seg`: SEG frames → per-segment masks, diameters and volume;
//! - `rtstruct`: closed planar contours → per-ROI diameters and volume;
//! - `gsps`: presentation-state line graphics → lengths;
//! - `slices`: decoding CT/PET slices into rescaled values with their planes;
//! - `region`: a lesion (SEG, RTSTRUCT, SR planar ROI) as pixels of decoded slices;
//! - `hu`: mean CT number inside a lesion;
//! - `suv`: PET SUV/SUL factors, SUL peak and the liver reference sphere.

pub mod dataset;
pub mod gsps;
pub mod hu;
pub mod planar;
pub mod plane;
pub mod region;
pub mod rtstruct;
pub mod seg;
pub mod slices;
pub mod suv;

/// Why an object could not be measured. Every message names the file, and the field when
/// one is at fault.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MeasureError {
    #[error("{path}: cannot be read as DICOM: {reason}")]
    Unreadable { path: String, reason: String },
    #[error("{path}: {field}: {reason}")]
    Field {
        path: String,
        field: &'static str,
        reason: String,
    },
}
