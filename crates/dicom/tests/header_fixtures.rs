//! The lean header reader against dicom-object on every real fixture: `read_header`
//! succeeds on each DICOM file under `fixtures/real` and every field equals what
//! dicom-object's `read_until(PIXEL_DATA)` reads (where dicom-object can open the file).

use dicom_dictionary_std::tags;
use dicom_object::{InMemDicomObject, OpenFileOptions};
use oncoread_dicom::header::{read_header, HeaderRecord, IMPLICIT_VR_LITTLE_ENDIAN};
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/real")
}

/// Every DICOM file of the fixture tree (documentation and JSON files left out).
fn fixture_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(&path, out);
            } else if !matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("md" | "json")
            ) {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(&fixtures(), &mut out);
    out
}

type Obj = InMemDicomObject;

fn text(obj: &Obj, tag: dicom_core::Tag) -> Option<String> {
    let element = obj.get(tag)?;
    let value = element.to_str().ok()?;
    let value = value.trim_end_matches([' ', '\0']);
    (!value.is_empty()).then(|| value.to_string())
}

fn code(obj: &Obj, tag: dicom_core::Tag) -> Option<String> {
    text(obj, tag).map(|v| v.trim_matches([' ', '\0']).to_string())
}

fn floats<const N: usize>(obj: &Obj, tag: dicom_core::Tag) -> Option<[f64; N]> {
    let values = obj.get(tag)?.to_multi_float64().ok()?;
    values.try_into().ok()
}

fn first_float(obj: &Obj, tag: dicom_core::Tag) -> Option<f64> {
    obj.get(tag)?.to_multi_float64().ok()?.first().copied()
}

fn first_int<T: TryFrom<i64>>(obj: &Obj, tag: dicom_core::Tag) -> Option<T> {
    let values = obj.get(tag)?.to_multi_int::<i64>().ok()?;
    T::try_from(*values.first()?).ok()
}

/// The first item of a sequence element.
fn first_item(obj: &Obj, tag: dicom_core::Tag) -> Option<&Obj> {
    obj.get(tag)?.items()?.first()
}

/// The same record, built from a dicom-object data set with the rules the header reader
/// documents (functional-group fallbacks, first values, empty = absent).
fn record_from_object(obj: &Obj, ts: String, meta: Option<(String, String)>) -> HeaderRecord {
    let groups: Vec<&Obj> = [
        tags::SHARED_FUNCTIONAL_GROUPS_SEQUENCE,
        tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE,
    ]
    .iter()
    .filter_map(|&t| first_item(obj, t))
    .collect();
    let from_groups = |sequence, f: &dyn Fn(&Obj) -> Option<Vec<f64>>| {
        groups
            .iter()
            .filter_map(|g| first_item(g, sequence))
            .find_map(f)
    };
    let measures = |tag| {
        from_groups(tags::PIXEL_MEASURES_SEQUENCE, &|i: &Obj| {
            i.get(tag)?.to_multi_float64().ok()
        })
    };
    let (media_class, media_instance) = meta.unzip();
    HeaderRecord {
        path: String::new(),
        file_size: 0,
        transfer_syntax_uid: Some(ts),
        sop_class_uid: code(obj, tags::SOP_CLASS_UID).or(media_class),
        sop_instance_uid: code(obj, tags::SOP_INSTANCE_UID).or(media_instance),
        study_instance_uid: code(obj, tags::STUDY_INSTANCE_UID),
        series_instance_uid: code(obj, tags::SERIES_INSTANCE_UID),
        patient_id: text(obj, tags::PATIENT_ID),
        patient_name: text(obj, tags::PATIENT_NAME),
        patient_birth_date: code(obj, tags::PATIENT_BIRTH_DATE),
        clinical_trial_subject_id: text(obj, tags::CLINICAL_TRIAL_SUBJECT_ID),
        clinical_trial_time_point_id: text(obj, tags::CLINICAL_TRIAL_TIME_POINT_ID),
        clinical_trial_protocol_id: text(obj, tags::CLINICAL_TRIAL_PROTOCOL_ID),
        modality: code(obj, tags::MODALITY),
        study_date: code(obj, tags::STUDY_DATE),
        study_time: code(obj, tags::STUDY_TIME),
        series_date: code(obj, tags::SERIES_DATE),
        series_time: code(obj, tags::SERIES_TIME),
        acquisition_date: code(obj, tags::ACQUISITION_DATE),
        acquisition_time: code(obj, tags::ACQUISITION_TIME),
        content_date: code(obj, tags::CONTENT_DATE),
        content_time: code(obj, tags::CONTENT_TIME),
        series_number: first_int(obj, tags::SERIES_NUMBER),
        instance_number: first_int(obj, tags::INSTANCE_NUMBER),
        frame_of_reference_uid: code(obj, tags::FRAME_OF_REFERENCE_UID),
        pixel_spacing: floats(obj, tags::PIXEL_SPACING)
            .or_else(|| measures(tags::PIXEL_SPACING).and_then(|v| v.try_into().ok())),
        slice_thickness: first_float(obj, tags::SLICE_THICKNESS)
            .or_else(|| measures(tags::SLICE_THICKNESS).and_then(|v| v.first().copied())),
        spacing_between_slices: first_float(obj, tags::SPACING_BETWEEN_SLICES)
            .or_else(|| measures(tags::SPACING_BETWEEN_SLICES).and_then(|v| v.first().copied())),
        rows: first_int(obj, tags::ROWS),
        columns: first_int(obj, tags::COLUMNS),
        number_of_frames: first_int(obj, tags::NUMBER_OF_FRAMES),
        image_position_patient: floats(obj, tags::IMAGE_POSITION_PATIENT).or_else(|| {
            from_groups(tags::PLANE_POSITION_SEQUENCE, &|i: &Obj| {
                i.get(tags::IMAGE_POSITION_PATIENT)?.to_multi_float64().ok()
            })
            .and_then(|v| v.try_into().ok())
        }),
        image_orientation_patient: floats(obj, tags::IMAGE_ORIENTATION_PATIENT).or_else(|| {
            from_groups(tags::PLANE_ORIENTATION_SEQUENCE, &|i: &Obj| {
                i.get(tags::IMAGE_ORIENTATION_PATIENT)?
                    .to_multi_float64()
                    .ok()
            })
            .and_then(|v| v.try_into().ok())
        }),
    }
}

/// dicom-object's reading of a file, or `None` when it cannot open it.
fn dicom_object_record(path: &Path, ours: &HeaderRecord) -> Option<HeaderRecord> {
    match OpenFileOptions::new()
        .read_until(tags::PIXEL_DATA)
        .open_file(path)
    {
        Ok(obj) => {
            let meta = obj.meta();
            let ts = meta.transfer_syntax().to_string();
            let media = (
                meta.media_storage_sop_class_uid().to_string(),
                meta.media_storage_sop_instance_uid().to_string(),
            );
            Some(record_from_object(&obj, ts, Some(media)))
        }
        Err(_) => {
            // A bare data set: dicom-rs needs to be told the transfer syntax.
            let ts = ours.transfer_syntax_uid.clone()?;
            let entry = if ts == IMPLICIT_VR_LITTLE_ENDIAN {
                dicom_transfer_syntax_registry::entries::IMPLICIT_VR_LITTLE_ENDIAN.erased()
            } else {
                dicom_transfer_syntax_registry::entries::EXPLICIT_VR_LITTLE_ENDIAN.erased()
            };
            let file = std::fs::File::open(path).ok()?;
            let obj = InMemDicomObject::read_dataset_with_ts(std::io::BufReader::new(file), &entry)
                .ok()?;
            Some(record_from_object(&obj, ts, None))
        }
    }
}

#[test]
fn every_fixture_reads_and_matches_dicom_object() {
    let files = fixture_files();
    assert!(files.len() >= 60, "fixtures missing: {} files", files.len());
    let mut compared = 0;
    let mut failures = Vec::new();
    for path in &files {
        let ours = match read_header(path) {
            Ok(record) => record,
            Err(e) => {
                failures.push(format!("{}: read_header failed: {e}", path.display()));
                continue;
            }
        };
        assert_eq!(ours.file_size, std::fs::metadata(path).unwrap().len());
        let Some(mut theirs) = dicom_object_record(path, &ours) else {
            continue;
        };
        compared += 1;
        theirs.path = ours.path.clone();
        theirs.file_size = ours.file_size;
        if theirs != ours {
            failures.push(format!(
                "{}:\n  ours:         {ours:?}\n  dicom-object: {theirs:?}",
                path.display()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // All but the bad-group-length file open in dicom-object.
    assert!(compared >= files.len() - 1, "compared only {compared}");
}

#[test]
fn bad_group_length_file_reads_like_dcmtk_and_pydicom() {
    let path = fixtures().join("ct/cornerstone_CTImage_deflated_bad_group_length.dcm");
    let record = read_header(&path).unwrap();
    assert_eq!(
        record.transfer_syntax_uid.as_deref(),
        Some("1.2.840.10008.1.2.1.99")
    );
    assert_eq!(record.modality.as_deref(), Some("CT"));
    assert_eq!((record.rows, record.columns), (Some(512), Some(512)));
    assert!(record.pixel_spacing.is_some());
    assert!(record.sop_instance_uid.is_some());
}

#[test]
fn special_layouts() {
    let rt = read_header(&fixtures().join("rt/pydicom_rtstruct.dcm")).unwrap();
    assert_eq!(
        rt.transfer_syntax_uid.as_deref(),
        Some(IMPLICIT_VR_LITTLE_ENDIAN)
    );
    assert_eq!(rt.modality.as_deref(), Some("RTSTRUCT"));
    let big = read_header(&fixtures().join("mr/pydicom_MR_small_bigendian.dcm")).unwrap();
    let little = read_header(&fixtures().join("mr/pydicom_MR_small.dcm")).unwrap();
    assert_eq!(big.rows, little.rows);
    assert_eq!(big.pixel_spacing, little.pixel_spacing);
    assert_eq!(big.image_position_patient, little.image_position_patient);
    let enhanced =
        read_header(&fixtures().join("ct/pydicom-data_eCT_Supplemental_enhanced_multiframe.dcm"))
            .unwrap();
    assert!(enhanced.pixel_spacing.is_some(), "{enhanced:?}");
    assert!(enhanced.image_position_patient.is_some(), "{enhanced:?}");
    let rle = read_header(&fixtures().join("ct/wg04_CT1_RLE.dcm")).unwrap();
    assert_eq!(
        rle.transfer_syntax_uid.as_deref(),
        Some("1.2.840.10008.1.2.5")
    );
}
