#!/usr/bin/env python3
"""Where the warps of a profiled kernel wait: reads the SASS CSV that
`scripts/gpu-check.sh profile` writes (ncu --page source --print-source sass
--csv) and prints the instructions with the most warp-stall samples, each
with its two main stall reasons, then the samples per reason over the kernel,
then the kernel's code regions — split where a `USETMAXREG` opens a warp
role (the decode kernel: prologue, producer, math) — with the warp
instructions each executed, its samples and its most executed opcodes.
PER (e.g. the case's KV blocks, batch × s_k / 64) divides the instruction
counts: bench/NOTES.md v29 read e4m3's budget per block this way.

usage: scripts/ncu_stalls.py NCU_SASS.csv [TOP [PER]]"""
import collections
import csv
import sys


def sections(path):
    """One (kernel name, header, rows) per profiled kernel: with
    PROFILE_LAUNCHES > 1 the CSV holds several, each opening with its name."""
    rows = list(csv.reader(open(path)))
    starts = [i for i, r in enumerate(rows) if r and r[0] == "Kernel Name"]
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(rows)
        yield rows[start][1], rows[start + 1], rows[start + 2:end]


def report(kernel, header, data, top):
    column = {name: i for i, name in enumerate(header)}
    samples = column["Warp Stall Sampling (All Samples)"]
    reasons = [h for h in header if h.startswith("stall_") and "Not Issued" not in h]

    def count(row, i):
        return int(row[i] or 0)

    total = sum(count(r, samples) for r in data)
    print(f"{kernel}\n{total} samples")
    for r in sorted(data, key=lambda r: -count(r, samples))[:top]:
        main_reasons = sorted(((count(r, column[h]), h[6:]) for h in reasons), reverse=True)[:2]
        share = 100 * count(r, samples) / max(total, 1)
        print(f"{share:5.1f}%  {r[column['Source']].strip()[:60]:60s}  "
              + ", ".join(f"{name} {n}" for n, name in main_reasons))
    per_reason = collections.Counter()
    for r in data:
        for h in reasons:
            per_reason[h[6:]] += count(r, column[h])
    print("by reason: " + ", ".join(f"{name} {100 * n / max(total, 1):.1f}%"
                                    for name, n in per_reason.most_common(8)))


def opcode(source):
    """The opcode of a SASS line without its predicate and modifiers."""
    words = source.split()
    if words and words[0].startswith("@"):
        words = words[1:]
    return words[0].split(".")[0] if words else ""


def report_regions(header, data, per):
    column = {name: i for i, name in enumerate(header)}
    executed = column["Instructions Executed"]
    samples = column["Warp Stall Sampling (All Samples)"]
    regions = collections.OrderedDict()
    name = "prologue"
    for r in data:
        source = r[column["Source"]].strip()
        if opcode(source) == "USETMAXREG":
            name = f"{source.split(';')[0]} (#{len(regions)})"
        region = regions.setdefault(name, [0, 0, collections.Counter()])
        n = int(r[executed] or 0)
        region[0] += n
        region[1] += int(r[samples] or 0)
        region[2][opcode(source)] += n
    unit = "" if per == 1 else f" per 1/{per:g} of the launch"
    print(f"by region (warp instructions executed{unit}, stall samples):")
    for name, (n, sampled, opcodes) in regions.items():
        top = ", ".join(f"{op} {count / per:.0f}" for op, count in opcodes.most_common(8))
        print(f"  {name}: {n / per:.0f} instructions, {sampled} samples; {top}")


def main(path, top, per):
    for n, (kernel, header, data) in enumerate(sections(path)):
        if n:
            print()
        report(kernel, header, data, top)
        report_regions(header, data, per)


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3, 4):
        sys.exit(__doc__)
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) >= 3 else 30,
         float(sys.argv[3]) if len(sys.argv) == 4 else 1)
