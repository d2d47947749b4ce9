#include "faultline/experiment/schedule.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <set>
#include <thread>

#include "document.h"
#include "faultline/experiment/load_error.h"
#include "faultline/experiment/outputs.h"
#include "signals.h"
#include "timefmt.h"

namespace faultline::experiment {

using Json = nlohmann::json;

namespace {

constexpr const char* kStateFile = ".faultline-schedule-state.json";

void say(bool quiet, const std::string& line) {
  if (quiet) return;
  std::fprintf(stderr, "schedule: %s\n", line.c_str());
  std::fflush(stderr);
}

std::string safe_name(const std::string& name) {
  std::string out;
  for (char c : name)
    out += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.') ? c : '_';
  return out.empty() ? "experiment" : out;
}

class StateFile {
 public:
  explicit StateFile(std::filesystem::path path) : path_(std::move(path)) {
    std::ifstream in(path_);
    if (!in) return;
    try {
      state_ = Json::parse(in);
    } catch (const Json::exception&) {
      // A damaged state file must not stop the schedule: start afresh, but keep it.
      std::error_code ec;
      std::filesystem::rename(path_, path_.string() + ".damaged", ec);
      state_ = Json::object();
    }
    if (!state_.is_object()) state_ = Json::object();
  }
  Json& entry(const std::string& name) {
    if (!state_["entries"].is_object()) state_["entries"] = Json::object();
    return state_["entries"][name];
  }
  void save() {
    state_["version"] = 1;
    write_text_file(path_, state_.dump(2) + "\n");
  }

 private:
  std::filesystem::path path_;
  Json state_ = Json::object();
};

// Held while an experiment runs, so that two schedulers never run at once.
class RunLock {
 public:
  RunLock(const std::string& dir, bool quiet) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    const std::string path = dir + "/experiment-run.lock";
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ < 0) return;
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      say(quiet, "another experiment run holds " + path + ": waiting for it");
      while (::flock(fd_, LOCK_EX) != 0 && errno == EINTR) {
      }
    }
  }
  ~RunLock() {
    if (fd_ >= 0) ::close(fd_);
  }
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;

 private:
  int fd_ = -1;
};

std::string default_lock_dir() {
  if (const char* runtime = std::getenv("XDG_RUNTIME_DIR"); runtime != nullptr && *runtime != '\0')
    return std::string(runtime) + "/faultline";
  return "/tmp/faultline-" + std::to_string(::getuid());
}

int worse(int a, int b) {
  const auto rank = [](int c) { return c == 2 ? 3 : c == 1 ? 2 : c == 0 ? 0 : 3; };
  return rank(b) > rank(a) ? b : a;
}

}  // namespace

Due due_between(const CronExpr& cron, const CivilMinute& after, const CivilMinute& until, long long cap) {
  Due due;
  CivilMinute t = after;
  while (due.count < cap) {
    const auto next = cron.next_after(t);
    if (!next || *next > until) break;
    ++due.count;
    due.latest = *next;
    t = *next;
  }
  if (due.count >= cap) {
    // Too many to count one by one: the latest is the last match before `until`.
    due.latest.reset();
    for (CivilMinute probe = until; !due.latest && probe > t; probe = add_minutes(probe, -1))
      if (cron.matches(probe)) due.latest = probe;
    if (!due.latest) due.latest = t;
  }
  return due;
}

Schedule load_schedule(const std::filesystem::path& path) {
  const Document doc = Document::load_file(path);
  const Json& root = doc.root();
  Schedule s;
  s.file = path.string();
  const JsonPointer top;
  if (!root.is_object() || !root.contains("experiments"))
    doc.fail(top,
             "missing 'experiments' (expected {\"experiments\": [{\"name\", \"schedule\", \"enabled\", "
             "\"path\"}]})");
  const Json& list = root["experiments"];
  const JsonPointer at = top / "experiments";
  if (!list.is_array()) doc.fail(at, "'experiments' must be a list");
  std::set<std::string> names;
  const auto base = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  for (std::size_t i = 0; i < list.size(); ++i) {
    const JsonPointer e_at = at / i;
    const Json& e = list[i];
    if (!e.is_object())
      doc.fail(e_at, "an experiment entry must be a mapping with name, schedule, enabled, path");
    ScheduleEntry entry;
    entry.line = doc.line_of(e_at);
    if (!e.contains("name") || !e["name"].is_string() || e["name"].get<std::string>().empty())
      doc.fail(e_at, "entry without 'name'");
    entry.name = e["name"].get<std::string>();
    if (!names.insert(entry.name).second) doc.fail(e_at / "name", "duplicate name '" + entry.name + "'");
    if (!e.contains("schedule") || !e["schedule"].is_string())
      doc.fail(e_at, "'" + entry.name +
                         "': missing 'schedule' (expected a 5-field cron expression such as \"0 2 * * 1\")");
    std::string error;
    auto cron = CronExpr::parse(e["schedule"].get<std::string>(), &error);
    if (!cron) doc.fail(e_at / "schedule", "'" + entry.name + "': " + error);
    entry.cron = *cron;
    if (e.contains("enabled")) {
      if (!e["enabled"].is_boolean()) doc.fail(e_at / "enabled", "'enabled' must be true or false");
      entry.enabled = e["enabled"].get<bool>();
    }
    if (!e.contains("path") || !e["path"].is_string())
      doc.fail(e_at, "'" + entry.name + "': missing 'path' (the experiment file, relative to this schedule)");
    const std::filesystem::path p = e["path"].get<std::string>();
    entry.path = p.is_absolute() ? p : base / p;
    if (entry.enabled && !std::filesystem::exists(entry.path))
      doc.fail(e_at / "path",
               "'" + entry.name + "': experiment file " + entry.path.string() + " does not exist");
    s.entries.push_back(std::move(entry));
  }
  return s;
}

int run_schedule(const Schedule& schedule, const ScheduleOptions& options) {
  std::filesystem::path history = options.history;
  if (history.empty()) {
    const std::filesystem::path file(schedule.file);
    history = (file.has_parent_path() ? file.parent_path() : std::filesystem::path(".")) / "history";
  }
  std::error_code ec;
  std::filesystem::create_directories(history, ec);
  if (ec) throw std::runtime_error("cannot create history folder " + history.string() + ": " + ec.message());
  const std::string lock_dir = options.lock_dir.empty() ? default_lock_dir() : options.lock_dir;
  StateFile state(history / kStateFile);
  InterruptGuard guard;
  int result = 0;

  const auto tick = [&](const CivilMinute& now) {
    for (const ScheduleEntry& entry : schedule.entries) {
      if (!entry.enabled || interrupt_signal() != 0) continue;
      Json& st = state.entry(entry.name);
      if (st.contains("running") && st["running"].is_object()) {
        say(options.quiet,
            fmt::format("the run of '{}' for {} did not finish (the scheduler stopped); not repeated",
                        entry.name, st["running"].value("occurrence", "?")));
        st.erase("running");
      }
      CivilMinute checked = add_minutes(now, -1);  // first sight: only the current minute counts
      if (st.contains("checked_until"))
        if (const auto c = parse_civil_minute(st["checked_until"].get<std::string>())) checked = *c;
      if (checked > now) checked = now;  // the clock went back: never run an occurrence twice
      if (checked >= now) {
        continue;
      }
      const Due due = due_between(entry.cron, checked, now);
      st["checked_until"] = to_string(now);
      if (due.count == 0) {
        state.save();
        continue;
      }
      if (due.count > 1)
        say(options.quiet,
            fmt::format("'{}' missed {} occurrence(s) since {} (scheduler not running): running it "
                        "once now, for {}",
                        entry.name, due.count - 1, to_string(checked), to_string(*due.latest)));
      st["running"] = {{"occurrence", to_string(*due.latest)},
                       {"started", iso_utc(std::chrono::system_clock::now())}};
      state.save();

      say(options.quiet,
          fmt::format("running '{}' ({}) for {}", entry.name, entry.cron.text(), to_string(*due.latest)));
      int code = kExitCouldNotRun;
      Json journal;
      try {
        const Experiment experiment = load_experiment(entry.path);
        RunLock lock(lock_dir, options.quiet);
        RunOptions run_options;
        run_options.quiet = options.quiet;
        RunResult r = run_experiment(experiment, run_options);
        code = r.exit_code;
        journal = std::move(r.journal);
      } catch (const std::exception& e) {
        say(options.quiet, fmt::format("'{}' could not run: {}", entry.name, e.what()));
        journal = {{"status", "failed"},
                   {"deviated", false},
                   {"start", iso_utc(std::chrono::system_clock::now())},
                   {"experiment", {{"title", entry.name}}},
                   {"faultline", {{"exit_code", kExitCouldNotRun}, {"error", e.what()}}}};
      }
      journal["faultline"]["schedule"] = {{"name", entry.name},
                                          {"cron", entry.cron.text()},
                                          {"occurrence", to_string(*due.latest)},
                                          {"missed", due.count - 1}};
      const std::string stem = safe_name(entry.name) + "-" + file_stamp_utc(std::chrono::system_clock::now());
      auto file = history / (stem + ".json");
      for (int n = 1; std::filesystem::exists(file); ++n) file = history / fmt::format("{}-{}.json", stem, n);
      write_text_file(file, journal.dump(2) + "\n");
      say(options.quiet,
          fmt::format("'{}' finished with exit {}: journal {}", entry.name, code, file.string()));
      st.erase("running");
      st["last_run"] = to_string(*due.latest);
      st["last_exit"] = code;
      st["last_journal"] = file.filename().string();
      state.save();
      result = worse(result, code);
    }
  };

  if (options.once) {
    tick(options.now.value_or(local_now()));
    return result;
  }
  say(options.quiet,
      fmt::format("{} experiment(s), history in {}", schedule.entries.size(), history.string()));
  while (interrupt_signal() == 0) {
    tick(local_now());
    // Wake at the start of the next minute (checking for signals meanwhile).
    const auto now = std::chrono::system_clock::now();
    const auto next_minute = std::chrono::ceil<std::chrono::minutes>(now + std::chrono::milliseconds(1));
    while (std::chrono::system_clock::now() < next_minute && interrupt_signal() == 0)
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  say(options.quiet, "stopped by a signal");
  return 0;
}

}  // namespace faultline::experiment
