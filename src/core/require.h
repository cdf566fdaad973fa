#pragma once
#include <sstream>
#include <string>

#include "mladec/error.h"

namespace mladec::detail {

// Builds an error message from streamable parts: fail(code, "x must be ", ...).
template <typename... Parts>
[[noreturn]] void fail(ErrorCode code, const Parts&... parts) {
  std::ostringstream message;
  (message << ... << parts);
  throw Error(code, message.str());
}

template <typename... Parts>
void require(bool condition, ErrorCode code, const Parts&... parts) {
  if (!condition) fail(code, parts...);
}

}  // namespace mladec::detail
