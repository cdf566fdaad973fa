#!/usr/bin/env python3
"""Roofline plot of one mladec_bench JSON file.

Each case is a point at its arithmetic intensity (FLOP per byte moved) and
achieved TFLOPS; the two ceilings measured in the same run (device copy and
cuBLAS bf16 GEMM) draw the roof. FlashMLA's time for the same cell, where
DESIGN §8 gives one, is drawn as a hollow marker above or below (for the fp8
cases: FlashMLA's bf16 time for the shape, placed at the fp8 case's
intensity). The checked-mode group (eager synchronized steps) is a cost
comparison, not a kernel rate, and is left out.

usage: bench/plot_roofline.py RESULTS.json [OUT.png]
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main(path, out_path):
    with open(path) as f:
        results = json.load(f)
    copy = results["ceilings"]["copy_tb_per_s"]  # TB/s
    gemm = results["ceilings"]["gemm_bf16_tflops"]
    if not copy or not gemm:
        sys.exit(f"{path}: no ceilings in this run (mladec_bench --no-ceilings); "
                 "the roofline needs them")
    fig, ax = plt.subplots(figsize=(9, 6))
    ridge = gemm / copy
    ax.plot([1, ridge, 10000], [copy, gemm, gemm], "k-", lw=1,
            label=f"roof: copy {copy:.2f} TB/s, GEMM {gemm:.0f} TFLOPS")
    markers = {"large": "o", "fp8": "D", "page_size": "s", "small_batch": "^"}
    for case in results["cases"]:
        if case["group"] not in markers:
            continue
        intensity = case["tflops"] / case["tb_per_s"]
        color = "tab:blue" if case["heads"] * case["q_len"] <= 64 else "tab:red"
        ax.plot(intensity, case["tflops"], markers[case["group"]], color=color,
                alpha=0.8, ms=5)
        if case["flashmla_us"] > 0:
            flash_tflops = case["tflops"] * case["us"] / case["flashmla_us"]
            ax.plot(intensity, flash_tflops, markers[case["group"]], mfc="none",
                    color="gray", ms=5, alpha=0.6)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("arithmetic intensity (FLOP / byte)")
    ax.set_ylabel("TFLOPS")
    ax.set_title(f"mladec decode, {results['gpu']}, {results['date']}, "
                 f"commit {results['commit']}\n"
                 "filled: mladec (blue h_q·s_q ≤ 64, red > 64); hollow gray: "
                 "FlashMLA; o large, ◇ fp8 KV, □ page size, △ small batch", fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(out_path, dpi=120)


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2] if len(sys.argv) == 3 else
         sys.argv[1].rsplit(".", 1)[0] + ".png")
