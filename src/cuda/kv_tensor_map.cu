#include "src/cuda/kv_tensor_map.h"

#include <cuda_runtime_api.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "mladec/constants.h"
#include "src/cuda/decode_layout.cuh"

namespace mladec::detail {

PFN_cuTensorMapEncodeTiled_v12000 tensor_map_encoder() {
  static const PFN_cuTensorMapEncodeTiled_v12000 encoder = [] {
    void* function = nullptr;
    cudaDriverEntryPointQueryResult found = cudaDriverEntryPointSymbolNotFound;
    if (cudaGetDriverEntryPointByVersion("cuTensorMapEncodeTiled", &function, 12000,
                                         cudaEnableDefault, &found) != cudaSuccess ||
        found != cudaDriverEntryPointSuccess) {
      cudaGetLastError();  // leave no error behind: the gather path takes over
      return PFN_cuTensorMapEncodeTiled_v12000(nullptr);
    }
    return reinterpret_cast<PFN_cuTensorMapEncodeTiled_v12000>(function);
  }();
  return encoder;
}

namespace {

bool disabled_by_environment() {
  const char* env = std::getenv("MLADEC_KV_TMA");
  return env != nullptr && std::strcmp(env, "0") == 0;
}

}  // namespace

int make_kv_tensor_map(const DecodeProblem& problem, int tile_rows,
                       const TensorView& kv_cache, CUtensorMap& map, CUtensorMap& rope_map,
                       CUtensorMap& scale_map) {
  // The kernel's block and slab (decode_layout.cuh): a box is one slab's
  // values of the tokens one page contributes to a block.
  using decode_layout::kBlockTokens;
  using decode_layout::kSlabValues;
  const int page = problem.page_size;
  const bool whole_pages = page >= kKvTmaMinPageTokens && kBlockTokens % page == 0;
  // bf16 into 128-byte-swizzled slabs; e4m3 and blockwise as bytes into the
  // register-A path's staged layout (64 bytes per token and slab, 64-byte
  // swizzle: src/core/register_a_layout.h).
  const bool bf16 = problem.kv_dtype == KvDtype::kBf16;
  const bool blockwise = problem.kv_dtype == KvDtype::kFp8Blockwise;
  if ((page % kBlockTokens != 0 && !whole_pages) || disabled_by_environment()) return 0;
  if (gathers_every_block(problem.kv_dtype, tile_rows)) return 0;
  const int box_tokens = page < kBlockTokens ? page : kBlockTokens;
  const uint64_t base = reinterpret_cast<uintptr_t>(kv_cache.data);
  const uint64_t element = scalar_size(kv_cache.dtype);
  const uint64_t token_stride = uint64_t(kv_cache.stride[1]) * element;
  const uint64_t page_stride = uint64_t(kv_cache.stride[0]) * element;
  if (base % 16 != 0 || token_stride % 16 != 0 || page_stride % 16 != 0 ||
      token_stride >= (uint64_t(1) << 40) || page_stride >= (uint64_t(1) << 40)) {
    return 0;
  }
  const PFN_cuTensorMapEncodeTiled_v12000 encode = tensor_map_encoder();
  if (encode == nullptr) return 0;
  // [pages][page tokens][token values or bytes]; a box of `inner` of them
  // from each of box_tokens tokens.
  const cuuint64_t dims[3] = {cuuint64_t(bf16 ? kHeadDim : kv_token_bytes(problem.kv_dtype)),
                              cuuint64_t(problem.page_size), cuuint64_t(problem.num_pages)};
  const cuuint64_t strides[2] = {token_stride, page_stride};  // bytes, dims 1 and 2
  const cuuint32_t element_strides[3] = {1, 1, 1};
  const auto make = [&](CUtensorMap& out, int inner, CUtensorMapSwizzle swizzle) {
    const cuuint32_t box[3] = {cuuint32_t(inner), cuuint32_t(box_tokens), 1};
    return encode(&out, bf16 ? CU_TENSOR_MAP_DATA_TYPE_BFLOAT16 : CU_TENSOR_MAP_DATA_TYPE_UINT8,
                  3, kv_cache.data, dims, strides, box, element_strides,
                  CU_TENSOR_MAP_INTERLEAVE_NONE, swizzle, CU_TENSOR_MAP_L2_PROMOTION_L2_256B,
                  CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE) == CUDA_SUCCESS;
  };
  // A slab's 64 values of each token: 128 bytes of bf16 or 64 of e4m3.
  bool made = make(map, kSlabValues, bf16 ? CU_TENSOR_MAP_SWIZZLE_128B : CU_TENSOR_MAP_SWIZZLE_64B);
  if (blockwise) {
    made = made && make(rope_map, kBlockwiseRopeBytes, CU_TENSOR_MAP_SWIZZLE_128B) &&
           make(scale_map, kBlockwiseScaleBytes, CU_TENSOR_MAP_SWIZZLE_NONE);
  }
  return made ? box_tokens : 0;
}

}  // namespace mladec::detail
