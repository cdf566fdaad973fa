#include "mladec/random_inputs.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <numeric>
#include <random>

#include "mladec/constants.h"
#include "mladec/kv_format.h"
#include "src/core/numeric_formats.h"
#include "src/core/parallel_for.h"
#include "src/core/require.h"

namespace mladec {

namespace {

// SplitMix64 (a uniform random bit generator): cheap to seed, so every page
// and every q row gets its own stream and they fill in parallel, with data
// that depends on the seed only, not on the thread count.
class SplitMix64 {
 public:
  using result_type = uint64_t;
  SplitMix64(uint64_t seed, uint64_t stream) : state_(seed ^ (stream * kGolden)) {
    (*this)();  // decorrelate neighbouring streams
  }
  static constexpr result_type min() { return 0; }
  static constexpr result_type max() { return UINT64_MAX; }
  result_type operator()() {
    uint64_t z = (state_ += kGolden);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }

 private:
  static constexpr uint64_t kGolden = 0x9e3779b97f4a7c15ull;
  uint64_t state_;
};

// Fills one token's cache bytes with N(0, 1) values in the problem's format.
void fill_token(KvDtype dtype, float kv_scale, SplitMix64& rng, uint8_t* bytes) {
  std::normal_distribution<float> normal(0.f, 1.f);
  float values[kHeadDim];
  for (float& v : values) v = normal(rng);
  encode_kv_token(dtype, values, kv_scale, bytes);
}

// NaN in every format: bf16 0x7fc0, e4m3 0x7f, blockwise scales NaN too.
void poison_token(KvDtype dtype, uint8_t* bytes) {
  const int size = kv_token_bytes(dtype);
  if (dtype == KvDtype::kBf16) {
    for (int d = 0; d < kHeadDim; ++d) {
      bytes[2 * d] = 0xc0;
      bytes[2 * d + 1] = 0x7f;
    }
  } else {
    std::memset(bytes, 0x7f, size);
  }
}

}  // namespace

RandomStep make_random_step(const RandomStepSpec& spec) {
  using detail::require;
  const int batch = int(spec.seqlens.size());
  require(batch >= 1, ErrorCode::kBadBatch, "seqlens must name >= 1 request");
  require(spec.q_lens.size() == size_t(batch), ErrorCode::kBadQLen,
          "q_lens must have one entry per request (", batch, "), got ",
          spec.q_lens.size());
  require(spec.page_size >= 1, ErrorCode::kBadPageSize,
          "page_size must be >= 1, got ", spec.page_size);
  const int max_q = std::max(1, *std::max_element(spec.q_lens.begin(),
                                                  spec.q_lens.end()));
  const bool uniform =
      !spec.ragged_q && std::all_of(spec.q_lens.begin(), spec.q_lens.end(),
                                    [&](int32_t q) { return q == max_q; });
  require(spec.ragged_q || uniform, ErrorCode::kBadQLen,
          "unequal q_lens need ragged_q");

  RandomStep step;
  DecodeProblem& p = step.problem;
  p.batch = batch;
  p.num_heads = spec.num_heads;
  p.max_q_len = max_q;
  p.ragged_q = spec.ragged_q;
  p.total_q = std::accumulate(spec.q_lens.begin(), spec.q_lens.end(), int64_t(0));
  p.page_size = spec.page_size;
  p.kv_dtype = spec.kv_dtype;
  p.causal = spec.causal;
  p.policy = spec.policy;
  p.softmax_scale = 1.0f / std::sqrt(float(kHeadDim));

  std::vector<int> pages_needed(batch);
  int64_t total_pages = 0;
  int max_pages = 0;
  for (int b = 0; b < batch; ++b) {
    pages_needed[b] = (spec.seqlens[b] + spec.page_size - 1) / spec.page_size;
    total_pages += pages_needed[b];
    max_pages = std::max(max_pages, pages_needed[b]);
  }
  // A few unused pages so that stray reads land on NaN, not on real data.
  p.num_pages = total_pages + 3;
  p.max_pages_per_request = max_pages + spec.spare_pages_per_request;
  validate_problem(p);

  std::mt19937_64 rng(spec.seed);
  HostDecodeInputs& in = step.inputs;
  const int64_t q_rows = p.total_q * p.num_heads;
  in.q.resize(size_t(q_rows) * kHeadDim);
  // Streams: q row r is stream r, page-fill i is stream q_rows + i.
  detail::parallel_for(q_rows, [&](int64_t row) {
    SplitMix64 row_rng(spec.seed, uint64_t(row));
    std::normal_distribution<float> normal(0.f, 1.f);
    uint16_t* values = in.q.data() + size_t(row) * kHeadDim;
    for (int d = 0; d < kHeadDim; ++d) values[d] = detail::float_to_bf16(normal(row_rng));
  });
  in.kv_scale = std::uniform_real_distribution<float>(0.005f, 0.05f)(rng);

  std::vector<int32_t> page_order(p.num_pages);
  std::iota(page_order.begin(), page_order.end(), 0);
  std::shuffle(page_order.begin(), page_order.end(), rng);
  const size_t token_bytes = size_t(kv_token_bytes(p.kv_dtype));
  in.kv_cache.resize(size_t(p.num_pages) * p.page_size * token_bytes);
  in.block_table.assign(size_t(batch) * p.max_pages_per_request,
                        std::numeric_limits<int32_t>::max() - 7);
  struct PageFill {
    int32_t page;
    int tokens;  // written from the page's start; the rest stays NaN
  };
  std::vector<PageFill> fills;
  fills.reserve(size_t(total_pages));
  for (int b = 0; b < batch; ++b) {
    for (int i = 0; i < pages_needed[b]; ++i) {
      const int32_t page = page_order[fills.size()];
      in.block_table[size_t(b) * p.max_pages_per_request + i] = page;
      fills.push_back({page, std::min(spec.page_size, spec.seqlens[b] - i * spec.page_size)});
    }
  }
  std::vector<int> page_tokens(size_t(p.num_pages), 0);
  for (const PageFill& fill : fills) page_tokens[size_t(fill.page)] = fill.tokens;
  detail::parallel_for(p.num_pages, [&](int64_t page) {
    SplitMix64 page_rng(spec.seed, uint64_t(q_rows + page));
    uint8_t* first = in.kv_cache.data() + size_t(page) * p.page_size * token_bytes;
    for (int t = 0; t < p.page_size; ++t) {
      uint8_t* bytes = first + size_t(t) * token_bytes;
      if (t < page_tokens[size_t(page)]) {
        fill_token(p.kv_dtype, in.kv_scale, page_rng, bytes);
      } else {
        poison_token(p.kv_dtype, bytes);
      }
    }
  });
  in.seqlens = spec.seqlens;
  in.qo_indptr.assign(batch + 1, 0);
  for (int b = 0; b < batch; ++b) in.qo_indptr[b + 1] = in.qo_indptr[b] + spec.q_lens[b];
  return step;
}

std::vector<int32_t> random_varlen(int batch, int mean, int min_len,
                                   int max_len, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(mean, mean / 2.0);
  std::vector<int32_t> lengths(batch);
  for (int32_t& len : lengths) {
    len = int32_t(std::clamp<double>(std::round(normal(rng)), min_len, max_len));
  }
  return lengths;
}

}  // namespace mladec
