#pragma once
#include "mladec/decode.h"

namespace mladec::detail {

// seqlens (and qo_indptr when ragged): device int32 vectors of the right
// length. Throws mladec::Error.
void check_lengths_tensors(const DecodeProblem& problem, const DecodeArgs& args);

}  // namespace mladec::detail
