#include "tests/support/output_match.h"

namespace mladec::test {

testing::AssertionResult matches_reference(const DecodeProblem& problem,
                                           const HostDecodeInputs& inputs,
                                           const HostDecodeOutputs& reference,
                                           const HostDecodeOutputs& result,
                                           const Tolerance& tolerance) {
  const Comparison c = compare_outputs(problem, inputs, reference, result);
  testing::AssertionResult verdict = within(c, tolerance)
                                         ? testing::AssertionSuccess()
                                         : testing::AssertionFailure();
  verdict << "relative error " << c.relative_error << " (limit "
          << tolerance.relative << "), max lse error " << c.max_lse_error
          << " (limit " << tolerance.lse << "), " << c.bad_rows << " bad rows";
  if (c.bad_rows > 0) verdict << ", first: " << c.first_bad;
  return verdict;
}

}  // namespace mladec::test
