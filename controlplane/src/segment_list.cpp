// list_segments and gc_dead_segments: what lives under /dev/shm.
#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>

#include "faultline/controlplane/segment.h"
#include "header_check.h"
#include "messages.h"
#include "segment_name.h"

namespace faultline::cp {
namespace {

struct Entry {
  SegmentInfo info;
  std::uint64_t dev = 0, ino = 0;
};

// Maps only the header, read-only, and checks it. Returns the segment's
// creation time when compatible (0 otherwise).
std::int64_t probe_header(const char* path, pid_t pid, SegmentInfo* info) {
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    info->reason = std::string(path) + ": " + detail::errno_text(errno);
    return 0;
  }
  struct stat st {};
  std::int64_t start_mono_ns = 0;
  if (fstat(fd, &st) != 0) {
    info->reason = std::string(path) + ": " + detail::errno_text(errno);
  } else if (static_cast<std::size_t>(st.st_size) < sizeof(abi::Header)) {
    info->reason = detail::format("%s: %lld bytes, too small for a faultline header", path,
                                  static_cast<long long>(st.st_size));
  } else {
    void* base = mmap(nullptr, sizeof(abi::Header), PROT_READ, MAP_SHARED, fd, 0);
    if (base == MAP_FAILED) {
      info->reason = std::string(path) + ": mmap: " + detail::errno_text(errno);
    } else {
      const auto* h = static_cast<const abi::Header*>(base);
      info->compatible =
          detail::check_header(*h, static_cast<std::size_t>(st.st_size), pid, path, &info->reason);
      if (info->compatible) start_mono_ns = h->start_mono_ns;
      munmap(base, sizeof(abi::Header));
    }
  }
  ::close(fd);
  return start_mono_ns;
}

std::vector<Entry> scan() {
  std::vector<Entry> entries;
  DIR* dir = opendir(kShmDir);
  if (dir == nullptr) return entries;
  while (const dirent* d = readdir(dir)) {
    pid_t pid = 0;
    if (!detail::parse_segment_file_name(d->d_name, &pid)) continue;
    Entry e;
    e.info.pid = pid;
    e.info.path = segment_path(pid);
    struct stat st {};
    if (lstat(e.info.path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    e.info.uid = st.st_uid;
    e.dev = static_cast<std::uint64_t>(st.st_dev);
    e.ino = static_cast<std::uint64_t>(st.st_ino);
    e.info.owned = detail::may_use(st.st_uid);
    std::int64_t start_mono_ns = 0;
    if (e.info.owned)
      start_mono_ns = probe_header(e.info.path.c_str(), pid, &e.info);
    else
      e.info.reason = detail::foreign_owner_reason(e.info.path.c_str(), st.st_uid);
    e.info.alive = target_process_alive(pid, start_mono_ns);
    entries.push_back(std::move(e));
  }
  closedir(dir);
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return a.info.pid < b.info.pid; });
  return entries;
}

}  // namespace

std::vector<SegmentInfo> list_segments() {
  std::vector<SegmentInfo> out;
  for (Entry& e : scan()) out.push_back(std::move(e.info));
  return out;
}

int gc_dead_segments() {
  const int saved_errno = errno;
  int removed = 0;
  for (const Entry& e : scan()) {
    if (e.info.alive) continue;
    // The pid may have been taken by a new target since the scan; it
    // replaces the file, so only the file that was examined is removed.
    struct stat st {};
    if (stat(e.info.path.c_str(), &st) != 0 || static_cast<std::uint64_t>(st.st_dev) != e.dev ||
        static_cast<std::uint64_t>(st.st_ino) != e.ino)
      continue;
    if (shm_unlink(detail::segment_name(e.info.pid).shm) == 0) ++removed;
  }
  errno = saved_errno;
  return removed;
}

}  // namespace faultline::cp
