#include <sys/mman.h>

#include <cstdint>

#include "delay_internal.h"

namespace faultline::shim::delay::detail {

// Mapped on first use, never unmapped (a line is reused for its descriptor
// number); MAP_NORESERVE: only the pages data passes through become resident.
bool Queue::map() noexcept {
  if (entries_ != nullptr) return true;
  void* e = mmap(nullptr, sizeof(Entry) * kEntries, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (e == MAP_FAILED) return false;
  void* b = mmap(nullptr, kBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (b == MAP_FAILED) {
    munmap(e, sizeof(Entry) * kEntries);
    return false;
  }
  entries_ = static_cast<Entry*>(e);
  bytes_ = static_cast<unsigned char*>(b);
  return true;
}

Entry* Queue::push(std::uint32_t bytes) noexcept {
  if (!map() || tail_ - head_ >= kEntries || bytes >= kBytes) return nullptr;
  std::uint32_t off;
  if (live_ == 0 && head_ == tail_) rpos_ = wpos_ = 0;
  if (wpos_ >= rpos_) {  // not wrapped: room at the end, else at the start before rpos
    if (kBytes - wpos_ >= bytes) {
      off = wpos_;
    } else if (rpos_ > bytes) {
      off = 0;
    } else {
      return nullptr;
    }
  } else {
    if (rpos_ - wpos_ <= bytes) return nullptr;
    off = wpos_;
  }
  wpos_ = off + bytes;
  Entry& e = at(tail_++);
  e = Entry{};
  e.off = off;
  ++live_;
  return &e;
}

void Queue::unpush() noexcept {
  Entry& e = at(tail_ - 1);
  wpos_ = e.off;
  --tail_;
  --live_;
}

void Queue::shrink_last(std::uint32_t bytes) noexcept {
  wpos_ = at(tail_ - 1).off + bytes;
}

void Queue::complete(Entry& e) noexcept {
  if (e.done) return;
  e.done = true;
  --live_;
  if (e.hold > 0) --held;
  if (e.kind == EntryKind::kData) payload_ -= e.len;
  while (head_ != tail_ && at(head_).done) ++head_;
  if (head_ == tail_) {
    rpos_ = wpos_ = 0;
  } else {
    rpos_ = at(head_).off;
  }
}

void Queue::clear() noexcept {
  head_ = tail_ = rpos_ = wpos_ = live_ = 0;
  payload_ = 0;
  held = 0;
  partial = 0;
  last_due = 0;
}

Entry* Queue::oldest() noexcept {
  for (std::uint32_t i = head_; i != tail_; ++i)
    if (!at(i).done) return &at(i);
  return nullptr;
}

Entry* Queue::earliest() noexcept {
  Entry* best = nullptr;
  for (std::uint32_t i = head_; i != tail_; ++i) {
    Entry& e = at(i);
    if (!e.done && (best == nullptr || e.due < best->due)) best = &e;
  }
  return best;
}

Entry* Queue::next_after(const Entry* e) noexcept {
  const auto index = static_cast<std::uint32_t>(e - entries_);
  std::uint32_t i = head_;
  while (i != tail_ && i % kEntries != index) ++i;
  for (++i; i != tail_ && i - head_ <= kEntries; ++i)
    if (!at(i).done) return &at(i);
  return nullptr;
}

void Queue::count_overtaking(std::int64_t due) noexcept {
  if (held == 0) return;
  for (std::uint32_t i = head_; i != tail_; ++i) {
    Entry& e = at(i);
    if (e.done || e.hold == 0) continue;
    if (--e.hold == 0) {
      --held;
      e.due = due + 1;  // after the datagram that completed its gap (earliest() breaks ties by arrival)
    }
  }
}

}  // namespace faultline::shim::delay::detail
