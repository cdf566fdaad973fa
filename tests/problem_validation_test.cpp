// Every invalid DecodeProblem field, worker count and length gets its own
// typed error whose message names the field and the offending value, and bad
// lengths change nothing (make_plan writes no byte of the plan).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "mladec/config.h"
#include "mladec/plan.h"
#include "mladec/problem.h"
#include "src/core/kernel_form.h"
#include "tests/support/error_match.h"

namespace mladec::test {
namespace {

DecodeProblem valid_problem() {
  return make_uniform_problem(4, 16, 2, 64, 100, 8, KvDtype::kBf16, 0.0625f);
}

// validate_problem, select_config and plan_layout all reject `p` alike: the
// problem is checked in one place whatever entry point a caller uses.
testing::AssertionResult rejected(const DecodeProblem& p, ErrorCode code,
                                  std::initializer_list<std::string> mentions) {
  for (auto call :
       {+[](const DecodeProblem& q) { validate_problem(q); },
        +[](const DecodeProblem& q) { select_config(q); },
        +[](const DecodeProblem& q) { plan_layout(q, KernelConfig{}, 66); }}) {
    testing::AssertionResult result =
        throws_error([&] { call(p); }, code, mentions);
    if (!result) return result;
  }
  return testing::AssertionSuccess();
}

TEST(ProblemValidation, ValidProblemPasses) {
  EXPECT_NO_THROW(validate_problem(valid_problem()));
  EXPECT_NO_THROW(
      plan_layout(valid_problem(), select_config(valid_problem()), 132));
}

TEST(ProblemValidation, Batch) {
  for (int batch : {0, -3, (1 << 20) + 1}) {
    DecodeProblem p = valid_problem();
    p.batch = batch;
    p.total_q = int64_t(batch) * p.max_q_len;
    EXPECT_TRUE(
        rejected(p, ErrorCode::kBadBatch, {"batch", std::to_string(batch)}));
  }
}

TEST(ProblemValidation, NumHeads) {
  for (int heads : {0, -1, 129}) {
    DecodeProblem p = valid_problem();
    p.num_heads = heads;
    EXPECT_TRUE(rejected(p, ErrorCode::kBadNumHeads,
                         {"num_heads", std::to_string(heads)}));
  }
}

TEST(ProblemValidation, MaxQLen) {
  for (int q_len : {0, -2, 65}) {
    DecodeProblem p = valid_problem();
    p.max_q_len = q_len;
    p.total_q = int64_t(p.batch) * q_len;
    EXPECT_TRUE(
        rejected(p, ErrorCode::kBadQLen, {"max_q_len", std::to_string(q_len)}));
  }
}

TEST(ProblemValidation, TotalQUniform) {
  DecodeProblem p = valid_problem();
  p.total_q = 9;  // batch 4 x 2 tokens = 8
  EXPECT_TRUE(rejected(p, ErrorCode::kBadTotalQ, {"total_q", "got 9"}));
}

TEST(ProblemValidation, TotalQRagged) {
  for (int64_t total_q : {int64_t(-1), int64_t(9)}) {
    DecodeProblem p = valid_problem();
    p.ragged_q = true;
    p.total_q = total_q;
    EXPECT_TRUE(rejected(p, ErrorCode::kBadTotalQ,
                         {"total_q", "got " + std::to_string(total_q)}));
  }
}

TEST(ProblemValidation, PageSize) {
  for (int page_size : {0, -64}) {
    DecodeProblem p = valid_problem();
    p.page_size = page_size;
    EXPECT_TRUE(rejected(p, ErrorCode::kBadPageSize,
                         {"page_size", std::to_string(page_size)}));
  }
}

TEST(ProblemValidation, NumPages) {
  for (int64_t pages : {int64_t(0), int64_t(-5)}) {
    DecodeProblem p = valid_problem();
    p.num_pages = pages;
    EXPECT_TRUE(rejected(p, ErrorCode::kBadNumPages,
                         {"num_pages", std::to_string(pages)}));
  }
}

TEST(ProblemValidation, MaxPagesPerRequest) {
  for (int width : {0, -1}) {
    DecodeProblem p = valid_problem();
    p.max_pages_per_request = width;
    EXPECT_TRUE(rejected(p, ErrorCode::kBadBlockTableWidth,
                         {"max_pages_per_request", std::to_string(width)}));
  }
  // A block table addressing more than 2^30 tokens would overflow indices.
  DecodeProblem p = valid_problem();
  p.page_size = 1 << 16;
  p.max_pages_per_request = (1 << 14) + 1;
  EXPECT_TRUE(rejected(
      p, ErrorCode::kBadBlockTableWidth,
      {"max_pages_per_request * page_size",
       std::to_string(int64_t(p.page_size) * p.max_pages_per_request)}));
}

TEST(ProblemValidation, KvDtype) {
  DecodeProblem p = valid_problem();
  p.kv_dtype = static_cast<KvDtype>(7);
  EXPECT_TRUE(rejected(p, ErrorCode::kBadKvDtype, {"kv_dtype", "7"}));
}

TEST(ProblemValidation, Fp8ComputeNeedsAnE4m3Cache) {
  for (KvDtype dtype : {KvDtype::kBf16, KvDtype::kFp8Blockwise}) {
    DecodeProblem p = valid_problem();
    p.kv_dtype = dtype;
    p.fp8_compute = true;
    EXPECT_TRUE(rejected(p, ErrorCode::kBadKvDtype, {"fp8_compute", kv_dtype_name(dtype)}));
  }
  DecodeProblem p = valid_problem();
  p.kv_dtype = KvDtype::kFp8E4m3;
  p.fp8_compute = true;
  EXPECT_NO_THROW(validate_problem(p));
}

// The mode runs at 64-row tiles only; smaller tiles keep the exact path.
TEST(ProblemValidation, Fp8ComputeRunsAtRowFormTiles) {
  DecodeProblem p = valid_problem();
  p.kv_dtype = KvDtype::kFp8E4m3;
  p.fp8_compute = true;
  for (int heads : {1, 16, 32, 33, 64, 128}) {
    p.num_heads = heads;
    const KernelConfig config = select_config(p);
    EXPECT_EQ(config.fp8_compute, config.tile_rows == 64) << heads;
    EXPECT_EQ(config.fp8_compute, heads * p.max_q_len > 32) << heads;
  }
  p.fp8_compute = false;
  EXPECT_FALSE(select_config(p).fp8_compute);
}

TEST(ProblemValidation, SoftmaxScale) {
  const float inf = std::numeric_limits<float>::infinity();
  const std::pair<float, const char*> cases[] = {{0.f, "got 0"},
                                                 {-0.5f, "got -0.5"},
                                                 {std::nanf(""), "got nan"},
                                                 {inf, "got inf"},
                                                 {-inf, "got -inf"}};
  for (const auto& [scale, shown] : cases) {
    DecodeProblem p = valid_problem();
    p.softmax_scale = scale;
    EXPECT_TRUE(
        rejected(p, ErrorCode::kBadSoftmaxScale, {"softmax_scale", shown}));
  }
}

TEST(ProblemValidation, Policy) {
  DecodeProblem p = valid_problem();
  p.policy = static_cast<SchedulePolicy>(5);
  EXPECT_TRUE(rejected(p, ErrorCode::kBadPolicy, {"policy", "5"}));
}

TEST(ProblemValidation, FixedChunkTokens) {
  for (int chunk : {-64, 100, 1}) {
    DecodeProblem p = valid_problem();
    p.policy = SchedulePolicy::kFixedChunk;
    p.fixed_chunk_tokens = chunk;
    EXPECT_TRUE(
        rejected(p, ErrorCode::kBadFixedChunk,
                 {"fixed_chunk_tokens", "got " + std::to_string(chunk)}));
  }
}

TEST(ProblemValidation, Workers) {
  const DecodeProblem p = valid_problem();
  const KernelConfig config = select_config(p);
  for (int workers : {0, -1, 65537}) {
    EXPECT_TRUE(throws_error([&] { plan_layout(p, config, workers); },
                             ErrorCode::kBadWorkers,
                             {"workers", std::to_string(workers)}));
  }
}

TEST(ProblemValidation, Config) {
  const DecodeProblem p = valid_problem();
  KernelConfig config = select_config(p);
  config.tile_rows = 0;
  EXPECT_TRUE(throws_error([&] { plan_layout(p, config, 7); },
                           ErrorCode::kBadConfig, {"tile_rows", "got 0"}));
}

// The kernel form (src/core/kernel_form.h): select_config()'s own config
// passes with any planner knob changed; another tile_rows, fp8_compute or
// blockwise_products is refused with both values named.
TEST(ProblemValidation, KernelFormIsSelectConfigs) {
  for (KvDtype dtype : {KvDtype::kBf16, KvDtype::kFp8E4m3, KvDtype::kFp8Blockwise}) {
    for (int heads : {8, 20, 32, 128}) {
      DecodeProblem p = valid_problem();
      p.kv_dtype = dtype;
      p.num_heads = heads;
      KernelConfig config = select_config(p);
      config.split_overhead_tokens += 64;
      config.concurrent_tiles = !config.concurrent_tiles;
      EXPECT_NO_THROW(detail::require_selected_kernel_form(p, config));
      for (int rows : {16, 32, 64}) {
        if (rows == config.tile_rows) continue;
        KernelConfig other = config;
        other.tile_rows = rows;
        EXPECT_TRUE(throws_error([&] { detail::require_selected_kernel_form(p, other); },
                                 ErrorCode::kBadConfig,
                                 {"config.tile_rows is " + std::to_string(rows),
                                  "gives this problem " + std::to_string(config.tile_rows)}));
      }
    }
  }
  DecodeProblem p = valid_problem();
  p.kv_dtype = KvDtype::kFp8E4m3;
  p.num_heads = 128;
  KernelConfig config = select_config(p);
  config.fp8_compute = true;  // the problem did not ask for it
  EXPECT_TRUE(throws_error([&] { detail::require_selected_kernel_form(p, config); },
                           ErrorCode::kBadConfig,
                           {"config.fp8_compute is true", "gives this problem false"}));
  p.kv_dtype = KvDtype::kFp8Blockwise;
  config = select_config(p);
  config.blockwise_products = BlockwiseProducts::kExact;  // 64-row tiles round to bf16
  EXPECT_TRUE(throws_error([&] { detail::require_selected_kernel_form(p, config); },
                           ErrorCode::kBadConfig,
                           {"config.blockwise_products is exact", "gives this problem rounded"}));
}

class LengthsValidation : public testing::Test {
 protected:
  // Ragged: 4 requests of up to 2 tokens, 8 pages of 64 = 512 tokens each.
  LengthsValidation() : problem_(valid_problem()) { problem_.ragged_q = true; }
  testing::AssertionResult bad_lengths(
      ErrorCode code, std::initializer_list<std::string> mentions) {
    const RequestLengths lengths{seqlens_.data(), qo_indptr_.data()};
    return throws_error([&] { validate_lengths(problem_, lengths); }, code,
                        mentions);
  }

  DecodeProblem problem_;
  std::vector<int32_t> seqlens_{10, 0, 512, 1};
  std::vector<int32_t> qo_indptr_{0, 2, 3, 3, 5};
};

TEST_F(LengthsValidation, ValidLengthsPass) {
  EXPECT_NO_THROW(
      validate_lengths(problem_, {seqlens_.data(), qo_indptr_.data()}));
}

TEST_F(LengthsValidation, NegativeSeqLen) {
  seqlens_[1] = -4;
  EXPECT_TRUE(bad_lengths(ErrorCode::kBadSeqLen, {"seqlens[1]", "got -4"}));
}

TEST_F(LengthsValidation, SeqLenPastBlockTable) {
  seqlens_[2] = 513;
  EXPECT_TRUE(
      bad_lengths(ErrorCode::kBadSeqLen, {"seqlens[2]", "512", "got 513"}));
}

TEST_F(LengthsValidation, QoIndptrNotStartingAtZero) {
  qo_indptr_[0] = 1;
  EXPECT_TRUE(bad_lengths(ErrorCode::kBadQoIndptr, {"qo_indptr[0]", "got 1"}));
}

TEST_F(LengthsValidation, QoIndptrDecreasing) {
  qo_indptr_[2] = 1;
  EXPECT_TRUE(bad_lengths(ErrorCode::kBadQoIndptr, {"request 1", "got -1"}));
}

TEST_F(LengthsValidation, QueryLongerThanMaxQLen) {
  qo_indptr_ = {0, 3, 3, 3, 3};
  EXPECT_TRUE(bad_lengths(ErrorCode::kBadQoIndptr,
                          {"request 0", "max_q_len = 2", "got 3"}));
}

TEST_F(LengthsValidation, QoIndptrPastTotalQ) {
  problem_.total_q = 4;
  EXPECT_TRUE(bad_lengths(ErrorCode::kBadQoIndptr,
                          {"qo_indptr[batch]", "total_q = 4", "got 5"}));
}

TEST_F(LengthsValidation, NullSeqLens) {
  EXPECT_TRUE(throws_error(
      [&] {
        validate_lengths(problem_, {nullptr, qo_indptr_.data()});
      },
      ErrorCode::kNullPointer, {"seqlens"}));
}

TEST_F(LengthsValidation, NullQoIndptrWhenRagged) {
  EXPECT_TRUE(throws_error(
      [&] {
        validate_lengths(problem_, {seqlens_.data(), nullptr});
      },
      ErrorCode::kNullPointer, {"qo_indptr"}));
}

TEST_F(LengthsValidation, BadLengthsLeaveThePlanUntouched) {
  const KernelConfig config = select_config(problem_);
  const PlanLayout layout = plan_layout(problem_, config, 7);
  std::vector<std::byte> buffer(layout.plan_bytes, std::byte{0xab});
  const std::vector<std::byte> before = buffer;
  seqlens_[3] = -1;
  EXPECT_TRUE(throws_error(
      [&] {
        make_plan(problem_, config, layout,
                  {seqlens_.data(), qo_indptr_.data()}, buffer.data());
      },
      ErrorCode::kBadSeqLen, {"seqlens[3]"}));
  EXPECT_EQ(buffer, before);
}

}  // namespace
}  // namespace mladec::test
