// Connection faults seen from outside: conn_peer (tests/support/programs)
// runs under the preload, its peer is this process (no preload), faults are
// armed through the control plane as the CLI arms them. Each test checks
// what the peer sees (a real RST, nothing delivered, no connection reaching
// the listener) and what the program under the preload is told.
#include <arpa/inet.h>
#include <errno.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include "../integration/integration_support.h"
#include "faultline/testing/loopback.h"
#include "faultline/testing/paths.h"
#include "faultline/testing/targets.h"

namespace faultline::integration {
namespace {

using testing::loopback;

// A socket of this process bound to a loopback port (listening for TCP).
struct Local {
  int fd = -1;
  std::uint16_t port = 0;
  explicit Local(int type) {
    fd = socket(AF_INET, type, 0);
    port = testing::bind_loopback(fd);
    if (type == SOCK_STREAM) listen(fd, 16);
  }
  ~Local() { close(fd); }
  Local(const Local&) = delete;
  Local& operator=(const Local&) = delete;
  std::string port_text() const { return std::to_string(port); }
};

// Whether `fd` becomes readable within `ms` (for a listener: a connection waits).
bool readable_within(int fd, int ms) {
  pollfd p{fd, POLLIN, 0};
  return poll(&p, 1, ms) > 0 && (p.revents & POLLIN) != 0;
}

int accept_within(int listener, int ms) {
  return readable_within(listener, ms) ? accept(listener, nullptr, nullptr) : -1;
}

int connect_to(std::uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  const sockaddr_in a = loopback(port);
  if (connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// One receive with a timeout: bytes, 0 at end of stream, or -errno.
long receive(int fd, int timeout_ms) {
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char buf[4096];
  const ssize_t r = recv(fd, buf, sizeof buf, 0);
  return r >= 0 ? static_cast<long>(r) : -errno;
}

// conn_peer under the preload, attached, answering one line per command.
class Peer {
 public:
  Peer()
      : process_(testing::Process::spawn({testing::helper_path("conn_peer")},
                                         testing::SpawnOptions().with_stdin())) {
    const auto ready = process_.read_line(10s);
    if (!ready || *ready != "ready") throw std::runtime_error("conn_peer did not start");
    std::string reason;
    client_ = testing::wait_for_segment(process_.pid(), 10s, &reason);
    if (!client_) throw std::runtime_error("conn_peer: no segment: " + reason);
  }

  std::string ask(const std::string& command, std::chrono::milliseconds timeout = 5s) {
    send(command);
    return answer(timeout);
  }
  void send(const std::string& command) { process_.write_stdin(command + "\n"); }
  std::string answer(std::chrono::milliseconds timeout = 5s) {
    const auto line = process_.read_line(timeout);
    return line ? *line : "<no answer>";
  }
  cp::Client& client() { return *client_; }

 private:
  testing::Process process_;
  std::optional<cp::Client> client_;
};

abi::FaultSpec fault(const char* id, abi::FaultKind kind, std::uint16_t dst_port,
                     std::uint16_t src_port = 0) {
  abi::FaultSpec f = latency_fault(id, 0);
  f.kind = static_cast<std::uint16_t>(kind);
  f.match.dst_port = dst_port;
  f.match.src_port = src_port;
  return f;
}

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

// Has the peer connect to `listener` and accepts that connection: this
// side of it, or -1 if the connect or the accept failed.
int peer_connection(Peer& peer, const Local& listener) {
  if (!starts_with(peer.ask("connect " + listener.port_text()), "connect ok")) return -1;
  return accept_within(listener.fd, 2000);
}

// The number after "<word> <what> " in an answer, e.g. elapsed ms of "connect err ETIMEDOUT 301".
long last_number(const std::string& s) {
  const std::size_t sp = s.rfind(' ');
  return sp == std::string::npos ? -1 : std::strtol(s.c_str() + sp + 1, nullptr, 10);
}

unsigned events_of(const std::string& s) {
  return static_cast<unsigned>(std::strtoul(s.c_str() + s.rfind(' ') + 1, nullptr, 16));
}

// ---- reset ----

TEST(ConnectionFaults, ShouldSendARealRstToThePeerWhenResetFires) {
  Local listener(SOCK_STREAM);
  Peer peer;
  const int s = peer_connection(peer, listener);
  ASSERT_GE(s, 0);
  inject(peer.client(), fault("reset-1", abi::FaultKind::kReset, listener.port));
  EXPECT_EQ(peer.ask("send 5"), "send err ECONNRESET");
  EXPECT_EQ(receive(s, 2000), -ECONNRESET);  // the RST reached this side: not an end of stream
  close(s);
}

TEST(ConnectionFaults, ShouldKeepTheDescriptorValidAndReportEconnresetAfterReset) {
  Local listener(SOCK_STREAM);
  Peer peer;
  const int s = peer_connection(peer, listener);
  ASSERT_GE(s, 0);
  inject(peer.client(), fault("reset-2", abi::FaultKind::kReset, listener.port));
  ASSERT_EQ(peer.ask("send 5"), "send err ECONNRESET");
  EXPECT_EQ(peer.ask("recv"), "recv err ECONNRESET");
  EXPECT_EQ(peer.ask("recv"), "recv err ECONNRESET");
  EXPECT_EQ(peer.ask("send 3 nosignal"), "send err EPIPE");
  EXPECT_EQ(peer.ask("sigpipes"), "sigpipes 0");
  EXPECT_EQ(peer.ask("send 3"), "send err EPIPE");
  EXPECT_EQ(peer.ask("sigpipes"), "sigpipes 1");
  // An event loop wakes up for it, as for a connection the kernel reset.
  EXPECT_NE(events_of(peer.ask("poll in 1000")) & POLLHUP, 0u);
  EXPECT_NE(events_of(peer.ask("epoll in 1000")) & POLLHUP, 0u);
  EXPECT_EQ(peer.ask("select in 1000"), "select 1");
  // Clearing the fault does not revive the connection: it stays reset until closed.
  clear(peer.client(), "reset-2");
  EXPECT_EQ(peer.ask("recv"), "recv err ECONNRESET");
  EXPECT_EQ(peer.ask("sendmmsg"), "sendmmsg err EPIPE");
  EXPECT_EQ(peer.ask("recvmmsg"), "recvmmsg err ECONNRESET");
  EXPECT_EQ(peer.ask("recvmmsg"), "recvmmsg err ECONNRESET");
  EXPECT_EQ(peer.ask("close"), "closed");
  // The descriptor number (likely reused) carries nothing over.
  const int s2 = peer_connection(peer, listener);
  ASSERT_GE(s2, 0);
  ASSERT_EQ(::send(s2, "abcd", 4, 0), 4);
  EXPECT_EQ(peer.ask("recv timeout 2000"), "recv 4");
  close(s);
  close(s2);
}

TEST(ConnectionFaults, ShouldResetAConnectionAcceptedWhileResetIsArmed) {
  Peer peer;
  const std::string port = peer.ask("listen");
  ASSERT_TRUE(starts_with(port, "port "));
  const auto server_port = static_cast<std::uint16_t>(last_number(port));
  abi::FaultSpec f = fault("reset-accept", abi::FaultKind::kReset, 0, server_port);
  f.match.dir = static_cast<std::uint8_t>(abi::Direction::kIngress);
  inject(peer.client(), f);
  const int c = connect_to(server_port);
  ASSERT_GE(c, 0);
  EXPECT_EQ(peer.ask("accept"), "accept ok");  // accept still returns it
  EXPECT_EQ(receive(c, 2000), -ECONNRESET);
  EXPECT_EQ(peer.ask("recv"), "recv err ECONNRESET");
  close(c);
}

// ---- refuse ----

TEST(ConnectionFaults, ShouldRefuseConnectWithEconnrefusedWhenRefuseMatches) {
  Local listener(SOCK_STREAM);
  Peer peer;
  inject(peer.client(), fault("refuse-1", abi::FaultKind::kRefuse, listener.port));
  EXPECT_TRUE(starts_with(peer.ask("connect " + listener.port_text()), "connect err ECONNREFUSED"));
  EXPECT_TRUE(starts_with(peer.ask("connect " + listener.port_text() + " nb"), "connect err ECONNREFUSED"));
  EXPECT_FALSE(readable_within(listener.fd, 200)) << "a refused connect reached the listener";
  clear(peer.client(), "refuse-1");
  abi::FaultSpec unreachable = fault("refuse-2", abi::FaultKind::kRefuse, listener.port);
  unreachable.err = ENETUNREACH;
  inject(peer.client(), unreachable);
  EXPECT_TRUE(starts_with(peer.ask("connect " + listener.port_text()), "connect err ENETUNREACH"));
  clear(peer.client(), "refuse-2");
  EXPECT_TRUE(starts_with(peer.ask("connect " + listener.port_text()), "connect ok"));
  const int s = accept_within(listener.fd, 2000);
  EXPECT_GE(s, 0);
  close(s);
}

TEST(ConnectionFaults, ShouldRefuseIncomingConnectionsOnAcceptSide) {
  Peer peer;
  const auto server_port = static_cast<std::uint16_t>(last_number(peer.ask("listen")));
  inject(peer.client(), fault("refuse-accept", abi::FaultKind::kRefuse, 0, server_port));
  peer.send("accept");  // blocks, refusing what comes in
  const int refused = connect_to(server_port);
  ASSERT_GE(refused, 0);  // the kernel completed the handshake before accept saw it
  EXPECT_EQ(receive(refused, 2000), -ECONNRESET);
  clear(peer.client(), "refuse-accept");
  const int welcome = connect_to(server_port);
  ASSERT_GE(welcome, 0);
  EXPECT_EQ(peer.answer(), "accept ok");  // the blocked accept went on waiting and returns this one
  ASSERT_EQ(::send(welcome, "hi", 2, 0), 2);
  EXPECT_EQ(peer.ask("recv timeout 2000"), "recv 2");
  close(refused);
  close(welcome);
}

TEST(ConnectionFaults, ShouldAnswerEagainToANonBlockingAcceptThatRefused) {
  Peer peer;
  const auto server_port = static_cast<std::uint16_t>(last_number(peer.ask("listen nb")));
  inject(peer.client(), fault("refuse-accept-nb", abi::FaultKind::kRefuse, 0, server_port));
  const int refused = connect_to(server_port);
  ASSERT_GE(refused, 0);
  std::this_thread::sleep_for(100ms);  // queued in the listener's backlog
  EXPECT_EQ(peer.ask("accept"), "accept err EAGAIN");
  EXPECT_EQ(receive(refused, 2000), -ECONNRESET);
  close(refused);
}

// ---- blackhole ----

TEST(ConnectionFaults, ShouldSwallowSendsAndDeliverNothingUnderBlackhole) {
  Local listener(SOCK_STREAM);
  Peer peer;
  const int s = peer_connection(peer, listener);
  ASSERT_GE(s, 0);
  inject(peer.client(), fault("hole-1", abi::FaultKind::kBlackhole, listener.port));
  EXPECT_EQ(peer.ask("send 100"), "send 100");  // reported sent
  EXPECT_FALSE(readable_within(s, 300)) << "a blackholed send was delivered";
  ASSERT_EQ(::send(s, "0123456789", 10, 0), 10);
  EXPECT_EQ(peer.ask("recv timeout 300"), "recv err EAGAIN");  // the caller's SO_RCVTIMEO, nothing received
  ASSERT_EQ(::send(s, "0123456789", 10, 0), 10);
  EXPECT_EQ(peer.ask("recv nb"), "recv err EAGAIN");
  clear(peer.client(), "hole-1");
  EXPECT_EQ(peer.ask("send 7"), "send 7");
  EXPECT_EQ(receive(s, 2000), 7);  // only what was sent after the fault
  ASSERT_EQ(::send(s, "abcde", 5, 0), 5);
  EXPECT_EQ(peer.ask("recv timeout 2000"), "recv 5");
  close(s);
}

TEST(ConnectionFaults, ShouldSwallowDatagramsUnderBlackhole) {
  Local receiver(SOCK_DGRAM);
  Peer peer;
  ASSERT_TRUE(starts_with(peer.ask("udp " + receiver.port_text()), "udp ok"));
  inject(peer.client(), fault("hole-udp", abi::FaultKind::kBlackhole, receiver.port));
  for (int i = 0; i < 3; ++i) EXPECT_EQ(peer.ask("send 10"), "send 10");
  EXPECT_FALSE(readable_within(receiver.fd, 300)) << "a blackholed datagram was delivered";
  clear(peer.client(), "hole-udp");
  EXPECT_EQ(peer.ask("send 12"), "send 12");
  EXPECT_EQ(receive(receiver.fd, 2000), 12);
}

TEST(ConnectionFaults, ShouldHangConnectUntilTheCallersTimeoutUnderBlackhole) {
  Local listener(SOCK_STREAM);
  Peer peer;
  inject(peer.client(), fault("hole-connect", abi::FaultKind::kBlackhole, listener.port));
  const std::string a = peer.ask("connect " + listener.port_text() + " sndtimeo 300");
  EXPECT_TRUE(starts_with(a, "connect err ETIMEDOUT")) << a;
  EXPECT_GE(last_number(a), 300) << a;
  EXPECT_FALSE(readable_within(listener.fd, 100)) << "a blackholed connect reached the listener";
}

TEST(ConnectionFaults, ShouldCompleteAHeldBlockingConnectWhenTheBlackholeIsCleared) {
  Local listener(SOCK_STREAM);
  Peer peer;
  inject(peer.client(), fault("hole-clear", abi::FaultKind::kBlackhole, listener.port));
  peer.send("connect " + listener.port_text());
  EXPECT_EQ(peer.answer(300ms), "<no answer>") << "the connect did not hang";
  EXPECT_FALSE(readable_within(listener.fd, 0));
  clear(peer.client(), "hole-clear");
  const std::string a = peer.answer();
  EXPECT_TRUE(starts_with(a, "connect ok")) << a;
  const int s = accept_within(listener.fd, 2000);
  EXPECT_GE(s, 0);
  close(s);
}

TEST(ConnectionFaults, ShouldNeverReportAHeldNonBlockingConnectReadyUnderBlackhole) {
  Local listener(SOCK_STREAM);
  Peer peer;
  inject(peer.client(), fault("hole-nb", abi::FaultKind::kBlackhole, listener.port));
  EXPECT_TRUE(starts_with(peer.ask("connect " + listener.port_text() + " nb"), "connect err EINPROGRESS"));
  EXPECT_EQ(peer.ask("poll out 300"), "poll 0");
  EXPECT_EQ(peer.ask("epoll out 300"), "epoll 0");
  EXPECT_EQ(peer.ask("select out 300"), "select 0");
  EXPECT_FALSE(readable_within(listener.fd, 100));
  clear(peer.client(), "hole-nb");
  // The connect starts when the fault ends: writable, no error, and it reaches the listener.
  EXPECT_NE(events_of(peer.ask("poll out 2000")) & POLLOUT, 0u);
  EXPECT_EQ(peer.ask("sockerr"), "sockerr 0");
  const int s = accept_within(listener.fd, 2000);
  EXPECT_GE(s, 0);
  close(s);
}

// ---- on a descriptor whose ingress the delay line holds ----

// A connection to `listener` from the peer, its ingress held by the delay
// line (an ingress latency fault, already used once); returns this side.
int held_connection(Peer& peer, const Local& listener) {
  const int s = peer_connection(peer, listener);
  if (s < 0) return -1;
  abi::FaultSpec lat = latency_fault("lat-held", 20 * kMs);
  lat.match.dst_port = listener.port;
  lat.match.dir = static_cast<std::uint8_t>(abi::Direction::kIngress);
  inject(peer.client(), lat);
  EXPECT_EQ(peer.ask("recv nb"), "recv err EAGAIN");  // the line takes the descriptor over
  EXPECT_EQ(::send(s, "held", 4, 0), 4);
  EXPECT_EQ(peer.ask("recv timeout 2000"), "recv 4");
  return s;
}

TEST(ConnectionFaults, ShouldResetAConnectionWhoseIngressTheDelayLineHolds) {
  Local listener(SOCK_STREAM);
  Peer peer;
  const int s = held_connection(peer, listener);
  ASSERT_GE(s, 0);
  abi::FaultSpec f = fault("reset-held", abi::FaultKind::kReset, listener.port);
  f.match.dir = static_cast<std::uint8_t>(abi::Direction::kIngress);
  inject(peer.client(), f);
  ASSERT_EQ(::send(s, "abcd", 4, 0), 4);  // its arrival fires the reset
  EXPECT_EQ(receive(s, 2000), -ECONNRESET);
  EXPECT_EQ(peer.ask("recv timeout 2000"), "recv err ECONNRESET");
  close(s);
}

TEST(ConnectionFaults, ShouldDiscardHeldIngressUnderBlackhole) {
  Local listener(SOCK_STREAM);
  Peer peer;
  const int s = held_connection(peer, listener);
  ASSERT_GE(s, 0);
  inject(peer.client(), fault("hole-held", abi::FaultKind::kBlackhole, listener.port));
  ASSERT_EQ(::send(s, "abcd", 4, 0), 4);
  EXPECT_EQ(peer.ask("recv timeout 300"), "recv err EAGAIN");
  clear(peer.client(), "hole-held");
  ASSERT_EQ(::send(s, "xyz", 3, 0), 3);
  EXPECT_EQ(peer.ask("recv timeout 2000"), "recv 3");  // after the fault, only what came after it
  close(s);
}

// ---- errno ----

TEST(ConnectionFaults, ShouldFailSendWithInjectedErrno) {
  Local listener(SOCK_STREAM);
  Peer peer;
  const int s = peer_connection(peer, listener);
  ASSERT_GE(s, 0);
  abi::FaultSpec f = fault("errno-1", abi::FaultKind::kErrno, listener.port);
  f.err = ENOBUFS;
  inject(peer.client(), f);
  EXPECT_EQ(peer.ask("send 10"), "send err ENOBUFS");
  EXPECT_FALSE(readable_within(s, 200)) << "a failed send delivered data";
  EXPECT_TRUE(starts_with(peer.ask("connect " + listener.port_text()), "connect err ENOBUFS"));
  EXPECT_FALSE(readable_within(listener.fd, 200)) << "a failed connect reached the listener";
  clear(peer.client(), "errno-1");
  const int s2 = peer_connection(peer, listener);
  ASSERT_GE(s2, 0);
  EXPECT_EQ(peer.ask("send 10"), "send 10");
  EXPECT_EQ(receive(s2, 2000), 10);
  close(s);
  close(s2);
}

TEST(ConnectionFaults, ShouldFailTheNextStreamReceiveWithInjectedErrnoAndKeepTheBytes) {
  Local listener(SOCK_STREAM);
  Peer peer;
  const int s = peer_connection(peer, listener);
  ASSERT_GE(s, 0);
  abi::FaultSpec f = fault("errno-recv", abi::FaultKind::kErrno, listener.port);
  f.err = EINTR;
  f.match.dir = static_cast<std::uint8_t>(abi::Direction::kIngress);
  f.max_hits = 1;
  inject(peer.client(), f);
  ASSERT_EQ(::send(s, "abcd", 4, 0), 4);
  EXPECT_EQ(peer.ask("recv timeout 2000"), "recv 4");  // the bytes are not lost
  EXPECT_EQ(peer.ask("recv nb"), "recv err EINTR");
  EXPECT_EQ(peer.ask("recv nb"), "recv err EAGAIN");
  close(s);
}

// ---- scope ----

TEST(ConnectionFaults, ShouldLeaveOtherPortsUntouched) {
  Local faulted(SOCK_STREAM);
  Local other(SOCK_STREAM);
  Peer peer;
  inject(peer.client(), fault("refuse-other", abi::FaultKind::kRefuse, faulted.port));
  inject(peer.client(), fault("reset-other", abi::FaultKind::kReset, faulted.port));
  inject(peer.client(), fault("hole-other", abi::FaultKind::kBlackhole, faulted.port));
  EXPECT_TRUE(starts_with(peer.ask("connect " + faulted.port_text()), "connect err ECONNREFUSED"));
  const int s = peer_connection(peer, other);
  ASSERT_GE(s, 0);
  EXPECT_EQ(peer.ask("send 6"), "send 6");
  EXPECT_EQ(receive(s, 2000), 6);
  ASSERT_EQ(::send(s, "xyz", 3, 0), 3);
  EXPECT_EQ(peer.ask("recv timeout 2000"), "recv 3");
  close(s);
}

}  // namespace
}  // namespace faultline::integration
