// data_peer: the data faults' test programs, run under the preload. Each
// mode waits for a line on stdin ("go": the test has armed its fault)
// before its traffic, then prints one JSON line and exits.
//
//   data_peer --mode send-tcp --port P --bytes N --chunk C
//       connects a blocking TCP socket to 127.0.0.1:P and writes N bytes
//       (byte i is i % 251) with send() calls of C bytes, finishing short
//       writes as a program must, then shuts down its side and waits for
//       the peer to close. {"bytes":N,"calls":K,"max_ret":M}
//   data_peer --mode recv-tcp --port P --bytes N --chunk C
//       connects to P and reads N bytes with recv() calls of C bytes,
//       checking the pattern. {"bytes":N,"calls":K,"max_ret":M,"bad":B,
//       "first_read":F,"span_ns":T}: the first read's bytes, the time from
//       the first read to the last.
//   data_peer --mode send-udp --port P --count N --size S [--batch B]
//       sends N datagrams of S bytes to 127.0.0.1:P from a connected socket
//       (then reports, and stays until the next stdin line or EOF):
//       a 4-byte sequence number, then byte i = (seq + i) % 251. With
//       --batch B, through sendmmsg in batches of B.
//       {"sent":N,"returned":R,"short_batches":X,"bad_len":Y}: R sums what
//       the calls returned (messages for sendmmsg), X counts batches that
//       returned less than asked, Y messages whose msg_len was not S.
//   data_peer --mode recv-udp --count N --size S [--batch B]
//       binds a UDP socket (port on stdout line 1), receives until N
//       datagrams arrived or 2 s passed without one (with --batch B, through
//       recvmmsg). {"received":K,"seqs":[...]} in arrival order; with
//       --report-bytes also "data":[[byte,...],...], each datagram as received.
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "args.h"
#include "faultline/testing/loopback.h"

namespace {

using faultline::testing::loopback;
using faultline::testing::programs::Args;

std::int64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

void wait_for_go() {
  std::string line;
  std::getline(std::cin, line);
}

int connected(int type, std::uint16_t port) {
  const int fd = socket(AF_INET, type, 0);
  const sockaddr_in a = loopback(port);
  if (connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) {
    std::perror("data_peer: connect");
    std::exit(1);
  }
  return fd;
}

int send_tcp(std::uint16_t port, long bytes, long chunk) {
  const int fd = connected(SOCK_STREAM, port);
  std::vector<unsigned char> data(static_cast<std::size_t>(bytes));
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<unsigned char>(i % 251);
  wait_for_go();
  long sent = 0, calls = 0, max_ret = 0;
  while (sent < bytes) {
    const long want = std::min(chunk, bytes - sent);
    const ssize_t r = send(fd, data.data() + sent, static_cast<std::size_t>(want), MSG_NOSIGNAL);
    ++calls;
    if (r < 0) {
      if (errno == EINTR) continue;
      std::perror("data_peer: send");
      return 1;
    }
    max_ret = std::max(max_ret, static_cast<long>(r));
    sent += r;
  }
  // A graceful close: data the shim still holds (bandwidth, latency) leaves
  // before the end of stream, and the process stays until the peer has it all.
  shutdown(fd, SHUT_WR);
  char sink[256];
  while (recv(fd, sink, sizeof sink, 0) > 0) {
  }
  close(fd);
  std::printf("{\"bytes\":%ld,\"calls\":%ld,\"max_ret\":%ld}\n", sent, calls, max_ret);
  return 0;
}

int recv_tcp(std::uint16_t port, long bytes, long chunk) {
  const int fd = connected(SOCK_STREAM, port);
  std::vector<unsigned char> buf(static_cast<std::size_t>(chunk));
  wait_for_go();
  long got = 0, calls = 0, max_ret = 0, bad = 0, first_read = 0;
  std::int64_t first_ns = 0, last_ns = 0;
  while (got < bytes) {
    const ssize_t r = recv(fd, buf.data(), buf.size(), 0);
    ++calls;
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    last_ns = now_ns();
    if (got == 0) {
      first_ns = last_ns;
      first_read = r;
    }
    for (ssize_t i = 0; i < r; ++i)
      if (buf[static_cast<std::size_t>(i)] != static_cast<unsigned char>((got + i) % 251)) ++bad;
    max_ret = std::max(max_ret, static_cast<long>(r));
    got += r;
  }
  close(fd);
  std::printf(
      "{\"bytes\":%ld,\"calls\":%ld,\"max_ret\":%ld,\"bad\":%ld,\"first_read\":%ld,\"span_ns\":%lld}\n", got,
      calls, max_ret, bad, first_read, static_cast<long long>(last_ns - first_ns));
  return 0;
}

void fill_datagram(unsigned char* p, std::size_t size, std::uint32_t seq) {
  std::memcpy(p, &seq, sizeof seq);
  for (std::size_t i = sizeof seq; i < size; ++i) p[i] = static_cast<unsigned char>((seq + i) % 251);
}

int send_udp(std::uint16_t port, long count, long size, long batch) {
  const int fd = connected(SOCK_DGRAM, port);
  const auto s = static_cast<std::size_t>(size);
  std::vector<unsigned char> data(static_cast<std::size_t>(count) * s);
  for (long i = 0; i < count; ++i)
    fill_datagram(&data[static_cast<std::size_t>(i) * s], s, static_cast<std::uint32_t>(i));
  wait_for_go();
  long returned = 0, short_batches = 0, bad_len = 0;
  if (batch <= 0) {
    for (long i = 0; i < count; ++i) {
      const ssize_t r = send(fd, &data[static_cast<std::size_t>(i) * s], s, 0);
      if (r == size) ++returned;
      if (i % 16 == 15) usleep(1000);  // gentle: the receiver's buffer must not be what drops
    }
  } else {
    std::vector<iovec> iov(static_cast<std::size_t>(batch));
    std::vector<mmsghdr> msgs(static_cast<std::size_t>(batch));
    for (long first = 0; first < count; first += batch) {
      const long n = std::min(batch, count - first);
      for (long k = 0; k < n; ++k) {
        iov[static_cast<std::size_t>(k)] = iovec{&data[static_cast<std::size_t>(first + k) * s], s};
        msgs[static_cast<std::size_t>(k)] = mmsghdr{};
        msgs[static_cast<std::size_t>(k)].msg_hdr.msg_iov = &iov[static_cast<std::size_t>(k)];
        msgs[static_cast<std::size_t>(k)].msg_hdr.msg_iovlen = 1;
      }
      const int r = sendmmsg(fd, msgs.data(), static_cast<unsigned>(n), 0);
      if (r < 0) {
        std::perror("data_peer: sendmmsg");
        return 1;
      }
      returned += r;
      if (r < n) ++short_batches;
      for (int k = 0; k < r; ++k)
        if (msgs[static_cast<std::size_t>(k)].msg_len != static_cast<unsigned>(size)) ++bad_len;
      usleep(1000);
    }
  }
  std::printf("{\"sent\":%ld,\"returned\":%ld,\"short_batches\":%ld,\"bad_len\":%ld}\n", count, returned,
              short_batches, bad_len);
  std::fflush(stdout);
  // Datagrams the shim holds (reorder, latency) leave from this process's
  // delay line: stay until the test has them all (its next line, or EOF).
  wait_for_go();
  close(fd);
  return 0;
}

int recv_udp(long count, long size, long batch, bool report_bytes) {
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  const int big = 4 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
  std::printf("%u\n", faultline::testing::bind_loopback(fd));
  std::fflush(stdout);
  wait_for_go();
  const auto s = static_cast<std::size_t>(size);
  const long per_call = batch > 0 ? batch : 1;
  std::vector<unsigned char> buf(static_cast<std::size_t>(per_call) * (s + 16));
  std::vector<iovec> iov(static_cast<std::size_t>(per_call));
  std::vector<mmsghdr> msgs(static_cast<std::size_t>(per_call));
  std::vector<long> seqs;
  std::vector<std::vector<unsigned char>> data;
  while (static_cast<long>(seqs.size()) < count) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 2000) <= 0) break;
    if (batch <= 0) {
      const ssize_t r = recv(fd, buf.data(), s + 16, 0);
      if (r < 4) continue;
      std::uint32_t seq;
      std::memcpy(&seq, buf.data(), sizeof seq);
      seqs.push_back(seq);
      if (report_bytes) data.emplace_back(buf.begin(), buf.begin() + r);
      continue;
    }
    for (long k = 0; k < per_call; ++k) {
      iov[static_cast<std::size_t>(k)] = iovec{&buf[static_cast<std::size_t>(k) * (s + 16)], s + 16};
      msgs[static_cast<std::size_t>(k)] = mmsghdr{};
      msgs[static_cast<std::size_t>(k)].msg_hdr.msg_iov = &iov[static_cast<std::size_t>(k)];
      msgs[static_cast<std::size_t>(k)].msg_hdr.msg_iovlen = 1;
    }
    const int r = recvmmsg(fd, msgs.data(), static_cast<unsigned>(per_call), MSG_DONTWAIT, nullptr);
    for (int k = 0; k < r; ++k) {
      std::uint32_t seq;
      std::memcpy(&seq, &buf[static_cast<std::size_t>(k) * (s + 16)], sizeof seq);
      seqs.push_back(seq);
    }
  }
  std::printf("{\"received\":%zu,\"seqs\":[", seqs.size());
  for (std::size_t i = 0; i < seqs.size(); ++i) std::printf("%s%ld", i == 0 ? "" : ",", seqs[i]);
  std::printf("]");
  if (report_bytes) {
    std::printf(",\"data\":[");
    for (std::size_t i = 0; i < data.size(); ++i) {
      std::printf("%s[", i == 0 ? "" : ",");
      for (std::size_t b = 0; b < data[i].size(); ++b) std::printf("%s%u", b == 0 ? "" : ",", data[i][b]);
      std::printf("]");
    }
    std::printf("]");
  }
  std::printf("}\n");
  close(fd);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const Args args(argc, argv);
  const std::string mode = args.text("--mode", "");
  const auto port = static_cast<std::uint16_t>(args.number("--port", 0));
  if (mode == "send-tcp") return send_tcp(port, args.number("--bytes", 0), args.number("--chunk", 65536));
  if (mode == "recv-tcp") return recv_tcp(port, args.number("--bytes", 0), args.number("--chunk", 65536));
  if (mode == "send-udp")
    return send_udp(port, args.number("--count", 0), args.number("--size", 64), args.number("--batch", 0));
  if (mode == "recv-udp")
    return recv_udp(args.number("--count", 0), args.number("--size", 64), args.number("--batch", 0),
                    args.flag("--report-bytes"));
  std::fprintf(stderr, "data_peer: unknown --mode '%s'\n", mode.c_str());
  return 2;
}
