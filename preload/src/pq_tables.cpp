#include "pq_tables.h"

#include <cstdlib>
#include <cstring>

namespace faultline::preload {
namespace {

// Owner word of a slot being written or emptied by its claiming thread.
const void* const kClaimed = reinterpret_cast<const void*>(std::uintptr_t{1});

std::uint64_t hash_name(const char* s) noexcept {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (; *s != '\0'; ++s) {
    h ^= static_cast<unsigned char>(*s);
    h *= 0x100000001b3ULL;
  }
  return h;
}

char* copy_string(const char* s, std::size_t len) noexcept {
  auto* out = static_cast<char*>(std::malloc(len + 1));
  if (out == nullptr) return nullptr;
  std::memcpy(out, s, len);
  out[len] = '\0';
  return out;
}

// Claims a free slot (owner null -> kClaimed) below kCapacity and raises
// the high-water mark over it; -1 when full.
template <class Entry, int N>
int claim(Entry (&entries)[N], std::atomic<int>& used) noexcept {
  for (int i = 0; i < N; ++i) {
    const void* expected = nullptr;
    if (!entries[i].owner.compare_exchange_strong(expected, kClaimed, std::memory_order_acquire)) continue;
    int seen = used.load(std::memory_order_relaxed);
    while (seen < i + 1 && !used.compare_exchange_weak(seen, i + 1, std::memory_order_relaxed)) {
    }
    return i;
  }
  return -1;
}

}  // namespace

constinit PreparedStatements g_prepared_statements;
constinit PendingTimes g_pending_times;

int PreparedStatements::locate(const void* conn, const char* name, std::uint64_t hash) const noexcept {
  const int used = used_.load(std::memory_order_acquire);
  for (int i = 0; i < used; ++i) {
    const Entry& e = entries_[i];
    if (e.owner.load(std::memory_order_acquire) != conn) continue;
    if (e.name_hash == hash && std::strcmp(e.name, name) == 0) return i;
  }
  return -1;
}

bool PreparedStatements::remember(const void* conn, const char* name, const char* text) noexcept {
  if (conn == nullptr || text == nullptr) return false;
  if (name == nullptr) name = "";
  const std::uint64_t hash = hash_name(name);
  char* text_copy = copy_string(text, std::strlen(text));
  if (text_copy == nullptr) return false;
  const int existing = locate(conn, name, hash);
  if (existing >= 0) {
    Entry& e = entries_[existing];
    std::free(e.text);
    e.text = text_copy;
    e.text_len = std::strlen(text_copy);
    return true;
  }
  char* name_copy = copy_string(name, std::strlen(name));
  const int slot = name_copy != nullptr ? claim(entries_, used_) : -1;
  if (slot < 0) {
    std::free(name_copy);
    std::free(text_copy);
    return false;
  }
  Entry& e = entries_[slot];
  e.name_hash = hash;
  e.name = name_copy;
  e.text = text_copy;
  e.text_len = std::strlen(text_copy);
  live_.fetch_add(1, std::memory_order_relaxed);
  e.owner.store(conn, std::memory_order_release);
  return true;
}

std::string_view PreparedStatements::find(const void* conn, const char* name) const noexcept {
  if (conn == nullptr) return {};
  if (name == nullptr) name = "";
  const int i = locate(conn, name, hash_name(name));
  if (i < 0) return {};
  return {entries_[i].text, entries_[i].text_len};
}

void PreparedStatements::release(Entry& e) noexcept {
  e.owner.store(kClaimed, std::memory_order_relaxed);
  std::free(e.name);
  std::free(e.text);
  e.name = nullptr;
  e.text = nullptr;
  e.text_len = 0;
  live_.fetch_sub(1, std::memory_order_relaxed);
  e.owner.store(nullptr, std::memory_order_release);
}

void PreparedStatements::forget(const void* conn) noexcept {
  if (conn == nullptr || empty()) return;
  const int used = used_.load(std::memory_order_acquire);
  for (int i = 0; i < used; ++i)
    if (entries_[i].owner.load(std::memory_order_acquire) == conn) release(entries_[i]);
}

PendingTimes::Times* PendingTimes::find(const void* conn, bool create) noexcept {
  if (conn == nullptr) return nullptr;
  const int used = used_.load(std::memory_order_acquire);
  for (int i = 0; i < used; ++i)
    if (entries_[i].owner.load(std::memory_order_acquire) == conn) return &entries_[i].times;
  if (!create) return nullptr;
  const int slot = claim(entries_, used_);
  if (slot < 0) return nullptr;
  Entry& e = entries_[slot];
  e.times = Times{};
  live_.fetch_add(1, std::memory_order_relaxed);
  e.owner.store(conn, std::memory_order_release);
  return &e.times;
}

void PendingTimes::forget(const void* conn) noexcept {
  if (conn == nullptr || empty()) return;
  const int used = used_.load(std::memory_order_acquire);
  for (int i = 0; i < used; ++i) {
    Entry& e = entries_[i];
    if (e.owner.load(std::memory_order_acquire) != conn) continue;
    e.owner.store(kClaimed, std::memory_order_relaxed);
    e.times = Times{};
    live_.fetch_sub(1, std::memory_order_relaxed);
    e.owner.store(nullptr, std::memory_order_release);
  }
}

}  // namespace faultline::preload
