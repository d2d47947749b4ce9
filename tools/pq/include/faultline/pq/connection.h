// RAII ownership of a libpq connection and its results.
//
// Connection::exec returns a Result only for a successful statement and
// throws faultline::pq::Error otherwise, classified by error.h, so callers
// never inspect PQresultStatus themselves.
#pragma once

#include <libpq-fe.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace faultline::pq {

// Text-format statement parameters ($1, $2, ...); nullopt is SQL NULL.
using Params = std::vector<std::optional<std::string>>;

class Result {
 public:
  Result() = default;
  explicit Result(PGresult* result) noexcept : result_(result) {}

  ExecStatusType status() const noexcept;
  int rows() const noexcept;
  int columns() const noexcept;
  bool is_null(int row, int column) const noexcept;
  // The text of a field; empty for NULL (tell them apart with is_null).
  std::string_view value(int row, int column) const noexcept;
  // Rows an INSERT/UPDATE/DELETE/... touched, from the command tag; 0 if none.
  std::int64_t affected_rows() const noexcept;
  PGresult* native() const noexcept { return result_.get(); }

 private:
  struct Clear {
    void operator()(PGresult* result) const noexcept { PQclear(result); }
  };
  std::unique_ptr<PGresult, Clear> result_;
};

class Connection {
 public:
  // Connects (blocking, at most connect_timeout; a connect_timeout in the DSN
  // wins). Throws Error naming the DSN without its password and libpq's
  // reason: kPermanent for a DSN libpq cannot parse, kConnection otherwise.
  static Connection open(const std::string& dsn,
                         std::chrono::seconds connect_timeout = std::chrono::seconds(5));

  // Simple-query protocol: may hold several statements; returns the last result.
  Result exec(const std::string& sql);
  // Extended protocol: one statement with $n parameters, as text.
  Result exec(const std::string& sql, const Params& params);

  // PQstatus says CONNECTION_OK. A server-side termination is noticed only
  // when the connection is next used, so true does not promise a live peer.
  bool ok() const noexcept;
  PGTransactionStatusType transaction_status() const noexcept;
  int backend_pid() const noexcept;
  // "name" quoted as an SQL identifier by PQescapeIdentifier.
  std::string quote_identifier(std::string_view name) const;
  // The DSN as it appears in messages (password removed).
  const std::string& display_dsn() const noexcept { return display_dsn_; }
  PGconn* native() const noexcept { return conn_.get(); }

 private:
  struct Finish {
    void operator()(PGconn* conn) const noexcept { PQfinish(conn); }
  };
  Connection(PGconn* conn, std::string display_dsn) noexcept;
  Result checked(PGresult* result, const std::string& sql) const;

  std::unique_ptr<PGconn, Finish> conn_;
  std::string display_dsn_;
};

}  // namespace faultline::pq
