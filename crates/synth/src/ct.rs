//! CT series: a body phantom (air, subcutaneous fat, soft tissue, lungs, liver, spine)
//! with each subject's lesions drawn in as ellipsoids, encoded as CT Image Storage slices.
//!
//! Geometry: axial slices, Image Orientation (Patient) 1\0\0\0\1\0 (rows along +x, columns
//! along +y, LPS), square pixels of `FIELD_OF_VIEW_MM / matrix`, slices
//! `SLICE_THICKNESS_MM` apart going inferior (z decreases with the instance number).
//! Image Position (Patient) is the centre of the first pixel.

use oncoread_dicom::write::{DataSetWriter, Vr, WriteError};

use crate::modules;
use crate::plan::{
    LesionPlan, PixelStorage, SubjectPlan, TrialPlan, VisitPlan, FIELD_OF_VIEW_MM,
    SLICE_THICKNESS_MM,
};
use crate::rng::Rng;
use crate::tags::*;
use crate::uid::Uids;

pub const CT_IMAGE_STORAGE: &str = "1.2.840.10008.5.1.4.1.1.2";

pub const HU_AIR: i16 = -1000;
pub const HU_LUNG: i16 = -850;
pub const HU_FAT: i16 = -100;
pub const HU_SOFT_TISSUE: i16 = 40;
pub const HU_LIVER: i16 = 60;
pub const HU_BONE: i16 = 700;
/// Uniform pixel noise amplitude (± HU).
pub const NOISE_HU: i32 = 10;

/// The anatomy shared by every subject and visit: one CT number per pixel, before
/// lesions and noise. The anatomy changes with height only at the lung base and the liver
/// dome, so three planes serve every slice (a 2048² × 2000 volume would not fit memory).
pub struct Phantom {
    matrix: usize,
    /// Chest (lungs), lung base over the liver dome, abdomen (liver).
    planes: [Vec<i16>; 3],
    /// Which plane each slice shows.
    zone_of_slice: Vec<usize>,
}

/// Head-first fraction of the volume where the liver starts and the lungs end.
const LIVER_DOME: f64 = 0.4;
const LUNG_BASE: f64 = 0.5;

impl Phantom {
    pub fn new(matrix: usize, slices: usize) -> Self {
        let half = matrix as f64 / 2.0;
        let plane_at = |z: f64| {
            let mut plane = Vec::with_capacity(matrix * matrix);
            for row in 0..matrix {
                let y = (row as f64 + 0.5 - half) / half;
                for col in 0..matrix {
                    let x = (col as f64 + 0.5 - half) / half;
                    plane.push(anatomy(x, y, z));
                }
            }
            plane
        };
        let planes = [
            plane_at(0.0),
            plane_at((LIVER_DOME + LUNG_BASE) / 2.0),
            plane_at(1.0),
        ];
        let zone_of_slice = (0..slices)
            .map(|k| {
                let z = (k as f64 + 0.5) / slices as f64;
                if z < LIVER_DOME {
                    0
                } else if z < LUNG_BASE {
                    1
                } else {
                    2
                }
            })
            .collect();
        Phantom {
            matrix,
            planes,
            zone_of_slice,
        }
    }

    fn plane(&self, slice: usize) -> &[i16] {
        let zone = self.zone_of_slice.get(slice).copied().unwrap_or(2);
        &self.planes[zone]
    }
}

/// Inside an axis-aligned ellipse centred at (cx, cy) with radii (rx, ry).
fn in_ellipse(x: f64, y: f64, cx: f64, cy: f64, rx: f64, ry: f64) -> bool {
    let (dx, dy) = ((x - cx) / rx, (y - cy) / ry);
    dx * dx + dy * dy <= 1.0
}

/// The CT number at (x, y) in fractions of the half field of view and z in fractions of
/// the volume (0 = top).
fn anatomy(x: f64, y: f64, z: f64) -> i16 {
    if !in_ellipse(x, y, 0.0, 0.05, 0.85, 0.62) {
        return HU_AIR;
    }
    if !in_ellipse(x, y, 0.0, 0.05, 0.79, 0.56) {
        return HU_FAT;
    }
    if in_ellipse(x, y, 0.0, 0.45, 0.09, 0.09) {
        return HU_BONE;
    }
    if z < LUNG_BASE
        && (in_ellipse(x, y, -0.4, -0.05, 0.3, 0.4) || in_ellipse(x, y, 0.4, -0.05, 0.3, 0.4))
    {
        return HU_LUNG;
    }
    if z >= LIVER_DOME && in_ellipse(x, y, -0.35, 0.05, 0.36, 0.32) {
        return HU_LIVER;
    }
    HU_SOFT_TISSUE
}

/// Everything fixed for one series (one subject, one visit).
pub struct Series<'a> {
    pub trial: &'a TrialPlan,
    pub subject: &'a SubjectPlan,
    pub visit: &'a VisitPlan,
    pub uids: Uids,
    pub study_uid: String,
    pub series_uid: String,
    pub frame_uid: String,
}

impl Series<'_> {
    /// Image Position (Patient) of slice `k`.
    pub fn position(&self, k: usize) -> [f64; 3] {
        let spacing = self.trial.pixel_spacing();
        let first_pixel_centre = -FIELD_OF_VIEW_MM / 2.0 + spacing / 2.0;
        [
            first_pixel_centre,
            first_pixel_centre,
            self.visit.first_slice_z - k as f64 * SLICE_THICKNESS_MM,
        ]
    }
}

/// Renders slice `k` of a visit into `pixels` (stored values, as the scanner stores them):
/// phantom + lesions + noise, then minus the rescale intercept. `hu` is scratch space;
/// both buffers are reused from slice to slice.
pub fn render_slice(
    phantom: &Phantom,
    series: &Series<'_>,
    k: usize,
    hu: &mut Vec<i16>,
    pixels: &mut Vec<u16>,
) {
    let matrix = phantom.matrix;
    let storage = series.subject.storage;
    hu.clear();
    hu.extend_from_slice(phantom.plane(k));
    let visit = series.visit.schedule_index;
    for lesion in &series.subject.lesions {
        draw_lesion(hu, matrix, series.trial.pixel_spacing(), lesion, visit, k);
    }
    let mut noise = Rng::keyed(
        series.uids.seed,
        &[
            "noise",
            &series.subject.subject_id,
            &series.visit.timepoint_id,
            &k.to_string(),
        ],
    );
    pixels.clear();
    pixels.reserve(hu.len());
    let intercept = storage.intercept();
    let (lowest, highest) = match storage {
        PixelStorage::Unsigned => (0, 4095),
        PixelStorage::Signed => (-1024, 3071),
    };
    // One 64-bit draw gives four 16-bit noise samples; each maps to −NOISE_HU..=NOISE_HU
    // by a multiply-shift (no division in the pixel loop).
    for chunk in hu.chunks(4) {
        let mut bits = noise.next_u64();
        for value in chunk {
            let n = (((bits & 0xFFFF) as i32 * (2 * NOISE_HU + 1)) >> 16) - NOISE_HU;
            bits >>= 16;
            let stored = (i32::from(*value) + n - intercept).clamp(lowest, highest);
            // Unsigned values fit 12 bits; signed ones are kept as their two's complement.
            pixels.push(stored as i16 as u16);
        }
    }
}

/// Draws the cross-section of a lesion's ellipsoid on slice `k`, if it reaches it.
fn draw_lesion(
    hu: &mut [i16],
    matrix: usize,
    spacing: f64,
    lesion: &LesionPlan,
    visit: usize,
    k: usize,
) {
    let Some((long, short)) = lesion.sizes.get(visit).copied().flatten() else {
        return;
    };
    let depth = lesion.depth_semi_axis(visit);
    let dz = (k as f64 - lesion.slice as f64) * SLICE_THICKNESS_MM;
    if depth <= 0.0 || dz.abs() >= depth {
        return;
    }
    let scale = (1.0 - (dz / depth).powi(2)).sqrt();
    let (a, b) = (long / 2.0 * scale, short / 2.0 * scale);
    let (cos, sin) = (lesion.angle.cos(), lesion.angle.sin());
    let (cx, cy) = lesion.centre_px;
    let reach = a / spacing + 1.0;
    let low = |c: f64| (c - reach).floor().max(0.0) as usize;
    let high = |c: f64| ((c + reach).ceil().max(0.0) as usize).min(matrix);
    for row in low(cy)..high(cy) {
        let dy = (row as f64 + 0.5 - cy) * spacing;
        for col in low(cx)..high(cx) {
            let dx = (col as f64 + 0.5 - cx) * spacing;
            let u = dx * cos + dy * sin;
            let v = -dx * sin + dy * cos;
            if (u / a).powi(2) + (v / b).powi(2) <= 1.0 {
                hu[row * matrix + col] = lesion.hu;
            }
        }
    }
}

/// Encodes one CT slice data set into `w` (cleared first).
pub fn encode_slice(
    w: &mut DataSetWriter,
    series: &Series<'_>,
    k: usize,
    sop_instance_uid: &str,
    pixels: &[u16],
) -> Result<(), WriteError> {
    let trial = series.trial;
    let subject = series.subject;
    let visit = series.visit;
    let matrix = trial.options.matrix as u16;
    let date = modules::study_date(visit);
    let position = series.position(k);
    w.clear();
    w.text(SPECIFIC_CHARACTER_SET, Vr::CS, "ISO_IR 192")?;
    w.texts(IMAGE_TYPE, Vr::CS, &["ORIGINAL", "PRIMARY", "AXIAL"])?;
    w.text(INSTANCE_CREATION_DATE, Vr::DA, &date)?;
    w.text(INSTANCE_CREATION_TIME, Vr::TM, &visit.time)?;
    w.text(SOP_CLASS_UID, Vr::UI, CT_IMAGE_STORAGE)?;
    w.text(SOP_INSTANCE_UID, Vr::UI, sop_instance_uid)?;
    w.text(STUDY_DATE, Vr::DA, &date)?;
    w.text(SERIES_DATE, Vr::DA, &date)?;
    w.text(ACQUISITION_DATE, Vr::DA, &date)?;
    w.text(CONTENT_DATE, Vr::DA, &date)?;
    w.text(STUDY_TIME, Vr::TM, &visit.time)?;
    w.text(SERIES_TIME, Vr::TM, &visit.time)?;
    w.text(ACQUISITION_TIME, Vr::TM, &visit.time)?;
    w.text(CONTENT_TIME, Vr::TM, &visit.time)?;
    w.text(
        ACCESSION_NUMBER,
        Vr::SH,
        &modules::accession(subject, visit),
    )?;
    w.text(MODALITY, Vr::CS, "CT")?;
    w.text(MANUFACTURER, Vr::LO, "Oncoread Synthetic Imaging")?;
    w.empty(REFERRING_PHYSICIAN_NAME, Vr::PN)?;
    w.text(STUDY_DESCRIPTION, Vr::LO, "CT chest abdomen pelvis")?;
    w.text(SERIES_DESCRIPTION, Vr::LO, "Axial 5 mm soft tissue")?;
    w.text(MANUFACTURER_MODEL_NAME, Vr::LO, "oncoread-synth phantom")?;
    modules::patient(w, subject)?;
    modules::clinical_trial(w, trial, subject, visit)?;
    w.decimals(SLICE_THICKNESS, &[SLICE_THICKNESS_MM])?;
    w.decimals(KVP, &[120.0])?;
    w.text(PATIENT_POSITION, Vr::CS, "HFS")?;
    w.text(STUDY_INSTANCE_UID, Vr::UI, &series.study_uid)?;
    w.text(SERIES_INSTANCE_UID, Vr::UI, &series.series_uid)?;
    w.text(STUDY_ID, Vr::SH, &visit.timepoint_id)?;
    w.integer_string(SERIES_NUMBER, 2)?;
    w.integer_string(ACQUISITION_NUMBER, 1)?;
    w.integer_string(INSTANCE_NUMBER, k as i64 + 1)?;
    w.decimals(IMAGE_POSITION_PATIENT, &position)?;
    w.decimals(IMAGE_ORIENTATION_PATIENT, &[1.0, 0.0, 0.0, 0.0, 1.0, 0.0])?;
    w.text(FRAME_OF_REFERENCE_UID, Vr::UI, &series.frame_uid)?;
    w.empty(POSITION_REFERENCE_INDICATOR, Vr::LO)?;
    w.decimals(SLICE_LOCATION, &[position[2]])?;
    w.us(SAMPLES_PER_PIXEL, 1)?;
    w.text(PHOTOMETRIC_INTERPRETATION, Vr::CS, "MONOCHROME2")?;
    w.us(ROWS, matrix)?;
    w.us(COLUMNS, matrix)?;
    let spacing = trial.pixel_spacing();
    w.decimals(PIXEL_SPACING, &[spacing, spacing])?;
    w.us(BITS_ALLOCATED, 16)?;
    let (bits_stored, representation) = match subject.storage {
        PixelStorage::Unsigned => (12, 0),
        PixelStorage::Signed => (16, 1),
    };
    w.us(BITS_STORED, bits_stored)?;
    w.us(HIGH_BIT, bits_stored - 1)?;
    w.us(PIXEL_REPRESENTATION, representation)?;
    w.decimals(WINDOW_CENTER, &[40.0])?;
    w.decimals(WINDOW_WIDTH, &[400.0])?;
    w.decimals(RESCALE_INTERCEPT, &[f64::from(subject.storage.intercept())])?;
    w.decimals(RESCALE_SLOPE, &[1.0])?;
    w.text(RESCALE_TYPE, Vr::LO, "HU")?;
    w.ow_words(PIXEL_DATA, pixels)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phantom_has_air_outside_and_tissue_inside() {
        let p = Phantom::new(64, 8);
        let top = p.plane(0);
        assert_eq!(top[0], HU_AIR); // corner
        assert_eq!(top[32 * 64 + 32], HU_SOFT_TISSUE); // centre (mediastinum)
                                                       // Right lung (image left) on a top slice, liver at the same place on a bottom one.
        let at = |plane: &[i16]| plane[30 * 64 + 20];
        assert_eq!(at(top), HU_LUNG);
        assert_eq!(at(p.plane(7)), HU_LIVER);
    }
}
