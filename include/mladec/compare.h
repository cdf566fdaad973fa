#pragma once
#include <cstdint>
#include <string>

#include "mladec/reference.h"

namespace mladec {

// How far a result is from the reference (DESIGN §7), over the rows that
// belong to a request (ragged q may have trailing rows that belong to none).
struct Comparison {
  double relative_error = 0;  // ||out - ref|| / ||ref||
  double max_lse_error = 0;   // over rows with a visible key
  int64_t bad_rows = 0;       // NaN anywhere, or a row with no visible key
                              // whose out is not 0 or lse not -inf
  std::string first_bad;      // description of the first bad row
};

struct Tolerance {
  double relative;
  double lse;
};
// bf16 outputs of the GPU kernels against the float64 reference.
inline constexpr Tolerance kGpuTolerance{1e-2, 1e-3};
// The fp8-compute mode (DecodeProblem::fp8_compute) against its reference,
// which quantizes Q as the kernel does: P's e4m3 rounding (3 bits) is what
// remains (bench/NOTES.md, the mode's measured errors).
inline constexpr Tolerance kFp8ComputeTolerance{5e-2, 5e-3};
// The CPU executor computes in float64 like the reference.
inline constexpr Tolerance kCpuTolerance{1e-9, 1e-9};

Comparison compare_outputs(const DecodeProblem& problem,
                           const HostDecodeInputs& inputs,
                           const HostDecodeOutputs& reference,
                           const HostDecodeOutputs& result);

// compare_outputs() for results that hold only some consecutive output rows
// (row = token * num_heads + head), such as reference_request_rows() gives:
// both hold the same rows, the first of which is output row `first_row`
// (it names rows in first_bad). Throws kBadTensor for unequal sizes.
Comparison compare_rows(int num_heads, int64_t first_row,
                        const HostDecodeOutputs& reference,
                        const HostDecodeOutputs& result);

// False for any bad row or NaN error, so a poisoned output never passes.
bool within(const Comparison& comparison, const Tolerance& tolerance);

}  // namespace mladec
