#!/usr/bin/env python3
"""The table of scripts/bench-variants.sh: each cell's median time under every
variant (OUTDIR/r<round>-<name>.json) relative to the first variant of
OUTDIR/variants.txt, then the median ratio per group and tile form."""
import collections
import json
import os
import statistics
import sys


def tile_rows(case):
    """The tile form select_config picks (src/core/tile_forms.h)."""
    rows = case["heads"] * case["q_len"]
    if rows <= 16:
        return 16
    return 32 if rows <= 32 and case["kv_dtype"] != "fp8_blockwise" else 64


def cell_name(case):
    return (f"{case['batch']}x{case['seqlen']} s_q={case['q_len']} h_q={case['heads']} "
            f"page={case['page_size']} {'varlen' if case['varlen'] else 'fixed'} "
            f"{case['kv_dtype']}{' fp8-compute' if case['fp8_compute'] else ''}")


def main(out):
    variants = open(os.path.join(out, "variants.txt")).read().split()
    times = collections.defaultdict(lambda: collections.defaultdict(list))
    for name in os.listdir(out):
        if not (name.startswith("r") and name.endswith(".json")):
            continue
        variant = name[:-5].split("-", 1)[1]
        for case in json.load(open(os.path.join(out, name)))["cases"]:
            key = (case["group"], tile_rows(case), cell_name(case))
            times[key][variant].append(case["us"])
    base, others = variants[0], variants[1:]
    print(f"| group | tile rows | cell | {base} µs | " +
          " | ".join(f"{v} / {base}" for v in others) + " |")
    print("|---|---|---|---|" + "---|" * len(others))
    ratios = collections.defaultdict(lambda: collections.defaultdict(list))
    for key in sorted(times):
        median = {v: statistics.median(t) for v, t in times[key].items()}
        if base not in median:
            continue
        cells = []
        for v in others:
            ratio = median[v] / median[base] if v in median else float("nan")
            ratios[key[:2]][v].append(ratio)
            cells.append(f"{ratio:.3f}")
        print(f"| {key[0]} | {key[1]} | {key[2]} | {median[base]:.1f} | " + " | ".join(cells) + " |")
    print()
    print("| group | tile rows | cells | " +
          " | ".join(f"{v} / {base}: median (min–max)" for v in others) + " |")
    print("|---|---|---|" + "---|" * len(others))
    for key in sorted(ratios):
        cells = [f"{statistics.median(r):.3f} ({min(r):.3f}–{max(r):.3f})"
                 for r in (ratios[key][v] for v in others)]
        print(f"| {key[0]} | {key[1]} | {len(ratios[key][others[0]]) if others else 0} | " +
              " | ".join(cells) + " |")


if __name__ == "__main__":
    main(sys.argv[1])
