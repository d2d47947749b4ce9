// A JSON or YAML file read into nlohmann::json, remembering the line of every
// value so that validation errors can say "file:line: what was expected".
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <unordered_map>

namespace faultline::experiment {

using Json = nlohmann::json;
using JsonPointer = nlohmann::json::json_pointer;

class Document {
 public:
  enum class Format { kAuto, kJson, kYaml };

  // Both throw LoadError with the file and line of a syntax error.
  static Document load_file(const std::filesystem::path& path);
  static Document parse(std::string_view text, std::string file_name, Format format = Format::kAuto);

  const Json& root() const noexcept { return root_; }
  const std::string& file() const noexcept { return file_; }

  // Line of the value at `at`, or of its nearest ancestor that has one.
  int line_of(const JsonPointer& at) const;

  // Throws LoadError at the line of `at`.
  [[noreturn]] void fail(const JsonPointer& at, const std::string& message) const;

 private:
  std::string file_;
  Json root_;
  std::unordered_map<std::string, int> lines_;  // JSON pointer -> 1-based line
};

// "steady-state-hypothesis.probes[0].tolerance" for messages.
std::string describe_pointer(const JsonPointer& at);

}  // namespace faultline::experiment
