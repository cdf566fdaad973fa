#pragma once
#include <cstddef>
#include <cstdint>

namespace mladec::bench {

// Fills `count` bf16 values with pseudo-random numbers of about unit spread
// (never zeros), keyed by `seed`; asynchronous on the default stream.
void fill_random_bf16(void* data, size_t count, uint64_t seed);

}  // namespace mladec::bench
