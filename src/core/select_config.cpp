#include "mladec/config.h"

#include "src/core/kernel_form.h"
#include "src/core/require.h"
#include "src/core/tile_forms.h"

namespace mladec {

namespace {

// The cost of a piece in varlen plans (KernelConfig says why), by tile form
// and cache format: a piece's fixed cost in tokens is its start's time over
// a token's, so it grows where tokens are cheap (fp8 bytes at 16 rows) and
// shrinks where they are dear (blockwise dequantized into 64-row tiles).
// Measured on the H200 by A/Bs of 160 / 256 / 320 over the large varlen
// cells, 3 rounds (bench/NOTES.md v93 for bf16, v95 for the fp8 formats).
int varlen_piece_overhead_tokens(int tile_rows, KvDtype kv_dtype, int split_overhead_tokens) {
  if (tile_rows == detail::kRowFormTileRows) {
    return kv_dtype == KvDtype::kFp8Blockwise ? split_overhead_tokens : 320;
  }
  if (tile_rows == detail::kTransposedTileRowLimit) return 256;
  return kv_dtype == KvDtype::kBf16 ? split_overhead_tokens : 256;
}

}  // namespace

KernelConfig select_config(const DecodeProblem& problem) {
  validate_problem(problem);
  KernelConfig config;
  // Up to 16 query rows per request (32 with a bf16 or e4m3 cache) run the
  // transposed form, whose wgmma N is the tile's rows instead of 64 padded
  // rows. Measured on the H200 (bench/NOTES.md, v6): bf16 0.72x the row
  // form's time at <= 16 rows and 0.84x at 17..32; blockwise 1.14-1.25x at
  // 17..32 (dequantized into bf16 tiles), so it keeps 64-row tiles there;
  // e4m3 converts in registers (v34).
  config.tile_rows =
      detail::tile_rows_for(int64_t(problem.max_q_len) * problem.num_heads, problem.kv_dtype);
  config.varlen_split_overhead_tokens =
      varlen_piece_overhead_tokens(config.tile_rows, problem.kv_dtype, config.split_overhead_tokens);
  config.blockwise_products = detail::blockwise_exact_products(config.tile_rows)
                                  ? BlockwiseProducts::kExact
                                  : BlockwiseProducts::kRoundedToBf16;
  // Only 64-row tiles are compute-bound enough for the e4m3 products to pay;
  // at 16 / 32 rows the exact register-A path is memory-bound already.
  config.fp8_compute = problem.fp8_compute && config.tile_rows == detail::kRowFormTileRows;
  if (problem.fixed_chunk_tokens > 0) {
    config.fixed_chunk_tokens = problem.fixed_chunk_tokens;
  }
  return config;
}

namespace detail {

void require_selected_kernel_form(const DecodeProblem& problem, const KernelConfig& config) {
  const KernelConfig selected = select_config(problem);
  const char* const rule =
      ": the kernel form comes from select_config() (only its planner knobs may change)";
  require(config.tile_rows == selected.tile_rows, ErrorCode::kBadConfig,
          "config.tile_rows is ", config.tile_rows, ", but select_config() gives this problem ",
          selected.tile_rows, rule);
  require(config.fp8_compute == selected.fp8_compute, ErrorCode::kBadConfig,
          "config.fp8_compute is ", config.fp8_compute ? "true" : "false",
          ", but select_config() gives this problem ", selected.fp8_compute ? "true" : "false",
          rule);
  const auto products_name = [](BlockwiseProducts products) {
    return products == BlockwiseProducts::kExact ? "exact" : "rounded to bf16";
  };
  require(config.blockwise_products == selected.blockwise_products, ErrorCode::kBadConfig,
          "config.blockwise_products is ", products_name(config.blockwise_products),
          ", but select_config() gives this problem ", products_name(selected.blockwise_products),
          rule);
}

}  // namespace detail

}  // namespace mladec
