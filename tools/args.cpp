#include "tools/args.h"

#include <algorithm>
#include <charconv>

namespace mladec::cli {

namespace {

std::string flag(std::string_view name) { return "--" + std::string(name); }

}  // namespace

Args::Args(std::vector<std::string> tokens) : tokens_(std::move(tokens)) {}

bool Args::take_switch(std::string_view name) {
  auto it = std::find(tokens_.begin(), tokens_.end(), flag(name));
  if (it == tokens_.end()) return false;
  tokens_.erase(it);
  return true;
}

std::optional<std::string> Args::take_value(std::string_view name) {
  const std::string bare = flag(name);
  const std::string joined = bare + "=";
  for (auto it = tokens_.begin(); it != tokens_.end(); ++it) {
    if (it->starts_with(joined)) {
      std::string value = it->substr(joined.size());
      tokens_.erase(it);
      return value;
    }
    if (*it == bare) {
      auto next = it + 1;
      if (next == tokens_.end() || next->starts_with("--")) {
        throw UsageError(bare + " needs a value");
      }
      std::string value = *next;
      tokens_.erase(it, next + 1);
      return value;
    }
  }
  return std::nullopt;
}

int64_t Args::take_int(std::string_view name, int64_t fallback, int64_t min,
                       int64_t max) {
  std::optional<std::string> text = take_value(name);
  if (!text) return fallback;
  int64_t value = 0;
  const char* end = text->data() + text->size();
  auto [ptr, ec] = std::from_chars(text->data(), end, value);
  if (ec != std::errc() || ptr != end) {
    throw UsageError(flag(name) + " must be an integer, got '" + *text + "'");
  }
  if (value < min || value > max) {
    throw UsageError(flag(name) + " must be in [" + std::to_string(min) + ", " +
                     std::to_string(max) + "], got " + *text);
  }
  return value;
}

std::string Args::take_choice(std::string_view name, std::string_view fallback,
                              const std::vector<std::string_view>& choices) {
  std::optional<std::string> text = take_value(name);
  if (!text) return std::string(fallback);
  if (std::find(choices.begin(), choices.end(), *text) != choices.end()) {
    return *text;
  }
  std::string allowed;
  for (std::string_view choice : choices) {
    allowed += (allowed.empty() ? "" : " | ") + std::string(choice);
  }
  throw UsageError(flag(name) + " must be one of " + allowed + ", got '" +
                   *text + "'");
}

bool Args::has(std::string_view name) const {
  const std::string bare = flag(name);
  return std::any_of(tokens_.begin(), tokens_.end(), [&](const std::string& t) {
    return t == bare || t.starts_with(bare + "=");
  });
}

void Args::finish() const {
  if (tokens_.empty()) return;
  throw UsageError("unknown or repeated argument '" + tokens_.front() + "'");
}

}  // namespace mladec::cli
