// sql provider: one query over libpq. {"dsn", "query", "timeout"} ->
// {"rows": [[...]], "columns": [...], "count": N, "value": first column of
// the first row} with integers, floats and booleans typed.
#include <libpq-fe.h>

#include <chrono>
#include <cmath>
#include <memory>

#include "provider.h"

namespace faultline::experiment {

using Json = nlohmann::json;

namespace {

// PostgreSQL type OIDs (pg_type.dat) we turn into JSON numbers and booleans.
constexpr Oid kBoolOid = 16, kInt8Oid = 20, kInt2Oid = 21, kInt4Oid = 23, kOidOid = 26, kFloat4Oid = 700,
              kFloat8Oid = 701, kNumericOid = 1700;

Json cell(const PGresult* res, int row, int col) {
  if (PQgetisnull(res, row, col)) return nullptr;
  const std::string text = PQgetvalue(res, row, col);
  switch (PQftype(res, col)) {
    case kBoolOid:
      return text == "t";
    case kInt2Oid:
    case kInt4Oid:
    case kInt8Oid:
    case kOidOid:
      try {
        return static_cast<std::int64_t>(std::stoll(text));
      } catch (const std::exception&) {
        return text;
      }
    case kFloat4Oid:
    case kFloat8Oid:
    case kNumericOid:
      try {
        const double d = std::stod(text);
        if (std::isfinite(d)) return d;
      } catch (const std::exception&) {
      }
      return text;
    default:
      return text;
  }
}

std::string first_line(const char* message) {
  std::string s = message ? message : "";
  const auto nl = s.find('\n');
  return nl == std::string::npos ? s : s.substr(0, nl);
}

}  // namespace

std::optional<ProviderProblem> validate_sql_provider(const Json& provider) {
  const auto dsn = provider.find("dsn");
  if (dsn == provider.end() || !dsn->is_string())
    return ProviderProblem{"", "sql provider without 'dsn' (expected a libpq connection string or URI)"};
  const auto query = provider.find("query");
  if (query == provider.end() || !query->is_string() || query->get<std::string>().empty())
    return ProviderProblem{"", "sql provider without 'query' (expected the SQL to run, e.g. \"SELECT 1\")"};
  return std::nullopt;
}

ProviderOutput run_sql_provider(const Activity& activity, RunContext&, const std::atomic<bool>*) {
  const Json& p = activity.provider;
  const auto timeout = provider_timeout(p, std::chrono::seconds(5)).value_or(std::chrono::seconds(5));
  const auto timeout_s = std::max<long long>(
      1, static_cast<long long>(std::ceil(std::chrono::duration<double>(timeout).count())));
  const std::string connect_timeout = std::to_string(timeout_s);
  const std::string options =
      "-c statement_timeout=" +
      std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count());
  const std::string dsn = p["dsn"].get<std::string>();
  const char* keys[] = {"dbname", "connect_timeout", "options", "application_name", nullptr};
  const char* values[] = {dsn.c_str(), connect_timeout.c_str(), options.c_str(), "faultline-experiment",
                          nullptr};

  const auto start = std::chrono::steady_clock::now();
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdbParams(keys, values, 1), &PQfinish);
  if (!conn || PQstatus(conn.get()) != CONNECTION_OK)
    throw ActivityFailed("sql: cannot connect: " +
                         first_line(conn ? PQerrorMessage(conn.get()) : "out of memory"));
  std::unique_ptr<PGresult, decltype(&PQclear)> res(PQexec(conn.get(), p["query"].get<std::string>().c_str()),
                                                    &PQclear);
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  const auto status = PQresultStatus(res.get());
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    const char* state = PQresultErrorField(res.get(), PG_DIAG_SQLSTATE);
    throw ActivityFailed("sql: query failed" +
                         std::string(state ? " (SQLSTATE " + std::string(state) + ")" : "") + ": " +
                         first_line(PQresultErrorMessage(res.get())));
  }
  Json out;
  Json columns = Json::array();
  Json rows = Json::array();
  const int ncols = PQnfields(res.get());
  const int nrows = PQntuples(res.get());
  for (int c = 0; c < ncols; ++c) columns.push_back(PQfname(res.get(), c));
  for (int r = 0; r < nrows; ++r) {
    Json row = Json::array();
    for (int c = 0; c < ncols; ++c) row.push_back(cell(res.get(), r, c));
    rows.push_back(std::move(row));
  }
  out["columns"] = columns;
  out["rows"] = rows;
  out["count"] = status == PGRES_TUPLES_OK ? nrows : std::atoi(PQcmdTuples(res.get()));
  out["value"] = nrows > 0 && ncols > 0 ? rows[0][0] : Json(nullptr);
  return {out, ms, {}};
}

}  // namespace faultline::experiment
