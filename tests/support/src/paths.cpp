#include "faultline/testing/paths.h"

namespace faultline::testing {

std::string preload_path() {
  return FAULTLINE_TEST_PRELOAD_PATH;
}

std::string helper_path(std::string_view name) {
  return std::string(FAULTLINE_TEST_HELPER_DIR) + "/" + std::string(name);
}

}  // namespace faultline::testing
