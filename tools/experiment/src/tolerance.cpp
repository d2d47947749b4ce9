#include "faultline/experiment/tolerance.h"

#include <cstdlib>
#include <regex>

#include "faultline/experiment/jsonpath.h"

namespace faultline::experiment {

using Json = nlohmann::json;

namespace {

std::string brief(const Json& value) {
  std::string s = value.dump();
  if (s.size() > 80) s = s.substr(0, 77) + "...";
  return s;
}

const Json& targeted(const Json& tolerance, const Json& value) {
  const auto target = tolerance.find("target");
  if (target != tolerance.end() && target->is_string() && value.is_object()) {
    const auto it = value.find(target->get<std::string>());
    if (it != value.end()) return *it;
  }
  return value;
}

std::optional<double> as_number(const Json& v) {
  if (v.is_number()) return v.get<double>();
  if (v.is_boolean()) return v.get<bool>() ? 1.0 : 0.0;
  if (v.is_string()) {
    const std::string s = v.get<std::string>();
    char* end = nullptr;
    const double d = std::strtod(s.c_str(), &end);
    if (end != s.c_str() && *end == '\0') return d;
  }
  return std::nullopt;
}

bool is_scalar(const Json& v) {
  return v.is_boolean() || v.is_number() || v.is_string();
}

ToleranceCheck met() {
  return {true, {}};
}
ToleranceCheck not_met(std::string reason) {
  return {false, std::move(reason)};
}

ToleranceCheck check_object(const Json& tolerance, const Json& value, const ProbeToleranceRunner& run_probe) {
  const std::string type = tolerance.value("type", "");
  if (type == "range") {
    const Json& v = targeted(tolerance, value);
    const auto number = as_number(v);
    if (!number || v.is_boolean()) return not_met("range expects a number, got " + brief(v));
    const double lo = tolerance["range"][0].get<double>(), hi = tolerance["range"][1].get<double>();
    if (*number >= lo && *number <= hi) return met();
    return not_met(brief(v) + " outside [" + brief(tolerance["range"][0]) + ", " +
                   brief(tolerance["range"][1]) + "]");
  }
  if (type == "regex") {
    const Json& v = targeted(tolerance, value);
    const std::string text = v.is_string() ? v.get<std::string>() : v.dump();
    const std::regex rx(tolerance["pattern"].get<std::string>(), std::regex::ECMAScript);
    if (std::regex_search(text, rx)) return met();
    return not_met(brief(v) + " does not match /" + tolerance["pattern"].get<std::string>() + "/");
  }
  if (type == "jsonpath") {
    Json v = targeted(tolerance, value);
    if (v.is_string()) {
      try {
        v = Json::parse(v.get<std::string>());
      } catch (const Json::exception&) {
      }
    }
    std::string error;
    const auto path = JsonPath::parse(tolerance["path"].get<std::string>(), &error);
    const std::vector<Json> values = path->match(v);
    bool ok = !values.empty();
    if (tolerance.contains("count")) ok = values.size() == tolerance["count"].get<std::size_t>();
    if (tolerance.contains("expect")) {
      const Json& expect = tolerance["expect"];
      ok = expect.is_array() ? Json(values) == expect : (values.size() == 1 && values[0] == expect);
    }
    if (ok) return met();
    if (tolerance.contains("expect"))
      return not_met(path->text() + " found " + brief(Json(values)) + ", expected " +
                     brief(tolerance["expect"]));
    return not_met(path->text() + " found " + brief(Json(values)));
  }
  if (type == "probe") {
    if (run_probe && run_probe(tolerance, value)) return met();
    return not_met("tolerance probe '" + tolerance.value("name", "") + "' rejected " + brief(value));
  }
  return not_met("unsupported tolerance type '" + type + "'");
}

}  // namespace

std::optional<std::string> validate_tolerance(const Json& tolerance) {
  if (is_scalar(tolerance)) return std::nullopt;
  if (tolerance.is_array()) {
    if (tolerance.empty())
      return "an empty list accepts nothing (expected [low, high] or a list of accepted values)";
    return std::nullopt;
  }
  if (!tolerance.is_object())
    return "a tolerance must be a bool, a number, a string, [low, high], a list or an object with a type";
  const auto type_it = tolerance.find("type");
  if (type_it == tolerance.end() || !type_it->is_string())
    return "tolerance object without a 'type' (expected range, regex, jsonpath or probe)";
  const std::string type = type_it->get<std::string>();
  if (tolerance.contains("target") && !tolerance["target"].is_string())
    return "tolerance 'target' must be a string naming a key of the probe's output (e.g. \"body\")";
  if (type == "range") {
    const auto r = tolerance.find("range");
    if (r == tolerance.end() || !r->is_array() || r->size() != 2 || !(*r)[0].is_number() ||
        !(*r)[1].is_number())
      return "range tolerance needs \"range\": [low, high] with two numbers";
    if ((*r)[0].get<double>() > (*r)[1].get<double>()) return "range tolerance has low > high";
    return std::nullopt;
  }
  if (type == "regex") {
    const auto p = tolerance.find("pattern");
    if (p == tolerance.end() || !p->is_string()) return "regex tolerance needs a \"pattern\" string";
    try {
      std::regex rx(p->get<std::string>(), std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
      return "regex tolerance pattern '" + p->get<std::string>() + "' is invalid: " + e.what();
    }
    return std::nullopt;
  }
  if (type == "jsonpath") {
    const auto p = tolerance.find("path");
    if (p == tolerance.end() || !p->is_string() || p->get<std::string>().empty())
      return "jsonpath tolerance needs a \"path\" string such as \"$.data.status\"";
    std::string error;
    if (!JsonPath::parse(p->get<std::string>(), &error)) return error;
    if (tolerance.contains("count") && !tolerance["count"].is_number_unsigned())
      return "jsonpath tolerance 'count' must be a non-negative integer";
    return std::nullopt;
  }
  if (type == "probe") {
    if (!tolerance.contains("provider") || !tolerance["provider"].is_object())
      return "probe tolerance needs a \"provider\" object";
    return std::nullopt;
  }
  return "unknown tolerance type '" + type + "' (expected range, regex, jsonpath or probe)";
}

ToleranceCheck check_tolerance(const Json& tolerance, const Json& value,
                               const ProbeToleranceRunner& run_probe) {
  if (tolerance.is_object()) return check_object(tolerance, value, run_probe);
  const bool has_status = value.is_object() && value.contains("status");
  if (tolerance.is_array()) {
    const Json& v = has_status ? value["status"] : value;
    if (!has_status && tolerance.size() == 2 && tolerance[0].is_number() && tolerance[1].is_number()) {
      if (v.is_number() && v.get<double>() >= tolerance[0].get<double>() &&
          v.get<double>() <= tolerance[1].get<double>())
        return met();
      return not_met(brief(v) + " outside [" + brief(tolerance[0]) + ", " + brief(tolerance[1]) + "]");
    }
    for (const auto& accepted : tolerance)
      if (accepted == v) return met();
    return not_met(brief(v) + " not in " + brief(tolerance));
  }
  if (tolerance.is_number() && has_status) {
    if (value["status"] == tolerance) return met();
    return not_met("status " + brief(value["status"]) + " != " + brief(tolerance));
  }
  if (value == tolerance) return met();
  return not_met(brief(value) + " != " + brief(tolerance));
}

std::optional<double> plot_value(const Json& tolerance, const Json& output) {
  if (output.is_number()) return output.get<double>();
  if (output.is_boolean()) return output.get<bool>() ? 1.0 : 0.0;
  if (tolerance.is_object()) {
    const Json& v = targeted(tolerance, output);
    if (&v != &output && (v.is_number() || v.is_boolean())) return as_number(v);
    if (tolerance.value("type", "") == "jsonpath" && tolerance.contains("path")) {
      std::string error;
      if (const auto path = JsonPath::parse(tolerance["path"].get<std::string>(), &error)) {
        Json doc = v;
        if (doc.is_string()) {
          try {
            doc = Json::parse(doc.get<std::string>());
          } catch (const Json::exception&) {
          }
        }
        const auto values = path->match(doc);
        if (!values.empty() && (values[0].is_number() || values[0].is_boolean())) return as_number(values[0]);
      }
    }
  }
  if (output.is_object() && output.contains("status") && output["status"].is_number())
    return output["status"].get<double>();
  return std::nullopt;
}

std::string describe_tolerance(const Json& tolerance) {
  if (is_scalar(tolerance)) return "== " + tolerance.dump();
  if (tolerance.is_array()) {
    if (tolerance.size() == 2 && tolerance[0].is_number() && tolerance[1].is_number())
      return "[" + tolerance[0].dump() + ", " + tolerance[1].dump() + "]";
    return "in " + brief(tolerance);
  }
  if (!tolerance.is_object()) return brief(tolerance);
  const std::string type = tolerance.value("type", "");
  const std::string target = tolerance.contains("target") ? tolerance["target"].get<std::string>() + " " : "";
  if (type == "range")
    return target + "in [" + tolerance["range"][0].dump() + ", " + tolerance["range"][1].dump() + "]";
  if (type == "regex") return target + "=~ /" + tolerance.value("pattern", "") + "/";
  if (type == "jsonpath")
    return target + tolerance.value("path", "") +
           (tolerance.contains("expect") ? " == " + brief(tolerance["expect"]) : "");
  if (type == "probe") return "probe " + tolerance.value("name", "");
  return brief(tolerance);
}

}  // namespace faultline::experiment
