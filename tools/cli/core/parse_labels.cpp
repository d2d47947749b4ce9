#include <algorithm>
#include <cctype>
#include <string>

#include "decimal.h"
#include "faultline/cli/error.h"
#include "faultline/cli/parse.h"

namespace faultline::cli {
namespace {

bool valid_part(std::string_view s) {
  return !s.empty() && std::none_of(s.begin(), s.end(), [](char c) {
    return c == ',' || c == '=' || std::isspace(static_cast<unsigned char>(c)) ||
           std::iscntrl(static_cast<unsigned char>(c));
  });
}

template <typename F>
void for_each_pair(std::string_view text, F&& f) {
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    f(text.substr(start, comma - start));
    start = comma + 1;
  }
}

}  // namespace

Labels parse_labels(std::string_view text, std::string_view option) {
  Labels labels;
  for_each_pair(text, [&](std::string_view pair) {
    const std::size_t eq = pair.find('=');
    const std::string_view key = pair.substr(0, eq);
    const std::string_view value = eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
    if (eq == std::string_view::npos || !valid_part(key) || !valid_part(value))
      throw UserError("invalid label '" + std::string(pair) + "' in " + std::string(option) + " " +
                      std::string(text) +
                      ": expected KEY=VAL[,KEY=VAL...] without spaces, e.g. app=order-service,zone=a");
    labels.emplace_back(key, value);
  });
  return labels;
}

Labels split_labels(std::string_view text) {
  Labels labels;
  if (text.empty()) return labels;
  for_each_pair(text, [&](std::string_view pair) {
    const std::size_t eq = pair.find('=');
    if (eq != std::string_view::npos) labels.emplace_back(pair.substr(0, eq), pair.substr(eq + 1));
  });
  return labels;
}

std::string join_labels(const Labels& labels) {
  std::string out;
  for (const auto& [k, v] : labels) {
    if (!out.empty()) out += ',';
    out += k + "=" + v;
  }
  return out;
}

GeModelPpm parse_gemodel(std::string_view text, std::string_view option) {
  std::uint32_t values[4] = {0, 1'000'000, 1'000'000, 0};
  int n = 0;
  bool ok = true;
  for_each_pair(text, [&](std::string_view part) {
    long double v = 0;
    std::string_view rest;
    std::uint64_t ppm = 0;
    if (n >= 4 || !detail::split_decimal(part, &v, &rest) || !(rest.empty() || rest == "%") ||
        !detail::scale_to_integer(v, 10000.0L, 1'000'000, &ppm)) {
      ok = false;
    } else {
      values[n] = static_cast<std::uint32_t>(ppm);
    }
    ++n;
  });
  if (!ok)
    throw UserError("invalid Gilbert-Elliott model '" + std::string(text) + "' for " + std::string(option) +
                    ": expected p[,r[,1-h[,1-k]]] as percentages 0..100, e.g. 1,30,100,0");
  return {values[0], values[1], values[2], values[3]};
}

}  // namespace faultline::cli
