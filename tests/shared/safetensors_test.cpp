// Tests for the safetensors reader and the model loader: valid files load, every malformed one is refused
// with a message naming what is wrong.
#include "dae/safetensors.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "dae/arch.h"
#include "dae/engine.h"
#include "dae/half.h"
#include "test_util.h"

namespace dae {
namespace {

using testing::make_safetensors;
using testing::RawTensor;

std::vector<uint8_t> with_header(const std::string& header, size_t data_bytes = 0) {
  std::vector<uint8_t> out(8);
  for (int i = 0; i < 8; ++i) out[i] = static_cast<uint8_t>(uint64_t(header.size()) >> (8 * i));
  out.insert(out.end(), header.begin(), header.end());
  out.resize(out.size() + data_bytes);
  return out;
}

std::string parse_error(const std::vector<uint8_t>& bytes) {
  Result<SafetensorsView> view = parse_safetensors(bytes.data(), bytes.size());
  return view.ok() ? "" : view.error();
}

TEST(Safetensors, ReadsTensorsAndMetadata) {
  auto bytes = make_safetensors({{"a", "F32", {2, 2}, {1, 2, 3, 4}}, {"b", "F32", {1}, {-5}}}, {{"k", "v"}});
  Result<SafetensorsView> view = parse_safetensors(bytes.data(), bytes.size());
  ASSERT_TRUE(view.ok()) << view.error();
  EXPECT_EQ(view->metadata.at("k"), "v");
  EXPECT_EQ(view->tensors.at("a").shape, (std::vector<int64_t>{2, 2}));
  Result<std::vector<float>> a = view->floats("a");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(*a, (std::vector<float>{1, 2, 3, 4}));
  EXPECT_EQ(view->floats("b")->at(0), -5.0f);
  EXPECT_FALSE(view->floats("missing").ok());
}

struct BadFile {
  const char* label;
  std::vector<uint8_t> bytes;
  const char* message;
};

std::vector<BadFile> bad_files() {
  std::vector<BadFile> cases;
  cases.push_back({"empty", {}, "the file is empty"});
  cases.push_back({"short", {1, 2, 3}, "too short for a header"});
  std::vector<uint8_t> huge(16, 0);
  huge[7] = 0x7f;
  cases.push_back({"absurd header length", huge, "larger than the 16 MiB limit"});
  auto past = with_header("{}");
  past[0] = 200;
  cases.push_back({"header past end", past, "runs past the end"});
  cases.push_back({"png magic", {0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0}, "this is a PNG image"});
  cases.push_back({"not an object", with_header("[1, 2, 3]"), "not a JSON object"});
  cases.push_back({"invalid json", with_header("{\"a\": "), "not valid JSON"});
  cases.push_back({"no dtype", with_header(R"({"a":{"shape":[1],"data_offsets":[0,4]}})", 4), "no 'dtype'"});
  cases.push_back(
      {"bad dtype", with_header(R"({"a":{"dtype":"Q7","shape":[1],"data_offsets":[0,4]}})", 4), "unknown dtype 'Q7'"});
  cases.push_back({"negative shape", with_header(R"({"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", 4),
                   "not a non-negative integer"});
  cases.push_back({"overflowing shape",
                   with_header(R"({"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}})", 4),
                   "shape larger than the file"});
  cases.push_back({"offsets past end", with_header(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", 4),
                   "past the end of the data"});
  cases.push_back({"reversed offsets", with_header(R"({"a":{"dtype":"F32","shape":[0],"data_offsets":[4,0]}})", 4),
                   "end before they begin"});
  cases.push_back({"size mismatch", with_header(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8),
                   "but its shape and dtype need 12"});
  cases.push_back({"overlap",
                   with_header(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                               R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                               12),
                   "overlap"});
  cases.push_back({"metadata not strings", with_header(R"({"__metadata__":{"x":1}})"), "is not a string"});
  return cases;
}

TEST(Safetensors, RefusesEveryMalformedFileWithASpecificMessage) {
  for (const BadFile& c : bad_files()) {
    const std::string err = parse_error(c.bytes);
    EXPECT_NE(err.find(c.message), std::string::npos) << c.label << ": got '" << err << "'";
  }
}

// 16 MiB of "[[[[..." used to cost ~590 MiB in the wasm heap while nlohmann built every level; the depth is capped
// before parsing, in the header and in the architecture JSON inside it.
TEST(Safetensors, DeeplyNestedJsonIsRefusedBeforeParsing) {
  const std::string deep = "{\"a\":" + std::string(100000, '[') + std::string(100000, ']') + "}";
  EXPECT_NE(parse_error(with_header(deep)).find("deeper than 32 levels"), std::string::npos)
      << parse_error(with_header(deep));
  Result<Arch> arch = arch_from_json("{\"nodes\":" + std::string(5000, '[') + std::string(5000, ']') + "}");
  ASSERT_FALSE(arch.ok());
  EXPECT_NE(arch.error().find("deeper than 32 levels"), std::string::npos) << arch.error();
  // Brackets inside strings are text, not nesting; ordinary depth still parses.
  const std::string quoted = "{\"__metadata__\":{\"note\":\"" + std::string(100, '[') + "\\\"\"}}";
  EXPECT_EQ(parse_error(with_header(quoted)), "");
}

TEST(Safetensors, EveryTruncationOfAValidModelIsRefused) {
  Result<Arch> arch = builtin_arch("seed");
  ASSERT_TRUE(arch.ok());
  const std::vector<uint8_t> bytes = testing::model_file(*arch, 7);
  ASSERT_TRUE(Model::from_safetensors(bytes.data(), bytes.size()).ok());
  for (size_t len = 0; len < bytes.size(); len += 1 + len / 16) {
    Result<Model> m = Model::from_safetensors(bytes.data(), len);
    EXPECT_FALSE(m.ok()) << "accepted a file truncated to " << len << " bytes";
  }
}

Arch seed() {
  return builtin_arch("seed").value();
}

std::string model_error(std::vector<RawTensor> tensors, const std::string& arch_json) {
  auto bytes = make_safetensors(tensors, {{"dae.arch", arch_json}});
  Result<Model> m = Model::from_safetensors(bytes.data(), bytes.size());
  return m.ok() ? "" : m.error();
}

TEST(ModelLoad, RefusesWeightsThatDisagreeWithTheArchitecture) {
  const std::string json = arch_to_json(seed());
  auto base = testing::random_weights(seed(), 1);

  auto wrong_shape = base;
  wrong_shape[0].shape = {16, 1, 9};
  EXPECT_NE(model_error(wrong_shape, json).find("has shape [16, 1, 9], the architecture needs [16, 1, 3, 3]"),
            std::string::npos);

  auto missing = base;
  missing.pop_back();
  EXPECT_NE(model_error(missing, json).find("tensor 'dec2.bias' is missing"), std::string::npos);

  auto extra = base;
  extra.push_back({"stray", "F32", {1}, {0}});
  EXPECT_NE(model_error(extra, json).find("unexpected tensor 'stray'"), std::string::npos);

  auto nan = base;
  nan[2].values[5] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_NE(model_error(nan, json).find("non-finite value"), std::string::npos);

  auto inf = base;
  inf[3].values[0] = std::numeric_limits<float>::infinity();
  EXPECT_NE(model_error(inf, json).find("'enc2.bias' holds a non-finite value"), std::string::npos);

  auto bf16 = base;
  bf16[1].dtype = "BF16";
  bf16[1].values.resize(8);  // 16 two-byte values fill the same 32 bytes
  EXPECT_NE(model_error(bf16, json).find("only F32 and F16 are supported"), std::string::npos);

  auto bytes = make_safetensors(base, {});
  Result<Model> no_arch = Model::from_safetensors(bytes.data(), bytes.size());
  ASSERT_FALSE(no_arch.ok());
  EXPECT_NE(no_arch.error().find("no 'dae.arch' metadata"), std::string::npos);

  EXPECT_NE(model_error(base, "{not json").find("not valid JSON"), std::string::npos);
}

TEST(ModelLoad, RefusesWeightsForAnotherChannelCount) {
  // The RGB 'photo' graph and the grayscale 'unet32' graph differ only in their first and last convolutions.
  const Arch photo = builtin_arch(kPhotoArch).value(), gray = builtin_arch("unet32").value();
  const auto photo_weights = testing::random_weights(photo, 1), gray_weights = testing::random_weights(gray, 1);
  EXPECT_NE(model_error(gray_weights, arch_to_json(photo))
                .find("tensor 'e1a.weight' has shape [32, 1, 3, 3], the architecture needs [32, 3, 3, 3]"),
            std::string::npos);
  EXPECT_NE(model_error(photo_weights, arch_to_json(gray))
                .find("tensor 'e1a.weight' has shape [32, 3, 3, 3], the architecture needs [32, 1, 3, 3]"),
            std::string::npos);
  // Only the output convolution is grayscale: its weight and bias are both checked.
  auto gray_output = photo_weights;
  for (testing::RawTensor& t : gray_output)
    for (const testing::RawTensor& g : gray_weights)
      if (t.name == g.name && t.name.rfind("noise.", 0) == 0) t = g;
  EXPECT_NE(model_error(gray_output, arch_to_json(photo))
                .find("tensor 'noise.weight' has shape [1, 32, 3, 3], the architecture needs [3, 32, 3, 3]"),
            std::string::npos);
  gray_output = photo_weights;
  for (testing::RawTensor& t : gray_output)
    if (t.name == "noise.bias") t.shape = {1}, t.values.resize(1);
  EXPECT_NE(model_error(gray_output, arch_to_json(photo))
                .find("tensor 'noise.bias' has shape [1], the architecture needs [3]"),
            std::string::npos);
  EXPECT_EQ(model_error(photo_weights, arch_to_json(photo)), "");
}

TEST(ModelLoad, MissingFileNamesThePath) {
  Result<Model> m = Model::from_file("/nonexistent/model.safetensors");
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.error().find("cannot open '/nonexistent/model.safetensors'"), std::string::npos);
}

}  // namespace
}  // namespace dae

namespace dae {
namespace {

// Every half value survives half -> float -> half; NaNs stay NaN.
TEST(Half, EveryValueRoundTrips) {
  int nans = 0;
  for (uint32_t h = 0; h <= 0xFFFF; ++h) {
    const float f = half_to_float(uint16_t(h));
    if (std::isnan(f)) {
      ++nans;
      EXPECT_TRUE(std::isnan(half_to_float(float_to_half(f))));
      continue;
    }
    ASSERT_EQ(float_to_half(f), h) << "half 0x" << std::hex << h << " = " << f;
  }
  EXPECT_EQ(nans, 2 * 1023);
}

TEST(Half, KnownValuesAndRounding) {
  EXPECT_EQ(half_to_float(0x3C00), 1.0f);
  EXPECT_EQ(half_to_float(0xC000), -2.0f);
  EXPECT_EQ(half_to_float(0x7BFF), 65504.0f);
  EXPECT_EQ(half_to_float(0x0001), std::ldexp(1.0f, -24));  // smallest subnormal
  EXPECT_EQ(half_to_float(0x03FF), std::ldexp(1023.0f, -24));
  EXPECT_TRUE(std::isinf(half_to_float(0xFC00)) && half_to_float(0xFC00) < 0);
  EXPECT_EQ(float_to_half(0.1f), 0x2E66);            // 0.0999755859375, the nearest half
  EXPECT_EQ(float_to_half(1.0f + std::ldexp(1.0f, -11)), 0x3C00);  // tie: to even (down)
  EXPECT_EQ(float_to_half(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3C02);  // tie: to even (up)
  EXPECT_EQ(float_to_half(65519.0f), 0x7BFF);
  EXPECT_EQ(float_to_half(65520.0f), 0x7C00);  // rounds past the largest half: infinity
  EXPECT_EQ(float_to_half(std::ldexp(1.0f, -25)), 0x0000);  // tie between 0 and the smallest subnormal: even
  EXPECT_EQ(float_to_half(std::ldexp(1.5f, -25)), 0x0001);
  EXPECT_EQ(float_to_half(-0.0f), 0x8000);
  // Every float rounds to one of its two neighbouring halves, the nearer one.
  uint32_t state = 1;
  for (int i = 0; i < 200000; ++i) {
    state = state * 1664525u + 1013904223u;
    const float f = std::ldexp(float(state >> 8) / float(1 << 24), int(state % 40) - 30) * ((state & 1) ? -1 : 1);
    const float r = half_to_float(float_to_half(f));
    const uint16_t h = float_to_half(f);
    const float up = half_to_float(uint16_t(h + 1)), down = half_to_float(uint16_t(h - 1));
    if ((h & 0x7FFF) != 0 && (h & 0x7FFF) < 0x7BFF) {
      ASSERT_LE(std::fabs(r - f), std::fabs(up - f)) << f;
      ASSERT_LE(std::fabs(r - f), std::fabs(down - f)) << f;
    }
  }
}

// A model stored as F16 loads with exactly the half-rounded weights and denoises like its F32 twin.
TEST(Half, F16ModelFileMatchesItsRoundedF32Twin) {
  Result<Arch> arch = builtin_arch("conv");
  ASSERT_TRUE(arch.ok());
  std::vector<RawTensor> weights = testing::random_weights(*arch, 7);
  std::vector<RawTensor> rounded = weights, halves = weights;
  for (size_t t = 0; t < weights.size(); ++t) {
    halves[t].dtype = "F16";
    for (size_t i = 0; i < weights[t].values.size(); ++i) {
      const uint16_t h = float_to_half(weights[t].values[i]);
      rounded[t].values[i] = half_to_float(h);
      halves[t].raw.push_back(uint8_t(h & 0xFF));
      halves[t].raw.push_back(uint8_t(h >> 8));
    }
  }
  const std::vector<std::pair<std::string, std::string>> meta = {{"dae.arch", arch_to_json(*arch)}};
  const std::vector<uint8_t> f16_bytes = make_safetensors(halves, meta), f32_bytes = make_safetensors(rounded, meta);
  Result<Model> a = Model::from_safetensors(f16_bytes.data(), f16_bytes.size());
  Result<Model> b = Model::from_safetensors(f32_bytes.data(), f32_bytes.size());
  ASSERT_TRUE(a.ok()) << a.error();
  ASSERT_TRUE(b.ok()) << b.error();
  EXPECT_LT(f16_bytes.size(), f32_bytes.size() * 6 / 10);
  Tensor in(1, 1, 28, 28);
  for (size_t i = 0; i < in.data.size(); ++i) in.data[i] = float(i % 29) / 28.0f;
  Result<Tensor> ya = denoise(*a, in), yb = denoise(*b, in);
  ASSERT_TRUE(ya.ok() && yb.ok());
  EXPECT_EQ(ya->data, yb->data);
}

}  // namespace
}  // namespace dae
