#include "provider.h"

#include "faultline/experiment/duration.h"

namespace faultline::experiment {

std::optional<ProviderProblem> validate_provider(const nlohmann::json& provider) {
  if (!provider.is_object()) return ProviderProblem{"", "a provider must be an object with a \"type\""};
  const auto type_it = provider.find("type");
  if (type_it == provider.end() || !type_it->is_string())
    return ProviderProblem{"", std::string("provider without a \"type\" (expected ") + kProviderTypes + ")"};
  const std::string type = type_it->get<std::string>();
  if (provider.contains("timeout")) {
    const auto& timeout = provider["timeout"];
    bool ok = timeout.is_array() ? !timeout.empty() : duration_from_json(timeout).has_value();
    if (timeout.is_array())
      for (const auto& part : timeout) ok = ok && duration_from_json(part).has_value();
    if (!ok)
      return ProviderProblem{"timeout", "malformed timeout " + timeout.dump() +
                                            " (expected seconds or a duration such as \"500ms\", \"2s\")"};
  }
  if (type == "process") return validate_process_provider(provider);
  if (type == "http") return validate_http_provider(provider);
  if (type == "tcp") return validate_tcp_provider(provider);
  if (type == "sql") return validate_sql_provider(provider);
  if (type == "faultline") return validate_faultline_provider(provider);
  if (type == "python")
    return ProviderProblem{"type", "provider 'python' is not supported by faultline: use process or http"};
  return ProviderProblem{"type", "unknown provider type '" + type + "' (expected " + kProviderTypes + ")"};
}

ProviderOutput run_provider(const Activity& activity, RunContext& context, const std::atomic<bool>* cancel) {
  const std::string type = activity.provider.value("type", "");
  if (type == "process") return run_process_provider(activity, context, cancel);
  if (type == "http") return run_http_provider(activity, context, cancel);
  if (type == "tcp") return run_tcp_provider(activity, context, cancel);
  if (type == "sql") return run_sql_provider(activity, context, cancel);
  if (type == "faultline") return run_faultline_provider(activity, context, cancel);
  throw ActivityFailed("unknown provider type '" + type + "'");
}

std::optional<std::chrono::nanoseconds> provider_timeout(const nlohmann::json& provider,
                                                         std::chrono::nanoseconds fallback) {
  const auto it = provider.find("timeout");
  if (it == provider.end() || it->is_null()) return fallback;
  if (it->is_array()) {  // requests-style (connect, read): the sum bounds the call
    std::chrono::nanoseconds total{0};
    for (const auto& part : *it)
      if (const auto d = duration_from_json(part)) total += *d;
    return total.count() > 0 ? total : fallback;
  }
  return duration_from_json(*it);
}

}  // namespace faultline::experiment
