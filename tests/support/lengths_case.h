#pragma once
// A DecodeProblem built from per-request lengths alone, with no KV data:
// planning and plan validation only read lengths, so tests that never run the
// math can use batches and lengths far larger than a KV cache would allow.
#include <cstdint>
#include <vector>

#include "mladec/plan.h"
#include "mladec/problem.h"

namespace mladec::test {

struct LengthsCase {
  DecodeProblem problem;
  std::vector<int32_t> seqlens;
  std::vector<int32_t> qo_indptr;  // [batch + 1], filled for uniform too

  RequestLengths lengths() const {
    return {seqlens.data(), problem.ragged_q ? qo_indptr.data() : nullptr};
  }
};

// q_lens must all equal max_q_len unless ragged. The block table is
// spare_pages wider than the longest request needs (0: the longest request
// fills it exactly, so its length equals max_kv_len()).
LengthsCase make_lengths_case(int num_heads, int page_size,
                              std::vector<int32_t> seqlens,
                              const std::vector<int32_t>& q_lens, bool ragged,
                              SchedulePolicy policy, int spare_pages = 1);

// Every request `kv_len` tokens and `q_len` query tokens, page 64, Balanced.
LengthsCase fixed_lengths_case(int batch, int num_heads, int q_len, int kv_len);

// 64-token blocks of KV work over the case's query tiles (plan units):
// sum over units of kv_len, divided by 64.
int64_t total_unit_kv_blocks(const LengthsCase& c, int tile_rows);

}  // namespace mladec::test
