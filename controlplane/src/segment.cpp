#include "faultline/controlplane/segment.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <new>
#include <utility>

#include "clock.h"
#include "fixed_string.h"
#include "header_check.h"
#include "messages.h"
#include "segment_name.h"

namespace faultline::cp {
namespace {

constexpr abi::Layout kLayout = abi::layout();

char* at(void* base, std::size_t offset) noexcept {
  return static_cast<char*>(base) + offset;
}

// Constructs every region of a fresh (zero-filled) mapping, then publishes.
void construct_regions(void* base, pid_t pid, const char* program, const char* labels) noexcept {
  auto* h = new (base) abi::Header();
  new (at(base, kLayout.ring)) abi::CommandRing();
  for (std::uint32_t i = 0; i < abi::kAckSlots; ++i)
    new (at(base, kLayout.acks) + i * sizeof(abi::Ack)) abi::Ack();
  for (std::uint32_t i = 0; i < abi::kEventSlots; ++i)
    new (at(base, kLayout.events) + i * sizeof(abi::Event)) abi::Event();
  for (std::uint32_t i = 0; i < abi::kMaxFaults; ++i)
    new (at(base, kLayout.faults) + i * sizeof(abi::FaultSlot)) abi::FaultSlot();
  new (at(base, kLayout.telemetry)) abi::Telemetry();

  h->magic = abi::kMagic;
  h->header_size = sizeof(abi::Header);
  h->layout_hash = abi::kLayoutHash;
  h->segment_size = abi::kSegmentSize;
  h->pid = pid;
  h->uid = geteuid();
  h->start_mono_ns = detail::mono_ns();
  h->start_wall_ns = detail::wall_ns();
  detail::copy_cstr(h->program, program);
  detail::copy_cstr(h->labels, labels);
  h->ring_offset = kLayout.ring;
  h->acks_offset = kLayout.acks;
  h->events_offset = kLayout.events;
  h->faults_offset = kLayout.faults;
  h->telemetry_offset = kLayout.telemetry;
  h->heartbeat_mono_ns.store(h->start_mono_ns, std::memory_order_relaxed);
  h->abi_version.store(abi::kAbiVersion, std::memory_order_release);
}

}  // namespace

Segment::Segment(Segment&& other) noexcept
    : base_(std::exchange(other.base_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      pid_(std::exchange(other.pid_, 0)),
      dev_(std::exchange(other.dev_, 0)),
      ino_(std::exchange(other.ino_, 0)) {}

Segment& Segment::operator=(Segment&& other) noexcept {
  if (this != &other) {
    reset();
    base_ = std::exchange(other.base_, nullptr);
    size_ = std::exchange(other.size_, 0);
    pid_ = std::exchange(other.pid_, 0);
    dev_ = std::exchange(other.dev_, 0);
    ino_ = std::exchange(other.ino_, 0);
  }
  return *this;
}

Segment::~Segment() {
  reset();
}

void Segment::reset() noexcept {
  if (base_ != nullptr) {
    const int saved_errno = errno;
    munmap(base_, size_);
    errno = saved_errno;
  }
  base_ = nullptr;
  size_ = 0;
  pid_ = 0;
  dev_ = ino_ = 0;
}

abi::CommandRing* Segment::ring() const noexcept {
  return reinterpret_cast<abi::CommandRing*>(at(base_, kLayout.ring));
}
abi::Ack* Segment::acks() const noexcept {
  return reinterpret_cast<abi::Ack*>(at(base_, kLayout.acks));
}
abi::Event* Segment::events() const noexcept {
  return reinterpret_cast<abi::Event*>(at(base_, kLayout.events));
}
abi::FaultSlot* Segment::faults() const noexcept {
  return reinterpret_cast<abi::FaultSlot*>(at(base_, kLayout.faults));
}
abi::Telemetry* Segment::telemetry() const noexcept {
  return reinterpret_cast<abi::Telemetry*>(at(base_, kLayout.telemetry));
}

int Segment::open_file() const noexcept {
  if (base_ == nullptr) return -1;
  const int saved_errno = errno;
  int fd = ::open(detail::segment_name(pid_).path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
  struct stat st {};
  if (fd >= 0 && (fstat(fd, &st) != 0 || !is_mapped_file(st))) {
    ::close(fd);
    fd = -1;
  }
  errno = saved_errno;
  return fd;
}

bool Segment::linked() const noexcept {
  if (base_ == nullptr) return false;
  const int saved_errno = errno;
  struct stat st {};
  const bool same = stat(detail::segment_name(pid_).path, &st) == 0 && is_mapped_file(st);
  errno = saved_errno;
  return same;
}

bool Segment::is_mapped_file(const struct stat& st) const noexcept {
  return static_cast<std::uint64_t>(st.st_dev) == dev_ && static_cast<std::uint64_t>(st.st_ino) == ino_;
}

Segment Segment::create(pid_t pid, const char* program, const char* labels, int* err) noexcept {
  const int saved_errno = errno;
  const detail::SegmentName name = detail::segment_name(pid);
  Segment seg;
  auto fail = [&](int e) {
    if (err != nullptr) *err = e;
    errno = saved_errno;
    return Segment{};
  };

  // A segment already named after our pid belongs to an earlier process
  // that had the pid (or to this process before exec): it is stale.
  shm_unlink(name.shm);
  const int fd = shm_open(name.shm, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) return fail(errno);
  struct stat st {};
  // fchmod: the umask must not take the owner's read-write away from tools.
  if (fchmod(fd, 0600) != 0 || ftruncate(fd, static_cast<off_t>(abi::kSegmentSize)) != 0 ||
      fstat(fd, &st) != 0) {
    const int e = errno;
    close(fd);
    shm_unlink(name.shm);
    return fail(e);
  }
  void* base = mmap(nullptr, abi::kSegmentSize, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  const int map_errno = errno;
  close(fd);
  if (base == MAP_FAILED) {
    shm_unlink(name.shm);
    return fail(map_errno);
  }
  construct_regions(base, pid, program, labels);
  seg.base_ = base;
  seg.size_ = abi::kSegmentSize;
  seg.pid_ = pid;
  seg.dev_ = static_cast<std::uint64_t>(st.st_dev);
  seg.ino_ = static_cast<std::uint64_t>(st.st_ino);
  if (err != nullptr) *err = 0;
  errno = saved_errno;
  return seg;
}

Segment Segment::open(pid_t pid, std::string* reason) {
  const int saved_errno = errno;
  const detail::SegmentName name = detail::segment_name(pid);
  auto fail = [&](std::string why) {
    if (reason != nullptr) *reason = std::move(why);
    errno = saved_errno;
    return Segment{};
  };

  const int fd = shm_open(name.shm, O_RDWR | O_CLOEXEC, 0);
  if (fd < 0) {
    const int e = errno;
    if (e == ENOENT) return fail(detail::format("no faultline target with pid %d (no %s)", pid, name.path));
    struct stat st {};
    if (e == EACCES && stat(name.path, &st) == 0 && !detail::may_use(st.st_uid))
      return fail(detail::foreign_owner_reason(name.path, st.st_uid));
    return fail(std::string(name.path) + ": " + detail::errno_text(e));
  }
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    const int e = errno;
    close(fd);
    return fail(std::string(name.path) + ": " + detail::errno_text(e));
  }
  if (!detail::may_use(st.st_uid)) {
    close(fd);
    return fail(detail::foreign_owner_reason(name.path, st.st_uid));
  }
  const auto file_size = static_cast<std::size_t>(st.st_size);
  if (file_size < sizeof(abi::Header)) {
    close(fd);
    return fail(
        detail::format("%s: %zu bytes, too small for a faultline header (the target may still "
                       "be starting)",
                       name.path, file_size));
  }
  void* base = mmap(nullptr, file_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  const int map_errno = errno;
  close(fd);
  if (base == MAP_FAILED) return fail(std::string(name.path) + ": mmap: " + detail::errno_text(map_errno));

  std::string why;
  if (!detail::check_header(*static_cast<const abi::Header*>(base), file_size, pid, name.path, &why)) {
    munmap(base, file_size);
    return fail(std::move(why));
  }
  Segment seg;
  seg.base_ = base;
  seg.size_ = file_size;
  seg.pid_ = pid;
  seg.dev_ = static_cast<std::uint64_t>(st.st_dev);
  seg.ino_ = static_cast<std::uint64_t>(st.st_ino);
  errno = saved_errno;
  return seg;
}

void Segment::unlink(pid_t pid) noexcept {
  const int saved_errno = errno;
  shm_unlink(detail::segment_name(pid).shm);
  errno = saved_errno;
}

std::string segment_path(pid_t pid) {
  return detail::segment_name(pid).path;
}

}  // namespace faultline::cp
