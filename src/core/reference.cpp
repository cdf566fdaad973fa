#include "mladec/reference.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "mladec/config.h"
#include "mladec/constants.h"
#include "mladec/kv_format.h"
#include "src/core/fp8_compute_layout.h"
#include "src/core/numeric_formats.h"
#include "src/core/parallel_for.h"
#include "src/core/require.h"

namespace mladec {

namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

int64_t request_q_start(const DecodeProblem& p, const HostDecodeInputs& in,
                        int b) {
  return p.ragged_q ? in.qo_indptr[b] : int64_t(b) * p.max_q_len;
}
int request_q_len(const DecodeProblem& p, const HostDecodeInputs& in, int b) {
  return p.ragged_q ? in.qo_indptr[b + 1] - in.qo_indptr[b] : p.max_q_len;
}

// KV positions [0, visible) are seen by query token t of a request with
// q_len tokens and kv_len keys (causal: bottom-right aligned).
int64_t visible_keys(const DecodeProblem& p, int kv_len, int q_len, int t) {
  if (!p.causal) return kv_len;
  return std::clamp<int64_t>(int64_t(kv_len) - q_len + t + 1, 0, kv_len);
}

// Token j of request b dequantized as `products` says (kv_format.h).
void load_token(const DecodeProblem& p, const HostDecodeInputs& in, int b, int j,
                BlockwiseProducts products, double* values) {
  const int32_t page = in.block_table[size_t(b) * p.max_pages_per_request + j / p.page_size];
  const size_t slot = size_t(page) * p.page_size + j % p.page_size;
  const uint8_t* bytes = in.kv_cache.data() + slot * size_t(kv_token_bytes(p.kv_dtype));
  decode_kv_token(p.kv_dtype, bytes, in.kv_scale, values, products);
}

// The dequantized KV of one request, [kv_len, 576], as the problem's kernel
// form consumes it.
std::vector<double> load_request_kv(const DecodeProblem& p,
                                    const HostDecodeInputs& in, int b) {
  const BlockwiseProducts products = select_config(p).blockwise_products;
  const int kv_len = in.seqlens[b];
  std::vector<double> kv(size_t(kv_len) * kHeadDim);
  for (int j = 0; j < kv_len; ++j) load_token(p, in, b, j, products, kv.data() + size_t(j) * kHeadDim);
  return kv;
}

// A query row as the problem's kernel form consumes it: its bf16 values, or
// in the fp8-compute form (KernelConfig::fp8_compute) those values rounded to
// e4m3 after the row's power-of-two scale (fp8_compute_layout.h), exactly as
// the kernel's producer quantizes them.
std::vector<double> load_query(const HostDecodeInputs& in, const DecodeProblem& p,
                               int64_t token, int head) {
  std::vector<double> q(kHeadDim);
  const uint16_t* src =
      in.q.data() + (size_t(token) * p.num_heads + head) * kHeadDim;
  for (int d = 0; d < kHeadDim; ++d) q[d] = detail::bf16_to_float(src[d]);
  if (select_config(p).fp8_compute) {
    float largest = 0.f;
    for (int d = 0; d < kHeadDim; ++d) largest = std::max(largest, std::fabs(float(q[d])));
    const int shift = detail::fp8_compute_q_shift(largest);
    const float factor = detail::fp8_compute_power_of_two(shift);
    const double inverse = detail::fp8_compute_power_of_two(-shift);
    for (int d = 0; d < kHeadDim; ++d) {
      q[d] = detail::fp8_e4m3_to_float(detail::float_to_fp8_e4m3(float(q[d]) * factor)) * inverse;
    }
  }
  return q;
}

double score(const double* q, const double* k, double scale) {
  double dot = 0;
  for (int d = 0; d < kHeadDim; ++d) dot += q[d] * k[d];
  return dot * scale;
}

// Softmax attention of one query over keys [begin, end): normalized output
// (512 values) and LSE; out = 0 and lse = -inf when the range is empty.
void attend(const double* q, const std::vector<double>& kv, int64_t begin,
            int64_t end, double scale, double* out, double* lse) {
  std::fill(out, out + kLatentDim, 0.0);
  if (end <= begin) {
    *lse = kNegInf;
    return;
  }
  std::vector<double> s(end - begin);
  double max_score = kNegInf;
  for (int64_t j = begin; j < end; ++j) {
    s[j - begin] = score(q, kv.data() + j * kHeadDim, scale);
    max_score = std::max(max_score, s[j - begin]);
  }
  double sum = 0;
  for (int64_t j = begin; j < end; ++j) {
    double weight = std::exp(s[j - begin] - max_score);
    sum += weight;
    const double* v = kv.data() + j * kHeadDim;
    for (int d = 0; d < kLatentDim; ++d) out[d] += weight * v[d];
  }
  for (int d = 0; d < kLatentDim; ++d) out[d] /= sum;
  *lse = max_score + std::log(sum);
}

void require_inputs(const DecodeProblem& p, const HostDecodeInputs& in) {
  validate_problem(p);
  using detail::require;
  const size_t token_bytes = size_t(kv_token_bytes(p.kv_dtype));
  require(in.q.size() == size_t(p.total_q) * p.num_heads * kHeadDim,
          ErrorCode::kBadTensor, "q holds ", in.q.size(), " values, expected ",
          size_t(p.total_q) * p.num_heads * kHeadDim);
  require(in.kv_cache.size() == size_t(p.num_pages) * p.page_size * token_bytes,
          ErrorCode::kBadTensor, "kv_cache holds ", in.kv_cache.size(),
          " bytes, expected ", size_t(p.num_pages) * p.page_size * token_bytes);
  require(in.block_table.size() == size_t(p.batch) * p.max_pages_per_request,
          ErrorCode::kBadTensor, "block_table holds ", in.block_table.size(),
          " entries, expected ", size_t(p.batch) * p.max_pages_per_request);
  require(in.seqlens.size() == size_t(p.batch), ErrorCode::kBadTensor,
          "seqlens holds ", in.seqlens.size(), " entries, expected ", p.batch);
  require(in.qo_indptr.size() == size_t(p.batch) + 1, ErrorCode::kBadTensor,
          "qo_indptr holds ", in.qo_indptr.size(), " entries, expected ",
          p.batch + 1);
  // The GPU path checks the scale in validate_args(); a NaN or zero scale
  // would make every result NaN or 0 without an error.
  require(p.kv_dtype != KvDtype::kFp8E4m3 ||
              (std::isfinite(in.kv_scale) && in.kv_scale > 0.f),
          ErrorCode::kBadKvScale,
          "kv_scale must be finite and > 0 for fp8_e4m3, got ", in.kv_scale);
  validate_lengths(p, in.lengths(p));
  for (int b = 0; b < p.batch; ++b) {
    const int pages = int((int64_t(in.seqlens[b]) + p.page_size - 1) / p.page_size);
    for (int i = 0; i < pages; ++i) {
      int32_t page = in.block_table[size_t(b) * p.max_pages_per_request + i];
      require(page >= 0 && page < p.num_pages, ErrorCode::kBadBlockTable,
              "block_table[", b, "][", i, "] must be in [0, num_pages = ",
              p.num_pages, "), got ", page);
    }
  }
}

}  // namespace

RequestLengths HostDecodeInputs::lengths(const DecodeProblem& problem) const {
  return RequestLengths{seqlens.data(),
                        problem.ragged_q ? qo_indptr.data() : nullptr};
}

void load_kv_token(const DecodeProblem& p, const HostDecodeInputs& in,
                   int request, int token, double* values) {
  load_token(p, in, request, token, select_config(p).blockwise_products, values);
}

HostDecodeOutputs reference_decode(const DecodeProblem& p,
                                   const HostDecodeInputs& in) {
  require_inputs(p, in);
  // Rows of q that belong to no request (ragged, total_q > qo_indptr[batch])
  // have no defined result: NaN marks them.
  HostDecodeOutputs result;
  result.out.assign(size_t(p.total_q) * p.num_heads * kLatentDim,
                    std::numeric_limits<double>::quiet_NaN());
  result.lse.assign(size_t(p.total_q) * p.num_heads,
                    std::numeric_limits<double>::quiet_NaN());
  // Each request's KV is dequantized once; then every (request, token,
  // head) row is independent, so batch-1 problems use every core too.
  std::vector<std::vector<double>> kv(size_t(p.batch));
  detail::parallel_for(p.batch, [&](int64_t b) { kv[b] = load_request_kv(p, in, int(b)); });
  struct Row {
    int request, q_len, t;
  };
  std::vector<Row> rows;
  for (int b = 0; b < p.batch; ++b) {
    const int q_len = request_q_len(p, in, b);
    for (int t = 0; t < q_len; ++t) rows.push_back({b, q_len, t});
  }
  detail::parallel_for(int64_t(rows.size()) * p.num_heads, [&](int64_t i) {
    const Row& r = rows[size_t(i / p.num_heads)];
    const int h = int(i % p.num_heads);
    const int64_t token = request_q_start(p, in, r.request) + r.t;
    const int64_t visible = visible_keys(p, in.seqlens[r.request], r.q_len, r.t);
    const size_t row = size_t(token) * p.num_heads + h;
    const std::vector<double> q = load_query(in, p, token, h);
    attend(q.data(), kv[r.request], 0, visible, p.softmax_scale,
           result.out.data() + row * kLatentDim, &result.lse[row]);
  });
  return result;
}

HostDecodeOutputs reference_request_rows(const DecodeProblem& p,
                                         const HostDecodeInputs& in,
                                         int request, int row_begin,
                                         int row_end) {
  using detail::require;
  require_inputs(p, in);
  require(request >= 0 && request < p.batch, ErrorCode::kBadBatch,
          "request must be in [0, batch = ", p.batch, "), got ", request);
  const int q_len = request_q_len(p, in, request);
  require(0 <= row_begin && row_begin <= row_end &&
              row_end <= q_len * p.num_heads,
          ErrorCode::kBadQLen, "rows [", row_begin, ", ", row_end,
          ") must lie in [0, q_len * num_heads = ", q_len * p.num_heads,
          "] of request ", request);
  HostDecodeOutputs result;
  result.out.resize(size_t(row_end - row_begin) * kLatentDim);
  result.lse.resize(size_t(row_end - row_begin));
  // The same steps as reference_decode(): KV dequantized once, then each row
  // on its own core.
  const std::vector<double> kv = load_request_kv(p, in, request);
  detail::parallel_for(row_end - row_begin, [&](int64_t i) {
    const int r = row_begin + int(i);
    const int t = r / p.num_heads;
    const std::vector<double> q = load_query(
        in, p, request_q_start(p, in, request) + t, r % p.num_heads);
    attend(q.data(), kv, 0, visible_keys(p, in.seqlens[request], q_len, t),
           p.softmax_scale, result.out.data() + i * kLatentDim,
           &result.lse[size_t(i)]);
  });
  return result;
}

HostDecodeOutputs execute_plan(const DecodeProblem& p, HostPlan& plan,
                               const HostDecodeInputs& in) {
  require_inputs(p, in);
  // HostPlan's fields are public: a buffer shorter than its layout would be
  // read past its end by validate_plan() below.
  detail::require(plan.buffer.size() >= plan.layout.plan_bytes,
                  ErrorCode::kBufferTooSmall, "plan.buffer holds ",
                  plan.buffer.size(), " bytes, its layout needs ",
                  plan.layout.plan_bytes);
  validate_plan(p, plan.config, plan.layout, in.lengths(p), plan.buffer.data());
  HostDecodeOutputs result;
  result.out.assign(size_t(p.total_q) * p.num_heads * kLatentDim,
                    std::numeric_limits<double>::quiet_NaN());
  result.lse.assign(size_t(p.total_q) * p.num_heads,
                    std::numeric_limits<double>::quiet_NaN());
  const PlanLayout& layout = plan.layout;
  const size_t slot_rows = size_t(layout.slot_rows);
  std::vector<double> partial_out(size_t(layout.max_split_slots) * slot_rows *
                                  kLatentDim);
  std::vector<double> partial_lse(size_t(layout.max_split_slots) * slot_rows);

  std::vector<std::vector<double>> kv_cache(p.batch);
  const PlanHeader& header = plan.header();
  const PlanPiece* pieces = plan.pieces();
  const PlanUnit* units = plan.units();
  const int32_t* worker_begin = plan.worker_piece_begin();
  for (int w = 0; w < layout.workers; ++w) {
    for (int i = worker_begin[w]; i < worker_begin[w + 1]; ++i) {
      const PlanPiece& piece = pieces[i];
      const PlanUnit& unit = units[piece.unit];
      std::vector<double>& kv = kv_cache[unit.request];
      if (kv.empty() && unit.kv_len > 0) kv = load_request_kv(p, in, unit.request);
      for (int r = 0; r < unit.row_count; ++r) {
        const int row_in_request = unit.row_begin + r;
        const int t = row_in_request / p.num_heads;
        const int h = row_in_request % p.num_heads;
        const int64_t token = unit.q_start + t;
        const int64_t end = std::min<int64_t>(
            piece.kv_end, visible_keys(p, unit.kv_len, unit.q_len, t));
        std::vector<double> q = load_query(in, p, token, h);
        double* out;
        double* lse;
        if (piece.slot < 0) {
          const size_t row = size_t(token) * p.num_heads + h;
          out = result.out.data() + row * kLatentDim;
          lse = &result.lse[row];
        } else {
          const size_t slot_row = size_t(piece.slot) * slot_rows + r;
          out = partial_out.data() + slot_row * kLatentDim;
          lse = &partial_lse[slot_row];
        }
        attend(q.data(), kv, piece.kv_begin, end, p.softmax_scale, out, lse);
      }
    }
  }

  // Combine: merge each split unit's pieces in slot (= KV) order.
  const int32_t* combine = plan.combine();
  for (int c = 0; c < header.num_combine; ++c) {
    const PlanUnit& unit = units[combine[c]];
    for (int r = 0; r < unit.row_count; ++r) {
      const int row_in_request = unit.row_begin + r;
      const size_t row =
          size_t(unit.q_start + row_in_request / p.num_heads) * p.num_heads +
          row_in_request % p.num_heads;
      double max_lse = kNegInf;
      for (int k = 0; k < unit.num_splits; ++k) {
        max_lse = std::max(
            max_lse, partial_lse[size_t(unit.first_slot + k) * slot_rows + r]);
      }
      double* out = result.out.data() + row * kLatentDim;
      std::fill(out, out + kLatentDim, 0.0);
      if (max_lse == kNegInf) {
        result.lse[row] = kNegInf;
        continue;
      }
      double sum = 0;
      for (int k = 0; k < unit.num_splits; ++k) {
        const size_t slot_row = size_t(unit.first_slot + k) * slot_rows + r;
        const double weight = std::exp(partial_lse[slot_row] - max_lse);
        sum += weight;
        const double* part = partial_out.data() + slot_row * kLatentDim;
        for (int d = 0; d < kLatentDim; ++d) out[d] += weight * part[d];
      }
      for (int d = 0; d < kLatentDim; ++d) out[d] /= sum;
      result.lse[row] = max_lse + std::log(sum);
    }
  }
  return result;
}

}  // namespace mladec
