#!/usr/bin/env bash
# A/B of mladec_bench flag variants on one GPU and one build: every round
# runs each variant once, in the given order (interleaved, so clock and
# thermal drift spread over all of them), one process per variant and
# round; then prints the median time of every cell under each variant
# relative to the first (scripts/bench-variants-table.py).
#
#   scripts/bench-variants.sh OUTDIR ROUNDS NAME:FLAGS... [-- COMMON BENCH ARGS]
#   e.g. scripts/bench-variants.sh out/ov 3 "o160:--split-overhead 160" \
#          "o256:--split-overhead 256" -- --no-ceilings --filter large --only varlen
# Words of FLAGS of the form NAME=VALUE set the environment instead, e.g.
# "default:" "gathered:MLADEC_KV_TMA=0" (every cache off the TMA block path).
#
# BENCH names the benchmark binary (default build-gpu/bench/mladec_bench).
# Writes OUTDIR/r<round>-<name>.{json,log} and OUTDIR/variants.txt.
set -uo pipefail
if [[ $# -lt 3 ]]; then
  sed -n '2,14p' "$0" >&2
  exit 2
fi
out=$1 rounds=$2
shift 2
variants=()
while [[ $# -gt 0 && $1 != "--" ]]; do variants+=("$1"); shift; done
[[ ${1:-} == "--" ]] && shift
common=("$@")
bench=${BENCH:-build-gpu/bench/mladec_bench}
mkdir -p "$out"
: > "$out/variants.txt"
for v in "${variants[@]}"; do
  name=${v%%:*}
  [[ $name =~ ^[A-Za-z0-9_.]+$ ]] || { echo "bad variant name '$name'" >&2; exit 2; }
  echo "$name" >> "$out/variants.txt"
done
for ((round = 1; round <= rounds; ++round)); do
  for v in "${variants[@]}"; do
    name=${v%%:*}
    words=() flags=() environment=()
    [[ $v == *:* ]] && read -r -a words <<<"${v#*:}"
    for word in "${words[@]}"; do
      if [[ $word =~ ^[A-Z_][A-Z0-9_]*= ]]; then environment+=("$word"); else flags+=("$word"); fi
    done
    env "${environment[@]}" timeout 600 "$bench" "${common[@]}" "${flags[@]}" \
      --json "$out/r$round-$name.json" --markdown /dev/null > "$out/r$round-$name.log" 2>&1
    echo "round $round $name rc=$?"
  done
done
python3 "$(dirname "$0")/bench-variants-table.py" "$out"
