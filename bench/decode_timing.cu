#include "bench/decode_timing.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <vector>

#include "bench/device_fill.h"
#include "bench/event_timer.h"
#include "bench/sm_clock.h"
#include "mladec/constants.h"
#include "mladec/device_step.h"
#include "mladec/random_inputs.h"
#include "src/cuda/captured_graph.h"
#include "src/cuda/cuda_check.h"

namespace mladec::bench {

std::vector<int32_t> case_seqlens(const BenchCase& c) {
  return c.varlen ? random_varlen(c.batch, c.seqlen, c.q_len, 3 * c.seqlen,
                                  uint64_t(c.batch) * 7919 + c.seqlen + c.heads)
                  : std::vector<int32_t>(c.batch, c.seqlen);
}

namespace {

using detail::cuda_check;

// Enough distinct KV bytes per graph replay that the 60 MB L2 holds none of
// the next decode's data.
constexpr double kMinRotatedBytes = 512e6;
constexpr int kMaxCopies = 64;
constexpr int kMaxRounds = 64;
constexpr int kRepeats = 15;
constexpr int kWarmup = 3;

// One benchmark case built on the device: random bf16 data, pages
// scattered, planned once; `copies` KV copies rotated so the L2 holds none
// of the next decode's data.
class PreparedCase {
 public:
  explicit PreparedCase(const BenchCase& c) : c_(c) {
    const std::vector<int32_t> seqlens = case_seqlens(c);
    const int token_bytes = kv_token_bytes(c.kv_dtype);
    int64_t pages_per_copy = 0;
    for (int32_t len : seqlens) {
      const int pages = (len + c.page_size - 1) / c.page_size;
      max_pages_ = std::max(max_pages_, pages);
      pages_per_copy += pages;
      kv_bytes_ += double(len) * token_bytes;
      for (int t = 0; t < c.q_len; ++t) {  // causal: token t sees len - s_q + t + 1
        row_tokens_ += double(c.heads) * std::max(0, len - c.q_len + t + 1);
      }
    }
    copies_ = c.kv_in_l2 ? 1
                         : std::clamp(int(std::ceil(kMinRotatedBytes / kv_bytes_)), 1,
                                      kMaxCopies);

    problem_ = make_uniform_problem(c.batch, c.heads, c.q_len, c.page_size,
                                    pages_per_copy * copies_, max_pages_, c.kv_dtype,
                                    1.f / std::sqrt(float(kHeadDim)));
    problem_.fp8_compute = c.fp8_compute;
    if (c.fixed_chunk_tokens > 0) {
      problem_.policy = SchedulePolicy::kFixedChunk;
      problem_.fixed_chunk_tokens = c.fixed_chunk_tokens;
    }
    config_ = select_config(problem_);
    config_.concurrent_tiles = config_.concurrent_tiles && c.concurrent_tiles;
    detail::apply_config_knobs(c.config_knobs, config_);
    layout_ = plan_layout(problem_, config_, c.workers > 0 ? c.workers : device_worker_count());

    if (c.placement > 0) spacer_ = DeviceBuffer(size_t(c.placement) * kPlacementSpacerBytes);
    const size_t pool_bytes = size_t(problem_.num_pages) * c.page_size * token_bytes;
    kv_ = DeviceBuffer(pool_bytes);
    fill_random_bf16(kv_.get(), pool_bytes / 2, 5);
    rows_ = problem_.total_q * c.heads;
    q_ = DeviceBuffer(size_t(rows_) * kHeadDim * 2);
    out_ = DeviceBuffer(size_t(rows_) * kLatentDim * 2);
    lse_ = DeviceBuffer(size_t(rows_) * 4);
    fill_random_bf16(q_.get(), size_t(rows_) * kHeadDim, 6);

    // Copy r's requests live on their own shuffled pages (or, with
    // pages_in_order, on consecutive ones).
    std::vector<int32_t> pages(problem_.num_pages);
    std::iota(pages.begin(), pages.end(), 0);
    if (!c.pages_in_order) std::shuffle(pages.begin(), pages.end(), std::mt19937(42));
    std::vector<int32_t> tables(size_t(copies_) * c.batch * max_pages_, 0);
    size_t next = 0;
    for (int r = 0; r < copies_; ++r) {
      for (int b = 0; b < c.batch; ++b) {
        const int count = (seqlens[b] + c.page_size - 1) / c.page_size;
        for (int i = 0; i < count; ++i) {
          tables[(size_t(r) * c.batch + b) * max_pages_ + i] =
              c.kv_in_l2 ? pages[i] : pages[next++];
        }
      }
    }
    block_tables_ = DeviceBuffer(tables.size() * 4);
    lengths_ = DeviceBuffer(seqlens.size() * 4);
    block_tables_.upload(tables.data(), tables.size() * 4);
    lengths_.upload(seqlens.data(), seqlens.size() * 4);
    plan_ = DeviceBuffer(layout_.plan_bytes);
    workspace_ = DeviceBuffer(layout_.workspace_bytes);

    args_.q = contiguous_view(q_.get(), ScalarType::kBf16, {problem_.total_q, c.heads, kHeadDim});
    args_.kv_cache = contiguous_view(kv_.get(), kv_cache_scalar_type(c.kv_dtype),
                                     {problem_.num_pages, c.page_size,
                                      kv_cache_token_elements(c.kv_dtype)});
    args_.seqlens = contiguous_view(lengths_.get(), ScalarType::kInt32, {c.batch});
    args_.out =
        contiguous_view(out_.get(), ScalarType::kBf16, {problem_.total_q, c.heads, kLatentDim});
    args_.lse = contiguous_view(lse_.get(), ScalarType::kFloat32, {problem_.total_q, c.heads});
    args_.kv_scale = 0.02f;

    plan_on_device(problem_, config_, layout_, args_, plan_.get(), stream_.get());
    cuda_check(cudaStreamSynchronize(stream_.get()), "plan");
  }

  // Per-decode seconds: the median over kRepeats replays of one graph of
  // back-to-back decodes, whole passes over the copies, at least
  // min_timing_seconds() of them: one pass is timed first to size it.
  double graph_seconds() {
    rounds_ = 1;
    if (min_timing_seconds() > 0) {
      const detail::CapturedGraph one_pass(stream_.get(), [&] { all_steps(false); });
      double pass = 1e30;
      for (int i = 0; i < 2; ++i) {
        pass = std::min(pass,
                        elapsed_seconds(stream_.get(), [&] { one_pass.launch(stream_.get()); }));
      }
      rounds_ = std::clamp(int(std::ceil(min_timing_seconds() / pass)), 1, kMaxRounds);
    }
    const detail::CapturedGraph timed(stream_.get(), [&] { all_steps(false); });
    return median_seconds(stream_.get(), kWarmup, kRepeats,
                          [&] { timed.launch(stream_.get()); }) /
           steps();
  }

  // Per-decode seconds of one loop of back-to-back eager steps over the
  // copies, as a serving loop issues them: an unchecked step only queues
  // its kernels; a checked one returns once its checks' verdict is back
  // (input_checks.h), so the host stays about a step ahead. (Until v20
  // every step was followed by a stream synchronize, which timed the
  // host's launch latency as much as the checks.)
  double eager_loop_seconds(bool checked) {
    return elapsed_seconds(stream_.get(), [&] { all_steps(checked); }) / steps();
  }

  // The median of kRepeats such loops after kWarmup.
  double eager_seconds(bool checked) {
    return median_seconds(stream_.get(), kWarmup, kRepeats, [&] { all_steps(checked); }) /
           steps();
  }

  cudaStream_t stream() const { return stream_.get(); }

  BenchResult result(double seconds_per_decode) const {
    BenchResult r;
    r.us = seconds_per_decode * 1e6;
    r.bytes = kv_bytes_ + double(rows_) * (kHeadDim * 2 + kLatentDim * 2 + 4);
    r.flops = kFlopsPerRowToken * row_tokens_;
    r.copies = copies_;
    r.steps = steps();
    return r;
  }

 private:
  // The timing's steps: passes over the copies (rounds_ of them).
  void all_steps(bool checked) {
    args_.checked = checked;
    for (int r = 0; r < steps(); ++r) {
      args_.block_table = contiguous_view(
          static_cast<int32_t*>(block_tables_.get()) +
              size_t(r % copies_) * c_.batch * max_pages_,
          ScalarType::kInt32, {c_.batch, max_pages_});
      decode(problem_, config_, layout_, plan_.get(), workspace_.get(), args_, stream_.get());
    }
  }

  BenchCase c_;
  int max_pages_ = 1;
  int copies_ = 1;
  int rounds_ = 1;  // passes over the copies per timing (graph_seconds)
  int steps() const { return copies_ * rounds_; }
  int64_t rows_ = 0;
  double kv_bytes_ = 0, row_tokens_ = 0;
  DecodeProblem problem_;
  KernelConfig config_;
  PlanLayout layout_;
  DeviceBuffer spacer_;  // held while the case lives (BenchCase::placement)
  DeviceBuffer kv_, q_, out_, lse_, block_tables_, lengths_, plan_, workspace_;
  DecodeArgs args_;
  DeviceStream stream_;
};

}  // namespace

BenchResult time_decode(const BenchCase& c) {
  PreparedCase prepared(c);
  const SmClockProbe& clock = sm_clock_probe();
  const double seconds = c.mode == BenchMode::kGraph
                             ? prepared.graph_seconds()
                             : prepared.eager_seconds(c.mode == BenchMode::kEagerChecked);
  BenchResult result = prepared.result(seconds);
  result.settle = last_clock_settle();
  result.sm_mhz = clock.read_mhz(prepared.stream());
  return result;
}

CheckedPair time_checked_pair(const BenchCase& c) {
  PreparedCase prepared(c);
  const SmClockProbe& clock = sm_clock_probe();
  // Unchecked and checked loops alternate, so clock and thermal drift hit
  // both alike; the cost is the median of the rounds' ratios (timed in
  // separate runs, the two medians moved by a few percent between runs).
  std::vector<double> plain, checked, ratio;
  settle_sm_clock(prepared.stream());
  const ClockSettle settle = last_clock_settle();
  for (int i = 0; i < kWarmup + kRepeats; ++i) {
    const double p = prepared.eager_loop_seconds(false);
    const double k = prepared.eager_loop_seconds(true);
    if (i < kWarmup) continue;
    plain.push_back(p);
    checked.push_back(k);
    ratio.push_back(k / p);
  }
  CheckedPair pair;
  pair.unchecked = prepared.result(median(plain));
  pair.checked = prepared.result(median(checked));
  pair.unchecked.sm_mhz = pair.checked.sm_mhz = clock.read_mhz(prepared.stream());
  pair.unchecked.settle = pair.checked.settle = settle;
  pair.cost = median(ratio) - 1;
  return pair;
}

}  // namespace mladec::bench
