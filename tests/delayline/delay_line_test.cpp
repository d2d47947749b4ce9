// The delay line seen from outside: real programs under the preload
// (tests/support/programs/delay_peer.cpp) with latency faults, and their
// peers in this process. Delays pipeline like a network's: event loops and
// blocking receivers keep up, readiness comes when data is due, order and
// data survive back-pressure, close and clearing the fault.
//
// Timing assertions are one-sided or wide: a delivery can never be earlier
// than its due time (asserted to the millisecond); "keeps up" is asserted
// against the serialized behaviour, which is orders of magnitude away.
#include <arpa/inet.h>
#include <dirent.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "../integration/integration_support.h"
#include "faultline/testing/loopback.h"
#include "faultline/testing/paths.h"
#include "faultline/testing/targets.h"

namespace faultline::integration {
namespace {

using testing::loopback;

abi::FaultSpec latency(const char* id, std::int64_t delay_ns, abi::Direction dir, abi::Proto proto) {
  abi::FaultSpec f = latency_fault(id, delay_ns);
  f.match.dir = static_cast<std::uint8_t>(dir);
  f.match.proto = static_cast<std::uint8_t>(proto);
  return f;
}

// A bound socket of this process (no preload) and its port.
int local_socket(int type, std::uint16_t* port) {
  const int fd = socket(AF_INET, type, 0);
  *port = testing::bind_loopback(fd);
  return fd;
}

testing::Process spawn_gated(const std::vector<std::string>& args, std::optional<cp::Client>* client) {
  std::vector<std::string> argv{testing::helper_path("delay_peer")};
  argv.insert(argv.end(), args.begin(), args.end());
  testing::Process p = testing::Process::spawn(argv, testing::SpawnOptions().with_stdin());
  std::string reason;
  *client = testing::wait_for_segment(p.pid(), 10s, &reason);
  if (!*client) throw std::runtime_error("delay_peer: no segment: " + reason);
  return p;
}

// A delay_peer in send-udp mode, ready, sending to `*rx` (a UDP socket of
// this process).
testing::Process spawn_udp_sender(int* rx, std::optional<cp::Client>* client) {
  std::uint16_t port = 0;
  *rx = local_socket(SOCK_DGRAM, &port);
  testing::Process p = spawn_gated({"--mode", "send-udp", "--port", std::to_string(port)}, client);
  const std::string ready = p.read_line(10s).value_or("");
  if (ready != "ready")
    throw std::runtime_error("delay_peer send-udp: expected \"ready\", got \"" + ready + "\"");
  return p;
}

TEST(DelayLine, ShouldServe32EpollConnectionsConcurrentlyUnder5msLatency) {
  EchoServer server = start_echo("delay_peer", {"--mode", "echo-tcp"});
  inject(*server.client, latency("lat-epoll", 5 * kMs, abi::Direction::kBoth, abi::Proto::kTcp));
  constexpr int kConnections = 32;
  std::atomic<long> round_trips{0};
  std::atomic<std::int64_t> min_rtt{INT64_MAX};
  std::atomic<bool> stop{false};
  std::vector<std::thread> clients;
  for (int c = 0; c < kConnections; ++c) {
    clients.emplace_back([&] {
      const int fd = socket(AF_INET, SOCK_STREAM, 0);
      const sockaddr_in a = loopback(server.port);
      if (connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) return;
      char buf[32] = "ping";
      while (!stop.load()) {
        const std::int64_t t0 = mono_ns();
        if (send(fd, buf, sizeof buf, MSG_NOSIGNAL) != static_cast<ssize_t>(sizeof buf)) break;
        std::size_t got = 0;
        while (got < sizeof buf) {
          const ssize_t r = recv(fd, buf + got, sizeof buf - got, 0);
          if (r <= 0) break;
          got += static_cast<std::size_t>(r);
        }
        if (got < sizeof buf) break;
        const std::int64_t rtt = mono_ns() - t0;
        std::int64_t m = min_rtt.load();
        while (rtt < m && !min_rtt.compare_exchange_weak(m, rtt)) {
        }
        round_trips.fetch_add(1);
      }
      close(fd);
    });
  }
  const std::int64_t t0 = mono_ns();
  std::this_thread::sleep_for(1500ms);
  stop = true;
  for (std::thread& t : clients) t.join();
  const double seconds = static_cast<double>(mono_ns() - t0) / 1e9;
  const double rate = static_cast<double>(round_trips.load()) / seconds;
  // Serialized in-thread waits would allow one 5 ms receive and one 5 ms
  // send at a time: 100 round trips per second. A network pipelines:
  // connections / round trip = 3200 per second.
  constexpr double kSerializedRate = 1.0 / 0.010;
  std::printf("%ld round trips in %.2f s: %.0f per second\n", round_trips.load(), seconds, rate);
  EXPECT_GT(rate, 8 * kSerializedRate) << round_trips.load() << " round trips in " << seconds << " s";
  EXPECT_GE(min_rtt.load(), 10 * kMs);
}

struct Lateness {
  std::uint64_t received = 0;
  std::int64_t min_ns = 0, p50_ns = 0, max_ns = 0;
  long spurious = 0;
};

// A receiver under the preload with an ingress delay; `count` datagrams sent
// at `per_second`, each carrying its send time.
Lateness feed_receiver(const std::string& loop, int count, int per_second, std::int64_t delay_ns) {
  std::vector<std::string> argv{testing::helper_path("delay_peer"),
                                "--mode",
                                "recv-udp",
                                "--loop",
                                loop,
                                "--count",
                                std::to_string(count),
                                "--wait-stdin"};
  testing::Process rx = testing::Process::spawn(argv, testing::SpawnOptions().with_stdin());
  const auto port_line = rx.read_line(10s);
  if (!port_line) throw std::runtime_error("delay_peer printed no port");
  std::string reason;
  std::optional<cp::Client> client = testing::wait_for_segment(rx.pid(), 10s, &reason);
  if (!client) throw std::runtime_error("no segment: " + reason);
  inject(*client, latency("lat-feed", delay_ns, abi::Direction::kIngress, abi::Proto::kUdp));
  rx.write_stdin("go\n");
  std::this_thread::sleep_for(50ms);  // the receiver is in its loop
  const int tx = socket(AF_INET, SOCK_DGRAM, 0);
  const sockaddr_in to = loopback(static_cast<std::uint16_t>(std::stoul(*port_line)));
  const std::int64_t start = mono_ns();
  const std::int64_t interval = 1'000'000'000 / per_second;
  for (int i = 0; i < count; ++i) {
    const std::int64_t at = start + i * interval;
    while (mono_ns() < at) std::this_thread::sleep_for(std::chrono::nanoseconds(at - mono_ns()));
    char buf[64] = {};
    const std::int64_t now = mono_ns();
    std::memcpy(buf, &now, sizeof now);
    sendto(tx, buf, sizeof buf, 0, reinterpret_cast<const sockaddr*>(&to), sizeof to);
  }
  close(tx);
  const auto line = rx.read_line(20s);
  if (!line) throw std::runtime_error("the receiver reported nothing");
  std::printf("%s receiver: %s\n", loop.c_str(), line->c_str());
  const nlohmann::json j = nlohmann::json::parse(*line);
  return Lateness{j.at("received"), j.at("min_ns"), j.at("p50_ns"), j.at("max_ns"), j.at("spurious")};
}

void expect_pipelined(const Lateness& l, int count, std::int64_t delay_ns) {
  EXPECT_EQ(l.received, static_cast<std::uint64_t>(count));
  EXPECT_GE(l.min_ns, delay_ns - 1 * kMs);  // never readable before due
  EXPECT_LT(l.p50_ns, delay_ns + 100 * kMs);
  // Serialized, the last datagram would be count * delay late (tens of seconds).
  EXPECT_LT(l.max_ns, delay_ns + 1000 * kMs);
}

TEST(DelayLine, ShouldKeepUpWithA500PerSecondFeedUnder200msIngressDelayInAnEpollLoop) {
  const Lateness l = feed_receiver("epoll", 500, 500, 200 * kMs);
  expect_pipelined(l, 500, 200 * kMs);
  EXPECT_LE(l.spurious, 2);  // the first arrival, before the descriptor was held
}

TEST(DelayLine, ShouldReportReadinessOnlyWhenDueInAPollLoop) {
  const Lateness l = feed_receiver("poll", 100, 500, 100 * kMs);
  expect_pipelined(l, 100, 100 * kMs);
  EXPECT_LE(l.spurious, 2);
}

TEST(DelayLine, ShouldReportReadinessOnlyWhenDueInASelectLoop) {
  const Lateness l = feed_receiver("select", 100, 500, 100 * kMs);
  expect_pipelined(l, 100, 100 * kMs);
  EXPECT_LE(l.spurious, 2);
}

TEST(DelayLine, ShouldPipelineDelaysForABlockingReceiver) {
  const Lateness l = feed_receiver("blocking", 200, 500, 100 * kMs);
  expect_pipelined(l, 200, 100 * kMs);
}

TEST(DelayLine, ShouldKeepTcpStreamOrderUnderJitter) {
  EchoServer server = start_echo("delay_peer", {"--mode", "echo-tcp"});
  abi::FaultSpec f = latency("lat-jitter", 5 * kMs, abi::Direction::kBoth, abi::Proto::kTcp);
  f.jitter_ns = 4 * kMs;
  f.distribution = static_cast<std::uint8_t>(abi::Distribution::kUniform);
  inject(*server.client, f);
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  const sockaddr_in a = loopback(server.port);
  ASSERT_EQ(connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a), 0);
  constexpr std::uint32_t kNumbers = 400;
  std::thread writer([&] {
    for (std::uint32_t i = 0; i < kNumbers; ++i) {
      send(fd, &i, sizeof i, MSG_NOSIGNAL);
      std::this_thread::sleep_for(200us);  // separate messages, separate delays
    }
  });
  std::vector<unsigned char> got;
  while (got.size() < kNumbers * sizeof(std::uint32_t)) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 10'000) <= 0) break;
    unsigned char buf[4096];
    const ssize_t r = recv(fd, buf, sizeof buf, 0);
    if (r <= 0) break;
    got.insert(got.end(), buf, buf + r);
  }
  writer.join();
  close(fd);
  ASSERT_EQ(got.size(), kNumbers * sizeof(std::uint32_t));
  for (std::uint32_t i = 0; i < kNumbers; ++i) {
    std::uint32_t v;
    std::memcpy(&v, got.data() + i * sizeof v, sizeof v);
    ASSERT_EQ(v, i) << "out of order at " << i;
  }
  EXPECT_GT(fault_view(*server.client, "lat-jitter")->hits, 0u);
}

TEST(DelayLine, ShouldGiveEagainWhenTheQueueIsFullAndStillDeliverItAfterClose) {
  std::uint16_t port = 0;
  const int listener = local_socket(SOCK_STREAM, &port);
  listen(listener, 4);
  std::optional<cp::Client> client;
  testing::Process peer = spawn_gated({"--mode", "flood-tcp", "--port", std::to_string(port)}, &client);
  ASSERT_EQ(peer.read_line(10s).value_or(""), "connected");
  const int conn = accept(listener, nullptr, nullptr);
  ASSERT_GE(conn, 0);
  constexpr std::int64_t kDelay = 200 * kMs;
  inject(*client, latency("lat-flood", kDelay, abi::Direction::kEgress, abi::Proto::kTcp));
  const std::int64_t go = mono_ns();
  peer.write_stdin("go\n");
  const std::string accepted_line = peer.read_line(10s).value_or("");
  ASSERT_EQ(accepted_line.rfind("accepted ", 0), 0u) << accepted_line;
  const std::uint64_t accepted = std::stoull(accepted_line.substr(9));
  // The line's limit (256 KiB, like a default SO_SNDBUF) gave EAGAIN.
  EXPECT_GE(accepted, 128u * 1024);
  EXPECT_LE(accepted, 512u * 1024);
  ASSERT_EQ(peer.read_line(10s).value_or(""), "closed");
  // Everything accepted arrives, in order, after the delay, then the end of stream.
  std::uint64_t total = 0;
  std::int64_t first = 0;
  bool in_order = true;
  for (;;) {
    pollfd p{conn, POLLIN, 0};
    if (poll(&p, 1, 10'000) <= 0) break;
    unsigned char buf[65536];
    const ssize_t r = recv(conn, buf, sizeof buf, 0);
    if (r <= 0) break;
    if (first == 0) first = mono_ns();
    for (ssize_t i = 0; i < r; ++i)
      in_order = in_order && buf[i] == static_cast<unsigned char>((total + i) & 0xff);
    total += static_cast<std::uint64_t>(r);
  }
  peer.write_stdin("exit\n");
  close(conn);
  close(listener);
  EXPECT_EQ(total, accepted);
  EXPECT_TRUE(in_order);
  EXPECT_GE(first - go, kDelay - 1 * kMs);
}

TEST(DelayLine, ShouldDeliverQueuedDatagramsInOrderWhenTheFaultIsCleared) {
  int rx = -1;
  std::optional<cp::Client> client;
  testing::Process peer = spawn_udp_sender(&rx, &client);
  constexpr std::int64_t kDelay = 300 * kMs;
  inject(*client, latency("lat-clear", kDelay, abi::Direction::kEgress, abi::Proto::kUdp));
  const std::int64_t t0 = mono_ns();
  peer.write_stdin("send 20\n");
  ASSERT_EQ(peer.read_line(10s).value_or(""), "sent 20");
  clear(*client, "lat-clear");
  peer.write_stdin("send 20\n");
  ASSERT_EQ(peer.read_line(10s).value_or(""), "sent 40");
  std::vector<std::uint32_t> got;
  std::int64_t first = 0;
  while (got.size() < 40) {
    pollfd p{rx, POLLIN, 0};
    if (poll(&p, 1, 5'000) <= 0) break;
    std::uint32_t v;
    if (recv(rx, &v, sizeof v, 0) != sizeof v) break;
    if (first == 0) first = mono_ns();
    got.push_back(v);
  }
  close(rx);
  ASSERT_EQ(got.size(), 40u);
  for (std::uint32_t i = 0; i < 40; ++i) EXPECT_EQ(got[i], i);
  EXPECT_GE(first - t0, kDelay - 1 * kMs);
}

// The sockets registered with the io_uring instances of process `pid`, as
// their fdinfo lists them ("    0: socket:[inode]" under "UserFiles:").
int sockets_registered_with_rings(pid_t pid) {
  const std::string dir = "/proc/" + std::to_string(pid) + "/fd";
  int sockets = 0;
  DIR* d = opendir(dir.c_str());
  while (d != nullptr) {
    const dirent* e = readdir(d);
    if (e == nullptr) break;
    char target[64];
    const ssize_t n = readlinkat(dirfd(d), e->d_name, target, sizeof target - 1);
    if (n <= 0 || std::string(target, static_cast<std::size_t>(n)) != "anon_inode:[io_uring]") continue;
    std::ifstream info("/proc/" + std::to_string(pid) + "/fdinfo/" + e->d_name);
    for (std::string line; std::getline(info, line);)
      if (line.find(": socket:[") != std::string::npos) ++sockets;
  }
  if (d != nullptr) closedir(d);
  return sockets;
}

// Before a write due after a long wait, the line's engine warms the kernel's
// send path with a datagram to itself (delay_engine.cpp). That socket lives
// in the engine's ring only: the program's descriptors and its peer see
// nothing of it.
TEST(DelayLine, ShouldKeepTheEnginesWarmUpSocketOutOfTheProgramAndItsTraffic) {
  int rx = -1;
  std::optional<cp::Client> client;
  testing::Process peer = spawn_udp_sender(&rx, &client);
  peer.write_stdin("sockets\n");
  const std::string before = peer.read_line(10s).value_or("");
  ASSERT_EQ(before.rfind("sockets ", 0), 0u) << before;
  constexpr std::int64_t kDelay = 20 * kMs;  // far above the engine's warm-up threshold (0.5 ms)
  inject(*client, latency("lat-warm", kDelay, abi::Direction::kEgress, abi::Proto::kUdp));
  std::vector<std::uint32_t> got;
  for (int i = 0; i < 3; ++i) {
    const std::int64_t sent = mono_ns();
    peer.write_stdin("send 1\n");
    ASSERT_EQ(peer.read_line(10s).value_or(""), "sent " + std::to_string(i + 1));
    pollfd p{rx, POLLIN, 0};
    ASSERT_EQ(poll(&p, 1, 5'000), 1);
    std::uint32_t v = 0;
    ASSERT_EQ(recv(rx, &v, sizeof v, 0), static_cast<ssize_t>(sizeof v));
    EXPECT_GE(mono_ns() - sent, kDelay - 1 * kMs);
    got.push_back(v);
  }
  // The warm-up socket exists (registered with the engine's ring)...
  EXPECT_EQ(sockets_registered_with_rings(peer.pid()), 1);
  // ...and is none of the program's descriptors.
  peer.write_stdin("sockets\n");
  EXPECT_EQ(peer.read_line(10s).value_or(""), before);
  pollfd p{rx, POLLIN, 0};
  EXPECT_EQ(poll(&p, 1, 100), 0) << "a datagram the program did not send";
  peer.write_stdin("exit\n");
  close(rx);
  EXPECT_EQ(got, (std::vector<std::uint32_t>{0, 1, 2}));
}

}  // namespace
}  // namespace faultline::integration
