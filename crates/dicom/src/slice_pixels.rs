//! One frame of an image decoded to modality values (e.g. Hounsfield units), for whoever
//! needs the pixels of a single slice: key images today, pixel statistics later.
//!
//! Decoding goes through dicom-pixeldata (native codecs: uncompressed, JPEG, RLE,
//! deflate). Only the requested frame is decoded; the Modality LUT (Rescale Slope and
//! Intercept) is applied, no VOI window: the caller decides how to display the values.

use std::path::Path;

use dicom_dictionary_std::tags;
use dicom_object::OpenFileOptions;
use dicom_pixeldata::{PhotometricInterpretation, PixelDecoder};

/// A window (VOI LUT linear function parameters) as the file records it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VoiWindow {
    pub center: f64,
    pub width: f64,
}

/// One decoded grayscale frame.
#[derive(Debug, Clone, PartialEq)]
pub struct SlicePixels {
    pub rows: u32,
    pub columns: u32,
    /// Modality values (stored value × Rescale Slope + Rescale Intercept), row by row:
    /// the value of (row r, column c) is at `r * columns + c`.
    pub values: Vec<f32>,
    /// The Modality attribute (CT, MR, PT, …), when present.
    pub modality: Option<String>,
    /// The first Window Center / Window Width pair of the file, when present.
    pub window: Option<VoiWindow>,
    /// MONOCHROME1: the lowest value is displayed white.
    pub inverted: bool,
}

impl SlicePixels {
    /// The value at (row, column), `None` outside the frame.
    pub fn value(&self, row: u32, column: u32) -> Option<f32> {
        if row >= self.rows || column >= self.columns {
            return None;
        }
        self.values
            .get(row as usize * self.columns as usize + column as usize)
            .copied()
    }
}

/// Why a frame could not be decoded; every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum SlicePixelsError {
    #[error("{path}: cannot be read as DICOM: {reason}")]
    Open { path: String, reason: String },
    #[error("{path}: Pixel Data (7FE0,0010) cannot be decoded: {reason}")]
    Decode { path: String, reason: String },
    #[error(
        "{path}: Number of Frames (0028,0008) is {frames}; frame {frame} (1-based) does not exist"
    )]
    NoSuchFrame {
        path: String,
        frame: u32,
        frames: u32,
    },
    #[error(
        "{path}: Samples per Pixel (0028,0002) is {samples}; only grayscale (1) frames are decoded"
    )]
    NotGrayscale { path: String, samples: u16 },
}

/// Decodes frame `frame_number` (1-based, as DICOM's Referenced Frame Number counts) of
/// the image at `path`.
pub fn decode_slice(path: &Path, frame_number: u32) -> Result<SlicePixels, SlicePixelsError> {
    let name = path.display().to_string();
    let object = OpenFileOptions::new()
        .open_file(path)
        .map_err(|e| SlicePixelsError::Open {
            path: name.clone(),
            reason: e.to_string(),
        })?;
    let decode_error = |reason: String| SlicePixelsError::Decode {
        path: name.clone(),
        reason,
    };
    let frames = match object.get(tags::NUMBER_OF_FRAMES) {
        Some(element) => element
            .to_int::<u32>()
            .map_err(|e| decode_error(format!("Number of Frames (0028,0008): {e}")))?,
        None => 1,
    };
    if frame_number == 0 || frame_number > frames {
        return Err(SlicePixelsError::NoSuchFrame {
            path: name,
            frame: frame_number,
            frames,
        });
    }
    let decoded = object
        .decode_pixel_data_frame(frame_number - 1)
        .map_err(|e| decode_error(e.to_string()))?;
    if decoded.samples_per_pixel() != 1 {
        return Err(SlicePixelsError::NotGrayscale {
            path: name,
            samples: decoded.samples_per_pixel(),
        });
    }
    // The decoded object holds this one frame only.
    let values: Vec<f32> = decoded
        .to_vec_frame(0)
        .map_err(|e| decode_error(e.to_string()))?;
    let window = decoded
        .window()
        .ok()
        .flatten()
        .and_then(|windows| windows.first())
        .map(|w| VoiWindow {
            center: w.center,
            width: w.width,
        });
    let modality = object
        .get(tags::MODALITY)
        .and_then(|e| e.to_str().ok())
        .map(|m| m.trim().to_string())
        .filter(|m| !m.is_empty());
    Ok(SlicePixels {
        rows: decoded.rows(),
        columns: decoded.columns(),
        values,
        modality,
        window,
        inverted: matches!(
            decoded.photometric_interpretation(),
            PhotometricInterpretation::Monochrome1
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a test or a test helper gives back: a failure is the error `?` met.
    type TestResult<T = ()> = Result<T, Box<dyn std::error::Error>>;

    fn fixture(relative: &str) -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fixtures")
            .join(relative)
    }

    #[test]
    fn a_missing_file_is_an_error_naming_it() -> TestResult {
        let error = decode_slice(Path::new("no/such/slice.dcm"), 1)
            .err()
            .ok_or("a missing file should be rejected")?;
        assert!(
            error.to_string().starts_with("no/such/slice.dcm: "),
            "{error}"
        );
        Ok(())
    }

    #[test]
    fn frame_zero_does_not_exist() -> TestResult {
        let path = fixture("sample/SUBJ-001/00-BL/CT/CT0001.dcm");
        let error = decode_slice(&path, 0)
            .err()
            .ok_or("frame 0 should be rejected")?;
        assert!(
            matches!(error, SlicePixelsError::NoSuchFrame { frames: 1, .. }),
            "{error}"
        );
        Ok(())
    }
}
