// validate_plan rejects broken plans: starting from a valid plan with split
// units, each test corrupts one thing by hand and checks the validator names
// that violation (kPlanInvalid), or that a layout made for another problem is
// refused (kPlanMismatch).
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "mladec/config.h"
#include "mladec/plan.h"
#include "tests/support/error_match.h"
#include "tests/support/lengths_case.h"

namespace mladec::test {
namespace {

class ValidatePlanTest : public testing::Test {
 protected:
  // 64 heads x 2 tokens = 2 tiles per request; 9 workers over ~500 tokens
  // split several units, so the plan has split slots and a combine list.
  ValidatePlanTest()
      : case_(make_lengths_case(64, 16, {300, 1, 170, 0}, {2, 2, 2, 2}, false,
                                SchedulePolicy::kBalanced)),
        config_(select_config(case_.problem)),
        plan_(make_host_plan(case_.problem, config_, 9, case_.lengths())) {}

  void SetUp() override {
    ASSERT_GE(plan_.header().num_combine, 2)
        << "the base plan must split units";
    ASSERT_NO_THROW(validate(plan_));
  }

  void validate(HostPlan& plan) {
    validate_plan(case_.problem, config_, plan.layout, case_.lengths(),
                  plan.buffer.data());
  }
  testing::AssertionResult rejects(
      HostPlan& plan, std::initializer_list<std::string> mentions) {
    return throws_error([&] { validate(plan); }, ErrorCode::kPlanInvalid,
                        mentions);
  }

  // A unit with at least two pieces and its piece indices in KV order.
  std::pair<int, std::vector<int>> split_unit(HostPlan& plan) {
    PlanView v = plan.view();
    for (int u = 0; u < v.header->num_units; ++u) {
      if (v.units[u].num_splits < 2) continue;
      std::vector<int> pieces;
      for (int i = 0; i < v.header->num_pieces; ++i) {
        if (v.pieces[i].unit == u) pieces.push_back(i);
      }
      std::sort(pieces.begin(), pieces.end(), [&](int a, int b) {
        return v.pieces[a].kv_begin < v.pieces[b].kv_begin;
      });
      return {u, pieces};
    }
    ADD_FAILURE() << "no split unit";
    return {};
  }

  // A piece of a unit with one piece and kv_len > 0.
  int unsplit_piece(HostPlan& plan) {
    PlanView v = plan.view();
    for (int i = 0; i < v.header->num_pieces; ++i) {
      const PlanUnit& unit = v.units[v.pieces[i].unit];
      if (unit.num_splits == 1 && unit.kv_len > 0) return i;
    }
    ADD_FAILURE() << "no unsplit unit";
    return 0;
  }

  LengthsCase case_;
  KernelConfig config_;
  HostPlan plan_;
};

TEST_F(ValidatePlanTest, PieceUnitPastUnits) {
  PlanView v = plan_.view();
  v.pieces[0].unit = v.header->num_units;
  EXPECT_TRUE(rejects(plan_, {"piece 0 names unit"}));
}

TEST_F(ValidatePlanTest, PieceUnitNegative) {
  PlanView v = plan_.view();
  v.pieces[v.header->num_pieces - 1].unit = -1;
  EXPECT_TRUE(rejects(plan_, {"names unit -1"}));
}

TEST_F(ValidatePlanTest, PieceSlotPastSplitSlots) {
  auto [u, pieces] = split_unit(plan_);
  PlanView v = plan_.view();
  v.pieces[pieces.back()].slot = v.header->num_split_slots;
  EXPECT_TRUE(rejects(plan_, {"writes split slot"}));
}

TEST_F(ValidatePlanTest, UnitSlotsPastSplitSlots) {
  auto [u, pieces] = split_unit(plan_);
  PlanView v = plan_.view();
  v.units[u].first_slot = v.header->num_split_slots - 1;
  EXPECT_TRUE(rejects(plan_, {"uses split slots"}));
}

TEST_F(ValidatePlanTest, UnsplitPieceWritesSlot) {
  const int i = unsplit_piece(plan_);
  plan_.view().pieces[i].slot = 0;
  EXPECT_TRUE(rejects(plan_, {"of unsplit unit"}));
}

TEST_F(ValidatePlanTest, WorkerRangeEndsPastPieces) {
  PlanView v = plan_.view();
  v.worker_piece_begin[plan_.layout.workers] = v.header->num_pieces + 1;
  EXPECT_TRUE(rejects(plan_, {"worker ranges end at"}));
}

TEST_F(ValidatePlanTest, WorkerRangeStartsPastPieces) {
  PlanView v = plan_.view();
  v.worker_piece_begin[3] = v.header->num_pieces + 5;
  EXPECT_TRUE(rejects(plan_, {"negative piece range"}));
}

TEST_F(ValidatePlanTest, FirstWorkerRangeNotAtZero) {
  plan_.view().worker_piece_begin[0] = 1;
  EXPECT_TRUE(rejects(plan_, {"worker_piece_begin[0]"}));
}

TEST_F(ValidatePlanTest, CombineEntryPastUnits) {
  PlanView v = plan_.view();
  v.combine[1] = v.header->num_units;
  EXPECT_TRUE(rejects(plan_, {"combine entry 1 names unit"}));
}

TEST_F(ValidatePlanTest, CombineEntryNegative) {
  plan_.view().combine[0] = -7;
  EXPECT_TRUE(rejects(plan_, {"combine entry 0 names unit -7"}));
}

TEST_F(ValidatePlanTest, CombineEntryNamesUnsplitUnit) {
  const int i = unsplit_piece(plan_);
  PlanView v = plan_.view();
  v.combine[0] = v.pieces[i].unit;
  EXPECT_TRUE(rejects(plan_, {"names unsplit unit"}));
}

TEST_F(ValidatePlanTest, UnitCombinedTwice) {
  PlanView v = plan_.view();
  v.combine[1] = v.combine[0];
  EXPECT_TRUE(rejects(plan_, {"combined twice"}));
}

TEST_F(ValidatePlanTest, TokenCoveredTwice) {
  auto [u, pieces] = split_unit(plan_);
  plan_.view().pieces[pieces[1]].kv_begin -= 1;
  EXPECT_TRUE(rejects(plan_, {"covered twice"}));
}

TEST_F(ValidatePlanTest, TokenInsideNotCovered) {
  auto [u, pieces] = split_unit(plan_);
  plan_.view().pieces[pieces[1]].kv_begin += 1;
  EXPECT_TRUE(rejects(plan_, {"are not covered"}));
}

TEST_F(ValidatePlanTest, LastTokenNotCovered) {
  auto [u, pieces] = split_unit(plan_);
  plan_.view().pieces[pieces.back()].kv_end -= 1;
  EXPECT_TRUE(rejects(plan_, {"are not covered"}));
}

TEST_F(ValidatePlanTest, PieceEndsPastKv) {
  const int i = unsplit_piece(plan_);
  plan_.view().pieces[i].kv_end += 1;
  EXPECT_TRUE(rejects(plan_, {"covers KV"}));
}

TEST_F(ValidatePlanTest, SlotUsedTwice) {
  auto [u, pieces] = split_unit(plan_);
  PlanView v = plan_.view();
  v.pieces[pieces[1]].slot = v.pieces[pieces[0]].slot;
  EXPECT_TRUE(rejects(plan_, {"is written by two pieces"}));
}

TEST_F(ValidatePlanTest, WrongKvLen) {
  auto [u, pieces] = split_unit(plan_);
  plan_.view().units[u].kv_len += 1;
  EXPECT_TRUE(rejects(plan_, {"has kv_len"}));
}

TEST_F(ValidatePlanTest, LengthsChangedAfterPlanning) {
  // A stale plan replayed with new lengths must be caught.
  case_.seqlens[2] += 16;
  EXPECT_TRUE(rejects(plan_, {"has kv_len", "seqlens[2]"}));
}

TEST_F(ValidatePlanTest, UnitListedTwice) {
  PlanView v = plan_.view();
  v.units[1] = v.units[0];
  EXPECT_TRUE(rejects(plan_, {"appears twice"}));
}

TEST_F(ValidatePlanTest, UnitRowCountWrong) {
  plan_.view().units[0].row_count -= 1;
  EXPECT_TRUE(rejects(plan_, {"rows, expected"}));
}

TEST_F(ValidatePlanTest, UnitNamesAnotherRequestsQueries) {
  plan_.view().units[0].q_start += 2;
  EXPECT_TRUE(rejects(plan_, {"has queries"}));
}

TEST_F(ValidatePlanTest, UnitCountWrong) {
  plan_.view().header->num_units -= 1;
  EXPECT_TRUE(rejects(plan_, {"query tiles"}));
}

TEST_F(ValidatePlanTest, PieceCountPastCapacity) {
  plan_.view().header->num_pieces = plan_.layout.max_pieces + 1;
  EXPECT_TRUE(rejects(plan_, {"num_pieces"}));
}

TEST_F(ValidatePlanTest, SplitSlotCountPastCapacity) {
  plan_.view().header->num_split_slots = plan_.layout.max_split_slots + 1;
  EXPECT_TRUE(rejects(plan_, {"num_split_slots"}));
}

TEST_F(ValidatePlanTest, CombineCountWrong) {
  plan_.view().header->num_combine -= 1;
  EXPECT_TRUE(rejects(plan_, {"num_combine"}));
}

TEST_F(ValidatePlanTest, PlannerStatusSet) {
  plan_.view().header->status = 2;
  EXPECT_TRUE(rejects(plan_, {"status is 2"}));
}

TEST_F(ValidatePlanTest, HeaderWorkersWrong) {
  plan_.view().header->workers = 8;
  EXPECT_TRUE(rejects(plan_, {"header.workers 8"}));
}

TEST_F(ValidatePlanTest, LayoutOfAnotherProblemIsAMismatch) {
  LengthsCase other = case_;
  other.problem.num_heads = 32;
  const PlanLayout layout = plan_layout(other.problem, config_, 7);
  ASSERT_NE(layout.plan_bytes, 0u);
  std::vector<std::byte> buffer(
      std::max(layout.plan_bytes, plan_.buffer.size()));
  EXPECT_TRUE(throws_error(
      [&] {
        validate_plan(case_.problem, config_, layout, case_.lengths(),
                      buffer.data());
      },
      ErrorCode::kPlanMismatch, {"another problem"}));
}

TEST_F(ValidatePlanTest, LayoutOfAnotherConfigIsAMismatch) {
  KernelConfig other = config_;
  other.tile_rows = 32;
  const PlanLayout layout = plan_layout(case_.problem, other, 7);
  std::vector<std::byte> buffer(
      std::max(layout.plan_bytes, plan_.buffer.size()));
  EXPECT_TRUE(throws_error(
      [&] {
        validate_plan(case_.problem, config_, layout, case_.lengths(),
                      buffer.data());
      },
      ErrorCode::kPlanMismatch, {"plan_bytes"}));
}

}  // namespace
}  // namespace mladec::test
