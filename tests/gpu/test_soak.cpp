// Soak: a long decode loop driven the way a serving engine drives it,
// MLADEC_SOAK_STEPS steps (default 10000) in epochs of kStepsPerEpoch. Each
// epoch draws a configuration (head count, page size, KV dtype, policy, MTP
// query length, slot capacity, KV pool), captures plan + decode once in a
// CUDA graph and replays it every step while requests arrive, append their
// query tokens' KV and leave, their pages going back to a free list that
// hands them out again in random order: lengths, query offsets and block
// tables change every step, the shape never does.
//
// Every step checks a random sample of output rows against the float64
// reference (recomputing whole steps would take hours) and every
// kFullCheckEvery-th step also every row of one request. KV slots no request
// holds are NaN and block-table entries past a request's pages are huge, so a
// kernel that reads them produces a mismatch. Device and host memory must
// stay flat from the end of the warm-up epochs to the end. MLADEC_SOAK_SEED
// picks another run; a mismatch report names the seed, step and config.
#include <cuda_runtime_api.h>
#include <gtest/gtest.h>
#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "mladec/compare.h"
#include "mladec/config.h"
#include "mladec/constants.h"
#include "mladec/device_step.h"
#include "mladec/kv_format.h"
#include "mladec/reference.h"
#include "src/core/numeric_formats.h"

namespace mladec {
namespace {

// KV formats the soak draws from (every epoch has a random kv_scale, and KV
// is written through encode_kv_token).
constexpr KvDtype kSoakKvDtypes[] = {KvDtype::kBf16, KvDtype::kFp8E4m3,
                                     KvDtype::kFp8Blockwise};

constexpr int64_t kDefaultSteps = 10000;
constexpr uint64_t kDefaultSeed = 20261128;
constexpr int kStepsPerEpoch = 250;
// One per KV dtype, each Balanced (which always has a combine step): by their
// end every kernel the soak runs has been loaded, so lazy module loading
// later cannot look like a leak.
constexpr int kWarmupEpochs = int(std::size(kSoakKvDtypes));

// Head counts of every TP split of 128; an odd count joins them at random.
constexpr int kHeadCounts[] = {1, 8, 16, 20, 32, 64, 128};
constexpr int kPageSizes[] = {1, 16, 64, 128, 33};
// FixedChunk chunks: small ones make batch-invariant plans split.
constexpr int kFixedChunks[] = {64, 256, 1024, 2048};
constexpr int kSoakMaxQLen = 4;
constexpr int kSoakMaxSlots = 64;
// Longest request: the block table has room for it plus one poisoned column.
constexpr int kSoakMaxKvLen = 3200;
constexpr int kShortPromptMax = 511;
constexpr int kLongPromptMax = 2800;
constexpr double kLongPromptChance = 0.15;
constexpr int kMaxLifetimeSteps = 400;
// Split workspace an epoch may allocate; small chunks over a large batch of
// many heads would otherwise need gigabytes.
constexpr size_t kMaxWorkspaceBytes = size_t(256) << 20;
// A block-table entry no request owns: far past any pool, as
// make_random_step() poisons them.
constexpr int32_t kPoisonPage = std::numeric_limits<int32_t>::max() - 7;

// Sampled checks: the float64 reference costs ~0.7 us per (row, KV token) on
// one core (reference_request_rows() spreads rows over the cores), so a
// window holds as many rows as kSampleRowKeys row-tokens allow (at least
// one), and whole requests are checked only every kFullCheckEvery steps.
constexpr int kWindowsPerStep = 2;
constexpr int64_t kSampleRowKeys = 4096;
constexpr int kFullCheckEvery = 50;
constexpr int kMaxReportedMismatches = 10;

// Separate uploads closer than this are merged into one: re-sending the
// unchanged bytes between them costs less than another copy call.
constexpr int64_t kMergeGapBytes = 64 << 10;

// Memory drift allowed from the end of the warm-up to the end of the run. A
// leak of one epoch's buffers repeats every epoch and grows far past these;
// the margins absorb one-off growth of the allocators' own pools (the CUDA
// driver sub-allocates small buffers from 2 MiB blocks it may keep).
constexpr int64_t kDeviceDriftLimit = int64_t(4) << 20;
constexpr int64_t kRssDriftLimit = int64_t(32) << 20;

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

void check_cuda(cudaError_t status, const char* what) {
  if (status != cudaSuccess) {
    throw std::runtime_error(std::string(what) + ": " + cudaGetErrorName(status));
  }
}

uint64_t env_or(const char* name, uint64_t fallback) {
  const char* text = std::getenv(name);
  return text != nullptr && *text != '\0' ? std::strtoull(text, nullptr, 10)
                                          : fallback;
}

int uniform_int(std::mt19937_64& rng, int lo, int hi) {
  return lo + int(rng() % uint64_t(hi - lo + 1));
}

double uniform_real(std::mt19937_64& rng, double lo, double hi) {
  return std::uniform_real_distribution<double>(lo, hi)(rng);
}

// Values uniform in [-sqrt(3), sqrt(3)] (unit variance, like the N(0, 1)
// values of make_random_step), four per 64-bit draw: the soak writes millions
// of values per epoch, and normal draws would cost more than the decode loop.
void fill_unit_values(std::mt19937_64& rng, float* values, int count) {
  constexpr float kHalfWidth = 1.7320508f;
  constexpr float kStep = 2 * kHalfWidth / 65536.f;
  for (int i = 0; i < count; i += 4) {
    uint64_t bits = rng();
    for (int k = i; k < std::min(i + 4, count); ++k, bits >>= 16) {
      values[k] = (float(bits & 0xffff) + 0.5f) * kStep - kHalfWidth;
    }
  }
}

struct EpochConfig {
  int heads = 0;
  int page_size = 0;
  KvDtype dtype = KvDtype::kBf16;
  SchedulePolicy policy = SchedulePolicy::kBalanced;
  int fixed_chunk_tokens = 0;  // FixedChunk only
  int max_q_len = 1;
  bool ragged = false;         // per-request query lengths 0..max_q_len
  int slots = 0;               // batch: requests decoded at once
  int64_t num_pages = 0;       // the KV pool
  float kv_scale = 1.f;        // fp8_e4m3 only
  double arrival_chance = 0;   // per idle slot and step

  std::string describe() const {
    std::ostringstream s;
    s << "h_q=" << heads << " page=" << page_size << " kv=" << kv_dtype_name(dtype)
      << " policy=" << policy_name(policy);
    if (policy == SchedulePolicy::kFixedChunk) s << "(" << fixed_chunk_tokens << ")";
    s << " s_q<=" << max_q_len << (ragged ? " ragged" : " uniform")
      << " slots=" << slots << " pages=" << num_pages << " kv_scale=" << kv_scale
      << " arrival=" << arrival_chance;
    return s.str();
  }
};

DecodeProblem epoch_problem(const EpochConfig& c) {
  DecodeProblem p;
  p.batch = c.slots;
  p.num_heads = c.heads;
  p.max_q_len = c.max_q_len;
  p.ragged_q = c.ragged;
  p.total_q = int64_t(c.slots) * c.max_q_len;
  p.page_size = c.page_size;
  p.num_pages = c.num_pages;
  p.max_pages_per_request = int(ceil_div(kSoakMaxKvLen, c.page_size)) + 1;
  p.kv_dtype = c.dtype;
  p.causal = true;
  p.softmax_scale = 1.f / std::sqrt(192.f);  // DeepSeek: 1/sqrt(128 + 64)
  p.policy = c.policy;
  p.fixed_chunk_tokens = c.fixed_chunk_tokens;
  return p;
}

// `chunk`, doubled until the epoch's split workspace fits kMaxWorkspaceBytes
// (a chunk past the longest request needs none).
int chunk_within_workspace(EpochConfig c, int chunk) {
  const int workers = device_worker_count();
  for (;; chunk *= 2) {
    c.fixed_chunk_tokens = chunk;
    const DecodeProblem p = epoch_problem(c);
    if (plan_layout(p, select_config(p), workers).workspace_bytes <=
        kMaxWorkspaceBytes) {
      return chunk;
    }
  }
}

EpochConfig random_config(int64_t epoch, std::mt19937_64& rng) {
  auto uniform = [&](int lo, int hi) { return uniform_int(rng, lo, hi); };
  const bool warm_up = epoch < kWarmupEpochs;
  EpochConfig c;
  const size_t head_choice = rng() % (std::size(kHeadCounts) + 1);
  c.heads = head_choice < std::size(kHeadCounts) ? kHeadCounts[head_choice]
                                                 : 2 * uniform(1, 63) + 1;
  c.page_size = kPageSizes[rng() % std::size(kPageSizes)];
  c.dtype = warm_up ? kSoakKvDtypes[epoch]
                    : kSoakKvDtypes[rng() % std::size(kSoakKvDtypes)];
  c.policy = !warm_up && rng() % 2 == 0 ? SchedulePolicy::kFixedChunk
                                        : SchedulePolicy::kBalanced;
  c.max_q_len = uniform(1, kSoakMaxQLen);
  c.ragged = rng() % 3 == 0;
  c.slots = uniform(1, kSoakMaxSlots);
  // Between ~256 and ~1536 tokens a slot: some epochs run out of pages, and
  // requests then wait for a slot or are preempted.
  c.num_pages = ceil_div(int64_t(c.slots) * uniform(256, 1536), c.page_size) + 1;
  c.kv_scale = float(uniform_real(rng, 0.005, 0.05));  // as make_random_step
  c.arrival_chance = uniform_real(rng, 0.02, 0.5);
  if (c.policy == SchedulePolicy::kFixedChunk) {
    c.fixed_chunk_tokens =
        chunk_within_workspace(c, kFixedChunks[rng() % std::size(kFixedChunks)]);
  }
  return c;
}

// [first, first + count) of rows or cache slots.
struct Range {
  int64_t first, count;
};

// The ranges in order, those that overlap or lie at most `max_gap` apart
// joined into one (the gap included).
std::vector<Range> merge_ranges(std::vector<Range> ranges, int64_t max_gap) {
  std::sort(ranges.begin(), ranges.end(),
            [](const Range& a, const Range& b) { return a.first < b.first; });
  std::vector<Range> merged;
  for (const Range& r : ranges) {
    if (!merged.empty()) {
      Range& last = merged.back();
      const int64_t last_end = last.first + last.count;
      if (r.first - last_end <= max_gap) {
        last.count = std::max(last_end, r.first + r.count) - last.first;
        continue;
      }
    }
    merged.push_back(r);
  }
  return merged;
}

// The host side of one epoch's decode loop: requests in slots, the KV pool
// and its free list, and a host mirror of every decode input (what the
// reference reads). Changes are recorded so that only they are uploaded.
class DecodeLoop {
 public:
  DecodeLoop(const EpochConfig& config, std::mt19937_64& rng);

  const EpochConfig& config() const { return config_; }
  const DecodeProblem& problem() const { return problem_; }
  const HostDecodeInputs& inputs() const { return inputs_; }
  int q_len(int slot) const {
    return inputs_.qo_indptr[slot + 1] - inputs_.qo_indptr[slot];
  }
  int kv_len(int slot) const { return inputs_.seqlens[slot]; }
  // Output row of the slot's first query row (row = token * h_q + head).
  int64_t first_row(int slot) const {
    return int64_t(inputs_.qo_indptr[slot]) * problem_.num_heads;
  }

  // One decode step: finished requests leave, idle slots may take new ones,
  // every request appends this step's query tokens.
  void advance();
  // New random q for output rows [first_row, first_row + rows).
  void refresh_q_rows(int64_t first_row, int64_t rows);
  // Uploads what changed since the last call, lengths and block table.
  void upload_changes(DeviceStep& device);

 private:
  struct Request {
    bool active = false;
    int steps_left = 0;
  };

  int uniform(int lo, int hi) { return uniform_int(rng_, lo, hi); }
  bool chance(double p) { return uniform_real(rng_, 0, 1) < p; }
  int random_prompt_len();
  int32_t& page_entry(int slot, int64_t index) {
    return inputs_.block_table[size_t(slot) * problem_.max_pages_per_request +
                               size_t(index)];
  }
  void write_random_q(int64_t first_row, int64_t rows);
  void draw_query_lengths();
  void admit(int slot);
  bool append_tokens(int slot, int count);
  void release(int slot);
  int32_t take_free_page();
  void write_random_token(int slot, int position);
  void poison_page(int32_t page);

  EpochConfig config_;
  DecodeProblem problem_;
  std::mt19937_64& rng_;
  size_t token_bytes_;
  std::vector<uint8_t> nan_token_;  // one token of NaN in the epoch's format
  HostDecodeInputs inputs_;
  std::vector<Request> requests_;   // one per slot
  std::vector<int32_t> free_pages_;
  std::vector<Range> changed_slots_, changed_q_rows_;
};

// Starts with every slot idle: all KV NaN, every block-table entry poisoned,
// random q everywhere.
DecodeLoop::DecodeLoop(const EpochConfig& config, std::mt19937_64& rng)
    : config_(config),
      problem_(epoch_problem(config)),
      rng_(rng),
      token_bytes_(size_t(kv_token_bytes(config.dtype))),
      nan_token_(token_bytes_),
      requests_(size_t(config.slots)) {
  const std::vector<float> nan_values(kHeadDim,
                                      std::numeric_limits<float>::quiet_NaN());
  encode_kv_token(config.dtype, nan_values.data(), config.kv_scale,
                  nan_token_.data());
  const int64_t q_rows = problem_.total_q * problem_.num_heads;
  inputs_.q.resize(size_t(q_rows) * kHeadDim);
  write_random_q(0, q_rows);
  const int64_t cache_slots = problem_.num_pages * problem_.page_size;
  inputs_.kv_cache.resize(size_t(cache_slots) * token_bytes_);
  for (int64_t slot = 0; slot < cache_slots; ++slot) {
    std::memcpy(inputs_.kv_cache.data() + size_t(slot) * token_bytes_,
                nan_token_.data(), token_bytes_);
  }
  inputs_.kv_scale = config.kv_scale;
  inputs_.block_table.assign(
      size_t(problem_.batch) * problem_.max_pages_per_request, kPoisonPage);
  inputs_.seqlens.assign(size_t(problem_.batch), 0);
  inputs_.qo_indptr.assign(size_t(problem_.batch) + 1, 0);
  draw_query_lengths();
  free_pages_.resize(size_t(problem_.num_pages));
  for (size_t i = 0; i < free_pages_.size(); ++i) free_pages_[i] = int32_t(i);
}

void DecodeLoop::advance() {
  for (int s = 0; s < problem_.batch; ++s) {
    if (requests_[s].active && requests_[s].steps_left == 0) release(s);
    if (!requests_[s].active && chance(config_.arrival_chance)) admit(s);
  }
  draw_query_lengths();
  // Bottom-right aligned MTP: a step's query tokens are the last q_len tokens
  // of the request's KV, so their KV is appended first. A request that would
  // outgrow its block table or finds no free page leaves instead (finished,
  // or preempted as an engine does when its pool runs dry).
  for (int s = 0; s < problem_.batch; ++s) {
    if (!requests_[s].active) continue;
    if (append_tokens(s, q_len(s))) {
      --requests_[s].steps_left;
    } else {
      release(s);
    }
  }
}

void DecodeLoop::refresh_q_rows(int64_t first_row, int64_t rows) {
  write_random_q(first_row, rows);
  changed_q_rows_.push_back({first_row, rows});
}

void DecodeLoop::upload_changes(DeviceStep& device) {
  const int64_t slot_gap = kMergeGapBytes / int64_t(token_bytes_);
  for (const Range& r : merge_ranges(std::move(changed_slots_), slot_gap)) {
    device.upload_kv_slots(inputs_, r.first, r.count);
  }
  for (const Range& r : merge_ranges(std::move(changed_q_rows_), 0)) {
    device.upload_q_rows(inputs_, r.first, r.count);
  }
  changed_slots_.clear();
  changed_q_rows_.clear();
  device.upload_lengths(inputs_);
}

// Mostly short prompts, some long ones; 0 (a request that starts with its
// first decode step) included.
int DecodeLoop::random_prompt_len() {
  return chance(kLongPromptChance) ? uniform(kShortPromptMax + 1, kLongPromptMax)
                                   : uniform(0, kShortPromptMax);
}

void DecodeLoop::write_random_q(int64_t first_row, int64_t rows) {
  float values[kHeadDim];
  uint16_t* q = inputs_.q.data() + size_t(first_row) * kHeadDim;
  for (int64_t row = 0; row < rows; ++row, q += kHeadDim) {
    fill_unit_values(rng_, values, kHeadDim);
    for (int d = 0; d < kHeadDim; ++d) q[d] = detail::float_to_bf16(values[d]);
  }
}

// Uniform problems give every slot max_q_len query tokens (an idle slot's
// rows see no key: out 0, lse -inf); ragged ones 0..max_q_len a slot.
void DecodeLoop::draw_query_lengths() {
  for (int s = 0; s < problem_.batch; ++s) {
    const int q = problem_.ragged_q ? uniform(0, problem_.max_q_len)
                                    : problem_.max_q_len;
    inputs_.qo_indptr[s + 1] = inputs_.qo_indptr[s] + q;
  }
}

// A request arrives with its prompt's KV; without pages for it, it waits
// (the slot stays idle).
void DecodeLoop::admit(int slot) {
  if (append_tokens(slot, random_prompt_len())) {
    requests_[slot] = Request{true, uniform(1, kMaxLifetimeSteps)};
  }
}

// Appends `count` fresh random tokens to the slot's KV, taking pages from the
// pool as needed; changes nothing and returns false if the request would
// outgrow kSoakMaxKvLen or the pool has too few pages.
bool DecodeLoop::append_tokens(int slot, int count) {
  const int len = inputs_.seqlens[slot];
  const int64_t pages_now = ceil_div(len, problem_.page_size);
  const int64_t pages_after = ceil_div(len + count, problem_.page_size);
  if (len + count > kSoakMaxKvLen ||
      pages_after - pages_now > int64_t(free_pages_.size())) {
    return false;
  }
  for (int64_t i = pages_now; i < pages_after; ++i) {
    page_entry(slot, i) = take_free_page();
  }
  for (int position = len; position < len + count; ++position) {
    write_random_token(slot, position);
  }
  inputs_.seqlens[slot] = len + count;
  return true;
}

// The request leaves: its pages are poisoned and go back to the pool, its
// block-table row back to kPoisonPage, its length to 0.
void DecodeLoop::release(int slot) {
  const int64_t pages = ceil_div(inputs_.seqlens[slot], problem_.page_size);
  for (int64_t i = 0; i < pages; ++i) {
    poison_page(page_entry(slot, i));
    free_pages_.push_back(page_entry(slot, i));
    page_entry(slot, i) = kPoisonPage;
  }
  inputs_.seqlens[slot] = 0;
  requests_[slot].active = false;
}

// A random free page, so that pages are handed out again in a different
// order than they came back.
int32_t DecodeLoop::take_free_page() {
  std::swap(free_pages_[rng_() % free_pages_.size()], free_pages_.back());
  const int32_t page = free_pages_.back();
  free_pages_.pop_back();
  return page;
}

void DecodeLoop::write_random_token(int slot, int position) {
  const int64_t cache_slot =
      int64_t(page_entry(slot, position / problem_.page_size)) *
          problem_.page_size +
      position % problem_.page_size;
  float values[kHeadDim];
  fill_unit_values(rng_, values, kHeadDim);
  encode_kv_token(config_.dtype, values, config_.kv_scale,
                  inputs_.kv_cache.data() + size_t(cache_slot) * token_bytes_);
  changed_slots_.push_back({cache_slot, 1});
}

// Every slot of a page no request holds is NaN, so a kernel that reads past
// a request's last token (or a stale page) cannot produce a plausible value.
void DecodeLoop::poison_page(int32_t page) {
  const int64_t first = int64_t(page) * problem_.page_size;
  for (int64_t slot = first; slot < first + problem_.page_size; ++slot) {
    std::memcpy(inputs_.kv_cache.data() + size_t(slot) * token_bytes_,
                nan_token_.data(), token_bytes_);
  }
  changed_slots_.push_back({first, problem_.page_size});
}

// Rows [row_begin, row_end) of the request in `slot`, numbered among its
// rows as plans number them (token * h_q + head).
struct Window {
  int slot, row_begin, row_end;
};

// kWindowsPerStep random windows over the slots with query rows (idle slots
// included: their rows must be exactly 0 / -inf), each as wide as
// kSampleRowKeys allows; every kFullCheckEvery-th step also every row of one
// request with KV.
std::vector<Window> sample_windows(const DecodeLoop& loop, int64_t step,
                                   std::mt19937_64& rng) {
  const int heads = loop.problem().num_heads;
  std::vector<int> with_rows, with_rows_and_keys;
  for (int s = 0; s < loop.problem().batch; ++s) {
    if (loop.q_len(s) == 0) continue;
    with_rows.push_back(s);
    if (loop.kv_len(s) > 0) with_rows_and_keys.push_back(s);
  }
  std::vector<Window> windows;
  if (with_rows.empty()) return windows;
  for (int i = 0; i < kWindowsPerStep; ++i) {
    const int slot = with_rows[rng() % with_rows.size()];
    const int rows = loop.q_len(slot) * heads;
    const int width = int(std::clamp<int64_t>(
        kSampleRowKeys / std::max(1, loop.kv_len(slot)), 1, rows));
    const int begin = int(rng() % uint64_t(rows - width + 1));
    windows.push_back({slot, begin, begin + width});
  }
  if (step % kFullCheckEvery == 0 && !with_rows_and_keys.empty()) {
    const int slot = with_rows_and_keys[rng() % with_rows_and_keys.size()];
    windows.push_back({slot, 0, loop.q_len(slot) * heads});
  }
  return windows;
}

// The window's rows as the device computed them against the reference.
Comparison check_window(const DecodeLoop& loop, const DeviceStep& device,
                        const Window& w) {
  const int64_t first = loop.first_row(w.slot) + w.row_begin;
  const HostDecodeOutputs got =
      device.download_output_rows(first, w.row_end - w.row_begin);
  const HostDecodeOutputs ref = reference_request_rows(
      loop.problem(), loop.inputs(), w.slot, w.row_begin, w.row_end);
  return compare_rows(loop.problem().num_heads, first, ref, got);
}

struct MemoryUse {
  int64_t device_free;  // bytes, cudaMemGetInfo
  int64_t resident;     // bytes, host RSS
};

MemoryUse memory_use() {
  size_t free = 0, total = 0;
  check_cuda(cudaMemGetInfo(&free, &total), "cudaMemGetInfo");
  // Freed heap memory goes back to the system first, so that only memory
  // still in use counts, not what the allocator keeps for later.
  malloc_trim(0);
  std::ifstream statm("/proc/self/statm");
  int64_t size_pages = 0, resident_pages = 0;
  statm >> size_pages >> resident_pages;
  return {int64_t(free), resident_pages * int64_t(sysconf(_SC_PAGESIZE))};
}

template <typename Set, typename Name>
std::string join(const Set& items, Name&& name) {
  std::string text;
  for (const auto& item : items) {
    if (!text.empty()) text += ",";
    text += name(item);
  }
  return text;
}

// Where the run is, what it has covered and what it has found.
struct SoakRun {
  uint64_t seed = 0;
  int64_t epoch = 0;
  int64_t step = 0;
  int64_t rows_compared = 0;
  int64_t mismatches = 0;
  double worst_relative = 0, worst_lse = 0;
  std::set<int> heads, page_sizes;
  std::set<KvDtype> dtypes;
  std::set<SchedulePolicy> policies;
  std::set<std::tuple<int, int, KvDtype, SchedulePolicy, int, int, bool>> configs;

  void record_config(const EpochConfig& c) {
    heads.insert(c.heads);
    page_sizes.insert(c.page_size);
    dtypes.insert(c.dtype);
    policies.insert(c.policy);
    configs.insert({c.heads, c.page_size, c.dtype, c.policy,
                    c.fixed_chunk_tokens, c.max_q_len, c.ragged});
  }

  void record_check(const DecodeLoop& loop, const Window& w,
                    const Comparison& c) {
    rows_compared += w.row_end - w.row_begin;
    worst_relative = std::max(worst_relative, c.relative_error);
    worst_lse = std::max(worst_lse, c.max_lse_error);
    if (within(c, kGpuTolerance) || mismatches++ >= kMaxReportedMismatches) return;
    ADD_FAILURE() << "mismatch at step " << step << " (epoch " << epoch
                  << ", seed " << seed << ", " << loop.config().describe()
                  << "): slot " << w.slot << " (kv_len " << loop.kv_len(w.slot)
                  << ", q_len " << loop.q_len(w.slot) << ") rows ["
                  << w.row_begin << ", " << w.row_end << "): relative error "
                  << c.relative_error << ", lse error " << c.max_lse_error
                  << ", bad rows " << c.bad_rows << " (" << c.first_bad << ")";
  }

  std::string coverage() const {
    auto number = [](int value) { return std::to_string(value); };
    return std::to_string(configs.size()) + " configs (heads " + join(heads, number) +
           "; pages " + join(page_sizes, number) + "; dtypes " +
           join(dtypes, kv_dtype_name) + "; policies " +
           join(policies, policy_name) + ")";
  }
};

void run_epoch(const EpochConfig& config, int steps, std::mt19937_64& rng,
               cudaStream_t stream, SoakRun& run) {
  DecodeLoop loop(config, rng);
  DeviceStep device(loop.problem(), loop.inputs());
  const DeviceStepGraph graph(device, stream);  // captured once per epoch
  for (int i = 0; i < steps; ++i, ++run.step) {
    loop.advance();
    const std::vector<Window> windows = sample_windows(loop, run.step, rng);
    // Fresh q for the rows checked; the others keep last step's, which still
    // gives the kernel real work.
    for (const Window& w : windows) {
      loop.refresh_q_rows(loop.first_row(w.slot) + w.row_begin,
                          w.row_end - w.row_begin);
    }
    loop.upload_changes(device);
    // The uploads are cudaMemcpy calls from pageable memory, which may return
    // before the data lands, on the legacy stream, which the non-blocking
    // capture stream does not wait for.
    check_cuda(cudaDeviceSynchronize(), "uploads");
    device.poison_outputs(stream);
    graph.launch(stream);
    for (const Window& w : windows) {
      run.record_check(loop, w, check_window(loop, device, w));
    }
  }
}

TEST(Soak, DecodeLoopMatchesReferenceAndMemoryStaysFlat) {
  const auto start = std::chrono::steady_clock::now();
  const int64_t steps = int64_t(env_or("MLADEC_SOAK_STEPS", kDefaultSteps));
  ASSERT_GT(steps, 0) << "MLADEC_SOAK_STEPS must be a positive integer";
  SoakRun run;
  run.seed = env_or("MLADEC_SOAK_SEED", kDefaultSeed);
  std::printf("soak: seed %llu, %lld steps\n", (unsigned long long)run.seed,
              (long long)steps);
  const DeviceStream stream;  // capturable (not the legacy stream)
  const int64_t epochs = ceil_div(steps, kStepsPerEpoch);
  MemoryUse baseline{};
  for (run.epoch = 0; run.epoch < epochs; ++run.epoch) {
    // Per-epoch streams: an epoch's configuration and requests depend on
    // (seed, epoch) only, not on how many draws the epochs before it made.
    std::seed_seq seeds{uint32_t(run.seed), uint32_t(run.seed >> 32),
                        uint32_t(run.epoch)};
    std::mt19937_64 rng(seeds);
    const EpochConfig config = random_config(run.epoch, rng);
    run.record_config(config);
    const int epoch_steps =
        int(std::min<int64_t>(kStepsPerEpoch, steps - run.epoch * kStepsPerEpoch));
    try {
      run_epoch(config, epoch_steps, rng, stream.get(), run);
    } catch (const std::exception& error) {
      FAIL() << "step " << run.step << " (epoch " << run.epoch << ", seed "
             << run.seed << ", " << config.describe() << "): " << error.what();
    }
    if (run.epoch + 1 == std::min<int64_t>(kWarmupEpochs, epochs)) {
      baseline = memory_use();
    }
  }
  const MemoryUse end = memory_use();
  const int64_t device_drift = baseline.device_free - end.device_free;
  const int64_t rss_drift = end.resident - baseline.resident;
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf(
      "soak: %lld steps, %lld epochs, %s, %lld rows compared, %lld mismatches, "
      "worst rel err %.3g, worst lse err %.3g, device free memory drift %lld "
      "bytes, rss drift %lld KiB, %.1f s (seed %llu)\n",
      (long long)steps, (long long)epochs, run.coverage().c_str(),
      (long long)run.rows_compared, (long long)run.mismatches,
      run.worst_relative, run.worst_lse, (long long)device_drift,
      (long long)(rss_drift / 1024), seconds, (unsigned long long)run.seed);
  EXPECT_EQ(run.mismatches, 0) << "seed " << run.seed;
  EXPECT_LE(device_drift, kDeviceDriftLimit)
      << "device memory not freed between epochs";
  EXPECT_LE(rss_drift, kRssDriftLimit) << "host memory grows over the run";
}

}  // namespace
}  // namespace mladec
