// mladec: plan, check and run MLA decode steps from the command line.
// Exit status: 0 success, 1 failed check or error, 2 bad command line.
#include <array>
#include <cstdio>
#include <exception>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include "mladec/error.h"
#include "tools/commands.h"

namespace {

using mladec::cli::Command;

constexpr std::array<const Command*, 3> kCommands{
    &mladec::cli::kPlanCommand, &mladec::cli::kCheckCommand,
    &mladec::cli::kRunCommand};

void print_overview(std::FILE* stream) {
  std::fprintf(stream, "usage: mladec <command> [flags]   (mladec <command> "
                       "--help for its flags)\n\ncommands:\n");
  for (const Command* command : kCommands) {
    std::fprintf(stream, "  %-7s %s\n", command->name, command->summary);
  }
}

bool is_help(std::string_view arg) {
  return arg == "--help" || arg == "-h" || arg == "help";
}

int run_command(const Command& command, std::vector<std::string> tokens) {
  for (const std::string& token : tokens) {
    if (is_help(token)) {
      std::printf("%s", command.usage().c_str());
      return 0;
    }
  }
  try {
    mladec::cli::Args args(std::move(tokens));
    return command.run(args);
  } catch (const mladec::cli::UsageError& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "mladec %s: %s\n\n%s", command.name, e.what(),
                 command.usage().c_str());
    return 2;
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || is_help(argv[1])) {
    print_overview(argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  const std::string_view name = argv[1];
  for (const Command* command : kCommands) {
    if (name != command->name) continue;
    try {
      return run_command(*command, std::vector<std::string>(argv + 2, argv + argc));
    } catch (const mladec::Error& e) {
      std::fflush(stdout);
      std::fprintf(stderr, "mladec %s: %s\n", command->name, e.what());
    } catch (const std::bad_alloc&) {
      std::fflush(stdout);
      std::fprintf(stderr, "mladec %s: out of host memory; use a smaller "
                           "--batch or --seqlen\n", command->name);
    } catch (const std::exception& e) {
      std::fflush(stdout);
      std::fprintf(stderr, "mladec %s: %s\n", command->name, e.what());
    }
    return 1;
  }
  std::fprintf(stderr, "mladec: unknown command '%s'\n\n", argv[1]);
  print_overview(stderr);
  return 2;
}
