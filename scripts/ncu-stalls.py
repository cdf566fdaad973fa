#!/usr/bin/env python3
"""Where the warps wait, from a SASS page of Nsight Compute.

Reads the CSV that scripts/ncu-profile.sh writes (ncu --page source
--print-source sass --csv) and prints the stall reasons over all samples,
the instructions with the most samples (their share, how often they ran and
their top two reasons) and the stretches of the kernel that hold more than
1% of the samples, each with the execution counts that dominate it (a
count tells a per-block step from a per-piece one, and one warp role from
another). mbarrier waits show as the branch after SYNCS...TRYWAIT: print
the lines around one with --context N.

usage: scripts/ncu-stalls.py NCU_SASS.csv [--top N] [--window N] [--context N]
"""
import argparse
import collections
import csv


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("csv")
    parser.add_argument("--top", type=int, default=30, help="instructions listed")
    parser.add_argument("--window", type=int, default=150, help="instructions per stretch")
    parser.add_argument("--context", type=int, default=0,
                        help="lines printed before each listed instruction")
    args = parser.parse_args()

    rows = list(csv.reader(open(args.csv)))
    header_at = next(i for i, r in enumerate(rows) if r and r[0] == "Address")
    header = rows[header_at]
    data = [r for r in rows[header_at + 1:] if len(r) == len(header)]
    column = {name: i for i, name in enumerate(header)}
    reasons = [h for h in header if h.startswith("stall_") and "Not Issued" not in h]

    def count(row, name):
        value = row[column[name]]
        return int(value) if value not in ("", "-") else 0

    samples = [count(r, "Warp Stall Sampling (All Samples)") for r in data]
    executed = [count(r, "Instructions Executed") for r in data]
    total = sum(samples) or 1
    print(f"{total} samples over {len(data)} instructions")
    by_reason = collections.Counter()
    for r in data:
        for reason in reasons:
            by_reason[reason] += count(r, reason)
    print("reasons: " + ", ".join(f"{k[6:]} {v / total:.1%}" for k, v in by_reason.most_common(8)))

    print(f"\ntop {args.top} instructions:")
    for i in sorted(range(len(data)), key=lambda i: -samples[i])[:args.top]:
        for j in range(max(0, i - args.context), i):
            print(f"       {j:5d} {data[j][1].strip()[:70]}")
        top = sorted(((count(data[i], r), r[6:]) for r in reasons), reverse=True)[:2]
        print(f"{samples[i] / total:6.2%} {i:5d} {data[i][1].strip()[:60]:60s} "
              f"ran {executed[i]:9d}  {top[0][1]} {top[0][0]}, {top[1][1]} {top[1][0]}")

    print(f"\nstretches of {args.window} instructions above 1%:")
    for start in range(0, len(data), args.window):
        part = range(start, min(start + args.window, len(data)))
        share = sum(samples[i] for i in part) / total
        if share > 0.01:
            counts = collections.Counter(executed[i] for i in part).most_common(3)
            print(f"  {start:5d}-{part[-1]:5d} {share:6.1%}  ran {counts}")


if __name__ == "__main__":
    main()
