"""Peer reading for tests/cli_key_images.rs: what pydicom finds in the sample trial.

Usage: python peer_key_images.py SAMPLE_FOLDER

Prints one JSON object: "lines" maps "SUBJECT/TIMEPOINT/TRACKING_UID" (the timepoint from
the visit folder name, 00-BL -> BL) to the SCOORD POLYLINEs of that measurement group, each
with its Graphic Data and Referenced SOP Instance UID; "images" maps each CT SOP Instance
UID to its rows, columns, Rescale Slope and Intercept and the raw stored values on a grid
every 4 pixels ("grid": [[row, column, stored value], ...]), read from the Pixel Data bytes.
"""
import json
import os
import struct
import sys

import pydicom

TRACKING_UID = ("112040", "DCM")
MEASUREMENT_GROUP = ("125007", "DCM")
GRID_STEP = 4


def concept(item):
    seq = item.get("ConceptNameCodeSequence")
    if not seq:
        return None
    return (seq[0].CodeValue, seq[0].CodingSchemeDesignator)


def polylines(item, out):
    for child in item.get("ContentSequence", []):
        if child.ValueType == "SCOORD" and child.GraphicType == "POLYLINE":
            images = [c for c in child.get("ContentSequence", []) if c.ValueType == "IMAGE"]
            uid = images[0].ReferencedSOPSequence[0].ReferencedSOPInstanceUID if images else None
            out.append({"graphic_data": [float(v) for v in child.GraphicData],
                        "referenced_sop_instance_uid": uid})
        polylines(child, out)


def groups(item, out):
    for child in item.get("ContentSequence", []):
        if child.ValueType == "CONTAINER" and concept(child) == MEASUREMENT_GROUP:
            out.append(child)
        else:
            groups(child, out)


def read_sr(path, subject, timepoint, lines):
    ds = pydicom.dcmread(path)
    found = []
    groups(ds, found)
    for group in found:
        tracking = [c.UID for c in group.ContentSequence
                    if c.ValueType == "UIDREF" and concept(c) == TRACKING_UID]
        shapes = []
        polylines(group, shapes)
        if tracking and shapes:
            lines[f"{subject}/{timepoint}/{tracking[0]}"] = shapes


def read_image(path, images):
    ds = pydicom.dcmread(path)
    if ds.get("Modality") != "CT":
        return
    assert ds.BitsAllocated == 16 and ds.SamplesPerPixel == 1
    fmt = "<h" if ds.PixelRepresentation == 1 else "<H"
    data = ds.PixelData
    grid = []
    for row in range(GRID_STEP // 2, ds.Rows, GRID_STEP):
        for column in range(GRID_STEP // 2, ds.Columns, GRID_STEP):
            (value,) = struct.unpack_from(fmt, data, 2 * (row * ds.Columns + column))
            grid.append([row, column, value])
    images[ds.SOPInstanceUID] = {
        "rows": ds.Rows, "columns": ds.Columns,
        "slope": float(ds.get("RescaleSlope", 1)), "intercept": float(ds.get("RescaleIntercept", 0)),
        "grid": grid,
    }


def main(root):
    lines, images = {}, {}
    for subject in sorted(os.listdir(root)):
        subject_dir = os.path.join(root, subject)
        if not os.path.isdir(subject_dir):
            continue
        for visit in sorted(os.listdir(subject_dir)):
            timepoint = visit.split("-", 1)[1]
            for kind in ("SR", "CT"):
                folder = os.path.join(subject_dir, visit, kind)
                for name in sorted(os.listdir(folder)) if os.path.isdir(folder) else []:
                    path = os.path.join(folder, name)
                    if kind == "SR":
                        read_sr(path, subject, timepoint, lines)
                    else:
                        read_image(path, images)
    json.dump({"lines": lines, "images": images}, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])
