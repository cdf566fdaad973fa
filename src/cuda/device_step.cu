#include "mladec/device_step.h"

#include <cmath>
#include <utility>

#include "mladec/constants.h"
#include "src/core/numeric_formats.h"
#include "src/cuda/captured_graph.h"
#include "src/cuda/cuda_check.h"

namespace mladec {

using detail::cuda_check;

DeviceBuffer::DeviceBuffer(size_t bytes) : bytes_(bytes) {
  if (bytes > 0) cuda_check(cudaMalloc(&data_, bytes), "cudaMalloc");
}
DeviceStream::DeviceStream() {
  cuda_check(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking),
             "cudaStreamCreateWithFlags");
}
DeviceStream::~DeviceStream() { cudaStreamDestroy(stream_); }

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
void DeviceBuffer::upload(const void* host, size_t bytes, size_t offset) {
  detail::require(bytes <= bytes_ && offset <= bytes_ - bytes,
                  ErrorCode::kBufferTooSmall, "upload of ", bytes,
                  " bytes at offset ", offset, " into a buffer of ", bytes_);
  if (bytes > 0) {
    cuda_check(cudaMemcpy(static_cast<std::byte*>(data_) + offset, host, bytes,
                          cudaMemcpyHostToDevice),
               "cudaMemcpy to device");
  }
}
void DeviceBuffer::download(void* host, size_t bytes, size_t offset) const {
  detail::require(bytes <= bytes_ && offset <= bytes_ - bytes,
                  ErrorCode::kBufferTooSmall, "download of ", bytes,
                  " bytes at offset ", offset, " from a buffer of ", bytes_);
  if (bytes > 0) {
    cuda_check(cudaMemcpy(host, static_cast<const std::byte*>(data_) + offset,
                          bytes, cudaMemcpyDeviceToHost),
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

// Uploads items [first, first + count) of `host`, an array of items of
// `item_size` elements each, to the same place in `device`. Checks the host
// side; DeviceBuffer::upload checks the device side.
template <typename T>
void upload_items(DeviceBuffer& device, const std::vector<T>& host,
                  size_t item_size, int64_t first, int64_t count,
                  const char* what) {
  const int64_t items = int64_t(host.size() / item_size);
  detail::require(first >= 0 && count >= 0 && count <= items - first,
                  ErrorCode::kBufferTooSmall, what, " [", first, ", ",
                  first + count, ") must lie in [0, ", items,
                  "), those the host inputs hold");
  device.upload(host.data() + size_t(first) * item_size,
                size_t(count) * item_size * sizeof(T),
                size_t(first) * item_size * sizeof(T));
}

}  // namespace

DeviceStep::DeviceStep(const DecodeProblem& problem,
                       const HostDecodeInputs& inputs, int workers)
    : DeviceStep(problem, inputs, workers, select_config(problem)) {}

DeviceStep::DeviceStep(const DecodeProblem& problem, const HostDecodeInputs& inputs,
                       int workers, const KernelConfig& config)
    : problem_(problem), config_(config) {
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

void DeviceStep::upload_q_rows(const HostDecodeInputs& inputs,
                               int64_t first_row, int64_t rows) {
  upload_items(q_, inputs.q, kHeadDim, first_row, rows, "q rows");
}

void DeviceStep::upload_kv_slots(const HostDecodeInputs& inputs,
                                 int64_t first_slot, int64_t slots) {
  upload_items(kv_, inputs.kv_cache, size_t(kv_token_bytes(problem_.kv_dtype)),
               first_slot, slots, "KV cache slots");
}

HostDecodeOutputs DeviceStep::download_outputs() const {
  return download_output_rows(0, problem_.total_q * problem_.num_heads);
}

HostDecodeOutputs DeviceStep::download_output_rows(int64_t first_row,
                                                   int64_t rows) const {
  const int64_t total_rows = problem_.total_q * problem_.num_heads;
  detail::require(first_row >= 0 && rows >= 0 && rows <= total_rows - first_row,
                  ErrorCode::kBufferTooSmall, "output rows [", first_row, ", ",
                  first_row + rows, ") must lie in [0, total_q * num_heads = ",
                  total_rows, ")");
  cuda_check(cudaDeviceSynchronize(), "decode");
  std::vector<uint16_t> out_bits(size_t(rows) * kLatentDim);
  std::vector<float> lse(static_cast<size_t>(rows));
  out_.download(out_bits.data(), out_bits.size() * 2,
                size_t(first_row) * kLatentDim * 2);
  lse_.download(lse.data(), lse.size() * 4, size_t(first_row) * 4);
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

DeviceStepGraph::DeviceStepGraph(DeviceStep& step, cudaStream_t stream) {
  detail::capture_graph(
      stream,
      [&] {
        step.plan(stream);
        step.decode(stream);
      },
      graph_, exec_);
}

DeviceStepGraph::~DeviceStepGraph() {
  cudaGraphExecDestroy(exec_);
  cudaGraphDestroy(graph_);
}

void DeviceStepGraph::launch(cudaStream_t stream) const {
  cuda_check(cudaGraphLaunch(exec_, stream), "cudaGraphLaunch");
}

}  // namespace mladec
