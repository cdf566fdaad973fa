// The planner cost of a piece's start on the cut line: split_overhead_tokens
// where every unit costs the same, varlen_split_overhead_tokens (by tile
// form) where they differ; the plan header records the one used.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mladec/config.h"
#include "mladec/plan.h"
#include "mladec/random_inputs.h"
#include "tests/support/lengths_case.h"

namespace mladec::test {
namespace {

constexpr int kWorkers = 132;  // an H200's SMs

LengthsCase varlen_case(int batch, int num_heads, int q_len, int mean, uint64_t seed) {
  return make_lengths_case(num_heads, 64, random_varlen(batch, mean, q_len, 4 * mean, seed),
                           std::vector<int32_t>(batch, q_len), false,
                           SchedulePolicy::kBalanced);
}

HostPlan plan_with(const LengthsCase& c, int split_overhead, int varlen_split_overhead) {
  KernelConfig config = select_config(c.problem);
  config.split_overhead_tokens = split_overhead;
  config.varlen_split_overhead_tokens = varlen_split_overhead;
  return make_host_plan(c.problem, config, kWorkers, c.lengths());
}

TEST(PlanPieceOverhead, ChosenByTileFormAndFormat) {
  struct Form {
    KvDtype dtype;
    int num_heads, q_len, tile_rows, overhead;
  };
  constexpr KvDtype kBf16 = KvDtype::kBf16, kE4m3 = KvDtype::kFp8E4m3,
                    kBlockwise = KvDtype::kFp8Blockwise;
  for (const Form f : {Form{kBf16, 16, 1, 16, 160}, Form{kBf16, 32, 1, 32, 256},
                       Form{kBf16, 16, 2, 32, 256}, Form{kBf16, 64, 1, 64, 320},
                       Form{kBf16, 128, 2, 64, 320}, Form{kE4m3, 16, 1, 16, 256},
                       Form{kE4m3, 32, 1, 32, 256}, Form{kE4m3, 128, 1, 64, 320},
                       Form{kBlockwise, 16, 1, 16, 256}, Form{kBlockwise, 32, 1, 64, 160},
                       Form{kBlockwise, 128, 2, 64, 160}}) {
    LengthsCase c = varlen_case(8, f.num_heads, f.q_len, 4096, 1);
    c.problem.kv_dtype = f.dtype;
    const KernelConfig config = select_config(c.problem);
    const std::string form = std::string(kv_dtype_name(f.dtype)) + " " +
                             std::to_string(f.num_heads) + " x " + std::to_string(f.q_len);
    EXPECT_EQ(config.tile_rows, f.tile_rows) << form;
    EXPECT_EQ(config.varlen_split_overhead_tokens, f.overhead) << form;
    EXPECT_EQ(config.split_overhead_tokens, 160) << form;
  }
}

TEST(PlanPieceOverhead, VarlenCutsChargeTheVarlenOverhead) {
  // A large varlen step (every share far above the small-step and block-cut
  // thresholds): charging varlen_split_overhead on the cut line gives the
  // plan of a config whose every overhead is that value, and a different
  // plan from split_overhead's.
  for (int num_heads : {32, 64, 128}) {
    const LengthsCase c = varlen_case(128, num_heads, 1, 8192, 7 + num_heads);
    const KernelConfig config = select_config(c.problem);
    const int varlen = config.varlen_split_overhead_tokens;
    ASSERT_NE(varlen, config.split_overhead_tokens);
    const HostPlan plan = make_host_plan(c.problem, config, kWorkers, c.lengths());
    EXPECT_EQ(plan.header().piece_overhead, varlen) << num_heads;
    const HostPlan same = plan_with(c, varlen, varlen);
    const HostPlan base = plan_with(c, config.split_overhead_tokens, config.split_overhead_tokens);
    ASSERT_EQ(plan.header().num_pieces, same.header().num_pieces) << num_heads;
    bool differs_from_base = plan.header().num_pieces != base.header().num_pieces;
    for (int i = 0; i < plan.header().num_pieces; ++i) {
      const PlanPiece& a = plan.pieces()[i];
      const PlanPiece& b = same.pieces()[i];
      ASSERT_TRUE(a.unit == b.unit && a.kv_begin == b.kv_begin && a.kv_end == b.kv_end)
          << num_heads << ": piece " << i;
      if (!differs_from_base) {
        const PlanPiece& d = base.pieces()[i];
        differs_from_base = a.unit != d.unit || a.kv_begin != d.kv_begin || a.kv_end != d.kv_end;
      }
    }
    EXPECT_TRUE(differs_from_base) << num_heads << ": the overhead moved no cut";
    validate_plan(c.problem, config, plan.layout, c.lengths(), plan.buffer.data());
  }
}

TEST(PlanPieceOverhead, EqualCostUnitsNeverReadTheVarlenOverhead) {
  // Fixed lengths (large steps, small steps, whole-unit plans) and
  // FixedChunk: the plan is the same whatever varlen_split_overhead is.
  std::vector<LengthsCase> cases;
  for (int batch : {1, 4, 32, 128}) {
    for (int num_heads : {16, 32, 128}) {
      for (int kv_len : {1024, 4096, 32768}) {
        cases.push_back(fixed_lengths_case(batch, num_heads, 1, kv_len));
      }
    }
  }
  cases.push_back(make_lengths_case(64, 64, random_varlen(64, 4096, 1, 16384, 3),
                                    std::vector<int32_t>(64, 1), false,
                                    SchedulePolicy::kFixedChunk));
  for (const LengthsCase& c : cases) {
    const HostPlan plan = plan_with(c, 160, 160);
    const HostPlan other = plan_with(c, 160, 999);
    EXPECT_EQ(plan.header().piece_overhead, 160);
    EXPECT_EQ(plan.buffer, other.buffer)
        << c.problem.batch << " x " << c.seqlens[0] << " h_q " << c.problem.num_heads;
  }
}

}  // namespace
}  // namespace mladec::test
