// Every plan the host planner makes passes validate_plan: all head counts
// 1..128, all query lengths 1..8 (uniform and ragged) and both policies, with
// batch, page size, worker count, FixedChunk size and lengths rotated through
// their sweep values. Planning is cheap, so this covers far more (and far
// larger) cases than the executor comparison in plan_execution_sweep_test.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>

#include "mladec/config.h"
#include "mladec/plan.h"
#include "tests/support/lengths_case.h"
#include "tests/support/sweep_dimensions.h"

namespace mladec::test {
namespace {

constexpr int kPlansPerCombo = 12;
// FixedChunk plans hold one item per chunk of every unit; small chunks only
// where that stays a few hundred thousand items.
constexpr int64_t kMaxUnitsForSmallChunks = 4096;

struct Coverage {
  std::map<int, int> batch, page_size, workers, fixed_chunk, spare_pages;
  int ragged = 0, uniform = 0, padded_total_q = 0;
  int zero_len = 0, one_len = 0, long_len = 0;
  int split_units = 0;
};

// KV lengths: 0, 1, short and a few long ones (up to 6000 tokens).
std::vector<int32_t> sweep_seqlens(std::mt19937_64& rng, int batch,
                                   Coverage& coverage) {
  std::vector<int32_t> lens(batch);
  for (int32_t& len : lens) {
    const int64_t kind = uniform_int(rng, 0, 19);
    if (kind < 3) {
      len = 0;
      ++coverage.zero_len;
    } else if (kind < 6) {
      len = 1;
      ++coverage.one_len;
    } else if (kind < 18) {
      len = int32_t(uniform_int(rng, 2, 299));
    } else {
      len = int32_t(uniform_int(rng, 300, 6000));
      ++coverage.long_len;
    }
  }
  return lens;
}

void check_plans(int num_heads, int q_len, SchedulePolicy policy,
                 Coverage& coverage) {
  for (int k = 0; k < kPlansPerCombo; ++k) {
    const uint64_t id =
        ((uint64_t(num_heads) * 16 + q_len) * 4 + uint64_t(policy)) *
            kPlansPerCombo +
        k;
    std::mt19937_64 rng(splitmix64(id));
    const int batch = kSweepBatches[pick(id, 1, kSweepBatches.size())];
    const int page_size = kSweepPageSizes[pick(id, 2, kSweepPageSizes.size())];
    const int workers = kSweepWorkers[pick(id, 3, kSweepWorkers.size())];
    const bool ragged = pick(id, 4, 2) == 1;
    const int spare_pages = std::array{0, 1, 3}[pick(id, 5, 3)];

    std::vector<int32_t> seqlens = sweep_seqlens(rng, batch, coverage);
    if (spare_pages == 0) {
      // The longest request fills its block-table row exactly, so its length
      // is max_kv_len(): the top of the valid range.
      auto longest = std::max_element(seqlens.begin(), seqlens.end());
      *longest =
          std::max(1, (*longest + page_size - 1) / page_size) * page_size;
    }
    std::vector<int32_t> q_lens(batch, q_len);
    if (ragged) {
      for (int32_t& q : q_lens) q = int32_t(uniform_int(rng, 0, q_len));
      q_lens[uniform_int(rng, 0, batch - 1)] = q_len;  // max_q_len is q_len
    }
    LengthsCase c = make_lengths_case(num_heads, page_size, std::move(seqlens),
                                      q_lens, ragged, policy, spare_pages);
    if (ragged && pick(id, 6, 2) == 1) {
      // Capacity-sized q, as a CUDA graph allocates it: rows past
      // qo_indptr[batch] belong to no request.
      c.problem.total_q = int64_t(batch) * q_len;
      ++coverage.padded_total_q;
    }
    const int64_t tiles = (int64_t(q_len) * num_heads + 63) / 64;
    int fixed_chunk = 0;
    if (policy == SchedulePolicy::kFixedChunk &&
        batch * tiles <= kMaxUnitsForSmallChunks) {
      fixed_chunk = kSweepFixedChunks[pick(id, 7, kSweepFixedChunks.size())];
    }
    c.problem.fixed_chunk_tokens = fixed_chunk;

    const std::string trace =
        "h_q=" + std::to_string(num_heads) + " s_q=" + std::to_string(q_len) +
        " policy=" + policy_name(policy) + " batch=" + std::to_string(batch) +
        " page=" + std::to_string(page_size) +
        " workers=" + std::to_string(workers) +
        " ragged=" + std::to_string(ragged) +
        " chunk=" + std::to_string(fixed_chunk) + " case=" + std::to_string(id);
    SCOPED_TRACE(trace);
    const KernelConfig config = select_config(c.problem);
    HostPlan plan;
    ASSERT_NO_THROW(
        plan = make_host_plan(c.problem, config, workers, c.lengths()));
    ASSERT_NO_THROW(validate_plan(c.problem, config, plan.layout, c.lengths(),
                                  plan.buffer.data()));
    ASSERT_EQ(plan.header().status, 0);

    ++coverage.batch[batch];
    ++coverage.page_size[page_size];
    ++coverage.workers[workers];
    ++coverage.spare_pages[spare_pages];
    if (policy == SchedulePolicy::kFixedChunk)
      ++coverage.fixed_chunk[fixed_chunk];
    ++(ragged ? coverage.ragged : coverage.uniform);
    coverage.split_units += plan.header().num_combine;
  }
}

TEST(PlanValiditySweep, EveryPlanValidates) {
  Coverage coverage;
  for (int num_heads = 1; num_heads <= 128; ++num_heads) {
    for (int q_len = 1; q_len <= 8; ++q_len) {
      for (SchedulePolicy policy : kSweepPolicies) {
        check_plans(num_heads, q_len, policy, coverage);
        if (HasFatalFailure()) return;
      }
    }
  }
  // The rotation really reaches every value of every dimension, many times.
  for (int batch : kSweepBatches)
    EXPECT_GE(coverage.batch[batch], 1000) << batch;
  for (int page : kSweepPageSizes)
    EXPECT_GE(coverage.page_size[page], 1000) << page;
  for (int workers : kSweepWorkers)
    EXPECT_GE(coverage.workers[workers], 1000) << workers;
  for (int chunk : kSweepFixedChunks)
    EXPECT_GE(coverage.fixed_chunk[chunk], 300) << chunk;
  for (int spare : {0, 1, 3})
    EXPECT_GE(coverage.spare_pages[spare], 1000) << spare;
  EXPECT_GE(coverage.ragged, 1000);
  EXPECT_GE(coverage.uniform, 1000);
  EXPECT_GE(coverage.padded_total_q, 500);
  EXPECT_GE(coverage.zero_len, 1000);
  EXPECT_GE(coverage.one_len, 1000);
  EXPECT_GE(coverage.long_len, 1000);
  EXPECT_GE(coverage.split_units, 1000);
}

}  // namespace
}  // namespace mladec::test
