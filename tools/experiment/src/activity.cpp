#include "activity.h"

#include <thread>

#include "provider.h"
#include "run_context.h"
#include "timefmt.h"

namespace faultline::experiment {

using Json = nlohmann::json;

bool sleep_unless(std::chrono::nanoseconds d, const std::atomic<bool>* cancel) {
  const auto until = std::chrono::steady_clock::now() + d;
  while (true) {
    if (cancel != nullptr && cancel->load(std::memory_order_relaxed)) return false;
    const auto left = until - std::chrono::steady_clock::now();
    if (left <= std::chrono::nanoseconds(0)) return true;
    std::this_thread::sleep_for(std::min<std::chrono::nanoseconds>(left, std::chrono::milliseconds(5)));
  }
}

namespace {

// A tolerance of type "probe" gets the value as its "value" argument and
// accepts it when it succeeds with a truthy output (exit status 0 for
// processes, 2xx for http).
bool run_tolerance_probe(const Json& probe, const Json& value, RunContext& context) {
  Activity a;
  a.type = "probe";
  a.name = probe.value("name", "tolerance");
  a.provider = probe["provider"];
  Json& args = a.provider["arguments"];
  const Json text = value.is_string() ? value : Json(value.dump());
  if (args.is_array())
    args.push_back(text);
  else
    args["value"] = text;
  try {
    const ProviderOutput out = run_provider(a, context, nullptr);
    const Json& o = out.output;
    if (o.is_boolean()) return o.get<bool>();
    if (o.is_object() && o.contains("status") && o["status"].is_number()) {
      const int status = o["status"].get<int>();
      return a.provider.value("type", "") == "http" ? (status >= 200 && status < 300) : status == 0;
    }
    return !o.is_null() && o != Json(0) && o != Json("");
  } catch (const ActivityFailed&) {
    return false;
  }
}

}  // namespace

ActivityRun execute_activity(const Activity& activity, RunContext& context, const std::atomic<bool>* cancel,
                             bool evaluate_tolerance, bool with_pauses) {
  ActivityRun run;
  if (with_pauses && activity.pause_before.count() > 0) sleep_unless(activity.pause_before, cancel);
  const auto wall_start = std::chrono::system_clock::now();
  const auto start = std::chrono::steady_clock::now();
  Json output;
  try {
    ProviderOutput out = run_provider(activity, context, cancel);
    output = std::move(out.output);
    run.latency_ms = out.latency_ms;
    run.histogram = std::move(out.histogram);
    run.succeeded = true;
  } catch (const ActivityFailed& e) {
    run.error = e.what();
  }
  const auto end = std::chrono::steady_clock::now();
  Json& r = run.record;
  r["activity"] = activity.declared;
  r["output"] = output;
  r["status"] = run.succeeded ? "succeeded" : "failed";
  r["start"] = iso_utc(wall_start);
  r["end"] =
      iso_utc(wall_start + std::chrono::duration_cast<std::chrono::system_clock::duration>(end - start));
  r["duration"] = std::chrono::duration<double>(end - start).count();
  if (!run.succeeded) r["exception"] = Json::array({"ActivityFailed: " + run.error});
  if (evaluate_tolerance && activity.tolerance) {
    if (run.succeeded) {
      run.tolerance = check_tolerance(*activity.tolerance, output, [&](const Json& probe, const Json& value) {
        return run_tolerance_probe(probe, value, context);
      });
    } else {
      run.tolerance = ToleranceCheck{false, "probe failed: " + run.error};
    }
    r["tolerance_met"] = run.tolerance->met;
  }
  if (with_pauses && activity.pause_after.count() > 0) sleep_unless(activity.pause_after, cancel);
  return run;
}

}  // namespace faultline::experiment
