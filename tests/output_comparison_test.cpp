// compare_outputs / within, which every executor test relies on, reject each
// way a result can be wrong and ignore only rows that belong to no request.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "mladec/compare.h"
#include "mladec/constants.h"
#include "mladec/random_inputs.h"
#include "tests/support/error_match.h"

namespace mladec::test {
namespace {

class OutputComparison : public testing::Test {
 protected:
  // Ragged, capacity-sized q: request 1 has no KV (its rows are empty, lse
  // -inf) and the last q token belongs to no request.
  OutputComparison() {
    RandomStepSpec spec;
    spec.num_heads = 2;
    spec.page_size = 16;
    spec.seqlens = {30, 0, 45};
    spec.q_lens = {2, 1, 2};
    spec.ragged_q = true;
    step_ = make_random_step(spec);
    step_.problem.total_q = 6;
    step_.inputs.q.resize(size_t(6) * 2 * kHeadDim, 0x7fc0);
    ref_ = reference_decode(step_.problem, step_.inputs);
    got_ = ref_;
  }
  bool accepted() {
    return within(compare_outputs(step_.problem, step_.inputs, ref_, got_),
                  kCpuTolerance);
  }
  size_t row(int token, int head) const { return size_t(token) * 2 + head; }

  RandomStep step_;
  HostDecodeOutputs ref_, got_;
};

constexpr double kInf = std::numeric_limits<double>::infinity();

TEST_F(OutputComparison, AcceptsTheReferenceItself) {
  EXPECT_TRUE(accepted());
  ASSERT_EQ(ref_.lse[row(2, 0)], -kInf) << "request 1 has no KV";
}

TEST_F(OutputComparison, IgnoresRowsOfNoRequest) {
  ASSERT_TRUE(std::isnan(ref_.lse[row(5, 0)]));
  got_.lse[row(5, 1)] = 123;
  got_.out[row(5, 0) * kLatentDim] = std::nan("");
  EXPECT_TRUE(accepted());
}

TEST_F(OutputComparison, RejectsNanOutput) {
  got_.out[row(4, 1) * kLatentDim + 511] = std::nan("");
  EXPECT_FALSE(accepted());
}

TEST_F(OutputComparison, RejectsNanLse) {
  got_.lse[row(0, 0)] = std::nan("");
  EXPECT_FALSE(accepted());
}

TEST_F(OutputComparison, RejectsRelativeErrorAboveTolerance) {
  for (double& v : got_.out) v *= 1 + 2e-9;
  EXPECT_FALSE(accepted());
}

TEST_F(OutputComparison, AcceptsRelativeErrorBelowTolerance) {
  for (double& v : got_.out) v *= 1 + 1e-11;
  EXPECT_TRUE(accepted());
}

TEST_F(OutputComparison, RejectsLseErrorAboveTolerance) {
  got_.lse[row(3, 1)] += 2e-9;
  EXPECT_FALSE(accepted());
}

TEST_F(OutputComparison, RejectsFiniteLseForEmptyRow) {
  got_.lse[row(2, 1)] = -1e300;
  EXPECT_FALSE(accepted());
}

TEST_F(OutputComparison, RejectsNonZeroOutputForEmptyRow) {
  got_.out[row(2, 0) * kLatentDim] = 1e-300;
  EXPECT_FALSE(accepted());
}

TEST_F(OutputComparison, RejectsEmptyLseForRowWithKeys) {
  got_.lse[row(0, 1)] = -kInf;
  EXPECT_FALSE(accepted());
}

TEST_F(OutputComparison, RejectsInfiniteOutput) {
  got_.out[row(1, 0) * kLatentDim + 7] = kInf;
  EXPECT_FALSE(accepted());
}

// compare_rows() on a slice of rows judges them as compare_outputs() does
// and names the bad row by its place in the whole output.
TEST_F(OutputComparison, ComparesASliceOfRowsLikeTheWhole) {
  constexpr int64_t kFirst = 2, kRows = 3;  // rows of tokens 1 and 2
  auto slice = [&](const HostDecodeOutputs& all) {
    HostDecodeOutputs part;
    part.out.assign(all.out.begin() + kFirst * kLatentDim,
                    all.out.begin() + (kFirst + kRows) * kLatentDim);
    part.lse.assign(all.lse.begin() + kFirst, all.lse.begin() + kFirst + kRows);
    return part;
  };
  EXPECT_TRUE(within(compare_rows(2, kFirst, slice(ref_), slice(got_)),
                     kCpuTolerance));
  got_.lse[row(2, 0)] = -1e300;  // output row 4: request 1 has no KV
  const Comparison c = compare_rows(2, kFirst, slice(ref_), slice(got_));
  EXPECT_FALSE(within(c, kCpuTolerance));
  EXPECT_EQ(c.bad_rows, 1);
  EXPECT_EQ(c.first_bad.rfind("row 4 (token 2, head 0)", 0), 0u) << c.first_bad;
  HostDecodeOutputs short_result = slice(got_);
  short_result.lse.pop_back();
  EXPECT_TRUE(throws_error(
      [&] { compare_rows(2, kFirst, slice(ref_), short_result); },
      ErrorCode::kBadTensor, {"same rows", "the result 1536 and 2"}));
}

}  // namespace
}  // namespace mladec::test
