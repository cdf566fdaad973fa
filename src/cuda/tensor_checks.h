#pragma once
#include "mladec/decode.h"

namespace mladec::detail {

// seqlens (and qo_indptr when ragged): device int32 vectors of the right
// length. Throws mladec::Error.
void check_lengths_tensors(const DecodeProblem& problem, const DecodeArgs& args);

// A non-null pointer to device (or managed) memory, e.g. a plan buffer or a
// workspace; throws kNullPointer or kBadTensor naming `name`.
void check_device_buffer(const void* data, const char* name);

}  // namespace mladec::detail
