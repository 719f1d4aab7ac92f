//! DICOM Segmentation (SEG, Label Map SEG) → per-segment diameters and volume.
//!
//! Each frame is one plane of one segment (BINARY, FRACTIONAL) or of every segment at once
//! (LABELMAP, pixel value = segment number). Frames may come in any order, only the
//! non-empty ones may be present (sparse), and two segments may cover the same pixels:
//! every frame is measured on its own and tied to its segment and source image.
//!
//! BINARY frames are 1 bit per pixel, packed LSB first with no padding between frames, so
//! a frame may start in the middle of a byte; they are unpacked here (dicom-pixeldata
//! refuses Bits Allocated = 1). A FRACTIONAL pixel is in the segment when its value
//! exceeds half of Maximum Fractional Value.

use std::collections::BTreeMap;
use std::path::Path;

use dicom_dictionary_std::tags;
use dicom_object::InMemDicomObject;
use dicom_pixeldata::PixelDecoder;

use super::dataset::{first_item, float, integer, items, open_object, text};
use super::planar::{diameters, Diameters, Point};
use super::plane::{frame_plane, Plane};
use super::MeasureError;

pub const SEGMENTATION_STORAGE: &str = "1.2.840.10008.5.1.4.1.1.66.4";
pub const LABEL_MAP_SEGMENTATION_STORAGE: &str = "1.2.840.10008.5.1.4.1.1.66.7";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SegmentationType {
    Binary,
    Fractional,
    LabelMap,
}

/// Every segment of one SEG, measured.
#[derive(Debug, Clone, PartialEq)]
pub struct SegMeasurements {
    pub path: String,
    pub sop_instance_uid: Option<String>,
    pub segmentation_type: SegmentationType,
    /// By segment number.
    pub segments: Vec<SegmentMeasurement>,
    /// Frames or segments that could not be measured, each naming the frame and field.
    pub problems: Vec<String>,
}

/// One segment: its largest slice's diameters and its volume.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentMeasurement {
    pub number: u16,
    pub label: Option<String>,
    pub tracking_uid: Option<String>,
    /// The slice with the longest in-plane diameter (index into `slices`).
    pub largest_slice: usize,
    pub longest_mm: f64,
    /// Longest diameter at right angles to `longest_mm`, on the same slice.
    pub perpendicular_mm: f64,
    /// Σ pixels × row spacing × column spacing × slice thickness; `None` when a frame has
    /// no Slice Thickness (nor Spacing Between Slices).
    pub volume_mm3: Option<f64>,
    pub pixel_count: u64,
    /// One entry per non-empty frame of this segment, in frame order.
    pub slices: Vec<SegmentSlice>,
}

/// The segment on one frame.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentSlice {
    /// 1-based frame number in the SEG.
    pub frame_number: u32,
    /// The source image the frame was derived from (Derivation Image → Source Image).
    pub source_sop_instance_uid: Option<String>,
    pub source_frame_number: Option<u32>,
    pub plane: Plane,
    pub columns: u16,
    /// Row-major pixel indices (row × columns + column) inside the segment.
    pub pixels: Vec<u32>,
    pub diameters: Diameters,
}

impl SegMeasurements {
    pub fn segment(&self, number: u16) -> Option<&SegmentMeasurement> {
        self.segments.iter().find(|s| s.number == number)
    }
}

/// Reads and measures one SEG file.
pub fn measure_seg(path: &Path) -> Result<SegMeasurements, MeasureError> {
    let shown = path.display().to_string();
    let object = open_object(path)?;
    let field = |field: &'static str, reason: String| MeasureError::Field {
        path: shown.clone(),
        field,
        reason,
    };
    let class = text(&object, tags::SOP_CLASS_UID).unwrap_or_default();
    if class != SEGMENTATION_STORAGE && class != LABEL_MAP_SEGMENTATION_STORAGE {
        return Err(field(
            "SOP Class UID (0008,0016)",
            format!("{class} is not a Segmentation Storage class"),
        ));
    }
    let segmentation_type = match text(&object, tags::SEGMENTATION_TYPE).as_deref() {
        Some("BINARY") => SegmentationType::Binary,
        Some("FRACTIONAL") => SegmentationType::Fractional,
        Some("LABELMAP") => SegmentationType::LabelMap,
        other => {
            return Err(field(
                "Segmentation Type (0062,0001)",
                format!("{other:?} is not BINARY, FRACTIONAL or LABELMAP"),
            ))
        }
    };
    let dimension = |tag, name| {
        integer(&object, tag)
            .and_then(|v| u16::try_from(v).ok())
            .filter(|v| *v > 0)
            .ok_or_else(|| field(name, "absent or not a positive number".into()))
    };
    let rows = dimension(tags::ROWS, "Rows (0028,0010)")?;
    let columns = dimension(tags::COLUMNS, "Columns (0028,0011)")?;
    let frames = integer(&object, tags::NUMBER_OF_FRAMES).unwrap_or(1);
    let frames = usize::try_from(frames)
        .ok()
        .filter(|f| *f > 0)
        .ok_or_else(|| field("Number of Frames (0028,0008)", format!("{frames}")))?;
    let bits = integer(&object, tags::BITS_ALLOCATED).unwrap_or(0);
    let samples = Samples::of(bits, segmentation_type).ok_or_else(|| {
        field(
            "Bits Allocated (0028,0100)",
            format!("{bits} is not 1, 8 or 16 as this segmentation type allows"),
        )
    })?;
    let frame_pixels = usize::from(rows) * usize::from(columns);
    let bytes = pixel_bytes(&object).map_err(|reason| field("Pixel Data (7FE0,0010)", reason))?;
    let needed_bits = frames * frame_pixels * samples.bits();
    if bytes.len() * 8 < needed_bits {
        return Err(field(
            "Pixel Data (7FE0,0010)",
            format!(
                "{} bytes, but {frames} frames of {rows}×{columns} at {} bits need {}",
                bytes.len(),
                samples.bits(),
                needed_bits.div_ceil(8)
            ),
        ));
    }
    let threshold = match segmentation_type {
        // In the segment when value > Maximum Fractional Value / 2 (0 counts as 255 absent).
        SegmentationType::Fractional => {
            float(&object, tags::MAXIMUM_FRACTIONAL_VALUE).unwrap_or(255.0) / 2.0
        }
        _ => 0.0,
    };
    let padding = integer(&object, tags::PIXEL_PADDING_VALUE);

    let mut problems = Vec::new();
    let mut by_segment: BTreeMap<u16, Vec<SegmentSlice>> = BTreeMap::new();
    for frame in 0..frames {
        let frame_number = frame as u32 + 1;
        let plane = match frame_plane(&object, frame) {
            Ok(plane) => plane,
            Err(missing) => {
                problems.push(format!(
                    "frame {frame_number}: no {missing}; frame not measured"
                ));
                continue;
            }
        };
        let (source_sop_instance_uid, source_frame_number) = source_image(&object, frame);
        let value_at = |i: usize| samples.value(&bytes, frame * frame_pixels + i);
        let mut pixels_by_segment: BTreeMap<u16, Vec<u32>> = BTreeMap::new();
        if segmentation_type == SegmentationType::LabelMap {
            for i in 0..frame_pixels {
                let value = value_at(i);
                // Label 0 is the background by convention; the padding value is no label.
                if value != 0 && padding != Some(i64::from(value)) {
                    pixels_by_segment.entry(value).or_default().push(i as u32);
                }
            }
        } else {
            let Some(number) = frame_segment_number(&object, frame) else {
                problems.push(format!(
                    "frame {frame_number}: no Referenced Segment Number (0062,000B) in Segment Identification; frame not measured"
                ));
                continue;
            };
            let inside: Vec<u32> = (0..frame_pixels)
                .filter(|i| f64::from(value_at(*i)) > threshold)
                .map(|i| i as u32)
                .collect();
            if !inside.is_empty() {
                pixels_by_segment.insert(number, inside);
            }
        }
        for (number, pixels) in pixels_by_segment {
            let Some(diameters) = diameters(&outline_points(&pixels, columns, plane.spacing))
            else {
                continue;
            };
            by_segment.entry(number).or_default().push(SegmentSlice {
                frame_number,
                source_sop_instance_uid: source_sop_instance_uid.clone(),
                source_frame_number,
                plane,
                columns,
                pixels,
                diameters,
            });
        }
    }

    let descriptions = segment_descriptions(&object);
    let segments = by_segment
        .into_iter()
        .filter_map(|(number, slices)| {
            let (label, tracking_uid) = descriptions.get(&number).cloned().unwrap_or_default();
            summarise(number, label, tracking_uid, slices, &mut problems)
        })
        .collect();
    Ok(SegMeasurements {
        path: shown,
        sop_instance_uid: text(&object, tags::SOP_INSTANCE_UID),
        segmentation_type,
        segments,
        problems,
    })
}

fn summarise(
    number: u16,
    label: Option<String>,
    tracking_uid: Option<String>,
    slices: Vec<SegmentSlice>,
    problems: &mut Vec<String>,
) -> Option<SegmentMeasurement> {
    let mut largest = 0;
    for (i, slice) in slices.iter().enumerate() {
        if slice.diameters.longest_mm > slices[largest].diameters.longest_mm {
            largest = i;
        }
    }
    let best = slices.get(largest)?.diameters;
    let pixel_count = slices.iter().map(|s| s.pixels.len() as u64).sum();
    let volume_mm3 = slices
        .iter()
        .map(|s| {
            let [row, col] = s.plane.spacing;
            s.plane
                .thickness
                .map(|t| s.pixels.len() as f64 * row * col * t)
        })
        .sum::<Option<f64>>();
    if volume_mm3.is_none() {
        problems.push(format!(
            "segment {number}: a frame has neither Slice Thickness (0018,0050) nor Spacing Between Slices (0018,0088) in its Pixel Measures; no volume"
        ));
    }
    Some(SegmentMeasurement {
        number,
        label,
        tracking_uid,
        largest_slice: largest,
        longest_mm: best.longest_mm,
        perpendicular_mm: best.perpendicular_mm,
        volume_mm3,
        pixel_count,
        slices,
    })
}

/// How one pixel value is stored.
#[derive(Debug, Clone, Copy)]
enum Samples {
    OneBit,
    Byte,
    Word,
}

impl Samples {
    fn of(bits_allocated: i64, kind: SegmentationType) -> Option<Samples> {
        match (bits_allocated, kind) {
            (1, SegmentationType::Binary) => Some(Samples::OneBit),
            (8, _) => Some(Samples::Byte),
            (16, SegmentationType::LabelMap) => Some(Samples::Word),
            _ => None,
        }
    }

    fn bits(self) -> usize {
        match self {
            Samples::OneBit => 1,
            Samples::Byte => 8,
            Samples::Word => 16,
        }
    }

    /// Value of pixel `index` counted over the whole multi-frame buffer (bounds checked
    /// by the caller against the buffer's length).
    fn value(self, bytes: &[u8], index: usize) -> u16 {
        match self {
            Samples::OneBit => u16::from((bytes[index / 8] >> (index % 8)) & 1),
            Samples::Byte => u16::from(bytes[index]),
            Samples::Word => u16::from_le_bytes([bytes[2 * index], bytes[2 * index + 1]]),
        }
    }
}

/// The Pixel Data bytes: as stored when native, else decoded (encapsulated SEGs).
fn pixel_bytes(object: &dicom_object::DefaultDicomObject) -> Result<Vec<u8>, String> {
    let element = object
        .get(tags::PIXEL_DATA)
        .ok_or_else(|| "absent".to_string())?;
    if let Ok(bytes) = element.to_bytes() {
        return Ok(bytes.into_owned());
    }
    let decoded = object.decode_pixel_data().map_err(|e| e.to_string())?;
    Ok(decoded.data().to_vec())
}

/// Points of a mask's outline in plane mm: each row's first and last pixel centre (the
/// convex hull of the mask is the hull of these).
fn outline_points(pixels: &[u32], columns: u16, spacing: [f64; 2]) -> Vec<Point> {
    let columns = u32::from(columns);
    let mut extents: BTreeMap<u32, (u32, u32)> = BTreeMap::new();
    for &p in pixels {
        let (row, col) = (p / columns, p % columns);
        let e = extents.entry(row).or_insert((col, col));
        e.0 = e.0.min(col);
        e.1 = e.1.max(col);
    }
    let [row_spacing, col_spacing] = spacing;
    extents
        .into_iter()
        .flat_map(|(row, (first, last))| {
            let y = f64::from(row) * row_spacing;
            [
                [f64::from(first) * col_spacing, y],
                [f64::from(last) * col_spacing, y],
            ]
        })
        .collect()
}

/// The segment number of frame `index`: per-frame, else shared Segment Identification.
fn frame_segment_number(root: &InMemDicomObject, index: usize) -> Option<u16> {
    let from = |group: &InMemDicomObject| {
        first_item(group, tags::SEGMENT_IDENTIFICATION_SEQUENCE)
            .and_then(|s| integer(s, tags::REFERENCED_SEGMENT_NUMBER))
            .and_then(|n| u16::try_from(n).ok())
    };
    items(root, tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE)
        .get(index)
        .and_then(from)
        .or_else(|| first_item(root, tags::SHARED_FUNCTIONAL_GROUPS_SEQUENCE).and_then(from))
}

/// The source image of frame `index` (first Source Image of its Derivation Image).
fn source_image(root: &InMemDicomObject, index: usize) -> (Option<String>, Option<u32>) {
    let source = items(root, tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE)
        .get(index)
        .and_then(|f| first_item(f, tags::DERIVATION_IMAGE_SEQUENCE))
        .and_then(|d| first_item(d, tags::SOURCE_IMAGE_SEQUENCE));
    match source {
        Some(s) => (
            text(s, tags::REFERENCED_SOP_INSTANCE_UID),
            integer(s, tags::REFERENCED_FRAME_NUMBER).and_then(|n| u32::try_from(n).ok()),
        ),
        None => (None, None),
    }
}

/// Segment number → (label, tracking UID) from the Segment Sequence.
fn segment_descriptions(
    root: &InMemDicomObject,
) -> BTreeMap<u16, (Option<String>, Option<String>)> {
    items(root, tags::SEGMENT_SEQUENCE)
        .iter()
        .filter_map(|s| {
            let number = u16::try_from(integer(s, tags::SEGMENT_NUMBER)?).ok()?;
            Some((
                number,
                (text(s, tags::SEGMENT_LABEL), text(s, tags::TRACKING_UID)),
            ))
        })
        .collect()
}
