#pragma once
// Checked mode (DecodeArgs::checked or MLADEC_CHECKED=1), host side: the
// decode kernel checks on the device what the host cannot see without a
// copy — the plan's every index, the lengths and every block-table entry a
// request uses (input_checks_device.cuh) — and every CTA returns without
// touching memory when one check failed; decode() then reports the failure
// as a typed error.
#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

#include "mladec/decode.h"
#include "src/cuda/decode_params.h"
#include "src/cuda/input_check_status.h"

namespace mladec::detail {

bool checked_mode_requested(const DecodeArgs& args);

// This thread's page-locked, device-mapped copy of a status, which the
// decode kernel writes (DecodeParams::check_status_host = device_words).
// Allocated on first use, freed when the thread ends.
struct PinnedCheckStatus {
  InputCheckStatus* host = nullptr;
  uint32_t* device_words = nullptr;  // the same memory, as the device sees it
};
const PinnedCheckStatus& pinned_check_status();

// A generation no other checked call of this process uses (nor, but with
// probability 2^-64, any earlier process whose status a fresh workspace may
// still hold): a randomly seeded 64-bit counter whose barrier tag bits are
// never 0 (a zeroed status) nor kCapturedCheckGeneration's.
uint64_t next_check_generation();

// Points the decode kernel's checks at `status` (device memory) and the
// facts they compare with, under `generation`; zeroes the status first (a
// stream operation) when `zero_first`.
void prepare_input_checks(const DecodeProblem& problem, const KernelConfig& config,
                          const PlanLayout& layout, const int32_t* seqlens,
                          InputCheckStatus* status, uint64_t generation, bool zero_first,
                          DecodeParams& params, cudaStream_t stream);

// Waits until the decode kernel has copied `generation`'s status to
// `pinned` — its CTA 0 does so before touching anything — not until the
// step is done: the caller learns the verdict while the step runs, and its
// next launch queues behind it as an unchecked call's would. Should the
// stream finish without the copy (a launch that failed), its error is
// thrown, or throw_if_checks_failed reports the missing copy.
void wait_for_check_status(const PinnedCheckStatus& pinned, uint64_t generation,
                           cudaStream_t stream);

// Throws the mladec::Error of the most specific check that failed in
// `generation`, if any.
void throw_if_checks_failed(const DecodeProblem& problem, const InputCheckStatus& status,
                            uint64_t generation);

}  // namespace mladec::detail
