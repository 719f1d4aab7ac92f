//! The patient-space geometry of one image plane (one slice or one frame).
//!
//! Image Position (Patient) is the centre of the first transmitted pixel; Image
//! Orientation (Patient) holds the direction of increasing column index (along a row)
//! then of increasing row index; Pixel Spacing is [row spacing, column spacing]
//! (PS3.3 C.7.6.2.1.1). Enhanced objects (SEG, enhanced CT) keep them in the Shared or
//! Per-frame Functional Groups; classic images at the top level.

use dicom_dictionary_std::tags;
use dicom_object::InMemDicomObject;

use super::dataset::{first_item, fixed, float, items};

/// Geometry of one plane.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Plane {
    /// Centre of pixel (column 0, row 0) in patient mm.
    pub position: [f64; 3],
    /// Unit direction of increasing column index.
    pub along_row: [f64; 3],
    /// Unit direction of increasing row index.
    pub along_column: [f64; 3],
    /// [row spacing (between rows), column spacing (between columns)] in mm.
    pub spacing: [f64; 2],
    /// Slice Thickness in mm, else Spacing Between Slices: the slab one pixel stands for.
    pub thickness: Option<f64>,
}

impl Plane {
    /// Patient mm of a (column, row) position in pixel-index units (centre of pixel 0,0 is
    /// (0, 0)).
    pub fn patient_point(&self, column: f64, row: f64) -> [f64; 3] {
        let [row_spacing, col_spacing] = self.spacing;
        std::array::from_fn(|k| {
            self.position[k]
                + self.along_row[k] * col_spacing * column
                + self.along_column[k] * row_spacing * row
        })
    }

    /// The unit normal (along_row × along_column).
    pub fn normal(&self) -> [f64; 3] {
        let (a, b) = (self.along_row, self.along_column);
        [
            a[1] * b[2] - a[2] * b[1],
            a[2] * b[0] - a[0] * b[2],
            a[0] * b[1] - a[1] * b[0],
        ]
    }

    /// Pixel-index (column, row) of a patient point projected onto this plane.
    pub fn pixel_of(&self, point: [f64; 3]) -> (f64, f64) {
        let d: [f64; 3] = std::array::from_fn(|k| point[k] - self.position[k]);
        let [row_spacing, col_spacing] = self.spacing;
        (
            dot(d, self.along_row) / col_spacing,
            dot(d, self.along_column) / row_spacing,
        )
    }

    /// Signed distance of a patient point from this plane along its normal.
    pub fn distance_along_normal(&self, point: [f64; 3]) -> f64 {
        let d: [f64; 3] = std::array::from_fn(|k| point[k] - self.position[k]);
        dot(d, self.normal())
    }
}

pub fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

/// Why a plane could not be built: the attribute that is missing.
pub type MissingField = &'static str;

/// The plane of a classic single-frame image (top-level attributes).
pub fn image_plane(root: &InMemDicomObject) -> Result<Plane, MissingField> {
    plane_from(root, root, root)
}

/// The plane of frame `index` (0-based) of an enhanced multi-frame object: each group is
/// taken from the frame's Per-frame Functional Groups item, else the Shared one, else the
/// top level.
pub fn frame_plane(root: &InMemDicomObject, index: usize) -> Result<Plane, MissingField> {
    let per_frame = items(root, tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE).get(index);
    let shared = first_item(root, tags::SHARED_FUNCTIONAL_GROUPS_SEQUENCE);
    let group = |sequence| {
        per_frame
            .and_then(|f| first_item(f, sequence))
            .or_else(|| shared.and_then(|s| first_item(s, sequence)))
            .unwrap_or(root)
    };
    plane_from(
        group(tags::PLANE_POSITION_SEQUENCE),
        group(tags::PLANE_ORIENTATION_SEQUENCE),
        group(tags::PIXEL_MEASURES_SEQUENCE),
    )
}

fn plane_from(
    position: &InMemDicomObject,
    orientation: &InMemDicomObject,
    measures: &InMemDicomObject,
) -> Result<Plane, MissingField> {
    let position =
        fixed::<3>(position, tags::IMAGE_POSITION_PATIENT).ok_or("Image Position (Patient)")?;
    let o = fixed::<6>(orientation, tags::IMAGE_ORIENTATION_PATIENT)
        .ok_or("Image Orientation (Patient)")?;
    let spacing = fixed::<2>(measures, tags::PIXEL_SPACING)
        .filter(|s| s.iter().all(|v| *v > 0.0))
        .ok_or("Pixel Spacing")?;
    let thickness = float(measures, tags::SLICE_THICKNESS)
        .or_else(|| float(measures, tags::SPACING_BETWEEN_SLICES))
        .filter(|t| *t > 0.0);
    Ok(Plane {
        position,
        along_row: unit([o[0], o[1], o[2]]).ok_or("Image Orientation (Patient)")?,
        along_column: unit([o[3], o[4], o[5]]).ok_or("Image Orientation (Patient)")?,
        spacing,
        thickness,
    })
}

fn unit(v: [f64; 3]) -> Option<[f64; 3]> {
    let norm = dot(v, v).sqrt();
    (norm > 1e-9).then(|| v.map(|x| x / norm))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pixel_centres_map_through_orientation_and_spacing() {
        // Axial plane at z = 10 with rows 2 mm apart and columns 0.5 mm apart: pixel
        // (column 4, row 3) is 4 × 0.5 = 2 mm along x and 3 × 2 = 6 mm along y.
        let plane = Plane {
            position: [-100.0, -50.0, 10.0],
            along_row: [1.0, 0.0, 0.0],
            along_column: [0.0, 1.0, 0.0],
            spacing: [2.0, 0.5],
            thickness: Some(5.0),
        };
        assert_eq!(plane.patient_point(4.0, 3.0), [-98.0, -44.0, 10.0]);
        assert_eq!(plane.pixel_of([-98.0, -44.0, 12.0]), (4.0, 3.0));
        assert_eq!(plane.normal(), [0.0, 0.0, 1.0]);
        assert_eq!(plane.distance_along_normal([0.0, 0.0, 13.5]), 3.5);
    }
}
