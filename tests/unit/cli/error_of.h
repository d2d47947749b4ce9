// The message of the UserError `f` throws, or "" if it throws none.
#pragma once

#include <string>

#include "faultline/cli/error.h"

namespace faultline::cli::test {

template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const UserError& e) {
    return e.what();
  }
  return "";
}

}  // namespace faultline::cli::test
