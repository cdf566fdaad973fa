#!/usr/bin/env bash
# A/B timing of several commits in one device call: builds the benchmark of
# each source tree under ab/<commit>/ and runs the same benchmark selection
# on each, round by round, so clock drift hits every tree alike; prints one
# table of µs (a column per tree, one value per round).
#   here:       scripts/gpu-ab.sh --prepare COMMIT...   (git archive into ab/)
#          or:  scripts/gpu-ab.sh --prepare-patched COMMIT NAME=PATCH[,PATCH...]...
#               (ab/COMMIT, and ab/NAME: COMMIT with bench/candidates/PATCH.patch
#               applied in order, e.g. both=tma-block-before-q-wait,combine-quarter-rows;
#               each patched tree's benchmark is built here too, AB_PREPARE_BUILD=0 skips it)
#   the device: AB_ONLY='x8192 s_q=1|1x32768' BENCH_ARGS="--filter large" AB_CHECK=4 \
#                 [AB_CHECK_TREES='c2'] [AB_RACECHECK=40] \
#                 [AB_TREES='c1 c2'] [AB_FULL_CHECK=c1] [AB_PROFILE='case;case'] \
#                 MLADEC_CUTLASS_DIR=... \
#                 scripts/gpu-ab.sh [ROUNDS]
# AB_CMAKE_ARGS='-DMLADEC_PTXAS_WERROR=OFF': extra configure arguments for
# every tree, here (--prepare-patched) and on the device, e.g. to screen a
# candidate whose cold spill the build's guard would reject.
# AB_FULL_CHECK=BASE: after the rounds, the timed tree other than BASE with
# the lowest total (the mean of its rounds, summed over the cases every
# tree ran) — if that total is below BASE's — gets the full
# `gpu-check.sh smoke tests bench sanitize sweep` in its own tree, results
# under $OUT/check: screen, A/B and the merge check in one device call.
# ab/ is ignored by git: name it in the run tool's carry (a few MB: bench
# results are left out of the trees).
set -uo pipefail
cd "$(dirname "$0")/.."
# The trees of an earlier preparation go; files kept in ab/ (call scripts)
# stay (session 24 lost its call scripts to a whole-folder removal).
clear_trees() {
  mkdir -p ab && find ab -mindepth 1 -maxdepth 1 -type d -exec rm -rf {} +
}
# Only directories are trees (call scripts kept in ab/ are not).
tree_names() { (cd ab && ls -d */ | tr -d /); }
cutlass=${MLADEC_CUTLASS_DIR:-$PWD/.deps/cutlass/include}
if [ "${1:-}" = --prepare ]; then
  shift
  clear_trees
  for commit in "$@"; do
    mkdir "ab/$commit" && git archive "$commit" -- . ":!bench/results" | tar x -C "ab/$commit"
  done
  echo "prepared: $(tree_names)"; exit 0
fi
if [ "${1:-}" = --prepare-patched ]; then
  # Candidate patches (bench/candidates/) need no commits of their own: each
  # named tree is the base commit's archive with its patches applied there
  # (patch -p1 inside the archive, as bench/candidates/README.md says).
  base=$2
  shift 2
  clear_trees
  archive() { mkdir "ab/$1" && git archive "$base" -- . ":!bench/results" | tar x -C "ab/$1"; }
  archive "$base" || exit 1
  for spec in "$@"; do
    name=${spec%%=*}
    IFS=',' read -r -a patches <<<"${spec#*=}"
    archive "$name" || exit 1
    for patch_name in "${patches[@]}"; do
      if ! patch -d "ab/$name" -p1 --quiet --forward --no-backup-if-mismatch \
          <"bench/candidates/$patch_name.patch"; then
        echo "gpu-ab: bench/candidates/$patch_name.patch does not apply to $base (tree $name)" >&2
        exit 1
      fi
    done
  done
  # Each patched tree's benchmark is built and linked here first (~40 s a
  # tree on two cores; AB_PREPARE_BUILD=0 skips it), so a patch that
  # compiles but does not link fails before it costs device time (session
  # 22 call 1 lost two of its four trees that way).
  if [ "${AB_PREPARE_BUILD:-1}" != 0 ]; then
    for spec in "$@"; do
      name=${spec%%=*}
      cmake -S "ab/$name" -B "/tmp/ab-prepare-$name" -G Ninja -DCMAKE_BUILD_TYPE=Release \
        -DMLADEC_BUILD_TESTS=OFF -DMLADEC_BUILD_TOOLS=OFF ${AB_CMAKE_ARGS:-} \
        -DMLADEC_CUTLASS_DIR="$cutlass" >/dev/null &&
        cmake --build "/tmp/ab-prepare-$name" --target mladec_bench >"/tmp/ab-prepare-$name.log" 2>&1 ||
        { echo "gpu-ab: tree $name does not build: /tmp/ab-prepare-$name.log" >&2; exit 1; }
      echo "built: $name"
    done
  fi
  echo "prepared: $(tree_names)"; exit 0
fi
OUT=${OUT:-$PWD/gpu-out}
# Logs and JSON gather outside $OUT (the device returns at most 8 files);
# $OUT gets the table and one archive of them after every round.
RAW=$(mktemp -d /tmp/ab-raw.XXXXXX)
mkdir -p "$OUT"
rounds=${1:-2}
# AB_TREES='c1 c2': only these of the prepared trees (several selections
# in one device call share the builds under build-ab/).
trees=${AB_TREES:-$(tree_names)}
# The trees build at once, the cores shared out: each tree's build is
# bound by one long translation unit (the decode kernels), ~25 s.
targets=mladec_bench
[ -n "${AB_CHECK:-}" ] && targets="$targets decode_matrix_gpu_test"
# The quick exactness screens, built and run where a tree has them: Q rows
# 2^-100..2^100 (query range), every e4m3 code (fp8 codes) and FixedChunk's
# bit-identical results alone and in a batch (batch invariance).
screens="query_range_gpu_test fp8_codes_gpu_test batch_invariance_gpu_test"
count=$(echo $trees | wc -w)
jobs=$(( $(nproc) / (count > 0 ? count : 1) )); [ $jobs -lt 2 ] && jobs=2
start=$(date +%s)
mkdir -p build-ab && rm -f build-ab/*.rc
for tree in $trees; do
  tree_targets=$targets
  if [ -n "${AB_CHECK:-}" ]; then
    for screen in $screens; do
      [ -f "ab/$tree/tests/gpu/test_${screen%_gpu_test}.cpp" ] && tree_targets="$tree_targets $screen"
    done
  fi
  (cmake -S "ab/$tree" -B "build-ab/$tree" -G Ninja -DCMAKE_BUILD_TYPE=Release \
       -DMLADEC_CUTLASS_DIR="$cutlass" ${AB_CMAKE_ARGS:-} >"$RAW/configure_$tree.log" 2>&1 &&
     cmake --build "build-ab/$tree" -j$jobs --target $tree_targets >"$RAW/build_$tree.log" 2>&1
   echo $? >"build-ab/$tree.rc") &
done
wait
echo "builds: $(( $(date +%s) - start ))s"
# Cost (session 24): AB_CHECK=4 with AB_RACECHECK=24 takes ~100 s a tree
# on the H200, so more than three checked trees do not fit a 400 s part.
# AB_CHECK=N: before any timing, every N-th case of the GPU decode matrix
# (all three cache formats against the CPU reference) and the quick
# exactness screens (query range, fp8 codes) for each tree; a tree that
# fails any of them is not timed. AB_CHECK_TREES='c2 ...' checks only
# those trees (a baseline checked before saves ~80 s of device time).
timed=""
for tree in $trees; do
  rc=$(cat "build-ab/$tree.rc" 2>/dev/null || echo 1)
  echo "build $tree rc=$rc"
  if [ "$rc" -ne 0 ]; then
    # The first errors in the call's own output: a tree that does not build
    # (session 22: a patch that compiled but did not link) is then plain
    # without unpacking the archive.
    grep -E 'error|multiple definition|undefined reference' "$RAW/build_$tree.log" \
      "$RAW/configure_$tree.log" 2>/dev/null | head -5
    continue
  fi
  check_this=${AB_CHECK:+yes}
  if [ -n "${AB_CHECK_TREES:-}" ] && [[ " $AB_CHECK_TREES " != *" $tree "* ]]; then
    check_this=""
  fi
  if [ -n "$check_this" ]; then
    start=$(date +%s)
    # The whole matrix (AB_CHECK=1) takes ~110 s on the H200: the bound
    # grows with the share of cases run.
    MLADEC_GPU_QUICK=$AB_CHECK timeout $(( 60 + 180 / AB_CHECK )) \
      "build-ab/$tree/tests/gpu/decode_matrix_gpu_test" \
      >"$RAW/check_$tree.log" 2>&1
    rc=$?
    for screen in $screens; do
      if [ $rc -eq 0 ] && [ -x "build-ab/$tree/tests/gpu/$screen" ]; then
        timeout 60 "build-ab/$tree/tests/gpu/$screen" >>"$RAW/check_$tree.log" 2>&1
        rc=$?
      fi
    done
    # AB_RACECHECK=N: then compute-sanitizer racecheck over every N-th case
    # of the matrix (N = 40: ~25 s) — the check a new hand-over between
    # warpgroups needs before its timing means anything.
    if [ $rc -eq 0 ] && [ -n "${AB_RACECHECK:-}" ]; then
      MLADEC_GPU_QUICK=$AB_RACECHECK timeout 300 compute-sanitizer --tool racecheck \
        --error-exitcode 1 "build-ab/$tree/tests/gpu/decode_matrix_gpu_test" \
        >>"$RAW/check_$tree.log" 2>&1
      rc=$?
    fi
    summary=$(grep -E 'cases, worst|RACECHECK SUMMARY' "$RAW/check_$tree.log" | tr '\n' ' ')
    echo "check $tree rc=$rc $(( $(date +%s) - start ))s: $summary"
    [ $rc -eq 0 ] || continue
  fi
  timed="$timed $tree"
done
trees=$timed
# AB_PROFILE='CASE;CASE': before the rounds, Nsight Compute of each case on
# each checked tree (scripts/ncu-profile.sh; the pages go into the archive,
# named <tree>_<case>; scripts/ncu-stalls.py summarizes a SASS page).
if [ -n "${AB_PROFILE:-}" ]; then
  IFS=';' read -r -a profile_cases <<<"$AB_PROFILE"
  for tree in $trees; do
    for case in "${profile_cases[@]}"; do
      echo "== ncu $tree: $case"
      scripts/ncu-profile.sh "build-ab/$tree/bench/mladec_bench" "$case" "$RAW" "${tree}_"
    done
  done
fi
# One table (case rows, one µs column per tree and round) and one archive
# after every round: a call cut short still brings back what ran.
report() {
  python3 - "$RAW" $trees <<'PY'
import json, sys, glob, os, collections
out, trees = sys.argv[1], sys.argv[2:]
table = collections.OrderedDict()
for tree in trees:
    for path in sorted(glob.glob(f"{out}/ab_{tree}_*.json")):
        for case in json.load(open(path))["cases"]:
            name = "{group} {mode} {batch}x{seqlen} s_q={q_len} h_q={heads} page={page_size} {kv_dtype}{tag}".format(tag=" varlen" if case["varlen"] else "", **case)
            table.setdefault(name, {}).setdefault(tree, []).append(case["us"])
print("| case | " + " | ".join(trees) + " |")
for name, per_tree in table.items():
    # Tenths below 100 µs: the small steps differ by fractions of a µs.
    cells = [" / ".join(f"{us:.1f}" if us < 100 else f"{us:.0f}" for us in per_tree.get(t, []))
             for t in trees]
    print(f"| {name} | " + " | ".join(cells) + " |")
PY
  (cd "$RAW" && tar czf "$OUT/ab_results.tgz" ./*.json ./*.log ./*.txt 2>/dev/null)
}
# AB_ONLY='A|B|...': one benchmark run per case-name substring (each run's
# --only), after BENCH_ARGS; without it, one run of BENCH_ARGS.
IFS='|' read -r -a patterns <<<"${AB_ONLY:-}"
[ ${#patterns[@]} -eq 0 ] && patterns=("")
for round in $(seq "$rounds"); do
  for tree in $trees; do
    for n in "${!patterns[@]}"; do
      only=()
      [ -n "${patterns[$n]}" ] && only=(--only "${patterns[$n]}")
      # A tree whose kernel hangs must not take the whole call with it.
      eval "timeout ${AB_TIMEOUT:-120} build-ab/$tree/bench/mladec_bench --no-ceilings \
        --json $RAW/ab_${tree}_${round}_$n.json --markdown /dev/null ${BENCH_ARGS:-}" '"${only[@]}"' \
        >"$RAW/bench_${tree}_${round}_$n.log" 2>&1
    done
  done
  echo "== after round $round"
  report | tee "$OUT/ab_table.md"
done
if [ -n "${AB_FULL_CHECK:-}" ]; then
  pick=$(python3 - "$RAW" "$AB_FULL_CHECK" $trees <<'PY'
import json, sys, glob, collections
out, base, trees = sys.argv[1], sys.argv[2], sys.argv[3:]
times = collections.defaultdict(lambda: collections.defaultdict(list))
for tree in trees:
    for path in glob.glob(f"{out}/ab_{tree}_*.json"):
        for case in json.load(open(path))["cases"]:
            key = tuple(case[k] for k in ("group", "mode", "batch", "seqlen", "q_len", "heads",
                                          "page_size", "kv_dtype", "varlen"))
            times[key][tree].append(case["us"])
common = [k for k, per in times.items() if all(t in per for t in trees)]
total = {t: sum(sum(times[k][t]) / len(times[k][t]) for k in common) for t in trees}
print(" ".join(f"{t}={total[t]:.0f}" for t in trees), file=sys.stderr)
others = [t for t in trees if t != base]
best = min(others, key=total.get) if others and base in total else None
print(best if best and total[best] < total[base] else "none")
PY
)
  echo "full check: $pick"
  if [ "$pick" != none ]; then
    mkdir -p "$OUT/check"
    (cd "ab/$pick" && MLADEC_COMMIT=$pick OUT="$OUT/check" \
       timeout "${AB_CHECK_SECONDS:-420}" scripts/gpu-check.sh smoke tests bench sanitize sweep \
       >"$RAW/full_check.txt" 2>&1; echo "rc=$?" >>"$RAW/full_check.txt")
    cp "$RAW/full_check.txt" "$OUT/check/check-log.txt"
    tail -16 "$RAW/full_check.txt"
  fi
fi
