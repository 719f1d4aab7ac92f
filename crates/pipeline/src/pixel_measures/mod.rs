//! Pixel-derived lesion values for the timeline (after assembly).
//!
//! A lesion whose measurement group references a SEG segment (TID 1411) gets from that
//! segment what its report left out: long axis (longest in-plane diameter), short axis
//! (longest perpendicular on that slice) and volume; each value filled this way is listed
//! in the lesion's `source.derived`. When the segment's source images are under the
//! inputs, CT slices give `mean_hu` (Choi) and a PET series gives `sul_peak` (PERCIST).
//!
//! Only the objects a lesion needs are decoded: each referenced SEG once, the CT slices a
//! segment lies on, and the whole PET series of a segment (its 1 cm³ peak sphere reaches
//! the neighbouring slices). SEGs, CT slices and PET slices are decoded in parallel.
//!
//! Then the objects no report references: presentation-state rulers ([`gsps`]) and RT
//! structure sets ([`rtstruct`]), matched to lesions by name ([`naming`]); an RTSTRUCT
//! ROI or SEG segment named as the liver reference gives its timepoint's liver SUL mean
//! and SD ([`liver`]).

mod gsps;
mod liver;
mod naming;
mod rtstruct;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use oncoread_criteria::timeline::{Lesion, Problem, Timeline};
use oncoread_dicom::header::HeaderRecord;
use oncoread_dicom::measure::hu::mean_hu;
use oncoread_dicom::measure::region::{from_scoord, from_segment};
use oncoread_dicom::measure::seg::{measure_seg, SegMeasurements, SegmentMeasurement};
use oncoread_dicom::measure::slices::{decode_slice, ImageSlice};
use oncoread_dicom::measure::suv::{uptake_factors, LbmFormula, PetVolume};
use oncoread_dicom::sr::Scoord;
use rayon::prelude::*;
use serde_json::Value;

/// Source keys written by assembly for a TID 1411 group.
pub const SEGMENT_UID_KEY: &str = "segment_sop_instance_uid";
pub const SEGMENT_NUMBER_KEY: &str = "segment_number";
/// Source keys written by assembly for an image-plane ROI that outlines an area.
pub const ROI_TYPE_KEY: &str = "roi_graphic_type";
pub const ROI_DATA_KEY: &str = "roi_graphic_data";
pub const ROI_IMAGE_KEY: &str = "roi_referenced_sop_instance_uid";

#[derive(Debug, Clone, Copy, Default)]
pub struct PixelOptions {
    /// Lean body mass formula for SUL (`percist.lbm_formula`).
    pub lbm_formula: LbmFormula,
    /// Decode on the calling thread only (`--threads 1`).
    pub sequential: bool,
}

/// The LBM formula the criteria config names (`percist.lbm_formula`).
pub fn lbm_formula_of(config: &oncoread_criteria::Config) -> LbmFormula {
    match config.percist.lbm_formula {
        oncoread_criteria::LbmFormula::James => LbmFormula::James,
        oncoread_criteria::LbmFormula::Janmahasatian => LbmFormula::Janmahasatian,
    }
}

/// Where a lesion of the timeline points into a SEG.
struct SegmentRef {
    at: (usize, usize, usize),
    seg_uid: String,
    number: Option<u16>,
}

pub(crate) fn problem(kind: &str, message: String, path: Option<&str>) -> Problem {
    let mut p = Problem::new(kind, message);
    p.path = path.map(str::to_string);
    p
}

pub(crate) fn map_maybe_parallel<T: Sync, R: Send>(
    items: &[T],
    sequential: bool,
    f: impl Fn(&T) -> R + Sync + Send,
) -> Vec<R> {
    if sequential {
        items.iter().map(f).collect()
    } else {
        items.par_iter().map(f).collect()
    }
}

/// The indexed instances under the inputs, by SOP Instance UID.
pub(crate) struct Inputs<'a> {
    pub records: &'a [HeaderRecord],
    pub by_uid: HashMap<&'a str, &'a HeaderRecord>,
}

impl<'a> Inputs<'a> {
    fn new(records: &'a [HeaderRecord]) -> Self {
        let by_uid = records
            .iter()
            .filter_map(|r| Some((r.sop_instance_uid.as_deref()?, r)))
            .collect();
        Inputs { records, by_uid }
    }

    /// The file of an instance that can be opened here (not a PACS URL).
    pub fn local_path(&self, uid: &str) -> Option<&'a str> {
        self.by_uid
            .get(uid)
            .map(|r| r.path.as_str())
            .filter(|p| is_local(p))
    }

    /// Local files of the given SOP class.
    pub fn of_class(&self, sop_class_uid: &str) -> Vec<&'a HeaderRecord> {
        self.records
            .iter()
            .filter(|r| r.sop_class_uid.as_deref() == Some(sop_class_uid) && is_local(&r.path))
            .collect()
    }
}

/// Presentation states, structure sets and segmentations listed by a PACS source: their
/// content is read only from files (a PACS source fetches the reports whole and only the
/// headers of everything else), so each kind found gets one problem with the count, rather
/// than being passed over in silence.
fn unread_pacs_objects(records: &[HeaderRecord]) -> Vec<Problem> {
    use oncoread_dicom::measure::gsps::GRAYSCALE_SOFTCOPY_PRESENTATION_STATE_STORAGE as GSPS;
    use oncoread_dicom::measure::rtstruct::RT_STRUCTURE_SET_STORAGE as RTSTRUCT;
    use oncoread_dicom::measure::seg::SEGMENTATION_STORAGE as SEG;
    let kinds = [
        (GSPS, "presentation states (GSPS)"),
        (RTSTRUCT, "structure sets (RTSTRUCT)"),
        (SEG, "segmentations (SEG)"),
    ];
    let mut problems = Vec::new();
    for (class, what) in kinds {
        let remote: Vec<&HeaderRecord> = records
            .iter()
            .filter(|r| r.sop_class_uid.as_deref() == Some(class) && !is_local(&r.path))
            .collect();
        let Some(first) = remote.first() else {
            continue;
        };
        let mut p = problem(
            "pacs_object_not_read",
            format!(
                "{} {what} on a PACS source were not read (their rulers, contours and \
                 segments are read from files only; copy them into a folder input to use \
                 them), e.g. {}",
                remote.len(),
                first.path
            ),
            Some(&first.path),
        );
        p.sop_instance_uid = first.sop_instance_uid.clone();
        problems.push(p);
    }
    problems
}

fn is_local(path: &str) -> bool {
    !path.contains("://") && !path.starts_with("dimse:") && !path.starts_with("dicomweb:")
}

/// Fills the timeline's lesion values from pixels and contours: SEG, then GSPS rulers,
/// then RTSTRUCT ROIs (each only where the report and the earlier steps left a value
/// out), and the liver reference of PET timepoints.
pub fn measure_lesions(
    timeline: &mut Timeline,
    records: &[HeaderRecord],
    options: &PixelOptions,
    problems: &mut Vec<Problem>,
) {
    let inputs = Inputs::new(records);
    problems.extend(unread_pacs_objects(records));
    measure_referenced(timeline, &inputs, options, problems);
    gsps::measure_rulers(timeline, &inputs, options, problems);
    rtstruct::measure_structures(timeline, &inputs, options, problems);
    liver::from_segmentations(timeline, &inputs, options, problems);
}

/// What the reports reference: SEG segments (TID 1411) and planar ROIs (TID 1410).
fn measure_referenced(
    timeline: &mut Timeline,
    inputs: &Inputs,
    options: &PixelOptions,
    problems: &mut Vec<Problem>,
) {
    let refs = segment_refs(timeline);
    let rois = roi_refs(timeline);
    if refs.is_empty() && rois.is_empty() {
        return;
    }
    let records = inputs.records;
    let by_uid = &inputs.by_uid;
    let local_path = |uid: &str| inputs.local_path(uid);

    // 1. Each referenced SEG, once.
    let seg_uids: Vec<String> = refs
        .iter()
        .map(|r| r.seg_uid.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let measured: HashMap<String, Result<SegMeasurements, String>> =
        map_maybe_parallel(&seg_uids, options.sequential, |uid| {
            let result = match local_path(uid) {
                Some(path) => measure_seg(Path::new(path)).map_err(|e| e.to_string()),
                None => Err(format!("SEG {uid} is not among the input files")),
            };
            (uid.clone(), result)
        })
        .into_iter()
        .collect();
    for uid in &seg_uids {
        match measured.get(uid) {
            Some(Ok(seg)) => problems.extend(
                seg.problems
                    .iter()
                    .map(|p| problem("segmentation_frame_skipped", p.clone(), Some(&seg.path))),
            ),
            Some(Err(reason)) => problems.push(problem(
                "segmentation_unreadable",
                reason.clone(),
                local_path(uid),
            )),
            None => {}
        }
    }

    // 2. Sizes the report left out; what each lesion needs decoded.
    let mut ct_needed: BTreeSet<String> = BTreeSet::new();
    let mut pet_series: BTreeSet<String> = BTreeSet::new();
    let mut found: Vec<(&SegmentRef, &SegmentMeasurement, &SegMeasurements)> = Vec::new();
    for r in &refs {
        let Some(Ok(seg)) = measured.get(&r.seg_uid) else {
            continue;
        };
        let segment = match r.number {
            Some(n) => seg.segment(n),
            None if seg.segments.len() == 1 => seg.segments.first(),
            None => None,
        };
        let lesion = lesion_mut(timeline, r.at);
        let Some(segment) = segment else {
            problems.push(problem(
                "segment_not_found",
                format!(
                    "lesion {}: segment {} has no pixels in {} (or the reference names no segment number and the SEG has several)",
                    lesion.lesion_id,
                    r.number.map_or("(none)".to_string(), |n| n.to_string()),
                    seg.path
                ),
                Some(&seg.path),
            ));
            continue;
        };
        fill_sizes(lesion, segment, seg);
        let sources: Vec<&HeaderRecord> = segment
            .slices
            .iter()
            .filter_map(|s| by_uid.get(s.source_sop_instance_uid.as_deref()?).copied())
            .collect();
        match sources.first().and_then(|r| r.modality.as_deref()) {
            Some("CT") if lesion.mean_hu.is_none() => {
                ct_needed.extend(sources.iter().filter_map(|r| r.sop_instance_uid.clone()));
            }
            Some("PT") if lesion.sul_peak.is_none() => {
                pet_series.extend(sources.iter().filter_map(|r| r.series_instance_uid.clone()));
            }
            _ => {}
        }
        found.push((r, segment, seg));
    }

    for (at, roi) in &rois {
        let lesion = lesion_mut(timeline, *at);
        let image = roi
            .referenced_sop_instance_uid
            .as_deref()
            .and_then(|u| by_uid.get(u));
        if lesion.mean_hu.is_none() && image.and_then(|r| r.modality.as_deref()) == Some("CT") {
            ct_needed.extend(roi.referenced_sop_instance_uid.clone());
        }
    }

    // 3. Decode what is needed.
    let ct_uids: Vec<String> = ct_needed.into_iter().collect();
    let ct = decode_slices(&ct_uids, inputs, options, problems);
    let mut pet: BTreeMap<String, PetVolume> = BTreeMap::new();
    for series in pet_series {
        match decode_pet_series(&series, records, options) {
            Ok(volume) => {
                pet.insert(series, volume);
            }
            Err(p) => problems.push(p),
        }
    }

    // 4. Density and uptake inside each segment.
    for (r, segment, seg) in found {
        let lesion = lesion_mut(timeline, r.at);
        let first_source = segment
            .slices
            .iter()
            .find_map(|s| by_uid.get(s.source_sop_instance_uid.as_deref()?).copied());
        let Some(source) = first_source else { continue };
        match source.modality.as_deref() {
            Some("CT") if lesion.mean_hu.is_none() => {
                let slices: Vec<ImageSlice> = segment
                    .slices
                    .iter()
                    .filter_map(|s| ct.get(s.source_sop_instance_uid.as_deref()?).cloned())
                    .collect();
                let result = from_segment(&segment.slices, &slices)
                    .and_then(|region| mean_hu(&slices, &region));
                match result {
                    Ok(m) => {
                        lesion.mean_hu = Some(m.mean_hu);
                        mark_derived(lesion, "mean_hu", segment_name(seg, segment.number));
                    }
                    Err(reason) => problems.push(problem(
                        "mean_hu_not_measured",
                        format!("lesion {}: {reason}", lesion.lesion_id),
                        Some(&seg.path),
                    )),
                }
            }
            Some("PT") if lesion.sul_peak.is_none() => {
                let Some(volume) = source.series_instance_uid.as_ref().and_then(|s| pet.get(s))
                else {
                    continue;
                };
                let peak = from_segment(&segment.slices, &volume.slices).and_then(|region| {
                    volume
                        .sul_peak(&region)
                        .ok_or_else(|| "the segment covers no PET voxel".to_string())
                });
                match peak {
                    Ok(peak) => {
                        lesion.sul_peak = Some(peak.sul_peak);
                        mark_derived(lesion, "sul_peak", segment_name(seg, segment.number));
                    }
                    Err(reason) => problems.push(problem(
                        "sul_peak_not_measured",
                        format!("lesion {}: {reason}", lesion.lesion_id),
                        Some(&seg.path),
                    )),
                }
            }
            _ => {}
        }
    }

    // 5. Mean HU inside the reader's planar ROI, where no segment gave one.
    for (at, roi) in rois {
        let lesion = lesion_mut(timeline, at);
        let Some(uid) = roi.referenced_sop_instance_uid.as_deref() else {
            continue;
        };
        let Some(slice) = ct.get(uid) else { continue };
        if lesion.mean_hu.is_some() {
            continue;
        }
        let images = [slice.clone()];
        match from_scoord(&roi, &images).and_then(|region| mean_hu(&images, &region)) {
            Ok(m) => {
                lesion.mean_hu = Some(m.mean_hu);
                let from = format!(
                    "{} ROI of the report on image {uid} ({})",
                    roi.graphic_type, slice.path
                );
                mark_derived(lesion, "mean_hu", from);
            }
            Err(reason) => problems.push(problem(
                "mean_hu_not_measured",
                format!("lesion {}: {reason}", lesion.lesion_id),
                Some(&slice.path),
            )),
        }
    }
}

/// Lesions whose report outlines an area on an image, with that outline.
fn roi_refs(timeline: &Timeline) -> Vec<((usize, usize, usize), Scoord)> {
    let mut refs = Vec::new();
    for (s, subject) in timeline.subjects.iter().enumerate() {
        for (t, timepoint) in subject.timepoints.iter().enumerate() {
            for (l, lesion) in timepoint.lesions.iter().enumerate() {
                let Some(source) = &lesion.source else {
                    continue;
                };
                let (Some(kind), Some(Value::Array(data))) = (
                    source.get(ROI_TYPE_KEY).and_then(Value::as_str),
                    source.get(ROI_DATA_KEY),
                ) else {
                    continue;
                };
                let data: Option<Vec<f32>> =
                    data.iter().map(|v| v.as_f64().map(|v| v as f32)).collect();
                let Some(data) = data else { continue };
                refs.push((
                    (s, t, l),
                    Scoord {
                        graphic_type: kind.to_string(),
                        data,
                        three_d: false,
                        referenced_sop_instance_uid: source
                            .get(ROI_IMAGE_KEY)
                            .and_then(Value::as_str)
                            .map(str::to_string),
                        referenced_frame: None,
                        frame_of_reference_uid: None,
                    },
                ));
            }
        }
    }
    refs
}

fn segment_refs(timeline: &Timeline) -> Vec<SegmentRef> {
    let mut refs = Vec::new();
    for (s, subject) in timeline.subjects.iter().enumerate() {
        for (t, timepoint) in subject.timepoints.iter().enumerate() {
            for (l, lesion) in timepoint.lesions.iter().enumerate() {
                let Some(source) = &lesion.source else {
                    continue;
                };
                let Some(uid) = source.get(SEGMENT_UID_KEY).and_then(Value::as_str) else {
                    continue;
                };
                refs.push(SegmentRef {
                    at: (s, t, l),
                    seg_uid: uid.to_string(),
                    number: source
                        .get(SEGMENT_NUMBER_KEY)
                        .and_then(Value::as_u64)
                        .and_then(|n| u16::try_from(n).ok()),
                });
            }
        }
    }
    refs
}

pub(crate) fn lesion_mut(timeline: &mut Timeline, (s, t, l): (usize, usize, usize)) -> &mut Lesion {
    &mut timeline.subjects[s].timepoints[t].lesions[l]
}

/// Long axis, short axis and volume from the segment where the report has none.
fn fill_sizes(lesion: &mut Lesion, segment: &SegmentMeasurement, seg: &SegMeasurements) {
    if lesion.long_axis_mm.is_none() {
        lesion.long_axis_mm = Some(segment.longest_mm);
        mark_derived(lesion, "long_axis_mm", segment_name(seg, segment.number));
    }
    if lesion.short_axis_mm.is_none() {
        lesion.short_axis_mm = Some(segment.perpendicular_mm);
        mark_derived(lesion, "short_axis_mm", segment_name(seg, segment.number));
    }
    if lesion.volume_mm3.is_none() {
        if let Some(volume) = segment.volume_mm3 {
            lesion.volume_mm3 = Some(volume);
            mark_derived(lesion, "volume_mm3", segment_name(seg, segment.number));
        }
    }
}

fn segment_name(seg: &SegMeasurements, number: u16) -> String {
    format!(
        "segment {number} of SEG {} ({})",
        seg.sop_instance_uid.as_deref().unwrap_or(""),
        seg.path
    )
}

/// Lists `field` in `source.derived`, names its object in `source.derived_sources[field]`
/// and, as the latest one, in `source.derived_from`.
pub(crate) fn mark_derived(lesion: &mut Lesion, field: &str, from: String) {
    let source = lesion.source.get_or_insert_with(Default::default);
    let derived = source
        .entry("derived".to_string())
        .or_insert_with(|| Value::Array(Vec::new()));
    if let Value::Array(fields) = derived {
        fields.push(Value::String(field.to_string()));
    }
    let by_field = source
        .entry("derived_sources".to_string())
        .or_insert_with(|| Value::Object(Default::default()));
    if let Value::Object(by_field) = by_field {
        by_field.insert(field.to_string(), Value::String(from.clone()));
    }
    source.insert("derived_from".to_string(), Value::String(from));
}

/// Was `field` of the lesion filled from pixels (not recorded by its report)?
pub(crate) fn is_derived(lesion: &Lesion, field: &str) -> bool {
    lesion
        .source
        .as_ref()
        .and_then(|s| s.get("derived"))
        .and_then(Value::as_array)
        .is_some_and(|fields| fields.iter().any(|f| f.as_str() == Some(field)))
}

/// The slices of these instances that are under the inputs, decoded, by SOP Instance
/// UID; each that cannot be decoded is a problem.
pub(crate) fn decode_slices(
    uids: &[String],
    inputs: &Inputs,
    options: &PixelOptions,
    problems: &mut Vec<Problem>,
) -> HashMap<String, ImageSlice> {
    map_maybe_parallel(uids, options.sequential, |uid| {
        let path = inputs.local_path(uid)?;
        Some((uid.clone(), decode_slice(Path::new(path)).map(|(s, _)| s)))
    })
    .into_iter()
    .flatten()
    .filter_map(|(uid, result)| match result {
        Ok(slice) => Some((uid, slice)),
        Err(e) => {
            problems.push(problem(
                "pixel_data_unreadable",
                e.to_string(),
                inputs.local_path(&uid),
            ));
            None
        }
    })
    .collect()
}

/// Every slice of a PET series, decoded, with its SUL factor.
pub(crate) fn decode_pet_series(
    series: &str,
    records: &[HeaderRecord],
    options: &PixelOptions,
) -> Result<PetVolume, Problem> {
    let paths: Vec<&str> = records
        .iter()
        .filter(|r| {
            r.series_instance_uid.as_deref() == Some(series) && r.modality.as_deref() == Some("PT")
        })
        .map(|r| r.path.as_str())
        .collect();
    let decoded = map_maybe_parallel(&paths, options.sequential, |path| {
        let (slice, object) = decode_slice(Path::new(path))
            .map_err(|e| problem("pixel_data_unreadable", e.to_string(), Some(path)))?;
        let factors = uptake_factors(&object, options.lbm_formula).map_err(|(field, reason)| {
            problem(
                "suv_not_computable",
                format!("{path}: {field}: {reason}"),
                Some(path),
            )
        })?;
        Ok((slice, factors.sul))
    });
    let mut volume = PetVolume {
        slices: Vec::with_capacity(decoded.len()),
        sul_factors: Vec::with_capacity(decoded.len()),
    };
    for item in decoded {
        let (slice, sul) = item?;
        volume.slices.push(slice);
        volume.sul_factors.push(sul);
    }
    Ok(volume)
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    #[test]
    fn presentation_states_and_contours_on_a_pacs_are_counted_not_passed_over() -> TestResult {
        let record = |path: &str, class: &str, uid: &str| HeaderRecord {
            path: path.to_string(),
            sop_class_uid: Some(class.to_string()),
            sop_instance_uid: Some(uid.to_string()),
            ..HeaderRecord::default()
        };
        let gsps = "1.2.840.10008.5.1.4.1.1.11.1";
        let records = [
            record(
                "dicomweb:http://pacs/studies/1/series/2/instances/3",
                gsps,
                "1.3",
            ),
            record(
                "dicomweb:http://pacs/studies/1/series/2/instances/4",
                gsps,
                "1.4",
            ),
            record("/archive/gsps.dcm", gsps, "1.5"),
            record(
                "dimse:PACS@host:104/1.6",
                "1.2.840.10008.5.1.4.1.1.481.3",
                "1.6",
            ),
            record(
                "dimse:PACS@host:104/1.7",
                "1.2.840.10008.5.1.4.1.1.2",
                "1.7",
            ),
        ];
        let problems = unread_pacs_objects(&records);
        let summary: Vec<(&str, &str)> = problems
            .iter()
            .map(|p| (p.kind.as_str(), p.sop_instance_uid.as_deref().unwrap_or("")))
            .collect();
        // Two remote presentation states (the local one is read), one remote structure
        // set; the CT image is no such object.
        assert_eq!(
            summary,
            [
                ("pacs_object_not_read", "1.3"),
                ("pacs_object_not_read", "1.6")
            ]
        );
        assert!(problems[0]
            .message
            .starts_with("2 presentation states (GSPS)"));
        assert!(problems[1]
            .message
            .starts_with("1 structure sets (RTSTRUCT)"));
        Ok(())
    }

    #[test]
    fn the_lbm_formula_is_a_criteria_config_key() -> TestResult {
        let mut config = oncoread_criteria::Config::default();
        // PERCIST 1.0 names James; the default follows it.
        assert_eq!(lbm_formula_of(&config), LbmFormula::James);
        config
            .set_text("percist.lbm_formula", "janmahasatian")
            .map_err(|error| format!("a known formula: {error}"))?;
        assert_eq!(lbm_formula_of(&config), LbmFormula::Janmahasatian);
        let error = config
            .set_text("percist.lbm_formula", "boer")
            .err()
            .ok_or("not a formula")?;
        assert!(error.to_string().contains("percist.lbm_formula"), "{error}");
        Ok(())
    }
}
