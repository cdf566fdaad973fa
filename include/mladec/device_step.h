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
  void upload(const void* host, size_t bytes);
  void download(void* host, size_t bytes) const;

 private:
  void* data_ = nullptr;
  size_t bytes_ = 0;
};

class DeviceStep {
 public:
  // Uploads the inputs and allocates plan, workspace and outputs for
  // `workers` workers (0: one per SM).
  DeviceStep(const DecodeProblem& problem, const HostDecodeInputs& inputs,
             int workers = 0);

  // Fills out and lse with NaN so unwritten elements cannot pass a check.
  void poison_outputs(cudaStream_t stream);
  void plan(cudaStream_t stream);    // plan_on_device()
  void decode(cudaStream_t stream);  // mladec::decode()
  // Re-uploads lengths and block table (a later step of a decode loop).
  void upload_lengths(const HostDecodeInputs& inputs);

  HostDecodeOutputs download_outputs() const;
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

}  // namespace mladec
