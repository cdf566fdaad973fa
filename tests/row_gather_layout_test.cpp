// The bf16 gather's copy mapping (src/core/row_gather_layout.h, used by
// src/cuda/row_gather.cuh: copy_warp_rows) against the tile's layout: for
// each producer warp, its 32 lanes × 4 row groups × 9 slabs of copies land
// every 16-byte chunk of the warp's 16 rows exactly once, each where the
// 128-byte swizzle puts it (chunk c of row r at chunk position c ^ (r % 8)
// of the row's line in slab c / 8: src/cuda/hopper.cuh), read from that
// chunk of the row's token (c · 16 bytes in); one copy instruction covers
// four whole 128-byte lines of the destination and of the sources.
#include "src/core/row_gather_layout.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <set>
#include <utility>

#include "mladec/constants.h"

namespace mladec::test {
namespace {

using namespace detail;

constexpr int kWarps = 4;                         // a 64-row tile
constexpr int kSlabs = kHeadDim * 2 / 128;        // 9 lines of 128 bytes a row
constexpr uint32_t kSlabBytes = 64 * 128;         // 64 rows of 128 bytes

// Where the swizzled tile keeps chunk `chunk` of row `row`.
uint32_t swizzled_offset(int row, int chunk) {
  return uint32_t((chunk / 8) * kSlabBytes + row * 128 + (((chunk % 8) ^ (row % 8)) << 4));
}

TEST(RowGatherLayout, EveryChunkOnceWhereTheSwizzleKeepsIt) {
  for (int warp = 0; warp < kWarps; ++warp) {
    std::set<std::pair<int, int>> copied;  // (row, chunk)
    for (int lane = 0; lane < 32; ++lane) {
      for (int group = 0; group < kGatherRowGroups; ++group) {
        const int row = gather_tile_row(warp, lane, group);
        ASSERT_EQ(row - warp * 16, gather_warp_row(lane, group));
        ASSERT_GE(row, warp * 16);
        ASSERT_LT(row, warp * 16 + 16);
        for (int slab = 0; slab < kSlabs; ++slab) {
          // The kernel: destination line offset + whole slabs; source the
          // row's token + column · 16 + 128 a slab.
          const uint32_t dest = gather_line_offset(warp, lane, group) + slab * kSlabBytes;
          const int source_byte = gather_column(lane) * 16 + 128 * slab;
          const int chunk = source_byte / 16;
          EXPECT_EQ(dest, swizzled_offset(row, chunk))
              << "warp " << warp << " lane " << lane << " group " << group << " slab " << slab;
          EXPECT_TRUE(copied.insert({row, chunk}).second)
              << "row " << row << " chunk " << chunk << " copied twice";
        }
      }
    }
    EXPECT_EQ(copied.size(), size_t(16 * kSlabs * 8)) << "warp " << warp;
  }
}

TEST(RowGatherLayout, OneInstructionCoversFourWholeLines) {
  for (int warp = 0; warp < kWarps; ++warp) {
    for (int group = 0; group < kGatherRowGroups; ++group) {
      std::set<int> rows;
      std::set<uint32_t> dest_lines;
      std::set<int> columns_of_row[64];
      for (int lane = 0; lane < 32; ++lane) {
        const int row = gather_tile_row(warp, lane, group);
        rows.insert(row);
        dest_lines.insert(gather_line_offset(warp, lane, group) / 128);
        columns_of_row[row].insert(gather_column(lane));
      }
      EXPECT_EQ(rows.size(), 4u);
      EXPECT_EQ(dest_lines.size(), 4u);  // 32 lanes × 16 bytes = four 128-byte lines
      for (const int row : rows) EXPECT_EQ(columns_of_row[row].size(), 8u) << "row " << row;
    }
  }
}

}  // namespace
}  // namespace mladec::test
