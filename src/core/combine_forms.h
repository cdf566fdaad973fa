#pragma once
// Which form the combine kernel (src/cuda/combine_kernel.cu) runs for a
// plan layout, chosen from the layout alone so that a captured graph's
// launch never depends on the lengths. launch_combine asks here; the CPU
// test tests/combine_forms_test.cpp pins the benchmark's cells to their
// forms.
#include <cstdint>

#include "mladec/constants.h"
#include "mladec/plan.h"

namespace mladec::detail {

// The chunk form: a CTA per 128-column chunk of a row.
inline constexpr int kCombineChunkColumns = 128;  // 4 per lane
inline constexpr int kCombineChunksPerRow = kLatentDim / kCombineChunkColumns;
// The chunk form runs while its grid is at most this many CTAs per worker
// (per SM; three are resident at a time). With 8 — two waves and more —
// it lost 2–4 µs to the row form (4×1024 h_q 128, 32×1024 h_q 16;
// bench/NOTES.md v25); at 1,024 CTAs (16×1024 h_q 16: 16 units of ~8
// splits, a warp a split) it ended 7 µs after the decode, where 32×1024's
// four-warp rows end 2.8 µs after it, and with 4 the 16×1024 step took
// 15.1 µs instead of 18.7 (16×4096 30.2 instead of 32.1; v103).
inline constexpr int64_t kChunkFormBlocksPerWorker = 4;
// The row form's four warps per row while the combine has at most this
// many rows: measured with them everywhere (session 20, call 1), every
// step with 512 rows or fewer gained 1.0–1.4 µs (4×4096 h_q 128, 32×1024 /
// 32×4096 h_q 16) except 4×1024 h_q 128 (+0.4), and every step with 2048
// or more lost 2.5–6 µs (16×1024 h_q 128, 32×4096 h_q 128): each warp
// reads every split's LSE, and the grid is four times larger
// (bench/NOTES.md v65). With this bound (session 21) the gains held, and
// 4×1024 h_q 128 lost 1.5 µs in one round (v66).
inline constexpr int64_t kQuarterRowsMaxRows = 512;
inline constexpr int kQuarterRowWarps = 4;

// The chunk form's CTAs for a layout (its grid).
inline int64_t combine_chunk_blocks(const PlanLayout& layout) {
  return int64_t(layout.max_combine) * layout.slot_rows * kCombineChunksPerRow;
}

// Whether the combine merges a layout's splits in its chunk form rather
// than its row form (a warp, or four, per row): for the few rows of a small
// batch, whose units are split over many workers.
inline bool combine_by_chunks(const PlanLayout& layout) {
  return combine_chunk_blocks(layout) <= kChunkFormBlocksPerWorker * layout.workers;
}

// The row form's warps per row: four while the rows are few, else one.
inline int combine_row_warps(const PlanLayout& layout) {
  return int64_t(layout.max_combine) * layout.slot_rows <= kQuarterRowsMaxRows ? kQuarterRowWarps
                                                                                : 1;
}

}  // namespace mladec::detail
