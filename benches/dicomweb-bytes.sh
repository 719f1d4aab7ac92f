#!/usr/bin/env bash
# What a DICOMweb run transfers, against fetching whole studies (WADO-RS retrieve).
#
#   benches/dicomweb-bytes.sh [ARCHIVE_FOLDER]      (default: fixtures/sample)
#
# Starts a throw-away Orthanc (Debian's orthanc + orthanc-dicomweb) on a free loopback
# port, stores every DICOM file of the folder with STOW-RS, runs `oncoread extract` over
# DICOMweb (cold, then again unchanged), then retrieves every study whole with curl, and
# prints the bytes and times of each. Needs curl, python3 and a release build.
set -euo pipefail
cd "$(dirname "$0")/.."
archive=${1:-fixtures/sample}
oncoread=target/release/oncoread
[ -x "$oncoread" ] || cargo build --release -p oncoread

work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$work/orthanc.json" <<JSON
{ "Name": "BENCH", "StorageDirectory": "$work/db", "IndexDirectory": "$work/db",
  "Plugins": ["/usr/share/orthanc/plugins/libOrthancDicomWeb.so"],
  "HttpPort": $port, "DicomPort": 0, "RemoteAccessAllowed": false,
  "AuthenticationEnabled": false, "SaveJobs": false,
  "DicomWeb": {"Enable": true, "Root": "/dicom-web/", "StudiesMetadata": "Full", "SeriesMetadata": "Full"} }
JSON
Orthanc "$work/orthanc.json" > "$work/orthanc.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
url=http://127.0.0.1:$port
for _ in $(seq 1 300); do curl -sf "$url/system" >/dev/null && break; sleep 0.1; done

# STOW-RS, 50 files per request.
mapfile -t files < <(find "$archive" -type f -name '*.dcm' | sort)
boundary=bench-boundary-7f3a
for ((i = 0; i < ${#files[@]}; i += 50)); do
  { for f in "${files[@]:i:50}"; do
      printf -- "--%s\r\nContent-Type: application/dicom\r\n\r\n" "$boundary"; cat "$f"; printf "\r\n"
    done; printf -- "--%s--\r\n" "$boundary"; } > "$work/stow.body"
  curl -sf -X POST -H "Content-Type: multipart/related; type=\"application/dicom\"; boundary=$boundary" \
    -H 'Accept: application/dicom+json' --data-binary @"$work/stow.body" "$url/dicom-web/studies" >/dev/null
done
archive_bytes=$(cat "${files[@]}" | wc -c)
echo "archive: ${#files[@]} files, $archive_bytes bytes"

for pass in cold unchanged; do
  start=$(date +%s.%N)
  "$oncoread" extract "dicomweb:$url/dicom-web" --index "$work/index.sqlite" -o "$work/timeline.json" 2>&1 | grep '^dicomweb:'
  echo "  oncoread ($pass): $(echo "$(date +%s.%N) - $start" | bc) s"
done

studies=$(curl -sf "$url/dicom-web/studies" | python3 -c 'import json,sys; print("\n".join(s["0020000D"]["Value"][0] for s in json.load(sys.stdin)))')
start=$(date +%s.%N)
total=0
for study in $studies; do
  bytes=$(curl -sf -H 'Accept: multipart/related; type="application/dicom"; transfer-syntax=*' \
    "$url/dicom-web/studies/$study" | wc -c)
  total=$((total + bytes))
done
echo "whole-study WADO-RS retrieve: $(echo "$studies" | wc -l) studies, $total bytes, $(echo "$(date +%s.%N) - $start" | bc) s"
