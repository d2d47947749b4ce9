#include "message_view.h"

#include <algorithm>

namespace faultline::preload {
namespace {

unsigned char bit_of(std::uint64_t entropy) noexcept {
  return static_cast<unsigned char>(1u << ((entropy >> 32) % 8));
}

}  // namespace

std::size_t iov_bytes(const iovec* iov, int iovcnt) noexcept {
  std::size_t n = 0;
  for (int i = 0; iov != nullptr && i < iovcnt; ++i) n += iov[i].iov_len;
  return n;
}

void MessageView::cut(const iovec* iov, int iovcnt, std::size_t limit) noexcept {
  iovcnt_ = 0;
  bytes_ = 0;
  for (int i = 0; iov != nullptr && i < iovcnt && iovcnt_ < kMaxIov && bytes_ < limit; ++i) {
    const std::size_t k = std::min(iov[i].iov_len, limit - bytes_);
    if (k == 0) continue;
    iov_[iovcnt_++] = iovec{iov[i].iov_base, k};
    bytes_ += k;
  }
}

bool MessageView::corrupt(const iovec* iov, int iovcnt, std::uint64_t entropy) noexcept {
  const std::size_t total = iov_bytes(iov, iovcnt);
  if (total == 0 || iovcnt > kMaxIov) return false;
  std::size_t at = entropy % total;
  iovcnt_ = 0;
  bytes_ = total;
  for (int i = 0; i < iovcnt; ++i) {
    const iovec& piece = iov[i];
    if (at >= piece.iov_len) {  // before the corrupted byte, or after it (at = SIZE_MAX)
      if (piece.iov_len > 0) iov_[iovcnt_++] = piece;
      if (at != SIZE_MAX) at -= piece.iov_len;
      continue;
    }
    auto* base = static_cast<unsigned char*>(piece.iov_base);
    if (at > 0) iov_[iovcnt_++] = iovec{base, at};
    flipped_ = static_cast<unsigned char>(base[at] ^ bit_of(entropy));
    iov_[iovcnt_++] = iovec{&flipped_, 1};
    if (at + 1 < piece.iov_len) iov_[iovcnt_++] = iovec{base + at + 1, piece.iov_len - at - 1};
    at = SIZE_MAX;
  }
  return true;
}

void flip_bit(const iovec* iov, int iovcnt, std::size_t n, std::uint64_t entropy) noexcept {
  n = std::min(n, iov_bytes(iov, iovcnt));
  if (n == 0) return;
  std::size_t at = entropy % n;
  for (int i = 0; i < iovcnt; ++i) {
    if (at < iov[i].iov_len) {
      static_cast<unsigned char*>(iov[i].iov_base)[at] ^= bit_of(entropy);
      return;
    }
    at -= iov[i].iov_len;
  }
}

}  // namespace faultline::preload
