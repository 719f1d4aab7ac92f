//! RT structure sets → lesion sizes, mean HU, SUL peak, and the PERCIST liver reference.
//!
//! Each RTSTRUCT under the inputs is measured (`oncoread_dicom::measure::rtstruct`). An
//! ROI belongs to the study of the images its contours reference (else the RTSTRUCT's
//! own study). An ROI whose name names a lesion of that study's timepoint
//! ([`super::naming`]) gives the lesion what is still missing after the report, its SEG
//! and GSPS rulers: long and short axis and volume from the contours, `mean_hu` from the
//! CT or `sul_peak` from the PET series the contours lie on; each value filled is marked
//! derived. An ROI named as the liver reference on PET gives its timepoint's
//! `liver_sul_mean` and `liver_sul_sd` (SUL of the PET voxels whose centres lie inside
//! its contours), unless the timepoint has them. A structure set none of whose ROIs is
//! used is one problem listing its ROI names.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use oncoread_criteria::timeline::{Problem, Timeline};
use oncoread_dicom::header::HeaderRecord;
use oncoread_dicom::measure::hu::mean_hu;
use oncoread_dicom::measure::region::from_contours;
use oncoread_dicom::measure::rtstruct::{
    measure_rtstruct, RoiMeasurement, RtStructMeasurements, RT_STRUCTURE_SET_STORAGE,
};
use oncoread_dicom::measure::slices::ImageSlice;
use oncoread_dicom::measure::suv::PetVolume;

use super::liver;
use super::naming::{is_liver_reference, lesions_named, timepoints_of_study};
use super::{
    decode_pet_series, decode_slices, lesion_mut, map_maybe_parallel, mark_derived, problem,
    Inputs, PixelOptions,
};

/// What one ROI is used for.
enum RoiUse {
    /// Lesions (subject, timepoint, lesion) the ROI names.
    Lesions(Vec<(usize, usize, usize)>),
    /// Timepoints (subject, timepoint) whose liver reference it is.
    Liver(Vec<(usize, usize)>),
}

/// One ROI with where its contours lie.
struct PlacedRoi<'m> {
    structure: &'m RtStructMeasurements,
    roi: &'m RoiMeasurement,
    /// The referenced images that are among the inputs.
    images: Vec<&'m HeaderRecord>,
    modality: Option<&'m str>,
}

impl PlacedRoi<'_> {
    fn name(&self) -> &str {
        self.roi.name.as_deref().unwrap_or("")
    }

    fn shown(&self) -> String {
        format!(
            "ROI {} \"{}\" of RTSTRUCT {} ({})",
            self.roi.number,
            self.name(),
            self.structure.sop_instance_uid.as_deref().unwrap_or(""),
            self.structure.path
        )
    }

    fn pet_series(&self) -> Option<&str> {
        (self.modality == Some("PT"))
            .then(|| self.images.first()?.series_instance_uid.as_deref())
            .flatten()
    }
}

pub(super) fn measure_structures(
    timeline: &mut Timeline,
    inputs: &Inputs,
    options: &PixelOptions,
    problems: &mut Vec<Problem>,
) {
    let files = inputs.of_class(RT_STRUCTURE_SET_STORAGE);
    let measured = map_maybe_parallel(&files, options.sequential, |record| {
        (*record, measure_rtstruct(Path::new(&record.path)))
    });
    let mut structures: Vec<(&HeaderRecord, RtStructMeasurements)> = Vec::new();
    for (record, result) in measured {
        match result {
            Ok(structure) => {
                problems.extend(structure.problems.iter().map(|reason| {
                    problem(
                        "rtstruct_roi_not_measured",
                        format!("{}: {reason}", structure.path),
                        Some(&structure.path),
                    )
                }));
                structures.push((record, structure));
            }
            Err(e) => problems.push(problem(
                "rtstruct_unreadable",
                e.to_string(),
                Some(&record.path),
            )),
        }
    }

    // 1. What each ROI is for; sizes straight from the contours.
    let mut placed: Vec<(PlacedRoi, RoiUse)> = Vec::new();
    for (record, structure) in &structures {
        let mut used = false;
        for roi in &structure.rois {
            let here = place(roi, structure, inputs);
            let study = here
                .images
                .first()
                .and_then(|r| r.study_instance_uid.as_deref())
                .or(record.study_instance_uid.as_deref())
                .unwrap_or_default();
            let timepoints = timepoints_of_study(timeline, study);
            let what = if is_liver_reference(here.name()) {
                RoiUse::Liver(timepoints)
            } else {
                let lesions = lesions_named(timeline, &timepoints, here.name());
                if lesions.is_empty() {
                    continue;
                }
                for &at in &lesions {
                    fill_sizes(timeline, at, &here);
                }
                RoiUse::Lesions(lesions)
            };
            used = true;
            placed.push((here, what));
        }
        if !used {
            let names: Vec<&str> = structure
                .rois
                .iter()
                .map(|r| r.name.as_deref().unwrap_or(""))
                .collect();
            problems.push(problem(
                "rtstruct_unused",
                format!(
                    "{}: no ROI names a lesion of its study or the liver reference (ROIs: {}); not used",
                    structure.path,
                    names.join(", ")
                ),
                Some(&structure.path),
            ));
        }
    }

    // 2. Decode the CT slices and PET series still needed.
    let mut ct_needed: BTreeSet<String> = BTreeSet::new();
    let mut pet_needed: BTreeSet<String> = BTreeSet::new();
    for (here, what) in &placed {
        let wanted = match what {
            RoiUse::Lesions(lesions) => lesions.iter().any(|&at| {
                let lesion = lesion_mut(timeline, at);
                match here.modality {
                    Some("CT") => lesion.mean_hu.is_none(),
                    Some("PT") => lesion.sul_peak.is_none(),
                    _ => false,
                }
            }),
            RoiUse::Liver(timepoints) => timepoints
                .iter()
                .any(|&(s, t)| timeline.subjects[s].timepoints[t].liver_sul_mean.is_none()),
        };
        if !wanted {
            continue;
        }
        match (here.modality, here.pet_series()) {
            (Some("CT"), _) => ct_needed.extend(
                here.images
                    .iter()
                    .filter_map(|r| r.sop_instance_uid.clone()),
            ),
            (_, Some(series)) => {
                pet_needed.insert(series.to_string());
            }
            _ => {}
        }
    }
    let ct_uids: Vec<String> = ct_needed.into_iter().collect();
    let ct = decode_slices(&ct_uids, inputs, options, problems);
    let mut pet: BTreeMap<String, PetVolume> = BTreeMap::new();
    for series in pet_needed {
        match decode_pet_series(&series, inputs.records, options) {
            Ok(volume) => {
                pet.insert(series, volume);
            }
            Err(p) => problems.push(p),
        }
    }

    // 3. Density, uptake and the liver reference inside the contours.
    for (here, what) in &placed {
        match what {
            RoiUse::Lesions(lesions) => {
                for &at in lesions {
                    measure_inside(timeline, at, here, &ct, &pet, problems);
                }
            }
            RoiUse::Liver(timepoints) => {
                liver_reference(timeline, timepoints, here, &pet, problems)
            }
        }
    }
}

fn place<'m>(
    roi: &'m RoiMeasurement,
    structure: &'m RtStructMeasurements,
    inputs: &Inputs<'m>,
) -> PlacedRoi<'m> {
    let uids: BTreeSet<&str> = roi
        .planes
        .iter()
        .flat_map(|p| p.referenced_sop_instance_uids.iter().map(String::as_str))
        .collect();
    let images: Vec<&HeaderRecord> = uids
        .into_iter()
        .filter_map(|uid| inputs.by_uid.get(uid).copied())
        .collect();
    let modality = images.first().and_then(|r| r.modality.as_deref());
    PlacedRoi {
        structure,
        roi,
        images,
        modality,
    }
}

/// Long axis, short axis and volume from the contours, where still missing.
fn fill_sizes(timeline: &mut Timeline, at: (usize, usize, usize), here: &PlacedRoi) {
    let lesion = lesion_mut(timeline, at);
    let from = here.shown();
    if lesion.long_axis_mm.is_none() {
        lesion.long_axis_mm = Some(here.roi.longest_mm);
        mark_derived(lesion, "long_axis_mm", from.clone());
    }
    if lesion.short_axis_mm.is_none() {
        lesion.short_axis_mm = Some(here.roi.perpendicular_mm);
        mark_derived(lesion, "short_axis_mm", from.clone());
    }
    if lesion.volume_mm3.is_none() {
        if let Some(volume) = here.roi.volume_mm3 {
            lesion.volume_mm3 = Some(volume);
            mark_derived(lesion, "volume_mm3", from);
        }
    }
}

fn measure_inside(
    timeline: &mut Timeline,
    at: (usize, usize, usize),
    here: &PlacedRoi,
    ct: &HashMap<String, ImageSlice>,
    pet: &BTreeMap<String, PetVolume>,
    problems: &mut Vec<Problem>,
) {
    let lesion = lesion_mut(timeline, at);
    let path = Some(here.structure.path.as_str());
    match here.modality {
        Some("CT") if lesion.mean_hu.is_none() => {
            let slices: Vec<ImageSlice> = here
                .images
                .iter()
                .filter_map(|r| ct.get(r.sop_instance_uid.as_deref()?).cloned())
                .collect();
            let result = if slices.is_empty() {
                Err("none of the CT images its contours reference is among the inputs".into())
            } else {
                from_contours(&here.roi.planes, &slices)
                    .and_then(|region| mean_hu(&slices, &region))
            };
            match result {
                Ok(m) => {
                    lesion.mean_hu = Some(m.mean_hu);
                    mark_derived(lesion, "mean_hu", here.shown());
                }
                Err(reason) => problems.push(problem(
                    "mean_hu_not_measured",
                    format!("lesion {}: {}: {reason}", lesion.lesion_id, here.shown()),
                    path,
                )),
            }
        }
        Some("PT") if lesion.sul_peak.is_none() => {
            let Some(volume) = here.pet_series().and_then(|s| pet.get(s)) else {
                return; // the series could not be decoded: already a problem
            };
            let peak = from_contours(&here.roi.planes, &volume.slices).and_then(|region| {
                volume
                    .sul_peak(&region)
                    .ok_or_else(|| "the contours enclose no PET voxel".to_string())
            });
            match peak {
                Ok(peak) => {
                    lesion.sul_peak = Some(peak.sul_peak);
                    mark_derived(lesion, "sul_peak", here.shown());
                }
                Err(reason) => problems.push(problem(
                    "sul_peak_not_measured",
                    format!("lesion {}: {}: {reason}", lesion.lesion_id, here.shown()),
                    path,
                )),
            }
        }
        _ => {}
    }
}

/// The liver reference's SUL mean and SD for the timepoints that have none.
fn liver_reference(
    timeline: &mut Timeline,
    timepoints: &[(usize, usize)],
    here: &PlacedRoi,
    pet: &BTreeMap<String, PetVolume>,
    problems: &mut Vec<Problem>,
) {
    let path = here.structure.path.as_str();
    if timepoints.is_empty() {
        problems.push(problem(
            "liver_reference_not_used",
            format!("{}: no timepoint of the reports is its study", here.shown()),
            Some(path),
        ));
        return;
    }
    if liver::lacking(timeline, timepoints).is_empty() {
        return; // the timepoints carry their own values
    }
    let Some(series) = here.pet_series() else {
        problems.push(problem(
            "liver_reference_not_used",
            format!(
                "{}: its contours reference no PET image among the inputs (modality {}); SUL needs the PET",
                here.shown(),
                here.modality.unwrap_or("unknown")
            ),
            Some(path),
        ));
        return;
    };
    let Some(volume) = pet.get(series) else {
        return; // the series could not be decoded: already a problem
    };
    let region = from_contours(&here.roi.planes, &volume.slices);
    liver::set_reference(
        timeline,
        timepoints,
        volume,
        region,
        &here.shown(),
        path,
        problems,
    );
}
