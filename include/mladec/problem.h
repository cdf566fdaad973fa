#pragma once
#include <cstdint>

#include "mladec/constants.h"

namespace mladec {

enum class KvDtype {
  kBf16,          // 1152 bytes per token
  kFp8E4m3,       // 576 bytes per token, one float32 scale for the tensor
  kFp8Blockwise,  // 656 bytes per token, see kBlockwiseTokenBytes
};

enum class SchedulePolicy {
  // Persistent split-KV: every worker gets about total_cost / workers.
  kBalanced,
  // Batch-invariant: a request's KV is split at multiples of
  // fixed_chunk_tokens whatever else is in the batch, so its output is
  // bit-identical however it is batched.
  kFixedChunk,
};

// The shape of one decode step: everything that sizes buffers and picks the
// kernel. Per-request lengths are data (they change every step) and are passed
// to the planner separately, so one plan layout serves a whole decode loop.
struct DecodeProblem {
  int batch = 0;                  // requests, >= 1
  int num_heads = 0;              // query heads h_q, 1..kMaxHeads
  int max_q_len = 1;              // query tokens per request (uniform s_q, or
                                  // the bound when ragged), 1..kMaxQLen
  bool ragged_q = false;          // per-request query lengths via qo_indptr
  int64_t total_q = 0;            // rows of q: batch*max_q_len when uniform
  int page_size = 64;             // tokens per KV page, >= 1
  int64_t num_pages = 0;          // pages in the KV cache, >= 1
  int max_pages_per_request = 0;  // block_table columns, >= 1
  KvDtype kv_dtype = KvDtype::kBf16;
  bool causal = true;             // MTP mask (bottom-right aligned)
  float softmax_scale = 0.f;      // > 0 and finite; usually 1/sqrt(192)
  SchedulePolicy policy = SchedulePolicy::kBalanced;
  int fixed_chunk_tokens = 0;     // kFixedChunk: 0 = the config's default
  // Opt-in fp8-compute mode (fp8_e4m3 caches only): tiles of 64 query rows
  // (h_q * max_q_len > 32) quantize each query row to e4m3 (a power-of-two
  // scale per row) and P to e4m3 and run both products as e4m3 wgmmas,
  // twice bf16's rate. Less accurate than the default: relative error 0.033
  // and LSE error 0.13 against the exact result over the GPU test matrix
  // (the default e4m3 path: 0.0024, 3e-6); 1.2-1.46x the bf16 path's speed
  // (bench/results/2026-11-29-v46c-fp8-compute.*). Smaller tiles are
  // memory-bound and keep the exact path (KernelConfig::fp8_compute says
  // what runs).
  bool fp8_compute = false;

  // Longest KV sequence the block table can address.
  int64_t max_kv_len() const {
    return int64_t(max_pages_per_request) * page_size;
  }
};

// A DecodeProblem for the common uniform case.
DecodeProblem make_uniform_problem(int batch, int num_heads, int q_len,
                                   int page_size, int64_t num_pages,
                                   int max_pages_per_request, KvDtype kv_dtype,
                                   float softmax_scale);

// Throws mladec::Error naming the first bad field, its value and its limit.
void validate_problem(const DecodeProblem& problem);

const char* kv_dtype_name(KvDtype dtype);
const char* policy_name(SchedulePolicy policy);
// Bytes of one cached token (host and device code).
constexpr int kv_token_bytes(KvDtype dtype) {
  return dtype == KvDtype::kBf16       ? kHeadDim * 2
         : dtype == KvDtype::kFp8E4m3 ? kHeadDim
                                      : kBlockwiseTokenBytes;
}

}  // namespace mladec
