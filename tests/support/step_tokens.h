#pragma once
// Where a random step's KV token lives in its cache, for tests that write
// tokens of their own.
#include <cstddef>
#include <cstdint>

#include "mladec/kv_format.h"
#include "mladec/random_inputs.h"

namespace mladec::test {

// The cache bytes of KV token `token` of request `request`.
inline uint8_t* token_bytes(RandomStep& step, int request, int token) {
  const DecodeProblem& p = step.problem;
  const int32_t page =
      step.inputs.block_table[size_t(request) * p.max_pages_per_request +
                              token / p.page_size];
  const size_t size = size_t(kv_token_bytes(p.kv_dtype));
  return step.inputs.kv_cache.data() +
         (size_t(page) * p.page_size + token % p.page_size) * size;
}

}  // namespace mladec::test
