#!/usr/bin/env python3
"""Where the warps wait, from a SASS page of Nsight Compute.

Reads the CSV that scripts/ncu-profile.sh writes (ncu --page source
--print-source sass --csv; one section per profiled kernel) and prints, per
kernel: the stall reasons over all samples; the instructions with the most
samples (their share, how often they ran and their top two reasons); the
kernel's warp roles — the code split where a `USETMAXREG` opens one (the
decode kernel: prologue, math warpgroups, producer) — with the warp
instructions each executed, its samples and its most executed opcodes; and
the stretches of the kernel that hold more than 1% of the samples, each
with the execution counts that dominate it (a count tells a per-block step
from a per-piece one). mbarrier waits show as the branch after
SYNCS...TRYWAIT: print the lines around one with --context N. --per N
divides the role counts (e.g. by the case's KV blocks, batch × s_k / 64:
bench/NOTES.md v29 read e4m3's budget per block this way).

usage: scripts/ncu-stalls.py NCU_SASS.csv [--top N] [--window N] [--context N] [--per N]
(older notes call the role split `scripts/ncu_stalls.py CSV TOP PER`: now --top, --per)
"""
import argparse
import collections
import csv


def sections(path):
    """(kernel name, header, rows) per profiled kernel. With PROFILE_LAUNCHES
    > 1 the CSV holds several, each opening with a "Kernel Name" line; a
    single kernel's page may start at its header."""
    rows = list(csv.reader(open(path)))
    starts = [i for i, r in enumerate(rows) if r and r[0] == "Kernel Name"]
    if not starts:
        header_at = next(i for i, r in enumerate(rows) if r and r[0] == "Address")
        yield "", rows[header_at], rows[header_at + 1:]
        return
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(rows)
        yield rows[start][1], rows[start + 1], rows[start + 2:end]


def opcode(source):
    """The opcode of a SASS line without its predicate and modifiers."""
    words = source.split()
    if words and words[0].startswith("@"):
        words = words[1:]
    return words[0].split(".")[0] if words else ""


def report(kernel, header, rows, args):
    data = [r for r in rows if len(r) == len(header)]
    column = {name: i for i, name in enumerate(header)}
    reasons = [h for h in header if h.startswith("stall_") and "Not Issued" not in h]

    def count(row, name):
        value = row[column[name]].replace(",", "")
        return int(float(value)) if value not in ("", "-") else 0

    samples = [count(r, "Warp Stall Sampling (All Samples)") for r in data]
    executed = [count(r, "Instructions Executed") for r in data]
    source = [r[column["Source"]].strip() for r in data]
    total = sum(samples) or 1
    if kernel:
        print(kernel)
    print(f"{total} samples over {len(data)} instructions")
    by_reason = collections.Counter()
    for r in data:
        for reason in reasons:
            by_reason[reason] += count(r, reason)
    print("reasons: " + ", ".join(f"{k[6:]} {v / total:.1%}" for k, v in by_reason.most_common(8)))

    print(f"\ntop {args.top} instructions:")
    for i in sorted(range(len(data)), key=lambda i: -samples[i])[:args.top]:
        for j in range(max(0, i - args.context), i):
            print(f"       {j:5d} {source[j][:70]}")
        top = sorted(((count(data[i], r), r[6:]) for r in reasons), reverse=True)[:2]
        print(f"{samples[i] / total:6.2%} {i:5d} {source[i][:60]:60s} "
              f"ran {executed[i]:9d}  {top[0][1]} {top[0][0]}, {top[1][1]} {top[1][0]}")

    role_of = []
    name = "prologue"
    for line in source:
        if opcode(line) == "USETMAXREG":
            name = f"{line.split(';')[0]} (#{len(set(role_of))})"
        role_of.append(name)
    # ptxas places the retry loops of mbarrier waits out of line, after the
    # last role's code: TRYWAIT, a branch to itself, a branch back. Each
    # belongs to the role it branches back into (session 24: the math
    # warps' publication retries, 5.7 M SYNCS, read as the producer's).
    index_of = {int(r[column["Address"]], 16): i for i, r in enumerate(data)}
    for i, line in enumerate(source):
        words = line.split()
        if (i >= 2 and words[:1] == ["BRA"] and len(words) > 1 and words[1].startswith("0x")
                and "TRYWAIT" in source[i - 2]):
            back = index_of.get(int(words[1], 16))
            if back is not None and back < i - 2:
                role_of[i - 2:i + 1] = [role_of[back]] * 3
    roles = collections.OrderedDict()
    for i, line in enumerate(source):
        role = roles.setdefault(role_of[i], [0, 0, collections.Counter()])
        role[0] += executed[i]
        role[1] += samples[i]
        role[2][opcode(line)] += executed[i]
    unit = "" if args.per == 1 else f" per 1/{args.per:g} of the launch"
    print(f"\nby role (warp instructions executed{unit}, share of the samples):")
    for name, (n, sampled, opcodes) in roles.items():
        top = ", ".join(f"{op} {c / args.per:.0f}" for op, c in opcodes.most_common(8))
        print(f"  {name}: {n / args.per:.0f} instructions, {sampled / total:.1%}; {top}")

    print(f"\nstretches of {args.window} instructions above 1%:")
    for start in range(0, len(data), args.window):
        part = range(start, min(start + args.window, len(data)))
        share = sum(samples[i] for i in part) / total
        if share > 0.01:
            counts = collections.Counter(executed[i] for i in part).most_common(3)
            print(f"  {start:5d}-{part[-1]:5d} {share:6.1%}  ran {counts}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("csv")
    parser.add_argument("--top", type=int, default=30, help="instructions listed")
    parser.add_argument("--window", type=int, default=150, help="instructions per stretch")
    parser.add_argument("--context", type=int, default=0,
                        help="lines printed before each listed instruction")
    parser.add_argument("--per", type=float, default=1,
                        help="divide the role counts by this (e.g. the KV blocks)")
    args = parser.parse_args()
    for n, (kernel, header, rows) in enumerate(sections(args.csv)):
        if n:
            print("\n" + "=" * 72)
        report(kernel, header, rows, args)


if __name__ == "__main__":
    main()
