// mladec_bench: the DESIGN §8 matrix, the small-batch CUDA-graph table and
// the page-size cases, next to ceilings measured in the same run and
// FlashMLA's times. Writes JSON and markdown.
//   mladec_bench [--json FILE] [--markdown FILE] [--quick] [--filter GROUP]
//                [--only SUBSTRING] [--no-ceilings] [--sequential-tiles] [--pages-in-order]
//                [--list] [--workers W] [--fixed-chunk T] [--split-cost T] [--min-share T]
//                [--split-overhead T] [--varlen-split-overhead T] [--small-share T]
//                [--small-workers P] [--block-cut-share T] [--warmup-ms MS] [--settle-ms MS]
//                [--min-timing-ms MS] [--placements N]
// --list prints the selected cases' names and runs nothing (no GPU needed);
// --sequential-tiles plans without KernelConfig::concurrent_tiles (A/B);
// --pages-in-order gives each request consecutive pages instead of the
// shuffled pool (A/B of the pages' memory order: FlashMLA's test scripts
// mostly build their block tables with torch.arange, and DESIGN §8 does not
// say which order its FlashMLA times had);
// --workers plans for W workers instead of the SM count, --fixed-chunk with
// the FixedChunk policy and T-token chunks; the other flags set the
// KernelConfig knob of src/core/config_knobs.h they name (--split-cost:
// split_cost_tokens, ..., --block-cut-share: block_cut_share_tokens) to
// their value (planner A/Bs; the case names say so); --warmup-ms warms each
// case up for at least MS milliseconds before it is timed (default 0: three
// untimed runs, the protocol of the benchmarks of record; bench/event_timer.h);
// --settle-ms idles before each timing until the SM clock is back at its
// peak, for at most MS milliseconds (default 1000; 0: no wait, the protocol
// until v86; bench/sm_clock.h); --min-timing-ms makes each graph timing at
// least MS milliseconds of back-to-back steps (default 0.5; 0: one pass over
// the KV copies, the protocol until v87; bench/decode_timing.h);
// --placements N (diagnostic) times each selected graph case N times in a
// row, the r-th with its buffers allocated while r × 160 MiB of spacer is
// held (BenchCase::placement; the names say "placement=r" for r > 0).
#include <cuda_runtime_api.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <exception>
#include <fstream>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

#include "bench/ceilings.h"
#include "bench/decode_timing.h"
#include "bench/event_timer.h"
#include "bench/flashmla_reference.h"
#include "bench/step_split.h"
#include "mladec/error.h"

namespace mladec::bench {
namespace {

std::vector<BenchCase> all_cases() {
  std::vector<BenchCase> cases;
  // Every large shape, fixed and variable lengths, against FlashMLA's bf16
  // time for the same shape and lengths.
  const auto add_large = [&cases](const char* group, KvDtype dtype) {
    for (const FlashMlaTime& f : kFlashMlaLarge) {
      for (bool varlen : {false, true}) {
        cases.push_back({group, f.batch, f.seqlen, f.q_len, f.heads, 64, varlen, dtype,
                         varlen ? f.varlen_us : f.fixed_us});
      }
    }
  };
  add_large("large", KvDtype::kBf16);
  // fp8 caches (FlashMLA has no dense fp8 decode on Hopper).
  for (KvDtype dtype : {KvDtype::kFp8E4m3, KvDtype::kFp8Blockwise}) add_large("fp8", dtype);
  // The opt-in fp8-compute mode (e4m3 caches, 64-row tiles: h_q * s_q > 32)
  // against FlashMLA's bf16 time; the "fp8" group's e4m3 rows are its exact
  // counterpart.
  for (const FlashMlaTime& f : kFlashMlaLarge) {
    if (f.heads * f.q_len <= 32) continue;
    BenchCase c{"fp8_compute", f.batch, f.seqlen, f.q_len, f.heads, 64, false,
                KvDtype::kFp8E4m3, f.fixed_us};
    c.fp8_compute = true;
    cases.push_back(c);
  }
  // Checked mode's cost: back-to-back eager steps with and without it.
  for (const FlashMlaTime& f : kFlashMlaLarge) {
    for (BenchMode mode : {BenchMode::kEager, BenchMode::kEagerChecked}) {
      cases.push_back({"checked", f.batch, f.seqlen, f.q_len, f.heads, 64, false,
                       KvDtype::kBf16, 0, mode});
    }
  }
  for (int page_size : {1, 16}) {
    for (int heads : {16, 128}) {
      cases.push_back({"page_size", 128, 4096, 1, heads, page_size, false,
                       KvDtype::kBf16, 0});
    }
  }
  for (const FlashMlaTime& f : kFlashMlaSmallBatch) {
    cases.push_back({"small_batch", f.batch, f.seqlen, f.q_len, f.heads, 64, false,
                     KvDtype::kBf16, f.fixed_us});
  }
  // Diagnostic: the same step with every request on one request's pages, so
  // the KV stays in L2 and the time is the kernel's per-block cost (compare
  // with the "large" cell of the same shape).
  for (KvDtype dtype : {KvDtype::kBf16, KvDtype::kFp8E4m3}) {
    for (int heads : {16, 32, 64, 128}) {
      if (dtype != KvDtype::kBf16 && heads != 16 && heads != 128) continue;
      BenchCase c{"l2_resident", 128, 8192, 1, heads, 64, false, dtype, 0};
      c.kv_in_l2 = true;
      cases.push_back(c);
    }
  }
  return cases;
}

struct Row {
  BenchCase c;
  BenchResult r;
  double checked_cost = 0;  // eager-checked rows: time_checked_pair's cost
};

// The planner A/B flags: `--flag` T sets the case's value to T (in [least,
// most]); a set value shows as " label=T" in the case name and as
// "json_key": T in the JSON. A value equal to `unset` (BenchCase's default)
// keeps select_config()'s choice.
struct PlannerFlag {
  std::string flag;
  const char* placeholder;
  const char* label;
  const char* json_key;
  int* value;
  int unset, least, most;

  bool set() const { return *value != unset; }
};

// The case's planner flags: the plan's worker count and FixedChunk, then
// every KernelConfig knob (src/core/config_knobs.h).
std::vector<PlannerFlag> planner_flags(BenchCase& c) {
  std::vector<PlannerFlag> flags = {
      {"--workers", "W", "workers", "workers", &c.workers, 0, 1, 1 << 30},
      {"--fixed-chunk", "T", "chunk", "fixed_chunk_tokens", &c.fixed_chunk_tokens, 0, 1, 1 << 30},
  };
  for (int k = 0; k < detail::kConfigKnobCount; ++k) {
    const detail::ConfigKnob& knob = detail::kConfigKnobs[k];
    flags.push_back({std::string("--") + knob.flag, knob.placeholder, knob.flag, knob.name,
                     &c.config_knobs[k], -1, knob.least, knob.most});
  }
  return flags;
}

std::string case_name(const BenchCase& c) {
  std::ostringstream s;
  s << c.batch << "x" << c.seqlen << " s_q=" << c.q_len << " h_q=" << c.heads
    << " page=" << c.page_size << (c.varlen ? " varlen" : " fixed") << " "
    << kv_dtype_name(c.kv_dtype)
    << (c.mode == BenchMode::kEager ? " eager"
        : c.mode == BenchMode::kEagerChecked ? " eager checked" : "")
    << (c.kv_in_l2 ? " kv-in-l2" : "") << (c.concurrent_tiles ? "" : " sequential-tiles")
    << (c.fp8_compute ? " fp8-compute" : "") << (c.pages_in_order ? " pages-in-order" : "");
  if (c.placement > 0) s << " placement=" << c.placement;
  BenchCase named = c;
  for (const PlannerFlag& flag : planner_flags(named)) {
    if (flag.set()) s << " " << flag.label << "=" << *flag.value;
  }
  return s.str();
}

// The name --list prints and --only matches: the group, then case_name.
std::string listed_name(const BenchCase& c) { return c.group + " " + case_name(c); }

std::string gpu_name() {
  cudaDeviceProp properties{};
  cudaGetDeviceProperties(&properties, 0);
  return properties.name + std::string(" (") +
         std::to_string(properties.multiProcessorCount) + " SMs)";
}

std::string today() {
  const std::time_t now = std::time(nullptr);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
  return text;
}

// The case's KV tokens over batch · s_k: 1 for fixed lengths; a varlen
// draw's total lands a few percent either side (its mean's spread is
// (s_k / 2) / sqrt(batch): ±4.4% at batch 128, ±6.3% at 64).
double kv_token_share(const BenchCase& c) {
  const std::vector<int32_t> lengths = case_seqlens(c);
  return std::accumulate(lengths.begin(), lengths.end(), 0.0) / (double(c.batch) * c.seqlen);
}

void write_json(const std::string& path, const std::string& header_json,
                const Ceilings& ceilings, const std::vector<Row>& rows) {
  std::ofstream f(path);
  // A run with --no-ceilings measured none: null, not 0.
  const auto ceiling = [](double per_s) {
    return per_s > 0 ? std::to_string(per_s * 1e-12) : std::string("null");
  };
  f << "{\n" << header_json << "  \"ceilings\": {\"copy_tb_per_s\": "
    << ceiling(ceilings.copy_bytes_per_s) << ", \"gemm_bf16_tflops\": "
    << ceiling(ceilings.gemm_flops_per_s) << ", \"gemm_sm_mhz\": "
    << (ceilings.gemm_sm_mhz > 0 ? std::to_string(ceilings.gemm_sm_mhz) : std::string("null"))
    << ", \"read_tb_per_s\": "
    << ceiling(ceilings.read_bytes_per_s) << ", \"tma_read\": [";
  for (size_t i = 0; i < ceilings.tma_read.size(); ++i) {
    const TmaReadRate& rate = ceilings.tma_read[i];
    f << (i ? ", " : "") << "{\"form\": \"" << rate.form
      << "\", \"copy_bytes\": " << rate.copy_bytes
      << ", \"in_flight_bytes\": " << rate.in_flight_bytes
      << ", \"tb_per_s\": " << ceiling(rate.bytes_per_s) << "}";
  }
  f << "], \"gather_read\": [";
  for (size_t i = 0; i < ceilings.gather_read.size(); ++i) {
    const GatherReadRate& rate = ceilings.gather_read[i];
    f << (i ? ", " : "") << "{\"warps\": " << rate.warps << ", \"job_rows\": " << rate.job_rows
      << ", \"slots\": " << rate.slots
      << ", \"l2_resident\": " << (rate.l2_resident ? "true" : "false")
      << ", \"row_lines\": " << (rate.row_lines ? "true" : "false")
      << ", \"in_flight_bytes\": " << rate.in_flight_bytes()
      << ", \"tb_per_s\": " << ceiling(rate.bytes_per_s) << "}";
  }
  f << "]},\n  \"cases\": [\n";
  for (size_t i = 0; i < rows.size(); ++i) {
    const BenchCase& c = rows[i].c;
    const BenchResult& r = rows[i].r;
    f << "    {\"group\": \"" << c.group << "\", \"batch\": " << c.batch
      << ", \"seqlen\": " << c.seqlen << ", \"q_len\": " << c.q_len
      << ", \"heads\": " << c.heads << ", \"page_size\": " << c.page_size
      << ", \"varlen\": " << (c.varlen ? "true" : "false") << ", \"kv_dtype\": \""
      << kv_dtype_name(c.kv_dtype) << "\", \"mode\": \""
      << (c.mode == BenchMode::kGraph ? "graph"
          : c.mode == BenchMode::kEager ? "eager" : "eager_checked")
      << "\", \"us\": " << r.us
      << ", \"tb_per_s\": " << r.bytes / r.us * 1e-6
      << ", \"tflops\": " << r.flops / r.us * 1e-6
      << ", \"kv_copies\": " << r.copies << ", \"steps_per_timing\": " << r.steps
      << ", \"sm_mhz\": " << r.sm_mhz
      << ", \"settle_ms\": " << r.settle.waited_ms << ", \"start_mhz\": " << r.settle.start_mhz
      << ", \"settle_first_mhz\": " << r.settle.first_mhz
      << ", \"settled\": " << (r.settle.settled ? "true" : "false")
      << ", \"kv_in_l2\": " << (c.kv_in_l2 ? "true" : "false")
      << ", \"concurrent_tiles\": " << (c.concurrent_tiles ? "true" : "false")
      << ", \"fp8_compute\": " << (c.fp8_compute ? "true" : "false")
      << ", \"pages_in_order\": " << (c.pages_in_order ? "true" : "false")
      << ", \"placement\": " << c.placement
      << ", \"flashmla_us\": " << c.flashmla_us
      << ", \"kv_token_share\": " << kv_token_share(c);
    BenchCase written = c;
    for (const PlannerFlag& flag : planner_flags(written)) {
      if (flag.set()) f << ", \"" << flag.json_key << "\": " << *flag.value;
    }
    if (c.mode == BenchMode::kEagerChecked) f << ", \"checked_cost\": " << rows[i].checked_cost;
    f << "}"
      << (i + 1 < rows.size() ? ",\n" : "\n");
  }
  f << "  ]\n}\n";
}

// The step split (bench/step_split.h) of each fixed-length batch-128 cell
// at s_k 4096 and 8192, ours and FlashMLA's times' (v83: ours 4.15–4.29
// TB/s and 9–25 µs at h_q·s_q ≤ 64, FlashMLA's 4.38–4.65 and 7–20).
void write_step_split(std::ofstream& f, const std::vector<Row>& rows) {
  // The same case at s_k 8192: every other field as the case name says.
  const auto twin_at_8192 = [&rows](const BenchCase& c) -> const Row* {
    BenchCase twin = c;
    twin.seqlen = 8192;
    const std::string name = case_name(twin);
    for (const Row& other : rows) {
      if (other.c.group == c.group && case_name(other.c) == name) return &other;
    }
    return nullptr;
  };
  bool titled = false;
  for (const Row& shorter : rows) {
    const BenchCase& c = shorter.c;
    if (c.batch != 128 || c.seqlen != 4096 || c.varlen) continue;
    const Row* longer = twin_at_8192(c);
    if (longer == nullptr || longer->r.us <= shorter.r.us) continue;
    if (!titled) {
      f << "\n## step split (fixed lengths, batch 128: time = fixed part + bytes / marginal "
           "rate, from s_k 4096 and 8192)\n\n| case | fixed µs | marginal TB/s | FlashMLA "
           "fixed µs | FlashMLA marginal TB/s |\n|---|---|---|---|---|\n";
      titled = true;
    }
    const StepSplit ours = split_step(shorter.r.us, shorter.r.bytes, longer->r.us,
                                      longer->r.bytes);
    char theirs[64] = "- | -";
    const double a = c.flashmla_us, b = longer->c.flashmla_us;
    if (a > 0 && b > a) {  // FlashMLA read the same bytes
      const StepSplit split = split_step(a, shorter.r.bytes, b, longer->r.bytes);
      std::snprintf(theirs, sizeof(theirs), "%.1f | %.2f", split.fixed_us,
                    split.marginal_tb_per_s);
    }
    const std::string name = case_name(c);  // "128x4096 s_q=..."; the rest after the shape
    char line[512];
    std::snprintf(line, sizeof(line), "| 128x{4096,8192} %s | %.1f | %.2f | %s |\n",
                  name.substr(name.find(' ') + 1).c_str(), ours.fixed_us,
                  ours.marginal_tb_per_s, theirs);
    f << line;
  }
}

// A number as the shortest text that reads back the same (1, 0.5, 2.25).
std::string format_number(double value) {
  std::ostringstream text;
  text << value;
  return text.str();
}

// The SM MHz column: the clock after the timing, or with --settle-ms the
// clock the timing began at and the clock after it.
std::string clock_column(const BenchResult& r) {
  char text[32];
  if (settle_bound_seconds() > 0) {
    std::snprintf(text, sizeof(text), "%.0f → %.0f", r.settle.start_mhz, r.sm_mhz);
  } else {
    std::snprintf(text, sizeof(text), "%.0f", r.sm_mhz);
  }
  return text;
}

void write_markdown(const std::string& path, const std::string& title,
                    const Ceilings& ceilings, const std::vector<Row>& rows) {
  std::ofstream f(path);
  const bool measured = ceilings.copy_bytes_per_s > 0 && ceilings.gemm_flops_per_s > 0;
  f << title << "\n\n";
  if (measured) {
    f << "Ceilings measured in this run: device copy " << ceilings.copy_bytes_per_s * 1e-12
      << " TB/s, cuBLAS bf16 GEMM 8192³ " << ceilings.gemm_flops_per_s * 1e-12 << " TFLOPS";
    if (ceilings.gemm_sm_mhz > 0) f << " (SM clock after it " << int(ceilings.gemm_sm_mhz) << " MHz)";
    f << ".\n\n";
    if (ceilings.read_bytes_per_s > 0) {
      f << "Reading only (not in the % columns): 16-byte loads "
        << ceilings.read_bytes_per_s * 1e-12
        << " TB/s; TMA copies (form, copy size, bytes in flight per SM → TB/s):";
      for (size_t i = 0; i < ceilings.tma_read.size(); ++i) {
        const TmaReadRate& rate = ceilings.tma_read[i];
        f << (i ? ";" : "") << " " << rate.form << ", " << rate.copy_bytes / 1024 << " KiB, "
          << rate.in_flight_bytes / 1024 << " KiB → " << rate.bytes_per_s * 1e-12;
      }
      f << ".\n\n";
      if (!ceilings.gather_read.empty()) {
        f << "Gather reads (16-byte cp.async of 1,152-byte token rows in a shuffled order, as "
             "the gather path's page-1 blocks; warps per SM × rows a job × jobs in flight a "
             "warp, KiB in flight per SM → TB/s):";
        for (size_t i = 0; i < ceilings.gather_read.size(); ++i) {
          const GatherReadRate& rate = ceilings.gather_read[i];
          f << (i ? ";" : "") << " " << rate.warps << " × " << rate.job_rows << " × "
            << rate.slots << (rate.row_lines ? ", eight lanes a row" : "")
            << (rate.l2_resident ? ", L2-resident" : "") << ", "
            << rate.in_flight_bytes() / 1024 << " KiB → " << rate.bytes_per_s * 1e-12;
        }
        f << ".\n\n";
      }
    }
  } else {
    f << "Ceilings not measured in this run (--no-ceilings): the % columns are empty.\n\n";
  }
  f
    << "Each time is one layer's decode step: the decode and combine kernels over a plan "
       "made once per case (a model step plans once for all its layers, as FlashMLA computes "
       "its tile-scheduler metadata once); graph mode replays back-to-back steps, each timing "
       "whole passes over the case's KV copies" +
           (min_timing_seconds() > 0
                ? std::string(", at least ") + format_number(min_timing_seconds() * 1e3) +
                      " ms of them (steps_per_timing in the JSON)"
                : std::string(" (one pass)")) +
           ". The device "
       "planner's own time, once per model step, is not included (bench/NOTES.md v64). SM MHz: "
       "the SM clock read right after the case's timing (bench/sm_clock.h); compute-bound "
       "times follow it.";
  if (settle_bound_seconds() > 0) {
    // The waits of the order-independent protocol (--settle-ms).
    std::vector<double> waits;
    int unsettled = 0;
    for (const Row& row : rows) {
      waits.push_back(row.r.settle.waited_ms);
      unsettled += row.r.settle.settled ? 0 : 1;
    }
    std::sort(waits.begin(), waits.end());
    char line[512];
    std::snprintf(line, sizeof(line),
                  " Each case was timed after the GPU idled at least %.0f ms and until the clock "
                  "probe read at least %.0f%% of the peak SM clock (at most %.0f ms; waits: median "
                  "%.0f ms, max %.0f ms; %d of %zu cases reached the bound unsettled); the SM MHz "
                  "column reads \"clock when the timing began → clock after it\".",
                  kSettleMinIdleSeconds * 1e3, 100 * kSettledShare, settle_bound_seconds() * 1e3,
                  waits.empty() ? 0. : waits[waits.size() / 2],
                  waits.empty() ? 0. : waits.back(), unsettled, rows.size());
    f << line;
  }
  f << "\n";
  std::string group;
  for (const Row& row : rows) {
    if (row.c.group != group) {
      group = row.c.group;
      f << "\n## " << group << "\n\n| case | µs | TB/s | % copy | TFLOPS | % GEMM | SM MHz |"
        << " FlashMLA µs | speedup |\n|---|---|---|---|---|---|---|---|---|\n";
    }
    const double tbps = row.r.bytes / row.r.us * 1e-6;
    const double tflops = row.r.flops / row.r.us * 1e-6;
    const auto percent_of = [measured](double rate, double ceiling) {
      return measured ? std::to_string(int(100 * rate / ceiling + 0.5)) + "%" : std::string("-");
    };
    char line[512];
    std::snprintf(line, sizeof(line),
                  "| %s | %.1f | %.2f | %s | %.0f | %s | %s | %s | %s |\n",
                  case_name(row.c).c_str(), row.r.us, tbps,
                  percent_of(tbps * 1e12, ceilings.copy_bytes_per_s).c_str(), tflops,
                  percent_of(tflops * 1e12, ceilings.gemm_flops_per_s).c_str(),
                  clock_column(row.r).c_str(),
                  row.c.flashmla_us > 0 ? std::to_string(int(row.c.flashmla_us)).c_str() : "-",
                  row.c.flashmla_us > 0
                      ? (std::to_string(row.c.flashmla_us / row.r.us).substr(0, 4) + "×").c_str()
                      : "-");
    f << line;
  }
  write_step_split(f, rows);
  // Varlen cells against FlashMLA: each side timed its own draw of lengths,
  // and DESIGN §8 does not give FlashMLA's draws' totals.
  bool varlen_titled = false;
  for (const Row& row : rows) {
    if (!row.c.varlen || row.c.flashmla_us <= 0) continue;
    if (!varlen_titled) {
      f << "\n## varlen draws (this run's KV tokens over batch · s_k; the last column "
           "is the speedup per token, as if FlashMLA's draw held batch · s_k tokens — "
           "its totals are not known, and a draw's total spreads ±4.4% at batch 128, ±6.3% "
           "at 64)\n\n| case | tokens / (b · s_k) | speedup | speedup per token |\n"
           "|---|---|---|---|\n";
      varlen_titled = true;
    }
    const double share = kv_token_share(row.c);
    const double speedup = row.c.flashmla_us / row.r.us;
    char line[256];
    std::snprintf(line, sizeof(line), "| %s | %.3f | %.2f× | %.2f× |\n",
                  case_name(row.c).c_str(), share, speedup, speedup * share);
    f << line;
  }
  // Checked mode's cost, from the checked group's (eager, eager checked) pairs.
  bool titled = false;
  for (size_t i = 0; i + 1 < rows.size(); ++i) {
    const Row& plain = rows[i];
    const Row& checked = rows[i + 1];
    if (plain.c.mode != BenchMode::kEager || checked.c.mode != BenchMode::kEagerChecked) continue;
    if (!titled) {
      f << "\n## checked-mode cost (back-to-back eager steps, the two loops alternating; "
           "cost: the median of the rounds' ratios)\n\n| case | unchecked µs |"
        << " checked µs | cost |\n|---|---|---|---|\n";
      titled = true;
    }
    char line[256];
    std::snprintf(line, sizeof(line), "| %dx%d s_q=%d h_q=%d | %.1f | %.1f | %+.1f%% |\n",
                  plain.c.batch, plain.c.seqlen, plain.c.q_len, plain.c.heads, plain.r.us,
                  checked.r.us, 100 * checked.checked_cost);
    f << line;
  }
}

void print_row(const Row& row) {
  std::printf("%-52s %8.1f us %6.2f TB/s %5.0f TFLOPS %11s MHz  FlashMLA %5.0f us",
              case_name(row.c).c_str(), row.r.us, row.r.bytes / row.r.us * 1e-6,
              row.r.flops / row.r.us * 1e-6, clock_column(row.r).c_str(), row.c.flashmla_us);
  if (settle_bound_seconds() > 0) {
    std::printf("  (idled %.0f ms from %.0f MHz%s)", row.r.settle.waited_ms,
                row.r.settle.first_mhz, row.r.settle.settled ? "" : ", unsettled");
  }
  std::printf("\n");
  std::fflush(stdout);
}

int run(int argc, char** argv) {
  std::string json_path = "bench.json", markdown_path = "bench.md", filter, only;
  bool quick = false, ceilings_wanted = true, concurrent_tiles = true, list_only = false;
  bool pages_in_order = false;
  int placements = 1;
  BenchCase flagged;  // only its planner flags' values are used
  const std::vector<PlannerFlag> flags = planner_flags(flagged);
  const auto count_in = [](const char* text, const std::string& flag, int least, int most) {
    char* end = nullptr;
    const long value = std::strtol(text, &end, 10);
    if (end == text || *end != '\0' || value < least || value > most) {
      std::fprintf(stderr, "mladec_bench: %s expects a count in [%d, %d], got '%s'\n",
                   flag.c_str(), least, most, text);
      std::exit(2);
    }
    return int(value);
  };
  const auto count = [&](const char* text, const PlannerFlag& flag) {
    return count_in(text, flag.flag, flag.least, flag.most);
  };
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--json" && i + 1 < argc) json_path = argv[++i];
    else if (arg == "--markdown" && i + 1 < argc) markdown_path = argv[++i];
    else if (arg == "--filter" && i + 1 < argc) filter = argv[++i];
    else if (arg == "--only" && i + 1 < argc) only = argv[++i];
    else if (arg == "--quick") quick = true;
    else if (arg == "--no-ceilings") ceilings_wanted = false;
    else if (arg == "--sequential-tiles") concurrent_tiles = false;
    else if (arg == "--pages-in-order") pages_in_order = true;
    else if (arg == "--list") list_only = true;
    else if (arg == "--placements" && i + 1 < argc) {
      placements = count_in(argv[++i], arg, 1, 16);
    }
    else if ((arg == "--warmup-ms" || arg == "--settle-ms" || arg == "--min-timing-ms") &&
             i + 1 < argc) {
      char* end = nullptr;
      const double ms = std::strtod(argv[++i], &end);
      if (end == argv[i] || *end != '\0' || !(ms >= 0 && ms <= 10000)) {
        std::fprintf(stderr, "mladec_bench: %s expects milliseconds in [0, 10000], got '%s'\n",
                     arg.c_str(), argv[i]);
        return 2;
      }
      (arg == "--warmup-ms"   ? min_warmup_seconds()
       : arg == "--settle-ms" ? settle_bound_seconds()
                              : min_timing_seconds()) = ms * 1e-3;
    }
    else if (const auto flag = std::find_if(flags.begin(), flags.end(),
                                            [&](const PlannerFlag& f) { return arg == f.flag; });
             flag != flags.end() && i + 1 < argc) {
      *flag->value = count(argv[++i], *flag);
    } else {
      std::fprintf(stderr, "usage: mladec_bench [--json FILE] [--markdown FILE] "
                           "[--quick] [--filter large|fp8|fp8_compute|checked|page_size|small_batch|l2_resident] "
                           "[--only CASE_SUBSTRING] [--no-ceilings] [--sequential-tiles] [--pages-in-order] [--list] "
                           "[--warmup-ms MS] [--settle-ms MS] [--min-timing-ms MS] [--placements N]");
      for (const PlannerFlag& flag : flags) {
        std::fprintf(stderr, " [%s %s]", flag.flag.c_str(), flag.placeholder);
      }
      std::fprintf(stderr, "\n");
      return 2;
    }
  }
  std::vector<BenchCase> cases;
  int index = 0;
  for (BenchCase c : all_cases()) {
    c.concurrent_tiles = concurrent_tiles;
    c.pages_in_order = pages_in_order;
    c.workers = flagged.workers;
    c.fixed_chunk_tokens = flagged.fixed_chunk_tokens;
    c.config_knobs = flagged.config_knobs;
    if (!filter.empty() && c.group != filter) continue;
    // --only matches the name --list prints, group first, so any listed
    // line's text selects (session 38 lost a device call to "large 128x8192 ..."
    // selecting nothing while it matched the name without its group).
    if (!only.empty() && listed_name(c).find(only) == std::string::npos) continue;
    if (quick && index++ % 4 != 0) continue;
    // Eager cases stay single: a checked twin is timed with the eager case
    // right before it (below).
    const int repeats = c.mode == BenchMode::kGraph ? placements : 1;
    for (int r = 0; r < repeats; ++r) {
      c.placement = r;
      cases.push_back(c);
    }
  }
  if (list_only) {  // the selection's names, nothing run (no GPU needed)
    for (const BenchCase& c : cases) std::printf("%s\n", listed_name(c).c_str());
    return 0;
  }
  // Profiling runs skip the ceilings: their kernels would only slow ncu down.
  Ceilings ceilings = ceilings_wanted ? measure_ceilings() : Ceilings{};
  std::printf("ceilings: copy %.2f TB/s, bf16 GEMM %.0f TFLOPS (SM clock after it %.0f MHz)\n",
              ceilings.copy_bytes_per_s * 1e-12, ceilings.gemm_flops_per_s * 1e-12,
              ceilings.gemm_sm_mhz);
  std::vector<Row> rows;
  for (size_t i = 0; i < cases.size(); ++i) {
    const BenchCase& c = cases[i];
    // An eager case and its checked twin (all_cases() emits them in a row)
    // are timed together, their loops alternating; a checked case whose
    // twin was filtered out still brings its unchecked row.
    const auto unchecked = [](BenchCase twin) {
      twin.mode = BenchMode::kEager;
      return twin;
    };
    const bool twin_follows = c.mode == BenchMode::kEager && i + 1 < cases.size() &&
                              cases[i + 1].mode == BenchMode::kEagerChecked &&
                              case_name(unchecked(cases[i + 1])) == case_name(c);
    if (twin_follows || c.mode == BenchMode::kEagerChecked) {
      const BenchCase& checked = twin_follows ? cases[++i] : c;
      const CheckedPair pair = time_checked_pair(checked);
      rows.push_back({unchecked(checked), pair.unchecked});
      print_row(rows.back());
      rows.push_back({checked, pair.checked, pair.cost});
    } else {
      rows.push_back({c, time_decode(c)});
    }
    print_row(rows.back());
  }
  const char* commit = std::getenv("MLADEC_COMMIT");
  const std::string date = today(), gpu = gpu_name();
  // The read ceilings last (diagnostics, not in the % columns): if one of
  // their kernels traps, the decode rows are already measured, and the
  // results are written with those ceilings null.
  if (ceilings_wanted) {
    try {
      measure_read_ceilings(ceilings);
      std::printf("read ceilings: 16-byte loads %.2f TB/s\n", ceilings.read_bytes_per_s * 1e-12);
      for (const TmaReadRate& rate : ceilings.tma_read) {
        std::printf("  TMA read, %s, %2d KiB copies, %3d KiB in flight per SM: %.2f TB/s\n",
                    rate.form.c_str(), rate.copy_bytes / 1024, rate.in_flight_bytes / 1024,
                    rate.bytes_per_s * 1e-12);
      }
      for (const GatherReadRate& rate : ceilings.gather_read) {
        std::printf("  gather read, %2d warps x %2d rows x %d jobs%s%s, %3d KiB in flight per SM: "
                    "%.2f TB/s\n",
                    rate.warps, rate.job_rows, rate.slots,
                    rate.row_lines ? ", eight lanes a row" : "",
                    rate.l2_resident ? ", L2-resident" : "",
                    rate.in_flight_bytes() / 1024, rate.bytes_per_s * 1e-12);
      }
    } catch (const std::exception& e) {
      std::fprintf(stderr, "mladec_bench: the read ceilings failed: %s\n", e.what());
      ceilings.read_bytes_per_s = 0;
      ceilings.tma_read.clear();
      ceilings.gather_read.clear();
    }
  }
  std::ostringstream header;
  header << "  \"date\": \"" << date << "\",\n  \"gpu\": \"" << gpu
         << "\",\n  \"commit\": \"" << (commit ? commit : "unknown")
         << "\",\n  \"warmup_ms\": " << min_warmup_seconds() * 1e3
         << ",\n  \"settle_ms_bound\": " << settle_bound_seconds() * 1e3
         << ",\n  \"min_timing_ms\": " << min_timing_seconds() * 1e3 << ",\n";
  write_json(json_path, header.str(), ceilings, rows);
  write_markdown(markdown_path,
                 "# mladec decode benchmark\n\n" + date + ", " + gpu + ", commit " +
                     (commit ? commit : "unknown") +
                     (min_warmup_seconds() > 0
                          ? ", warm-up " + std::to_string(int(min_warmup_seconds() * 1e3)) +
                                " ms a case"
                          : std::string()) +
                     (settle_bound_seconds() > 0
                          ? ", clock settled before each case (at most " +
                                std::to_string(int(settle_bound_seconds() * 1e3)) + " ms)"
                          : std::string()),
                 ceilings, rows);
  return 0;
}

}  // namespace
}  // namespace mladec::bench

int main(int argc, char** argv) {
  try {
    return mladec::bench::run(argc, argv);
  } catch (const mladec::Error& e) {
    std::fprintf(stderr, "mladec_bench: %s\n", e.what());
    return 1;
  }
}
