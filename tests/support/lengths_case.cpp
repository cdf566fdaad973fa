#include "tests/support/lengths_case.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "mladec/constants.h"

namespace mladec::test {

LengthsCase make_lengths_case(int num_heads, int page_size,
                              std::vector<int32_t> seqlens,
                              const std::vector<int32_t>& q_lens, bool ragged,
                              SchedulePolicy policy, int spare_pages) {
  if (seqlens.empty() || q_lens.size() != seqlens.size()) {
    throw std::invalid_argument(
        "make_lengths_case: need one q_len per request");
  }
  LengthsCase c;
  const int batch = int(seqlens.size());
  c.qo_indptr.assign(batch + 1, 0);
  for (int b = 0; b < batch; ++b)
    c.qo_indptr[b + 1] = c.qo_indptr[b] + q_lens[b];
  int64_t total_pages = 0;
  int max_pages = 0;
  for (int32_t len : seqlens) {
    const int pages = (len + page_size - 1) / page_size;
    total_pages += pages;
    max_pages = std::max(max_pages, pages);
  }
  DecodeProblem& p = c.problem;
  p.batch = batch;
  p.num_heads = num_heads;
  p.max_q_len = std::max(1, *std::max_element(q_lens.begin(), q_lens.end()));
  p.ragged_q = ragged;
  p.total_q = c.qo_indptr[batch];
  p.page_size = page_size;
  p.num_pages = total_pages + 1;
  p.max_pages_per_request = std::max(1, max_pages + spare_pages);
  p.softmax_scale = 1.0f / std::sqrt(float(kHeadDim));
  p.policy = policy;
  c.seqlens = std::move(seqlens);
  return c;
}

LengthsCase fixed_lengths_case(int batch, int num_heads, int q_len, int kv_len) {
  return make_lengths_case(num_heads, 64, std::vector<int32_t>(batch, kv_len),
                           std::vector<int32_t>(batch, q_len), false, SchedulePolicy::kBalanced);
}

int64_t total_unit_kv_blocks(const LengthsCase& c, int tile_rows) {
  int64_t blocks = 0;
  for (int b = 0; b < c.problem.batch; ++b) {
    const int64_t rows =
        int64_t(c.qo_indptr[b + 1] - c.qo_indptr[b]) * c.problem.num_heads;
    const int64_t units = (rows + tile_rows - 1) / tile_rows;
    blocks += units * c.seqlens[b];
  }
  // Blocks of KV work, whole blocks only: a 4-token request is no block's
  // worth of work, and counting it as one would call a batch of tiny
  // requests (where each piece's fixed overhead dominates) well filled.
  return blocks / 64;
}

}  // namespace mladec::test
