//! Lengths from spatial coordinates.
//!
//! SCOORD coordinates are (column, row) image pixels; Pixel Spacing is [row spacing,
//! column spacing] in mm, so a step (dc, dr) is sqrt((dc·col)² + (dr·row)²) mm. SCOORD3D
//! coordinates are already patient millimetres.
//!
//! Every function is pure and returns `None` for input it cannot measure (too few
//! coordinates, a count that is not whole points, non-finite values, a spacing that is
//! not positive) rather than a misleading number.

use crate::sr::Scoord;

/// Pixel Spacing (0028,0030) as recorded: [row spacing (vertical), column spacing
/// (horizontal)] in mm.
pub type PixelSpacing = [f64; 2];

/// The two axes of an ellipse in mm, `major >= minor`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EllipseAxes {
    pub major_mm: f64,
    pub minor_mm: f64,
}

/// Distance in mm between two (column, row) pixel points.
pub fn pixel_distance_mm(a: [f64; 2], b: [f64; 2], spacing: PixelSpacing) -> Option<f64> {
    let [row_spacing, col_spacing] = valid_spacing(spacing)?;
    let dc = (b[0] - a[0]) * col_spacing;
    let dr = (b[1] - a[1]) * row_spacing;
    finite(dc.hypot(dr))
}

/// Length in mm of a SCOORD polyline: the sum of its segments. Needs at least two points.
pub fn polyline_length_mm(data: &[f32], spacing: PixelSpacing) -> Option<f64> {
    let points = points_2d(data)?;
    if points.len() < 2 {
        return None;
    }
    points
        .windows(2)
        .map(|pair| pixel_distance_mm(pair[0], pair[1], spacing))
        .sum()
}

/// Diameter in mm of a SCOORD CIRCLE (centre, then one point on the circle): twice the
/// centre-to-perimeter distance.
pub fn circle_diameter_mm(data: &[f32], spacing: PixelSpacing) -> Option<f64> {
    match points_2d(data)?.as_slice() {
        [centre, perimeter] => pixel_distance_mm(*centre, *perimeter, spacing).map(|r| 2.0 * r),
        _ => None,
    }
}

/// Axes in mm of a SCOORD ELLIPSE (both ends of the major axis, then both ends of the
/// minor axis). The longer axis in mm is reported as major: with anisotropic spacing the
/// axis recorded first is not necessarily the longer one in millimetres.
pub fn ellipse_axes_mm(data: &[f32], spacing: PixelSpacing) -> Option<EllipseAxes> {
    match points_2d(data)?.as_slice() {
        [a1, a2, b1, b2] => {
            let first = pixel_distance_mm(*a1, *a2, spacing)?;
            let second = pixel_distance_mm(*b1, *b2, spacing)?;
            Some(EllipseAxes {
                major_mm: first.max(second),
                minor_mm: first.min(second),
            })
        }
        _ => None,
    }
}

/// Distance in mm between two SCOORD3D points (already patient millimetres).
pub fn distance_3d_mm(a: [f64; 3], b: [f64; 3]) -> Option<f64> {
    let d = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
    finite((d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt())
}

/// Length in mm of a SCOORD3D polyline. No spacing: the coordinates are millimetres
/// already (multiplying again is a classic error, sr.md pitfall 9).
pub fn polyline_3d_length_mm(data: &[f32]) -> Option<f64> {
    let points = points_3d(data)?;
    if points.len() < 2 {
        return None;
    }
    points
        .windows(2)
        .map(|pair| distance_3d_mm(pair[0], pair[1]))
        .sum()
}

/// The linear size of a recorded geometry in mm: POLYLINE length, CIRCLE diameter,
/// ELLIPSE major axis. SCOORD needs the referenced image's spacing; SCOORD3D ignores it
/// (POLYLINE only). `None` for other graphic types (POINT, POLYGON area, …).
pub fn scoord_length_mm(scoord: &Scoord, spacing: Option<PixelSpacing>) -> Option<f64> {
    if scoord.three_d {
        return match scoord.graphic_type.as_str() {
            "POLYLINE" => polyline_3d_length_mm(&scoord.data),
            _ => None,
        };
    }
    let spacing = spacing?;
    match scoord.graphic_type.as_str() {
        "POLYLINE" => polyline_length_mm(&scoord.data, spacing),
        "CIRCLE" => circle_diameter_mm(&scoord.data, spacing),
        "ELLIPSE" => ellipse_axes_mm(&scoord.data, spacing).map(|axes| axes.major_mm),
        _ => None,
    }
}

fn valid_spacing(spacing: PixelSpacing) -> Option<PixelSpacing> {
    spacing
        .iter()
        .all(|s| s.is_finite() && *s > 0.0)
        .then_some(spacing)
}

fn finite(value: f64) -> Option<f64> {
    value.is_finite().then_some(value)
}

fn points_2d(data: &[f32]) -> Option<Vec<[f64; 2]>> {
    let chunks = data.chunks_exact(2);
    if !chunks.remainder().is_empty() || data.iter().any(|v| !v.is_finite()) {
        return None;
    }
    Some(chunks.map(|p| [f64::from(p[0]), f64::from(p[1])]).collect())
}

fn points_3d(data: &[f32]) -> Option<Vec<[f64; 3]>> {
    let chunks = data.chunks_exact(3);
    if !chunks.remainder().is_empty() || data.iter().any(|v| !v.is_finite()) {
        return None;
    }
    Some(
        chunks
            .map(|p| [f64::from(p[0]), f64::from(p[1]), f64::from(p[2])])
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a test or a test helper gives back: a failure is the error `?` met.
    type TestResult<T = ()> = Result<T, Box<dyn std::error::Error>>;

    fn close(actual: Option<f64>, expected: f64) -> TestResult {
        let actual = actual.ok_or("a length")?;
        assert!((actual - expected).abs() < 1e-9, "{actual} != {expected}");
        Ok(())
    }

    #[test]
    fn polyline_3_4_5_triangle_with_unit_spacing() -> TestResult {
        // (0,0) → (3,4): 5 px = 5 mm at 1 mm spacing.
        close(polyline_length_mm(&[0.0, 0.0, 3.0, 4.0], [1.0, 1.0]), 5.0)?;
        // Closed triangle (0,0) → (3,0) → (3,4) → (0,0): 3 + 4 + 5.
        close(
            polyline_length_mm(&[0.0, 0.0, 3.0, 0.0, 3.0, 4.0, 0.0, 0.0], [1.0, 1.0]),
            12.0,
        )?;
        Ok(())
    }

    #[test]
    fn anisotropic_spacing_is_row_then_column() -> TestResult {
        // Row spacing 2 mm, column spacing 1 mm. Step of 4 columns and 1.5 rows:
        // dx = 4 × 1 = 4 mm, dy = 1.5 × 2 = 3 mm → 5 mm. With the spacing swapped it would
        // be hypot(8, 1.5) = 8.139 mm.
        close(polyline_length_mm(&[0.0, 0.0, 4.0, 1.5], [2.0, 1.0]), 5.0)?;
        close(
            pixel_distance_mm([10.0, 10.0], [14.0, 11.5], [2.0, 1.0]),
            5.0,
        )?;
        Ok(())
    }

    #[test]
    fn polyline_rejects_unmeasurable_input() {
        assert_eq!(polyline_length_mm(&[1.0, 2.0], [1.0, 1.0]), None);
        assert_eq!(polyline_length_mm(&[1.0, 2.0, 3.0], [1.0, 1.0]), None);
        assert_eq!(polyline_length_mm(&[0.0, 0.0, 3.0, 4.0], [0.0, 1.0]), None);
        assert_eq!(
            polyline_length_mm(&[0.0, 0.0, 3.0, 4.0], [f64::NAN, 1.0]),
            None
        );
        assert_eq!(
            polyline_length_mm(&[0.0, f32::NAN, 3.0, 4.0], [1.0, 1.0]),
            None
        );
    }

    #[test]
    fn circle_diameter_is_twice_the_radius() -> TestResult {
        // Centre (45, 55), perimeter (45, 65): radius 10 rows.
        close(
            circle_diameter_mm(&[45.0, 55.0, 45.0, 65.0], [1.0, 1.0]),
            20.0,
        )?;
        // Same circle with 0.5 mm rows: radius 5 mm, diameter 10 mm.
        close(
            circle_diameter_mm(&[45.0, 55.0, 45.0, 65.0], [0.5, 2.0]),
            10.0,
        )?;
        // Perimeter 6 columns and 8 rows from the centre, rows 1 mm, columns 0.5 mm:
        // dx = 3 mm, dy = 8 mm → radius √73 mm.
        close(
            circle_diameter_mm(&[0.0, 0.0, 6.0, 8.0], [1.0, 0.5]),
            2.0 * 73.0_f64.sqrt(),
        )?;
        assert_eq!(
            circle_diameter_mm(&[0.0, 0.0, 1.0, 1.0, 2.0, 2.0], [1.0, 1.0]),
            None
        );
        Ok(())
    }

    #[test]
    fn ellipse_axes_are_ordered_by_length_in_mm() -> TestResult {
        // Major axis ends (295.5,319.5)-(388.5,319.5): 93 px; minor (342,285)-(342,354): 69 px.
        let data = [295.5, 319.5, 388.5, 319.5, 342.0, 285.0, 342.0, 354.0];
        let axes = ellipse_axes_mm(&data, [1.0, 1.0]).ok_or("axes")?;
        close(Some(axes.major_mm), 93.0)?;
        close(Some(axes.minor_mm), 69.0)?;
        // Rows 2 mm: the recorded minor axis (vertical) becomes 138 mm, the longer one.
        let axes = ellipse_axes_mm(&data, [2.0, 1.0]).ok_or("axes")?;
        close(Some(axes.major_mm), 138.0)?;
        close(Some(axes.minor_mm), 93.0)?;
        assert_eq!(ellipse_axes_mm(&data[..6], [1.0, 1.0]), None);
        Ok(())
    }

    #[test]
    fn scoord3d_lengths_are_plain_euclidean_millimetres() -> TestResult {
        // (1,2,3) → (3,5,9): d = (2,3,6), |d| = 7.
        close(distance_3d_mm([1.0, 2.0, 3.0], [3.0, 5.0, 9.0]), 7.0)?;
        close(
            polyline_3d_length_mm(&[1.0, 2.0, 3.0, 3.0, 5.0, 9.0, 3.0, 5.0, 19.0]),
            17.0,
        )?;
        assert_eq!(polyline_3d_length_mm(&[1.0, 2.0, 3.0]), None);
        assert_eq!(polyline_3d_length_mm(&[1.0, 2.0, 3.0, 4.0]), None);
        Ok(())
    }

    #[test]
    fn scoord_length_dispatches_on_graphic_type() -> TestResult {
        let mut scoord = Scoord {
            graphic_type: "POLYLINE".into(),
            data: vec![0.0, 0.0, 3.0, 4.0],
            three_d: false,
            referenced_sop_instance_uid: None,
            referenced_frame: None,
            frame_of_reference_uid: None,
        };
        close(scoord_length_mm(&scoord, Some([2.0, 2.0])), 10.0)?;
        assert_eq!(scoord_length_mm(&scoord, None), None);
        scoord.graphic_type = "CIRCLE".into();
        close(scoord_length_mm(&scoord, Some([1.0, 1.0])), 10.0)?;
        scoord.graphic_type = "POINT".into();
        assert_eq!(scoord_length_mm(&scoord, Some([1.0, 1.0])), None);
        scoord.three_d = true;
        scoord.graphic_type = "POLYLINE".into();
        scoord.data = vec![0.0, 0.0, 0.0, 3.0, 4.0, 12.0];
        // Spacing is ignored for SCOORD3D: 13 mm, not 26.
        close(scoord_length_mm(&scoord, Some([2.0, 2.0])), 13.0)?;
        Ok(())
    }
}
