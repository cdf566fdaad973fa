#include "mladec/compare.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "mladec/constants.h"
#include "src/core/require.h"

namespace mladec {

namespace {

// Rows [0, rows) of ref and got, which are output rows first_row + i.
Comparison compare_row_range(int num_heads, int64_t first_row, int64_t rows,
                             const HostDecodeOutputs& ref,
                             const HostDecodeOutputs& got) {
  Comparison c;
  double diff2 = 0, ref2 = 0;
  for (int64_t row = 0; row < rows; ++row) {
    const double ref_lse = ref.lse[row];
    const double got_lse = got.lse[row];
    bool bad = std::isnan(got_lse);
    double row_diff2 = 0;
    bool row_differs = false;  // exact: differences under 1e-162 square to 0
    for (int d = 0; d < kLatentDim; ++d) {
      const double r = ref.out[row * kLatentDim + d];
      const double g = got.out[row * kLatentDim + d];
      bad = bad || std::isnan(g);
      row_differs = row_differs || g != r;
      row_diff2 += (g - r) * (g - r);
      ref2 += r * r;
    }
    diff2 += row_diff2;
    if (std::isinf(ref_lse)) {
      bad = bad || !(std::isinf(got_lse) && got_lse < 0) || row_differs;
    } else if (!bad) {
      c.max_lse_error = std::max(c.max_lse_error, std::fabs(got_lse - ref_lse));
    }
    if (bad && c.bad_rows++ == 0) {
      const int64_t output_row = first_row + row;
      std::ostringstream s;
      s << "row " << output_row << " (token " << output_row / num_heads
        << ", head " << output_row % num_heads << "): lse " << got_lse
        << " vs " << ref_lse << ", out[0] " << got.out[row * kLatentDim]
        << " vs " << ref.out[row * kLatentDim];
      c.first_bad = s.str();
    }
  }
  c.relative_error = ref2 > 0 ? std::sqrt(diff2 / ref2) : std::sqrt(diff2);
  return c;
}

}  // namespace

Comparison compare_outputs(const DecodeProblem& p, const HostDecodeInputs& in,
                           const HostDecodeOutputs& ref,
                           const HostDecodeOutputs& got) {
  const int64_t covered_tokens = in.qo_indptr[p.batch];
  return compare_row_range(p.num_heads, 0, covered_tokens * p.num_heads, ref,
                           got);
}

Comparison compare_rows(int num_heads, int64_t first_row,
                        const HostDecodeOutputs& ref,
                        const HostDecodeOutputs& got) {
  const size_t rows = ref.lse.size();
  detail::require(ref.out.size() == rows * kLatentDim &&
                      got.lse.size() == rows &&
                      got.out.size() == rows * kLatentDim,
                  ErrorCode::kBadTensor,
                  "compare_rows needs the same rows (512 output values and "
                  "one lse each) in both results: the reference holds ",
                  ref.out.size(), " and ", rows, ", the result ",
                  got.out.size(), " and ", got.lse.size());
  detail::require(num_heads >= 1, ErrorCode::kBadNumHeads,
                  "num_heads must be >= 1, got ", num_heads);
  return compare_row_range(num_heads, first_row, int64_t(rows), ref, got);
}

bool within(const Comparison& c, const Tolerance& t) {
  return c.bad_rows == 0 && c.relative_error < t.relative &&
         c.max_lse_error < t.lse;
}

}  // namespace mladec
