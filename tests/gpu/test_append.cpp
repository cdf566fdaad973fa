// append_kv() on the GPU writes exactly the bytes append_kv_host() writes,
// for every format, page size and input layout, with slots shuffled, padded
// and past the cache (the kernel skips those, so the host is handed them as
// padding): untouched rows keep their poison byte for byte. Bad arguments
// (the device half of the append rows of docs/bad_inputs.md) are refused
// before any launch: the cache keeps its poison and no CUDA error is left.
#include <cuda_runtime_api.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "mladec/append.h"
#include "mladec/constants.h"
#include "mladec/device_step.h"
#include "tests/support/append_case.h"
#include "tests/support/error_match.h"

namespace mladec::test {
namespace {

constexpr KvDtype kDtypes[] = {KvDtype::kBf16, KvDtype::kFp8E4m3,
                               KvDtype::kFp8Blockwise};

testing::AssertionResult cuda_clean() {
  const cudaError_t sync = cudaDeviceSynchronize();
  const cudaError_t last = cudaGetLastError();
  if (sync != cudaSuccess || last != cudaSuccess) {
    return testing::AssertionFailure() << "CUDA error left behind: "
                                       << cudaGetErrorName(sync) << " / "
                                       << cudaGetErrorName(last);
  }
  return testing::AssertionSuccess();
}

template <typename T>
DeviceBuffer upload(const std::vector<T>& host) {
  // Never empty: an append of no tokens still needs non-null tensors.
  DeviceBuffer buffer(std::max<size_t>(host.size() * sizeof(T), 16));
  buffer.upload(host.data(), host.size() * sizeof(T));
  return buffer;
}

// A case's tensors on the device; the cache starts as the case's poison.
class DeviceTensors {
 public:
  explicit DeviceTensors(const AppendCase& c)
      : case_(c),
        latent_(upload(c.latent)),
        rope_(upload(c.rope)),
        slots_(upload(c.slots)),
        cache_(upload(c.cache)) {}

  AppendArgs args() const {
    return case_.args(latent_.get(), rope_.get(), slots_.get(), cache_.get());
  }
  std::vector<uint8_t> cache() const {
    std::vector<uint8_t> bytes(case_.cache.size());
    cache_.download(bytes.data(), bytes.size());
    return bytes;
  }

 private:
  const AppendCase& case_;
  DeviceBuffer latent_, rope_, slots_, cache_;
};

// What the device must leave: the host append of the slots in range.
std::vector<uint8_t> expected_cache(const AppendCase& c) {
  std::vector<uint8_t> expected = c.cache;
  const std::vector<int64_t> slots = c.slots_in_range();
  append_kv_host(c.spec.dtype,
                 c.args(c.latent.data(), c.rope.data(), slots.data(), expected.data()));
  return expected;
}

testing::AssertionResult same_bytes(const AppendCase& c,
                                    const std::vector<uint8_t>& expected,
                                    const std::vector<uint8_t>& actual) {
  const auto [e, a] = std::mismatch(expected.begin(), expected.end(), actual.begin());
  if (e == expected.end()) return testing::AssertionSuccess();
  const int64_t byte = e - expected.begin();
  testing::AssertionResult failure = testing::AssertionFailure();
  failure << "cache byte " << byte << " is " << int(*a) << ", expected " << int(*e);
  for (int64_t t = 0; t < c.spec.tokens; ++t) {
    const int64_t slot = c.slots[t];
    if (slot < 0 || slot >= c.num_slots) continue;
    const int64_t offset = byte - c.row_byte_offset(slot);
    if (offset >= 0 && offset < kv_token_bytes(c.spec.dtype)) {
      failure << " (token " << t << ", slot " << slot << ", byte " << offset
              << " of its row)";
    }
  }
  return failure;
}

TEST(DeviceAppend, MatchesTheHostByteForByte) {
  uint64_t seed = 100;
  for (KvDtype dtype : kDtypes) {
    for (int64_t tokens : {1, 7, 1000, 4097}) {
      for (int page_size : {1, 16, 64}) {
        for (int layout = 0; layout < kAppendLayouts; ++layout) {
          AppendSpec spec;
          spec.dtype = dtype;
          spec.tokens = tokens;
          spec.page_size = page_size;
          spec.skip_percent = 10;
          spec.out_of_range_percent = 10;
          spec.kv_scale = seed % 2 == 0 ? 0.25f : 3.f;
          spec.seed = seed++;
          apply_layout(spec, layout);
          SCOPED_TRACE(std::string(kv_dtype_name(dtype)) + ", n " +
                       std::to_string(tokens) + ", page " + std::to_string(page_size) +
                       ", layout " + std::to_string(layout));
          const AppendCase c = make_append_case(spec);
          DeviceTensors device(c);
          append_kv(dtype, device.args(), nullptr);
          ASSERT_TRUE(cuda_clean());
          ASSERT_TRUE(same_bytes(c, expected_cache(c), device.cache()));
        }
      }
    }
  }
}

// More tokens than the grid has warps: each warp loops over several.
TEST(DeviceAppend, BatchesLargerThanTheGridLoop) {
  for (KvDtype dtype : kDtypes) {
    AppendSpec spec;
    spec.dtype = dtype;
    spec.tokens = 20000;
    spec.page_size = 16;
    spec.out_of_range_percent = 5;
    spec.kv_scale = 0.5f;
    spec.seed = 7;
    const AppendCase c = make_append_case(spec);
    DeviceTensors device(c);
    append_kv(dtype, device.args(), nullptr);
    ASSERT_TRUE(cuda_clean());
    EXPECT_TRUE(same_bytes(c, expected_cache(c), device.cache())) << kv_dtype_name(dtype);
  }
}

TEST(DeviceAppend, SlotsPastTheCacheAndNoTokensWriteNothing) {
  for (KvDtype dtype : kDtypes) {
    for (int64_t tokens : {0, 300}) {
      AppendSpec spec;
      spec.dtype = dtype;
      spec.tokens = tokens;
      spec.page_size = 16;
      spec.num_pages = 20;
      spec.skip_percent = 30;
      spec.out_of_range_percent = 70;
      const AppendCase c = make_append_case(spec);
      DeviceTensors device(c);
      append_kv(dtype, device.args(), nullptr);
      ASSERT_TRUE(cuda_clean());
      EXPECT_TRUE(same_bytes(c, c.cache, device.cache()))
          << kv_dtype_name(dtype) << ", n " << tokens;
    }
  }
}

TEST(DeviceAppend, ReplaysFromACudaGraph) {
  AppendSpec spec;
  spec.dtype = KvDtype::kFp8Blockwise;
  spec.tokens = 500;
  spec.page_size = 64;
  spec.seed = 3;
  const AppendCase c = make_append_case(spec);
  DeviceTensors device(c);
  cudaStream_t stream;
  ASSERT_EQ(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking), cudaSuccess);
  cudaGraph_t graph;
  cudaGraphExec_t exec;
  ASSERT_EQ(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal), cudaSuccess);
  append_kv(spec.dtype, device.args(), stream);
  ASSERT_EQ(cudaStreamEndCapture(stream, &graph), cudaSuccess);
  ASSERT_EQ(cudaGraphInstantiate(&exec, graph, 0), cudaSuccess);
  for (int replay = 0; replay < 2; ++replay) {
    ASSERT_EQ(cudaGraphLaunch(exec, stream), cudaSuccess);
    ASSERT_EQ(cudaStreamSynchronize(stream), cudaSuccess);
    EXPECT_TRUE(same_bytes(c, expected_cache(c), device.cache())) << "replay " << replay;
  }
  cudaGraphExecDestroy(exec);
  cudaGraphDestroy(graph);
  cudaStreamDestroy(stream);
  EXPECT_TRUE(cuda_clean());
}

// From a valid append of 40 tokens on the device, each test corrupts one
// argument: append_kv must throw its ErrorCode, launch nothing and leave the
// cache's poison and no CUDA error behind.
class DeviceAppendBadInputs : public testing::Test {
 protected:
  using Corrupt = std::function<void(AppendArgs&)>;

  DeviceAppendBadInputs() : case_(make_case()), device_(case_) {}

  static AppendCase make_case() {
    AppendSpec spec;
    spec.dtype = KvDtype::kFp8E4m3;
    spec.tokens = 40;
    spec.page_size = 16;
    spec.num_pages = 4;
    spec.skip_percent = 0;
    spec.kv_scale = 0.5f;
    spec.seed = 13;
    return make_append_case(spec);
  }

  testing::AssertionResult refused(const Corrupt& corrupt, ErrorCode code,
                                   std::initializer_list<std::string> mentions) {
    AppendArgs args = device_.args();
    corrupt(args);
    testing::AssertionResult result = throws_error(
        [&] { append_kv(case_.spec.dtype, args, nullptr); }, code, mentions);
    if (!result) return result;
    testing::AssertionResult clean = cuda_clean();
    if (!clean) return clean;
    if (device_.cache() != case_.cache) {
      return testing::AssertionFailure() << "the cache was written";
    }
    return result;
  }

  // Host memory of the right size, for the pointer checks.
  std::vector<uint8_t> host_copy_ = std::vector<uint8_t>(1 << 20);
  AppendCase case_;
  DeviceTensors device_;
};

TEST_F(DeviceAppendBadInputs, LatentOnTheHost) {
  EXPECT_TRUE(refused([&](AppendArgs& a) { a.latent.data = host_copy_.data(); },
                      ErrorCode::kBadTensor,
                      {"latent must point to device memory, got a host pointer"}));
}

TEST_F(DeviceAppendBadInputs, RopeOnTheHost) {
  EXPECT_TRUE(refused([&](AppendArgs& a) { a.rope.data = host_copy_.data(); },
                      ErrorCode::kBadTensor,
                      {"rope must point to device memory, got a host pointer"}));
}

TEST_F(DeviceAppendBadInputs, SlotsOnTheHost) {
  EXPECT_TRUE(refused([&](AppendArgs& a) { a.slots.data = host_copy_.data(); },
                      ErrorCode::kBadTensor,
                      {"slots must point to device memory, got a host pointer"}));
}

TEST_F(DeviceAppendBadInputs, KvCacheOnTheHost) {
  EXPECT_TRUE(refused([&](AppendArgs& a) { a.kv_cache.data = host_copy_.data(); },
                      ErrorCode::kBadTensor,
                      {"kv_cache must point to device memory, got a host pointer"}));
}

TEST_F(DeviceAppendBadInputs, SlotsNull) {
  EXPECT_TRUE(refused([](AppendArgs& a) { a.slots.data = nullptr; },
                      ErrorCode::kNullPointer, {"slots must not be null"}));
}

TEST_F(DeviceAppendBadInputs, SlotsInt32) {
  EXPECT_TRUE(refused([](AppendArgs& a) { a.slots.dtype = ScalarType::kInt32; },
                      ErrorCode::kBadTensor, {"slots must be int64, got int32"}));
}

TEST_F(DeviceAppendBadInputs, KvCachePageStrideNot16Bytes) {
  EXPECT_TRUE(refused([](AppendArgs& a) { a.kv_cache.stride[0] += 8; },
                      ErrorCode::kBadTensor,
                      {"kv_cache.stride[0] must be a multiple of 16 elements (16 bytes)"}));
}

TEST_F(DeviceAppendBadInputs, Fp8KvScaleNaN) {
  EXPECT_TRUE(refused(
      [](AppendArgs& a) { a.kv_scale = std::numeric_limits<float>::quiet_NaN(); },
      ErrorCode::kBadKvScale, {"kv_scale must be finite and > 0 for fp8_e4m3, got nan"}));
}

}  // namespace
}  // namespace mladec::test
