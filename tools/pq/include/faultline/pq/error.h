// Errors of the libpq helpers and what a caller may do about them.
//
// Every failing call in faultline::pq throws faultline::pq::Error (never
// returns an error code); its kind() says whether a retry can help, which is
// the whole contract between a failed statement and ResilientPool.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace faultline::pq {

enum class ErrorKind {
  // The link to the server is gone or could not be made (CONNECTION_BAD,
  // SQLSTATE class 08, 57P01-57P03 shutdown, 53300 too many connections):
  // discard the connection, reconnect and retry.
  kConnection,
  // The transaction lost a race (40001 serialization failure, 40P01
  // deadlock): the connection is fine, the transaction can be run again.
  kRetryableTransaction,
  // Retrying cannot help: constraint violations (23xxx), syntax and
  // permission errors (42xxx), timeouts, bad arguments, everything else.
  kPermanent,
  // No connection became free within the pool's acquire timeout.
  kPoolExhausted,
};

const char* to_string(ErrorKind kind) noexcept;

// The kind an error with this SQLSTATE belongs to; an empty SQLSTATE (an
// error libpq made up itself) is permanent unless the connection is bad,
// which the caller knows better than the code.
ErrorKind classify_sqlstate(std::string_view sqlstate) noexcept;

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, std::string sqlstate, const std::string& message);

  ErrorKind kind() const noexcept { return kind_; }
  // Five characters from the server, or empty when libpq raised the error.
  const std::string& sqlstate() const noexcept { return sqlstate_; }
  bool retryable() const noexcept {
    return kind_ == ErrorKind::kConnection || kind_ == ErrorKind::kRetryableTransaction;
  }

 private:
  ErrorKind kind_;
  std::string sqlstate_;
};

// libpq's messages span lines ("...failed: Connection refused\n\tIs the
// server running..."); callers print one line.
std::string one_line(std::string_view message);

}  // namespace faultline::pq
