#include <charconv>

#include "faultline/pq/admin.h"
#include "faultline/pq/error.h"

namespace faultline::pq {

int terminate_backends(const std::string& admin_dsn, const std::string& database) {
  if (database.empty()) throw Error(ErrorKind::kPermanent, "", "terminate: the database name is empty");
  Connection admin = Connection::open(admin_dsn);
  // The two-argument form (PostgreSQL 14) waits until the backend has exited.
  const std::string terminate = PQserverVersion(admin.native()) >= 140000 ? "pg_terminate_backend(pid, 5000)"
                                                                          : "pg_terminate_backend(pid)";
  Result result =
      admin.exec("SELECT count(*) FILTER (WHERE " + terminate +
                     ") FROM pg_stat_activity "
                     "WHERE datname = $1 AND pid <> pg_backend_pid() AND backend_type = 'client backend'",
                 {database});
  int count = 0;
  const std::string_view text = result.value(0, 0);
  std::from_chars(text.data(), text.data() + text.size(), count);
  return count;
}

}  // namespace faultline::pq
