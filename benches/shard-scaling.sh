#!/usr/bin/env bash
# Shards and merge on one machine: wall time of a single run, of 1 and 2 shards (run at
# once, one reader thread each) plus the merge, and how one shard's time and the merge
# time grow with the number of shards and of subjects.
#
# Usage:  benches/shard-scaling.sh [WORK_DIR] [SUBJECTS] [RUNS]
#   WORK_DIR  default /tmp/oncoread-shard-bench (trial, indexes, outputs; deleted at the end
#             unless KEEP=1); never inside the repository
#   SUBJECTS  default 260: 260 subjects x 5 visits x 40 slices of 64 x 64 (every fifth
#             subject misses a visit, every fourth is read twice) = 51,481 files
#   RUNS      hyperfine runs per figure, default 3
# Needs hyperfine (apt-get install -y hyperfine). Page cache warm (one read pass first).
set -euo pipefail
cd "$(dirname "$0")/.."

W=${1:-/tmp/oncoread-shard-bench}
SUBJECTS=${2:-260}
RUNS=${3:-3}
cargo build --release --quiet -p oncoread
BIN=$(pwd)/target/release/oncoread
mkdir -p "$W"
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$W"' EXIT
T=$W/trial-$SUBJECTS
if [ ! -d "$T" ]; then
  "$BIN" synth --out "$T" --subjects "$SUBJECTS" --timepoints 5 --slices 40 --matrix 64 --seed 1
fi
echo "files: $(find "$T" -type f | wc -l), $(du -sh "$T" | cut -f1)"
find "$T" -type f -print0 | xargs -0 cat >/dev/null   # warm the page cache

cat > "$W/bench.toml" <<TOML
[[input]]
path = "$T"
[criteria]
enabled = ["recist1.1", "irecist"]
TOML
RUN="$BIN run --config $W/bench.toml --reproducible"
H=(hyperfine --runs "$RUNS" --style basic)

echo "== single run (2 reader threads), fresh index each time"
"${H[@]}" --prepare "rm -rf $W/i1 $W/o1" "$RUN --index $W/i1/index.sqlite --out $W/o1"

for n in 1 2; do
  echo "== $n shard(s) at once (1 reader thread each), fresh indexes; then the merge"
  shards=""
  for ((k = 0; k < n; k++)); do
    shards+="$RUN --threads 1 --shard $k/$n --index $W/s$n/index.sqlite --out $W/p$n & "
  done
  "${H[@]}" --prepare "rm -rf $W/s$n $W/p$n" "bash -c '$shards wait'"
  "${H[@]}" --prepare "rm -rf $W/m$n" "$BIN merge $W/p$n --out $W/m$n"
  cmp -s "$W/o1/timeline.json" "$W/m$n/timeline.json" && diff -r -q "$W/o1" "$W/m$n" \
    && echo "merged outputs of $n shard(s) = the single run's"
done

echo "== one shard alone (shard 0 of N, 1 reader thread, fresh index) as N grows"
for n in 1 2 4 8; do
  "${H[@]}" --prepare "rm -rf $W/g$n" \
    "$RUN --threads 1 --shard 0/$n --index $W/g$n/index.sqlite --out $W/g$n"
done
