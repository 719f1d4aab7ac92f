#!/usr/bin/env bash
# Header-scan throughput: `oncoread scan` (cold index, then re-scan) against `find`,
# `cat` and the peer readers that are installed, on one corpus with a warm page cache.
#
# Usage:  benches/scan-compare.sh [CORPUS_DIR] [RUNS]
#   CORPUS_DIR  default /tmp/oncoread-scan-corpus; made by make-scan-corpus when missing
#               (SMALL=19000 LARGE=1000 files by default; never inside the repository)
#   RUNS        timed runs of oncoread / find / cat (median reported), default 5;
#               PEER_RUNS (default 1) for the slow peers
# Peers, each skipped when missing:
#   pydicom     target/test-venv/bin/python (scripts/test installs it), or $PEER_PYTHON
#   dcmtk       dcmdump            apt-get install -y dcmtk
#   GDCM        gdcmscanner        apt-get install -y libgdcm-tools
# Prints a Markdown table (tool, files, median seconds, files/s, peak RSS where measured).
set -euo pipefail
cd "$(dirname "$0")/.."

C=${1:-/tmp/oncoread-scan-corpus}
RUNS=${2:-5}
PEER_RUNS=${PEER_RUNS:-1}
cargo build --release --quiet -p oncoread -p oncoread-bench --bin oncoread --bin make-scan-corpus
BIN=$(pwd)/target/release
if [ ! -f "$C/files.txt" ]; then
  "$BIN/make-scan-corpus" --out "$C" --small "${SMALL:-19000}" --large "${LARGE:-1000}"
fi
LIST=$C/files.txt
N=$(wc -l < "$LIST")
ROOTS=("$C/small" "$C/large")
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
INDEX=$WORK/index.sqlite
PY=${PEER_PYTHON:-target/test-venv/bin/python}

# Warm the page cache: every peer then reads from memory, as in the issue's figures.
xargs -a "$LIST" -d '\n' cat > /dev/null

# median_seconds RUNS PREPARE COMMAND: median wall time of COMMAND (PREPARE runs untimed
# before each run).
median_seconds() {
  local runs=$1 prepare=$2 command=$3 times=()
  for _ in $(seq "$runs"); do
    bash -c "$prepare"
    local start end
    start=$(date +%s.%N)
    bash -c "$command" > /dev/null 2>&1
    end=$(date +%s.%N)
    times+=("$(echo "$end - $start" | bc -l)")
  done
  printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}

# peak_rss_mb COMMAND: peak resident set of COMMAND in MB (needs GNU time).
peak_rss_mb() {
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -f '%M' bash -c "$1 > /dev/null 2>&1" 2>&1 >/dev/null | tail -n 1 |
      awk '{printf "%.0f", $1 / 1024}'
  else
    echo "-"
  fi
}

row() { # name files seconds rss
  awk -v n="$1" -v f="$2" -v s="$3" -v m="$4" \
    'BEGIN {printf "| %s | %d | %.3f | %.0f | %s |\n", n, f, s, f / s, m}'
}

SCAN="$BIN/oncoread scan ${ROOTS[*]} --index $INDEX"
echo "corpus: $C ($N files, $(du -sh "$C" | cut -f1)); $(nproc) cores; runs: $RUNS (peers $PEER_RUNS)"
echo
echo "| tool | files | median s | files/s | peak RSS MB |"
echo "|---|---|---|---|---|"
s=$(median_seconds "$RUNS" "rm -f $INDEX $INDEX-wal $INDEX-shm" "$SCAN")
rss=$(rm -f "$INDEX"*; peak_rss_mb "$SCAN")
row "oncoread scan, cold index (2 threads)" "$N" "$s" "$rss"
s=$(median_seconds "$RUNS" "rm -f $INDEX $INDEX-wal $INDEX-shm" "$SCAN --threads 1")
row "oncoread scan, cold index, --threads 1" "$N" "$s" "-"
"$BIN/oncoread" scan "${ROOTS[@]}" --index "$INDEX" > /dev/null 2>&1
s=$(median_seconds "$RUNS" "true" "$SCAN")
row "oncoread scan, re-scan unchanged" "$N" "$s" "$(peak_rss_mb "$SCAN")"
s=$(median_seconds "$RUNS" "true" "find ${ROOTS[*]} -type f -printf '%s %T@\n'")
row "find -type f -printf '%s %T@\\\\n'" "$N" "$s" "-"
s=$(median_seconds "$RUNS" "true" "xargs -a $LIST -d '\n' cat")
row "cat (all bytes)" "$N" "$s" "-"

if "$PY" -c 'import pydicom' 2>/dev/null; then
  cat > "$WORK/pydicom_headers.py" <<'EOF'
import sys, pydicom
for line in open(sys.argv[1]):
    ds = pydicom.dcmread(line.rstrip("\n"), stop_before_pixels=True)
    _ = (ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.SOPInstanceUID, ds.InstanceNumber,
         ds.Modality, ds.get("ImagePositionPatient"))
EOF
  s=$(median_seconds "$PEER_RUNS" "true" "$PY $WORK/pydicom_headers.py $LIST")
  row "pydicom dcmread(stop_before_pixels), 1 process" "$N" "$s" "-"
fi
TAGS_DCMDUMP='+P 0020,000d +P 0020,000e +P 0008,0018 +P 0020,0013'
if command -v dcmdump > /dev/null; then
  s=$(median_seconds "$PEER_RUNS" "true" \
    "xargs -a $LIST -d '\n' -n 1000 dcmdump -q +sb 7fe0,0010 -s $TAGS_DCMDUMP")
  row "dcmtk dcmdump +sb 7fe0,0010, 4 tags, 1 process" "$N" "$s" "-"
  s=$(median_seconds "$PEER_RUNS" "true" \
    "xargs -P 2 -a $LIST -d '\n' -n 1000 dcmdump -q +sb 7fe0,0010 -s $TAGS_DCMDUMP")
  row "dcmtk dcmdump, 2 processes" "$N" "$s" "-"
fi
if command -v gdcmscanner > /dev/null; then
  TAGS_GDCM='-t 0020,000d -t 0020,000e -t 0008,0018 -t 0020,0013'
  s=$(median_seconds "$PEER_RUNS" "true" \
    "for d in ${ROOTS[*]}; do gdcmscanner -r -d \$d $TAGS_GDCM -p; done")
  row "GDCM gdcmscanner, 4 tags" "$N" "$s" "-"
fi
