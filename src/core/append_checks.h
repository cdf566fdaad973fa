#pragma once
// The argument checks that append_kv() (device) and append_kv_host() share:
// everything about the tensors' layout; where their memory lives and what the
// slots hold is each entry point's own business.
#include <cstdint>

#include "mladec/append.h"

namespace mladec::detail {

// The extents of a checked append.
struct AppendExtents {
  int64_t tokens;     // n
  int64_t page_size;  // kv_cache.shape[1]
  int64_t num_slots;  // num_pages * page_size: slots at or past it are outside
};

// Throws mladec::Error for the first bad argument (see append.h).
AppendExtents check_append_args(KvDtype dtype, const AppendArgs& args);

}  // namespace mladec::detail
