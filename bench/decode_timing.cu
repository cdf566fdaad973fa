#include "bench/decode_timing.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <vector>

#include "bench/device_fill.h"
#include "bench/event_timer.h"
#include "mladec/constants.h"
#include "mladec/device_step.h"
#include "mladec/random_inputs.h"
#include "src/cuda/cuda_check.h"

namespace mladec::bench {
namespace {

using detail::cuda_check;

// Enough distinct KV bytes per graph replay that the 60 MB L2 holds none of
// the next decode's data.
constexpr double kMinRotatedBytes = 512e6;
constexpr int kMaxCopies = 64;
constexpr int kRepeats = 15;

}  // namespace

BenchResult time_decode(const BenchCase& c) {
  const std::vector<int32_t> seqlens =
      c.varlen ? random_varlen(c.batch, c.seqlen, c.q_len, 3 * c.seqlen,
                               uint64_t(c.batch) * 7919 + c.seqlen + c.heads)
               : std::vector<int32_t>(c.batch, c.seqlen);
  const int token_bytes = kv_token_bytes(c.kv_dtype);
  int max_pages = 1;
  int64_t pages_per_copy = 0;
  double kv_bytes = 0, row_tokens = 0;
  for (int32_t len : seqlens) {
    const int pages = (len + c.page_size - 1) / c.page_size;
    max_pages = std::max(max_pages, pages);
    pages_per_copy += pages;
    kv_bytes += double(len) * token_bytes;
    for (int t = 0; t < c.q_len; ++t) {  // causal: token t sees len - s_q + t + 1
      row_tokens += double(c.heads) * std::max(0, len - c.q_len + t + 1);
    }
  }
  const int copies = c.kv_in_l2 ? 1
                                : std::clamp(int(std::ceil(kMinRotatedBytes / kv_bytes)), 1,
                                             kMaxCopies);

  DecodeProblem problem = make_uniform_problem(
      c.batch, c.heads, c.q_len, c.page_size, pages_per_copy * copies, max_pages,
      c.kv_dtype, 1.f / std::sqrt(float(kHeadDim)));
  KernelConfig config = select_config(problem);
  config.concurrent_tiles = config.concurrent_tiles && c.concurrent_tiles;
  const PlanLayout layout = plan_layout(problem, config, device_worker_count());

  const size_t pool_bytes = size_t(problem.num_pages) * c.page_size * token_bytes;
  DeviceBuffer kv(pool_bytes);
  fill_random_bf16(kv.get(), pool_bytes / 2, 5);
  const int64_t rows = problem.total_q * c.heads;
  DeviceBuffer q(size_t(rows) * kHeadDim * 2), out(size_t(rows) * kLatentDim * 2),
      lse(size_t(rows) * 4);
  fill_random_bf16(q.get(), size_t(rows) * kHeadDim, 6);

  // Copy r's requests live on their own shuffled pages.
  std::vector<int32_t> pages(problem.num_pages);
  std::iota(pages.begin(), pages.end(), 0);
  std::shuffle(pages.begin(), pages.end(), std::mt19937(42));
  std::vector<int32_t> tables(size_t(copies) * c.batch * max_pages, 0);
  size_t next = 0;
  for (int r = 0; r < copies; ++r) {
    for (int b = 0; b < c.batch; ++b) {
      const int count = (seqlens[b] + c.page_size - 1) / c.page_size;
      for (int i = 0; i < count; ++i) {
        tables[(size_t(r) * c.batch + b) * max_pages + i] =
            c.kv_in_l2 ? pages[i] : pages[next++];
      }
    }
  }
  DeviceBuffer block_tables(tables.size() * 4), lengths(seqlens.size() * 4);
  block_tables.upload(tables.data(), tables.size() * 4);
  lengths.upload(seqlens.data(), seqlens.size() * 4);
  DeviceBuffer plan(layout.plan_bytes), workspace(layout.workspace_bytes);

  DecodeArgs args;
  args.q = contiguous_view(q.get(), ScalarType::kBf16, {problem.total_q, c.heads, kHeadDim});
  args.kv_cache = contiguous_view(kv.get(), kv_cache_scalar_type(c.kv_dtype),
                                  {problem.num_pages, c.page_size,
                                   kv_cache_token_elements(c.kv_dtype)});
  args.seqlens = contiguous_view(lengths.get(), ScalarType::kInt32, {c.batch});
  args.out = contiguous_view(out.get(), ScalarType::kBf16, {problem.total_q, c.heads, kLatentDim});
  args.lse = contiguous_view(lse.get(), ScalarType::kFloat32, {problem.total_q, c.heads});
  args.kv_scale = 0.02f;

  cudaStream_t stream;
  cuda_check(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking), "stream");
  plan_on_device(problem, config, layout, args, plan.get(), stream);
  cuda_check(cudaStreamSynchronize(stream), "plan");

  const auto decode_copy = [&](int r) {
    args.block_table = contiguous_view(
        static_cast<int32_t*>(block_tables.get()) + size_t(r) * c.batch * max_pages,
        ScalarType::kInt32, {c.batch, max_pages});
    decode(problem, config, layout, plan.get(), workspace.get(), args, stream);
  };
  double seconds = 0;
  if (c.mode == BenchMode::kGraph) {
    cudaGraph_t graph;
    cudaGraphExec_t exec;
    cuda_check(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal), "capture");
    for (int r = 0; r < copies; ++r) decode_copy(r);
    cuda_check(cudaStreamEndCapture(stream, &graph), "end capture");
    cuda_check(cudaGraphInstantiate(&exec, graph, 0), "instantiate");
    seconds = median_seconds(stream, 3, kRepeats, [&] {
      cuda_check(cudaGraphLaunch(exec, stream), "cudaGraphLaunch");
    });
    cudaGraphExecDestroy(exec);
    cudaGraphDestroy(graph);
  } else {
    args.checked = c.mode == BenchMode::kEagerChecked;
    // Back-to-back eager steps, as a serving loop issues them: an unchecked
    // step only queues its kernels; a checked one returns once its checks'
    // verdict is back (input_checks.h), so the host stays about a step
    // ahead. (Until v20 every step was followed by a stream synchronize,
    // which timed the host's launch latency as much as the checks.)
    seconds = median_seconds(stream, 3, kRepeats, [&] {
      for (int r = 0; r < copies; ++r) decode_copy(r);
    });
  }
  cudaStreamDestroy(stream);

  BenchResult result;
  result.us = seconds * 1e6 / copies;
  result.bytes = kv_bytes + double(rows) * (kHeadDim * 2 + kLatentDim * 2 + 4);
  result.flops = kFlopsPerRowToken * row_tokens;
  result.copies = copies;
  return result;
}

}  // namespace mladec::bench
