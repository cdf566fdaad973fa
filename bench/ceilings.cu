#include "bench/ceilings.h"

#include <cublas_v2.h>

#include <algorithm>
#include <array>
#include <numeric>
#include <random>
#include <vector>

#include "bench/device_fill.h"
#include "bench/event_timer.h"
#include "bench/sm_clock.h"
#include "mladec/decode.h"
#include "mladec/device_step.h"
#include "src/core/row_gather_layout.h"
#include "src/cuda/async_copy.cuh"
#include "src/cuda/cuda_check.h"
#include "src/cuda/decode_layout.cuh"
#include "src/cuda/hopper.cuh"
#include "src/cuda/kv_tensor_map.h"

namespace mladec::bench {
namespace {

using detail::cuda_check;
using detail::decode_layout::kSlabValues;

// The copy's and the reads' buffers: 2 GiB of random bf16, far beyond L2.
constexpr size_t kCeilingBufferBytes = size_t(2) << 30;

// The buffer as a paged bf16 cache of one KV block per page, as the
// benchmark's page-64 cells: [pages][64 tokens][576 values].
constexpr int kPageTokens = detail::decode_layout::kBlockTokens;
constexpr int kTokenBytes = kv_token_bytes(KvDtype::kBf16);
constexpr int kPageBytes = kPageTokens * kTokenBytes;
constexpr int kCeilingPages = int(kCeilingBufferBytes / kPageBytes);

// Every thread XORs 16-byte loads (four in flight), grid-stride; the sink
// store, never taken in practice, keeps the loads.
__global__ void __launch_bounds__(512) read_kernel(const uint4* data, size_t count,
                                                   uint32_t* sink) {
  const size_t stride = size_t(gridDim.x) * blockDim.x;
  size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
  uint32_t acc = 0;
  for (; i + 3 * stride < count; i += 4 * stride) {
    uint4 v[4];
#pragma unroll
    for (int k = 0; k < 4; ++k) v[k] = __ldg(data + i + k * stride);
#pragma unroll
    for (int k = 0; k < 4; ++k) acc ^= v[k].x ^ v[k].y ^ v[k].z ^ v[k].w;
  }
  for (; i < count; i += stride) {
    const uint4 v = __ldg(data + i);
    acc ^= v.x ^ v.y ^ v.z ^ v.w;
  }
  if (acc == 0x9e3779b9u) *sink = acc;
}

// A 1-D TMA bulk copy of `bytes` (a multiple of 16) into shared memory,
// completed on `bar` in bytes.
__device__ __forceinline__ void bulk_copy_to_shared(uint32_t destination, const void* source,
                                                    uint32_t bytes, uint32_t bar) {
  asm volatile(
      "cp.async.bulk.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1], %2, [%3];\n" ::
          "r"(destination),
      "l"(source), "r"(bytes), "r"(bar)
      : "memory");
}

// A 4-D tensor copy (the token-group boxes below), completed on `bar`;
// kEvictFirst as detail::tma_load_3d's.
template <bool kEvictFirst>
__device__ __forceinline__ void tma_load_4d(uint32_t destination, const void* tensor_map, int c0,
                                            int c1, int c2, int c3, uint32_t bar) {
  if constexpr (kEvictFirst) {
    asm volatile(
        "{\n"
        ".reg .b64 policy;\n"
        "createpolicy.fractional.L2::evict_first.b64 policy, 1.0;\n"
        "cp.async.bulk.tensor.4d.shared::cluster.global.mbarrier::complete_tx::bytes"
        ".L2::cache_hint [%0], [%1, {%2, %3, %4, %5}], [%6], policy;\n"
        "}\n" ::"r"(destination),
        "l"(reinterpret_cast<uint64_t>(tensor_map)), "r"(c0), "r"(c1), "r"(c2), "r"(c3), "r"(bar)
        : "memory");
  } else {
    asm volatile(
        "cp.async.bulk.tensor.4d.shared::cluster.global.mbarrier::complete_tx::bytes "
        "[%0], [%1, {%2, %3, %4, %5}], [%6];\n" ::"r"(destination),
        "l"(reinterpret_cast<uint64_t>(tensor_map)), "r"(c0), "r"(c1), "r"(c2), "r"(c3), "r"(bar)
        : "memory");
  }
}

// The ring's wait, bounded: a phase that never completes (a wrong parity)
// traps after ~2^31 cycles (about a second) instead of hanging the
// benchmark, and the device call that runs it, until the shell's timeout.
__device__ __forceinline__ void wait_or_trap(uint32_t bar, uint32_t parity) {
  const long long start = clock64();
  while (!detail::mbarrier_ready(bar, parity)) {
    if (clock64() - start > (1ll << 31)) __trap();
  }
}

// The read ring of the kernels below, run by one thread per CTA (one CTA
// per SM): `copies` copies of `copy_bytes` each, `per_barrier` to a group
// completed on one mbarrier, `stages` groups in flight in the shared
// memory at `buffers`, each stage reissued as soon as its group lands —
// the decode producer's read path with nothing consuming the data. The
// decode completes a block's nine slab copies on one barrier
// (per_barrier 9); per_barrier 1 waits for every copy (v82's ring, which
// read the slab boxes at half the decode's rate). `issue(i, destination,
// bar)` starts copy i of this CTA.
template <class IssueCopy>
__device__ void run_read_ring(uint32_t buffers, size_t copies, int copy_bytes, int per_barrier,
                              int stages, IssueCopy issue) {
  const uint32_t stage_bytes = uint32_t(per_barrier * copy_bytes);
  const uint32_t bars = buffers + uint32_t(stages) * stage_bytes;
  for (int s = 0; s < stages; ++s) detail::mbarrier_init(bars + 8 * s, 1);
  detail::fence_barrier_init();
  const size_t groups = (copies + per_barrier - 1) / per_barrier;
  for (size_t g = 0; g < groups + stages; ++g) {
    const int s = int(g % stages);
    const uint32_t bar = bars + 8 * s;
    // The group issued `stages` steps ago on this stage (its use g / stages - 1).
    if (g >= size_t(stages)) wait_or_trap(bar, uint32_t((g / stages - 1) & 1));
    if (g < groups) {
      const size_t first = g * per_barrier;
      const size_t left = copies - first;
      const int count = left < size_t(per_barrier) ? int(left) : per_barrier;
      detail::mbarrier_arrive_expect_bytes(bar, uint32_t(count * copy_bytes));
      for (int c = 0; c < count; ++c) {
        issue(first + c, buffers + uint32_t(s) * stage_bytes + uint32_t(c * copy_bytes), bar);
      }
    }
  }
}

// How many of `items` this CTA takes: items blockIdx.x, + gridDim.x, ...
__device__ size_t items_of_this_cta(size_t items) {
  return items > blockIdx.x ? (items - blockIdx.x + gridDim.x - 1) / gridDim.x : 0;
}

// 1-D bulk copies of chunks blockIdx.x, + gridDim.x, ... of `data` (or
// those entries of `order`, when given).
__global__ void tma_read_kernel(const uint8_t* data, const int* order, size_t chunks,
                                int chunk_bytes, int per_barrier, int stages) {
  extern __shared__ __align__(128) uint8_t smem[];
  if (threadIdx.x != 0) return;
  run_read_ring(uint32_t(__cvta_generic_to_shared(smem)), items_of_this_cta(chunks), chunk_bytes,
                per_barrier, stages, [&](size_t i, uint32_t destination, uint32_t bar) {
                  const size_t slot = blockIdx.x + i * gridDim.x;
                  const size_t chunk = order != nullptr ? size_t(order[slot]) : slot;
                  bulk_copy_to_shared(destination, data + chunk * size_t(chunk_bytes),
                                      uint32_t(chunk_bytes), bar);
                });
}

// Tensor copies: box b < boxes_per_page of page order[blockIdx.x + k ·
// gridDim.x], page after page, as the decode's producer copies a block's
// slabs (src/cuda/kv_tensor_map.cu); per_barrier boxes_per_page is a page
// to a barrier, as the decode's blocks. With `prefetch_ahead` > 0, the
// copy of a page's first box also starts a bulk L2 prefetch of the whole
// page that many pages ahead (`data`: the map's bytes), so the boxes find
// their page in L2 and DRAM sees whole pages. With `group_tokens` > 0 the
// map is 4-D (values, tokens, slabs, pages) and box b is tokens b ·
// group_tokens .. of every slab: one contiguous run of the page, landing
// as one 1 KiB swizzle atom per slab (BoxForm). kEvictFirst: the copies
// carry the 16- and 32-row decode kernels' evict-first hint (bench/NOTES.md
// v79).
template <bool kEvictFirst>
__global__ void tma_box_read_kernel(const __grid_constant__ CUtensorMap map, const uint8_t* data,
                                    const int* order, int pages, int boxes_per_page,
                                    int box_values, int group_tokens, int box_bytes,
                                    int per_barrier, int stages, int prefetch_ahead,
                                    int page_bytes) {
  extern __shared__ __align__(128) uint8_t smem[];
  if (threadIdx.x != 0) return;
  // The 128-byte swizzle wants boxes on 1024-byte boundaries.
  const uint32_t buffers = (uint32_t(__cvta_generic_to_shared(smem)) + 1023u) & ~1023u;
  const size_t my_pages = items_of_this_cta(size_t(pages));
  run_read_ring(buffers, my_pages * size_t(boxes_per_page), box_bytes, per_barrier, stages,
                [&](size_t i, uint32_t destination, uint32_t bar) {
                  const size_t page_slot = i / boxes_per_page;
                  const int page = order[blockIdx.x + page_slot * gridDim.x];
                  const int box = int(i % boxes_per_page);
                  if (prefetch_ahead > 0 && box == 0 && page_slot + prefetch_ahead < my_pages) {
                    const int ahead = order[blockIdx.x + (page_slot + prefetch_ahead) * gridDim.x];
                    detail::prefetch_l2(data + size_t(ahead) * page_bytes, page_bytes);
                  }
                  if (group_tokens > 0) {
                    tma_load_4d<kEvictFirst>(destination, &map, 0, box * group_tokens, 0, page,
                                             bar);
                  } else {
                    detail::tma_load_3d<kEvictFirst>(destination, &map, box * box_values, 0,
                                                     page, bar);
                  }
                });
}

// The gather ring (GatherReadRate, bench/ceilings.h): warp w of the CTA
// takes jobs blockIdx.x · warps + w, + gridDim.x · warps, ..., each of
// `job_rows` rows of `order`; lanes below job_rows hold their row's
// address and each row's 72 chunks are copied by the warp's lanes (the
// decode's produce_tile_rows), then every lane arrives on the slot's
// barrier when its copies land. A slot is waited for only when it comes
// round again.
__global__ void gather_read_kernel(const uint8_t* data, const int* order, size_t jobs,
                                   int job_rows, int slots, bool row_lines) {
  extern __shared__ __align__(128) uint8_t smem[];
  const int warps = int(blockDim.x / 32), warp = int(threadIdx.x / 32), lane = int(threadIdx.x % 32);
  const uint32_t job_bytes = uint32_t(job_rows * kTokenBytes);
  const uint32_t base = uint32_t(__cvta_generic_to_shared(smem));
  const uint32_t ring = base + uint32_t(warp * slots) * job_bytes;
  const uint32_t bars = base + uint32_t(warps * slots) * job_bytes + uint32_t(warp * slots) * 8;
  if (lane == 0) {
    for (int s = 0; s < slots; ++s) detail::mbarrier_init(bars + 8 * s, 32);
  }
  detail::fence_barrier_init();
  __syncwarp();
  const size_t stride = size_t(gridDim.x) * warps;
  size_t k = 0;
  for (size_t job = size_t(blockIdx.x) * warps + warp; job < jobs; job += stride, ++k) {
    const int s = int(k % slots);
    const uint32_t bar = bars + 8 * s;
    if (k >= size_t(slots)) wait_or_trap(bar, uint32_t((k / slots - 1) & 1));
    const uint8_t* mine =
        lane < job_rows ? data + size_t(order[job * job_rows + lane]) * kTokenBytes : data;
    const uint32_t slot = ring + uint32_t(s) * job_bytes;
    if (row_lines) {
      // The decode gather's lanes (src/core/row_gather_layout.h): in row
      // group m, lane l copies one 16-byte column of each 128-byte line of
      // one row (job_rows is a multiple of 4), every line of a row from
      // the row's one shuffled address plus a constant; the ring's rows
      // are not swizzled.
      const int column = detail::gather_column(lane);
      for (int m = 0; m < job_rows / detail::kGatherRowsPerGroup; ++m) {
        const int r = detail::gather_warp_row(lane, m);
        const uint8_t* line = detail::row_address_of_lane(mine, r) + column * 16;
        const uint32_t dest = slot + uint32_t(r * kTokenBytes + column * 16);
#pragma unroll
        for (int line_index = 0; line_index < detail::decode_layout::kRowChunks / 8;
             ++line_index) {
          detail::cp_async_16(dest + 128 * line_index, line + 128 * line_index, true);
        }
      }
    } else {
      for (int r = 0; r < job_rows; ++r) {
        const uint8_t* row = detail::row_address_of_lane(mine, r);
        for (int c = lane; c < detail::decode_layout::kRowChunks; c += 32) {
          detail::cp_async_16(slot + uint32_t(r * kTokenBytes + c * 16), row + c * 16, true);
        }
      }
    }
    detail::cp_async_arrive_when_landed(bar);
  }
  asm volatile("cp.async.wait_all;\n" ::: "memory");
}

// Bytes read per second by gather_read_kernel over `order`'s tokens.
double gather_read_ceiling(const void* data, const int* order, size_t tokens, int sms,
                           const GatherReadRate& form) {
  const int job_bytes = form.job_rows * kTokenBytes;
  const int smem = std::max(form.warps * form.slots * (job_bytes + 8), 120 << 10);
  cuda_check(cudaFuncSetAttribute(gather_read_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                  smem),
             "cudaFuncSetAttribute");
  const size_t jobs = tokens / size_t(form.job_rows);
  const double seconds = median_seconds(nullptr, 2, 9, [&] {
    gather_read_kernel<<<sms, 32 * form.warps, smem>>>(static_cast<const uint8_t*>(data), order,
                                                       jobs, form.job_rows, form.slots,
                                                       form.row_lines);
    cuda_check(cudaGetLastError(), "gather_read_kernel");
  });
  return double(jobs * size_t(job_bytes)) / seconds;
}

// Token indices for the gather ring: every token of the buffer once in a
// shuffled order, or (l2_resident) as many draws from its first 16 MiB.
DeviceBuffer token_order(size_t tokens, bool l2_resident) {
  std::vector<int> order(tokens);
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), std::mt19937(43));
  if (l2_resident) {
    const int resident_tokens = int((size_t(16) << 20) / kTokenBytes);
    for (int& token : order) token %= resident_tokens;
  }
  DeviceBuffer device_order(order.size() * sizeof(int));
  cuda_check(cudaMemcpy(device_order.get(), order.data(), order.size() * sizeof(int),
                        cudaMemcpyHostToDevice),
             "cudaMemcpy");
  return device_order;
}

// Bytes read per second by read_kernel over kCeilingBufferBytes.
double read_ceiling(const void* data, int sms) {
  DeviceBuffer sink(sizeof(uint32_t));
  const double seconds = median_seconds(nullptr, 2, 9, [&] {
    read_kernel<<<4 * sms, 512>>>(static_cast<const uint4*>(data), kCeilingBufferBytes / 16,
                                  static_cast<uint32_t*>(sink.get()));
    cuda_check(cudaGetLastError(), "read_kernel");
  });
  return double(kCeilingBufferBytes) / seconds;
}

// Bytes read per second by tma_read_kernel with `in_flight` bytes per SM in
// copies of `copy_bytes`, `per_barrier` to a barrier (copy_bytes ×
// per_barrier, a multiple of 16, divides in_flight).
double tma_read_ceiling(const void* data, int sms, int copy_bytes, int per_barrier, int in_flight,
                        const int* order = nullptr, size_t ordered_chunks = 0) {
  const int stages = in_flight / (copy_bytes * per_barrier);
  // At least 120 KiB of shared memory, so that one CTA runs per SM.
  const int smem = std::max(stages * (copy_bytes * per_barrier + 8), 120 << 10);
  cuda_check(cudaFuncSetAttribute(tma_read_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                  smem),
             "cudaFuncSetAttribute");
  const size_t copies =
      order != nullptr ? ordered_chunks : kCeilingBufferBytes / size_t(copy_bytes);
  const double seconds = median_seconds(nullptr, 2, 9, [&] {
    tma_read_kernel<<<sms, 32, smem>>>(static_cast<const uint8_t*>(data), order, copies,
                                       copy_bytes, per_barrier, stages);
    cuda_check(cudaGetLastError(), "tma_read_kernel");
  });
  return double(copies * size_t(copy_bytes)) / seconds;
}

// A tensor-copy form: boxes of `box_values` values × 64 tokens of a page
// (the decode's slabs: each box walks 64 tokens 1,152 bytes apart), each
// page prefetched into L2 `prefetch_ahead` pages ahead (0: not); or, with
// `group_tokens` > 0, boxes of that many whole tokens as slabs of
// `box_values` (a contiguous run of memory, read in order: with 8 tokens
// each slab lands as one 8-row × 128-byte swizzle atom, so the smem holds
// the slabs' atoms 9 KiB apart instead of 1 KiB — a layout wgmma
// descriptors can take with another stride between 8-token groups).
//
// `cache`: the format the buffer is read as — bf16 (values of 2 bytes), or
// an e4m3 cache read as bytes (the register-A path's staged copies: 64-byte
// boxes, 64-byte swizzle).
struct BoxForm {
  const char* name;
  int box_values;
  CUtensorMapSwizzle swizzle;
  CUtensorMapL2promotion promotion;
  int prefetch_ahead = 0;
  int group_tokens = 0;
  bool evict_first = false;
  KvDtype cache = KvDtype::kBf16;

  bool bytes() const { return cache != KvDtype::kBf16; }
  int element_bytes() const { return bytes() ? 1 : 2; }
  int token_bytes() const { return kv_token_bytes(cache); }
  int token_values() const { return token_bytes() / element_bytes(); }
  int page_bytes() const { return kPageTokens * token_bytes(); }
  int pages() const { return int(kCeilingBufferBytes / page_bytes()); }
  int box_bytes() const {
    return group_tokens > 0 ? group_tokens * token_bytes()
                            : box_values * element_bytes() * kPageTokens;
  }
  int boxes_per_page() const {
    return group_tokens > 0 ? kPageTokens / group_tokens : token_values() / box_values;
  }
};

// Bytes read per second by tma_box_read_kernel over every page of `data`
// in `order`, `in_flight` bytes per SM, each box or each page's boxes
// (page_per_barrier) on one barrier; 0 when the driver refuses the map.
double tma_box_read_ceiling(const void* data, const int* order, int sms, const BoxForm& form,
                            bool page_per_barrier, int in_flight) {
  const PFN_cuTensorMapEncodeTiled_v12000 encode = detail::tensor_map_encoder();
  if (encode == nullptr) return 0;
  const int slabs = form.token_values() / form.box_values;
  const bool groups = form.group_tokens > 0;
  const int pages = form.pages(), page_bytes = form.page_bytes();
  // 3-D: [pages][tokens][values]; 4-D: [pages][slabs][tokens][values of a slab].
  const cuuint64_t dims[4] = {cuuint64_t(groups ? form.box_values : form.token_values()),
                              cuuint64_t(kPageTokens), cuuint64_t(groups ? slabs : pages),
                              cuuint64_t(pages)};
  const cuuint64_t strides[3] = {
      cuuint64_t(form.token_bytes()),
      cuuint64_t(groups ? form.box_values * form.element_bytes() : page_bytes),
      cuuint64_t(page_bytes)};
  const cuuint32_t box[4] = {cuuint32_t(form.box_values),
                             cuuint32_t(groups ? form.group_tokens : kPageTokens),
                             cuuint32_t(groups ? slabs : 1), 1};
  const cuuint32_t element_strides[4] = {1, 1, 1, 1};
  CUtensorMap map;
  if (encode(&map, form.bytes() ? CU_TENSOR_MAP_DATA_TYPE_UINT8 : CU_TENSOR_MAP_DATA_TYPE_BFLOAT16,
             groups ? 4 : 3, const_cast<void*>(data), dims, strides, box, element_strides,
             CU_TENSOR_MAP_INTERLEAVE_NONE, form.swizzle, form.promotion,
             CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE) != CUDA_SUCCESS) {
    return 0;
  }
  const int box_bytes = form.box_bytes();
  const int boxes_per_page = form.boxes_per_page();
  const int per_barrier = page_per_barrier ? boxes_per_page : 1;
  const int stages = in_flight / (box_bytes * per_barrier);
  const int smem = std::max(stages * (box_bytes * per_barrier + 8) + 1024, 120 << 10);
  const auto kernel =
      form.evict_first ? tma_box_read_kernel<true> : tma_box_read_kernel<false>;
  cuda_check(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, smem),
             "cudaFuncSetAttribute");
  const double seconds = median_seconds(nullptr, 2, 9, [&] {
    kernel<<<sms, 32, smem>>>(map, static_cast<const uint8_t*>(data), order, pages,
                              boxes_per_page, form.box_values, form.group_tokens, box_bytes,
                              per_barrier, stages, form.prefetch_ahead, page_bytes);
    cuda_check(cudaGetLastError(), "tma_box_read_kernel");
  });
  return double(pages) * page_bytes / seconds;
}

// Pages 0 .. count - 1 on the device, in order or in the benchmark's
// shuffled order (bench/decode_timing.cu shuffles its pool the same way).
DeviceBuffer page_order(int count, bool shuffle) {
  std::vector<int> pages(count);
  std::iota(pages.begin(), pages.end(), 0);
  if (shuffle) std::shuffle(pages.begin(), pages.end(), std::mt19937(42));
  DeviceBuffer order(pages.size() * sizeof(int));
  cuda_check(cudaMemcpy(order.get(), pages.data(), pages.size() * sizeof(int),
                        cudaMemcpyHostToDevice),
             "cudaMemcpy");
  return order;
}

double copy_ceiling() {
  const size_t bytes = kCeilingBufferBytes;
  DeviceBuffer source(bytes), destination(bytes);
  fill_random_bf16(source.get(), bytes / 2, 11);
  const double seconds = median_seconds(nullptr, 3, 15, [&] {
    cuda_check(cudaMemcpyAsync(destination.get(), source.get(), bytes,
                               cudaMemcpyDeviceToDevice),
               "cudaMemcpyAsync");
  });
  return 2.0 * double(bytes) / seconds;
}

// The GEMM's FLOP per second (0 if cuBLAS failed) and the SM clock after it.
void measure_gemm_ceiling(Ceilings& ceilings) {
  const int n = 8192;
  const size_t elements = size_t(n) * n;
  DeviceBuffer a(elements * 2), b(elements * 2), c(elements * 2);
  fill_random_bf16(a.get(), elements, 21);
  fill_random_bf16(b.get(), elements, 22);
  cublasHandle_t handle;
  if (cublasCreate(&handle) != CUBLAS_STATUS_SUCCESS) return;
  const SmClockProbe& clock = sm_clock_probe();
  const float alpha = 1.f, beta = 0.f;
  bool ok = true;
  const double seconds = median_seconds(nullptr, 3, 10, [&] {
    ok = ok && cublasGemmEx(handle, CUBLAS_OP_N, CUBLAS_OP_N, n, n, n, &alpha,
                            a.get(), CUDA_R_16BF, n, b.get(), CUDA_R_16BF, n,
                            &beta, c.get(), CUDA_R_16BF, n, CUBLAS_COMPUTE_32F,
                            CUBLAS_GEMM_DEFAULT) == CUBLAS_STATUS_SUCCESS;
  });
  ceilings.gemm_sm_mhz = clock.read_mhz(nullptr);
  cublasDestroy(handle);
  if (ok) ceilings.gemm_flops_per_s = 2.0 * double(n) * n * n / seconds;
}

}  // namespace

Ceilings measure_ceilings() {
  Ceilings ceilings;
  ceilings.copy_bytes_per_s = copy_ceiling();
  measure_gemm_ceiling(ceilings);
  return ceilings;
}

void measure_read_ceilings(Ceilings& ceilings) {
  DeviceBuffer data(kCeilingBufferBytes);
  fill_random_bf16(data.get(), kCeilingBufferBytes / 2, 31);
  const int sms = device_worker_count();  // the SM count
  ceilings.read_bytes_per_s = read_ceiling(data.get(), sms);
  // 8 KiB copies, as the decode copies a block's slabs. Its bf16 forms
  // hold up to two 72 KiB blocks in flight (one while they compute on the
  // other); e4m3's register-A path up to four stages of 36 KiB.
  for (const int kib : {16, 32, 64, 72, 96, 128, 144, 192}) {
    ceilings.tma_read.push_back({"bulk", 8 << 10, kib << 10,
                                 tma_read_ceiling(data.get(), sms, 8 << 10, 1, kib << 10)});
  }
  // 144 KiB in flight in fewer, larger copies: whether the copies' count
  // matters, or only their bytes (bench/NOTES.md v55's one-box blocks);
  // and the 8 KiB copies nine to a barrier, as the decode's blocks
  // complete (v82: 8 KiB copies one to a barrier 3.6 TB/s, 36 KiB ones
  // 4.6 — the count of copies, or of waits?).
  for (const int copy_kib : {36, 72}) {
    ceilings.tma_read.push_back(
        {"bulk", copy_kib << 10, 144 << 10,
         tma_read_ceiling(data.get(), sms, copy_kib << 10, 1, 144 << 10)});
  }
  ceilings.tma_read.push_back({"bulk, nine to a barrier", 8 << 10, 144 << 10,
                               tma_read_ceiling(data.get(), sms, 8 << 10, 9, 144 << 10)});
  // The decode's own reads: 64-token pages in a shuffled order, as the
  // benchmark's, by whole-page bulk copies and by tensor boxes. v82 read
  // the decode's slab boxes (64 values, 128-byte swizzle) one to a
  // barrier at 2.28 TB/s under every L2 promotion and prefetch, far below
  // the decode's own 3.99: so the boxes again with a page's nine on one
  // barrier, as the decode's producer issues them, under each L2
  // promotion; a box of 192 values (384-byte rows, no swizzle); and the
  // slab boxes with each page prefetched into L2 by one bulk prefetch,
  // one or two pages ahead (what a producer could issue for its next
  // block).
  const DeviceBuffer in_order = page_order(kCeilingPages, false);
  const DeviceBuffer shuffled = page_order(kCeilingPages, true);
  const int* shuffled_pages = static_cast<const int*>(shuffled.get());
  ceilings.tma_read.push_back(
      {"bulk pages, shuffled", kPageBytes, 2 * kPageBytes,
       tma_read_ceiling(data.get(), sms, kPageBytes, 1, 2 * kPageBytes, shuffled_pages,
                        size_t(kCeilingPages))});
  const BoxForm slab_256{"slab box, L2 256B", kSlabValues, CU_TENSOR_MAP_SWIZZLE_128B,
                         CU_TENSOR_MAP_L2_PROMOTION_L2_256B};
  for (const int in_flight : {kPageBytes, 2 * kPageBytes}) {
    ceilings.tma_read.push_back(
        {"slab box, L2 256B, one to a barrier", slab_256.box_bytes(), in_flight,
         tma_box_read_ceiling(data.get(), shuffled_pages, sms, slab_256, false, in_flight)});
  }
  // A form's boxes a page to a barrier, `pages_in_flight` pages in flight
  // per SM, over `order` (a page order of the form's cache).
  const auto a_page_to_a_barrier = [&](const BoxForm& form, const void* order,
                                       int pages_in_flight, const char* order_name = "") {
    const int in_flight = pages_in_flight * form.page_bytes();
    ceilings.tma_read.push_back(
        {std::string(form.name) + ", a page to a barrier" + order_name, form.box_bytes(),
         in_flight,
         tma_box_read_ceiling(data.get(), static_cast<const int*>(order), sms, form, true,
                              in_flight)});
  };
  a_page_to_a_barrier(slab_256, in_order.get(), 2, ", pages in order");
  a_page_to_a_barrier(slab_256, shuffled.get(), 3);
  for (const BoxForm& form :
       {slab_256,
        BoxForm{"slab box, L2 128B", kSlabValues, CU_TENSOR_MAP_SWIZZLE_128B,
                CU_TENSOR_MAP_L2_PROMOTION_L2_128B},
        BoxForm{"slab box, no L2 promotion", kSlabValues, CU_TENSOR_MAP_SWIZZLE_128B,
                CU_TENSOR_MAP_L2_PROMOTION_NONE},
        BoxForm{"384-byte box, L2 256B", 192, CU_TENSOR_MAP_SWIZZLE_NONE,
                CU_TENSOR_MAP_L2_PROMOTION_L2_256B},
        BoxForm{"slab box, L2 256B, page prefetched 1 ahead", kSlabValues,
                CU_TENSOR_MAP_SWIZZLE_128B, CU_TENSOR_MAP_L2_PROMOTION_L2_256B, 1},
        BoxForm{"slab box, L2 256B, page prefetched 2 ahead", kSlabValues,
                CU_TENSOR_MAP_SWIZZLE_128B, CU_TENSOR_MAP_L2_PROMOTION_L2_256B, 2},
        BoxForm{"8-token box of 9 slabs, L2 256B", kSlabValues, CU_TENSOR_MAP_SWIZZLE_128B,
                CU_TENSOR_MAP_L2_PROMOTION_L2_256B, 0, 8},
        BoxForm{"16-token box of 9 slabs, L2 256B", kSlabValues, CU_TENSOR_MAP_SWIZZLE_128B,
                CU_TENSOR_MAP_L2_PROMOTION_L2_256B, 0, 16},
        BoxForm{"slab box, L2 256B, evict first", kSlabValues, CU_TENSOR_MAP_SWIZZLE_128B,
                CU_TENSOR_MAP_L2_PROMOTION_L2_256B, 0, 0, true},
        BoxForm{"16-token box of 9 slabs, L2 256B, evict first", kSlabValues,
                CU_TENSOR_MAP_SWIZZLE_128B, CU_TENSOR_MAP_L2_PROMOTION_L2_256B, 0, 16, true},
        BoxForm{"64-token box of 9 slabs, L2 256B, evict first", kSlabValues,
                CU_TENSOR_MAP_SWIZZLE_128B, CU_TENSOR_MAP_L2_PROMOTION_L2_256B, 0, 64, true},
        BoxForm{"32-token box of 9 slabs, L2 256B", kSlabValues, CU_TENSOR_MAP_SWIZZLE_128B,
                CU_TENSOR_MAP_L2_PROMOTION_L2_256B, 0, 32},
        BoxForm{"64-token box of 9 slabs, L2 256B", kSlabValues, CU_TENSOR_MAP_SWIZZLE_128B,
                CU_TENSOR_MAP_L2_PROMOTION_L2_256B, 0, 64}}) {
    // The token-group boxes at one to three pages in flight too: the
    // decode's two 72 KiB buffers hold between one and two blocks in
    // flight, a released buffer waiting for its refill.
    const bool groups = form.group_tokens > 0;
    for (int pages_in_flight = groups ? 1 : 2; pages_in_flight <= (groups ? 3 : 2);
         ++pages_in_flight) {
      a_page_to_a_barrier(form, shuffled.get(), pages_in_flight);
    }
  }
  // The gather path (pages of 1..7 tokens): is its rate bound per SM by
  // the cp.async bytes in flight (bench/NOTES.md v99: the page-1 producer
  // issues at ~18 bytes a cycle an SM), and would more warps or slots
  // raise it? DRAM and L2-resident tokens; the last two forms copy eight
  // lanes to a row, as the decode's gather does since v101.
  const size_t tokens = kCeilingBufferBytes / kTokenBytes;
  for (const bool l2_resident : {false, true}) {
    const DeviceBuffer order = token_order(tokens, l2_resident);
    for (const auto& [warps, job_rows, slots, row_lines] :
         {std::array<int, 4>{4, 16, 1, 0}, {4, 16, 2, 0}, {8, 16, 1, 0}, {16, 8, 1, 0},
          {32, 4, 1, 0}, {4, 16, 1, 1}, {4, 16, 2, 1}}) {
      GatherReadRate form;
      form.warps = warps;
      form.job_rows = job_rows;
      form.slots = slots;
      form.row_lines = row_lines != 0;
      form.l2_resident = l2_resident;
      form.bytes_per_s = gather_read_ceiling(data.get(), static_cast<const int*>(order.get()),
                                             tokens, sms, form);
      ceilings.gather_read.push_back(form);
    }
  }
  // Narrower rows (v83: e4m3's register-A path streams its 64-byte boxes
  // at 4.6-4.8 TB/s once running, bf16's 128-byte slab boxes at 4.2):
  // bf16 as 32-value boxes under the 64-byte swizzle (18 a page; wgmma
  // takes that swizzle too), and the e4m3 path's own boxes over the
  // buffer read as an e4m3 cache (576-byte tokens, 36 KiB pages), two
  // and four pages in flight as its four 36 KiB stages.
  const BoxForm bf16_64b{"bf16 32-value box, 64B swizzle, L2 256B, evict first", 32,
                         CU_TENSOR_MAP_SWIZZLE_64B, CU_TENSOR_MAP_L2_PROMOTION_L2_256B, 0, 0,
                         true};
  a_page_to_a_barrier(bf16_64b, shuffled.get(), 2);
  const BoxForm e4m3{"e4m3 64-byte box, 64B swizzle, L2 256B, evict first", 64,
                     CU_TENSOR_MAP_SWIZZLE_64B, CU_TENSOR_MAP_L2_PROMOTION_L2_256B, 0, 0, true,
                     KvDtype::kFp8E4m3};
  const DeviceBuffer e4m3_order = page_order(e4m3.pages(), true);
  for (const int pages_in_flight : {2, 4}) {
    a_page_to_a_barrier(e4m3, e4m3_order.get(), pages_in_flight);
  }
}

}  // namespace mladec::bench
