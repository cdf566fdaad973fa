// The host half of the bad-input catalogue (docs/bad_inputs.md): every
// invalid input that an API running without a GPU can be handed is refused
// with its own ErrorCode and a message naming the value, and nothing is
// written: make_plan leaves the poisoned plan buffer as it was, execute_plan
// leaves the caller's plan untouched. Problem and config errors go through
// make_plan (which re-derives the layout), so they are also proven to stop a
// plan from being written, not only to be reported by validate_problem.
#include <gtest/gtest.h>

#include <climits>
#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <vector>

#include "mladec/config.h"
#include "mladec/plan.h"
#include "mladec/random_inputs.h"
#include "mladec/reference.h"
#include "src/core/config_knobs.h"
#include "tests/support/error_match.h"

namespace mladec::test {
namespace {

constexpr std::byte kPoison{0xab};
constexpr int kWorkers = 7;

class HostBadInputs : public testing::Test {
 protected:
  // A valid ragged step: 3 requests of 2, 1 and 2 tokens, 20 heads, page 16,
  // KV lengths 40, 0 and 17 (block table 4 pages = 64 tokens wide).
  HostBadInputs() : step_(make_step(KvDtype::kBf16)) {
    problem_ = step_.problem;
    config_ = select_config(problem_);
    layout_ = plan_layout(problem_, config_, kWorkers);
    seqlens_ = step_.inputs.seqlens;
    qo_indptr_ = step_.inputs.qo_indptr;
    plan_buffer_.assign(layout_.plan_bytes, kPoison);
  }

  static RandomStep make_step(KvDtype dtype) {
    RandomStepSpec spec;
    spec.num_heads = 20;
    spec.page_size = 16;
    spec.kv_dtype = dtype;
    spec.seqlens = {40, 0, 17};
    spec.q_lens = {2, 1, 2};
    spec.ragged_q = true;
    spec.seed = 5;
    return make_random_step(spec);
  }

  // An emptied vector stands for a null pointer.
  RequestLengths lengths() const {
    return {seqlens_.empty() ? nullptr : seqlens_.data(),
            qo_indptr_.empty() ? nullptr : qo_indptr_.data()};
  }

  // make_plan with the fixture's (possibly corrupted) problem, config,
  // layout and lengths throws `code` naming `mentions`, and the plan buffer
  // still holds nothing but poison.
  testing::AssertionResult plan_refused(
      ErrorCode code, std::initializer_list<std::string> mentions,
      void* plan_buffer) {
    testing::AssertionResult result = throws_error(
        [&] { make_plan(problem_, config_, layout_, lengths(), plan_buffer); },
        code, mentions);
    if (!result) return result;
    for (std::byte b : plan_buffer_) {
      if (b != kPoison) {
        return testing::AssertionFailure() << "make_plan wrote the plan buffer";
      }
    }
    return result;
  }
  testing::AssertionResult plan_refused(
      ErrorCode code, std::initializer_list<std::string> mentions) {
    return plan_refused(code, mentions, plan_buffer_.data());
  }

  // reference_decode and execute_plan both refuse `step` with `code`, and
  // execute_plan leaves `plan` as it was.
  static testing::AssertionResult inputs_refused(
      const RandomStep& step, HostPlan& plan, ErrorCode code,
      std::initializer_list<std::string> mentions) {
    testing::AssertionResult result = throws_error(
        [&] { reference_decode(step.problem, step.inputs); }, code, mentions);
    if (!result) return result << " (reference_decode)";
    const std::vector<std::byte> before = plan.buffer;
    result = throws_error(
        [&] { execute_plan(step.problem, plan, step.inputs); }, code, mentions);
    if (!result) return result << " (execute_plan)";
    if (plan.buffer != before) {
      return testing::AssertionFailure() << "execute_plan changed the plan";
    }
    return result;
  }
  testing::AssertionResult inputs_refused(
      ErrorCode code, std::initializer_list<std::string> mentions) {
    HostPlan plan = make_host_plan(step_.problem, config_, kWorkers,
                                   step_.inputs.lengths(step_.problem));
    return inputs_refused(step_, plan, code, mentions);
  }

  RandomStep step_;
  DecodeProblem problem_;
  KernelConfig config_;
  PlanLayout layout_;
  std::vector<int32_t> seqlens_;
  std::vector<int32_t> qo_indptr_;
  std::vector<std::byte> plan_buffer_;
};

TEST_F(HostBadInputs, ValidStepPlansAndRuns) {
  // The baseline every other test corrupts one field of.
  ASSERT_NO_THROW(
      make_plan(problem_, config_, layout_, lengths(), plan_buffer_.data()));
  EXPECT_NO_THROW(validate_plan(problem_, config_, layout_, lengths(),
                                plan_buffer_.data()));
  HostPlan plan = make_host_plan(problem_, config_, kWorkers, lengths());
  EXPECT_NO_THROW(execute_plan(step_.problem, plan, step_.inputs));
}

// --- The problem (DecodeProblem fields) --------------------------------------

TEST_F(HostBadInputs, BatchZero) {
  problem_.batch = 0;
  EXPECT_TRUE(plan_refused(ErrorCode::kBadBatch, {"batch", "got 0"}));
}

TEST_F(HostBadInputs, BatchAboveLimit) {
  problem_.batch = (1 << 20) + 1;
  EXPECT_TRUE(plan_refused(ErrorCode::kBadBatch, {"batch", "1048577"}));
}

TEST_F(HostBadInputs, NumHeadsZero) {
  problem_.num_heads = 0;
  EXPECT_TRUE(plan_refused(ErrorCode::kBadNumHeads, {"num_heads", "got 0"}));
}

TEST_F(HostBadInputs, NumHeadsAboveMax) {
  problem_.num_heads = 129;
  EXPECT_TRUE(
      plan_refused(ErrorCode::kBadNumHeads, {"num_heads", "128", "got 129"}));
}

TEST_F(HostBadInputs, QLenZero) {
  problem_.max_q_len = 0;
  EXPECT_TRUE(plan_refused(ErrorCode::kBadQLen, {"max_q_len", "got 0"}));
}

TEST_F(HostBadInputs, QLenAboveMax) {
  problem_.max_q_len = 65;
  EXPECT_TRUE(plan_refused(ErrorCode::kBadQLen, {"max_q_len", "64", "got 65"}));
}

TEST_F(HostBadInputs, TotalQNotBatchTimesQLen) {
  problem_.ragged_q = false;
  problem_.total_q = 5;  // uniform: 3 requests x 2 tokens = 6
  EXPECT_TRUE(plan_refused(ErrorCode::kBadTotalQ, {"total_q", "6", "got 5"}));
}

TEST_F(HostBadInputs, TotalQNegativeRagged) {
  problem_.total_q = -1;
  EXPECT_TRUE(plan_refused(ErrorCode::kBadTotalQ, {"total_q", "got -1"}));
}

TEST_F(HostBadInputs, PageSizeZero) {
  problem_.page_size = 0;
  EXPECT_TRUE(plan_refused(ErrorCode::kBadPageSize, {"page_size", "got 0"}));
}

TEST_F(HostBadInputs, PageSizeNegative) {
  problem_.page_size = -16;
  EXPECT_TRUE(plan_refused(ErrorCode::kBadPageSize, {"page_size", "got -16"}));
}

TEST_F(HostBadInputs, NumPagesZero) {
  problem_.num_pages = 0;
  EXPECT_TRUE(plan_refused(ErrorCode::kBadNumPages, {"num_pages", "got 0"}));
}

TEST_F(HostBadInputs, BlockTableWidthZero) {
  problem_.max_pages_per_request = 0;
  EXPECT_TRUE(plan_refused(ErrorCode::kBadBlockTableWidth,
                           {"max_pages_per_request", "got 0"}));
}

TEST_F(HostBadInputs, BlockTableAddressesMoreThan2To30Tokens) {
  problem_.max_pages_per_request = (1 << 26) + 1;  // x page 16 > 2^30 tokens
  EXPECT_TRUE(
      plan_refused(ErrorCode::kBadBlockTableWidth,
                   {"max_pages_per_request * page_size", "1073741840"}));
}

TEST_F(HostBadInputs, KvDtypeOutOfRange) {
  problem_.kv_dtype = static_cast<KvDtype>(9);
  EXPECT_TRUE(plan_refused(ErrorCode::kBadKvDtype, {"kv_dtype", "9"}));
}

TEST_F(HostBadInputs, SoftmaxScaleZero) {
  problem_.softmax_scale = 0.f;
  EXPECT_TRUE(
      plan_refused(ErrorCode::kBadSoftmaxScale, {"softmax_scale", "got 0"}));
}

TEST_F(HostBadInputs, SoftmaxScaleNaN) {
  problem_.softmax_scale = std::nanf("");
  EXPECT_TRUE(
      plan_refused(ErrorCode::kBadSoftmaxScale, {"softmax_scale", "got nan"}));
}

TEST_F(HostBadInputs, PolicyOutOfRange) {
  problem_.policy = static_cast<SchedulePolicy>(3);
  EXPECT_TRUE(plan_refused(ErrorCode::kBadPolicy, {"policy", "3"}));
}

TEST_F(HostBadInputs, FixedChunkNotMultipleOf64) {
  problem_.policy = SchedulePolicy::kFixedChunk;
  problem_.fixed_chunk_tokens = 100;
  EXPECT_TRUE(plan_refused(ErrorCode::kBadFixedChunk,
                           {"fixed_chunk_tokens", "got 100"}));
}

TEST_F(HostBadInputs, PlanTooLargeToIndex) {
  // 2^20 requests x 2^24 chunks of 64 tokens: more pieces than int32 indexes.
  DecodeProblem p = make_uniform_problem(1 << 20, 8, 1, 1 << 16, 1, 1 << 14,
                                         KvDtype::kBf16, 0.0625f);
  p.policy = SchedulePolicy::kFixedChunk;
  p.fixed_chunk_tokens = 64;
  EXPECT_TRUE(throws_error([&] { plan_layout(p, select_config(p), kWorkers); },
                           ErrorCode::kBadBatch, {"plan pieces"}));
}

TEST_F(HostBadInputs, PlannerCostOverflowsInt64) {
  // 2^17 requests x 2 tiles x 2^30 tokens x 65536 workers: the planner's
  // w * total / workers would overflow int64 (it did, before plan_layout
  // refused such shapes).
  DecodeProblem p = make_uniform_problem(1 << 17, 128, 1, 1 << 16, 1, 1 << 14,
                                         KvDtype::kBf16, 0.0625f);
  EXPECT_TRUE(throws_error([&] { plan_layout(p, select_config(p), 65536); },
                           ErrorCode::kBadBatch,
                           {"planner cost", "workers = 65536"}));
  EXPECT_NO_THROW(plan_layout(p, select_config(p), 132));
}

// --- Workers, config and layout ----------------------------------------------

TEST_F(HostBadInputs, WorkersZero) {
  layout_.workers = 0;
  EXPECT_TRUE(plan_refused(ErrorCode::kBadWorkers, {"workers", "got 0"}));
}

TEST_F(HostBadInputs, WorkersAboveMax) {
  layout_.workers = 65537;
  EXPECT_TRUE(plan_refused(ErrorCode::kBadWorkers, {"workers", "got 65537"}));
}

// Each config field out of its range: refused with its name and value, the
// other fields as select_config() made them. The planner knobs
// (src/core/config_knobs.h) one below their least and one above their most.
TEST_F(HostBadInputs, ConfigFieldsOutOfRange) {
  struct BadField {
    int KernelConfig::*field;
    int value;
    const char* name;
  };
  std::vector<BadField> bad_fields = {
      {&KernelConfig::tile_rows, 0, "tile_rows"},
      {&KernelConfig::tile_rows, 1025, "tile_rows"},
      {&KernelConfig::kv_block_tokens, 0, "kv_block_tokens"},
      {&KernelConfig::split_align_tokens, 0, "split_align_tokens"},
      {&KernelConfig::fixed_chunk_tokens, 0, "fixed_chunk_tokens"},
  };
  for (const detail::ConfigKnob& knob : detail::kConfigKnobs) {
    bad_fields.push_back({knob.field, knob.least - 1, knob.name});
    if (knob.most != INT_MAX) bad_fields.push_back({knob.field, knob.most + 1, knob.name});
  }
  const KernelConfig good = config_;
  for (const BadField& bad : bad_fields) {
    config_ = good;
    config_.*bad.field = bad.value;
    EXPECT_TRUE(plan_refused(ErrorCode::kBadConfig,
                             {bad.name, "got " + std::to_string(bad.value)}))
        << bad.name << " = " << bad.value;
  }
}

TEST_F(HostBadInputs, LayoutForAnotherProblem) {
  DecodeProblem bigger = problem_;
  bigger.batch = 4;
  bigger.total_q = 8;
  layout_ = plan_layout(bigger, config_, kWorkers);
  EXPECT_TRUE(plan_refused(ErrorCode::kPlanMismatch, {"plan_bytes"}));
}

TEST_F(HostBadInputs, LayoutForAnotherConfig) {
  KernelConfig other = config_;
  other.tile_rows = 32;
  layout_ = plan_layout(problem_, other, kWorkers);
  EXPECT_TRUE(plan_refused(ErrorCode::kPlanMismatch, {"plan_bytes"}));
}

TEST_F(HostBadInputs, LayoutWithShrunkWorkspace) {
  // A caller that sized its workspace smaller than plan_layout said.
  layout_.workspace_bytes /= 2;
  EXPECT_TRUE(plan_refused(ErrorCode::kPlanMismatch, {"workspace_bytes"}));
}

// --- Lengths (host copies) ---------------------------------------------------

TEST_F(HostBadInputs, SeqLensNull) {
  seqlens_.clear();
  EXPECT_TRUE(plan_refused(ErrorCode::kNullPointer, {"seqlens"}));
}

TEST_F(HostBadInputs, SeqLenNegative) {
  seqlens_[1] = -1;
  EXPECT_TRUE(plan_refused(ErrorCode::kBadSeqLen, {"seqlens[1]", "got -1"}));
}

TEST_F(HostBadInputs, SeqLenPastBlockTable) {
  seqlens_[2] = 65;  // 4 pages of 16
  EXPECT_TRUE(
      plan_refused(ErrorCode::kBadSeqLen, {"seqlens[2]", "64", "got 65"}));
}

TEST_F(HostBadInputs, QoIndptrNullWhenRagged) {
  qo_indptr_.clear();
  EXPECT_TRUE(plan_refused(ErrorCode::kNullPointer, {"qo_indptr"}));
}

TEST_F(HostBadInputs, QoIndptrNotStartingAtZero) {
  qo_indptr_[0] = 1;
  EXPECT_TRUE(plan_refused(ErrorCode::kBadQoIndptr, {"qo_indptr[0]", "got 1"}));
}

TEST_F(HostBadInputs, QoIndptrDecreasing) {
  qo_indptr_[2] = 1;  // {0, 2, 1, 5}
  EXPECT_TRUE(plan_refused(ErrorCode::kBadQoIndptr, {"request 1", "got -1"}));
}

TEST_F(HostBadInputs, QueryLongerThanMaxQLen) {
  qo_indptr_ = {0, 3, 4, 5};  // request 0 has 3 tokens, max_q_len is 2
  EXPECT_TRUE(plan_refused(ErrorCode::kBadQoIndptr,
                           {"request 0", "max_q_len = 2", "got 3"}));
}

TEST_F(HostBadInputs, QoIndptrPastTotalQ) {
  problem_.total_q = 4;  // qo_indptr[3] is 5
  layout_ = plan_layout(problem_, config_, kWorkers);
  plan_buffer_.assign(layout_.plan_bytes, kPoison);
  EXPECT_TRUE(plan_refused(ErrorCode::kBadQoIndptr,
                           {"qo_indptr[batch]", "total_q = 4", "got 5"}));
}

// --- Plan buffers ------------------------------------------------------------

TEST_F(HostBadInputs, PlanBufferNull) {
  EXPECT_TRUE(plan_refused(ErrorCode::kNullPointer, {"plan_buffer"}, nullptr));
}

TEST_F(HostBadInputs, StalePlanForOtherLengths) {
  // A plan kept from the previous step of a decode loop.
  HostPlan plan = make_host_plan(problem_, config_, kWorkers, lengths());
  const std::vector<std::byte> before = plan.buffer;
  seqlens_[0] = 41;
  EXPECT_TRUE(throws_error(
      [&] {
        validate_plan(problem_, config_, plan.layout, lengths(),
                      plan.buffer.data());
      },
      ErrorCode::kPlanInvalid, {"kv_len 40", "seqlens[0] is 41"}));
  EXPECT_EQ(plan.buffer, before);
}

TEST_F(HostBadInputs, PlanRejectedByDevicePlanner) {
  // The device planner reports lengths it cannot plan in the header status.
  HostPlan plan = make_host_plan(problem_, config_, kWorkers, lengths());
  plan.view().header->status = 1;
  EXPECT_TRUE(throws_error(
      [&] {
        validate_plan(problem_, config_, plan.layout, lengths(),
                      plan.buffer.data());
      },
      ErrorCode::kPlanInvalid, {"plan status is 1"}));
}

TEST_F(HostBadInputs, HostPlanBufferShorterThanLayout) {
  HostPlan plan = make_host_plan(problem_, config_, kWorkers, lengths());
  plan.buffer.resize(plan.layout.plan_bytes / 2);
  EXPECT_TRUE(
      throws_error([&] { execute_plan(step_.problem, plan, step_.inputs); },
                   ErrorCode::kBufferTooSmall,
                   {"plan.buffer holds " + std::to_string(plan.buffer.size()),
                    std::to_string(plan.layout.plan_bytes)}));
}

TEST_F(HostBadInputs, ExecutePlanMadeForAnotherProblem) {
  DecodeProblem other = problem_;
  other.num_heads = 16;
  HostPlan plan = make_host_plan(other, config_, kWorkers, lengths());
  const std::vector<std::byte> before = plan.buffer;
  EXPECT_TRUE(throws_error(
      [&] { execute_plan(step_.problem, plan, step_.inputs); },
      ErrorCode::kPlanMismatch, {"plan layout was made for another problem"}));
  EXPECT_EQ(plan.buffer, before);
}

// --- Host tensors of reference_decode / execute_plan -------------------------

TEST_F(HostBadInputs, QWrongSize) {
  step_.inputs.q.pop_back();
  EXPECT_TRUE(inputs_refused(ErrorCode::kBadTensor, {"q holds"}));
}

TEST_F(HostBadInputs, KvCacheWrongSize) {
  step_.inputs.kv_cache.resize(step_.inputs.kv_cache.size() + 1);
  EXPECT_TRUE(inputs_refused(ErrorCode::kBadTensor, {"kv_cache holds"}));
}

TEST_F(HostBadInputs, BlockTableWrongSize) {
  step_.inputs.block_table.pop_back();
  EXPECT_TRUE(inputs_refused(ErrorCode::kBadTensor, {"block_table holds"}));
}

TEST_F(HostBadInputs, SeqLensWrongCount) {
  step_.inputs.seqlens.push_back(1);
  EXPECT_TRUE(inputs_refused(ErrorCode::kBadTensor, {"seqlens holds 4"}));
}

TEST_F(HostBadInputs, BlockTableEntryNegative) {
  step_.inputs.block_table[1] = -3;  // request 0's second page (tokens 16..31)
  EXPECT_TRUE(inputs_refused(ErrorCode::kBadBlockTable,
                             {"block_table[0][1]", "got -3"}));
}

TEST_F(HostBadInputs, BlockTableEntryPastNumPages) {
  const int width = step_.problem.max_pages_per_request;
  step_.inputs.block_table[2 * width + 1] = int32_t(step_.problem.num_pages);
  EXPECT_TRUE(inputs_refused(
      ErrorCode::kBadBlockTable,
      {"block_table[2][1]",
       "num_pages = " + std::to_string(step_.problem.num_pages)}));
}

TEST_F(HostBadInputs, Fp8KvScaleZero) {
  RandomStep step = make_step(KvDtype::kFp8E4m3);
  step.inputs.kv_scale = 0.f;
  HostPlan plan = make_host_plan(step.problem, config_, kWorkers,
                                 step.inputs.lengths(step.problem));
  EXPECT_TRUE(inputs_refused(step, plan, ErrorCode::kBadKvScale,
                             {"kv_scale", "got 0"}));
}

TEST_F(HostBadInputs, Fp8KvScaleNaN) {
  RandomStep step = make_step(KvDtype::kFp8E4m3);
  step.inputs.kv_scale = std::numeric_limits<float>::quiet_NaN();
  HostPlan plan = make_host_plan(step.problem, config_, kWorkers,
                                 step.inputs.lengths(step.problem));
  EXPECT_TRUE(inputs_refused(step, plan, ErrorCode::kBadKvScale,
                             {"kv_scale", "got nan"}));
}

}  // namespace
}  // namespace mladec::test
