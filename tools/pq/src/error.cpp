#include "faultline/pq/error.h"

#include <utility>

namespace faultline::pq {

const char* to_string(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::kConnection:
      return "connection";
    case ErrorKind::kRetryableTransaction:
      return "retryable-transaction";
    case ErrorKind::kPermanent:
      return "permanent";
    case ErrorKind::kPoolExhausted:
      return "pool-exhausted";
  }
  return "unknown";
}

ErrorKind classify_sqlstate(std::string_view sqlstate) noexcept {
  if (sqlstate.size() != 5) return ErrorKind::kPermanent;
  if (sqlstate.substr(0, 2) == "08") return ErrorKind::kConnection;
  if (sqlstate == "57P01" || sqlstate == "57P02" || sqlstate == "57P03") return ErrorKind::kConnection;
  if (sqlstate == "53300") return ErrorKind::kConnection;
  if (sqlstate == "40001" || sqlstate == "40P01") return ErrorKind::kRetryableTransaction;
  return ErrorKind::kPermanent;
}

Error::Error(ErrorKind kind, std::string sqlstate, const std::string& message)
    : std::runtime_error(message), kind_(kind), sqlstate_(std::move(sqlstate)) {}

std::string one_line(std::string_view message) {
  std::string out;
  out.reserve(message.size());
  bool pending_space = false;
  for (char c : message) {
    if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  }
  return out;
}

}  // namespace faultline::pq
