#pragma once
#include <gtest/gtest.h>

#include "mladec/compare.h"

namespace mladec::test {

// compare_outputs() against `tolerance` as a gtest assertion that reports
// the errors and the first bad row.
testing::AssertionResult matches_reference(const DecodeProblem& problem,
                                           const HostDecodeInputs& inputs,
                                           const HostDecodeOutputs& reference,
                                           const HostDecodeOutputs& result,
                                           const Tolerance& tolerance);

}  // namespace mladec::test
