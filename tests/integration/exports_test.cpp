// libfaultline.so exports the interposed functions and nothing else (no
// shim, control-plane, Boost or C++ runtime symbol), and the version script,
// the interpose table and the binary agree. Checked with nm: the library is
// meant for LD_PRELOAD only (its initial-exec TLS cannot be dlopen()ed into
// a running process).
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "faultline/testing/paths.h"

namespace faultline::integration {
namespace {

std::set<std::string> defined_dynamic_symbols(const std::string& library) {
  std::set<std::string> out;
  FILE* pipe = popen(("nm -D --defined-only '" + library + "'").c_str(), "r");
  if (pipe == nullptr) return out;
  char line[512];
  while (std::fgets(line, sizeof line, pipe) != nullptr) {
    std::istringstream fields(line);
    std::string address, type, name;
    if (fields >> address >> type >> name) out.insert(name.substr(0, name.find('@')));
  }
  pclose(pipe);
  return out;
}

std::string read_file(const char* path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Names in the X(...) entries of interpose_table.h and, next to it,
// pq_interpose_table.h (libpq), thread_interpose_table.h and
// exit_interpose_table.h (X(name) only).
std::set<std::string> interpose_table_names() {
  std::set<std::string> out;
  const std::string socket_table = FAULTLINE_INTERPOSE_TABLE;
  const std::string dir = socket_table.substr(0, socket_table.rfind('/') + 1);
  const std::string text = read_file(socket_table.c_str()) +
                           read_file((dir + "pq_interpose_table.h").c_str()) +
                           read_file((dir + "thread_interpose_table.h").c_str());
  const std::regex entry(R"(X\(\s*[A-Za-z_]+\s*,\s*([A-Za-z_0-9]+)\s*,)");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), entry); it != std::sregex_iterator(); ++it)
    out.insert((*it)[1]);
  const std::string exits = read_file((dir + "exit_interpose_table.h").c_str());
  const std::regex exit_entry(R"(\bX\(([A-Za-z_0-9]+)\))");
  for (auto it = std::sregex_iterator(exits.begin(), exits.end(), exit_entry); it != std::sregex_iterator();
       ++it)
    out.insert((*it)[1]);
  return out;
}

TEST(Exports, ShouldExportOnlyTheInterposedSymbols) {
  const std::set<std::string> expected = interpose_table_names();
  ASSERT_GE(expected.size(), 20u);
  EXPECT_EQ(defined_dynamic_symbols(testing::preload_path()), expected);
}

TEST(Exports, ShouldListEveryInterposedSymbolInTheVersionScript) {
  const std::string map = read_file(FAULTLINE_EXPORTS_MAP);
  for (const std::string& name : interpose_table_names())
    EXPECT_TRUE(std::regex_search(map, std::regex("\\b" + name + ";"))) << name;
}

}  // namespace
}  // namespace faultline::integration
