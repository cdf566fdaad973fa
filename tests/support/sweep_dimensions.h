#pragma once
// The values the planner sweeps cover, and a deterministic way to rotate
// through them: each case picks every dimension by hashing (case, dimension),
// so all values of all dimensions recur many times in unrelated combinations.
#include <array>
#include <cstdint>
#include <random>

#include "mladec/problem.h"

namespace mladec::test {

inline constexpr std::array<int, 8> kSweepPageSizes = {1,  2,  3,   16,
                                                       61, 64, 128, 256};
inline constexpr std::array<int, 5> kSweepWorkers = {1, 7, 66, 132, 264};
inline constexpr std::array<int, 12> kSweepBatches = {
    1, 2, 3, 4, 7, 16, 33, 64, 100, 129, 255, 512};
inline constexpr std::array<SchedulePolicy, 2> kSweepPolicies = {
    SchedulePolicy::kBalanced, SchedulePolicy::kFixedChunk};
// FixedChunk split sizes: 0 is the config default (2048); the small ones make
// short requests split too.
inline constexpr std::array<int, 4> kSweepFixedChunks = {0, 64, 128, 256};

inline uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// A value in [0, n) for dimension `dimension` of case `case_index`.
inline int pick(uint64_t case_index, uint64_t dimension, int n) {
  return int(splitmix64(case_index * 0x100000001b3ull + dimension) %
             uint64_t(n));
}

// A value in [lo, hi], the same on every platform (unlike the standard
// distributions).
inline int64_t uniform_int(std::mt19937_64& rng, int64_t lo, int64_t hi) {
  return lo + int64_t(rng() % uint64_t(hi - lo + 1));
}

}  // namespace mladec::test
