#pragma once
// A decode plan on one GPU, as the Python API holds it: the problem, its
// config and layout, the plan and workspace buffers (owned, or the caller's
// arrays, kept alive here) and the length arrays the last plan() read. decode()
// reuses those arrays, so a decode can never run a plan made from other
// lengths than the ones it is given.
#include <cstdint>
#include <optional>
#include <vector>

#include "mladec/decode.h"
#include "mladec/device_step.h"
#include "python/src/array_views.h"

namespace mladec::python {

class DevicePlan {
 public:
  // workers 0: the device's SM count; device -1: the current device.
  DevicePlan(const DecodeProblem& problem, int workers, int device,
             std::optional<Array> plan_buffer, std::optional<Array> workspace);

  // plan_on_device() from device lengths, on `stream` (a cudaStream_t).
  void plan(const Array& seqlens, std::optional<Array> qo_indptr, uintptr_t stream);

  // mladec::decode() over the plan; needs a plan() first.
  void decode(const Array& q, const Array& kv_cache, const Array& block_table,
              float kv_scale, const Array& out, const Array& lse, uintptr_t stream,
              bool checked);

  // Copies of the plan and of the lengths it was made from; wait for the
  // device first (not inside a CUDA graph capture).
  HostPlan download() const;
  std::vector<int32_t> download_seqlens() const;
  std::optional<std::vector<int32_t>> download_qo_indptr() const;

  const DecodeProblem& problem() const { return problem_; }
  const KernelConfig& config() const { return config_; }
  const PlanLayout& layout() const { return layout_; }
  int device() const { return device_; }
  bool planned() const { return seqlens_.has_value(); }

 private:
  DecodeProblem problem_;
  KernelConfig config_;
  PlanLayout layout_;
  int device_ = 0;
  DeviceBuffer owned_plan_, owned_workspace_;
  std::optional<Array> user_plan_, user_workspace_;
  void* plan_ = nullptr;
  void* workspace_ = nullptr;
  std::optional<Array> seqlens_, qo_indptr_;
  DecodeArgs lengths_;  // views of seqlens_ and qo_indptr_
};

// Makes `device` current for a scope and restores the caller's device, so a
// call never changes the device the caller's framework works on.
class DeviceScope {
 public:
  explicit DeviceScope(int device);
  ~DeviceScope();
  DeviceScope(const DeviceScope&) = delete;
  DeviceScope& operator=(const DeviceScope&) = delete;

 private:
  int previous_ = 0;
};

// The arrays of one device call must live on the plan's device.
void require_on_device(const Array& array, int device, const char* name);

}  // namespace mladec::python
