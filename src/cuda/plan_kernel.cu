// The device planner: run_planner() (src/core/planner.h, the same code
// make_plan() runs on the host) executed by one thread block.
#include "mladec/decode.h"
#include "src/core/planner_params.h"
#include "src/cuda/cuda_check.h"
#include "src/cuda/hopper.cuh"
#include "src/cuda/step_timeline.cuh"
#include "src/cuda/step_timeline.h"
#include "src/cuda/tensor_checks.h"

namespace mladec {
namespace detail {
namespace {

constexpr int kPlannerThreads = 512;

// Runs each planner phase across the block; scans are block-wide.
struct BlockExec {
  __device__ bool leader() const { return threadIdx.x == 0; }
  __device__ void sync() {
    __syncthreads();
    // The step timeline's planner phases (step_timeline.cuh): barrier n in
    // slot 1 + n.
    if (threadIdx.x == 0) timeline(kTimelineEnd, 1 + barriers);
    ++barriers;
  }
  unsigned barriers = 0;

  template <typename Fn>
  __device__ void for_each(int n, Fn&& fn) const {
    for (int i = threadIdx.x; i < n; i += blockDim.x) fn(i);
  }

  template <typename T>
  __device__ int64_t scan(T* array, int n) {
    __shared__ T warp_totals[kPlannerThreads / 32];
    const int lane = threadIdx.x % 32;
    const int warp = threadIdx.x / 32;
    const int warps = blockDim.x / 32;
    T carry = 0;
    for (int base = 0; base < n; base += blockDim.x) {
      const int i = base + threadIdx.x;
      const T value = i < n ? array[i] : T(0);
      T inclusive = value;
      for (int offset = 1; offset < 32; offset *= 2) {
        T other = __shfl_up_sync(0xffffffffu, inclusive, offset);
        if (lane >= offset) inclusive += other;
      }
      if (lane == 31) warp_totals[warp] = inclusive;
      __syncthreads();
      if (warp == 0) {
        T total = lane < warps ? warp_totals[lane] : T(0);
        for (int offset = 1; offset < 32; offset *= 2) {
          T other = __shfl_up_sync(0xffffffffu, total, offset);
          if (lane >= offset) total += other;
        }
        if (lane < warps) warp_totals[lane] = total;
      }
      __syncthreads();
      const T before_warp = warp > 0 ? warp_totals[warp - 1] : T(0);
      if (i < n) array[i] = carry + before_warp + inclusive - value;
      carry += warp_totals[warps - 1];
      __syncthreads();  // warp_totals is reused by the next chunk
    }
    if (threadIdx.x == 0) array[n] = carry;
    sync();
    return int64_t(carry);
  }
};

// One CTA per grid, so at least one CTA per SM: without the minimum, ptxas
// aimed for three CTAs of 512 threads per SM (40 registers) and spilled.
__global__ void __launch_bounds__(kPlannerThreads, 1)
    plan_kernel(PlannerParams params, PlanView view) {
  // One block: the decode kernel, launched dependent, may take the other
  // SMs now and wait there for the plan.
  allow_dependent_launch();
  if (threadIdx.x == 0) timeline(kTimelineStart);
  BlockExec exec;
  run_planner(params, view, exec);
  if (threadIdx.x == 0) timeline(kTimelineEnd);
}

}  // namespace

#ifdef MLADEC_BLOCK_TRACE
void print_plan_timeline(std::FILE* out) { print_timeline_slots(out, "plan"); }
#endif

}  // namespace detail

void plan_on_device(const DecodeProblem& problem, const KernelConfig& config,
                    const PlanLayout& layout, const DecodeArgs& args,
                    void* plan_buffer, cudaStream_t stream) {
  detail::require_matching_layout(problem, config, layout);
  detail::check_lengths_tensors(problem, args);
  detail::check_device_buffer(plan_buffer, "plan_buffer");
  detail::PlannerParams params = detail::planner_params(
      problem, config, layout, static_cast<const int32_t*>(args.seqlens.data),
      static_cast<const int32_t*>(args.qo_indptr.data));
  detail::plan_kernel<<<1, detail::kPlannerThreads, 0, stream>>>(
      params, plan_view(layout, plan_buffer));
  detail::cuda_check(cudaGetLastError(), "plan_kernel launch");
}

}  // namespace mladec
