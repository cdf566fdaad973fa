#include "src/cuda/step_timeline.h"

#include "src/core/require.h"

namespace mladec::detail {

#ifdef MLADEC_BLOCK_TRACE
void print_step_timeline(std::FILE* out) {
  std::fprintf(out, "step-timeline begin\n");
  print_plan_timeline(out);
  print_decode_timeline(out);
  print_combine_timeline(out);
  std::fprintf(out, "step-timeline end\n");
}
#else
void print_step_timeline(std::FILE*) {
  require(false, ErrorCode::kBadConfig,
          "the step timeline needs a build configured with -DMLADEC_BLOCK_TRACE=ON");
}
#endif

}  // namespace mladec::detail
