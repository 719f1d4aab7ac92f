#!/usr/bin/env python3
"""Peer reading of the header fields `oncoread scan` indexes, with pydicom.

Usage: peer_headers.py FILE...   (or `-` to read file names from standard input)
Prints a JSON array, one object per file: {"path": ..., <field>: value, ...} or
{"path": ..., "error": "..."}. Field names and rules are those of oncoread's
HeaderRecord (crates/dicom/src/header.rs):

* text trimmed of trailing spaces/NULs (codes and UIDs at both ends), empty = null;
  multiple values joined with a backslash;
* DS/IS: the first value; Pixel Spacing / Image Position / Image Orientation: exactly
  2 / 3 / 6 values, else null;
* Pixel Spacing, Slice Thickness, Spacing Between Slices: top level, else the Pixel
  Measures of the Shared, else the first Per-frame, Functional Groups; Image Position /
  Orientation likewise from Plane Position / Plane Orientation;
* SOP Class / Instance UID fall back to the file meta's Media Storage UIDs;
* transfer syntax: the file meta's, else the encoding pydicom detected.

Used by the peer-comparison test (crates/pipeline/tests/peer_pydicom.rs); needs pydicom
3.0 (scripts/test installs it into target/test-venv).
"""
import json
import sys

import pydicom
from pydicom.config import settings, IGNORE

settings.reading_validation_mode = IGNORE


def trim(value, both=False):
    if value is None:
        return None
    if isinstance(value, (list, tuple, pydicom.multival.MultiValue)):
        value = "\\".join(str(v) for v in value)
    value = str(value).rstrip(" \0")
    if both:
        value = value.lstrip(" \0")
    return value or None


def raw(ds, keyword):
    # Dataset.get by keyword gives the value (by tag it would give the element).
    return ds.get(keyword)


def values(ds, keyword):
    value = raw(ds, keyword)
    if value is None or value == "":
        return None
    if isinstance(value, (list, tuple, pydicom.multival.MultiValue)):
        return list(value)
    return [value]


def floats(ds, keyword, n):
    try:
        v = values(ds, keyword)
        return [float(x) for x in v] if v is not None and len(v) == n else None
    except (TypeError, ValueError):
        return None


def first_float(ds, keyword):
    try:
        v = values(ds, keyword)
        return float(v[0]) if v else None
    except (TypeError, ValueError):
        return None


def first_int(ds, keyword):
    try:
        v = values(ds, keyword)
        return int(v[0]) if v else None
    except (TypeError, ValueError):
        return None


def first_item(ds, keyword):
    seq = raw(ds, keyword)
    return seq[0] if seq else None


def from_groups(ds, sequence, getter):
    for group in ("SharedFunctionalGroupsSequence", "PerFrameFunctionalGroupsSequence"):
        item = first_item(ds, group)
        inner = first_item(item, sequence) if item is not None else None
        if inner is not None:
            value = getter(inner)
            if value is not None:
                return value
    return None


def record(path):
    ds = pydicom.dcmread(path, stop_before_pixels=True, force=True)
    meta = getattr(ds, "file_meta", None) or pydicom.Dataset()
    ts = trim(meta.get("TransferSyntaxUID"), both=True)
    if ts is None:
        implicit, little = ds.original_encoding
        ts = "1.2.840.10008.1.2" if implicit else "1.2.840.10008.1.2.1"

    def code(keyword):
        return trim(raw(ds, keyword), both=True)

    def text(keyword):
        return trim(raw(ds, keyword))

    def measures(keyword, n=None):
        if n is None:
            return first_float(ds, keyword) if raw(ds, keyword) not in (None, "") else \
                from_groups(ds, "PixelMeasuresSequence", lambda i: first_float(i, keyword))
        return floats(ds, keyword, n) or \
            from_groups(ds, "PixelMeasuresSequence", lambda i: floats(i, keyword, n))

    return {
        "path": path,
        "transfer_syntax_uid": ts,
        "sop_class_uid": code("SOPClassUID") or trim(meta.get("MediaStorageSOPClassUID"), True),
        "sop_instance_uid": code("SOPInstanceUID")
        or trim(meta.get("MediaStorageSOPInstanceUID"), True),
        "study_instance_uid": code("StudyInstanceUID"),
        "series_instance_uid": code("SeriesInstanceUID"),
        "patient_id": text("PatientID"),
        "patient_name": text("PatientName"),
        "clinical_trial_subject_id": text("ClinicalTrialSubjectID"),
        "clinical_trial_time_point_id": text("ClinicalTrialTimePointID"),
        "clinical_trial_protocol_id": text("ClinicalTrialProtocolID"),
        "modality": code("Modality"),
        "study_date": code("StudyDate"),
        "study_time": code("StudyTime"),
        "series_date": code("SeriesDate"),
        "series_time": code("SeriesTime"),
        "acquisition_date": code("AcquisitionDate"),
        "acquisition_time": code("AcquisitionTime"),
        "content_date": code("ContentDate"),
        "content_time": code("ContentTime"),
        "series_number": first_int(ds, "SeriesNumber"),
        "instance_number": first_int(ds, "InstanceNumber"),
        "frame_of_reference_uid": code("FrameOfReferenceUID"),
        "pixel_spacing": measures("PixelSpacing", 2),
        "slice_thickness": measures("SliceThickness"),
        "spacing_between_slices": measures("SpacingBetweenSlices"),
        "rows": first_int(ds, "Rows"),
        "columns": first_int(ds, "Columns"),
        "number_of_frames": first_int(ds, "NumberOfFrames"),
        "image_position_patient": floats(ds, "ImagePositionPatient", 3)
        or from_groups(ds, "PlanePositionSequence",
                       lambda i: floats(i, "ImagePositionPatient", 3)),
        "image_orientation_patient": floats(ds, "ImageOrientationPatient", 6)
        or from_groups(ds, "PlaneOrientationSequence",
                       lambda i: floats(i, "ImageOrientationPatient", 6)),
    }


def main():
    paths = sys.argv[1:]
    if paths == ["-"]:
        paths = [line.rstrip("\n") for line in sys.stdin if line.strip()]
    out = []
    for path in paths:
        try:
            out.append(record(path))
        except Exception as e:  # a peer failure is data for the comparison
            out.append({"path": path, "error": f"{type(e).__name__}: {e}"})
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
