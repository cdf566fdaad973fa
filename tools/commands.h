#pragma once
#include <string>

#include "tools/args.h"

namespace mladec::cli {

// A subcommand: run() returns the exit status (0 pass, 1 failed check) and
// throws UsageError for a bad command line, mladec::Error for a bad problem.
struct Command {
  const char* name;
  const char* summary;
  std::string (*usage)();
  int (*run)(Args& args);
};

extern const Command kPlanCommand;
extern const Command kCheckCommand;
extern const Command kRunCommand;

}  // namespace mladec::cli
