//! Grayscale Softcopy Presentation State → ruler lengths.
//!
//! A reader's ruler in a GSPS is a POLYLINE graphic object in PIXEL units (column, row) on
//! the images its Graphic Annotation item references; its length needs the referenced
//! image's Pixel Spacing, which the caller supplies (from the index). Graphics in DISPLAY
//! units are fractions of the displayed area and cannot be turned into millimetres: each
//! is reported as a problem. The annotation item's text, when it names a lesion (e.g.
//! "TL1 40.0 x 30.0 mm"), labels its lines.

use std::path::Path;

use dicom_dictionary_std::tags;
use dicom_object::InMemDicomObject;

use super::dataset::{items, open_object, text};
use super::MeasureError;
use crate::geometry::{scoord_length_mm, PixelSpacing};
use crate::sr::Scoord;

pub const GRAYSCALE_SOFTCOPY_PRESENTATION_STATE_STORAGE: &str = "1.2.840.10008.5.1.4.1.1.11.1";

#[derive(Debug, Clone, PartialEq)]
pub struct GspsAnnotations {
    pub path: String,
    pub sop_instance_uid: Option<String>,
    pub lines: Vec<GspsLine>,
    /// Graphics that could not be measured (DISPLAY units, malformed data), and why.
    pub problems: Vec<String>,
}

/// One measurable graphic (POLYLINE, CIRCLE or ELLIPSE in PIXEL units).
#[derive(Debug, Clone, PartialEq)]
pub struct GspsLine {
    /// The images the graphic is drawn on.
    pub referenced_sop_instance_uids: Vec<String>,
    pub graphic_type: String,
    /// (column, row) pairs in image pixels.
    pub data: Vec<f32>,
    pub layer: Option<String>,
    /// The annotation item's text objects, joined by " / ".
    pub text: Option<String>,
}

impl GspsLine {
    /// Length in mm through the referenced image's spacing (polyline length, circle
    /// diameter, ellipse major axis).
    pub fn length_mm(&self, spacing: PixelSpacing) -> Option<f64> {
        let scoord = Scoord {
            graphic_type: self.graphic_type.clone(),
            data: self.data.clone(),
            three_d: false,
            referenced_sop_instance_uid: None,
            referenced_frame: None,
            frame_of_reference_uid: None,
        };
        scoord_length_mm(&scoord, Some(spacing))
    }

    /// The lesion the text names: its first word (e.g. "TL1").
    pub fn lesion_label(&self) -> Option<&str> {
        self.text.as_deref()?.split_whitespace().next()
    }
}

/// Reads the measurable graphics of one GSPS.
pub fn read_gsps(path: &Path) -> Result<GspsAnnotations, MeasureError> {
    let shown = path.display().to_string();
    let object = open_object(path)?;
    let class = text(&object, tags::SOP_CLASS_UID).unwrap_or_default();
    if class != GRAYSCALE_SOFTCOPY_PRESENTATION_STATE_STORAGE {
        return Err(MeasureError::Field {
            path: shown,
            field: "SOP Class UID (0008,0016)",
            reason: format!("{class} is not Grayscale Softcopy Presentation State Storage"),
        });
    }
    let every_image = referenced_images(
        items(&object, tags::REFERENCED_SERIES_SEQUENCE)
            .iter()
            .flat_map(|s| items(s, tags::REFERENCED_IMAGE_SEQUENCE)),
    );
    let mut lines = Vec::new();
    let mut problems = Vec::new();
    for (a, annotation) in items(&object, tags::GRAPHIC_ANNOTATION_SEQUENCE)
        .iter()
        .enumerate()
    {
        // An annotation without its own image list applies to every image of the state.
        let own = referenced_images(items(annotation, tags::REFERENCED_IMAGE_SEQUENCE).iter());
        let images = if own.is_empty() {
            every_image.clone()
        } else {
            own
        };
        let texts: Vec<String> = items(annotation, tags::TEXT_OBJECT_SEQUENCE)
            .iter()
            .filter_map(|t| text(t, tags::UNFORMATTED_TEXT_VALUE))
            .collect();
        let label = (!texts.is_empty()).then(|| texts.join(" / "));
        for (g, graphic) in items(annotation, tags::GRAPHIC_OBJECT_SEQUENCE)
            .iter()
            .enumerate()
        {
            let at = format!(
                "Graphic Annotation item {}, graphic object {}",
                a + 1,
                g + 1
            );
            let kind = text(graphic, tags::GRAPHIC_TYPE).unwrap_or_default();
            if !matches!(kind.as_str(), "POLYLINE" | "CIRCLE" | "ELLIPSE") {
                continue; // points and interpolated curves carry no length
            }
            match text(graphic, tags::GRAPHIC_ANNOTATION_UNITS).as_deref() {
                Some("PIXEL") => {}
                Some("DISPLAY") => {
                    problems.push(format!(
                        "{at}: {kind} in DISPLAY units (fractions of the displayed area) has no length in mm; not measured"
                    ));
                    continue;
                }
                other => {
                    problems.push(format!(
                        "{at}: Graphic Annotation Units (0070,0005) {other:?} is not PIXEL; not measured"
                    ));
                    continue;
                }
            }
            let Some(data) = graphic_data(graphic) else {
                problems.push(format!(
                    "{at}: Graphic Data (0070,0022) absent or unreadable"
                ));
                continue;
            };
            if images.is_empty() {
                problems.push(format!(
                    "{at}: no referenced image to take the spacing from"
                ));
                continue;
            }
            lines.push(GspsLine {
                referenced_sop_instance_uids: images.clone(),
                graphic_type: kind,
                data,
                layer: text(annotation, tags::GRAPHIC_LAYER),
                text: label.clone(),
            });
        }
    }
    Ok(GspsAnnotations {
        path: shown,
        sop_instance_uid: text(&object, tags::SOP_INSTANCE_UID),
        lines,
        problems,
    })
}

fn referenced_images<'a>(refs: impl Iterator<Item = &'a InMemDicomObject>) -> Vec<String> {
    refs.filter_map(|r| text(r, tags::REFERENCED_SOP_INSTANCE_UID))
        .collect()
}

fn graphic_data(graphic: &InMemDicomObject) -> Option<Vec<f32>> {
    graphic.get(tags::GRAPHIC_DATA)?.to_multi_float32().ok()
}
