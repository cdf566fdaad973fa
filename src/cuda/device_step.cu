#include "mladec/device_step.h"

#include <cmath>
#include <utility>

#include "mladec/constants.h"
#include "src/core/numeric_formats.h"
#include "src/cuda/cuda_check.h"

namespace mladec {

using detail::cuda_check;

DeviceBuffer::DeviceBuffer(size_t bytes) : bytes_(bytes) {
  if (bytes > 0) cuda_check(cudaMalloc(&data_, bytes), "cudaMalloc");
}
DeviceBuffer::~DeviceBuffer() {
  if (data_ != nullptr) cudaFree(data_);
}
DeviceBuffer::DeviceBuffer(DeviceBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      bytes_(std::exchange(other.bytes_, 0)) {}
DeviceBuffer& DeviceBuffer::operator=(DeviceBuffer&& other) noexcept {
  if (this != &other) {
    if (data_ != nullptr) cudaFree(data_);
    data_ = std::exchange(other.data_, nullptr);
    bytes_ = std::exchange(other.bytes_, 0);
  }
  return *this;
}
void DeviceBuffer::upload(const void* host, size_t bytes) {
  detail::require(bytes <= bytes_, ErrorCode::kBufferTooSmall, "upload of ",
                  bytes, " bytes into a buffer of ", bytes_);
  if (bytes > 0) {
    cuda_check(cudaMemcpy(data_, host, bytes, cudaMemcpyHostToDevice),
               "cudaMemcpy to device");
  }
}
void DeviceBuffer::download(void* host, size_t bytes) const {
  detail::require(bytes <= bytes_, ErrorCode::kBufferTooSmall, "download of ",
                  bytes, " bytes from a buffer of ", bytes_);
  if (bytes > 0) {
    cuda_check(cudaMemcpy(host, data_, bytes, cudaMemcpyDeviceToHost),
               "cudaMemcpy to host");
  }
}

namespace {

template <typename T>
DeviceBuffer upload_vector(const std::vector<T>& host) {
  DeviceBuffer buffer(host.size() * sizeof(T));
  buffer.upload(host.data(), host.size() * sizeof(T));
  return buffer;
}

}  // namespace

DeviceStep::DeviceStep(const DecodeProblem& problem,
                       const HostDecodeInputs& inputs, int workers)
    : problem_(problem), config_(select_config(problem)) {
  layout_ = plan_layout(problem_, config_,
                        workers > 0 ? workers : device_worker_count());
  const int64_t rows = problem.total_q * problem.num_heads;
  q_ = upload_vector(inputs.q);
  kv_ = upload_vector(inputs.kv_cache);
  block_table_ = upload_vector(inputs.block_table);
  seqlens_ = upload_vector(inputs.seqlens);
  if (problem.ragged_q) qo_indptr_ = upload_vector(inputs.qo_indptr);
  out_ = DeviceBuffer(size_t(rows) * kLatentDim * 2);
  lse_ = DeviceBuffer(size_t(rows) * 4);
  plan_ = DeviceBuffer(layout_.plan_bytes);
  workspace_ = DeviceBuffer(layout_.workspace_bytes);

  args_.q = contiguous_view(q_.get(), ScalarType::kBf16,
                            {problem.total_q, problem.num_heads, kHeadDim});
  args_.kv_cache = contiguous_view(
      kv_.get(), kv_cache_scalar_type(problem.kv_dtype),
      {problem.num_pages, problem.page_size, kv_cache_token_elements(problem.kv_dtype)});
  args_.block_table =
      contiguous_view(block_table_.get(), ScalarType::kInt32,
                      {problem.batch, problem.max_pages_per_request});
  args_.seqlens = contiguous_view(seqlens_.get(), ScalarType::kInt32, {problem.batch});
  if (problem.ragged_q) {
    args_.qo_indptr = contiguous_view(qo_indptr_.get(), ScalarType::kInt32,
                                      {problem.batch + 1});
  }
  args_.kv_scale = inputs.kv_scale;
  args_.out = contiguous_view(out_.get(), ScalarType::kBf16,
                              {problem.total_q, problem.num_heads, kLatentDim});
  args_.lse = contiguous_view(lse_.get(), ScalarType::kFloat32,
                              {problem.total_q, problem.num_heads});
}

void DeviceStep::poison_outputs(cudaStream_t stream) {
  // 0xff bytes: NaN in bf16 and float32 alike.
  cuda_check(cudaMemsetAsync(out_.get(), 0xff, out_.size(), stream), "cudaMemset");
  cuda_check(cudaMemsetAsync(lse_.get(), 0xff, lse_.size(), stream), "cudaMemset");
}

void DeviceStep::plan(cudaStream_t stream) {
  plan_on_device(problem_, config_, layout_, args_, plan_.get(), stream);
}

void DeviceStep::decode(cudaStream_t stream) {
  mladec::decode(problem_, config_, layout_, plan_.get(), workspace_.get(),
                 args_, stream);
}

void DeviceStep::upload_lengths(const HostDecodeInputs& inputs) {
  block_table_.upload(inputs.block_table.data(),
                      inputs.block_table.size() * sizeof(int32_t));
  seqlens_.upload(inputs.seqlens.data(), inputs.seqlens.size() * sizeof(int32_t));
  if (problem_.ragged_q) {
    qo_indptr_.upload(inputs.qo_indptr.data(),
                      inputs.qo_indptr.size() * sizeof(int32_t));
  }
}

HostDecodeOutputs DeviceStep::download_outputs() const {
  cuda_check(cudaDeviceSynchronize(), "decode");
  std::vector<uint16_t> out_bits(out_.size() / 2);
  std::vector<float> lse(lse_.size() / 4);
  out_.download(out_bits.data(), out_.size());
  lse_.download(lse.data(), lse_.size());
  HostDecodeOutputs result;
  result.out.resize(out_bits.size());
  for (size_t i = 0; i < out_bits.size(); ++i) {
    result.out[i] = detail::bf16_to_float(out_bits[i]);
  }
  result.lse.assign(lse.begin(), lse.end());
  return result;
}

std::vector<std::byte> DeviceStep::download_plan() const {
  cuda_check(cudaDeviceSynchronize(), "plan");
  std::vector<std::byte> bytes(plan_.size());
  plan_.download(bytes.data(), bytes.size());
  return bytes;
}

}  // namespace mladec
