#pragma once
// Appending new tokens to a paged KV cache: each token's 512 latent and 64
// RoPE values are encoded in the cache's format (DESIGN §3; byte for byte
// what encode_kv_token() writes) into the cache row of its slot.
#if MLADEC_WITH_CUDA
#include <cuda_runtime_api.h>
#endif

#include "mladec/problem.h"
#include "mladec/tensor.h"

namespace mladec {

struct AppendArgs {
  TensorView latent;    // [n, 512] bf16, last dim contiguous, stride[0] >= 0
  TensorView rope;      // [n, 64] bf16, last dim contiguous, stride[0] >= 0
  TensorView slots;     // [n] int64: page * page_size + offset in the cache;
                        // negative: skip this token (padding)
  TensorView kv_cache;  // [num_pages, page_size, kv_cache_token_elements]
                        // of kv_cache_scalar_type (tensor.h); rows 16-byte
                        // aligned, no two rows overlapping
  float kv_scale = 1.f;  // fp8_e4m3 only: stored = e4m3(value / kv_scale),
                         // finite and > 0
};

// Both entry points check every argument first and throw mladec::Error
// without writing anything: null tensors (kNullPointer); dtypes, ranks,
// shapes that disagree (latent, rope and slots must share n), a last
// dimension that is strided, a misaligned or self-overlapping cache, or
// num_pages or page_size < 1 (kBadTensor); an unknown dtype (kBadKvDtype);
// a bad kv_scale for fp8_e4m3 (kBadKvScale). n = 0 is valid and writes
// nothing (the tensors must still not be null).

#if MLADEC_WITH_CUDA
// On the GPU: every tensor in device (or managed) memory. The slots are not
// read on the host, so a slot >= num_pages * page_size cannot be reported:
// the kernel skips it like a negative one and never writes out of bounds.
// Nor are repeated slots detected: such a row ends up holding bytes of any
// of its tokens. Capturable in a CUDA graph.
void append_kv(KvDtype dtype, const AppendArgs& args, cudaStream_t stream);
#endif

// On the host (tests, tools without a GPU): the same checks, and the slots are read
// before anything is written: one >= num_pages * page_size, or one that
// repeats an earlier non-negative slot, throws kBadSlot.
void append_kv_host(KvDtype dtype, const AppendArgs& args);

}  // namespace mladec
