// The JSONPath subset that Chaos Toolkit tolerances and the http provider's
// timestamp lookup need: $ . .. * [n] [-n] [*] ['name'] ["name"].
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace faultline::experiment {

class JsonPath {
 public:
  // nullopt with `error` naming the position and what was expected.
  static std::optional<JsonPath> parse(std::string_view text, std::string* error);

  // Every value the path selects: arrays in order, object members in key
  // order (nlohmann::json keeps objects sorted).
  std::vector<nlohmann::json> match(const nlohmann::json& document) const;

  const std::string& text() const noexcept { return text_; }

 private:
  struct Step {
    enum class Kind { kName, kIndex, kWildcard } kind = Kind::kName;
    bool recursive = false;  // `..`: this node and every descendant
    std::string name;
    long long index = 0;
  };
  void apply(const Step& step, const nlohmann::json& node, std::vector<const nlohmann::json*>* out) const;

  std::string text_;
  std::vector<Step> steps_;
};

}  // namespace faultline::experiment
