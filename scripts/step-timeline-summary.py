#!/usr/bin/env python3
"""Where one decode step's time goes across its three kernels, from the
step timeline (src/cuda/step_timeline.cuh) of a build configured with
-DMLADEC_BLOCK_TRACE=ON, e.g.
`MLADEC_STEP_TIMELINE=50 build/tools/mladec run ... --backend gpu --repeats 1 2> tl.txt`.

Reads the last "step-timeline begin ... end" block. Times are µs from the
planner's start (%globaltimer, one clock for every SM). For each kernel and
event: how many CTAs stamped it and the earliest / median / latest stamp.
Then the chain of the decode CTAs that had work (median over them): their
start, dependency wait, first piece read (its loads issued), the first
piece, its unit and its first page entry landed, first KV copy issued and
last result stored. Where the decode CTAs recorded their SM (event 14, a
value, not a time): the spread of their work spans (first KV copy to last
result) and the SMs at either end, to compare across steps.

The same build records the block trace (src/cuda/block_trace.cuh) in its
first BLOCK_TRACED CTAs, a clock64 stamp at every block, which makes them
~10% slower (128x8192 h_q 128: they ended 56-76 µs after every other CTA,
bench/NOTES.md v85). So the chain, the spans, their histogram and the tile
pairs leave them out (unless no other CTA copied KV) and name them apart.

usage: scripts/step-timeline-summary.py TIMELINE.txt
"""
import collections
import statistics
import sys

# TimelineEvent of src/cuda/step_timeline.cuh.
NAMES = {0: "Start", 1: "Waited", 2: "PieceRead", 3: "FirstCopy", 4: "ProducerDone",
         5: "Math0Done", 6: "Math1Done", 7: "End", 8: "FirstData", 9: "FirstTotals",
         10: "FirstPieceEnd", 11: "PieceLanded", 12: "UnitLanded", 13: "PageLanded"}
SM_EVENT = 14  # the CTA's SM + 1, not a time
KERNELS = ("plan", "decode", "combine")
BLOCK_TRACED = 2  # kTraceCtas of src/cuda/block_trace.cuh


def last_result(events):
    """A decode CTA's last result: the later of its math warpgroups' ends."""
    return max(events.get(5, 0), events.get(6, 0))


def read_last_block(path):
    """kernel -> cta -> event -> ns, from the last complete block."""
    blocks, current = [], None
    for line in open(path):
        parts = line.split()
        if parts[:2] == ["step-timeline", "begin"]:
            current = collections.defaultdict(lambda: collections.defaultdict(dict))
        elif parts[:2] == ["step-timeline", "end"] and current is not None:
            blocks.append(current)
            current = None
        elif current is not None and len(parts) == 5 and parts[0] == "timeline":
            kernel, cta, event, ns = parts[1], int(parts[2]), int(parts[3]), int(parts[4])
            current[kernel][cta][event] = ns
    if not blocks:
        sys.exit(f"{path}: no complete step-timeline block")
    return blocks[-1]


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    stamps = read_last_block(sys.argv[1])
    if 0 not in stamps["plan"] or 0 not in stamps["plan"][0]:
        sys.exit("no planner start in the timeline")
    origin = stamps["plan"][0][0]
    every = sorted({ns for k in stamps.values() for c in k.values()
                    for event, ns in c.items() if event != SM_EVENT})
    steps = [b - a for a, b in zip(every, every[1:]) if b > a]
    print(f"timer: smallest step between distinct stamps {min(steps) if steps else 0} ns")
    print("| kernel | event | CTAs | first µs | median µs | last µs |")
    print("|---|---|---|---|---|---|")
    last = origin
    for kernel in KERNELS:
        by_event = collections.defaultdict(list)
        for events in stamps[kernel].values():
            for event, ns in events.items():
                if event == SM_EVENT:
                    continue
                by_event[event].append((ns - origin) / 1000)
                last = max(last, ns)
        for event in sorted(by_event):
            v = sorted(by_event[event])
            print(f"| {kernel} | {NAMES.get(event, event)} | {len(v)} | {v[0]:.2f} | "
                  f"{statistics.median(v):.2f} | {v[-1]:.2f} |")
    print(f"\nstep: planner start to the last stamp {(last - origin) / 1000:.2f} µs")
    copied = {cta: e for cta, e in stamps["decode"].items() if 3 in e}
    untraced = {cta: e for cta, e in copied.items() if cta >= BLOCK_TRACED}
    traced = [f"CTA {cta} (SM {e.get(SM_EVENT, 0) - 1}) {span(e):.2f}"
              for cta, e in sorted(copied.items()) if cta < BLOCK_TRACED]
    if traced and untraced:
        print(f"block-traced CTAs, left out below (span µs): {', '.join(traced)}")
    busy = list((untraced or copied).values())
    if busy:
        def median_of(event):
            return statistics.median((e[event] - origin) / 1000 for e in busy if event in e)
        done = statistics.median((last_result(e) - origin) / 1000 for e in busy)
        chain = [("start", 0), ("waited", 1), ("piece read", 2), ("piece landed", 11),
                 ("unit landed", 12), ("page entry landed", 13), ("first copy", 3),
                 ("first data", 8), ("first totals", 9), ("first piece stored", 10)]
        medians = ", ".join(f"{name} {median_of(event):.2f}" for name, event in chain
                            if any(event in e for e in busy))
        print(f"decode CTAs with a KV copy: {len(busy)}; their medians (µs): {medians}, "
              f"last result {done:.2f}")
        print_sm_spans(busy)
        print_tile_pairs(stamps["decode"])


def span(events):
    """A busy decode CTA's span, first KV copy to its last result, µs."""
    return (last_result(events) - events[3]) / 1000


def print_sm_spans(busy):
    """Each busy decode CTA's span by SM."""
    spans = sorted((span(e), e[SM_EVENT] - 1) for e in busy if SM_EVENT in e)
    if not spans:
        return
    values = [span for span, _ in spans]
    print(f"decode CTA spans, first copy to last result (µs): min {values[0]:.2f}, "
          f"median {statistics.median(values):.2f}, max {values[-1]:.2f}")
    shown = min(8, max(1, len(spans) // 2))
    fast = ", ".join(f"SM {sm} {span:.2f}" for span, sm in spans[:shown])
    slow = ", ".join(f"SM {sm} {span:.2f}" for span, sm in reversed(spans[-shown:]))
    print(f"shortest: {fast}\nlongest: {slow}")
    # Equal-work CTAs of a memory-bound step split into two clusters of
    # spans ~9% apart whose SMs change between runs (bench/NOTES.md, session 31).
    bins = collections.Counter(int(span // 4) * 4 for span in values)
    print("span histogram (4 µs bins, bin start: CTAs): " +
          ", ".join(f"{start}: {bins[start]}" for start in sorted(bins)))


def print_tile_pairs(decode):
    """A tile-major plan of two tiles per request (src/core/planner.h) has
    its busy workers v and v + B/2 (B busy workers, the idle ones last:
    128 of 132 at 128x8192 h_q 128) walk the same KV at the same time, the
    second reading it from L2 while they stay together: how far apart each
    pair finished its first piece (FirstTotals) and its last result,
    median and largest, and the pairs furthest apart with their SMs. (For
    other plans the pairing means nothing.) The pairs are formed over all
    busy CTAs, as the plan forms them; a pair with a block-traced CTA is
    left out."""
    busy = sorted(cta for cta, events in decode.items() if 3 in events)
    half = len(busy) // 2
    if half == 0:
        return
    gaps = []
    for i in range(half):
        v, w = busy[i], busy[i + half]
        if v < BLOCK_TRACED:
            continue
        a, b = decode[v], decode[w]
        if 9 not in a or 9 not in b:
            continue
        gaps.append((abs(a[9] - b[9]) / 1000, abs(last_result(a) - last_result(b)) / 1000, v, w,
                     a.get(SM_EVENT, 0) - 1, b.get(SM_EVENT, 0) - 1))
    if not gaps:
        return
    first = sorted(g[0] for g in gaps)
    last = sorted(g[1] for g in gaps)
    print(f"tile pairs (v, v + {half} of {len(busy)} busy): first piece apart median "
          f"{statistics.median(first):.2f}, max {first[-1]:.2f} µs; last result apart median "
          f"{statistics.median(last):.2f}, max {last[-1]:.2f} µs")
    worst = sorted(gaps, key=lambda g: -g[1])[:4]
    print("furthest apart: " + ", ".join(
        f"{v}/{w} (SMs {a}/{b}) {gap:.2f}" for _, gap, v, w, a, b in worst))


if __name__ == "__main__":
    main()
