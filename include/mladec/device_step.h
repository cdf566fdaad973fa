#pragma once
// A decode step held on the GPU: device copies of host inputs plus the plan,
// workspace and outputs, for checks, tests and benchmarks.
#include <cuda_runtime_api.h>

#include <cstddef>

#include "mladec/decode.h"
#include "mladec/reference.h"

namespace mladec {

// Owns one cudaMalloc allocation.
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(size_t bytes);
  ~DeviceBuffer();
  DeviceBuffer(DeviceBuffer&& other) noexcept;
  DeviceBuffer& operator=(DeviceBuffer&& other) noexcept;
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  void* get() const { return data_; }
  size_t size() const { return bytes_; }
  // Copy `bytes` bytes to / from the buffer starting at byte `offset`.
  void upload(const void* host, size_t bytes, size_t offset = 0);
  void download(void* host, size_t bytes, size_t offset = 0) const;

 private:
  void* data_ = nullptr;
  size_t bytes_ = 0;
};

// Owns one non-blocking CUDA stream: no implicit synchronization with the
// legacy default stream, which stream capture forbids.
class DeviceStream {
 public:
  DeviceStream();
  ~DeviceStream();
  DeviceStream(const DeviceStream&) = delete;
  DeviceStream& operator=(const DeviceStream&) = delete;

  cudaStream_t get() const { return stream_; }

 private:
  cudaStream_t stream_ = nullptr;
};

class DeviceStep {
 public:
  // Uploads the inputs and allocates plan, workspace and outputs for
  // `workers` workers (0: one per SM).
  DeviceStep(const DecodeProblem& problem, const HostDecodeInputs& inputs,
             int workers = 0);
  // The same with a configuration of the caller's: select_config(problem)
  // with planner knobs changed (src/core/config_knobs.h).
  DeviceStep(const DecodeProblem& problem, const HostDecodeInputs& inputs, int workers,
             const KernelConfig& config);

  // Fills out and lse with NaN so unwritten elements cannot pass a check.
  void poison_outputs(cudaStream_t stream);
  void plan(cudaStream_t stream);    // plan_on_device()
  void decode(cudaStream_t stream);  // mladec::decode()
  // Re-uploads lengths and block table (a later step of a decode loop).
  void upload_lengths(const HostDecodeInputs& inputs);
  // Re-upload part of q or of the KV cache from `inputs`, for a decode loop
  // that changes a few rows or tokens a step: q rows (row = token * h_q +
  // head, 576 values each) [first_row, first_row + rows), and cache slots
  // (slot = page * page_size + token in page) [first_slot, first_slot + slots).
  void upload_q_rows(const HostDecodeInputs& inputs, int64_t first_row,
                     int64_t rows);
  void upload_kv_slots(const HostDecodeInputs& inputs, int64_t first_slot,
                       int64_t slots);

  HostDecodeOutputs download_outputs() const;
  // Output rows [first_row, first_row + rows) only (row = token * h_q +
  // head): out [rows, 512], lse [rows].
  HostDecodeOutputs download_output_rows(int64_t first_row, int64_t rows) const;
  std::vector<std::byte> download_plan() const;

  const DecodeProblem& problem() const { return problem_; }
  const KernelConfig& config() const { return config_; }
  const PlanLayout& layout() const { return layout_; }
  const DecodeArgs& args() const { return args_; }

 private:
  DecodeProblem problem_;
  KernelConfig config_;
  PlanLayout layout_;
  DeviceBuffer q_, kv_, block_table_, seqlens_, qo_indptr_, out_, lse_;
  DeviceBuffer plan_, workspace_;
  DecodeArgs args_;
};

// plan() + decode() of a DeviceStep captured once in a CUDA graph (on a
// capturable stream such as DeviceStream's); each launch replays them with
// the lengths, block table, q and KV the step's buffers hold at that moment.
class DeviceStepGraph {
 public:
  DeviceStepGraph(DeviceStep& step, cudaStream_t stream);
  ~DeviceStepGraph();
  DeviceStepGraph(const DeviceStepGraph&) = delete;
  DeviceStepGraph& operator=(const DeviceStepGraph&) = delete;

  void launch(cudaStream_t stream) const;

 private:
  cudaGraph_t graph_ = nullptr;
  cudaGraphExec_t exec_ = nullptr;
};

}  // namespace mladec
