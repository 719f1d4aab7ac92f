//! The PERCIST liver reference: SUL mean and SD inside an ROI or segment on the PET.
//!
//! PERCIST measures the liver in a 3 cm sphere in the normal right lobe; the reader draws
//! it as an RTSTRUCT ROI or a SEG segment whose name holds both "liver" and "ref"
//! ([`super::naming::is_liver_reference`]). The values are the mean and sample SD of SUL
//! over the PET voxels whose centres lie inside it, and go to the timepoint of the PET's
//! study only when that timepoint has none (values given by hand win).
//!
//! RTSTRUCT ROIs come through [`super::rtstruct`]; SEG segments are looked for here, in the
//! SEGs of the studies that hold PET and whose timepoints still lack the values (a SEG's
//! labels are only known once it is decoded, so only those SEGs are).

use std::collections::BTreeSet;
use std::path::Path;

use oncoread_criteria::timeline::{Problem, Timeline};
use oncoread_dicom::measure::region::{from_segment, Region};
use oncoread_dicom::measure::seg::{
    measure_seg, LABEL_MAP_SEGMENTATION_STORAGE, SEGMENTATION_STORAGE,
};
use oncoread_dicom::measure::suv::PetVolume;
use serde_json::Value;

use super::naming::{is_liver_reference, timepoints_of_study};
use super::{decode_pet_series, map_maybe_parallel, problem, Inputs, PixelOptions};

/// Timepoints (subject, timepoint) that have no liver reference yet.
pub(super) fn lacking(timeline: &Timeline, timepoints: &[(usize, usize)]) -> Vec<(usize, usize)> {
    timepoints
        .iter()
        .copied()
        .filter(|&(s, t)| {
            timeline
                .subjects
                .get(s)
                .and_then(|subject| subject.timepoints.get(t))
                .is_some_and(|tp| tp.liver_sul_mean.is_none() && tp.liver_sul_sd.is_none())
        })
        .collect()
}

/// SUL statistics of `region` on `volume` into the timepoints that lack them; `shown`
/// names the ROI or segment (kept as the timepoint's `source.liver_reference_from`).
pub(super) fn set_reference(
    timeline: &mut Timeline,
    timepoints: &[(usize, usize)],
    volume: &PetVolume,
    region: Result<Region, String>,
    shown: &str,
    path: &str,
    problems: &mut Vec<Problem>,
) {
    let stats = region.and_then(|region| {
        volume
            .region_stats(&region)
            .ok_or_else(|| "it encloses no PET voxel".to_string())
    });
    let stats = match stats {
        Ok(stats) => stats,
        Err(reason) => {
            problems.push(problem(
                "liver_reference_not_used",
                format!("{shown}: {reason}"),
                Some(path),
            ));
            return;
        }
    };
    for (s, t) in lacking(timeline, timepoints) {
        let timepoint = &mut timeline.subjects[s].timepoints[t];
        timepoint.liver_sul_mean = Some(stats.mean);
        timepoint.liver_sul_sd = Some(stats.sd);
        timepoint
            .source
            .get_or_insert_with(Default::default)
            .insert(
                "liver_reference_from".to_string(),
                Value::String(format!("{shown} ({} voxels)", stats.voxels)),
            );
    }
}

/// Liver reference segments of the SEGs in studies whose timepoints lack the values.
pub(super) fn from_segmentations(
    timeline: &mut Timeline,
    inputs: &Inputs,
    options: &PixelOptions,
    problems: &mut Vec<Problem>,
) {
    // Only studies with PET under the inputs: a CT study's SEGs are not decoded twice.
    let with_pet: BTreeSet<&str> = inputs
        .records
        .iter()
        .filter(|r| r.modality.as_deref() == Some("PT"))
        .filter_map(|r| r.study_instance_uid.as_deref())
        .collect();
    let studies: BTreeSet<String> = timeline
        .subjects
        .iter()
        .flat_map(|s| &s.timepoints)
        .filter(|t| t.liver_sul_mean.is_none() && t.liver_sul_sd.is_none())
        .filter_map(|t| t.source.as_ref()?.get("study_instance_uid")?.as_str())
        .filter(|study| with_pet.contains(study))
        .map(str::to_string)
        .collect();
    if studies.is_empty() {
        return;
    }
    let files: Vec<_> = [SEGMENTATION_STORAGE, LABEL_MAP_SEGMENTATION_STORAGE]
        .into_iter()
        .flat_map(|class| inputs.of_class(class))
        .filter(|r| {
            r.study_instance_uid
                .as_ref()
                .is_some_and(|s| studies.contains(s))
        })
        .collect();
    // Problems of reading these SEGs are the SEG step's when a report references them;
    // here an unreadable SEG only means no liver reference from it.
    let measured = map_maybe_parallel(&files, options.sequential, |record| {
        measure_seg(Path::new(&record.path)).ok()
    });
    for seg in measured.into_iter().flatten() {
        for segment in &seg.segments {
            let label = segment.label.as_deref().unwrap_or("");
            if !is_liver_reference(label) {
                continue;
            }
            let shown = format!(
                "segment {} \"{label}\" of SEG {} ({})",
                segment.number,
                seg.sop_instance_uid.as_deref().unwrap_or(""),
                seg.path
            );
            let source = segment.slices.iter().find_map(|s| {
                inputs
                    .by_uid
                    .get(s.source_sop_instance_uid.as_deref()?)
                    .copied()
            });
            let Some(source) = source else {
                problems.push(problem(
                    "liver_reference_not_used",
                    format!("{shown}: none of its source images is among the inputs"),
                    Some(&seg.path),
                ));
                continue;
            };
            let (Some("PT"), Some(series), Some(study)) = (
                source.modality.as_deref(),
                source.series_instance_uid.as_deref(),
                source.study_instance_uid.as_deref(),
            ) else {
                problems.push(problem(
                    "liver_reference_not_used",
                    format!(
                        "{shown}: its source images are {}, not PET; SUL needs the PET",
                        source.modality.as_deref().unwrap_or("of unknown modality")
                    ),
                    Some(&seg.path),
                ));
                continue;
            };
            let timepoints = timepoints_of_study(timeline, study);
            if lacking(timeline, &timepoints).is_empty() {
                continue;
            }
            match decode_pet_series(series, inputs.records, options) {
                Ok(volume) => {
                    let region = from_segment(&segment.slices, &volume.slices);
                    set_reference(
                        timeline,
                        &timepoints,
                        &volume,
                        region,
                        &shown,
                        &seg.path,
                        problems,
                    );
                }
                Err(p) => problems.push(p),
            }
        }
    }
}
