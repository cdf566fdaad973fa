#pragma once
#include <gtest/gtest.h>

#include <initializer_list>
#include <string>

#include "mladec/error.h"

namespace mladec::test {

// Runs `call` and succeeds only if it throws mladec::Error with `code` and a
// message containing every string of `mentions` (the offending field and
// value), so a check that fires for the wrong reason does not pass.
template <typename Call>
testing::AssertionResult throws_error(
    Call&& call, ErrorCode code, std::initializer_list<std::string> mentions) {
  try {
    call();
  } catch (const Error& error) {
    const std::string message = error.what();
    if (error.code() != code) {
      return testing::AssertionFailure()
             << "threw " << error_code_name(error.code()) << " instead of "
             << error_code_name(code) << ": " << message;
    }
    for (const std::string& mention : mentions) {
      if (message.find(mention) == std::string::npos) {
        return testing::AssertionFailure()
               << "message does not mention \"" << mention << "\": " << message;
      }
    }
    return testing::AssertionSuccess() << message;
  }
  return testing::AssertionFailure()
         << "did not throw (expected " << error_code_name(code) << ")";
}

}  // namespace mladec::test
