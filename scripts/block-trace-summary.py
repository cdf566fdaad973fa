#!/usr/bin/env python3
"""Where a row-form or fp8-compute CTA's time goes, from the dump of a build configured
with -DMLADEC_BLOCK_TRACE=ON (src/cuda/block_trace.cuh), e.g.
`build/tools/mladec run ... --repeats 1 --backend gpu 2> trace.txt`.

For each CTA and role (0 producer, 1 and 2 the math warpgroups) of the last
launch in the dump, the cycles between consecutive events, summed by
transition (previous event -> event) over the launch's blocks, largest
first: a wait shows as a long gap before the event that ends it
(e.g. OutputDone -> FullWaited: a math warpgroup waiting for its data).

--tensor adds, per CTA, when the two math warpgroups have a wgmma group
in flight. A group counts from the event before its *Issued event (its
issue starts there) to the next ScoresDone (S) or OutputDone (P·V) of the
same warpgroup. The cycles where neither warpgroup has one are cycles the
tensor cores certainly idle. They are attributed to what each warpgroup
was between (its previous -> next event).

usage: scripts/block-trace-summary.py TRACE.txt [--skip-pieces N] [--tensor]
"""
import collections
import sys

# TraceEvent of src/cuda/block_trace.cuh.
NAMES = {1: "EmptyWaited", 2: "HalfBWaited", 3: "CopyIssued", 4: "HalfBIssued",
         10: "FullWaited",
         11: "ScoresIssued", 12: "ScoresDone", 13: "Published", 14: "Taken",
         15: "OutputIssued", 16: "OutputDone", 17: "VtWaited", 18: "OwnerWaited",
         19: "OwnerIssued", 20: "PieceStart",
         21: "PieceEnd", 30: "Launch"}
SCORES_ISSUED, SCORES_DONE, OUTPUT_ISSUED, OUTPUT_DONE = 11, 12, 15, 16
CLOCK_MASK = (1 << 40) - 1


def read_streams(path):
    """(cta, role) -> [(event, block, clock)] in the order logged."""
    streams = collections.defaultdict(list)
    for line in open(path):
        parts = line.split()
        if len(parts) == 6 and parts[0] == "trace":
            cta, role, event, block, clock = map(int, parts[1:])
            streams[(cta, role)].append((event, block, clock))
    return streams


def last_launch(events, role, skip):
    """The last launch's events; on the math roles without its first
    `skip` pieces (cold start)."""
    starts = [i for i, (e, b, _) in enumerate(events) if e == 30 or (e == 20 and b == 0)]
    events = events[starts[-1]:] if starts else events
    if role > 0 and skip:
        piece_starts = [i for i, (e, _, _) in enumerate(events) if e == 20]
        if len(piece_starts) > skip:
            events = events[piece_starts[skip]:]
    return events


def print_transitions(cta, role, events):
    gaps = collections.Counter()
    counts = collections.Counter()
    for (e0, _, c0), (e1, _, c1) in zip(events, events[1:]):
        key = f"{NAMES.get(e0, e0)} -> {NAMES.get(e1, e1)}"
        gaps[key] += (c1 - c0) & CLOCK_MASK
        counts[key] += 1
    total = sum(gaps.values()) or 1
    print(f"CTA {cta} role {role}: {len(events)} events, {total} cycles")
    for key, cycles in gaps.most_common(12):
        print(f"  {cycles / total:6.1%} {key:32s} n={counts[key]:5d} mean {cycles / counts[key]:8.0f}")


def wgmma_intervals(events):
    """[start, end) clock intervals of this warpgroup's wgmma groups."""
    intervals = []
    for i, (event, _, _) in enumerate(events):
        if event not in (SCORES_ISSUED, OUTPUT_ISSUED) or i == 0:
            continue
        done = SCORES_DONE if event == SCORES_ISSUED else OUTPUT_DONE
        end = next((c for e, _, c in events[i + 1:] if e == done), None)
        if end is not None:
            intervals.append((events[i - 1][2], end))
    return intervals


def covered(point, intervals):
    return any(start <= point < end for start, end in intervals)


def state_at(events, point):
    """The transition a warpgroup is in at `point`."""
    previous = None
    for event, _, clock in events:
        if clock > point:
            return f"{NAMES.get(previous, previous)} -> {NAMES.get(event, event)}"
        previous = event
    return f"{NAMES.get(previous, previous)} -> end"


def print_tensor(cta, math_streams):
    """math_streams: the two math warpgroups' events (roles 1 and 2)."""
    begin = max(events[0][2] for events in math_streams)
    end = min(events[-1][2] for events in math_streams)
    if end <= begin:
        return
    intervals = [wgmma_intervals(events) for events in math_streams]
    # Every clock where a group starts or ends bounds a stretch of one kind.
    bounds = sorted({begin, end} | {c for ivs in intervals for iv in ivs for c in iv
                                    if begin < c < end})
    busy = {0: 0, 1: 0, 2: 0}
    idle_by_state = collections.Counter()
    for left, right in zip(bounds, bounds[1:]):
        in_flight = sum(covered(left, ivs) for ivs in intervals)
        busy[in_flight] += right - left
        if in_flight == 0:
            states = " | ".join(state_at(events, left) for events in math_streams)
            idle_by_state[states] += right - left
    total = end - begin
    print(f"CTA {cta} tensor: {total} cycles; a wgmma group in flight on neither warpgroup "
          f"{busy[0] / total:.1%}, one {busy[1] / total:.1%}, both {busy[2] / total:.1%}")
    for states, cycles in idle_by_state.most_common(8):
        print(f"  idle {cycles / total:6.1%}  wg0 {states.split(' | ')[0]:30s} "
              f"wg1 {states.split(' | ')[1]}")


def main():
    path = sys.argv[1]
    skip = int(sys.argv[sys.argv.index("--skip-pieces") + 1]) if "--skip-pieces" in sys.argv else 1
    streams = {key: last_launch(events, key[1], skip)
               for key, events in read_streams(path).items()}
    for (cta, role), events in sorted(streams.items()):
        print_transitions(cta, role, events)
    if "--tensor" in sys.argv:
        for cta in sorted({cta for cta, _ in streams}):
            if (cta, 1) in streams and (cta, 2) in streams:
                print_tensor(cta, [streams[(cta, 1)], streams[(cta, 2)]])


if __name__ == "__main__":
    main()
