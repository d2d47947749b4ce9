#include "faultline/pq/connection.h"

#include <charconv>
#include <cstring>
#include <utility>

#include "faultline/pq/dsn.h"
#include "faultline/pq/error.h"

namespace faultline::pq {
namespace {

// libpq writes NOTICE and WARNING messages to stderr by default; a service's
// stderr belongs to the service.
void ignore_notice(void*, const char*) {}

std::string statement_head(const std::string& sql) {
  constexpr std::size_t kMax = 60;
  std::string head = one_line(sql);
  if (head.size() > kMax) head = head.substr(0, kMax) + "...";
  return head;
}

}  // namespace

ExecStatusType Result::status() const noexcept {
  return result_ ? PQresultStatus(result_.get()) : PGRES_FATAL_ERROR;
}

int Result::rows() const noexcept {
  return result_ ? PQntuples(result_.get()) : 0;
}

int Result::columns() const noexcept {
  return result_ ? PQnfields(result_.get()) : 0;
}

bool Result::is_null(int row, int column) const noexcept {
  return !result_ || PQgetisnull(result_.get(), row, column) != 0;
}

std::string_view Result::value(int row, int column) const noexcept {
  if (is_null(row, column)) return {};
  return {PQgetvalue(result_.get(), row, column),
          static_cast<std::size_t>(PQgetlength(result_.get(), row, column))};
}

std::int64_t Result::affected_rows() const noexcept {
  if (!result_) return 0;
  const char* tuples = PQcmdTuples(result_.get());
  std::int64_t count = 0;
  std::from_chars(tuples, tuples + std::strlen(tuples), count);
  return count;
}

Connection::Connection(PGconn* conn, std::string display_dsn) noexcept
    : conn_(conn), display_dsn_(std::move(display_dsn)) {}

Connection Connection::open(const std::string& dsn, std::chrono::seconds connect_timeout) {
  std::string display = redact_dsn(dsn);
  char* parse_error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(dsn.c_str(), &parse_error);
  if (parsed == nullptr) {
    std::string reason = parse_error != nullptr ? one_line(parse_error) : "out of memory";
    PQfreemem(parse_error);
    throw Error(ErrorKind::kPermanent, "", "invalid DSN \"" + display + "\": " + reason);
  }
  PQconninfoFree(parsed);

  // Keywords before "dbname" are defaults that the expanded DSN overrides.
  const std::string timeout = std::to_string(connect_timeout.count());
  const char* keywords[] = {"connect_timeout", "fallback_application_name", "dbname", nullptr};
  const char* values[] = {timeout.c_str(), "faultline", dsn.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keywords, values, 1);
  if (conn == nullptr) {
    throw Error(ErrorKind::kConnection, "",
                "cannot connect to PostgreSQL at \"" + display + "\": out of memory");
  }
  Connection connection(conn, std::move(display));
  if (PQstatus(conn) != CONNECTION_OK) {
    throw Error(ErrorKind::kConnection, "",
                "cannot connect to PostgreSQL at \"" + connection.display_dsn_ +
                    "\": " + one_line(PQerrorMessage(conn)));
  }
  PQsetNoticeProcessor(conn, ignore_notice, nullptr);
  return connection;
}

Result Connection::exec(const std::string& sql) {
  return checked(PQexec(conn_.get(), sql.c_str()), sql);
}

Result Connection::exec(const std::string& sql, const Params& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  return checked(PQexecParams(conn_.get(), sql.c_str(), static_cast<int>(values.size()), nullptr,
                              values.data(), nullptr, nullptr, 0),
                 sql);
}

Result Connection::checked(PGresult* raw, const std::string& sql) const {
  Result result(raw);
  const ExecStatusType status = result.status();
  if (raw != nullptr &&
      (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY)) {
    return result;
  }
  std::string sqlstate;
  std::string message;
  if (raw != nullptr) {
    if (const char* field = PQresultErrorField(raw, PG_DIAG_SQLSTATE)) sqlstate = field;
    message = one_line(PQresultErrorMessage(raw));
  }
  if (message.empty()) message = one_line(PQerrorMessage(conn_.get()));
  if (message.empty()) message = std::string("unexpected result ") + PQresStatus(status);

  // A dead link trumps whatever SQLSTATE came with it (57P01 arrives just
  // before the socket closes); without a SQLSTATE on a live link, libpq
  // itself refused the call, and retrying will not change that.
  ErrorKind kind =
      PQstatus(conn_.get()) == CONNECTION_BAD ? ErrorKind::kConnection : classify_sqlstate(sqlstate);
  if (!sqlstate.empty()) message += " (SQLSTATE " + sqlstate + ")";
  throw Error(kind, std::move(sqlstate), message + " [in: " + statement_head(sql) + "]");
}

bool Connection::ok() const noexcept {
  return conn_ && PQstatus(conn_.get()) == CONNECTION_OK;
}

PGTransactionStatusType Connection::transaction_status() const noexcept {
  return conn_ ? PQtransactionStatus(conn_.get()) : PQTRANS_UNKNOWN;
}

int Connection::backend_pid() const noexcept {
  return conn_ ? PQbackendPID(conn_.get()) : 0;
}

std::string Connection::quote_identifier(std::string_view name) const {
  char* quoted = PQescapeIdentifier(conn_.get(), name.data(), name.size());
  if (quoted == nullptr) {
    throw Error(
        ErrorKind::kPermanent, "",
        "cannot quote identifier \"" + std::string(name) + "\": " + one_line(PQerrorMessage(conn_.get())));
  }
  std::string out(quoted);
  PQfreemem(quoted);
  return out;
}

}  // namespace faultline::pq
