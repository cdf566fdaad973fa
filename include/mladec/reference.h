#pragma once
#include <cstdint>
#include <vector>

#include "mladec/plan.h"
#include "mladec/tensor.h"

namespace mladec {

// Host copies of one decode step's inputs, laid out as DESIGN §3 describes
// (contiguous). KV bytes are raw cache bytes in the problem's kv_dtype.
struct HostDecodeInputs {
  std::vector<uint16_t> q;             // bf16 bits [total_q, h_q, 576]
  std::vector<uint8_t> kv_cache;       // [num_pages, page_size, token_bytes]
  std::vector<int32_t> block_table;    // [batch, max_pages_per_request]
  std::vector<int32_t> seqlens;        // [batch]
  std::vector<int32_t> qo_indptr;      // [batch + 1] (always filled)
  float kv_scale = 1.f;                // fp8_e4m3 per-tensor scale

  RequestLengths lengths(const DecodeProblem& problem) const;
};

// Results in float64: out [total_q, h_q, 512], lse [total_q, h_q].
struct HostDecodeOutputs {
  std::vector<double> out;
  std::vector<double> lse;
};

// Dequantized KV token j of request b (576 values) as the problem's kernel
// form consumes it (blockwise: select_config(problem).blockwise_products).
void load_kv_token(const DecodeProblem& problem, const HostDecodeInputs& in,
                   int request, int token, double* values);

// The reference: softmax attention per (request, token, head) in float64 over
// dequantized KV, causal MTP mask, out = 0 / lse = -inf with no visible key.
HostDecodeOutputs reference_decode(const DecodeProblem& problem,
                                   const HostDecodeInputs& in);

// The reference for rows [row_begin, row_end) of one request alone, numbered
// as plans number them (row r: the request's query token r / h_q, head
// r % h_q): out [row_end - row_begin, 512], lse [row_end - row_begin], bit
// for bit those rows of reference_decode(). For checks that sample a few
// rows of steps too large to recompute whole.
HostDecodeOutputs reference_request_rows(const DecodeProblem& problem,
                                         const HostDecodeInputs& in,
                                         int request, int row_begin,
                                         int row_end);

// Runs a plan exactly as the GPU does: each piece computes partial attention
// over its KV range (written directly when the unit has one piece, to its
// split slot otherwise), then the combine merges the split units' slots.
HostDecodeOutputs execute_plan(const DecodeProblem& problem, HostPlan& plan,
                               const HostDecodeInputs& in);

}  // namespace mladec
