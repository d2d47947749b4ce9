#include "faultline/pq/dsn.h"

#include <libpq-fe.h>

#include <memory>
#include <regex>

#include "faultline/pq/error.h"

namespace faultline::pq {
namespace {

struct ConninfoFree {
  void operator()(PQconninfoOption* options) const noexcept { PQconninfoFree(options); }
};

std::string quote_value(std::string_view value) {
  bool plain = !value.empty();
  for (char c : value) plain = plain && c != ' ' && c != '\'' && c != '\\' && c != '\t';
  if (plain) return std::string(value);
  std::string out = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('\'');
  return out;
}

// For strings libpq rejects: still never echo what looks like a password.
std::string redact_textually(std::string_view dsn) {
  static const std::regex keyword(R"((password\s*=\s*)('(?:[^'\\]|\\.)*'?|\S*))", std::regex::icase);
  static const std::regex uri_userinfo(R"((://[^/@:]*):[^/@]*@)");
  static const std::regex uri_param(R"(([?&]password=)[^&]*)", std::regex::icase);
  std::string out(dsn);
  out = std::regex_replace(out, keyword, "$1***");
  out = std::regex_replace(out, uri_userinfo, "$1:***@");
  out = std::regex_replace(out, uri_param, "$1***");
  return out;
}

}  // namespace

std::string redact_dsn(std::string_view dsn) {
  const std::string text(dsn);
  char* parse_error = nullptr;
  std::unique_ptr<PQconninfoOption, ConninfoFree> options(PQconninfoParse(text.c_str(), &parse_error));
  if (!options) {
    PQfreemem(parse_error);
    return one_line(redact_textually(dsn));
  }
  bool has_password = false;
  for (const PQconninfoOption* o = options.get(); o->keyword != nullptr; ++o) {
    has_password = has_password || (std::string_view(o->keyword) == "password" && o->val != nullptr);
  }
  if (!has_password) return one_line(text);

  std::string out;
  for (const PQconninfoOption* o = options.get(); o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    if (!out.empty()) out.push_back(' ');
    out += o->keyword;
    out.push_back('=');
    out += std::string_view(o->keyword) == "password" ? "***" : quote_value(o->val);
  }
  return out;
}

}  // namespace faultline::pq
