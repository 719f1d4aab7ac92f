//! RT Structure Set → per-ROI diameters and volume from closed planar contours.
//!
//! Contour Data is in patient millimetres. Contours of one ROI are grouped by plane (their
//! distance along the structure's normal); on each plane the diameters are taken over all
//! its contours' vertices (the longest distance between two points of a polygon is always
//! between two vertices) and the area is the sum of its polygons' areas. The volume counts
//! each plane's area over one plane spacing (the median gap between planes), as a voxel
//! mask counts each pixel over one slice thickness.

use std::path::Path;

use dicom_dictionary_std::tags;

use super::dataset::{floats, integer, items, open_object, text};
use super::planar::{diameters, polygon_area, Diameters, Point};
use super::plane::dot;
use super::MeasureError;

pub const RT_STRUCTURE_SET_STORAGE: &str = "1.2.840.10008.5.1.4.1.1.481.3";

/// Planes closer than this along the normal are one plane.
const SAME_PLANE_MM: f64 = 0.01;

#[derive(Debug, Clone, PartialEq)]
pub struct RtStructMeasurements {
    pub path: String,
    pub sop_instance_uid: Option<String>,
    /// ROIs with at least one closed planar contour, by ROI number.
    pub rois: Vec<RoiMeasurement>,
    /// ROIs or contours that could not be measured, and why.
    pub problems: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RoiMeasurement {
    pub number: i64,
    pub name: Option<String>,
    /// The plane with the longest in-plane diameter (index into `planes`).
    pub largest_plane: usize,
    pub longest_mm: f64,
    pub perpendicular_mm: f64,
    /// `None` with a single plane: no spacing to give the slab a thickness.
    pub volume_mm3: Option<f64>,
    /// Ordered by position along the normal.
    pub planes: Vec<ContourPlane>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ContourPlane {
    /// Distance of the plane from the origin along the structure's normal, in mm.
    pub offset_mm: f64,
    pub area_mm2: f64,
    pub diameters: Diameters,
    /// Images the contours were drawn on (Contour Image Sequence).
    pub referenced_sop_instance_uids: Vec<String>,
    /// The polygons in patient mm.
    pub polygons: Vec<Vec<[f64; 3]>>,
}

impl RtStructMeasurements {
    pub fn roi(&self, name: &str) -> Option<&RoiMeasurement> {
        self.rois.iter().find(|r| r.name.as_deref() == Some(name))
    }
}

/// Reads and measures one RT Structure Set.
pub fn measure_rtstruct(path: &Path) -> Result<RtStructMeasurements, MeasureError> {
    let shown = path.display().to_string();
    let object = open_object(path)?;
    let class = text(&object, tags::SOP_CLASS_UID).unwrap_or_default();
    if class != RT_STRUCTURE_SET_STORAGE {
        return Err(MeasureError::Field {
            path: shown,
            field: "SOP Class UID (0008,0016)",
            reason: format!("{class} is not RT Structure Set Storage"),
        });
    }
    let names: Vec<(i64, Option<String>)> = items(&object, tags::STRUCTURE_SET_ROI_SEQUENCE)
        .iter()
        .filter_map(|r| Some((integer(r, tags::ROI_NUMBER)?, text(r, tags::ROI_NAME))))
        .collect();
    let name_of = |number: i64| {
        names
            .iter()
            .find(|(n, _)| *n == number)
            .and_then(|(_, name)| name.clone())
    };
    let mut problems = Vec::new();
    let mut rois = Vec::new();
    for (index, roi) in items(&object, tags::ROI_CONTOUR_SEQUENCE)
        .iter()
        .enumerate()
    {
        let Some(number) = integer(roi, tags::REFERENCED_ROI_NUMBER) else {
            problems.push(format!(
                "ROI Contour item {}: no Referenced ROI Number (3006,0084); not measured",
                index + 1
            ));
            continue;
        };
        let name = name_of(number);
        let shown_roi = format!("ROI {number} \"{}\"", name.as_deref().unwrap_or(""));
        let mut contours: Vec<(Vec<[f64; 3]>, Vec<String>)> = Vec::new();
        let mut other_types = Vec::new();
        for contour in items(roi, tags::CONTOUR_SEQUENCE) {
            let kind = text(contour, tags::CONTOUR_GEOMETRIC_TYPE).unwrap_or_default();
            if kind != "CLOSED_PLANAR" {
                other_types.push(kind);
                continue;
            }
            let data = floats(contour, tags::CONTOUR_DATA).unwrap_or_default();
            if data.len() < 9 || !data.len().is_multiple_of(3) {
                problems.push(format!(
                    "{shown_roi}: a CLOSED_PLANAR contour's Contour Data (3006,0050) has {} values, not 3 per point for at least 3 points; contour skipped",
                    data.len()
                ));
                continue;
            }
            let points = data.chunks_exact(3).map(|p| [p[0], p[1], p[2]]).collect();
            let images = items(contour, tags::CONTOUR_IMAGE_SEQUENCE)
                .iter()
                .filter_map(|i| text(i, tags::REFERENCED_SOP_INSTANCE_UID))
                .collect();
            contours.push((points, images));
        }
        if contours.is_empty() {
            other_types.sort();
            other_types.dedup();
            problems.push(format!(
                "{shown_roi}: no CLOSED_PLANAR contour (contour types: {}); not measured",
                if other_types.is_empty() {
                    "none".to_string()
                } else {
                    other_types.join(", ")
                }
            ));
            continue;
        }
        match measure_roi(number, name, contours) {
            Ok(measured) => rois.push(measured),
            Err(reason) => problems.push(format!("{shown_roi}: {reason}; not measured")),
        }
    }
    rois.sort_by_key(|r| r.number);
    Ok(RtStructMeasurements {
        path: shown,
        sop_instance_uid: text(&object, tags::SOP_INSTANCE_UID),
        rois,
        problems,
    })
}

fn measure_roi(
    number: i64,
    name: Option<String>,
    contours: Vec<(Vec<[f64; 3]>, Vec<String>)>,
) -> Result<RoiMeasurement, String> {
    let normal = contours
        .iter()
        .find_map(|(points, _)| newell_normal(points))
        .ok_or("every contour is degenerate (collinear points)")?;
    let (u, v) = plane_basis(normal);
    let mut planes: Vec<ContourPlane> = Vec::new();
    for (points, images) in contours {
        let offset = points.iter().map(|p| dot(*p, normal)).sum::<f64>() / points.len() as f64;
        let flat: Vec<Point> = points.iter().map(|p| [dot(*p, u), dot(*p, v)]).collect();
        let area = polygon_area(&flat);
        let plane = match planes
            .iter_mut()
            .find(|p| (p.offset_mm - offset).abs() < SAME_PLANE_MM)
        {
            Some(plane) => plane,
            None => {
                planes.push(ContourPlane {
                    offset_mm: offset,
                    area_mm2: 0.0,
                    diameters: Diameters {
                        longest_mm: 0.0,
                        perpendicular_mm: 0.0,
                        longest_ends: [[0.0; 2]; 2],
                    },
                    referenced_sop_instance_uids: Vec::new(),
                    polygons: Vec::new(),
                });
                let last = planes.len() - 1;
                &mut planes[last]
            }
        };
        plane.area_mm2 += area;
        plane.polygons.push(points);
        plane.referenced_sop_instance_uids.extend(images);
    }
    for plane in &mut planes {
        let flat: Vec<Point> = plane
            .polygons
            .iter()
            .flatten()
            .map(|p| [dot(*p, u), dot(*p, v)])
            .collect();
        if let Some(d) = diameters(&flat) {
            plane.diameters = d;
        }
        plane.referenced_sop_instance_uids.sort();
        plane.referenced_sop_instance_uids.dedup();
    }
    planes.sort_by(|a, b| a.offset_mm.total_cmp(&b.offset_mm));
    let mut largest = 0;
    for (i, plane) in planes.iter().enumerate() {
        if plane.diameters.longest_mm > planes[largest].diameters.longest_mm {
            largest = i;
        }
    }
    let mut gaps: Vec<f64> = planes
        .windows(2)
        .map(|w| w[1].offset_mm - w[0].offset_mm)
        .collect();
    gaps.sort_by(f64::total_cmp);
    let spacing = gaps.get(gaps.len() / 2).copied();
    let volume_mm3 = spacing.map(|s| planes.iter().map(|p| p.area_mm2).sum::<f64>() * s);
    let best = planes[largest].diameters;
    Ok(RoiMeasurement {
        number,
        name,
        largest_plane: largest,
        longest_mm: best.longest_mm,
        perpendicular_mm: best.perpendicular_mm,
        volume_mm3,
        planes,
    })
}

/// Unit normal of a polygon (Newell's method); `None` when its points are collinear.
fn newell_normal(points: &[[f64; 3]]) -> Option<[f64; 3]> {
    let mut n = [0.0; 3];
    for (i, a) in points.iter().enumerate() {
        let b = points[(i + 1) % points.len()];
        n[0] += (a[1] - b[1]) * (a[2] + b[2]);
        n[1] += (a[2] - b[2]) * (a[0] + b[0]);
        n[2] += (a[0] - b[0]) * (a[1] + b[1]);
    }
    let norm = dot(n, n).sqrt();
    (norm > 1e-9).then(|| n.map(|x| x / norm))
}

/// Two unit vectors spanning the plane at right angles to `normal`.
fn plane_basis(normal: [f64; 3]) -> ([f64; 3], [f64; 3]) {
    let cross = |a: [f64; 3], b: [f64; 3]| {
        [
            a[1] * b[2] - a[2] * b[1],
            a[2] * b[0] - a[0] * b[2],
            a[0] * b[1] - a[1] * b[0],
        ]
    };
    // Start from the patient axis least aligned with the normal.
    let axis = if normal[0].abs() <= normal[1].abs() && normal[0].abs() <= normal[2].abs() {
        [1.0, 0.0, 0.0]
    } else if normal[1].abs() <= normal[2].abs() {
        [0.0, 1.0, 0.0]
    } else {
        [0.0, 0.0, 1.0]
    };
    let u = cross(normal, axis);
    let norm = dot(u, u).sqrt();
    let u = u.map(|x| x / norm);
    (u, cross(normal, u))
}
