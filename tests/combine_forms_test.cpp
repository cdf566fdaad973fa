// The combine's form per plan layout (src/core/combine_forms.h): the
// benchmark's small-batch cells on an H200's 132 workers, whose forms were
// measured (bench/NOTES.md v25, v65, v103), and the three forms the GPU
// batch-invariance test compares (tests/gpu/test_batch_invariance.cpp).
#include <gtest/gtest.h>

#include <string>
#include <tuple>
#include <vector>

#include "mladec/config.h"
#include "mladec/plan.h"
#include "src/core/combine_forms.h"
#include "tests/support/lengths_case.h"

namespace mladec::test {
namespace {

constexpr int kWorkers = 132;  // an H200's SMs

enum class Form { kChunks, kQuarterRows, kRows };

Form form_of(const PlanLayout& layout) {
  if (detail::combine_by_chunks(layout)) return Form::kChunks;
  return detail::combine_row_warps(layout) == detail::kQuarterRowWarps ? Form::kQuarterRows
                                                                      : Form::kRows;
}

PlanLayout layout_of(const DecodeProblem& problem) {
  return plan_layout(problem, select_config(problem), kWorkers);
}

TEST(CombineForms, SmallBatchCells) {
  // batch, h_q, form. 16 requests at h_q 16 left the chunk form in v103:
  // 1,024 chunk CTAs took 18.7 µs at 16×1024, four-warp rows 15.1.
  const std::vector<std::tuple<int, int, Form>> cells = {
      {1, 16, Form::kChunks},       {4, 16, Form::kChunks},
      {16, 16, Form::kQuarterRows}, {32, 16, Form::kQuarterRows},
      {1, 128, Form::kChunks},      {4, 128, Form::kQuarterRows},
      {16, 128, Form::kRows},       {32, 128, Form::kRows},
  };
  for (const auto& [batch, heads, form] : cells) {
    for (int kv_len : {1024, 4096, 32768}) {
      SCOPED_TRACE(std::to_string(batch) + "x" + std::to_string(kv_len) + " h_q " +
                   std::to_string(heads));
      const PlanLayout layout = layout_of(fixed_lengths_case(batch, heads, 1, kv_len).problem);
      EXPECT_EQ(form_of(layout), form);
    }
  }
}

TEST(CombineForms, ChunkFormAtMostFourBlocksPerWorker) {
  // h_q 16, s_q 1: 64 chunk CTAs a request, so 8 requests (512) are the
  // last in the chunk form on 132 workers (528) and 9 (576) the first out.
  const PlanLayout eight = layout_of(fixed_lengths_case(8, 16, 1, 4096).problem);
  const PlanLayout nine = layout_of(fixed_lengths_case(9, 16, 1, 4096).problem);
  EXPECT_EQ(detail::combine_chunk_blocks(eight), 512);
  EXPECT_EQ(detail::combine_chunk_blocks(nine), 576);
  EXPECT_TRUE(detail::combine_by_chunks(eight));
  EXPECT_FALSE(detail::combine_by_chunks(nine));
  // The rule scales with the workers: 144 of them take nine requests.
  const DecodeProblem problem = fixed_lengths_case(9, 16, 1, 4096).problem;
  EXPECT_TRUE(detail::combine_by_chunks(plan_layout(problem, select_config(problem), 144)));
}

TEST(CombineForms, BatchInvarianceShapes) {
  // The GPU batch-invariance test's request (s_q 2, FixedChunk) alone, in a
  // few (12 requests at h_q 16, 2 at h_q 128) and in a batch of 48.
  for (int heads : {16, 128}) {
    SCOPED_TRACE("h_q " + std::to_string(heads));
    const auto shape = [&](int batch) {
      DecodeProblem problem = make_lengths_case(heads, 64, std::vector<int32_t>(batch, 1500),
                                                std::vector<int32_t>(batch, 2), false,
                                                SchedulePolicy::kFixedChunk)
                                  .problem;
      problem.fixed_chunk_tokens = 256;  // as the GPU test: every unit split
      return problem;
    };
    EXPECT_EQ(form_of(layout_of(shape(1))), heads == 16 ? Form::kChunks : Form::kQuarterRows);
    EXPECT_EQ(form_of(layout_of(shape(heads == 16 ? 12 : 2))), Form::kQuarterRows);
    EXPECT_EQ(form_of(layout_of(shape(48))), Form::kRows);
  }
}

}  // namespace
}  // namespace mladec::test
