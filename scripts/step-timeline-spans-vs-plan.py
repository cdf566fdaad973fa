#!/usr/bin/env python3
"""Each decode CTA's measured span against what the plan gave its worker.

Reads a step timeline (scripts/step-timeline-summary.py says how to take
one; its last block) and the plan of the same step, printed by
`mladec plan` with the flags the timeline's `mladec run` had (both draw the
same lengths from the same seed), and prints, per number of pieces a worker
has, the spans (first KV copy to last result) of its CTAs, and the slope of
span against pieces. Every worker of a Balanced plan has the same planner
cost (tokens + the plan's piece overhead per piece: split_overhead_tokens,
or varlen_split_overhead_tokens for units of unequal cost), so a slope that
is not 0 says a piece costs the step more, or less, than that overhead: the
slope divided by the time of one KV block, times its 64 tokens, is that
difference in tokens (bench/NOTES.md v91).

The first block-traced CTAs (step-timeline-summary.py's BLOCK_TRACED) run
slower and are left out.

usage: scripts/step-timeline-spans-vs-plan.py TIMELINE.txt MLADEC_BINARY [plan flags...]
  e.g. scripts/step-timeline-spans-vs-plan.py tl.txt build/tools/mladec \\
         --batch 128 --heads 64 --varlen 8192
"""
import importlib.util
import os
import re
import statistics
import subprocess
import sys

KV_BLOCK_TOKENS = 64


def load_summary_module():
    here = os.path.dirname(os.path.abspath(__file__))
    spec = importlib.util.spec_from_file_location(
        "step_timeline_summary", os.path.join(here, "step-timeline-summary.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def plan_workers(binary, flags):
    """worker -> {pieces, blocks} from `mladec plan` (every worker printed)."""
    text = subprocess.run([binary, "plan", *flags], capture_output=True, text=True,
                          check=True).stdout
    workers, current = {}, None
    for line in text.splitlines():
        m = re.match(r"worker (\d+): cost (\d+), pieces (\d+)", line)
        if m:
            current = int(m.group(1))
            workers[current] = {"pieces": int(m.group(3)), "blocks": 0}
            continue
        m = re.match(r"\s+unit \d+: .*kv \[(\d+), (\d+)\)", line)
        if m and current is not None:
            begin, end = int(m.group(1)), int(m.group(2))
            if end > begin:
                workers[current]["blocks"] += ((end + KV_BLOCK_TOKENS - 1) // KV_BLOCK_TOKENS
                                               - begin // KV_BLOCK_TOKENS)
    return workers


def slope(xs, ys):
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    var = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / var if var else 0.0


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    summary = load_summary_module()
    decode = summary.read_last_block(sys.argv[1])["decode"]
    workers = plan_workers(sys.argv[2], sys.argv[3:])
    rows = []
    for cta, events in decode.items():
        if cta < summary.BLOCK_TRACED or cta not in workers or 3 not in events:
            continue
        rows.append((workers[cta]["pieces"], workers[cta]["blocks"], summary.span(events)))
    if len(rows) < 2:
        sys.exit("fewer than two CTAs with a KV copy and a plan worker")
    pieces = [r[0] for r in rows]
    spans = [r[2] for r in rows]
    us_per_block = statistics.median(r[2] / r[1] for r in rows if r[1] > 0)
    print(f"{len(rows)} CTAs; spans min {min(spans):.1f} median {statistics.median(spans):.1f} "
          f"max {max(spans):.1f} µs; median {us_per_block:.2f} µs per KV block")
    print("| pieces | CTAs | span median µs | min | max | blocks median |")
    print("|---|---|---|---|---|---|")
    for k in sorted(set(pieces)):
        sel = [r for r in rows if r[0] == k]
        ks = [r[2] for r in sel]
        print(f"| {k} | {len(sel)} | {statistics.median(ks):.1f} | {min(ks):.1f} | {max(ks):.1f} "
              f"| {statistics.median(r[1] for r in sel):.0f} |")
    s = slope(pieces, spans)
    print(f"span against pieces: {s:+.2f} µs per piece, i.e. a piece costs "
          f"{s / us_per_block * KV_BLOCK_TOKENS:+.0f} tokens against the plan's overhead")


if __name__ == "__main__":
    main()
