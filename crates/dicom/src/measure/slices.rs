//! Decoding CT and PET slices into rescaled values with their planes.
//!
//! Pixels are decoded with dicom-pixeldata (native, JPEG, RLE, deflate); the Modality LUT
//! (Rescale Slope and Intercept) is applied, so CT values are Hounsfield units and PET
//! values are in the series' Units (usually Bq/ml). Only single-frame images are read:
//! CT and PET series in the wild are one slice per file.

use std::path::Path;

use dicom_dictionary_std::tags;
use dicom_object::DefaultDicomObject;
use dicom_pixeldata::PixelDecoder;

use super::dataset::{integer, open_object, text};
use super::plane::{image_plane, Plane};
use super::MeasureError;

/// One decoded slice.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageSlice {
    pub path: String,
    pub sop_instance_uid: Option<String>,
    pub rows: u16,
    pub columns: u16,
    pub plane: Plane,
    /// Row-major values with the Modality LUT applied.
    pub values: Vec<f32>,
}

impl ImageSlice {
    /// The value at (column, row), if inside the image.
    pub fn value(&self, column: i64, row: i64) -> Option<f32> {
        let (c, r) = (usize::try_from(column).ok()?, usize::try_from(row).ok()?);
        if c >= usize::from(self.columns) || r >= usize::from(self.rows) {
            return None;
        }
        self.values.get(r * usize::from(self.columns) + c).copied()
    }
}

/// Opens and decodes one slice; also returns the object for header reading (SUV).
pub fn decode_slice(path: &Path) -> Result<(ImageSlice, DefaultDicomObject), MeasureError> {
    let shown = path.display().to_string();
    let object = open_object(path)?;
    let field = |field: &'static str, reason: String| MeasureError::Field {
        path: shown.clone(),
        field,
        reason,
    };
    let frames = integer(&object, tags::NUMBER_OF_FRAMES).unwrap_or(1);
    if frames != 1 {
        return Err(field(
            "Number of Frames (0028,0008)",
            format!("{frames}: pixel statistics read single-frame slices only"),
        ));
    }
    let plane =
        image_plane(&object).map_err(|missing| field(missing, "absent or invalid".into()))?;
    let decoded = object
        .decode_pixel_data()
        .map_err(|e| field("Pixel Data (7FE0,0010)", e.to_string()))?;
    if decoded.samples_per_pixel() != 1 {
        return Err(field(
            "Samples per Pixel (0028,0002)",
            format!(
                "{}: only grayscale images are measured",
                decoded.samples_per_pixel()
            ),
        ));
    }
    let (rows, columns) = (decoded.rows(), decoded.columns());
    let values: Vec<f32> = decoded
        .to_vec()
        .map_err(|e| field("Pixel Data (7FE0,0010)", e.to_string()))?;
    let (rows, columns) = (
        u16::try_from(rows).map_err(|_| field("Rows (0028,0010)", format!("{rows}")))?,
        u16::try_from(columns).map_err(|_| field("Columns (0028,0011)", format!("{columns}")))?,
    );
    let slice = ImageSlice {
        sop_instance_uid: text(&object, tags::SOP_INSTANCE_UID),
        path: shown,
        rows,
        columns,
        plane,
        values,
    };
    Ok((slice, object))
}
