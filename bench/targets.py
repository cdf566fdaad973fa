#!/usr/bin/env python3
"""Issues 3 and 4's speed targets, read from one mladec_bench JSON file.

Prints a markdown table: for each target, how many of its cells meet it and
the range of the measured ratio or rate, with the cells that miss named
when they are few. Memory- and compute-bound follow the roofline of the
same run: a cell is compute-bound when its arithmetic intensity (FLOP per
byte) is at least the ridge, cuBLAS TFLOPS over copy TB/s.

usage: bench/targets.py RESULTS.json
"""
import json
import sys

MAX_NAMED_MISSES = 4


def cell(c):
    return (f"{c['batch']}x{c['seqlen']} s_q={c['q_len']} h_q={c['heads']}"
            f"{' varlen' if c['varlen'] else ''}")


def key(c, **changes):
    """The fields that name a cell, with some replaced."""
    fields = {k: c[k] for k in ("group", "batch", "seqlen", "q_len", "heads", "page_size",
                                "varlen", "kv_dtype", "fp8_compute")}
    fields.update(changes)
    return tuple(sorted(fields.items()))


class Table:
    def __init__(self):
        self.lines = ["| issue | target | met | measured | misses |", "|---|---|---|---|---|"]

    def add(self, issue, target, values, meets, unit="×", fmt="{:.2f}"):
        """values: [(cell name, value)]; meets(value) -> bool; the range
        carries the unit, the named misses the bare numbers."""
        if not values:
            self.lines.append(f"| {issue} | {target} | no cells in this run | | |")
            return
        misses = [(name, v) for name, v in values if not meets(v)]
        low = min(v for _, v in values)
        high = max(v for _, v in values)
        named = ", ".join(f"{name} {fmt.format(v)}" for name, v in misses[:MAX_NAMED_MISSES])
        if len(misses) > MAX_NAMED_MISSES:
            named += f", … ({len(misses) - MAX_NAMED_MISSES} more)"
        self.lines.append(f"| {issue} | {target} | {len(values) - len(misses)}/{len(values)} | "
                          f"{fmt.format(low)}–{fmt.format(high)}{unit} | {named} |")


def main(path):
    results = json.load(open(path))
    # Placement repeats (mladec_bench --placements, a diagnostic) are not cells.
    cases = [c for c in results["cases"] if not c.get("placement")]
    copy = results["ceilings"]["copy_tb_per_s"]
    gemm = results["ceilings"]["gemm_bf16_tflops"]
    by_key = {key(c): c for c in cases}
    ridge = gemm / copy if copy and gemm else None
    t = Table()

    def speedup(c):
        return c["flashmla_us"] / c["us"]

    large = [c for c in cases if c["group"] == "large" and c["kv_dtype"] == "bf16"]
    fixed = [c for c in large if not c["varlen"]]
    varlen = [c for c in large if c["varlen"]]
    t.add(3, "bf16 fixed ≥ 0.97× FlashMLA", [(cell(c), speedup(c)) for c in fixed],
          lambda v: v >= 0.97)
    for rows in sorted({c["heads"] * c["q_len"] for c in fixed}):
        t.add(3, f"… at h_q·s_q = {rows}",
              [(cell(c), speedup(c)) for c in fixed if c["heads"] * c["q_len"] == rows],
              lambda v: v >= 0.97)
    t.add(3, "bf16 varlen ≥ 1.10× FlashMLA", [(cell(c), speedup(c)) for c in varlen],
          lambda v: v >= 1.10)
    if ridge:
        def intensity(c):
            return c["tflops"] / c["tb_per_s"]
        memory = [c for c in large if intensity(c) < ridge]
        compute = [c for c in large if intensity(c) >= ridge]
        t.add(3, f"memory-bound ≥ 4.1 TB/s (intensity < ridge {ridge:.0f} FLOP/B)",
              [(cell(c), c["tb_per_s"]) for c in memory], lambda v: v >= 4.1, " TB/s")
        t.add(3, f"compute-bound ≥ 85% of cuBLAS ({gemm:.0f} TFLOPS)",
              [(cell(c), 100 * c["tflops"] / gemm) for c in compute], lambda v: v >= 85,
              "%", "{:.0f}")
    small = [c for c in cases if c["group"] == "small_batch" and c.get("flashmla_us")]
    t.add(3, "small batch never slower than FlashMLA", [(cell(c), speedup(c)) for c in small],
          lambda v: v >= 1.0)
    if copy:
        # FlashMLA's rate for the same bytes: ours scaled by the time ratio.
        slow = [c for c in small if c["tb_per_s"] * c["us"] / c["flashmla_us"] < copy / 2]
        t.add(3, "small batch ≥ 1.5× where FlashMLA is under half the copy rate",
              [(cell(c), speedup(c)) for c in slow], lambda v: v >= 1.5)
    pages = []
    for c in cases:
        if c["group"] != "page_size":
            continue
        base = by_key.get(key(c, group="large", page_size=64))
        if base:
            pages.append((f"page {c['page_size']} {cell(c)}", c["us"] / base["us"]))
    t.add(3, "page 1 and 16 within 15% of page 64", pages, lambda v: v <= 1.15,
          "× page 64's time", "{:.3f}")

    fp8 = [c for c in cases if c["group"] == "fp8"]
    for dtype in ("fp8_e4m3", "fp8_blockwise"):
        bound = [c for c in fp8 if c["kv_dtype"] == dtype and c["heads"] * c["q_len"] <= 64]
        t.add(4, f"{dtype}, h_q·s_q ≤ 64: ≥ 1.8× FlashMLA's bf16",
              [(cell(c), speedup(c)) for c in bound], lambda v: v >= 1.8)
        t.add(4, f"{dtype}, h_q·s_q ≤ 64: ≥ 3.8 TB/s",
              [(cell(c), c["tb_per_s"]) for c in bound], lambda v: v >= 3.8, " TB/s")

    def against_bf16(c):
        bf16 = by_key.get(key(c, group="large", kv_dtype="bf16", fp8_compute=False))
        return bf16["us"] / c["us"] if bf16 else None

    exact = [(cell(c), against_bf16(c)) for c in fp8
             if c["kv_dtype"] == "fp8_e4m3" and c["heads"] == 128]
    t.add(4, "e4m3 at h_q 128 never slower than our bf16",
          [(n, v) for n, v in exact if v is not None], lambda v: v >= 1.0, "× our bf16")
    compute_mode = [(cell(c), against_bf16(c)) for c in cases if c["group"] == "fp8_compute"]
    t.add(4, "fp8-compute ≥ 1.4× our bf16",
          [(n, v) for n, v in compute_mode if v is not None], lambda v: v >= 1.4,
          "× our bf16")

    print(f"# Targets: {results['gpu']}, commit {results['commit']}, {results['date']}\n")
    print("\n".join(t.lines))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__.strip().splitlines()[-1])
    main(sys.argv[1])
