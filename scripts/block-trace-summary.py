#!/usr/bin/env python3
"""Where a row-form CTA's time goes, from the dump of a build configured
with -DMLADEC_BLOCK_TRACE=ON (src/cuda/block_trace.cuh), e.g.
`build/tools/mladec run ... --repeats 1 --backend gpu 2> trace.txt`.

For each CTA and role (0 producer, 1 and 2 the math warpgroups) of the last
launch in the dump, the cycles between consecutive events, summed by
transition (previous event -> event) over the launch's blocks, largest
first: a wait shows as a long gap before the event that ends it
(e.g. OutputDone -> FullWaited: a math warpgroup waiting for its data).

usage: scripts/block-trace-summary.py TRACE.txt [--skip-pieces N]
"""
import collections
import sys

NAMES = {1: "EmptyWaited", 2: "SecondHalf", 3: "CopyIssued", 10: "FullWaited",
         11: "ScoresIssued", 12: "ScoresDone", 13: "Published", 14: "Taken",
         15: "OutputIssued", 16: "OutputDone", 20: "PieceStart", 21: "PieceEnd",
         30: "Launch"}


def main():
    path = sys.argv[1]
    skip = int(sys.argv[sys.argv.index("--skip-pieces") + 1]) if "--skip-pieces" in sys.argv else 1
    streams = collections.defaultdict(list)
    for line in open(path):
        parts = line.split()
        if len(parts) == 6 and parts[0] == "trace":
            cta, role, event, block, clock = map(int, parts[1:])
            streams[(cta, role)].append((event, block, clock))
    for (cta, role), events in sorted(streams.items()):
        # The last launch: from the last Launch (producer) or PieceStart of block 0.
        starts = [i for i, (e, b, _) in enumerate(events)
                  if e == 30 or (e == 20 and b == 0)]
        events = events[starts[-1]:] if starts else events
        # Skip the first pieces (cold start) on the math roles.
        if role > 0 and skip:
            piece_starts = [i for i, (e, _, _) in enumerate(events) if e == 20]
            if len(piece_starts) > skip:
                events = events[piece_starts[skip]:]
        gaps = collections.Counter()
        counts = collections.Counter()
        for (e0, _, c0), (e1, _, c1) in zip(events, events[1:]):
            key = f"{NAMES.get(e0, e0)} -> {NAMES.get(e1, e1)}"
            gaps[key] += (c1 - c0) % (1 << 40)
            counts[key] += 1
        total = sum(gaps.values()) or 1
        print(f"CTA {cta} role {role}: {len(events)} events, {total} cycles")
        for key, cycles in gaps.most_common(12):
            print(f"  {cycles / total:6.1%} {key:32s} n={counts[key]:5d} mean {cycles / counts[key]:8.0f}")


if __name__ == "__main__":
    main()
