// Chaos Toolkit's http provider: {"url", "method", "headers", "arguments",
// "expected_status", "timeout"} -> {"status", "headers", "body"}; plus ours:
// "body" (a string, or JSON sent as application/json) and "timestamp_path",
// a JSONPath to an ISO-8601 (or epoch seconds) timestamp in the response
// whose age in seconds is returned as "age_s": the freshness check of a
// market-data feed.
#include <httplib.h>

#include <algorithm>
#include <cctype>
#include <chrono>

#include "faultline/experiment/jsonpath.h"
#include "provider.h"
#include "timefmt.h"

namespace faultline::experiment {

using Json = nlohmann::json;

namespace {

bool iequals(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

std::string url_encode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string form_encode(const Json& args) {
  std::string out;
  for (const auto& [k, v] : args.items())
    out += (out.empty() ? "" : "&") + url_encode(k) + "=" +
           url_encode(v.is_string() ? v.get<std::string>() : v.dump());
  return out;
}

struct Url {
  std::string base;  // scheme://host[:port]
  std::string path;  // /path?query
};

std::optional<Url> split_url(const std::string& url) {
  const auto scheme = url.find("://");
  if (scheme == std::string::npos) return std::nullopt;
  const std::string s = url.substr(0, scheme);
  if (s != "http" && s != "https") return std::nullopt;
  const auto slash = url.find('/', scheme + 3);
  if (slash == std::string::npos) return Url{url, "/"};
  if (slash == scheme + 3) return std::nullopt;
  return Url{url.substr(0, slash), url.substr(slash)};
}

std::optional<double> age_seconds(const Json& stamp, std::string* error) {
  const auto now = std::chrono::system_clock::now();
  if (stamp.is_number()) {
    return std::chrono::duration<double>(now.time_since_epoch()).count() - stamp.get<double>();
  }
  if (!stamp.is_string()) {
    *error = "timestamp is " + stamp.dump() + " (expected an ISO-8601 string or epoch seconds)";
    return std::nullopt;
  }
  const auto t = parse_iso8601(stamp.get<std::string>());
  if (!t) {
    *error = "timestamp '" + stamp.get<std::string>() + "' is not ISO-8601";
    return std::nullopt;
  }
  return std::chrono::duration<double>(now - *t).count();
}

}  // namespace

std::optional<ProviderProblem> validate_http_provider(const Json& provider) {
  const auto url = provider.find("url");
  if (url == provider.end() || !url->is_string())
    return ProviderProblem{
        "", "http provider without 'url' (expected e.g. \"http://127.0.0.1:8000/api/health\")"};
  if (!split_url(url->get<std::string>()))
    return ProviderProblem{"url", "http 'url' " + url->dump() + " is not an http:// or https:// URL"};
  if (provider.contains("method")) {
    static const std::vector<std::string> methods = {"GET",   "POST", "PUT",    "DELETE",
                                                     "PATCH", "HEAD", "OPTIONS"};
    std::string m = provider["method"].is_string() ? provider["method"].get<std::string>() : "";
    for (char& c : m) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (std::find(methods.begin(), methods.end(), m) == methods.end())
      return ProviderProblem{"method", "http 'method' " + provider["method"].dump() +
                                           " (expected GET, POST, PUT, DELETE, PATCH, HEAD or OPTIONS)"};
  }
  if (provider.contains("headers")) {
    if (!provider["headers"].is_object())
      return ProviderProblem{"headers", "http 'headers' must be a mapping"};
    for (const auto& [k, v] : provider["headers"].items())
      if (!v.is_string()) return ProviderProblem{"headers", "http header '" + k + "' must be a string"};
  }
  if (provider.contains("expected_status") && !provider["expected_status"].is_number_integer())
    return ProviderProblem{"expected_status", "http 'expected_status' must be an integer status code"};
  if (provider.contains("arguments") && !provider["arguments"].is_object())
    return ProviderProblem{"arguments", "http 'arguments' must be a mapping of parameters"};
  if (provider.contains("timestamp_path")) {
    std::string error;
    if (!provider["timestamp_path"].is_string() ||
        !JsonPath::parse(provider["timestamp_path"].get<std::string>(), &error))
      return ProviderProblem{"timestamp_path",
                             error.empty() ? "'timestamp_path' must be a JSONPath string" : error};
  }
  return std::nullopt;
}

ProviderOutput run_http_provider(const Activity& activity, RunContext&, const std::atomic<bool>*) {
  const Json& p = activity.provider;
  const std::string url = p["url"].get<std::string>();
  const Url parts = *split_url(url);
  std::string method = p.value("method", "GET");
  for (char& c : method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  const auto timeout = provider_timeout(p, std::chrono::seconds(10)).value_or(std::chrono::seconds(10));

  httplib::Client client(parts.base);
  const auto secs = std::chrono::duration_cast<std::chrono::seconds>(timeout);
  const auto usecs = std::chrono::duration_cast<std::chrono::microseconds>(timeout - secs);
  client.set_connection_timeout(secs.count(), usecs.count());
  client.set_read_timeout(secs.count(), usecs.count());
  client.set_write_timeout(secs.count(), usecs.count());
  client.set_keep_alive(false);

  httplib::Headers headers;
  std::string content_type;
  if (p.contains("headers"))
    for (const auto& [k, v] : p["headers"].items()) {
      if (iequals(k, "Content-Type")) {
        content_type = v.get<std::string>();
      } else {
        headers.emplace(k, v.get<std::string>());
      }
    }
  std::string path = parts.path;
  std::string body;
  if (p.contains("arguments") && !p["arguments"].empty()) {
    if (method == "GET" || method == "HEAD" || method == "DELETE") {
      path += (path.find('?') == std::string::npos ? "?" : "&") + form_encode(p["arguments"]);
    } else if (content_type == "application/json") {
      body = p["arguments"].dump();
    } else {
      body = form_encode(p["arguments"]);
      if (content_type.empty()) content_type = "application/x-www-form-urlencoded";
    }
  }
  if (p.contains("body")) {
    body = p["body"].is_string() ? p["body"].get<std::string>() : p["body"].dump();
    if (content_type.empty()) content_type = p["body"].is_string() ? "text/plain" : "application/json";
  }

  const auto start = std::chrono::steady_clock::now();
  httplib::Result result = [&] {
    if (method == "GET") return client.Get(path, headers);
    if (method == "HEAD") return client.Head(path, headers);
    if (method == "OPTIONS") return client.Options(path, headers);
    if (method == "DELETE") return client.Delete(path, headers, body, content_type);
    if (method == "PUT") return client.Put(path, headers, body, content_type);
    if (method == "PATCH") return client.Patch(path, headers, body, content_type);
    return client.Post(path, headers, body, content_type);
  }();
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  if (!result) {
    const auto err = result.error();
    if (err == httplib::Error::Read || err == httplib::Error::ConnectionTimeout)
      throw ActivityFailed("http " + method + " " + url +
                           " took too long to complete or the connection broke (" + httplib::to_string(err) +
                           ")");
    throw ActivityFailed("failed to connect to " + url + ": " + httplib::to_string(err));
  }
  Json out;
  out["status"] = result->status;
  Json response_headers = Json::object();
  for (const auto& [k, v] : result->headers) response_headers[k] = v;
  out["headers"] = response_headers;
  const std::string type = result->get_header_value("Content-Type");
  Json parsed_body = result->body;
  if (type.rfind("application/json", 0) == 0) {
    try {
      parsed_body = Json::parse(result->body);
    } catch (const Json::exception&) {
    }
  }
  out["body"] = parsed_body;
  if (p.contains("timestamp_path")) {
    std::string error;
    const auto path_expr = JsonPath::parse(p["timestamp_path"].get<std::string>(), &error);
    Json doc = parsed_body;
    if (doc.is_string()) {
      try {
        doc = Json::parse(doc.get<std::string>());
      } catch (const Json::exception&) {
      }
    }
    const auto found = path_expr->match(doc);
    std::optional<double> age;
    if (found.empty())
      error = "no value at " + path_expr->text();
    else
      age = age_seconds(found.front(), &error);
    out["age_s"] = age ? Json(*age) : Json(nullptr);
    if (!age) out["age_error"] = error;
  }
  if (p.contains("expected_status") && p["expected_status"].get<int>() != result->status)
    throw ActivityFailed("http " + method + " " + url + " returned " + std::to_string(result->status) +
                         ", expected " + std::to_string(p["expected_status"].get<int>()));
  return {out, ms, {}};
}

}  // namespace faultline::experiment
