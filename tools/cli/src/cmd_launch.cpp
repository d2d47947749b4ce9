// faultline launch [-l KEY=VAL]... [--name NAME] [--telemetry] -- PROGRAM [ARGS...]
// Prepares the environment and execs PROGRAM in place, so the target keeps
// this process's pid and its parent (a shell, a supervisor) sees its exit.
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "commands.h"
#include "faultline/cli/error.h"
#include "faultline/cli/parse.h"
#include "faultline/controlplane/abi.h"

#ifndef FAULTLINE_BUILD_PRELOAD_PATH
#define FAULTLINE_BUILD_PRELOAD_PATH ""
#endif

namespace faultline::cli {
namespace {

namespace fs = std::filesystem;

struct LaunchArgs {
  std::vector<std::string> labels;
  std::string name;
  bool telemetry = false;
  std::vector<std::string> command;
};

bool readable_file(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec) && access(p.c_str(), R_OK) == 0;
}

// FAULTLINE_PRELOAD, else lib/libfaultline.so beside the binary's bin/,
// else the library of the build tree this binary came from.
std::string find_preload() {
  if (const char* env = std::getenv("FAULTLINE_PRELOAD"); env != nullptr && *env != '\0') {
    if (!readable_file(env))
      throw UserError(std::string("FAULTLINE_PRELOAD=") + env +
                      " is not a readable file: expected the path of libfaultline.so");
    return fs::absolute(env).string();
  }
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const fs::path beside = self.parent_path().parent_path() / "lib" / "libfaultline.so";
    if (readable_file(beside)) return beside.string();
  }
  const fs::path built = FAULTLINE_BUILD_PRELOAD_PATH;
  if (!built.empty() && readable_file(built)) return built.string();
  throw UserError(
      "cannot find libfaultline.so: expected FAULTLINE_PRELOAD=/path/to/libfaultline.so, or "
      "the library in ../lib beside the faultline binary, or " +
      std::string(FAULTLINE_BUILD_PRELOAD_PATH));
}

// Prepends `lib` to LD_PRELOAD unless it is already one of its entries.
std::string preload_list(const std::string& lib) {
  const char* current = std::getenv("LD_PRELOAD");
  const std::string existing = current != nullptr ? current : "";
  std::size_t start = 0;
  while (start < existing.size()) {
    const std::size_t end = std::min(existing.find_first_of(": ", start), existing.size());
    if (existing.compare(start, end - start, lib) == 0) return existing;
    start = end + 1;
  }
  return existing.empty() ? lib : lib + ":" + existing;
}

std::string labels_value(const std::vector<std::string>& args) {
  Labels all;
  for (const std::string& a : args) {
    Labels l = parse_labels(a, "-l");
    all.insert(all.end(), l.begin(), l.end());
  }
  std::string joined = join_labels(all);
  if (joined.size() >= abi::kLabelsLen)
    throw UserError("labels '" + joined + "' are " + std::to_string(joined.size()) +
                    " bytes: expected at most " + std::to_string(abi::kLabelsLen - 1));
  return joined;
}

void set_env(const char* name, const std::string& value) {
  if (setenv(name, value.c_str(), 1) != 0)
    throw UserError(std::string("cannot set ") + name + ": " + std::strerror(errno) +
                    ": expected a usable environment");
}

int run_launch(const LaunchArgs& args) {
  if (args.command.empty())
    throw UserError("launch needs a program: expected faultline launch [-l KEY=VAL] -- PROGRAM [ARGS...]",
                    kExitUsage);
  if (args.name.find('/') != std::string::npos)
    throw UserError("--name '" + args.name + "' holds a '/': expected a program name such as order-service");
  if (args.name.size() >= abi::kProgramLen)
    throw UserError("--name '" + args.name + "' is too long: expected at most " +
                    std::to_string(abi::kProgramLen - 1) + " bytes");
  const std::string lib = find_preload();
  if (!args.labels.empty()) set_env("FAULTLINE_LABELS", labels_value(args.labels));
  if (args.telemetry) set_env("FAULTLINE_TELEMETRY", "1");
  set_env("LD_PRELOAD", preload_list(lib));

  std::vector<char*> argv;
  for (const std::string& a : args.command) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  // The preload publishes argv[0]'s base name, so --name is exec -a NAME.
  if (!args.name.empty()) argv[0] = const_cast<char*>(args.name.c_str());
  execvp(args.command[0].c_str(), argv.data());
  const int err = errno;
  std::string msg = "cannot run '" + args.command[0] + "': " + std::strerror(err) +
                    ": expected an executable PROGRAM on PATH or a path to one";
  throw UserError(msg, err == ENOENT ? 127 : 126);  // as env(1) and shells report it
}

}  // namespace

Command add_launch(CLI::App& root) {
  auto args = std::make_shared<LaunchArgs>();
  CLI::App* cmd = root.add_subcommand(
      "launch",
      "Run PROGRAM with the faultline preload: 'faultline launch [-l KEY=VAL]... [--name NAME] -- PROGRAM "
      "[ARGS...]'. PROGRAM replaces this process (same pid). Exits 127/126 if PROGRAM cannot be run.");
  cmd->add_option("-l,--label", args->labels,
                  "Labels KEY=VAL[,KEY=VAL] (repeatable) the target publishes, for 'inject -l'")
      ->type_name("KEY=VAL")
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd->add_option("--name", args->name,
                  "Program name the target publishes, for 'inject -n' (default: PROGRAM's); PROGRAM sees it "
                  "as argv[0], as with exec -a")
      ->type_name("NAME");
  cmd->add_flag("--telemetry", args->telemetry, "Record telemetry from the start (FAULTLINE_TELEMETRY=1)");
  // PROGRAM is the first word that is not one of these options; from there on
  // everything is PROGRAM's (CLI11 passes it through remaining()). An
  // explicit "--" before it is taken here, as CLI11 would not pass it on.
  cmd->prefix_command();
  Command command{cmd, [args, cmd] {
                    LaunchArgs a = *args;
                    const std::vector<std::string> rest = cmd->remaining();
                    a.command.insert(a.command.begin(), rest.begin(), rest.end());
                    return run_launch(a);
                  }};
  command.split_trailing = [args](std::vector<std::string>& words) {
    for (std::size_t i = 0; i < words.size(); ++i) {
      const std::string& w = words[i];
      if (w == "--") {
        args->command.assign(words.begin() + static_cast<std::ptrdiff_t>(i) + 1, words.end());
        words.resize(i);
        return;
      }
      if (w == "-l" || w == "--label" || w == "--name") {
        ++i;  // its value
      } else if (w.empty() || w[0] != '-') {
        return;  // PROGRAM
      }
    }
  };
  return command;
}

}  // namespace faultline::cli
