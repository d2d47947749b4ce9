#include "faultline/experiment/jsonpath.h"

#include <cctype>

namespace faultline::experiment {

namespace {

bool name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '$';
}

}  // namespace

std::optional<JsonPath> JsonPath::parse(std::string_view text, std::string* error) {
  JsonPath path;
  path.text_ = std::string(text);
  std::size_t i = 0;
  while (i < text.size() && text[i] == ' ') ++i;
  const auto fail = [&](const std::string& what) -> std::optional<JsonPath> {
    *error = "JSONPath '" + std::string(text) + "': " + what + " at position " + std::to_string(i + 1);
    return std::nullopt;
  };
  if (i >= text.size() || text[i] != '$') return fail("expected '$' (the root)");
  ++i;
  while (i < text.size()) {
    Step step;
    if (text[i] == '.') {
      ++i;
      if (i < text.size() && text[i] == '.') {
        step.recursive = true;
        ++i;
        if (i < text.size() && text[i] == '[') continue;  // "..[n]": the bracket step below is recursive
      }
      if (i < text.size() && text[i] == '*') {
        step.kind = Step::Kind::kWildcard;
        ++i;
      } else {
        const std::size_t start = i;
        while (i < text.size() && name_char(text[i])) ++i;
        if (i == start) return fail("expected a member name or '*' after '.'");
        step.name = std::string(text.substr(start, i - start));
      }
      path.steps_.push_back(step);
    } else if (text[i] == '[') {
      if (i >= 2 && text[i - 1] == '.' && text[i - 2] == '.') step.recursive = true;
      ++i;
      if (i < text.size() && text[i] == '*') {
        step.kind = Step::Kind::kWildcard;
        ++i;
      } else if (i < text.size() && (text[i] == '\'' || text[i] == '"')) {
        const char quote = text[i++];
        const std::size_t start = i;
        while (i < text.size() && text[i] != quote) ++i;
        if (i >= text.size()) return fail("unterminated quoted name");
        step.name = std::string(text.substr(start, i - start));
        ++i;
      } else {
        const std::size_t start = i;
        if (i < text.size() && text[i] == '-') ++i;
        while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
        if (i == start || (i == start + 1 && text[start] == '-'))
          return fail(
              "expected an index, '*' or a quoted name inside [] (filters and slices are not supported)");
        step.kind = Step::Kind::kIndex;
        step.index = std::stoll(std::string(text.substr(start, i - start)));
      }
      if (i >= text.size() || text[i] != ']') return fail("expected ']'");
      ++i;
      path.steps_.push_back(step);
    } else {
      return fail(std::string("unexpected '") + text[i] + "'");
    }
  }
  return path;
}

void JsonPath::apply(const Step& step, const nlohmann::json& node,
                     std::vector<const nlohmann::json*>* out) const {
  switch (step.kind) {
    case Step::Kind::kName:
      if (node.is_object()) {
        const auto it = node.find(step.name);
        if (it != node.end()) out->push_back(&*it);
      }
      break;
    case Step::Kind::kIndex:
      if (node.is_array()) {
        const long long size = static_cast<long long>(node.size());
        const long long k = step.index < 0 ? size + step.index : step.index;
        if (k >= 0 && k < size) out->push_back(&node[static_cast<std::size_t>(k)]);
      }
      break;
    case Step::Kind::kWildcard:
      if (node.is_object() || node.is_array())
        for (const auto& child : node) out->push_back(&child);
      break;
  }
  if (step.recursive && (node.is_object() || node.is_array()))
    for (const auto& child : node) apply(step, child, out);
}

std::vector<nlohmann::json> JsonPath::match(const nlohmann::json& document) const {
  std::vector<const nlohmann::json*> current{&document};
  for (const Step& step : steps_) {
    std::vector<const nlohmann::json*> next;
    for (const auto* node : current) apply(step, *node, &next);
    current = std::move(next);
  }
  std::vector<nlohmann::json> out;
  out.reserve(current.size());
  for (const auto* node : current) out.push_back(*node);
  return out;
}

}  // namespace faultline::experiment
