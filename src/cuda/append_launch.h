#pragma once
// What the append kernel needs, checked and resolved to raw pointers and
// byte strides by append_kv().
#include <cuda_runtime_api.h>

#include <cstdint>

#include "mladec/problem.h"

namespace mladec::detail {

struct AppendParams {
  const uint16_t* latent;   // bf16 bits, token t's row at latent + t * latent_stride
  const uint16_t* rope;     // bf16 bits, likewise
  int64_t latent_stride;    // elements
  int64_t rope_stride;      // elements
  // Whether a row can be read with 16-byte loads (base and stride aligned);
  // otherwise the kernel reads it value by value.
  bool latent_vector_loads;
  bool rope_vector_loads;
  const int64_t* slots;
  uint8_t* cache;           // 16-byte aligned rows (checked)
  int64_t page_bytes;       // kv_cache.stride[0] in bytes
  int64_t row_bytes;        // kv_cache.stride[1] in bytes
  int64_t tokens;           // >= 1
  int64_t page_size;
  int64_t num_slots;        // slots outside [0, num_slots) are skipped
  float kv_scale;           // fp8_e4m3
};

// One warp per token (grid-stride), for KV format dtype.
void launch_append(KvDtype dtype, const AppendParams& params, cudaStream_t stream);

}  // namespace mladec::detail
