// Whatever an experiment file contains, loading it either succeeds or fails
// with a LoadError (file:line: what was expected), never another exception.
#include <gtest/gtest.h>

#include <random>

#include "faultline/experiment/experiment.h"
#include "faultline/experiment/load_error.h"
#include "test_support.h"

namespace faultline::experiment {
namespace {

using Json = nlohmann::json;

void collect(const Json& node, const Json::json_pointer& at, std::vector<Json::json_pointer>* out) {
  out->push_back(at);
  if (node.is_object())
    for (const auto& [key, value] : node.items()) collect(value, at / key, out);
  if (node.is_array())
    for (std::size_t i = 0; i < node.size(); ++i) collect(node[i], at / i, out);
}

const Vars kVars = {
    {"http_port", "1"}, {"tcp_port", "2"}, {"failures", "1"}, {"window", "1s"}, {"dir", "/tmp"}};

const Json kReplacements =
    Json::parse(R"([null, true, false, 0, -1, 1.5, 70000, "", "x", "${nope}", "5ms", "-3s",
  "$.a[?(@.b)]", "(", [], {}, {"type": 1}, {"type": "range", "range": [2, 1]}, {"type": "env"}, [1, 2, 3],
  {"type": "probe"}, {"ref": "nothing"}, {"ref": 3}, ["a"], {"type": "python"}])");

std::string load_outcome(const std::string& text) {
  try {
    parse_experiment(text, "mutated.json", kVars);
    return "";
  } catch (const LoadError& e) {
    if (e.message().empty()) return "an empty LoadError message";
    return "";
  } catch (const std::exception& e) {
    return std::string("not a LoadError: ") + e.what();
  }
}

TEST(Robustness, ShouldRejectMutatedExperimentsOnlyWithLoadErrors) {
  std::mt19937 rng(20261207);  // fixed seed: the same mutations every run
  int loaded = 0, rejected = 0;
  for (const char* name : {"holds.yaml", "breaks-health.yaml", "seed-market-data-latency.yaml",
                           "seed-order-service-kill.json", "seed-database-terminate.yaml"}) {
    const Json original = [&] {
      // The fixtures as JSON: YAML is read through the loader's own conversion.
      const Experiment e = load_experiment(test::data_path(name), kVars);
      return e.declared;
    }();
    std::vector<Json::json_pointer> pointers;
    collect(original, Json::json_pointer(), &pointers);
    for (int round = 0; round < 400; ++round) {
      Json mutated = original;
      const int edits = 1 + static_cast<int>(rng() % 3);
      for (int k = 0; k < edits; ++k) {
        const auto& at = pointers[rng() % pointers.size()];
        if (!mutated.contains(at)) continue;
        if (rng() % 4 == 0 && !at.empty()) {
          const auto parent = at.parent_pointer();
          if (mutated[parent].is_object()) mutated[parent].erase(at.back());
        } else {
          mutated[at] = kReplacements[rng() % kReplacements.size()];
        }
      }
      const std::string text = mutated.dump(2);
      const std::string problem = load_outcome(text);
      ASSERT_EQ(problem, "") << text;
      try {
        parse_experiment(text, "m.json", kVars);
        ++loaded;
      } catch (const LoadError&) {
        ++rejected;
      }
    }
  }
  EXPECT_GT(rejected, 0);
  EXPECT_GT(loaded, 0);
}

TEST(Robustness, ShouldRejectTruncatedFilesWithTheirLine) {
  const std::string text = test::read_file(test::data_path("holds.yaml"));
  for (std::size_t cut = 1; cut < text.size(); cut += 7) {
    const std::string problem = load_outcome(text.substr(0, cut));
    ASSERT_EQ(problem, "") << "cut at " << cut;
  }
}

}  // namespace
}  // namespace faultline::experiment
