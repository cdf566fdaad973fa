#include "tests/support/append_case.h"

#include <algorithm>
#include <limits>
#include <numeric>
#include <random>
#include <stdexcept>

#include "src/core/numeric_formats.h"

namespace mladec::test {

namespace {

constexpr uint16_t kGapBits = 0x7fc1;  // a NaN between rows: never read

// bf16 bits of the values that need care: NaNs (one negative with a payload,
// one signalling), ±inf.
constexpr uint16_t kNonFinite[] = {0x7fc0, 0xffa1, 0x7f81, 0x7f80, 0xff80};

// One group of values (128 latent values, or the 64 RoPE values) of one
// kind, so that blockwise scales see every case: ordinary spreads, all zero,
// large enough to saturate per-tensor e4m3 (and near bf16's largest), tiny.
void fill_group(std::mt19937_64& rng, uint16_t* bits, int count) {
  constexpr float kSpreads[] = {1.f, 1.f, 1.f, 1e-3f, 50.f, 1e4f, 1e37f, 1e-30f};
  const size_t kind = rng() % (std::size(kSpreads) + 1);
  if (kind == std::size(kSpreads)) {  // all zero, some of them -0
    for (int i = 0; i < count; ++i) bits[i] = rng() % 4 == 0 ? 0x8000 : 0;
    return;
  }
  std::normal_distribution<float> normal(0.f, kSpreads[kind]);
  for (int i = 0; i < count; ++i) {
    bits[i] = rng() % 300 == 0 ? kNonFinite[rng() % std::size(kNonFinite)]
                               : detail::float_to_bf16(normal(rng));
  }
}

// [rows, width] bf16 with rows `stride` elements apart.
TensorView rows_view(const uint16_t* data, int64_t rows, int64_t width, int64_t stride) {
  TensorView view = contiguous_view(const_cast<uint16_t*>(data), ScalarType::kBf16,
                                    {rows, width});
  view.stride[0] = stride;
  return view;
}

int64_t random_negative(std::mt19937_64& rng) {
  constexpr int64_t kNegative[] = {-1, -2, -1000, std::numeric_limits<int64_t>::min()};
  return kNegative[rng() % std::size(kNegative)];
}

int64_t random_out_of_range(std::mt19937_64& rng, int64_t num_slots) {
  const int64_t past[] = {num_slots, num_slots + 1, 2 * num_slots,
                          std::numeric_limits<int64_t>::max()};
  return past[rng() % std::size(past)];
}

}  // namespace

void apply_layout(AppendSpec& spec, int layout) {
  if (layout == 1) {
    spec.latent_stride = spec.rope_stride = kHeadDim;
    spec.page_padding = 48;
  } else if (layout == 2) {
    spec.latent_stride = 515;
    spec.latent_offset = 1;
    spec.rope_stride = 67;
    spec.rope_offset = 3;
  }
}

AppendCase make_append_case(const AppendSpec& spec) {
  AppendCase c;
  c.spec = spec;
  c.num_pages = spec.num_pages > 0
                    ? spec.num_pages
                    : (spec.tokens + spec.tokens / 4) / spec.page_size + 1;
  c.num_slots = c.num_pages * spec.page_size;
  if (c.num_slots < spec.tokens) {
    throw std::invalid_argument("append case: fewer slots than tokens");
  }
  std::mt19937_64 rng(spec.seed);

  const int64_t rows = std::max<int64_t>(spec.tokens - 1, 0);
  c.latent.assign(spec.latent_offset + rows * spec.latent_stride + kLatentDim, kGapBits);
  c.rope.assign(spec.rope_offset + rows * spec.rope_stride + kRopeDim, kGapBits);
  for (int64_t t = 0; t < spec.tokens; ++t) {
    uint16_t* latent = c.latent.data() + spec.latent_offset + t * spec.latent_stride;
    for (int g = 0; g < kBlockwiseScales; ++g) {
      fill_group(rng, latent + g * kBlockwiseGroup, kBlockwiseGroup);
    }
    fill_group(rng, c.rope.data() + spec.rope_offset + t * spec.rope_stride, kRopeDim);
  }

  // Distinct slots in a random order, some replaced by padding or by slots
  // past the cache.
  std::vector<int64_t> order(c.num_slots);
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), rng);
  c.slots.assign(order.begin(), order.begin() + spec.tokens);
  for (int64_t& slot : c.slots) {
    const int roll = int(rng() % 100);
    if (roll < spec.skip_percent) {
      slot = random_negative(rng);
    } else if (roll < spec.skip_percent + spec.out_of_range_percent) {
      slot = random_out_of_range(rng, c.num_slots);
    }
  }

  c.cache.resize(c.num_pages * c.page_stride_elements() *
                 scalar_size(kv_cache_scalar_type(spec.dtype)));
  for (uint8_t& byte : c.cache) byte = uint8_t(rng());
  return c;
}

AppendArgs AppendCase::args(const void* latent_data, const void* rope_data,
                            const void* slots_data, void* cache_data) const {
  AppendArgs a;
  a.latent = rows_view(static_cast<const uint16_t*>(latent_data) + spec.latent_offset,
                       spec.tokens, kLatentDim, spec.latent_stride);
  a.rope = rows_view(static_cast<const uint16_t*>(rope_data) + spec.rope_offset,
                     spec.tokens, kRopeDim, spec.rope_stride);
  a.slots = contiguous_view(const_cast<void*>(slots_data), ScalarType::kInt64,
                            {spec.tokens});
  a.kv_cache = contiguous_view(cache_data, kv_cache_scalar_type(spec.dtype),
                               {num_pages, spec.page_size,
                                kv_cache_token_elements(spec.dtype)});
  a.kv_cache.stride[0] = page_stride_elements();
  a.kv_scale = spec.kv_scale;
  return a;
}

AppendArgs AppendCase::host_args(std::vector<uint8_t>& cache_bytes) const {
  return args(latent.data(), rope.data(), slots.data(), cache_bytes.data());
}

float AppendCase::value(int64_t token, int d) const {
  const uint16_t bits =
      d < kLatentDim
          ? latent[spec.latent_offset + token * spec.latent_stride + d]
          : rope[spec.rope_offset + token * spec.rope_stride + d - kLatentDim];
  return detail::bf16_to_float(bits);
}

int64_t AppendCase::page_stride_elements() const {
  return (spec.page_size * int64_t(kv_token_bytes(spec.dtype)) + spec.page_padding) /
         scalar_size(kv_cache_scalar_type(spec.dtype));
}

int64_t AppendCase::row_byte_offset(int64_t slot) const {
  const int64_t page_bytes =
      page_stride_elements() * scalar_size(kv_cache_scalar_type(spec.dtype));
  return slot / spec.page_size * page_bytes +
         slot % spec.page_size * int64_t(kv_token_bytes(spec.dtype));
}

std::vector<int64_t> AppendCase::slots_in_range() const {
  std::vector<int64_t> in_range = slots;
  for (int64_t& slot : in_range) {
    if (slot >= num_slots) slot = -1;
  }
  return in_range;
}

}  // namespace mladec::test
