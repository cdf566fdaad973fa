#pragma once
#include <cuda_runtime_api.h>

#include "mladec/plan.h"
#include "mladec/tensor.h"

namespace mladec {

// Device tensors of one decode step (DESIGN §3).
struct DecodeArgs {
  TensorView q;            // [total_q, h_q, 576] bf16, last dim contiguous
  TensorView kv_cache;     // [num_pages, page_size, 576] bf16 / fp8_e4m3,
                           // or [num_pages, page_size, 656] uint8 (blockwise)
  TensorView block_table;  // [batch, max_pages_per_request] int32
  TensorView seqlens;      // [batch] int32
  TensorView qo_indptr;    // [batch + 1] int32, ragged problems only
  float kv_scale = 1.f;    // fp8_e4m3: value = fp8 * kv_scale
  TensorView out;          // [total_q, h_q, 512] bf16
  TensorView lse;          // [total_q, h_q] float32, natural log
  // Checked mode (also on for every call when the environment variable
  // MLADEC_CHECKED is set to anything but "" or "0"): the plan, the lengths
  // and every block-table entry a request uses are checked on the device by
  // the decode kernel before it reads them. A failure stops the kernels
  // (nothing is read or written out of bounds, out/lse stay untouched) and
  // decode() waits for the verdict (not for the step) and throws its
  // mladec::Error (kBadBlockTable, kBadSeqLen, kPlanInvalid). The checks end
  // in a grid barrier, so the plan may have at most one worker per SM
  // (device_worker_count(), the default; else kBadConfig). Inside a CUDA
  // graph capture the checks and the stop are captured but nothing can be
  // thrown: run one step eagerly to learn the error.
  bool checked = false;
};

// Number of SMs of the current device: the usual worker count.
int device_worker_count();

// Plans on the device from device-resident lengths (args.seqlens and
// args.qo_indptr), into a device plan buffer of layout.plan_bytes. Runs the
// same planning code as make_plan(); capturable in a CUDA graph.
void plan_on_device(const DecodeProblem& problem, const KernelConfig& config,
                    const PlanLayout& layout, const DecodeArgs& args,
                    void* plan_buffer, cudaStream_t stream);

// Runs decode (+ combine for split units) with a device plan and a device
// workspace of layout.workspace_bytes. Checks shapes, strides, dtypes and
// alignment first and throws mladec::Error without launching anything.
void decode(const DecodeProblem& problem, const KernelConfig& config,
            const PlanLayout& layout, const void* plan_buffer, void* workspace,
            const DecodeArgs& args, cudaStream_t stream);

// Checks args against the problem (shapes, strides, dtypes, alignment, null
// pointers); throws mladec::Error. decode() calls it; exposed for callers
// that want to fail before capturing a graph.
void validate_args(const DecodeProblem& problem, const DecodeArgs& args);

}  // namespace mladec
