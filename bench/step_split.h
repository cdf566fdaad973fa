#pragma once
// A fixed-length step's time as a fixed part plus bytes over a marginal
// rate, from the same cell at two lengths (the benchmark's s_k 4096 and
// 8192): the marginal rate is what the kernel streams once running, the
// fixed part its start, tail and launch (bench/NOTES.md v83).

namespace mladec::bench {

struct StepSplit {
  double fixed_us = 0;
  double marginal_tb_per_s = 0;
};

// `shorter` and `longer`: µs and bytes of the two steps (longer_us >
// shorter_us, longer_bytes > shorter_bytes).
inline StepSplit split_step(double shorter_us, double shorter_bytes, double longer_us,
                            double longer_bytes) {
  StepSplit split;
  // bytes per µs is MB/s: × 1e-6 is TB/s.
  split.marginal_tb_per_s = (longer_bytes - shorter_bytes) / (longer_us - shorter_us) * 1e-6;
  split.fixed_us = shorter_us - shorter_bytes / (split.marginal_tb_per_s * 1e6);
  return split;
}

}  // namespace mladec::bench
