// The CPU plan executor (partial attention per piece into split slots, then
// the combine, exactly as the GPU runs a plan) matches the float64 reference
// to 1e-9 for every head count 1..128, every query length 1..8 and both
// policies, with batch, page size, worker count, KV dtype, causality, ragged
// queries and FixedChunk size rotated through their sweep values. One
// reference result serves both policies' plans: the schedule does not change
// the math.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>

#include "mladec/config.h"
#include "mladec/constants.h"
#include "mladec/plan.h"
#include "mladec/random_inputs.h"
#include "tests/support/output_match.h"
#include "tests/support/sweep_dimensions.h"

namespace mladec::test {
namespace {

// The reference costs about one microsecond per (query row, KV token); these
// bounds keep the 1024 cases of the sweep to about a minute of CPU time.
constexpr int64_t kRowTokenBudget = 24000;
constexpr int64_t kMaxRows = 4096;  // total_q * h_q of one case
constexpr uint16_t kBf16Nan = 0x7fc0;

struct Coverage {
  std::map<int, int> batch, page_size, workers, fixed_chunk, kv_dtype;
  int ragged = 0, uniform = 0, padded_total_q = 0, non_causal = 0;
  int zero_len = 0, one_len = 0, long_len = 0, split_units = 0;
};

// KV lengths whose total cost (rows x tokens) stays near the budget: 0 and 1
// often, short ones otherwise, and for cases with few rows per request one
// long request that FixedChunk's default 2048-token chunks split.
std::vector<int32_t> sweep_seqlens(std::mt19937_64& rng,
                                   const std::vector<int32_t>& q_lens,
                                   int num_heads, Coverage& coverage) {
  int64_t rows = 0;
  for (int32_t q : q_lens) rows += int64_t(q) * num_heads;
  const int64_t cap = std::clamp<int64_t>(
      2 * kRowTokenBudget / std::max<int64_t>(rows, 1), 2, 299);
  std::vector<int32_t> lens(q_lens.size());
  for (int32_t& len : lens) {
    const int64_t kind = uniform_int(rng, 0, 19);
    len = kind < 3 ? 0 : kind < 6 ? 1 : int32_t(uniform_int(rng, 2, cap));
    coverage.zero_len += len == 0;
    coverage.one_len += len == 1;
  }
  const int max_rows_per_request =
      *std::max_element(q_lens.begin(), q_lens.end()) * num_heads;
  if (max_rows_per_request <= 8 && uniform_int(rng, 0, 1) == 0) {
    lens[uniform_int(rng, 0, int64_t(lens.size()) - 1)] =
        int32_t(uniform_int(rng, 2049, 4500));
    ++coverage.long_len;
  }
  return lens;
}

// A batch size from the sweep's list that keeps the case within kMaxRows.
int sweep_batch(uint64_t id, int num_heads, int q_len) {
  std::vector<int> batches;
  for (int b : kSweepBatches) {
    if (int64_t(b) * q_len * num_heads <= kMaxRows) batches.push_back(b);
  }
  return batches[pick(id, 5, int(batches.size()))];
}

// Case `id` (distinct ids give distinct inputs) of the given shape; the
// other dimensions are rotated by id.
void check_case(uint64_t id, int num_heads, int q_len, int batch,
                Coverage& coverage) {
  std::mt19937_64 rng(splitmix64(id + 0x5eed));
  RandomStepSpec spec;
  spec.num_heads = num_heads;
  spec.page_size = kSweepPageSizes[pick(id, 1, kSweepPageSizes.size())];
  spec.kv_dtype = std::array{KvDtype::kBf16, KvDtype::kFp8E4m3,
                             KvDtype::kFp8Blockwise}[pick(id, 2, 3)];
  spec.causal = pick(id, 3, 4) != 0;
  spec.ragged_q = pick(id, 4, 2) == 1;
  spec.seed = id;
  spec.q_lens.assign(batch, q_len);
  if (spec.ragged_q) {
    for (int32_t& q : spec.q_lens) q = int32_t(uniform_int(rng, 0, q_len));
    spec.q_lens[uniform_int(rng, 0, batch - 1)] = q_len;
  }
  spec.seqlens = sweep_seqlens(rng, spec.q_lens, num_heads, coverage);
  RandomStep step = make_random_step(spec);
  DecodeProblem& problem = step.problem;
  if (spec.ragged_q && pick(id, 6, 2) == 1) {
    // Capacity-sized q as a CUDA graph allocates it; the rows past
    // qo_indptr[batch] hold NaN and belong to no request.
    problem.total_q = int64_t(batch) * q_len;
    step.inputs.q.resize(size_t(problem.total_q) * num_heads * kHeadDim,
                         kBf16Nan);
    ++coverage.padded_total_q;
  }
  const std::string trace = "h_q=" + std::to_string(num_heads) +
                            " s_q=" + std::to_string(q_len) +
                            " batch=" + std::to_string(batch) +
                            " page=" + std::to_string(spec.page_size) +
                            " dtype=" + kv_dtype_name(spec.kv_dtype) +
                            " causal=" + std::to_string(spec.causal) +
                            " ragged=" + std::to_string(spec.ragged_q) +
                            " total_q=" + std::to_string(problem.total_q) +
                            " case=" + std::to_string(id);
  SCOPED_TRACE(trace);

  const HostDecodeOutputs ref = reference_decode(problem, step.inputs);
  for (SchedulePolicy policy : kSweepPolicies) {
    problem.policy = policy;
    const int salt = 10 * (int(policy) + 1);
    const int workers = kSweepWorkers[pick(id, salt, kSweepWorkers.size())];
    problem.fixed_chunk_tokens =
        policy == SchedulePolicy::kFixedChunk
            ? kSweepFixedChunks[pick(id, salt + 1, kSweepFixedChunks.size())]
            : 0;
    SCOPED_TRACE(std::string("policy=") + policy_name(policy) +
                 " workers=" + std::to_string(workers) +
                 " chunk=" + std::to_string(problem.fixed_chunk_tokens));
    const KernelConfig config = select_config(problem);
    const RequestLengths lengths = step.inputs.lengths(problem);
    HostPlan plan = make_host_plan(problem, config, workers, lengths);
    ASSERT_NO_THROW(validate_plan(problem, config, plan.layout, lengths,
                                  plan.buffer.data()));
    const HostDecodeOutputs got = execute_plan(problem, plan, step.inputs);
    ASSERT_TRUE(
        matches_reference(problem, step.inputs, ref, got, kCpuTolerance));

    ++coverage.workers[workers];
    if (policy == SchedulePolicy::kFixedChunk) {
      ++coverage.fixed_chunk[problem.fixed_chunk_tokens];
    }
    coverage.split_units += plan.header().num_combine;
  }
  ++coverage.batch[batch];
  ++coverage.page_size[spec.page_size];
  ++coverage.kv_dtype[int(spec.kv_dtype)];
  ++(spec.ragged_q ? coverage.ragged : coverage.uniform);
  coverage.non_causal += !spec.causal;
}

class PlanExecutionSweep : public testing::TestWithParam<int> {};

TEST_P(PlanExecutionSweep, ExecutorMatchesReference) {
  const int q_len = GetParam();
  Coverage coverage;
  for (int num_heads = 1; num_heads <= 128; ++num_heads) {
    const uint64_t id = uint64_t(num_heads) * 16 + q_len;
    check_case(id, num_heads, q_len, sweep_batch(id, num_heads, q_len),
               coverage);
    if (HasFatalFailure()) return;
  }
  // The rotation reaches the values that matter at this query length.
  for (int page : kSweepPageSizes)
    EXPECT_GE(coverage.page_size[page], 6) << page;
  for (int workers : kSweepWorkers)
    EXPECT_GE(coverage.workers[workers], 20) << workers;
  for (int chunk : kSweepFixedChunks)
    EXPECT_GE(coverage.fixed_chunk[chunk], 15) << chunk;
  for (int dtype = 0; dtype < 3; ++dtype)
    EXPECT_GE(coverage.kv_dtype[dtype], 20) << dtype;
  EXPECT_GE(coverage.batch.size(), 6u);
  EXPECT_GE(coverage.ragged, 30);
  EXPECT_GE(coverage.uniform, 30);
  EXPECT_GE(coverage.non_causal, 10);
  EXPECT_GE(coverage.zero_len, 50);
  EXPECT_GE(coverage.one_len, 50);
  EXPECT_GE(coverage.split_units, 100);
}

// The largest batches of the sweep fit kMaxRows only with few rows per
// request, which the rotation above rarely meets; cover them here.
TEST(PlanExecutionSweepLargeBatch, ExecutorMatchesReference) {
  constexpr std::pair<int, int> kShapes[] = {{1, 1}, {2, 1}, {1, 2}, {3, 2},
                                             {8, 1}, {1, 8}, {2, 4}, {5, 1}};
  Coverage coverage;
  uint64_t id = 1 << 20;
  for (int batch : {255, 512}) {
    for (const auto& [num_heads, q_len] : kShapes) {
      check_case(id++, num_heads, q_len, batch, coverage);
      if (HasFatalFailure()) return;
    }
  }
  EXPECT_EQ(coverage.batch[255], 8);
  EXPECT_EQ(coverage.batch[512], 8);
  EXPECT_GE(coverage.page_size.size(), 5u);
  EXPECT_GE(coverage.workers.size(), 4u);
  EXPECT_GE(coverage.split_units, 10);
  EXPECT_GE(coverage.long_len, 4);
}

INSTANTIATE_TEST_SUITE_P(QueryLengths, PlanExecutionSweep, testing::Range(1, 9),
                         [](const testing::TestParamInfo<int>& info) {
                           return "s_q" + std::to_string(info.param);
                         });

}  // namespace
}  // namespace mladec::test
