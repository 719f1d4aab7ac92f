"""Reads assessment SRs back with highdicom (the peer reader of tests/cli_dicom_sr.rs).

Usage: read_assessment_sr.py FILE...  → one JSON object on standard output, by file:
sop_class_uid, study_instance_uid, patient_id, the TID 1501 measurement groups
(tracking identifier and UID, measurements by concept meaning in their unit, the codes
of its Finding items) and the Qualitative Evaluations, each as its concept code value,
its coded value and, when modified by one, its Response Evaluation Method; codes are
[value, scheme, meaning].
"""
import json
import sys

import highdicom as hd


def triple(code):
    return [code.value, code.scheme_designator, code.meaning]


def evaluations(report):
    out = []
    for item in report[0].ContentSequence:
        name = item.ConceptNameCodeSequence[0]
        if (name.CodeValue, name.CodingSchemeDesignator) != ("C0034375", "UMLS"):
            continue
        for evaluation in item.ContentSequence:
            code = hd.sr.CodeContentItem.from_dataset(evaluation)
            method = None
            for modifier in getattr(evaluation, "ContentSequence", []):
                modifier = hd.sr.CodeContentItem.from_dataset(modifier)
                assert modifier.name.value == "112021", modifier.name
                method = triple(modifier.value)
            out.append({
                "concept": code.name.value,
                "value": triple(code.value),
                "method": method,
            })
    return out


def findings(group):
    return [
        triple(hd.sr.CodeContentItem.from_dataset(item).value)
        for item in group[0].ContentSequence
        if item.ValueType == "CODE" and item.ConceptNameCodeSequence[0].CodeValue == "121071"
    ]


def main(paths):
    result = {}
    for path in paths:
        sr = hd.sr.srread(path)
        report = sr.content
        if not isinstance(report, hd.sr.MeasurementReport):
            raise SystemExit(f"{path}: not read as a TID 1500 Measurement Report")
        groups = []
        for group in report.get_image_measurement_groups():
            groups.append({
                "tracking_identifier": group.tracking_identifier,
                "tracking_uid": group.tracking_uid,
                "measurements": {
                    m.name.meaning: [m.value, m.unit.value] for m in group.get_measurements()
                },
                "findings": findings(group),
            })
        result[path] = {
            "sop_class_uid": sr.SOPClassUID,
            "study_instance_uid": sr.StudyInstanceUID,
            "patient_id": sr.PatientID,
            "groups": groups,
            "evaluations": evaluations(report),
        }
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1:])
