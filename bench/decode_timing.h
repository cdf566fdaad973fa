#pragma once
#include <string>

#include "mladec/problem.h"

namespace mladec::bench {

struct BenchCase {
  std::string group;  // "large", "small_batch" or "page_size"
  int batch, seqlen, q_len, heads, page_size;
  bool varlen;
  KvDtype kv_dtype = KvDtype::kBf16;
  double flashmla_us = 0;  // FlashMLA's time for the same cell, 0 if none
};

struct BenchResult {
  double us = 0;       // median time of one decode step (decode + combine)
  double bytes = 0;    // KV bytes read once + q + out + lse
  double flops = 0;    // 2176 · rows · visible tokens
  int copies = 0;      // distinct KV copies rotated to defeat the L2
};

// Builds the case on the device (random bf16 data, pages scattered), plans
// once, captures back-to-back decodes over `copies` KV copies in one CUDA
// graph and returns the median per-decode time over 15 replays.
BenchResult time_decode(const BenchCase& bench_case);

}  // namespace mladec::bench
