"""Median time per cell and split_overhead from a folder of bench JSON files
named r<round>-<set>-o<overhead>.json; cells grouped by tile rows."""
import collections, glob, json, statistics, sys


def tile_rows(case):
    rows = case["heads"] * case["q_len"]
    if rows <= 16:
        return 16
    return 32 if rows <= 32 and case["kv_dtype"] != "fp8_blockwise" else 64


times = collections.defaultdict(lambda: collections.defaultdict(list))
for path in glob.glob(f"{sys.argv[1]}/r*-o*.json"):
    for c in json.load(open(path))["cases"]:
        key = (tile_rows(c), c["group"], f"{c['batch']}x{c['seqlen']} s_q={c['q_len']} h_q={c['heads']} "
               f"page={c['page_size']} {'varlen' if c['varlen'] else 'fixed'} {c['kv_dtype']}"
               f"{' fp8c' if c['fp8_compute'] else ''}")
        times[key][c["split_overhead_tokens"]].append(c["us"])
print("| tile rows | group | case | 160 µs | 256 µs | 320 µs | 256/160 | 320/160 |")
print("|---|---|---|---|---|---|---|---|")
ratios = collections.defaultdict(lambda: collections.defaultdict(list))
for key in sorted(times):
    m = {ov: statistics.median(v) for ov, v in times[key].items()}
    r = {ov: m.get(ov, float("nan")) / m[160] for ov in (256, 320)}
    for ov in r:
        ratios[key[0]][ov].append(r[ov])
    print(f"| {key[0]} | {key[1]} | {key[2]} | {m[160]:.1f} | {m.get(256, 0):.1f} | {m.get(320, 0):.1f} | "
          f"{r[256]:.3f} | {r[320]:.3f} |")
print()
print("| tile rows | cells | 256/160 median (min–max) | 320/160 median (min–max) |")
print("|---|---|---|---|")
for rows in sorted(ratios):
    cells = [f"{statistics.median(v):.3f} ({min(v):.3f}–{max(v):.3f})" for v in ratios[rows].values()]
    print(f"| {rows} | {len(ratios[rows][256])} | {cells[0]} | {cells[1]} |")
