#!/usr/bin/env bash
# Session 32, call 6: the cuBLAS bf16 GEMM (8192^3, through PyTorch) sustained for 4 s under the
# same nvidia-smi sampling as call 5: its clock, power and TFLOP per joule at the 700 W cap, to set
# call 5's decode figures (bf16 h_q 128: 0.69-0.76 TFLOP/J at ~1500 MHz) against.
set -u
fields=clocks.sm,power.draw,power.draw.instant
nvidia-smi --query-gpu=$fields --format=csv,noheader >/dev/null 2>&1 || fields=clocks.sm,power.draw,power.draw
nvidia-smi --query-gpu=timestamp,$fields --format=csv,noheader,nounits -lms 100 > $OUT/smi-gemm.csv 2>/dev/null &
smi=$!
python3 - <<'PY' > $OUT/gemm.txt 2>&1
import time, torch
n = 8192
a = torch.randn(n, n, dtype=torch.bfloat16, device="cuda")
b = torch.randn(n, n, dtype=torch.bfloat16, device="cuda")
c = torch.empty(n, n, dtype=torch.bfloat16, device="cuda")
t0 = time.time()
while time.time() - t0 < 4.0:          # warm to the sustained clock
    for _ in range(20): torch.matmul(a, b, out=c)
    torch.cuda.synchronize()
start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
start.record()
for _ in range(100): torch.matmul(a, b, out=c)
stop.record(); torch.cuda.synchronize()
s = start.elapsed_time(stop) * 1e-3 / 100
print(f"gemm {s * 1e6:.1f} us, {2 * n ** 3 / s * 1e-12:.0f} TFLOPS")
PY
kill $smi; wait $smi 2>/dev/null
cat $OUT/gemm.txt
python3 - $OUT/smi-gemm.csv $OUT/gemm.txt <<'PY'
import sys, datetime, re
rows = []
for line in open(sys.argv[1]):
    p = [x.strip() for x in line.split(",")]
    try:
        rows.append((datetime.datetime.strptime(p[0], "%Y/%m/%d %H:%M:%S.%f"), float(p[1]), float(p[2]), float(p[3])))
    except (ValueError, IndexError):
        pass
loaded = [r for r in rows if r[1] > 1000]
end = loaded[-1][0]
tail = [r for r in loaded if (end - r[0]).total_seconds() <= 1.5]
med = lambda v: sorted(v)[len(v) // 2]
w = med([r[2] for r in tail])
tflops = float(re.search(r"([0-9.]+) TFLOPS", open(sys.argv[2]).read()).group(1))
print(f"last 1.5 s: SM {min(r[1] for r in tail):.0f}-{max(r[1] for r in tail):.0f} MHz, power avg {w:.0f} W, "
      f"instant {med([r[3] for r in tail]):.0f} W | {tflops / w:.2f} TFLOP/J")
PY
