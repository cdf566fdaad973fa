#pragma once
// Where the bf16 gather (src/cuda/row_gather.cuh: copy_warp_rows) puts each
// lane's copies, as plain functions so that tests/row_gather_layout_test.cpp
// checks them on the CPU against the tile's swizzled slabs
// (src/cuda/hopper.cuh: 16-byte chunk c of row r at chunk position
// c ^ (r % 8) of its slab's row).
//
// Eight lanes to a row: a warp copies its 16 rows of a 64-row tile in four
// row groups; in group m lane l copies 16-byte column l % 8 of every
// 128-byte line (slab row) of row 4 m + l / 8 of the warp's 16. One
// instruction then covers four rows' lines of one slab, and a lane's
// copies of a row group differ only by whole slabs: its destination by
// kSlabBytes, its source by 128 bytes.
#include <cstdint>

#include "src/core/host_device.h"

namespace mladec::detail {

inline constexpr int kGatherLanesPerRow = 8;
inline constexpr int kGatherRowsPerGroup = 32 / kGatherLanesPerRow;  // a warp's lanes
inline constexpr int kGatherRowGroups = 4;                           // a warp's 16 rows
static_assert(kGatherRowGroups * kGatherRowsPerGroup == 16, "a warp copies 16 rows");

// The row (of its warp's 16) lane `lane` copies in row group `group`.
MLADEC_HD constexpr int gather_warp_row(int lane, int group) {
  return kGatherRowsPerGroup * group + lane / kGatherLanesPerRow;
}
// The same row of the tile, for producer warp `warp`.
MLADEC_HD constexpr int gather_tile_row(int warp, int lane, int group) {
  return warp * 16 + gather_warp_row(lane, group);
}
// The 16-byte column (of each 128-byte line) the lane copies.
MLADEC_HD constexpr int gather_column(int lane) { return lane % kGatherLanesPerRow; }
// Byte offset in the tile of that column in slab 0's line of the lane's
// row (a slab's line adds the slab's bytes; the source adds 128 a slab).
// A warp's rows start at a multiple of 8, so the swizzle phase of the tile
// row is that of the row in the warp.
MLADEC_HD constexpr int gather_line_offset(int warp, int lane, int group) {
  return gather_tile_row(warp, lane, group) * 128 +
         ((gather_column(lane) ^ (gather_warp_row(lane, group) & 7)) << 4);
}

}  // namespace mladec::detail
