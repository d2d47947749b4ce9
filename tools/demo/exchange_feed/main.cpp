// exchange_feed: an exchange's market-data feed. Publishes top-of-book
// quotes as UDP datagrams (wire format in faultline/demo/quote.h) to one
// address at a steady rate, with the exchange's timestamp on each.
//
//   exchange_feed --target 127.0.0.1:9100 --rate 2000 [--symbols AAPL,MSFT] [--count N]

#include <sys/socket.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <thread>

#include "faultline/demo/endpoint.h"
#include "faultline/demo/logging.h"
#include "faultline/demo/quote.h"
#include "faultline/demo/stop_signals.h"
#include "faultline/demo/wall_clock.h"
#include "pacer.h"
#include "price_walk.h"

namespace {

using namespace faultline::demo;

struct Options {
  std::string target = "127.0.0.1:9100";
  double rate = 2000;
  std::vector<std::string> symbols = {"AAPL", "MSFT", "AMZN", "NVDA", "GOOG", "META", "TSLA", "JPM"};
  std::uint64_t count = 0;  // 0: until stopped
  std::uint64_t seed = 1;
};

struct FeedTotals {
  std::uint64_t sent = 0, send_errors = 0, rebases = 0;
};

// Publishes until `stop` is set or `count` quotes are out.
FeedTotals publish(int socket_fd, const Options& options, const std::atomic<bool>& stop) {
  PriceWalk walk(options.symbols, options.seed);
  Pacer pacer(options.rate, Pacer::Clock::now());
  FeedTotals totals;
  std::array<std::byte, kQuoteWireSize> datagram{};

  for (std::uint64_t sequence = 1; !stop.load(std::memory_order_relaxed); ++sequence) {
    if (options.count != 0 && sequence > options.count) break;
    const auto due = pacer.next_due();
    std::this_thread::sleep_until(due);

    Quote quote = walk.next();
    quote.sequence = sequence;
    quote.exchange_time_ns = wall_clock_ns();
    encode_quote(quote, datagram);
    // A connected UDP socket reports ECONNREFUSED after an ICMP "port
    // unreachable" (no consumer yet): the feed goes on regardless.
    if (send(socket_fd, datagram.data(), datagram.size(), 0) == static_cast<ssize_t>(datagram.size())) {
      ++totals.sent;
    } else {
      ++totals.send_errors;
    }
    pacer.sent(Pacer::Clock::now());
  }
  totals.rebases = pacer.rebases();
  return totals;
}

}  // namespace

int main(int argc, char** argv) {
  install_stop_signals();
  init_logging("exchange_feed");

  Options options;
  CLI::App app{"Publishes top-of-book quotes as UDP datagrams at a steady rate"};
  app.add_option("--target", options.target, "HOST:PORT the datagrams go to")->capture_default_str();
  app.add_option("--rate", options.rate, "quotes per second")
      ->check(CLI::Range(1.0, 1e6))
      ->capture_default_str();
  app.add_option("--symbols", options.symbols, "symbols quoted in turn")
      ->delimiter(',')
      ->capture_default_str();
  app.add_option("--count", options.count, "stop after this many quotes (0: until SIGTERM)")
      ->capture_default_str();
  app.add_option("--seed", options.seed, "seed of the price walk")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  const auto target = parse_endpoint(options.target);
  if (!target) {
    spdlog::error("--target '{}' is not IPV4:PORT", options.target);
    return 2;
  }
  for (const auto& symbol : options.symbols) {
    if (symbol.empty() || symbol.size() > kMaxSymbolLength) {
      spdlog::error("symbol '{}' must have 1 to {} characters", symbol, kMaxSymbolLength);
      return 2;
    }
  }

  const int socket_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  const sockaddr_in address = target->to_sockaddr();
  if (socket_fd < 0 || connect(socket_fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    spdlog::error("cannot open a UDP socket to {}: {}", target->to_string(), std::strerror(errno));
    return 1;
  }
  spdlog::info("publishing {} quotes/s for {} symbols to {}", options.rate, options.symbols.size(),
               target->to_string());

  std::atomic<bool> stop{false}, finished{false};
  FeedTotals totals;
  std::thread publisher([&] {
    totals = publish(socket_fd, options, stop);
    finished.store(true);
  });
  while (!finished.load()) {
    if (wait_for_stop_signal(std::chrono::milliseconds(50))) stop.store(true);
  }
  publisher.join();
  close(socket_fd);
  spdlog::info("stopped: {} quotes sent, {} send errors, {} schedule restarts after stalls", totals.sent,
               totals.send_errors, totals.rebases);
  return 0;
}
