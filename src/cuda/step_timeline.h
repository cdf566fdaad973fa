#pragma once
// The step timeline (src/cuda/step_timeline.cuh), host side.
#include <cstdio>

namespace mladec::detail {

// Prints the stamps of the last launch of each kernel of a step (planner,
// decode, combine) as "timeline KERNEL CTA EVENT NS" lines between
// "step-timeline begin" / "end", and clears them. Throws mladec::Error
// (kBadConfig) in a build without the timeline.
void print_step_timeline(std::FILE* out);

#ifdef MLADEC_BLOCK_TRACE
// Each kernel's translation unit prints its own slots.
void print_plan_timeline(std::FILE* out);
void print_decode_timeline(std::FILE* out);
void print_combine_timeline(std::FILE* out);
#endif

}  // namespace mladec::detail
