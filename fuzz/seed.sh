#!/bin/sh
# Builds each fuzz target's seed corpus from fixtures/ (fuzz/corpus/TARGET/, not committed).
# The DICOM JSON seeds are pydicom's to_json() of fixture headers: set ONCOREAD_PYTHON to
# a python with pydicom (scripts/test makes one in target/test-venv).
set -eu
cd "$(dirname "$0")"
fixtures=../fixtures
for target in header_scan sr_tree tid1500 timeline_json timeline_csv dicom_json; do
    mkdir -p "corpus/$target"
done
# Header scan: one CT and every other-producer file (small ones: the corpus stays fast).
find "$fixtures/real" -name '*.dcm' -size -300k -exec cp {} corpus/header_scan/ \;
cp "$fixtures/sample/SUBJ-001/00-BL/CT/CT0001.dcm" corpus/header_scan/sample-ct.dcm
# SR reader: every SR fixture and one sample report.
cp "$fixtures"/real/sr/*.dcm corpus/sr_tree/
find "$fixtures/real/generated" -path '*/sr/*.dcm' -exec cp {} corpus/sr_tree/ \;
cp "$(find "$fixtures/sample/SUBJ-001" -path '*/SR/*' | head -n 1)" corpus/sr_tree/sample-sr.dcm
# TID 1500 grammar: any bytes are a tree; a few fixed choices get it going.
printf '\001\001\000\000\001\002\003\004\005\006\007' > corpus/tid1500/seed-1
printf '\000\000\001\001\000\002\016\001\001\000\003\000\000\040\101\060' > corpus/tid1500/seed-2
# Timelines.
cp "$fixtures/sample/truth.timeline.json" corpus/timeline_json/sample.json
cp "$fixtures/sample-timeline.json" corpus/timeline_json/sample-timeline.json
cp "$fixtures/sample-timeline.csv" corpus/timeline_csv/sample-timeline.csv
# DICOM JSON.
"${ONCOREAD_PYTHON:-python3}" - "$fixtures" corpus/dicom_json <<'PY'
import pathlib, sys
import pydicom
fixtures, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
files = sorted(fixtures.glob("real/ct/*.dcm"))[:4] + sorted(fixtures.glob("real/mr/*.dcm"))[:2]
for path in files:
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    (out / (path.stem + ".json")).write_text("[" + ds.to_json() + "]")
PY
