#include <cmath>

#include "mladec/constants.h"
#include "mladec/decode.h"
#include "src/core/kernel_form.h"
#include "src/core/planner_params.h"
#include "src/cuda/cuda_check.h"
#include "src/cuda/decode_kernel.cuh"
#include "src/cuda/input_checks.h"
#include "src/cuda/kv_tensor_map.h"
#include "src/cuda/launchers.h"
#include "src/cuda/tensor_checks.h"

namespace mladec {

void decode(const DecodeProblem& problem, const KernelConfig& config,
            const PlanLayout& layout, const void* plan_buffer, void* workspace,
            const DecodeArgs& args, cudaStream_t stream) {
  using detail::require;
  namespace kernel = detail::decode_layout;
  validate_args(problem, args);
  detail::require_selected_kernel_form(problem, config);
  detail::require_matching_layout(problem, config, layout);
  require(detail::kernel_runs_tile_rows(config.tile_rows) &&
              config.kv_block_tokens == kernel::kBlockTokens,
          ErrorCode::kBadConfig, "the sm_90a kernel runs tile_rows ",
          detail::kTransposedSmallTileRows, ", ", detail::kTransposedTileRowLimit, " or ",
          kernel::kTileRows, " and kv_block_tokens = ", kernel::kBlockTokens,
          ", got ", config.tile_rows, " and ", config.kv_block_tokens);
  // A host pointer here would fault inside the kernels: check where they point.
  detail::check_device_buffer(plan_buffer, "plan_buffer");
  require(workspace != nullptr, ErrorCode::kNullPointer,
          "workspace must not be null (", layout.workspace_bytes, " bytes needed)");
  detail::check_device_buffer(workspace, "workspace");

  const PlanView plan = plan_view(layout, const_cast<void*>(plan_buffer));
  auto* workspace_bytes = static_cast<std::byte*>(workspace);
  const int64_t kv_element = scalar_size(args.kv_cache.dtype);
  detail::DecodeParams params{};
  params.q = static_cast<const uint16_t*>(args.q.data);
  params.q_token_stride = args.q.stride[0];
  params.q_head_stride = args.q.stride[1];
  params.kv = static_cast<const uint8_t*>(args.kv_cache.data);
  params.kv_page_stride_bytes = args.kv_cache.stride[0] * kv_element;
  params.kv_token_stride_bytes = args.kv_cache.stride[1] * kv_element;
  params.kv_tma_tokens =
      detail::make_kv_tensor_map(problem, config.tile_rows, args.kv_cache, params.kv_map,
                                 params.kv_rope_map, params.kv_scale_map);
  params.block_table = static_cast<const int32_t*>(args.block_table.data);
  params.block_table_stride = args.block_table.stride[0];
  params.out = static_cast<uint16_t*>(args.out.data);
  params.out_token_stride = args.out.stride[0];
  params.out_head_stride = args.out.stride[1];
  params.lse = static_cast<float*>(args.lse.data);
  params.lse_token_stride = args.lse.stride[0];
  params.lse_head_stride = args.lse.stride[1];
  params.partial_out =
      reinterpret_cast<float*>(workspace_bytes + layout.partial_out_offset);
  params.partial_lse =
      reinterpret_cast<float*>(workspace_bytes + layout.partial_lse_offset);
  params.slot_rows = layout.slot_rows;
  params.num_heads = problem.num_heads;
  params.page_size = problem.page_size;
  params.page_divider = detail::make_fast_divider(uint32_t(problem.page_size));
  params.causal = problem.causal ? 1 : 0;
  // fp8_e4m3 tiles hold the cached values unscaled (exactly): the scale
  // multiplies the scores (K) and the output (V) instead.
  const double kv_scale = problem.kv_dtype == KvDtype::kFp8E4m3 ? args.kv_scale : 1.0;
  params.scale_log2 = float(double(problem.softmax_scale) * kv_scale * M_LOG2E);
  params.out_scale = float(kv_scale);
  params.header = plan.header;
  params.worker_piece_begin = plan.worker_piece_begin;
  params.pieces = plan.pieces;
  params.units = plan.units;
  params.combine = plan.combine;

  if (!detail::checked_mode_requested(args)) {
    detail::launch_decode(problem.kv_dtype, config.tile_rows, config.fp8_compute, params,
                          layout.workers, stream);
    detail::launch_combine(params, layout, stream);
#ifdef MLADEC_BLOCK_TRACE
    detail::dump_block_trace(stream);
#endif
    return;
  }
  // The checks end in a grid barrier (input_checks_device.cuh), which needs
  // every worker's CTA resident at once: one per SM.
  const int sms = device_worker_count();
  require(layout.workers <= sms, ErrorCode::kBadConfig,
          "checked mode needs a plan with at most one worker per SM (", sms,
          " on this GPU), got ", layout.workers,
          ": its checks run in the decode kernel, whose CTAs meet at a grid barrier");
  cudaStreamCaptureStatus capture = cudaStreamCaptureStatusNone;
  detail::cuda_check(cudaStreamIsCapturing(stream, &capture), "cudaStreamIsCapturing");
  // In the workspace, not a per-call allocation: a stream-ordered
  // cudaMallocAsync + cudaFreeAsync per step cost ~230 µs once the pool
  // released its memory at each synchronize (bench/NOTES.md, v4).
  auto* status = reinterpret_cast<detail::InputCheckStatus*>(workspace_bytes +
                                                             layout.check_status_offset);
  // Eager: a fresh generation, no zeroing, and the decode kernel, which runs
  // the checks itself, copies the status to mapped host memory — no stream
  // operation is added (bench/NOTES.md: each one cost µs). Captured: the
  // graph replays one generation, so the status is zeroed on every replay,
  // and nothing is read back (the host copy would not outlive the thread).
  const bool captured = capture != cudaStreamCaptureStatusNone;
  const uint64_t generation =
      captured ? detail::kCapturedCheckGeneration : detail::next_check_generation();
  detail::prepare_input_checks(problem, config, layout,
                               static_cast<const int32_t*>(args.seqlens.data), status,
                               generation, /*zero_first=*/captured, params, stream);
  const detail::PinnedCheckStatus pinned =
      captured ? detail::PinnedCheckStatus{} : detail::pinned_check_status();
  params.check_status_host = pinned.device_words;
  detail::launch_decode(problem.kv_dtype, config.tile_rows, config.fp8_compute, params,
                          layout.workers, stream);
  detail::launch_combine(params, layout, stream);
  if (captured) return;
  detail::wait_for_check_status(pinned, generation, stream);
  detail::throw_if_checks_failed(problem, *pinned.host, generation);
}

}  // namespace mladec
