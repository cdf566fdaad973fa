#include "python/src/device_plan.h"

#include <cuda_runtime_api.h>
#include <nanobind/nanobind.h>

#include "src/core/require.h"
#include "src/cuda/cuda_check.h"

namespace nb = nanobind;

namespace mladec::python {

namespace {

using detail::cuda_check;
using detail::require;

// Plan arrays start on 128-byte boundaries relative to the buffer (see
// plan_layout), so the buffer itself must too.
constexpr uintptr_t kBufferAlign = 128;

int resolve_device(int device) {
  if (device >= 0) return device;
  int current = 0;
  cuda_check(cudaGetDevice(&current), "cudaGetDevice");
  return current;
}

bool is_cuda(const Array& array) {
  return array.device_type() == kDlCuda || array.device_type() == kDlCudaManaged;
}

void* user_buffer(const Array& array, size_t bytes, int device, const char* name) {
  require(is_cuda(array), ErrorCode::kBadTensor, name,
          " must be a CUDA array, got one on DLPack device type ", array.device_type());
  require_on_device(array, device, name);
  require(is_row_major(array), ErrorCode::kBadTensor, name, " must be contiguous");
  require(array.nbytes() >= bytes, ErrorCode::kBufferTooSmall, name, " holds ",
          array.nbytes(), " bytes, the plan needs ", bytes);
  require(reinterpret_cast<uintptr_t>(array.data()) % kBufferAlign == 0,
          ErrorCode::kBadTensor, name, " must be ", kBufferAlign, "-byte aligned");
  return array.data();
}

cudaStream_t as_stream(uintptr_t handle) { return reinterpret_cast<cudaStream_t>(handle); }

// A length vector plan_on_device() accepted: 1-D, hence contiguous.
std::vector<int32_t> download_vector(const TensorView& view) {
  std::vector<int32_t> values(size_t(view.shape[0]));
  cuda_check(cudaDeviceSynchronize(), "cudaDeviceSynchronize");
  cuda_check(cudaMemcpy(values.data(), view.data, values.size() * sizeof(int32_t),
                        cudaMemcpyDeviceToHost),
             "cudaMemcpy of the lengths");
  return values;
}

}  // namespace

DeviceScope::DeviceScope(int device) {
  cuda_check(cudaGetDevice(&previous_), "cudaGetDevice");
  if (previous_ != device) cuda_check(cudaSetDevice(device), "cudaSetDevice");
}

DeviceScope::~DeviceScope() {
  int current = previous_;
  if (cudaGetDevice(&current) == cudaSuccess && current != previous_) {
    cudaSetDevice(previous_);
  }
}

void require_on_device(const Array& array, int device, const char* name) {
  if (!is_cuda(array)) return;  // host memory: the library's checks name it
  require(array.device_id() == device, ErrorCode::kBadTensor, name, " is on cuda:",
          array.device_id(), " but the plan is for cuda:", device);
}

DevicePlan::DevicePlan(const DecodeProblem& problem, int workers, int device,
                       std::optional<Array> plan_buffer, std::optional<Array> workspace)
    : problem_(problem), config_(select_config(problem)), device_(resolve_device(device)) {
  DeviceScope scope(device_);
  layout_ = plan_layout(problem_, config_, workers != 0 ? workers : device_worker_count());
  if (plan_buffer) {
    plan_ = user_buffer(*plan_buffer, layout_.plan_bytes, device_, "plan_buffer");
    user_plan_ = std::move(plan_buffer);
  } else {
    owned_plan_ = DeviceBuffer(layout_.plan_bytes);
    plan_ = owned_plan_.get();
  }
  if (workspace) {
    workspace_ = user_buffer(*workspace, layout_.workspace_bytes, device_, "workspace");
    user_workspace_ = std::move(workspace);
  } else {
    owned_workspace_ = DeviceBuffer(layout_.workspace_bytes);
    workspace_ = owned_workspace_.get();
  }
}

void DevicePlan::plan(const Array& seqlens, std::optional<Array> qo_indptr,
                      uintptr_t stream) {
  require(qo_indptr.has_value() == problem_.ragged_q, ErrorCode::kBadQoIndptr,
          problem_.ragged_q ? "qo_indptr must be given for a ragged_q problem"
                            : "qo_indptr is given but the problem is not ragged_q");
  DecodeArgs lengths;
  lengths.seqlens = as_view(seqlens, ScalarType::kInt32, "seqlens");
  require_on_device(seqlens, device_, "seqlens");
  if (qo_indptr) {
    lengths.qo_indptr = as_view(*qo_indptr, ScalarType::kInt32, "qo_indptr");
    require_on_device(*qo_indptr, device_, "qo_indptr");
  }
  DeviceScope scope(device_);
  plan_on_device(problem_, config_, layout_, lengths, plan_, as_stream(stream));
  // Only a plan that was enqueued counts: a failed call keeps the old one.
  seqlens_ = seqlens;
  qo_indptr_ = std::move(qo_indptr);
  lengths_ = lengths;
}

void DevicePlan::decode(const Array& q, const Array& kv_cache, const Array& block_table,
                        float kv_scale, const Array& out, const Array& lse,
                        uintptr_t stream, bool checked) {
  require(planned(), ErrorCode::kPlanInvalid,
          "decode needs a plan: call mladec.plan(plan, seqlens) first");
  DecodeArgs args = lengths_;
  args.q = as_view(q, ScalarType::kBf16, "q");
  args.kv_cache = as_view(kv_cache, kv_cache_scalar_type(problem_.kv_dtype), "kv_cache");
  args.block_table = as_view(block_table, ScalarType::kInt32, "block_table");
  args.out = as_view(out, ScalarType::kBf16, "out");
  args.lse = as_view(lse, ScalarType::kFloat32, "lse");
  args.kv_scale = kv_scale;
  args.checked = checked;
  require_on_device(q, device_, "q");
  require_on_device(kv_cache, device_, "kv_cache");
  require_on_device(block_table, device_, "block_table");
  require_on_device(out, device_, "out");
  require_on_device(lse, device_, "lse");
  DeviceScope scope(device_);
  nb::gil_scoped_release release;
  mladec::decode(problem_, config_, layout_, plan_, workspace_, args, as_stream(stream));
}

HostPlan DevicePlan::download() const {
  require(planned(), ErrorCode::kPlanInvalid, "the plan has not been made yet");
  DeviceScope scope(device_);
  HostPlan host;
  host.config = config_;
  host.layout = layout_;
  host.buffer.resize(layout_.plan_bytes);
  cuda_check(cudaDeviceSynchronize(), "cudaDeviceSynchronize");
  cuda_check(cudaMemcpy(host.buffer.data(), plan_, host.buffer.size(),
                        cudaMemcpyDeviceToHost),
             "cudaMemcpy of the plan");
  return host;
}

std::vector<int32_t> DevicePlan::download_seqlens() const {
  require(planned(), ErrorCode::kPlanInvalid, "the plan has not been made yet");
  DeviceScope scope(device_);
  return download_vector(lengths_.seqlens);
}

std::optional<std::vector<int32_t>> DevicePlan::download_qo_indptr() const {
  require(planned(), ErrorCode::kPlanInvalid, "the plan has not been made yet");
  if (!qo_indptr_) return std::nullopt;
  DeviceScope scope(device_);
  return download_vector(lengths_.qo_indptr);
}

}  // namespace mladec::python
