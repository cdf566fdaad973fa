#pragma once
#include <cuda.h>

#include <cstdint>

#include "mladec/plan.h"
#include "src/core/fast_divider.h"
#include "src/cuda/input_check_status.h"

namespace mladec::detail {

// Everything the decode and combine kernels read, by value. Strides are in
// elements of the tensor's own type.
struct DecodeParams {
  // bf16 caches the TMA path takes (kv_tensor_map.h): the cache as a
  // tensor map, used for full blocks, and its tokens per copy (0: no TMA).
  CUtensorMap kv_map;
  // Blockwise caches on the register-A path: the RoPE values (128 bytes per
  // token, 128-byte swizzle) and the scales (16 bytes, no swizzle) of the
  // same cache; kv_map takes the latent slabs.
  CUtensorMap kv_rope_map;
  CUtensorMap kv_scale_map;
  int kv_tma_tokens;
  const uint16_t* q;       // bf16 bits
  int64_t q_token_stride;
  int64_t q_head_stride;
  const uint8_t* kv;       // cache bytes
  int64_t kv_page_stride_bytes;
  int64_t kv_token_stride_bytes;
  const int32_t* block_table;
  int64_t block_table_stride;
  uint16_t* out;           // bf16 bits
  int64_t out_token_stride;
  int64_t out_head_stride;
  float* lse;
  int64_t lse_token_stride;
  int64_t lse_head_stride;
  float* partial_out;      // [slots, slot_rows, 512]
  float* partial_lse;      // [slots, slot_rows]
  int slot_rows;
  int num_heads;
  int page_size;
  FastDivider page_divider;  // by page_size: the producers' page indices
  int causal;
  float scale_log2;        // softmax_scale * log2(e) (* kv_scale for fp8_e4m3)
  float out_scale;         // output factor: kv_scale for fp8_e4m3, else 1
  const PlanHeader* header;
  const int32_t* worker_piece_begin;
  const PlanPiece* pieces;
  const PlanUnit* units;
  const int32_t* combine;
  // Checked mode (input_checks_device.cuh): the decode kernel's CTAs check
  // the inputs against check_limits, meet at a grid barrier and all return
  // at once when check_status->failed_generation is check_generation; the
  // combine kernel reads it too. nullptr when unchecked.
  InputCheckStatus* check_status;
  uint64_t check_generation;
  InputCheckLimits check_limits;
  // Eager checked mode: CTA 0 of the decode kernel copies the status to
  // this page-locked host memory (its device alias), so reading it back
  // needs no copy of its own. nullptr otherwise.
  uint32_t* check_status_host;
};

}  // namespace mladec::detail
