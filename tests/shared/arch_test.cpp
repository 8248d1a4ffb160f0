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

}  // namespace
}  // namespace dae
