#pragma once
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace mladec::cli {

// A malformed command line: main() prints it with the command's usage and
// exits with status 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The flags after the subcommand. Each take_* consumes what it reads, so
// finish() can reject whatever no command asked for (typos, repeats).
// Values are given as "--name value" or "--name=value".
class Args {
 public:
  explicit Args(std::vector<std::string> tokens);

  bool take_switch(std::string_view name);
  std::optional<std::string> take_value(std::string_view name);
  // An integer in [min, max]; `fallback` when the flag is absent.
  int64_t take_int(std::string_view name, int64_t fallback, int64_t min,
                   int64_t max);
  // One of `choices`; `fallback` when the flag is absent.
  std::string take_choice(std::string_view name, std::string_view fallback,
                          const std::vector<std::string_view>& choices);
  bool has(std::string_view name) const;
  void finish() const;

 private:
  std::vector<std::string> tokens_;
};

}  // namespace mladec::cli
