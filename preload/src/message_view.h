// A message as a data fault reshapes it, without copying its bytes: a
// bounded list of iovecs pointing into the program's buffers, cut to a byte
// limit (slice, bandwidth) or split around one byte whose corrupted copy the
// view holds (corrupt).
#pragma once

#include <sys/uio.h>

#include <cstddef>
#include <cstdint>

namespace faultline::preload {

class MessageView {
 public:
  static constexpr int kMaxIov = 64;  // a message with more pieces is cut after them

  MessageView() = default;
  MessageView(const MessageView&) = delete;  // iov may point at flipped_
  MessageView& operator=(const MessageView&) = delete;

  // The first `limit` bytes of (iov, iovcnt), over at most kMaxIov pieces.
  void cut(const iovec* iov, int iovcnt, std::size_t limit) noexcept;
  // The whole message with one bit flipped: the byte and bit come from
  // `entropy`. False (view unusable) for an empty message or one of more
  // than kMaxIov pieces.
  bool corrupt(const iovec* iov, int iovcnt, std::uint64_t entropy) noexcept;

  const iovec* iov() const noexcept { return iov_; }
  int iovcnt() const noexcept { return iovcnt_; }
  std::size_t bytes() const noexcept { return bytes_; }

 private:
  iovec iov_[kMaxIov + 2]{};
  int iovcnt_ = 0;
  std::size_t bytes_ = 0;
  unsigned char flipped_ = 0;
};

// Total bytes of an iovec list.
std::size_t iov_bytes(const iovec* iov, int iovcnt) noexcept;
// Flips one bit among the first `n` bytes of (iov, iovcnt), chosen by
// `entropy` the same way MessageView::corrupt chooses it.
void flip_bit(const iovec* iov, int iovcnt, std::size_t n, std::uint64_t entropy) noexcept;

}  // namespace faultline::preload
