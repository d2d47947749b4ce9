// Idle, the preload is invisible to real programs nobody wrote for it: the
// same bytes, output and exit codes with and without LD_PRELOAD, on the
// client, on the server, or on both.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <utility>

#include "faultline/testing/targets.h"
#include "postgres_server.h"
#include "robustness_support.h"

namespace faultline::robustness {
namespace {

constexpr std::size_t kPayloadSize = 1 << 20;

std::string python3() {
  return find_program({"/usr/bin/python3", "/usr/local/bin/python3"});
}

std::string curl() {
  return find_program({"/usr/bin/curl", "/usr/local/bin/curl"});
}

std::string psql() {
  return find_program({"/usr/bin/psql", "/usr/lib/postgresql/15/bin/psql"});
}

// What curl reported for three requests to one server.
struct Fetches {
  Outcome payload, listing, missing;
  std::string payload_bytes;
  bool operator==(const Fetches&) const = default;
};

Fetches fetch_all(const std::string& base_url, bool preload, const TempDir& out_dir) {
  Fetches f;
  const std::string saved = out_dir.file(preload ? "with" : "without");
  f.payload = run_captured({curl(), "-sS", "--max-time", "20", "-o", saved, "-w",
                            "%{http_code} %{size_download}", base_url + "/payload.bin"},
                           preload);
  f.payload_bytes = read_file(saved);
  f.listing = run_captured({curl(), "-sS", "--max-time", "20", base_url + "/"}, preload);
  f.missing = run_captured({curl(), "-sS", "-f", "--max-time", "20", base_url + "/missing.txt"}, preload);
  return f;
}

TEST(ThirdPartyPrograms, ShouldServeAndFetchIdenticalBytesOverHttpWithAndWithoutThePreload) {
  ASSERT_FALSE(python3().empty()) << "python3 is missing (scripts/install-deps.sh installs it)";
  ASSERT_FALSE(curl().empty()) << "curl is missing (scripts/install-deps.sh installs it)";
  TempDir served, out_dir;
  const std::string payload = seeded_bytes(kPayloadSize, 20240501);
  write_file(served.file("payload.bin"), payload);
  write_file(served.file("notes.txt"), "served by python3 -m http.server\n");

  std::map<std::pair<bool, bool>, Fetches> results;  // (server preloaded, curl preloaded)
  for (const bool server_preload : {false, true}) {
    const std::uint16_t port = testing::free_loopback_port();
    testing::Process server = testing::Process::spawn(
        {python3(), "-m", "http.server", std::to_string(port), "--bind", "127.0.0.1", "--directory",
         served.path()},
        server_preload ? testing::SpawnOptions() : testing::SpawnOptions().without_preload());
    ASSERT_TRUE(wait_until([&] { return accepts_connections(port); }, 20s)) << "http.server did not start";
    if (server_preload) {
      std::string reason;
      ASSERT_TRUE(testing::wait_for_segment(server.pid(), 10s, &reason).has_value()) << reason;
    }
    const std::string base_url = "http://127.0.0.1:" + std::to_string(port);
    for (const bool curl_preload : {false, true})
      results[{server_preload, curl_preload}] = fetch_all(base_url, curl_preload, out_dir);
  }

  const Fetches& baseline = results.at({false, false});
  EXPECT_EQ(exit_code(baseline.payload.status), 0) << baseline.payload.output;
  EXPECT_EQ(baseline.payload.output, "200 " + std::to_string(kPayloadSize));
  EXPECT_TRUE(baseline.payload_bytes == payload) << "the baseline download differs from the file";
  EXPECT_NE(baseline.listing.output.find("notes.txt"), std::string::npos) << baseline.listing.output;
  EXPECT_EQ(exit_code(baseline.missing.status), 22) << baseline.missing.output;  // curl -f on a 404
  for (const auto& [who, fetched] : results) {
    SCOPED_TRACE("server preloaded " + std::to_string(who.first) + ", curl preloaded " +
                 std::to_string(who.second));
    EXPECT_EQ(fetched.payload, baseline.payload);
    EXPECT_TRUE(fetched.payload_bytes == payload) << "downloaded bytes differ from the served file";
    EXPECT_EQ(fetched.listing, baseline.listing);
    EXPECT_EQ(fetched.missing, baseline.missing);
  }
}

TEST(ThirdPartyPrograms, ShouldNotLoadLibpqIntoAProgramThatNeverLinksIt) {
  ASSERT_FALSE(python3().empty()) << "python3 is missing (scripts/install-deps.sh installs it)";
  testing::Process python = testing::Process::spawn(
      {python3(), "-c",
       "import socket, sys; s = socket.socket(); print('ready', flush=True); sys.stdin.readline()"},
      testing::SpawnOptions().with_stdin());
  ASSERT_EQ(python.read_line(20s), "ready");
  std::string reason;
  ASSERT_TRUE(testing::wait_for_segment(python.pid(), 10s, &reason).has_value()) << reason;
  const std::string maps = mapped_files(python.pid());
  EXPECT_NE(maps.find("libfaultline.so"), std::string::npos) << maps;
  EXPECT_EQ(maps.find("libpq"), std::string::npos) << maps;
  python.write_stdin("done\n");
  const auto status = python.wait(20s);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(exit_code(*status), 0);
}

TEST(ThirdPartyPrograms, ShouldGiveIdenticalPsqlResultsWithAndWithoutThePreload) {
  ASSERT_FALSE(psql().empty()) << "psql is missing (scripts/install-deps.sh installs postgresql-client-15)";
  std::string dsn;
  try {
    dsn = pq::testing::PostgresServer::get().dsn();
  } catch (const std::exception& e) {
    FAIL() << e.what();
  }
  const std::vector<std::string> queries{
      psql(),
      "-X",
      "-A",
      "-t",
      "-v",
      "ON_ERROR_STOP=1",
      "-d",
      dsn,
      "-c",
      "SELECT 1 + 1",
      "-c",
      "SELECT string_agg(md5(i::text), ',' ORDER BY i) FROM generate_series(1, 3000) AS i",
      "-c",
      "CREATE TEMP TABLE t(x int); INSERT INTO t SELECT generate_series(1, 100); SELECT sum(x) FROM t"};
  const std::vector<std::string> failing{psql(), "-X", "-A", "-t",          "-v", "ON_ERROR_STOP=1",
                                         "-d",   dsn,  "-c", "SELECT 1 / 0"};

  const Outcome plain = run_captured(queries, false);
  const Outcome preloaded = run_captured(queries, true);
  EXPECT_EQ(exit_code(plain.status), 0) << plain.output;
  EXPECT_EQ(plain.output.rfind("2\n", 0), 0u) << plain.output.substr(0, 200);
  EXPECT_GT(plain.output.size(), 3000u * 33u);
  EXPECT_TRUE(plain.output.ends_with("\n5050\n")) << plain.output.substr(plain.output.size() - 100);
  EXPECT_EQ(preloaded, plain);

  const Outcome plain_error = run_captured(failing, false);
  const Outcome preloaded_error = run_captured(failing, true);
  EXPECT_EQ(exit_code(plain_error.status), 1) << plain_error.output;
  EXPECT_NE(plain_error.output.find("division by zero"), std::string::npos) << plain_error.output;
  EXPECT_EQ(preloaded_error, plain_error);
}

TEST(ThirdPartyPrograms, ShouldRunShellPipelinesIdentically) {
  TempDir dir;
  write_file(dir.file("data.bin"), seeded_bytes(200'000, 7));
  const std::string script =
      "seq 1 20000 | sort -rn | head -n 3; printf 'a\\nb\\nc\\n' | tr a-z A-Z | paste -sd, -; "
      "cat " +
      dir.file("data.bin") +
      " | wc -c; (echo out; echo err >&2) 2>&1 | sort; "
      "x=$(echo sub | tr s S); echo \"$x\"; exit 7";
  const Outcome plain = run_captured({"/bin/sh", "-c", script}, false);
  const std::set<pid_t> before = segment_pids();
  const Outcome preloaded = run_captured({"/bin/sh", "-c", script}, true);
  // dash ends its shells with _exit, which leaves their segments (a known
  // bug, see SegmentLifetime): this test cleans up after itself.
  remove_dead_segments_since(before, "sh");
  EXPECT_EQ(exit_code(plain.status), 7);
  EXPECT_EQ(plain.output, "20000\n19999\n19998\nA,B,C\n200000\nerr\nout\nSub\n");
  EXPECT_EQ(preloaded, plain);
}

TEST(ThirdPartyPrograms, ShouldListAndCatFilesIdentically) {
  TempDir dir;
  const std::string data = seeded_bytes(300'000, 11);
  write_file(dir.file("data.bin"), data);
  write_file(dir.file("readme.txt"), "hello\n", 0600);
  // -A, not -a: ".." is /tmp, whose time other tests change meanwhile.
  const std::vector<std::string> ls{"/bin/ls", "-lA", "--time-style=+%s", dir.path()};
  const Outcome plain_ls = run_captured(ls, false);
  EXPECT_EQ(exit_code(plain_ls.status), 0);
  EXPECT_NE(plain_ls.output.find("readme.txt"), std::string::npos) << plain_ls.output;
  EXPECT_EQ(run_captured(ls, true), plain_ls);

  const Outcome plain_cat = run_captured({"/bin/cat", dir.file("data.bin")}, false);
  const Outcome preloaded_cat = run_captured({"/bin/cat", dir.file("data.bin")}, true);
  EXPECT_EQ(exit_code(preloaded_cat.status), 0);
  EXPECT_TRUE(preloaded_cat.output == data) << "cat under the preload changed the bytes";
  EXPECT_TRUE(plain_cat.output == data);

  const Outcome missing = run_captured({"/bin/cat", dir.file("absent")}, true);
  EXPECT_EQ(missing, run_captured({"/bin/cat", dir.file("absent")}, false));
  EXPECT_EQ(exit_code(missing.status), 1);
}

}  // namespace
}  // namespace faultline::robustness
