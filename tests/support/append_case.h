#pragma once
// Host inputs of one KV append, for the CPU and GPU suites: bf16 tokens with
// every kind of value the formats treat specially (NaN, ±inf, all-zero
// blockwise groups, values that saturate e4m3, tiny ones), slots in a
// shuffled order with padding and, if asked, slots past the cache, and a
// cache filled with random bytes: its poison, which rows not written keep.
#include <cstdint>
#include <vector>

#include "mladec/append.h"
#include "mladec/constants.h"

namespace mladec::test {

struct AppendSpec {
  KvDtype dtype = KvDtype::kBf16;
  int64_t tokens = 0;
  int page_size = 16;
  int64_t num_pages = 0;         // 0: room for the tokens plus a quarter
  int64_t latent_stride = kLatentDim;  // elements between token rows, any
  int64_t latent_offset = 0;     // elements before row 0 (misaligns it)
  int64_t rope_stride = kRopeDim;
  int64_t rope_offset = 0;
  int64_t page_padding = 0;      // bytes between pages, a multiple of 16
  int skip_percent = 10;         // tokens with a negative slot
  int out_of_range_percent = 0;  // tokens with a slot >= num_pages * page_size
  float kv_scale = 1.f;          // fp8_e4m3
  uint64_t seed = 1;
};

// The input layouts both append suites run: 0 rows contiguous; 1 rows of
// one [n, 576] tensor (latent and RoPE cut from it) with padded pages; 2
// rows at odd offsets and strides (read value by value, not with 16-byte
// loads).
inline constexpr int kAppendLayouts = 3;
void apply_layout(AppendSpec& spec, int layout);

struct AppendCase {
  AppendSpec spec;
  int64_t num_pages = 0;
  int64_t num_slots = 0;             // num_pages * page_size
  std::vector<uint16_t> latent;      // bf16 bits, row t at offset + t * stride
  std::vector<uint16_t> rope;
  std::vector<int64_t> slots;
  std::vector<uint8_t> cache;        // the poison

  // Views of the case's tensors over storage at these addresses: the
  // vectors above, or device copies of them.
  AppendArgs args(const void* latent_data, const void* rope_data,
                  const void* slots_data, void* cache_data) const;
  // The same over the vectors, writing into `cache_bytes` (a copy of `cache`).
  AppendArgs host_args(std::vector<uint8_t>& cache_bytes) const;

  float value(int64_t token, int d) const;  // d in [0, 576)
  int64_t page_stride_elements() const;
  int64_t row_byte_offset(int64_t slot) const;  // from the cache's start
  // The slots with those >= num_slots replaced by -1: what the device writes.
  std::vector<int64_t> slots_in_range() const;
};

AppendCase make_append_case(const AppendSpec& spec);

}  // namespace mladec::test
