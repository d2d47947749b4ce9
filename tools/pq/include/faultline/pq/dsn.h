// Connection strings in messages: a DSN is named in every connection error
// so the user sees which server failed, but its password never is.
#pragma once

#include <string>
#include <string_view>

namespace faultline::pq {

// The DSN (keyword=value or postgresql:// URI) with any password replaced by
// "***", on one line. A DSN that libpq cannot parse is redacted textually.
std::string redact_dsn(std::string_view dsn);

}  // namespace faultline::pq
