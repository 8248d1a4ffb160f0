// Tests for the architecture graph: built-ins, parameter counts, JSON round trip and validation errors.
#include "dae/arch.h"

#include <gtest/gtest.h>

namespace dae {
namespace {

TEST(Arch, SeedModelHasTheNotebooksParameterCount) {
  Result<Arch> arch = builtin_arch("seed");
  ASSERT_TRUE(arch.ok()) << arch.error();
  EXPECT_EQ(param_count(*arch), 3217);
}

TEST(Arch, ConvModelIsTheKerasStyleDenoiser) {
  Result<Arch> arch = builtin_arch("conv");
  ASSERT_TRUE(arch.ok()) << arch.error();
  EXPECT_EQ(param_count(*arch), 28353);
}

TEST(Arch, EveryBuiltinValidatesAndRoundTripsThroughJson) {
  for (const std::string& name : builtin_arch_names()) {
    Result<Arch> arch = builtin_arch(name);
    ASSERT_TRUE(arch.ok()) << name << ": " << arch.error();
    Arch copy = *arch;
    EXPECT_TRUE(validate(copy).ok()) << name;
    Result<Arch> parsed = arch_from_json(arch_to_json(*arch));
    ASSERT_TRUE(parsed.ok()) << name << ": " << parsed.error();
    EXPECT_EQ(arch_to_json(*parsed), arch_to_json(*arch));
    EXPECT_EQ(param_count(*parsed), param_count(*arch));
    EXPECT_GT(flops(*arch, 28, 28), 1e5);
  }
}

TEST(Arch, UnknownNameIsAnError) {
  Result<Arch> arch = builtin_arch("resnet9000");
  ASSERT_FALSE(arch.ok());
  EXPECT_NE(arch.error().find("unknown model 'resnet9000'"), std::string::npos);
}

struct BadArchCase {
  const char* json;
  const char* message;
};

class BadArch : public ::testing::TestWithParam<BadArchCase> {};

TEST_P(BadArch, GivesASpecificError) {
  Result<Arch> arch = arch_from_json(GetParam().json);
  ASSERT_FALSE(arch.ok());
  EXPECT_NE(arch.error().find(GetParam().message), std::string::npos) << arch.error();
}

INSTANTIATE_TEST_SUITE_P(
    Cases, BadArch,
    ::testing::Values(
        BadArchCase{"{", "not valid JSON"}, BadArchCase{"[1,2]", "must be a JSON object"},
        BadArchCase{"{\"nodes\":3}", "'nodes' must be an array"}, BadArchCase{"{\"nodes\":[]}", "has no nodes"},
        BadArchCase{R"({"nodes":[{"name":"a","op":"warp","inputs":["input"]}]})", "unknown op 'warp'"},
        BadArchCase{R"({"nodes":[{"name":"a","op":"conv","inputs":["b"],"cin":1,"cout":1,"kernel":3}]})",
                    "input 'b' is not an earlier node"},
        BadArchCase{R"({"nodes":[{"name":"a","op":"conv","inputs":["input"],"cin":2,"cout":1,"kernel":3}]})",
                    "expects 2 input channels but gets 1"},
        BadArchCase{R"({"nodes":[{"name":"a","op":"conv","inputs":["input"],"cin":1,"cout":1,"kernel":99}]})",
                    "bad kernel size"},
        BadArchCase{R"({"nodes":[{"name":"a","op":"conv","inputs":["input"],"cin":1,"cout":4,"kernel":3,"pad":1}]})",
                    "last node gives 4 channels"},
        BadArchCase{R"({"nodes":[{"name":"a","op":"conv","inputs":["input"],"cin":"x","cout":1,"kernel":3}]})",
                    "'cin' must be an integer"},
        BadArchCase{R"({"nodes":[{"name":"a","op":"add","inputs":["input"]}]})", "needs 2 input(s)"},
        BadArchCase{R"({"nodes":[{"name":"a","op":"add","inputs":["input","input","input"]}]})",
                    "has 3 inputs; no operator takes more than 2"}));

// A header listing millions of inputs is refused at once, before any name is looked up.
TEST(Arch, HugeInputListsAreRefusedBeforeLookup) {
  std::string json = R"({"nodes":[{"name":"a","op":"add","inputs":[)";
  for (int i = 0; i < 200000; ++i) json += (i ? ",\"n" : "\"n") + std::to_string(i) + "\"";
  json += "]}]}";
  Result<Arch> arch = arch_from_json(json);
  ASSERT_FALSE(arch.ok());
  EXPECT_NE(arch.error().find("200000 inputs"), std::string::npos) << arch.error();
}

// Concatenating a node with itself doubles its channels: thirteen levels pass 4096 (thirty-one would overflow an int).
TEST(Arch, ChainedConcatenationsAreCappedInChannels) {
  std::string nodes = R"({"name":"c0","op":"concat","inputs":["input","input"]})";
  for (int i = 1; i < 13; ++i)
    nodes += R"(,{"name":"c)" + std::to_string(i) + R"(","op":"concat","inputs":["c)" + std::to_string(i - 1) +
             R"(","c)" + std::to_string(i - 1) + R"("]})";
  Result<Arch> arch = arch_from_json(R"({"nodes":[)" + nodes + "]}");
  ASSERT_FALSE(arch.ok());
  EXPECT_NE(arch.error().find("node 'c12' (concat) would have 8192 channels, more than 4096"), std::string::npos)
      << arch.error();
}

// The cost of a small graph worked out by hand: input (1 value per pixel), a = conv 1->4, b = conv 4->4 from a,
// s = add(a, b), o = conv 4->1. At s's step the input, a, b (read by s) and s itself are alive: 1 + 4 + 4 + 4 = 13
// values per pixel, the peak.
TEST(Budget, CostOfASmallGraphByHand) {
  Result<Arch> arch = arch_from_json(R"({"nodes":[
      {"name":"a","op":"conv","inputs":["input"],"cin":1,"cout":4,"kernel":3,"pad":1},
      {"name":"b","op":"conv","inputs":["a"],"cin":4,"cout":4,"kernel":3,"pad":1},
      {"name":"s","op":"add","inputs":["a","b"]},
      {"name":"o","op":"conv","inputs":["s"],"cin":4,"cout":1,"kernel":1}]})");
  ASSERT_TRUE(arch.ok()) << arch.error();
  Result<Cost> c = cost(*arch, 2, 10, 8);
  ASSERT_TRUE(c.ok()) << c.error();
  const double pixels = 2 * 10 * 8;
  EXPECT_DOUBLE_EQ(c->work, pixels * (1 * 4 * 9 + 4 * 4 * 9 + 4 * 2 + 4 * 1));
  EXPECT_DOUBLE_EQ(c->peak_floats, pixels * 13);
  EXPECT_EQ(arch->nodes[c->peak_node].name, "s");
  EXPECT_EQ(arch->nodes[c->work_node].name, "b");
  // The convolutions' share is what flops() counts (multiply-adds x 2).
  EXPECT_DOUBLE_EQ(flops(*arch, 10, 8), 2.0 * 10 * 8 * (36 + 144 + 4));
}

TEST(Budget, EveryBuiltinFitsWithRoomToSpare) {
  for (const std::string& name : builtin_arch_names()) {
    const Arch arch = builtin_arch(name).value();
    Result<Cost> c = cost(arch, 1, 64, 64);
    ASSERT_TRUE(c.ok()) << name << ": " << c.error();
    EXPECT_LT(c->work / (64 * 64), kMaxWorkPerPixel / 50) << name;
    EXPECT_LT(c->peak_floats / (64 * 64), kMaxPeakFloatsPerPixel / 50) << name;
    EXPECT_TRUE(check_budget(arch, 1, 1024, 1024).ok()) << name;  // a 1024x1024 photo in one piece
  }
}

TEST(Budget, RefusalsNameTheNodeAndTheAmount) {
  const Arch unet32 = builtin_arch("unet32").value();
  // Every activation of a 16384x16384 image is under the size rule's limits, but together they are far too much.
  Status total = check_budget(unet32, 1, 16384, 16384);
  ASSERT_FALSE(total.ok());
  EXPECT_NE(total.message().find("1 image(s) of 16384x16384 would hold"), std::string::npos) << total.message();
  EXPECT_NE(total.message().find("GiB of activations at node '"), std::string::npos) << total.message();
  // Eight doublings: at the last one the input, u7 and u8 are alive, 1 + 4^7 + 4^8 values per input pixel.
  std::string nodes;
  for (int i = 1; i <= 8; ++i)
    nodes += std::string(i > 1 ? "," : "") + R"({"name":"u)" + std::to_string(i) + R"(","op":"upsample","inputs":[")" +
             (i > 1 ? "u" + std::to_string(i - 1) : std::string("input")) + R"("],"scale":2})";
  Result<Arch> bomb = arch_from_json(R"({"nodes":[)" + nodes + "]}");
  ASSERT_TRUE(bomb.ok()) << bomb.error();
  Status s = check_budget(*bomb, 1, 8, 8);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("holds 81921 activation values per image pixel at node 'u8' (upsample)"),
            std::string::npos)
      << s.message();
  // Too small for the graph: the size rule's own message.
  Status small = check_budget(builtin_arch("unet32").value(), 1, 2, 2);
  EXPECT_NE(small.message().find("too small"), std::string::npos) << small.message();
}

}  // namespace
}  // namespace dae
