#include "faultline/shim/fd_table.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "faultline/testing/loopback.h"

namespace faultline::shim {
namespace {

using testing::loopback;

// A descriptor closed when the test ends.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// testing::bind_loopback, failing the test when the bind does.
std::uint16_t bind_loopback(int fd) {
  const std::uint16_t port = testing::bind_loopback(fd);
  EXPECT_NE(port, 0) << "bind to loopback: " << std::strerror(errno);
  return port;
}

class FdTableTest : public ::testing::Test {
 protected:
  std::unique_ptr<FdTable> table = std::make_unique<FdTable>();
};

TEST_F(FdTableTest, ShouldDescribeBoundUdpSocket) {
  Fd s(socket(AF_INET, SOCK_DGRAM, 0));
  const std::uint16_t port = bind_loopback(s.get());
  SocketInfo info;
  ASSERT_TRUE(table->lookup(s.get(), &info));
  EXPECT_EQ(info.proto, static_cast<std::uint8_t>(abi::Proto::kUdp));
  EXPECT_EQ(info.datagram, 1);
  EXPECT_EQ(info.local_port, port);
  EXPECT_EQ(info.has_peer, 0);
  EXPECT_NE(info.inode, 0u);
}

TEST_F(FdTableTest, ShouldDescribeConnectedTcpSocketWithItsPeer) {
  Fd listener(socket(AF_INET, SOCK_STREAM, 0));
  const std::uint16_t port = bind_loopback(listener.get());
  ASSERT_EQ(listen(listener.get(), 1), 0);
  Fd client(socket(AF_INET, SOCK_STREAM, 0));
  const sockaddr_in to = loopback(port);
  ASSERT_EQ(connect(client.get(), reinterpret_cast<const sockaddr*>(&to), sizeof to), 0);
  SocketInfo info;
  ASSERT_TRUE(table->lookup(client.get(), &info));
  EXPECT_EQ(info.proto, static_cast<std::uint8_t>(abi::Proto::kTcp));
  EXPECT_EQ(info.datagram, 0);
  EXPECT_EQ(info.has_peer, 1);
  EXPECT_EQ(info.family, 4);
  EXPECT_EQ(info.peer_port, port);
  const std::uint8_t expected_addr[4] = {127, 0, 0, 1};
  EXPECT_EQ(std::memcmp(info.peer_addr, expected_addr, 4), 0);
  EXPECT_NE(info.local_port, 0);
}

TEST_F(FdTableTest, ShouldDescribeUnixSocketWithoutInetPeer) {
  int pair[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
  Fd a(pair[0]), b(pair[1]);
  SocketInfo info;
  ASSERT_TRUE(table->lookup(a.get(), &info));
  EXPECT_EQ(info.proto, static_cast<std::uint8_t>(abi::Proto::kUnix));
  EXPECT_EQ(info.has_peer, 0);
}

TEST_F(FdTableTest, ShouldReportPipeAndClosedDescriptorAsNotSockets) {
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  Fd r(p[0]), w(p[1]);
  SocketInfo info;
  EXPECT_FALSE(table->lookup(r.get(), &info));
  EXPECT_FALSE(table->lookup(r.get(), &info));  // from the cache this time
  EXPECT_FALSE(table->lookup(-1, &info));
  EXPECT_FALSE(table->lookup(1000, &info));  // not open in this test
}

TEST_F(FdTableTest, ShouldKeepServingCachedFactsUntilInvalidated) {
  Fd s(socket(AF_INET, SOCK_DGRAM, 0));
  bind_loopback(s.get());
  SocketInfo info;
  ASSERT_TRUE(table->lookup(s.get(), &info));
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  Fd r(p[0]), w(p[1]);
  ASSERT_EQ(dup2(r.get(), s.get()), s.get());  // the number now names a pipe, behind the cache's back
  SocketInfo stale;
  EXPECT_TRUE(table->lookup(s.get(), &stale));
  EXPECT_FALSE(FdTable::same_socket(s.get(), stale));
  table->invalidate(s.get());
  EXPECT_FALSE(table->lookup(s.get(), &info));
}

TEST_F(FdTableTest, ShouldConfirmSameSocketWhileDescriptorIsUnchanged) {
  Fd s(socket(AF_INET, SOCK_DGRAM, 0));
  SocketInfo info;
  ASSERT_TRUE(table->lookup(s.get(), &info));
  EXPECT_TRUE(FdTable::same_socket(s.get(), info));
}

TEST_F(FdTableTest, ShouldDropEverythingWhenInvalidatedAll) {
  Fd s(socket(AF_INET, SOCK_DGRAM, 0));
  SocketInfo info;
  ASSERT_TRUE(table->lookup(s.get(), &info));
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  Fd r(p[0]), w(p[1]);
  ASSERT_EQ(dup2(r.get(), s.get()), s.get());
  table->invalidate_all();
  EXPECT_FALSE(table->lookup(s.get(), &info));
}

TEST_F(FdTableTest, ShouldAskAgainForPeerOfUnconnectedStreamSocket) {
  Fd listener(socket(AF_INET, SOCK_STREAM, 0));
  const std::uint16_t port = bind_loopback(listener.get());
  ASSERT_EQ(listen(listener.get(), 1), 0);
  Fd client(socket(AF_INET, SOCK_STREAM, 0));
  SocketInfo info;
  ASSERT_TRUE(table->lookup(client.get(), &info));
  EXPECT_EQ(info.has_peer, 0);
  const sockaddr_in to = loopback(port);
  ASSERT_EQ(connect(client.get(), reinterpret_cast<const sockaddr*>(&to), sizeof to), 0);
  ASSERT_TRUE(table->lookup(client.get(), &info));  // no invalidation: "no peer" was not cached
  EXPECT_EQ(info.has_peer, 1);
  EXPECT_EQ(info.peer_port, port);
}

TEST_F(FdTableTest, ShouldPreserveErrnoWhileProbing) {
  Fd s(socket(AF_INET, SOCK_DGRAM, 0));  // getpeername fails inside the probe
  SocketInfo info;
  errno = 4242;
  ASSERT_TRUE(table->lookup(s.get(), &info));
  EXPECT_EQ(errno, 4242);
  errno = 4343;
  EXPECT_FALSE(table->lookup(-1, &info));
  EXPECT_TRUE(FdTable::same_socket(s.get(), info));
  EXPECT_EQ(errno, 4343);
}

TEST_F(FdTableTest, ShouldPassDescriptorsBeyondItsCapacity) {
  rlimit lim{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &lim), 0);
  const rlim_t needed = FdTable::kCapacity + 2;
  if (lim.rlim_cur < needed) {
    // The hard limit too, when it is lower: root may raise it (up to fs.nr_open).
    rlimit raised{needed, std::max<rlim_t>(lim.rlim_max, needed)};
    if (setrlimit(RLIMIT_NOFILE, &raised) != 0)
      GTEST_SKIP() << "cannot open descriptors beyond " << FdTable::kCapacity << " (RLIMIT_NOFILE hard limit "
                   << lim.rlim_max << ", not root)";
  }
  Fd s(socket(AF_INET, SOCK_DGRAM, 0));
  const int high = dup2(s.get(), FdTable::kCapacity + 1);
  ASSERT_EQ(high, FdTable::kCapacity + 1);
  Fd high_fd(high);
  SocketInfo info;
  EXPECT_FALSE(table->lookup(high, &info));
  EXPECT_TRUE(table->lookup(s.get(), &info));
  setrlimit(RLIMIT_NOFILE, &lim);
}

}  // namespace
}  // namespace faultline::shim
