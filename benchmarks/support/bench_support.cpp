#include "bench_support.h"

#include <dlfcn.h>
#include <link.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>

namespace faultline::bench {
namespace {

std::string base_name(const char* path) {
  const char* slash = std::strrchr(path, '/');
  return slash != nullptr ? slash + 1 : path;
}

bool is_loaded(const std::string& file_name) {
  struct Search {
    std::string name;
    bool found = false;
  } search{file_name};
  dl_iterate_phdr(
      [](dl_phdr_info* info, std::size_t, void* data) {
        auto* s = static_cast<Search*>(data);
        if (info->dlpi_name != nullptr && base_name(info->dlpi_name) == s->name) s->found = true;
        return 0;
      },
      &search);
  return search.found;
}

bool file_exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

constexpr const char* kReexecMarker = "FAULTLINE_BENCH_REEXECUTED";

}  // namespace

std::int64_t now_ns() noexcept {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

double quantile(std::vector<double>& values, double q) {
  if (values.empty()) return 0;
  const double rank = std::ceil(q * static_cast<double>(values.size()));
  const auto k = static_cast<std::size_t>(std::clamp(rank - 1, 0.0, static_cast<double>(values.size() - 1)));
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(k), values.end());
  return values[k];
}

double median(std::vector<double> values) {
  return quantile(values, 0.5);
}

void* libc_function(const char* name) {
  void* libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
  if (libc == nullptr) return nullptr;
  void* fn = dlsym(libc, name);
  dlclose(libc);
  return fn;
}

void* global_function(const char* name) {
  return dlsym(RTLD_DEFAULT, name);
}

std::string object_name(const void* address) {
  Dl_info info{};
  if (dladdr(address, &info) == 0 || info.dli_fname == nullptr) return "?";
  return base_name(info.dli_fname);
}

std::string faultline_preload_path() {
  return FAULTLINE_PRELOAD_PATH;
}

std::string libfiu_preload() {
  for (const char* dir : {"/usr/lib/fiu", "/usr/lib/x86_64-linux-gnu/fiu", "/usr/local/lib/fiu"}) {
    const std::string run = std::string(dir) + "/fiu_run_preload.so";
    const std::string posix = std::string(dir) + "/fiu_posix_preload.so";
    if (file_exists(run) && file_exists(posix)) return run + " " + posix;
  }
  return "";
}

bool ensure_preloaded(char** argv, const std::string& library) {
  if (is_loaded(base_name(library.c_str()))) return true;
  if (std::getenv(kReexecMarker) != nullptr) return false;
  const char* old = std::getenv("LD_PRELOAD");
  const std::string preload = old != nullptr && *old != '\0' ? library + " " + old : library;
  setenv("LD_PRELOAD", preload.c_str(), 1);
  setenv(kReexecMarker, "1", 1);
  execv("/proc/self/exe", argv);
  return false;
}

}  // namespace faultline::bench
