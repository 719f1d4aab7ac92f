"""Peer for tests/cli_pseudonymize.rs: the identifiers in a DICOM folder (pydicom), and
the pseudonyms and date offsets a key gives them (Python's hmac, per the README).

Usage:
  python peer_identifiers.py originals FOLDER
      Prints {"identifiers": [...], "subjects": [...], "birth_dates": {...}}: every Patient
      ID, Patient Name (whole and each component), Patient's Birth Date, Other Patient IDs
      and Clinical Trial Subject ID of every DICOM file under FOLDER; "subjects" the
      Clinical Trial Subject IDs (else Patient IDs), sorted; "birth_dates" each subject's
      Patient's Birth Date (YYYYMMDD). Files that are not DICOM are skipped.
  python peer_identifiers.py pseudonyms ID...
      With the key in the environment variable ONCOREAD_PSEUDONYM_KEY, prints
      {ID: {"pseudonym": "P-" + the first 12 base32 characters of HMAC-SHA-256(key, ID),
            "day_offset": -(first 8 bytes of HMAC(key, "date-shift:" + ID), big-endian,
                            mod 365) - 1}}.
"""
import base64
import hashlib
import hmac
import json
import os
import sys

import pydicom
from pydicom.errors import InvalidDicomError


def originals(folder):
    found = set()
    subjects = set()
    birth_dates = {}
    for root, _dirs, files in os.walk(folder):
        for name in files:
            try:
                ds = pydicom.dcmread(os.path.join(root, name), stop_before_pixels=True)
            except (InvalidDicomError, OSError):
                continue
            for keyword in ("PatientID", "ClinicalTrialSubjectID", "PatientBirthDate"):
                value = str(ds.get(keyword, "") or "")
                if value:
                    found.add(value)
            for other in ds.get("OtherPatientIDs", None) or []:
                found.add(str(other))
            patient_name = str(ds.get("PatientName", "") or "")
            if patient_name:
                found.add(patient_name)
                for group in patient_name.split("="):
                    found.update(part for part in group.split("^") if part)
            subject = str(ds.get("ClinicalTrialSubjectID", "") or ds.get("PatientID", "") or "")
            if subject:
                subjects.add(subject)
                if ds.get("PatientBirthDate"):
                    birth_dates[subject] = str(ds.PatientBirthDate)
    return {"identifiers": sorted(found), "subjects": sorted(subjects), "birth_dates": birth_dates}


def pseudonyms(ids):
    key = os.environ["ONCOREAD_PSEUDONYM_KEY"].encode()
    result = {}
    for original in ids:
        digest = hmac.new(key, original.encode(), hashlib.sha256).digest()
        shift = hmac.new(key, b"date-shift:" + original.encode(), hashlib.sha256).digest()
        result[original] = {
            "pseudonym": "P-" + base64.b32encode(digest).decode()[:12],
            "day_offset": -(int.from_bytes(shift[:8], "big") % 365) - 1,
        }
    return result


if __name__ == "__main__":
    if sys.argv[1] == "originals":
        print(json.dumps(originals(sys.argv[2])))
    else:
        print(json.dumps(pseudonyms(sys.argv[2:])))
