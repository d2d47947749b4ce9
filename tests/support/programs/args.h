// Minimal "--name value" / "--flag" parsing for the helper programs.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace faultline::testing::programs {

class Args {
 public:
  Args(int argc, char** argv) : argc_(argc), argv_(argv) {}

  bool flag(const char* name) const {
    for (int i = 1; i < argc_; ++i)
      if (std::strcmp(argv_[i], name) == 0) return true;
    return false;
  }
  std::string text(const char* name, const char* fallback) const {
    for (int i = 1; i + 1 < argc_; ++i)
      if (std::strcmp(argv_[i], name) == 0) return argv_[i + 1];
    return fallback;
  }
  long number(const char* name, long fallback) const {
    const std::string t = text(name, "");
    if (t.empty()) return fallback;
    char* end = nullptr;
    const long v = std::strtol(t.c_str(), &end, 10);
    if (end == t.c_str() || *end != '\0' || v < 0) {
      std::fprintf(stderr, "%s: invalid number '%s' for %s\n", argv_[0], t.c_str(), name);
      std::exit(2);
    }
    return v;
  }

 private:
  int argc_;
  char** argv_;
};

}  // namespace faultline::testing::programs
