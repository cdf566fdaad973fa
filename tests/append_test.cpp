// append_kv_host(): every token with a slot lands in its cache row as
// encode_kv_token()'s bytes and decodes to its values within the format's
// rounding; rows of skipped tokens and unused slots keep their poison; and
// every bad argument is refused with its own ErrorCode before anything is
// written (the host half of the append rows of docs/bad_inputs.md).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "mladec/append.h"
#include "mladec/constants.h"
#include "mladec/kv_format.h"
#include "tests/support/append_case.h"
#include "tests/support/error_match.h"

namespace mladec::test {
namespace {

constexpr KvDtype kDtypes[] = {KvDtype::kBf16, KvDtype::kFp8E4m3,
                               KvDtype::kFp8Blockwise};

std::vector<float> token_values(const AppendCase& c, int64_t token) {
  std::vector<float> values(kHeadDim);
  for (int d = 0; d < kHeadDim; ++d) values[d] = c.value(token, d);
  return values;
}

// The cache as it must be after the append: the poison, with every written
// token's row encoded by encode_kv_token().
std::vector<uint8_t> expected_cache(const AppendCase& c) {
  std::vector<uint8_t> expected = c.cache;
  for (int64_t t = 0; t < c.spec.tokens; ++t) {
    if (c.slots[t] < 0) continue;
    encode_kv_token(c.spec.dtype, token_values(c, t).data(), c.spec.kv_scale,
                    expected.data() + c.row_byte_offset(c.slots[t]));
  }
  return expected;
}

testing::AssertionResult same_bytes(const std::vector<uint8_t>& expected,
                                    const std::vector<uint8_t>& actual) {
  const auto [e, a] = std::mismatch(expected.begin(), expected.end(), actual.begin());
  if (e == expected.end()) return testing::AssertionSuccess();
  return testing::AssertionFailure()
         << "cache byte " << (e - expected.begin()) << " is " << int(*a)
         << ", expected " << int(*e);
}

// The group's largest finite |value| (blockwise latent groups).
double group_amax(const std::vector<float>& values, int group) {
  double amax = 0;
  for (int i = 0; i < kBlockwiseGroup; ++i) {
    const float v = values[group * kBlockwiseGroup + i];
    if (std::isfinite(v)) amax = std::max(amax, double(std::fabs(v)));
  }
  return amax;
}

float stored_scale(const uint8_t* bytes, int group) {
  float scale;
  std::memcpy(&scale, bytes + kLatentDim + group * sizeof(float), sizeof(scale));
  return scale;
}

// Value d of a token read back from `bytes` is the input within the format's
// rounding: exact where stored as bf16 (the inputs are bf16), half an e4m3
// step otherwise — of value / kv_scale clamped to ±448 per tensor, or of the
// value or the group's subnormal step blockwise — and NaN for a non-finite
// input in e4m3. An all-zero blockwise group has scale 1.
testing::AssertionResult decodes_close(KvDtype dtype, const std::vector<float>& values,
                                       const uint8_t* bytes, float kv_scale) {
  std::vector<double> decoded(kHeadDim);
  decode_kv_token(dtype, bytes, kv_scale, decoded.data());
  constexpr double kSlack = 1 + 0x1p-20;  // float rounding of value / scale
  for (int d = 0; d < kHeadDim; ++d) {
    const double v = values[d];
    const double got = decoded[d];
    const bool stored_as_bf16 =
        dtype == KvDtype::kBf16 || (dtype == KvDtype::kFp8Blockwise && d >= kLatentDim);
    bool ok;
    if (stored_as_bf16) {
      ok = std::isnan(v) ? std::isnan(got) : got == v;
    } else if (!std::isfinite(v)) {
      ok = std::isnan(got);
    } else if (dtype == KvDtype::kFp8E4m3) {
      const double scaled = std::clamp(v / kv_scale, -448.0, 448.0);
      ok = std::fabs(got / kv_scale - scaled) <=
           std::max(std::fabs(scaled) * 0x1p-4, 0x1p-10) * kSlack;
    } else {
      const int group = d / kBlockwiseGroup;
      const double amax = group_amax(values, group);
      // e4m3's step, then the bf16 rounding of the dequantized product.
      ok = amax == 0 ? got == 0 && stored_scale(bytes, group) == 1.f
                     : std::fabs(got - v) <=
                           std::max(std::fabs(v) * 0x1p-4, amax / 448 * 0x1p-10) * kSlack +
                               std::fabs(got) * 0x1p-9;
    }
    if (!ok) {
      testing::AssertionResult failure = testing::AssertionFailure();
      failure << kv_dtype_name(dtype) << " value " << d << ": " << v
              << " came back as " << got;
      if (dtype == KvDtype::kFp8Blockwise && d < kLatentDim) {
        failure << " (group scale " << stored_scale(bytes, d / kBlockwiseGroup) << ")";
      }
      return failure;
    }
  }
  return testing::AssertionSuccess();
}

AppendSpec spec_for(KvDtype dtype, int page_size, uint64_t seed) {
  AppendSpec spec;
  spec.dtype = dtype;
  spec.tokens = 300;
  spec.page_size = page_size;
  spec.skip_percent = 15;
  spec.kv_scale = seed % 2 == 0 ? 0.5f : 3.f;
  spec.seed = seed;
  return spec;
}

TEST(AppendHost, WritesEachTokensBytesIntoItsSlotAndNothingElse) {
  uint64_t seed = 1;
  for (KvDtype dtype : kDtypes) {
    for (int page_size : {1, 16, 64}) {
      for (int layout = 0; layout < kAppendLayouts; ++layout) {
        AppendSpec spec = spec_for(dtype, page_size, seed++);
        apply_layout(spec, layout);
        SCOPED_TRACE(std::string(kv_dtype_name(dtype)) + ", page " +
                     std::to_string(page_size) + ", layout " + std::to_string(layout));
        const AppendCase c = make_append_case(spec);
        std::vector<uint8_t> cache = c.cache;
        append_kv_host(dtype, c.host_args(cache));

        ASSERT_TRUE(same_bytes(expected_cache(c), cache));
        for (int64_t t = 0; t < spec.tokens; ++t) {
          if (c.slots[t] < 0) continue;
          ASSERT_TRUE(decodes_close(dtype, token_values(c, t),
                                    cache.data() + c.row_byte_offset(c.slots[t]),
                                    spec.kv_scale))
              << "token " << t << ", slot " << c.slots[t];
        }
      }
    }
  }
}

TEST(AppendHost, NoTokensOrOnlyPaddingWritesNothing) {
  for (KvDtype dtype : kDtypes) {
    for (int skip_percent : {0, 100}) {
      AppendSpec spec = spec_for(dtype, 16, 3);
      spec.tokens = skip_percent == 0 ? 0 : 50;
      spec.num_pages = 4;
      spec.skip_percent = skip_percent;
      const AppendCase c = make_append_case(spec);
      std::vector<uint8_t> cache = c.cache;
      const int64_t no_slot = 0;  // tensors are never null, even when empty
      append_kv_host(dtype, c.args(c.latent.data(), c.rope.data(),
                                   spec.tokens == 0 ? &no_slot : c.slots.data(),
                                   cache.data()));
      EXPECT_TRUE(same_bytes(c.cache, cache)) << kv_dtype_name(dtype);
    }
  }
}

// From a valid append of 40 tokens (page 16, no padding), each test corrupts
// one argument: append_kv_host must throw its ErrorCode naming the value, and
// the cache must keep its poison.
class AppendBadInputs : public testing::Test {
 protected:
  using Corrupt = std::function<void(KvDtype&, AppendArgs&)>;

  static testing::AssertionResult refused(KvDtype dtype, const Corrupt& corrupt,
                                          ErrorCode code,
                                          std::initializer_list<std::string> mentions) {
    AppendSpec spec = spec_for(dtype, 16, 11);
    spec.tokens = 40;
    spec.num_pages = 4;
    spec.skip_percent = 0;
    AppendCase c = make_append_case(spec);
    std::vector<uint8_t> cache = c.cache;
    AppendArgs args = c.args(c.latent.data(), c.rope.data(), c.slots.data(), cache.data());
    corrupt(dtype, args);
    testing::AssertionResult result =
        throws_error([&] { append_kv_host(dtype, args); }, code, mentions);
    if (!result) return result;
    if (cache != c.cache) return testing::AssertionFailure() << "the cache was written";
    return result;
  }
  static testing::AssertionResult refused(const Corrupt& corrupt, ErrorCode code,
                                          std::initializer_list<std::string> mentions) {
    return refused(KvDtype::kBf16, corrupt, code, mentions);
  }

  static int64_t* slots(AppendArgs& a) { return static_cast<int64_t*>(a.slots.data); }
};

TEST_F(AppendBadInputs, KvDtypeOutOfRange) {
  EXPECT_TRUE(refused([](KvDtype& d, AppendArgs&) { d = KvDtype(9); },
                      ErrorCode::kBadKvDtype, {"enum value 9"}));
}

TEST_F(AppendBadInputs, LatentNull) {
  EXPECT_TRUE(refused([](KvDtype&, AppendArgs& a) { a.latent = {}; },
                      ErrorCode::kNullPointer, {"latent must not be null"}));
}

TEST_F(AppendBadInputs, RopeNull) {
  EXPECT_TRUE(refused([](KvDtype&, AppendArgs& a) { a.rope.data = nullptr; },
                      ErrorCode::kNullPointer, {"rope must not be null"}));
}

TEST_F(AppendBadInputs, SlotsNull) {
  EXPECT_TRUE(refused([](KvDtype&, AppendArgs& a) { a.slots.data = nullptr; },
                      ErrorCode::kNullPointer, {"slots must not be null"}));
}

TEST_F(AppendBadInputs, KvCacheNull) {
  EXPECT_TRUE(refused([](KvDtype&, AppendArgs& a) { a.kv_cache.data = nullptr; },
                      ErrorCode::kNullPointer, {"kv_cache must not be null"}));
}

TEST_F(AppendBadInputs, LatentFloat32) {
  EXPECT_TRUE(refused([](KvDtype&, AppendArgs& a) { a.latent.dtype = ScalarType::kFloat32; },
                      ErrorCode::kBadTensor, {"latent must be bf16, got float32"}));
}

TEST_F(AppendBadInputs, LatentRank3) {
  EXPECT_TRUE(refused(
      [](KvDtype&, AppendArgs& a) {
        a.latent.rank = 3;
        a.latent.shape[2] = 1;
        a.latent.stride[2] = 1;
      },
      ErrorCode::kBadTensor, {"latent must have 2 dimensions, got 3"}));
}

TEST_F(AppendBadInputs, LatentWidthNot512) {
  EXPECT_TRUE(refused([](KvDtype&, AppendArgs& a) { a.latent.shape[1] = 576; },
                      ErrorCode::kBadTensor, {"latent.shape[1] must be 512, got 576"}));
}

TEST_F(AppendBadInputs, LatentLastDimStrided) {
  EXPECT_TRUE(refused([](KvDtype&, AppendArgs& a) { a.latent.stride[1] = 2; },
                      ErrorCode::kBadTensor,
                      {"latent must be contiguous in its last dimension, stride is 2"}));
}

TEST_F(AppendBadInputs, LatentNegativeStride) {
  EXPECT_TRUE(refused([](KvDtype&, AppendArgs& a) { a.latent.stride[0] = -512; },
                      ErrorCode::kBadTensor, {"latent.stride[0] must be >= 0, got -512"}));
}

TEST_F(AppendBadInputs, NegativeTokenCount) {
  EXPECT_TRUE(refused(
      [](KvDtype&, AppendArgs& a) {
        a.latent.shape[0] = a.rope.shape[0] = a.slots.shape[0] = -1;
      },
      ErrorCode::kBadTensor, {"latent.shape[0] must be >= 0, got -1"}));
}

TEST_F(AppendBadInputs, RopeTokenCountDisagrees) {
  EXPECT_TRUE(refused([](KvDtype&, AppendArgs& a) { a.rope.shape[0] = 39; },
                      ErrorCode::kBadTensor, {"rope.shape[0] must be 40, got 39"}));
}

TEST_F(AppendBadInputs, RopeWidthNot64) {
  EXPECT_TRUE(refused([](KvDtype&, AppendArgs& a) { a.rope.shape[1] = 32; },
                      ErrorCode::kBadTensor, {"rope.shape[1] must be 64, got 32"}));
}

TEST_F(AppendBadInputs, SlotsInt32) {
  EXPECT_TRUE(refused([](KvDtype&, AppendArgs& a) { a.slots.dtype = ScalarType::kInt32; },
                      ErrorCode::kBadTensor, {"slots must be int64, got int32"}));
}

TEST_F(AppendBadInputs, SlotsTokenCountDisagrees) {
  EXPECT_TRUE(refused([](KvDtype&, AppendArgs& a) { a.slots.shape[0] = 41; },
                      ErrorCode::kBadTensor, {"slots.shape[0] must be 40, got 41"}));
}

TEST_F(AppendBadInputs, KvCacheDtypeDisagreesWithFormat) {
  EXPECT_TRUE(refused([](KvDtype& d, AppendArgs&) { d = KvDtype::kFp8E4m3; },
                      ErrorCode::kBadTensor, {"kv_cache must be fp8_e4m3, got bf16"}));
}

TEST_F(AppendBadInputs, BlockwiseCacheWithoutScales) {
  EXPECT_TRUE(refused(
      KvDtype::kFp8E4m3,
      [](KvDtype& d, AppendArgs& a) {
        d = KvDtype::kFp8Blockwise;
        a.kv_cache.dtype = ScalarType::kUint8;
      },
      ErrorCode::kBadTensor, {"kv_cache.shape[2] must be 656, got 576"}));
}

TEST_F(AppendBadInputs, KvCacheWithoutPages) {
  EXPECT_TRUE(refused([](KvDtype&, AppendArgs& a) { a.kv_cache.shape[0] = 0; },
                      ErrorCode::kBadTensor,
                      {"kv_cache.shape[0] (num_pages) must be >= 1, got 0"}));
}

TEST_F(AppendBadInputs, KvCachePageSizeZero) {
  EXPECT_TRUE(refused([](KvDtype&, AppendArgs& a) { a.kv_cache.shape[1] = 0; },
                      ErrorCode::kBadTensor,
                      {"kv_cache.shape[1] (page_size) must be >= 1, got 0"}));
}

TEST_F(AppendBadInputs, KvCacheWithMoreSlotsThanInt64) {
  EXPECT_TRUE(refused([](KvDtype&, AppendArgs& a) { a.kv_cache.shape[0] = int64_t(1) << 60; },
                      ErrorCode::kBadTensor, {"kv_cache has more than 2^63 slots"}));
}

TEST_F(AppendBadInputs, KvCacheMisaligned) {
  EXPECT_TRUE(refused(
      [](KvDtype&, AppendArgs& a) {
        a.kv_cache.data = static_cast<uint16_t*>(a.kv_cache.data) + 4;
        a.kv_cache.shape[0] -= 1;
      },
      ErrorCode::kBadTensor, {"kv_cache must be 16-byte aligned"}));
}

TEST_F(AppendBadInputs, KvCachePageStrideNot16Bytes) {
  EXPECT_TRUE(refused(
      [](KvDtype&, AppendArgs& a) {
        a.kv_cache.stride[0] -= 4;
      },
      ErrorCode::kBadTensor,
      {"kv_cache.stride[0] must be a multiple of 8 elements (16 bytes), got 9212"}));
}

TEST_F(AppendBadInputs, KvCacheRowsOverlap) {
  EXPECT_TRUE(refused([](KvDtype&, AppendArgs& a) { a.kv_cache.stride[1] = 288; },
                      ErrorCode::kBadTensor,
                      {"kv_cache.stride[1] is 288: elements would overlap (need >= 576)"}));
}

TEST_F(AppendBadInputs, Fp8KvScaleNotFiniteAndPositive) {
  for (float bad : {0.f, -1.f, std::numeric_limits<float>::quiet_NaN(),
                    std::numeric_limits<float>::infinity()}) {
    EXPECT_TRUE(refused(
        KvDtype::kFp8E4m3, [&](KvDtype&, AppendArgs& a) { a.kv_scale = bad; },
        ErrorCode::kBadKvScale, {"kv_scale must be finite and > 0 for fp8_e4m3"}))
        << "kv_scale " << bad;
  }
}

TEST_F(AppendBadInputs, SlotPastTheCache) {
  // The last token, so a check made while writing would come too late.
  EXPECT_TRUE(refused([](KvDtype&, AppendArgs& a) { slots(a)[39] = 64; },
                      ErrorCode::kBadSlot,
                      {"slots[39] must be < num_pages * page_size = 64", "got 64"}));
}

TEST_F(AppendBadInputs, SlotRepeated) {
  EXPECT_TRUE(refused(
      [](KvDtype&, AppendArgs& a) { slots(a)[39] = slots(a)[7]; }, ErrorCode::kBadSlot,
      {"slots[39] = ", " repeats slots[7]"}));
}

}  // namespace
}  // namespace mladec::test
