// Balanced plans of requests with several query tiles (KernelConfig::
// concurrent_tiles): worker g * (workers / tiles) + v walks tile g of
// exactly the KV ranges worker v walks for tile 0, in the same order, so the
// tiles of a request read the same KV at the same time and the L2 serves it
// once. Off, plans keep request-major units.
#include <gtest/gtest.h>

#include <vector>

#include "mladec/config.h"
#include "mladec/plan.h"
#include "mladec/random_inputs.h"
#include "tests/support/lengths_case.h"

namespace mladec::test {
namespace {

struct WalkedPiece {
  int request, tile, kv_begin, kv_end;
  bool operator==(const WalkedPiece&) const = default;
};

std::vector<WalkedPiece> worker_walk(const HostPlan& plan, int worker) {
  std::vector<WalkedPiece> walk;
  for (int i = plan.worker_piece_begin()[worker]; i < plan.worker_piece_begin()[worker + 1];
       ++i) {
    const PlanPiece& piece = plan.pieces()[i];
    const PlanUnit& unit = plan.units()[piece.unit];
    walk.push_back({unit.request, unit.row_begin / plan.config.tile_rows, piece.kv_begin,
                    piece.kv_end});
  }
  return walk;
}

TEST(ConcurrentTiles, WorkersOfOneSegmentWalkTheSameKv) {
  int shapes = 0;
  for (int num_heads : {64, 96, 128}) {
    for (int q_len : {1, 2, 3, 4}) {
      for (int batch : {1, 7, 64, 128}) {
        LengthsCase c = make_lengths_case(
            num_heads, 64, random_varlen(batch, 3000, q_len, 12000, batch * 31 + q_len),
            std::vector<int32_t>(batch, q_len), false, SchedulePolicy::kBalanced);
        const KernelConfig config = select_config(c.problem);
        const int tiles = (q_len * num_heads + config.tile_rows - 1) / config.tile_rows;
        if (tiles < 2 || 132 % tiles != 0) continue;
        const HostPlan plan = make_host_plan(c.problem, config, 132, c.lengths());
        // Small totals use fewer workers (min_worker_share), rounded to a
        // multiple of the tiles only when that idles few of them.
        int used = 132;
        while (used > 0 && plan.worker_piece_begin()[used - 1] == plan.header().num_pieces) {
          --used;
        }
        if (used % tiles != 0) continue;
        const int group = used / tiles;
        for (int v = 0; v < group; ++v) {
          std::vector<WalkedPiece> first = worker_walk(plan, v);
          for (WalkedPiece& piece : first) EXPECT_EQ(piece.tile, 0) << "worker " << v;
          for (int g = 1; g < tiles; ++g) {
            std::vector<WalkedPiece> walk = worker_walk(plan, g * group + v);
            for (WalkedPiece& piece : walk) {
              EXPECT_EQ(piece.tile, g);
              piece.tile = 0;
            }
            EXPECT_EQ(walk, first) << "h_q " << num_heads << " s_q " << q_len << " batch "
                                   << batch << ": worker " << g * group + v
                                   << " does not walk worker " << v << "'s KV";
          }
        }
        ++shapes;
      }
    }
  }
  EXPECT_GE(shapes, 20);
}

TEST(ConcurrentTiles, OffKeepsEachRequestsTilesTogether) {
  LengthsCase c = make_lengths_case(128, 64, std::vector<int32_t>(8, 4096),
                                    std::vector<int32_t>(8, 1), false,
                                    SchedulePolicy::kBalanced);
  KernelConfig config = select_config(c.problem);
  ASSERT_TRUE(config.concurrent_tiles);
  config.concurrent_tiles = false;
  const HostPlan plan = make_host_plan(c.problem, config, 132, c.lengths());
  ASSERT_EQ(plan.header().num_units, 16);
  for (int u = 0; u < 16; ++u) {
    EXPECT_EQ(plan.units()[u].request, u / 2);
    EXPECT_EQ(plan.units()[u].row_begin, (u % 2) * 64);
  }
}

}  // namespace
}  // namespace mladec::test
