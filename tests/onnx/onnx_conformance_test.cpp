// ONNX operator conformance: every single-node backend case of an operator the engine implements,
// run through the fast and the reference kernels; unsupported attributes are listed with reasons.
#include <gtest/gtest.h>

#include <cstdio>
#include <map>

#include "onnx_cases.h"

namespace dae::onnx_conformance {
namespace {

struct Tally {
  int passed = 0, skipped = 0, failed = 0;
};
std::map<std::string, Tally> g_tally;                      // per operator
std::vector<std::pair<std::string, std::string>> g_skips;  // case, reason

class OnnxCase : public ::testing::TestWithParam<Case> {};

TEST_P(OnnxCase, MatchesExpectedOutput) {
  const Case& c = GetParam();
  const Outcome fast = run_case(c, /*reference=*/false);
  const Outcome ref = run_case(c, /*reference=*/true);
  Tally& t = g_tally[c.op_type];
  if (fast.kind == Outcome::Skip) {
    // A skip depends only on the attributes, so both kernel sets agree on it.
    EXPECT_EQ(ref.kind, Outcome::Skip);
    ++t.skipped;
    g_skips.push_back({c.name, fast.message});
    GTEST_SKIP() << "unsupported: " << fast.message;
  }
  EXPECT_EQ(fast.kind, Outcome::Pass) << "fast kernels: " << fast.message;
  EXPECT_EQ(ref.kind, Outcome::Pass) << "reference kernels: " << ref.message;
  if (fast.kind == Outcome::Pass && ref.kind == Outcome::Pass)
    ++t.passed;
  else
    ++t.failed;
}

std::vector<Case> all_cases() {
  return find_cases(DAE_ONNX_NODE_DIR);
}

INSTANTIATE_TEST_SUITE_P(Node, OnnxCase, ::testing::ValuesIn(all_cases()),
                         [](const ::testing::TestParamInfo<Case>& info) { return info.param.name; });

TEST(OnnxCases, TheTestDataIsThere) {
  EXPECT_GE(all_cases().size(), 50u) << "expected the libonnx-testdata cases in " << DAE_ONNX_NODE_DIR;
}

}  // namespace
}  // namespace dae::onnx_conformance

int main(int argc, char** argv) {
  using namespace dae::onnx_conformance;
  ::testing::InitGoogleTest(&argc, argv);
  const int rc = RUN_ALL_TESTS();
  Tally total;
  std::printf("\n%-14s %7s %8s %7s\n", "operator", "passed", "skipped", "failed");
  for (const auto& [op, t] : g_tally) {
    std::printf("%-14s %7d %8d %7d\n", op.c_str(), t.passed, t.skipped, t.failed);
    total.passed += t.passed, total.skipped += t.skipped, total.failed += t.failed;
  }
  std::printf("\nskipped cases:\n");
  for (const auto& [name, why] : g_skips) std::printf("  %-58s %s\n", name.c_str(), why.c_str());
  std::printf("\n%d passed, %d skipped (unsupported attribute, listed above)%s\n", total.passed, total.skipped,
              total.failed ? (", " + std::to_string(total.failed) + " FAILED").c_str() : "");
  return rc;
}
