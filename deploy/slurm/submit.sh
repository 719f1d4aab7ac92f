#!/bin/bash
# Submits a sharded oncoread run to Slurm: a job array of N shards over a shared folder,
# then a merge job that runs only when every shard succeeded (afterok; Slurm cancels it
# when one fails: --kill-on-invalid-dep=yes).
#
# usage: deploy/slurm/submit.sh --shards N --work DIR [--out DIR] [--partition P]
#          [--time T] [--cpus C] [--rerun K] [-- oncoread run options...]
#
#   --shards N     number of shards (array tasks 0..N-1)
#   --work DIR     shared folder: shard outputs (DIR/parts), shard indexes, logs (DIR/logs)
#   --out DIR      merged outputs (default: DIR/out)
#   --partition P  Slurm partition (default: the cluster's default)
#   --time T       time limit per job, in any sbatch --time form (default: the partition's)
#   --cpus C       cores per shard, used as reader threads (default: 1)
#   --rerun K      submit only shard K again (after it failed), and a new merge job
#   -- ...         passed to every `oncoread run` unchanged, e.g. --config pipeline.toml
#                  --reproducible (the same for all shards)
#
# Environment: ONCOREAD_BIN, the oncoread binary the jobs run (default: oncoread on
# PATH); it and the inputs must be reachable from every node under the same paths.
# Prints ARRAY_JOB=id and MERGE_JOB=id.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
shards="" work="" out="" partition="" time_limit="" cpus=1 rerun=""
while [ $# -gt 0 ]; do
  case "$1" in
    --shards) shards=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --partition) partition=$2; shift 2 ;;
    --time) time_limit=$2; shift 2 ;;
    --cpus) cpus=$2; shift 2 ;;
    --rerun) rerun=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "submit.sh: unknown option $1 (see the usage at the top of $0)" >&2; exit 2 ;;
  esac
done
if ! [[ "$shards" =~ ^[1-9][0-9]*$ ]] || [ -z "$work" ]; then
  echo "submit.sh: --shards N (N >= 1) and --work DIR are required" >&2
  exit 2
fi
if [ -n "$rerun" ] && { ! [[ "$rerun" =~ ^[0-9]+$ ]] || [ "$rerun" -ge "$shards" ]; }; then
  echo "submit.sh: --rerun K needs K from 0 to $((shards - 1))" >&2
  exit 2
fi
out=${out:-$work/out}
mkdir -p "$work/parts" "$work/logs"

common=(--parsable --export=ALL --chdir="$PWD")
[ -n "$partition" ] && common+=(--partition="$partition")
[ -n "$time_limit" ] && common+=(--time="$time_limit")

array=${rerun:-0-$((shards - 1))}
array_job=$(sbatch "${common[@]}" --array="$array" --cpus-per-task="$cpus" \
  --output="$work/logs/shard-%A_%a.log" \
  "$here/oncoread-shard.sbatch" "$shards" "$work/parts" --index "$work/index.sqlite" "$@")
array_job=${array_job%%;*}  # --parsable may add ";cluster"
merge_job=$(sbatch "${common[@]}" --dependency="afterok:$array_job" --kill-on-invalid-dep=yes \
  --output="$work/logs/merge-%j.log" \
  "$here/oncoread-merge.sbatch" "$shards" "$work/parts" "$out")
merge_job=${merge_job%%;*}
echo "ARRAY_JOB=$array_job"
echo "MERGE_JOB=$merge_job"
