#pragma once
#include <string>
#include <vector>

#include "mladec/problem.h"

namespace mladec::bench {

// The ceilings every result is compared against, measured in the same run:
// a device-to-device copy (bytes read + written per second) and a cuBLAS
// bf16 GEMM 8192³ on random data (FLOP per second) — the % columns — and,
// for the memory-bound cells, what reading alone reaches: 16-byte loads
// from every SM, and TMA bulk copies into shared memory with a given number
// of bytes in flight per SM (the decode's own read path; how many bytes it
// must keep in flight to reach the read rate), and tensor copies of the
// decode's boxes over a paged cache (whether the box shape or the L2
// promotion bounds the memory-bound cells).
struct TmaReadRate {
  // "bulk": 1-D bulk copies of consecutive chunks; "bulk pages": 1-D bulk
  // copies of whole 72 KiB pages in a shuffled order; "slab box, L2 256B"
  // etc.: tensor copies of the decode's own boxes (bench/ceilings.cu). One
  // copy to a barrier unless the form says how many ("nine to a barrier",
  // "a page to a barrier": a page's boxes, as the decode's blocks).
  std::string form;
  int copy_bytes = 0;       // per copy
  int in_flight_bytes = 0;  // per SM
  double bytes_per_s = 0;
};
// The gather path's read rate (page sizes the TMA path does not take):
// each of a CTA's `warps` warps (one CTA per SM) streams jobs of
// `job_rows` token rows (1,152 bytes each, in a shuffled token order) by
// 16-byte cp.async into its own ring of `slots` jobs, each announced by
// its copies as they land, as the decode's producer gathers page-1 rows
// (4 warps, 16 rows, up to 2 jobs in flight a warp). `l2_resident`: the
// tokens drawn from a 16 MiB region, so that L2 serves them (the second
// 64-row tile of an h_q 128 request reads its blocks from L2).
struct GatherReadRate {
  int warps = 0;
  int job_rows = 0;
  int slots = 0;
  bool l2_resident = false;
  // Eight lanes to a row, a row group's copies from one shuffled base (the
  // decode's copy_warp_rows since v101), instead of a row a step.
  bool row_lines = false;
  double bytes_per_s = 0;
  // Per SM: every warp's ring full of bf16 token rows.
  int in_flight_bytes() const {
    return warps * slots * job_rows * kv_token_bytes(KvDtype::kBf16);
  }
};
struct Ceilings {
  double copy_bytes_per_s = 0;
  double gemm_flops_per_s = 0;
  double gemm_sm_mhz = 0;  // the SM clock right after the GEMM's timing (bench/sm_clock.h)
  double read_bytes_per_s = 0;
  std::vector<TmaReadRate> tma_read;
  std::vector<GatherReadRate> gather_read;
};

// The copy and GEMM ceilings (the % columns).
Ceilings measure_ceilings();
// The read ceilings into `ceilings`. Run after the decode cases: a ring
// wait that never completes traps (bench/ceilings.cu), which throws here
// and leaves the CUDA context unusable.
void measure_read_ceilings(Ceilings& ceilings);

}  // namespace mladec::bench
