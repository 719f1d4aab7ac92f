//! A lesion's region on decoded image slices, from a SEG segment, an RTSTRUCT ROI or an
//! SR planar ROI (SCOORD).
//!
//! SEG pixels and contour vertices are mapped through patient coordinates onto the image
//! grid, so a SEG on a different grid or an RTSTRUCT in millimetres lands on the right
//! pixels. SCOORD coordinates are image pixels with the top-left corner of the image at
//! (0, 0), so pixel (column c, row r) has its centre at (c + 0.5, r + 0.5) (PS3.3
//! C.18.6.1.1).

use std::collections::BTreeSet;

use super::planar::{inside_polygon, Point};
use super::rtstruct::ContourPlane;
use super::seg::SegmentSlice;
use super::slices::ImageSlice;
use crate::sr::Scoord;

/// Pixels of one slice inside the region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionSlice {
    /// Index into the slices the region was built on.
    pub slice: usize,
    /// Row-major pixel indices.
    pub pixels: Vec<u32>,
}

pub type Region = Vec<RegionSlice>;

/// The image a plane of the lesion lies on: by SOP Instance UID, else the slice whose
/// plane is within half a slice thickness (1 mm when unknown) of `point`.
fn find_slice(images: &[ImageSlice], uid: Option<&str>, point: [f64; 3]) -> Option<usize> {
    if let Some(uid) = uid {
        if let Some(i) = images
            .iter()
            .position(|s| s.sop_instance_uid.as_deref() == Some(uid))
        {
            return Some(i);
        }
    }
    images
        .iter()
        .enumerate()
        .map(|(i, s)| (i, s.plane.distance_along_normal(point).abs(), s))
        .filter(|(_, d, s)| *d <= s.plane.thickness.unwrap_or(2.0) / 2.0)
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(i, _, _)| i)
}

fn push(region: &mut Region, slice: usize, pixels: BTreeSet<u32>) {
    if pixels.is_empty() {
        return;
    }
    match region.iter_mut().find(|r| r.slice == slice) {
        Some(existing) => {
            let mut all: BTreeSet<u32> = existing.pixels.iter().copied().collect();
            all.extend(pixels);
            existing.pixels = all.into_iter().collect();
        }
        None => region.push(RegionSlice {
            slice,
            pixels: pixels.into_iter().collect(),
        }),
    }
}

/// A SEG segment's frames on the images. Errors name the frame that has no image.
pub fn from_segment(frames: &[SegmentSlice], images: &[ImageSlice]) -> Result<Region, String> {
    let mut region = Region::new();
    for frame in frames {
        let centre = frame.plane.patient_point(0.0, 0.0);
        let Some(index) = find_slice(images, frame.source_sop_instance_uid.as_deref(), centre)
        else {
            return Err(format!(
                "SEG frame {}: its source image {} is not among the decoded slices",
                frame.frame_number,
                frame
                    .source_sop_instance_uid
                    .as_deref()
                    .unwrap_or("(none named)")
            ));
        };
        let image = &images[index];
        let columns = u32::from(frame.columns);
        let pixels = frame
            .pixels
            .iter()
            .filter_map(|p| {
                let patient = frame
                    .plane
                    .patient_point(f64::from(p % columns), f64::from(p / columns));
                let (c, r) = image.plane.pixel_of(patient);
                pixel_index(image, c.round(), r.round())
            })
            .collect();
        push(&mut region, index, pixels);
    }
    Ok(region)
}

/// An RTSTRUCT ROI's planes on the images: pixel centres inside a contour polygon.
pub fn from_contours(planes: &[ContourPlane], images: &[ImageSlice]) -> Result<Region, String> {
    let mut region = Region::new();
    for plane in planes {
        let Some(first) = plane.polygons.first().and_then(|p| p.first()) else {
            continue;
        };
        let uid = plane
            .referenced_sop_instance_uids
            .first()
            .map(String::as_str);
        let Some(index) = find_slice(images, uid, *first) else {
            return Err(format!(
                "contour plane at {:.2} mm: no decoded slice lies on it",
                plane.offset_mm
            ));
        };
        let image = &images[index];
        let mut pixels = BTreeSet::new();
        for polygon in &plane.polygons {
            let flat: Vec<Point> = polygon
                .iter()
                .map(|p| {
                    let (c, r) = image.plane.pixel_of(*p);
                    [c, r]
                })
                .collect();
            pixels.extend(pixels_inside(image, &flat, |c, r| {
                inside_polygon([c, r], &flat)
            }));
        }
        push(&mut region, index, pixels);
    }
    Ok(region)
}

/// An SR planar ROI (CIRCLE, ELLIPSE, POLYGON or closed POLYLINE) on its image.
pub fn from_scoord(scoord: &Scoord, images: &[ImageSlice]) -> Result<Region, String> {
    if scoord.three_d {
        return Err("SCOORD3D regions are not rasterised; use a SEG or RTSTRUCT".into());
    }
    let uid = scoord
        .referenced_sop_instance_uid
        .as_deref()
        .ok_or("the ROI names no image (SELECTED FROM)")?;
    let index = images
        .iter()
        .position(|s| s.sop_instance_uid.as_deref() == Some(uid))
        .ok_or_else(|| format!("image {uid} of the ROI is not among the decoded slices"))?;
    let image = &images[index];
    // To pixel-index units: SCOORD (c + 0.5, r + 0.5) is the centre of pixel (c, r).
    let points: Vec<Point> = scoord
        .data
        .chunks_exact(2)
        .map(|p| [f64::from(p[0]) - 0.5, f64::from(p[1]) - 0.5])
        .collect();
    let pixels = match (scoord.graphic_type.as_str(), points.as_slice()) {
        ("CIRCLE", [centre, edge]) => {
            let r2 = (edge[0] - centre[0]).powi(2) + (edge[1] - centre[1]).powi(2);
            pixels_inside(image, &points, |c, r| {
                (c - centre[0]).powi(2) + (r - centre[1]).powi(2) <= r2
            })
        }
        ("ELLIPSE", [a1, a2, b1, b2]) => {
            let centre = [(a1[0] + a2[0]) / 2.0, (a1[1] + a2[1]) / 2.0];
            let major = [(a2[0] - a1[0]) / 2.0, (a2[1] - a1[1]) / 2.0];
            let minor = [(b2[0] - b1[0]) / 2.0, (b2[1] - b1[1]) / 2.0];
            let (la2, lb2) = (
                major[0] * major[0] + major[1] * major[1],
                minor[0] * minor[0] + minor[1] * minor[1],
            );
            if la2 == 0.0 || lb2 == 0.0 {
                return Err("degenerate ELLIPSE".into());
            }
            pixels_inside(image, &points, |c, r| {
                let d = [c - centre[0], r - centre[1]];
                let u = (d[0] * major[0] + d[1] * major[1]) / la2;
                let v = (d[0] * minor[0] + d[1] * minor[1]) / lb2;
                u * u + v * v <= 1.0
            })
        }
        ("POLYGON" | "POLYLINE", p) if p.len() >= 3 => {
            pixels_inside(image, p, |c, r| inside_polygon([c, r], p))
        }
        (kind, _) => {
            return Err(format!(
                "a {kind} of {} points encloses no area",
                points.len()
            ))
        }
    };
    let mut region = Region::new();
    push(&mut region, index, pixels);
    Ok(region)
}

/// Pixels of `image` whose centres pass `inside`, searched within the bounding box of
/// `outline` (pixel-index units; the circle's box is widened by its radius).
fn pixels_inside(
    image: &ImageSlice,
    outline: &[Point],
    inside: impl Fn(f64, f64) -> bool,
) -> BTreeSet<u32> {
    let reach = match outline {
        [a, b] => (b[0] - a[0]).hypot(b[1] - a[1]),
        _ => 0.0,
    };
    let (mut c0, mut c1, mut r0, mut r1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for p in outline {
        c0 = c0.min(p[0] - reach);
        c1 = c1.max(p[0] + reach);
        r0 = r0.min(p[1] - reach);
        r1 = r1.max(p[1] + reach);
    }
    let clamp_c = |v: f64| v.clamp(0.0, f64::from(image.columns) - 1.0) as i64;
    let clamp_r = |v: f64| v.clamp(0.0, f64::from(image.rows) - 1.0) as i64;
    let mut pixels = BTreeSet::new();
    if outline.is_empty() {
        return pixels;
    }
    for r in clamp_r(r0.floor())..=clamp_r(r1.ceil()) {
        for c in clamp_c(c0.floor())..=clamp_c(c1.ceil()) {
            if inside(c as f64, r as f64) {
                if let Some(i) = pixel_index(image, c as f64, r as f64) {
                    pixels.insert(i);
                }
            }
        }
    }
    pixels
}

fn pixel_index(image: &ImageSlice, column: f64, row: f64) -> Option<u32> {
    let inside = column >= 0.0
        && row >= 0.0
        && column < f64::from(image.columns)
        && row < f64::from(image.rows);
    inside.then(|| row as u32 * u32::from(image.columns) + column as u32)
}

/// Every value of `images` inside `region`.
pub fn values_inside<'a>(
    images: &'a [ImageSlice],
    region: &'a Region,
) -> impl Iterator<Item = f32> + 'a {
    region.iter().flat_map(move |r| {
        let values = images
            .get(r.slice)
            .map(|s| s.values.as_slice())
            .unwrap_or(&[]);
        r.pixels
            .iter()
            .filter_map(move |p| values.get(*p as usize).copied())
    })
}
