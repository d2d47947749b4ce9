// The data faults seen from the peer: a real program under the preload
// (tests/support/programs/data_peer.cpp) sends or receives, the fault is
// armed through its segment, and this process, without the preload, is
// the other end that counts, times and checks what arrives.
//
// Timing is asserted only as a rate over seconds of traffic, with a
// tolerance derived below; statistical assertions use a fixed seed and
// bounds of several standard deviations.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "../integration/integration_support.h"
#include "faultline/testing/loopback.h"
#include "faultline/testing/targets.h"

namespace faultline::integration {
namespace {

using testing::loopback;

// A socket of this process bound to an ephemeral loopback port.
int bound(int type, std::uint16_t* port) {
  const int fd = socket(AF_INET, type, 0);
  const int big = 4 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
  *port = testing::bind_loopback(fd);
  if (type == SOCK_STREAM) listen(fd, 4);
  return fd;
}

abi::FaultSpec data_fault(const char* id, abi::FaultKind kind, abi::Direction dir, abi::Proto proto) {
  abi::FaultSpec f = latency_fault(id, 0);
  f.kind = static_cast<std::uint16_t>(kind);
  f.match.dir = static_cast<std::uint8_t>(dir);
  f.match.proto = static_cast<std::uint8_t>(proto);
  return f;
}

// data_peer under the preload, attached; `port_line`: it prints its port first.
struct Peer {
  testing::Process process;
  std::optional<cp::Client> client;
  std::uint16_t port = 0;

  void go() { process.write_stdin("go\n"); }
  nlohmann::json report() {
    const auto line = process.read_line(60s);
    if (!line) throw std::runtime_error("data_peer reported nothing");
    std::printf("data_peer: %.200s\n", line->c_str());
    return nlohmann::json::parse(*line);
  }
};

Peer spawn_peer(const std::vector<std::string>& args, bool port_line = false) {
  std::vector<std::string> argv{DATA_PEER_PATH};
  argv.insert(argv.end(), args.begin(), args.end());
  Peer p{testing::Process::spawn(argv, testing::SpawnOptions().with_stdin()), std::nullopt, 0};
  if (port_line) {
    const auto line = p.process.read_line(10s);
    if (!line) throw std::runtime_error("data_peer printed no port");
    p.port = static_cast<std::uint16_t>(std::stoul(*line));
  }
  std::string reason;
  p.client = testing::wait_for_segment(p.process.pid(), 10s, &reason);
  if (!p.client) throw std::runtime_error("data_peer: no segment: " + reason);
  return p;
}

// data_peer in `mode` (send-tcp or recv-tcp) moving `bytes` in 64 KiB
// chunks over a TCP connection from this test's `listener`; `conn` is this
// end (-1 if accept failed). The test closes both, when its check allows.
struct StreamPeer {
  int listener = -1;
  Peer peer;
  int conn = -1;
};

StreamPeer spawn_stream_peer(const char* mode, long bytes) {
  std::uint16_t port = 0;
  const int listener = bound(SOCK_STREAM, &port);
  Peer peer = spawn_peer(
      {"--mode", mode, "--port", std::to_string(port), "--bytes", std::to_string(bytes), "--chunk", "65536"});
  const int conn = accept(listener, nullptr, nullptr);
  return {listener, std::move(peer), conn};
}

// data_peer sending `count` datagrams of `size` bytes (and `more` of its
// options) to `rx`, a UDP socket of this test that the test closes.
struct DatagramSender {
  int rx = -1;
  Peer peer;
};

DatagramSender spawn_datagram_sender(int count, std::size_t size, const std::vector<std::string>& more = {}) {
  std::uint16_t port = 0;
  const int rx = bound(SOCK_DGRAM, &port);
  std::vector<std::string> args{
      "--mode", "send-udp",          "--port", std::to_string(port), "--count", std::to_string(count),
      "--size", std::to_string(size)};
  args.insert(args.end(), more.begin(), more.end());
  return {rx, spawn_peer(args)};
}

// The byte stream data_peer sends and checks: byte i is i % 251.
std::vector<unsigned char> stream_pattern(std::size_t bytes) {
  std::vector<unsigned char> data(bytes);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<unsigned char>(i % 251);
  return data;
}

// Every datagram that reaches `fd` until it has been quiet for `quiet`.
std::vector<std::vector<unsigned char>> receive_datagrams(int fd, std::size_t max_size, int quiet_ms = 1000) {
  std::vector<std::vector<unsigned char>> out;
  std::vector<unsigned char> buf(max_size + 64);
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, quiet_ms) <= 0) return out;
    const ssize_t r = recv(fd, buf.data(), buf.size(), 0);
    if (r >= 0) out.emplace_back(buf.begin(), buf.begin() + r);
  }
}

// The datagram data_peer sends with sequence number `seq`.
std::vector<unsigned char> expected_datagram(std::uint32_t seq, std::size_t size) {
  std::vector<unsigned char> d(size);
  std::memcpy(d.data(), &seq, sizeof seq);
  for (std::size_t i = sizeof seq; i < size; ++i) d[i] = static_cast<unsigned char>((seq + i) % 251);
  return d;
}

std::uint32_t seq_of(const std::vector<unsigned char>& d) {
  std::uint32_t seq = UINT32_MAX;
  if (d.size() >= sizeof seq) std::memcpy(&seq, d.data(), sizeof seq);
  return seq;
}

void send_datagrams(std::uint16_t port, int count, std::size_t size) {
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  const sockaddr_in to = loopback(port);
  for (int i = 0; i < count; ++i) {
    const std::vector<unsigned char> d = expected_datagram(static_cast<std::uint32_t>(i), size);
    sendto(fd, d.data(), d.size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof to);
    if (i % 16 == 15) usleep(1000);
  }
  close(fd);
}

// Reads a TCP connection to its end, checking data_peer's pattern; the
// bytes, the pattern errors, and when the first and last reads returned.
struct StreamSeen {
  long bytes = 0, bad = 0, first_read = 0;
  std::int64_t first_ns = 0, last_ns = 0;
};
StreamSeen read_stream(int fd) {
  StreamSeen s;
  std::vector<unsigned char> buf(1 << 16);
  for (;;) {
    const ssize_t r = recv(fd, buf.data(), buf.size(), 0);
    if (r <= 0) return s;
    const std::int64_t now = mono_ns();
    if (s.bytes == 0) {
      s.first_ns = now;
      s.first_read = r;
    }
    s.last_ns = now;
    for (ssize_t i = 0; i < r; ++i)
      if (buf[static_cast<std::size_t>(i)] != static_cast<unsigned char>((s.bytes + i) % 251)) ++s.bad;
    s.bytes += r;
  }
}

// Lets a send-tcp peer go and reads its stream to the end; closes this end
// before asking for the report (data_peer waits for it), then the listener.
struct StreamReceived {
  StreamSeen seen;
  nlohmann::json report;
};

StreamReceived receive_stream(StreamPeer& sender) {
  sender.peer.go();
  StreamReceived out{read_stream(sender.conn), {}};
  close(sender.conn);
  out.report = sender.peer.report();
  close(sender.listener);
  return out;
}

TEST(DataFaults, ShouldDeliverAboutRateBytesPerSecondUnderBandwidth) {
  constexpr long kBytes = 2'000'000;
  constexpr std::uint64_t kRate = 1'000'000;  // 1 MB/s: two seconds of traffic
  StreamPeer sender = spawn_stream_peer("send-tcp", kBytes);
  ASSERT_GE(sender.conn, 0);
  abi::FaultSpec f = data_fault("bw", abi::FaultKind::kBandwidth, abi::Direction::kEgress, abi::Proto::kTcp);
  f.rate_bytes_per_s = kRate;
  inject(*sender.peer.client, f);
  const auto [seen, report] = receive_stream(sender);
  EXPECT_EQ(seen.bytes, kBytes);
  EXPECT_EQ(seen.bad, 0);
  EXPECT_EQ(report.at("bytes").get<long>(), kBytes);
  // The rate after the first read: each message is due when its bytes are
  // paid for, at absolute instants of the bucket, so scheduling noise does
  // not accumulate; the error is the two end points' lateness (a few ms of
  // two seconds) and the granularity of a message (10 ms of rate, 0.5%).
  // 5% is ten times that; unpaced loopback TCP is hundreds of times faster.
  const double seconds = static_cast<double>(seen.last_ns - seen.first_ns) / 1e9;
  const double rate = static_cast<double>(seen.bytes - seen.first_read) / seconds;
  std::printf("peer measured %.0f bytes/s for --rate %llu over %.2f s\n", rate,
              static_cast<unsigned long long>(kRate), seconds);
  EXPECT_NEAR(rate, static_cast<double>(kRate), 0.05 * static_cast<double>(kRate));
}

TEST(DataFaults, ShouldReceiveAboutRateBytesPerSecondUnderIngressBandwidth) {
  constexpr long kBytes = 4'000'000;
  constexpr std::uint64_t kRate = 2'000'000;  // two seconds of traffic
  auto [listener, peer, conn] = spawn_stream_peer("recv-tcp", kBytes);
  ASSERT_GE(conn, 0);
  abi::FaultSpec f =
      data_fault("bw-in", abi::FaultKind::kBandwidth, abi::Direction::kIngress, abi::Proto::kTcp);
  f.rate_bytes_per_s = kRate;
  inject(*peer.client, f);
  peer.go();
  std::thread sender([&] {
    const std::vector<unsigned char> data = stream_pattern(kBytes);
    EXPECT_EQ(send(conn, data.data(), data.size(), MSG_NOSIGNAL), kBytes);
  });
  const nlohmann::json report = peer.report();
  sender.join();
  close(conn);
  close(listener);
  EXPECT_EQ(report.at("bytes").get<long>(), kBytes);
  EXPECT_EQ(report.at("bad").get<long>(), 0);
  // Held ingress is drained in chunks of up to 64 KiB, each due when paid
  // for: the end points are off by at most a chunk each, 2 x 64 KiB of
  // 4 MB = 3.3%; 8% leaves room for scheduling. Unpaced it is ~100x faster.
  const double seconds = report.at("span_ns").get<double>() / 1e9;
  const double rate = static_cast<double>(kBytes - report.at("first_read").get<long>()) / seconds;
  std::printf("the program received %.0f bytes/s for --rate %llu over %.2f s\n", rate,
              static_cast<unsigned long long>(kRate), seconds);
  EXPECT_NEAR(rate, static_cast<double>(kRate), 0.08 * static_cast<double>(kRate));
}

TEST(DataFaults, ShouldShortenEveryStreamWriteToSliceMax) {
  constexpr long kBytes = 300'000;
  constexpr std::uint32_t kSlice = 1000;
  StreamPeer sender = spawn_stream_peer("send-tcp", kBytes);
  ASSERT_GE(sender.conn, 0);
  abi::FaultSpec f = data_fault("slice", abi::FaultKind::kSlice, abi::Direction::kEgress, abi::Proto::kTcp);
  f.slice_max = kSlice;
  inject(*sender.peer.client, f);
  const auto [seen, report] = receive_stream(sender);
  // Every send returned at most --max bytes; the program finished the short
  // writes and the peer got every byte, in order.
  EXPECT_LE(report.at("max_ret").get<long>(), static_cast<long>(kSlice));
  EXPECT_GE(report.at("calls").get<long>(), kBytes / kSlice);
  EXPECT_EQ(seen.bytes, kBytes);
  EXPECT_EQ(seen.bad, 0);
}

TEST(DataFaults, ShouldShortenEveryStreamReadToSliceMax) {
  constexpr long kBytes = 300'000;
  constexpr std::uint32_t kSlice = 700;
  auto [listener, peer, conn] = spawn_stream_peer("recv-tcp", kBytes);
  ASSERT_GE(conn, 0);
  abi::FaultSpec f =
      data_fault("slice-in", abi::FaultKind::kSlice, abi::Direction::kIngress, abi::Proto::kTcp);
  f.slice_max = kSlice;
  inject(*peer.client, f);
  const std::vector<unsigned char> data = stream_pattern(kBytes);
  ASSERT_EQ(send(conn, data.data(), data.size(), MSG_NOSIGNAL), kBytes);  // the kernel buffers it
  peer.go();
  const nlohmann::json report = peer.report();
  close(conn);
  close(listener);
  EXPECT_EQ(report.at("bytes").get<long>(), kBytes);
  EXPECT_EQ(report.at("bad").get<long>(), 0);
  EXPECT_LE(report.at("max_ret").get<long>(), static_cast<long>(kSlice));
  EXPECT_GE(report.at("calls").get<long>(), kBytes / kSlice);
}

int popcount_of_difference(const std::vector<unsigned char>& a, const std::vector<unsigned char>& b) {
  if (a.size() != b.size()) return -1;
  int bits = 0;
  for (std::size_t i = 0; i < a.size(); ++i) bits += __builtin_popcount(static_cast<unsigned>(a[i] ^ b[i]));
  return bits;
}

TEST(DataFaults, ShouldFlipExactlyOneBitOfCorruptedDatagrams) {
  constexpr int kCount = 200;
  constexpr std::size_t kSize = 300;
  auto [rx, peer] = spawn_datagram_sender(kCount, kSize);
  inject(*peer.client,
         data_fault("corrupt", abi::FaultKind::kCorrupt, abi::Direction::kEgress, abi::Proto::kUdp));
  peer.go();
  const auto got = receive_datagrams(rx, kSize);
  peer.report();
  close(rx);
  // Loopback keeps the order: the i-th datagram is the one sent i-th (its
  // sequence number may be where the bit flipped, so it is not read back).
  ASSERT_EQ(got.size(), static_cast<std::size_t>(kCount));
  std::map<std::size_t, int> flipped_at;  // byte index -> datagrams
  for (int i = 0; i < kCount; ++i) {
    const std::vector<unsigned char> want = expected_datagram(static_cast<std::uint32_t>(i), kSize);
    ASSERT_EQ(popcount_of_difference(got[static_cast<std::size_t>(i)], want), 1) << "datagram " << i;
    for (std::size_t b = 0; b < kSize; ++b)
      if (got[static_cast<std::size_t>(i)][b] != want[b]) ++flipped_at[b];
  }
  // The position is drawn per datagram: 200 draws over 300 bytes land on
  // ~145 distinct bytes; a fixed position would be 1.
  EXPECT_GT(flipped_at.size(), 50u);
}

TEST(DataFaults, ShouldFlipExactlyOneBitOfReceivedDatagramsUnderIngressCorrupt) {
  constexpr int kCount = 100;
  constexpr std::size_t kSize = 64;
  Peer peer = spawn_peer({"--mode", "recv-udp", "--count", std::to_string(kCount), "--size",
                          std::to_string(kSize), "--report-bytes"},
                         true);
  inject(*peer.client,
         data_fault("corrupt-in", abi::FaultKind::kCorrupt, abi::Direction::kIngress, abi::Proto::kUdp));
  peer.go();
  send_datagrams(peer.port, kCount, kSize);
  const nlohmann::json report = peer.report();
  ASSERT_EQ(report.at("received").get<int>(), kCount);
  const auto& data = report.at("data");
  for (int i = 0; i < kCount; ++i) {
    const std::vector<unsigned char> got =
        data.at(static_cast<std::size_t>(i)).get<std::vector<unsigned char>>();
    EXPECT_EQ(popcount_of_difference(got, expected_datagram(static_cast<std::uint32_t>(i), kSize)), 1)
        << "datagram " << i;
  }
}

TEST(DataFaults, ShouldDeliverEveryDatagramTwiceAtHundredPercentDuplicate) {
  constexpr int kCount = 100;
  constexpr std::size_t kSize = 64;
  auto [rx, peer] = spawn_datagram_sender(kCount, kSize);
  inject(*peer.client,
         data_fault("dup", abi::FaultKind::kDuplicate, abi::Direction::kEgress, abi::Proto::kUdp));
  peer.go();
  const auto got = receive_datagrams(rx, kSize);
  const nlohmann::json report = peer.report();
  close(rx);
  EXPECT_EQ(report.at("returned").get<int>(), kCount);  // each send reported once
  ASSERT_EQ(got.size(), 2u * kCount);
  std::map<std::uint32_t, int> copies;
  for (const auto& d : got) {
    EXPECT_EQ(d, expected_datagram(seq_of(d), kSize));
    ++copies[seq_of(d)];
  }
  ASSERT_EQ(copies.size(), static_cast<std::size_t>(kCount));
  for (const auto& [seq, n] : copies) EXPECT_EQ(n, 2) << "datagram " << seq;
}

TEST(DataFaults, ShouldDeliverEveryReceivedDatagramTwiceAtHundredPercentIngressDuplicate) {
  constexpr int kCount = 100;
  constexpr std::size_t kSize = 64;
  Peer peer = spawn_peer(
      {"--mode", "recv-udp", "--count", std::to_string(2 * kCount), "--size", std::to_string(kSize)}, true);
  inject(*peer.client,
         data_fault("dup-in", abi::FaultKind::kDuplicate, abi::Direction::kIngress, abi::Proto::kUdp));
  peer.go();
  send_datagrams(peer.port, kCount, kSize);
  const nlohmann::json report = peer.report();
  const std::vector<long> seqs = report.at("seqs").get<std::vector<long>>();
  ASSERT_EQ(seqs.size(), 2u * kCount);
  for (int i = 0; i < kCount; ++i) {  // each one twice, back to back
    EXPECT_EQ(seqs[2 * static_cast<std::size_t>(i)], i);
    EXPECT_EQ(seqs[2 * static_cast<std::size_t>(i) + 1], i);
  }
}

// With an ingress latency fault too, the delay line holds the descriptor and
// decides the data faults at arrival: the duplicate is a second queued
// copy, the flipped bit is in the held copy, and neither is lost there.
TEST(DataFaults, ShouldDuplicateAndCorruptDatagramsTheDelayLineHolds) {
  constexpr int kCount = 50;
  constexpr std::size_t kSize = 64;
  Peer peer = spawn_peer({"--mode", "recv-udp", "--count", std::to_string(2 * kCount), "--size",
                          std::to_string(kSize), "--report-bytes"},
                         true);
  abi::FaultSpec lat = latency_fault("lat-in", 5 * kMs);
  lat.match.dir = static_cast<std::uint8_t>(abi::Direction::kIngress);
  lat.match.proto = static_cast<std::uint8_t>(abi::Proto::kUdp);
  inject(*peer.client, lat);
  inject(*peer.client,
         data_fault("dup-held", abi::FaultKind::kDuplicate, abi::Direction::kIngress, abi::Proto::kUdp));
  inject(*peer.client,
         data_fault("corrupt-held", abi::FaultKind::kCorrupt, abi::Direction::kIngress, abi::Proto::kUdp));
  peer.go();
  std::this_thread::sleep_for(50ms);  // the receiver is in its loop
  send_datagrams(peer.port, kCount, kSize);
  const nlohmann::json report = peer.report();
  const auto& data = report.at("data");
  ASSERT_EQ(data.size(), 2u * kCount);
  // Arrival order is kept (same due time); of each pair one copy is intact
  // and one has exactly one bit flipped.
  for (int i = 0; i < kCount; ++i) {
    const std::vector<unsigned char> want = expected_datagram(static_cast<std::uint32_t>(i), kSize);
    const int a = popcount_of_difference(
        data.at(2 * static_cast<std::size_t>(i)).get<std::vector<unsigned char>>(), want);
    const int b = popcount_of_difference(
        data.at(2 * static_cast<std::size_t>(i) + 1).get<std::vector<unsigned char>>(), want);
    EXPECT_EQ(a + b, 1) << "datagram " << i << ": " << a << " and " << b << " bits differ";
  }
}

TEST(DataFaults, ShouldDeliverHeldDatagramAfterTheGap) {
  constexpr int kCount = 10;
  constexpr std::uint32_t kGap = 3;
  auto [rx, peer] = spawn_datagram_sender(kCount, 64);
  abi::FaultSpec f =
      data_fault("reorder", abi::FaultKind::kReorder, abi::Direction::kEgress, abi::Proto::kUdp);
  f.gap = kGap;
  f.max_hits = 1;  // the first datagram only
  inject(*peer.client, f);
  peer.go();
  const auto got = receive_datagrams(rx, 64);
  peer.report();
  close(rx);
  std::vector<std::uint32_t> order;
  for (const auto& d : got) order.push_back(seq_of(d));
  const std::vector<std::uint32_t> want{1, 2, 3, 0, 4, 5, 6, 7, 8, 9};
  EXPECT_EQ(order, want);
}

TEST(DataFaults, ShouldDeliverHeldDatagramAfterTheGapOnIngress) {
  constexpr int kCount = 10;
  Peer peer = spawn_peer({"--mode", "recv-udp", "--count", std::to_string(kCount), "--size", "64"}, true);
  abi::FaultSpec f =
      data_fault("reorder-in", abi::FaultKind::kReorder, abi::Direction::kIngress, abi::Proto::kUdp);
  f.gap = 2;
  f.max_hits = 1;
  inject(*peer.client, f);
  peer.go();
  std::this_thread::sleep_for(50ms);  // the receiver is in its loop
  send_datagrams(peer.port, kCount, 64);
  const nlohmann::json report = peer.report();
  const std::vector<long> want{1, 2, 0, 3, 4, 5, 6, 7, 8, 9};
  EXPECT_EQ(report.at("seqs").get<std::vector<long>>(), want);
}

TEST(DataFaults, ShouldDropMessagesOfASendmmsgBatchUnderLoss) {
  constexpr int kCount = 1000;
  constexpr int kBatch = 10;
  auto [rx, peer] = spawn_datagram_sender(kCount, 64, {"--batch", std::to_string(kBatch)});
  abi::FaultSpec f = loss_fault("mmsg-loss", 500'000);
  f.match.dir = static_cast<std::uint8_t>(abi::Direction::kEgress);
  f.match.proto = static_cast<std::uint8_t>(abi::Proto::kUdp);
  inject(*peer.client, f);
  peer.go();
  const auto got = receive_datagrams(rx, 64);
  const nlohmann::json report = peer.report();
  close(rx);
  // The program sees every batch sent whole (a lost datagram is reported
  // sent), each message with its length.
  EXPECT_EQ(report.at("returned").get<int>(), kCount);
  EXPECT_EQ(report.at("short_batches").get<int>(), 0);
  EXPECT_EQ(report.at("bad_len").get<int>(), 0);
  // Each message is lost on its own with p = 0.5: 1000 draws, sd 15.8, and
  // the bound is 6 sd either side. Were whole batches kept or lost together,
  // few would arrive in part; with independent losses a batch of 10 does
  // with probability 1 - 2/1024, so nearly all 100 do.
  const double sd = std::sqrt(kCount * 0.25);
  EXPECT_NEAR(static_cast<double>(got.size()), kCount * 0.5, 6 * sd);
  std::map<std::uint32_t, int> per_batch;
  for (const auto& d : got) ++per_batch[seq_of(d) / kBatch];
  int partial = 0;
  for (const auto& [batch, n] : per_batch) partial += n > 0 && n < kBatch ? 1 : 0;
  // P(a batch of 10 is neither all kept nor all lost) = 1 - 2/1024.
  EXPECT_GT(partial, 90);
}

TEST(DataFaults, ShouldDropMessagesOfARecvmmsgBatchUnderLoss) {
  constexpr int kCount = 1000;
  Peer peer = spawn_peer(
      {"--mode", "recv-udp", "--count", std::to_string(kCount), "--size", "64", "--batch", "8"}, true);
  abi::FaultSpec f = loss_fault("mmsg-loss-in", 500'000);
  f.match.dir = static_cast<std::uint8_t>(abi::Direction::kIngress);
  f.match.proto = static_cast<std::uint8_t>(abi::Proto::kUdp);
  inject(*peer.client, f);
  peer.go();
  std::this_thread::sleep_for(50ms);
  send_datagrams(peer.port, kCount, 64);
  const nlohmann::json report = peer.report();
  const std::vector<long> seqs = report.at("seqs").get<std::vector<long>>();
  const double sd = std::sqrt(kCount * 0.25);
  EXPECT_NEAR(static_cast<double>(seqs.size()), kCount * 0.5, 6 * sd);
  for (std::size_t i = 1; i < seqs.size(); ++i) EXPECT_LT(seqs[i - 1], seqs[i]);  // nothing twice, in order
}

}  // namespace
}  // namespace faultline::integration
