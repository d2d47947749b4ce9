// Validation of Chaos Toolkit experiments: every error names the file, the
// line and what was expected, and is raised before anything runs.
#include <cstdlib>
#include <set>

#include "document.h"
#include "faultline/experiment/duration.h"
#include "faultline/experiment/experiment.h"
#include "faultline/experiment/load_error.h"
#include "faultline/experiment/tolerance.h"
#include "provider.h"

namespace faultline::experiment {

namespace {

using namespace std::chrono_literals;

JsonPointer child(const JsonPointer& at, const std::string& key) {
  return at / key;
}
JsonPointer child(const JsonPointer& at, std::size_t index) {
  return at / index;
}

std::string normalize_key(std::string key) {
  for (char& c : key)
    if (c == '_') c = '-';
  return key;
}

// A string member, or `fallback` when it is absent or not a string.
std::string text_of(const Json& object, const char* key, const std::string& fallback = "") {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : fallback;
}

Json value_from_var(const std::string& text) {
  char* end = nullptr;
  const double number = std::strtod(text.c_str(), &end);
  if (!text.empty() && end != text.c_str() && *end == '\0') {
    if (text.find_first_of(".eE") == std::string::npos) return static_cast<std::int64_t>(number);
    return number;
  }
  if (text == "true") return true;
  if (text == "false") return false;
  return text;
}

class Loader {
 public:
  Loader(const Document& doc, const Vars& vars) : doc_(doc), vars_(vars) {}

  Experiment load() {
    const Json& root = doc_.root();
    const JsonPointer top;
    if (!root.is_object())
      doc_.fail(top,
                "expected a mapping at the top level with title, steady-state-hypothesis, method, rollbacks");
    Experiment e;
    e.file = doc_.file();
    const auto title = root.find("title");
    if (title == root.end())
      doc_.fail(top, "missing 'title' (expected a string saying what the experiment verifies)");
    if (!title->is_string() || title->get<std::string>().empty())
      doc_.fail(child(top, "title"), "'title' must be a non-empty string");
    e.title = title->get<std::string>();
    if (root.contains("description")) {
      if (!root["description"].is_string())
        doc_.fail(child(top, "description"), "'description' must be a string");
      e.description = root["description"].get<std::string>();
    }
    if (root.contains("tags")) {
      const Json& tags = root["tags"];
      if (!tags.is_array()) doc_.fail(child(top, "tags"), "'tags' must be a list of strings");
      for (std::size_t i = 0; i < tags.size(); ++i) {
        if (!tags[i].is_string()) doc_.fail(child(child(top, "tags"), i), "a tag must be a string");
        e.tags.push_back(tags[i].get<std::string>());
      }
    }
    resolve_configuration();
    resolve_secrets();
    e.configuration = config_;
    e.title = substitute_text(e.title, child(top, "title"));
    collect_named();

    if (root.contains("steady-state-hypothesis") && !root["steady-state-hypothesis"].is_null()) {
      const JsonPointer at = child(top, "steady-state-hypothesis");
      const Json& hypo = root["steady-state-hypothesis"];
      if (!hypo.is_object())
        doc_.fail(at, "'steady-state-hypothesis' must be a mapping with title and probes");
      if (!hypo.contains("title"))
        doc_.fail(at, "steady-state-hypothesis: missing 'title' (expected a string naming the steady state)");
      if (!hypo["title"].is_string() || hypo["title"].get<std::string>().empty())
        doc_.fail(child(at, "title"),
                  "steady-state-hypothesis 'title' must be a non-empty string (quote it)");
      e.hypothesis_title = hypo["title"].get<std::string>();
      if (hypo.contains("probes")) {
        const Json& probes = hypo["probes"];
        if (!probes.is_array()) doc_.fail(child(at, "probes"), "'probes' must be a list of probes");
        for (std::size_t i = 0; i < probes.size(); ++i)
          e.hypothesis.push_back(activity(child(child(at, "probes"), i), Role::kHypothesis));
      }
    }
    const auto method = root.find("method");
    if (method == root.end())
      doc_.fail(top, "missing 'method' (expected a list of the actions and probes to apply)");
    if (!method->is_array() || method->empty())
      doc_.fail(child(top, "method"), "'method' must be a list with at least one action or probe");
    for (std::size_t i = 0; i < method->size(); ++i)
      e.method.push_back(activity(child(child(top, "method"), i), Role::kMethod));
    if (root.contains("rollbacks") && !root["rollbacks"].is_null()) {
      const Json& rollbacks = root["rollbacks"];
      if (!rollbacks.is_array()) doc_.fail(child(top, "rollbacks"), "'rollbacks' must be a list of actions");
      for (std::size_t i = 0; i < rollbacks.size(); ++i)
        e.rollbacks.push_back(activity(child(child(top, "rollbacks"), i), Role::kRollback));
    }
    if (root.contains("x-faultline") && root.contains("faultline"))
      doc_.fail(child(top, "faultline"), "both 'x-faultline' and 'faultline' blocks: keep one");
    if (root.contains("x-faultline")) e.settings = settings(child(top, "x-faultline"));
    if (root.contains("faultline")) e.settings = settings(child(top, "faultline"));
    e.declared = redacted(root);
    return e;
  }

 private:
  enum class Role { kHypothesis, kMethod, kRollback, kHalt, kToleranceProbe };

  void resolve_configuration() {
    const Json& root = doc_.root();
    if (root.contains("configuration")) {
      const JsonPointer at = child(JsonPointer(), "configuration");
      const Json& conf = root["configuration"];
      if (!conf.is_object()) doc_.fail(at, "'configuration' must be a mapping of names to values");
      for (const auto& [key, value] : conf.items()) {
        const JsonPointer kat = child(at, key);
        if (!value.is_object()) {
          config_[key] = value;
          continue;
        }
        const std::string type = text_of(value, "type", value.contains("type") ? value["type"].dump() : "");
        if (type != "env")
          doc_.fail(kat, "configuration '" + key + "': type '" + type +
                             "' is not supported (expected a value or {type: env, key: NAME})");
        if (!value.contains("key") || !value["key"].is_string())
          doc_.fail(kat, "configuration '" + key + "': env entry without 'key' (the environment variable)");
        const std::string var = value["key"].get<std::string>();
        if (const char* env = std::getenv(var.c_str())) {
          const std::string kind = text_of(value, "env_var_type", "str");
          config_[key] = kind == "str" ? Json(std::string(env)) : value_from_var(env);
        } else if (value.contains("default")) {
          config_[key] = value["default"];
        } else if (vars_.find(key) == vars_.end()) {
          doc_.fail(kat, "configuration '" + key + "': environment variable " + var +
                             " is not set and there is no default");
        }
      }
    }
    for (const auto& [key, text] : vars_) config_[key] = value_from_var(text);
  }

  // Secrets are only looked up for ${...} substitution and never written out.
  void resolve_secrets() {
    const Json& root = doc_.root();
    if (!root.contains("secrets") || !root["secrets"].is_object()) return;
    for (const auto& [scope, entries] : root["secrets"].items()) {
      if (!entries.is_object()) continue;
      for (const auto& [key, value] : entries.items()) {
        if (!value.is_object()) {
          secrets_[key] = value;
        } else if (text_of(value, "type") == "env" && value.contains("key") && value["key"].is_string()) {
          if (const char* env = std::getenv(value["key"].get<std::string>().c_str())) secrets_[key] = env;
        }
      }
    }
  }

  static Json redacted(Json root) {
    if (root.contains("secrets") && root["secrets"].is_object())
      for (auto& [scope, entries] : root["secrets"].items())
        if (entries.is_object())
          for (auto& [key, value] : entries.items())
            if (!value.is_object()) value = "***";
    return root;
  }

  const Json* lookup(const std::string& name) const {
    if (config_.contains(name)) return &config_[name];
    if (secrets_.contains(name)) return &secrets_[name];
    return nullptr;
  }

  std::string substitute_text(const std::string& text, const JsonPointer& at) const {
    std::string out;
    std::size_t i = 0;
    while (i < text.size()) {
      const auto open = text.find("${", i);
      if (open == std::string::npos) break;
      const auto close = text.find('}', open);
      if (close == std::string::npos) break;
      const std::string name = text.substr(open + 2, close - open - 2);
      const Json* value = lookup(name);
      if (value == nullptr)
        doc_.fail(at, "${" + name +
                          "} names no configuration key (declare it under 'configuration' or pass --var " +
                          name + "=VALUE)");
      out += text.substr(i, open - i);
      out += value->is_string() ? value->get<std::string>() : value->dump();
      i = close + 1;
    }
    out += text.substr(i);
    return out;
  }

  Json substitute(const Json& value, const JsonPointer& at) const {
    if (value.is_string()) {
      const std::string text = value.get<std::string>();
      if (text.size() > 3 && text.rfind("${", 0) == 0 && text.back() == '}' &&
          text.find("${", 2) == std::string::npos) {
        if (const Json* whole = lookup(text.substr(2, text.size() - 3))) return *whole;  // keeps its type
      }
      return substitute_text(text, at);
    }
    if (value.is_object()) {
      Json out = Json::object();
      for (const auto& [key, v] : value.items()) out[key] = substitute(v, child(at, key));
      return out;
    }
    if (value.is_array()) {
      Json out = Json::array();
      for (std::size_t i = 0; i < value.size(); ++i) out.push_back(substitute(value[i], child(at, i)));
      return out;
    }
    return value;
  }

  void collect_named() {
    const Json& root = doc_.root();
    const auto add = [&](const Json& list, const JsonPointer& at) {
      if (!list.is_array()) return;
      for (std::size_t i = 0; i < list.size(); ++i)
        if (list[i].is_object() && list[i].contains("name") && list[i]["name"].is_string() &&
            !list[i].contains("ref"))
          named_.emplace(list[i]["name"].get<std::string>(), child(at, i));
    };
    if (root.contains("steady-state-hypothesis") && root["steady-state-hypothesis"].is_object() &&
        root["steady-state-hypothesis"].contains("probes"))
      add(root["steady-state-hypothesis"]["probes"],
          child(child(JsonPointer(), "steady-state-hypothesis"), "probes"));
    if (root.contains("method")) add(root["method"], child(JsonPointer(), "method"));
    if (root.contains("rollbacks")) add(root["rollbacks"], child(JsonPointer(), "rollbacks"));
  }

  std::chrono::nanoseconds duration_at(const Json& value, const JsonPointer& at,
                                       const std::string& what) const {
    const auto d = duration_from_json(value);
    if (!d)
      doc_.fail(at, "malformed duration " + value.dump() + " for " + what +
                        " (expected seconds or a duration such as \"250ms\", \"1.5s\", \"2m\")");
    return *d;
  }

  Activity activity(JsonPointer at, Role role, int depth = 0) {
    const Json* node = &doc_.root()[at];
    const int line = doc_.line_of(at);
    if (!node->is_object()) doc_.fail(at, describe_pointer(at) + " must be a mapping (an action or a probe)");
    if (node->contains("ref")) {
      if (!(*node)["ref"].is_string())
        doc_.fail(child(at, "ref"), "'ref' must be the name of a declared activity");
      const std::string ref = (*node)["ref"].get<std::string>();
      const auto it = named_.find(ref);
      if (it == named_.end() || depth > 0)
        doc_.fail(child(at, "ref"), "'ref' names no declared activity: '" + ref + "'");
      Activity a = activity(it->second, role, depth + 1);
      a.line = line;
      return a;
    }
    const std::string where = describe_pointer(at);
    Activity a;
    a.line = line;
    a.declared = *node;
    const auto type = node->find("type");
    if (type == node->end() || !type->is_string())
      doc_.fail(at, where + ": missing 'type' (expected \"action\" or \"probe\")");
    a.type = type->get<std::string>();
    if (a.type != "action" && a.type != "probe")
      doc_.fail(child(at, "type"), where + ": type '" + a.type + "' (expected \"action\" or \"probe\")");
    if ((role == Role::kHypothesis || role == Role::kHalt) && a.type != "probe")
      doc_.fail(child(at, "type"), where + ": the steady state and halt conditions take probes, not actions");
    const auto name = node->find("name");
    if (name == node->end() || !name->is_string() || name->get<std::string>().empty())
      doc_.fail(at, where + ": missing 'name' (expected a string naming the " + a.type + ")");
    a.name = name->get<std::string>();
    const auto provider = node->find("provider");
    if (provider == node->end()) doc_.fail(at, where + " ('" + a.name + "'): missing 'provider'");
    a.provider = substitute(*provider, child(at, "provider"));
    if (const auto problem = validate_provider(a.provider)) {
      JsonPointer pat = child(at, "provider");
      if (!problem->key.empty() && provider->is_object() && provider->contains(problem->key))
        pat = child(pat, problem->key);
      doc_.fail(pat, where + " ('" + a.name + "'): " + problem->message);
    }
    const bool needs_tolerance = role == Role::kHypothesis || role == Role::kHalt;
    if (node->contains("tolerance")) {
      const JsonPointer tat = child(at, "tolerance");
      Json tolerance = substitute((*node)["tolerance"], tat);
      if (const auto problem = validate_tolerance(tolerance))
        doc_.fail(tat, where + " ('" + a.name + "'): " + *problem);
      if (tolerance.is_object() && text_of(tolerance, "type") == "probe") {
        if (role == Role::kToleranceProbe)
          doc_.fail(tat,
                    where + " ('" + a.name + "'): a probe tolerance cannot itself use a probe tolerance");
        activity(tat, Role::kToleranceProbe, depth + 1);  // validates its provider
      }
      a.tolerance = std::move(tolerance);
    } else if (needs_tolerance) {
      doc_.fail(at,
                where + " ('" + a.name +
                    "'): probe without 'tolerance' (expected a bool, number, string, [low, high], a list, or "
                    "{type: range|regex|jsonpath|probe})");
    }
    if (node->contains("background")) {
      if (!(*node)["background"].is_boolean())
        doc_.fail(child(at, "background"), "'background' must be true or false");
      a.background = (*node)["background"].get<bool>();
      if (a.background && role != Role::kMethod)
        doc_.fail(child(at, "background"), where + ": only method activities can run in the background");
    }
    if (node->contains("pauses")) {
      const JsonPointer pat = child(at, "pauses");
      const Json& pauses = (*node)["pauses"];
      if (!pauses.is_object()) doc_.fail(pat, "'pauses' must be a mapping with 'before' and/or 'after'");
      for (const auto& [key, value] : pauses.items()) {
        if (key != "before" && key != "after")
          doc_.fail(child(pat, key), "unknown pause '" + key + "' (expected before or after)");
        const auto d = duration_at(substitute(value, child(pat, key)), child(pat, key), "pauses." + key);
        (key == "before" ? a.pause_before : a.pause_after) = d;
      }
    }
    return a;
  }

  RunSettings settings(const JsonPointer& at) {
    const Json& block = doc_.root()[at];
    RunSettings s;
    if (block.is_null()) return s;
    if (!block.is_object()) doc_.fail(at, "the faultline block must be a mapping of run options");
    static const std::set<std::string> known = {
        "sample-interval",     "duration",           "baseline", "grace-period", "recovery-timeout",
        "max-time-to-recover", "allowed-violations", "halt"};
    for (const auto& [raw_key, raw_value] : block.items()) {
      const std::string key = normalize_key(raw_key);
      const JsonPointer kat = child(at, raw_key);
      if (known.find(key) == known.end())
        doc_.fail(kat, "unknown run option '" + raw_key +
                           "' (expected sample-interval, duration, baseline, grace-period, recovery-timeout, "
                           "max-time-to-recover, allowed-violations or halt)");
      const Json value = substitute(raw_value, kat);
      if (key == "sample-interval") {
        s.sample_interval = duration_at(value, kat, key);
        if (s.sample_interval < 10ms)
          doc_.fail(
              kat, "sample-interval " + format_duration(s.sample_interval) + " is below the minimum of 10ms");
      } else if (key == "duration") {
        s.duration = duration_at(value, kat, key);
      } else if (key == "baseline") {
        s.baseline = duration_at(value, kat, key);
      } else if (key == "grace-period") {
        s.grace_period = duration_at(value, kat, key);
      } else if (key == "recovery-timeout") {
        s.recovery_timeout = duration_at(value, kat, key);
      } else if (key == "max-time-to-recover") {
        s.max_time_to_recover = duration_at(value, kat, key);
      } else if (key == "allowed-violations") {
        if (!value.is_number_unsigned()) doc_.fail(kat, "allowed-violations must be a non-negative integer");
        s.allowed_violations = value.get<int>();
      } else if (key == "halt") {
        s.halt = halt(kat);
      }
    }
    return s;
  }

  HaltRules halt(const JsonPointer& at) {
    const Json& block = doc_.root()[at];
    HaltRules h;
    if (!block.is_object())
      doc_.fail(at, "'halt' must be a mapping with max-violations, max-consecutive-violations and/or probes");
    for (const auto& [raw_key, value] : block.items()) {
      const std::string key = normalize_key(raw_key);
      const JsonPointer kat = child(at, raw_key);
      if (key == "max-violations" || key == "max-consecutive-violations") {
        if (!value.is_number_unsigned() || value.get<int>() < 1)
          doc_.fail(kat, "'" + raw_key + "' must be a positive integer");
        (key == "max-violations" ? h.max_violations : h.max_consecutive_violations) = value.get<int>();
      } else if (key == "probes") {
        if (!value.is_array()) doc_.fail(kat, "halt 'probes' must be a list of probes with tolerances");
        for (std::size_t i = 0; i < value.size(); ++i)
          h.probes.push_back(activity(child(kat, i), Role::kHalt));
      } else {
        doc_.fail(kat, "unknown halt condition '" + raw_key +
                           "' (expected max-violations, max-consecutive-violations or probes)");
      }
    }
    return h;
  }

  const Document& doc_;
  const Vars& vars_;
  Json config_ = Json::object();
  Json secrets_ = Json::object();
  std::map<std::string, JsonPointer> named_;
};

}  // namespace

Experiment load_experiment(const std::filesystem::path& path, const Vars& vars) {
  const Document doc = Document::load_file(path);
  return Loader(doc, vars).load();
}

Experiment parse_experiment(const std::string& text, const std::string& file_name, const Vars& vars) {
  const Document doc = Document::parse(text, file_name);
  return Loader(doc, vars).load();
}

}  // namespace faultline::experiment
