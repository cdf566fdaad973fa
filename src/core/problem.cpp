#include "mladec/problem.h"

#include <cmath>

#include "mladec/constants.h"
#include "src/core/require.h"

namespace mladec {

using detail::require;

DecodeProblem make_uniform_problem(int batch, int num_heads, int q_len,
                                   int page_size, int64_t num_pages,
                                   int max_pages_per_request, KvDtype kv_dtype,
                                   float softmax_scale) {
  DecodeProblem problem;
  problem.batch = batch;
  problem.num_heads = num_heads;
  problem.max_q_len = q_len;
  problem.total_q = int64_t(batch) * q_len;
  problem.page_size = page_size;
  problem.num_pages = num_pages;
  problem.max_pages_per_request = max_pages_per_request;
  problem.kv_dtype = kv_dtype;
  problem.softmax_scale = softmax_scale;
  return problem;
}

// Beyond these the int32 indices of plans and kernels could overflow.
constexpr int kMaxBatch = 1 << 20;
constexpr int64_t kMaxKvLen = int64_t(1) << 30;

void validate_problem(const DecodeProblem& p) {
  require(p.batch >= 1 && p.batch <= kMaxBatch, ErrorCode::kBadBatch,
          "batch must be in [1, ", kMaxBatch, "], got ", p.batch);
  require(p.num_heads >= 1 && p.num_heads <= kMaxHeads,
          ErrorCode::kBadNumHeads, "num_heads must be in [1, ", kMaxHeads,
          "], got ", p.num_heads);
  require(p.max_q_len >= 1 && p.max_q_len <= kMaxQLen, ErrorCode::kBadQLen,
          "max_q_len must be in [1, ", kMaxQLen, "], got ", p.max_q_len);
  if (p.ragged_q) {
    require(p.total_q >= 0 && p.total_q <= int64_t(p.batch) * p.max_q_len,
            ErrorCode::kBadTotalQ, "total_q must be in [0, batch*max_q_len = ",
            int64_t(p.batch) * p.max_q_len, "] for ragged queries, got ",
            p.total_q);
  } else {
    require(p.total_q == int64_t(p.batch) * p.max_q_len, ErrorCode::kBadTotalQ,
            "total_q must equal batch*max_q_len = ",
            int64_t(p.batch) * p.max_q_len, " for uniform queries, got ",
            p.total_q);
  }
  require(p.page_size >= 1, ErrorCode::kBadPageSize,
          "page_size must be >= 1, got ", p.page_size);
  require(p.num_pages >= 1, ErrorCode::kBadNumPages,
          "num_pages must be >= 1, got ", p.num_pages);
  require(p.max_pages_per_request >= 1, ErrorCode::kBadBlockTableWidth,
          "max_pages_per_request must be >= 1, got ", p.max_pages_per_request);
  require(p.max_kv_len() <= kMaxKvLen, ErrorCode::kBadBlockTableWidth,
          "max_pages_per_request * page_size must be <= ", kMaxKvLen, ", got ",
          p.max_kv_len());
  require(p.kv_dtype == KvDtype::kBf16 || p.kv_dtype == KvDtype::kFp8E4m3 ||
              p.kv_dtype == KvDtype::kFp8Blockwise,
          ErrorCode::kBadKvDtype, "kv_dtype must be bf16, fp8_e4m3 or "
          "fp8_blockwise, got enum value ", int(p.kv_dtype));
  require(!p.fp8_compute || p.kv_dtype == KvDtype::kFp8E4m3, ErrorCode::kBadKvDtype,
          "fp8_compute needs kv_dtype fp8_e4m3 (it multiplies the cached e4m3 values as "
          "they are), got ", kv_dtype_name(p.kv_dtype));
  require(std::isfinite(p.softmax_scale) && p.softmax_scale > 0.f,
          ErrorCode::kBadSoftmaxScale,
          "softmax_scale must be finite and > 0, got ", p.softmax_scale);
  require(p.policy == SchedulePolicy::kBalanced ||
              p.policy == SchedulePolicy::kFixedChunk,
          ErrorCode::kBadPolicy, "policy must be balanced or fixed_chunk, got "
          "enum value ", int(p.policy));
  require(p.fixed_chunk_tokens >= 0 && p.fixed_chunk_tokens % 64 == 0,
          ErrorCode::kBadFixedChunk,
          "fixed_chunk_tokens must be 0 (default) or a positive multiple of "
          "64, got ", p.fixed_chunk_tokens);
}

const char* kv_dtype_name(KvDtype dtype) {
  switch (dtype) {
    case KvDtype::kBf16: return "bf16";
    case KvDtype::kFp8E4m3: return "fp8_e4m3";
    case KvDtype::kFp8Blockwise: return "fp8_blockwise";
  }
  return "unknown";
}

const char* policy_name(SchedulePolicy policy) {
  switch (policy) {
    case SchedulePolicy::kBalanced: return "balanced";
    case SchedulePolicy::kFixedChunk: return "fixed_chunk";
  }
  return "unknown";
}

}  // namespace mladec
