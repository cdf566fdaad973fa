// FixedChunk is batch-invariant: a request's output from the plan executor is
// bit-identical whatever else is in the batch, wherever it sits and however
// many workers run it, because its pieces fall on the same fixed token
// boundaries. Balanced plans of the same batches still match the reference.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <set>
#include <sstream>
#include <tuple>

#include "mladec/config.h"
#include "mladec/constants.h"
#include "mladec/plan.h"
#include "mladec/random_inputs.h"
#include "tests/support/output_match.h"

namespace mladec::test {
namespace {

// Request 0 of `single` inserted into `others` at `position`, with the same q
// and KV values (pages appended after those of `others`). Both steps must
// share heads, page size, query length and a dtype without a per-tensor scale.
RandomStep insert_request(const RandomStep& others, const RandomStep& single,
                          int position) {
  const DecodeProblem& po = others.problem;
  const DecodeProblem& ps = single.problem;
  const HostDecodeInputs& io = others.inputs;
  const HostDecodeInputs& is = single.inputs;
  RandomStep merged;
  DecodeProblem& p = merged.problem;
  p = po;
  p.batch = po.batch + 1;
  p.total_q = po.total_q + ps.total_q;
  p.num_pages = po.num_pages + ps.num_pages;
  p.max_pages_per_request =
      std::max(po.max_pages_per_request, ps.max_pages_per_request);
  HostDecodeInputs& in = merged.inputs;
  in.kv_scale = io.kv_scale;
  in.kv_cache = io.kv_cache;
  in.kv_cache.insert(in.kv_cache.end(), is.kv_cache.begin(), is.kv_cache.end());
  in.block_table.assign(size_t(p.batch) * p.max_pages_per_request,
                        std::numeric_limits<int32_t>::max() - 7);
  in.qo_indptr.assign(p.batch + 1, 0);
  const size_t row_values = size_t(p.num_heads) * kHeadDim;
  for (int b = 0; b < p.batch; ++b) {
    const bool is_single = b == position;
    const int source = is_single ? 0 : b - (b > position);
    const HostDecodeInputs& src = is_single ? is : io;
    const DecodeProblem& sp = is_single ? ps : po;
    const int32_t offset = is_single ? int32_t(po.num_pages) : 0;
    const int pages = (src.seqlens[source] + p.page_size - 1) / p.page_size;
    for (int i = 0; i < pages; ++i) {
      in.block_table[size_t(b) * p.max_pages_per_request + i] =
          src.block_table[size_t(source) * sp.max_pages_per_request + i] +
          offset;
    }
    in.seqlens.push_back(src.seqlens[source]);
    const int32_t q_begin = src.qo_indptr[source],
                  q_end = src.qo_indptr[source + 1];
    in.qo_indptr[b + 1] = in.qo_indptr[b] + (q_end - q_begin);
    in.q.insert(in.q.end(), src.q.begin() + q_begin * row_values,
                src.q.begin() + q_end * row_values);
  }
  return merged;
}

struct TargetResult {
  std::vector<double> out, lse;
  std::set<std::tuple<int, int, int>> pieces;  // (row_begin, kv_begin, kv_end)
  int split_units = 0;
};

// Plans and runs `step` and extracts request `request`'s outputs and pieces.
TargetResult run_target(RandomStep& step, SchedulePolicy policy, int chunk,
                        int workers, int request) {
  DecodeProblem& p = step.problem;
  p.policy = policy;
  p.fixed_chunk_tokens = chunk;
  const KernelConfig config = select_config(p);
  HostPlan plan = make_host_plan(p, config, workers, step.inputs.lengths(p));
  const HostDecodeOutputs result = execute_plan(p, plan, step.inputs);
  TargetResult target;
  const size_t row_begin = size_t(step.inputs.qo_indptr[request]) * p.num_heads;
  const size_t row_end =
      size_t(step.inputs.qo_indptr[request + 1]) * p.num_heads;
  target.out.assign(result.out.begin() + row_begin * kLatentDim,
                    result.out.begin() + row_end * kLatentDim);
  target.lse.assign(result.lse.begin() + row_begin,
                    result.lse.begin() + row_end);
  const PlanUnit* units = plan.units();
  for (int i = 0; i < plan.header().num_pieces; ++i) {
    const PlanPiece& piece = plan.pieces()[i];
    const PlanUnit& unit = units[piece.unit];
    if (unit.request != request) continue;
    target.pieces.insert({unit.row_begin, piece.kv_begin, piece.kv_end});
    target.split_units += unit.num_splits > 1 && piece.kv_begin == 0;
  }
  return target;
}

bool bit_identical(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() &&
         std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

struct InvarianceCase {
  int num_heads, q_len, target_len, chunk;  // chunk 0: the default 2048
};

void PrintTo(const InvarianceCase& c, std::ostream* out) {
  *out << "h_q=" << c.num_heads << " s_q=" << c.q_len << " L=" << c.target_len
       << " chunk=" << c.chunk;
}

class FixedChunkInvariance : public testing::TestWithParam<InvarianceCase> {};

TEST_P(FixedChunkInvariance, RequestOutputIgnoresTheRestOfTheBatch) {
  const InvarianceCase c = GetParam();
  RandomStepSpec spec;
  spec.num_heads = c.num_heads;
  spec.page_size = 16;
  spec.seqlens = {c.target_len};
  spec.q_lens = {c.q_len};
  spec.seed = 1000 + c.target_len;
  RandomStep single = make_random_step(spec);
  const TargetResult alone =
      run_target(single, SchedulePolicy::kFixedChunk, c.chunk, 1, 0);
  ASSERT_GE(alone.split_units, 1) << "the target must be split into chunks";

  struct Placement {
    int batch_others, position, workers;
  };
  for (const Placement& where :
       {Placement{1, 0, 7}, Placement{4, 2, 66}, Placement{9, 9, 132},
        Placement{5, 0, 264}, Placement{12, 6, 1}}) {
    SCOPED_TRACE("others=" + std::to_string(where.batch_others) +
                 " position=" + std::to_string(where.position) +
                 " workers=" + std::to_string(where.workers));
    spec.seqlens = random_varlen(where.batch_others, 150, 0, 400,
                                 where.batch_others * 31 + where.position);
    spec.seqlens[0] = 1;  // lengths 0 and 1 next to the target too
    if (where.batch_others > 1) spec.seqlens[1] = 0;
    spec.q_lens.assign(where.batch_others, c.q_len);
    spec.seed = 7 * where.batch_others + where.workers;
    RandomStep batch =
        insert_request(make_random_step(spec), single, where.position);

    const TargetResult batched =
        run_target(batch, SchedulePolicy::kFixedChunk, c.chunk, where.workers,
                   where.position);
    EXPECT_EQ(batched.pieces, alone.pieces)
        << "the target was split differently";
    EXPECT_TRUE(bit_identical(batched.out, alone.out));
    EXPECT_TRUE(bit_identical(batched.lse, alone.lse));

    // The same batch under Balanced (and under FixedChunk as a whole) still
    // computes the right answer.
    const HostDecodeOutputs ref = reference_decode(batch.problem, batch.inputs);
    for (SchedulePolicy policy :
         {SchedulePolicy::kBalanced, SchedulePolicy::kFixedChunk}) {
      batch.problem.policy = policy;
      const KernelConfig config = select_config(batch.problem);
      HostPlan plan = make_host_plan(batch.problem, config, where.workers,
                                     batch.inputs.lengths(batch.problem));
      EXPECT_TRUE(matches_reference(
          batch.problem, batch.inputs, ref,
          execute_plan(batch.problem, plan, batch.inputs), kCpuTolerance))
          << policy_name(policy);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, FixedChunkInvariance,
    testing::Values(InvarianceCase{40, 2, 700, 128},  // 2 tiles, 6 chunks
                    InvarianceCase{128, 1, 333,
                                   64},  // 2 tiles, ragged last chunk
                    InvarianceCase{8, 1, 4500, 0},  // default 2048-token chunks
                    InvarianceCase{3, 4, 1024, 256}),  // chunk-aligned length
    [](const testing::TestParamInfo<InvarianceCase>& info) {
      const InvarianceCase& c = info.param;
      std::ostringstream name;
      name << "h" << c.num_heads << "_s" << c.q_len << "_L" << c.target_len
           << "_chunk" << c.chunk;
      return name.str();
    });

}  // namespace
}  // namespace mladec::test
