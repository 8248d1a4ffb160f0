// Tests for graph execution: shapes for every built-in model, padding for odd sizes, input checks.
#include "dae/engine.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "dae/tiles.h"
#include "test_util.h"

namespace dae {
namespace {

Model random_model(const std::string& name, uint64_t seed = 3) {
  Arch arch = builtin_arch(name).value();
  const std::vector<uint8_t> bytes = testing::model_file(arch, seed);
  Result<Model> m = Model::from_safetensors(bytes.data(), bytes.size());
  EXPECT_TRUE(m.ok()) << m.error();
  return std::move(*m);
}

Tensor random_image(int n, int h, int w, uint64_t seed, int channels = 1) {
  Tensor t(n, channels, h, w);
  Rng rng(seed);
  for (float& v : t.data) v = rng.uniform();
  return t;
}

TEST(Engine, EveryBuiltinKeepsTheImageShape) {
  for (const std::string& name : builtin_arch_names()) {
    Model m = random_model(name);
    for (auto [h, w] : {std::pair{28, 28}, std::pair{20, 36}, std::pair{4, 8}}) {
      Result<Tensor> out = m.forward(random_image(2, h, w, 1, m.arch().channels));
      ASSERT_TRUE(out.ok()) << name << ": " << out.error();
      EXPECT_EQ(out->n, 2);
      EXPECT_EQ(out->c, m.arch().channels);
      EXPECT_EQ(out->h, h) << name;
      EXPECT_EQ(out->w, w) << name;
    }
  }
}

TEST(Engine, DenoiseHandlesSizesThatAreNotMultiplesAndClamps) {
  for (const std::string& name : builtin_arch_names()) {
    Model m = random_model(name);
    for (auto [h, w] : {std::pair{1, 1}, std::pair{27, 29}, std::pair{5, 3}}) {
      const Tensor in = random_image(1, h, w, 2, m.arch().channels);
      Result<Tensor> out = denoise(m, in);
      ASSERT_TRUE(out.ok()) << name << ": " << out.error();
      EXPECT_EQ(out->c, m.arch().channels);
      EXPECT_EQ(out->h, h);
      EXPECT_EQ(out->w, w);
      for (float v : out->data) {
        EXPECT_GE(v, 0.0f);
        EXPECT_LE(v, 1.0f);
      }
    }
  }
}

TEST(Engine, PaddingOnlyAppendsEdgePixels) {
  // The top-left crop of a padded run equals the run on the padded image itself.
  Model m = random_model("unet");
  const Tensor odd = random_image(1, 25, 30, 4);
  Tensor padded(1, 1, 28, 32);
  for (int y = 0; y < 28; ++y)
    for (int x = 0; x < 32; ++x) padded.data[y * 32 + x] = odd.data[std::min(y, 24) * 30 + std::min(x, 29)];
  Result<Tensor> a = denoise(m, odd);
  Result<Tensor> b = denoise(m, padded);
  ASSERT_TRUE(a.ok() && b.ok());
  for (int y = 0; y < 25; ++y)
    for (int x = 0; x < 30; ++x) EXPECT_FLOAT_EQ(a->data[y * 30 + x], b->data[y * 32 + x]);
}

TEST(Engine, ASecondBackendGivenThePaddedInputAndFinishingItsOutputMatchesDenoise) {
  // What the page does around ONNX Runtime: pad_for_model, the graph run elsewhere (here forward), finish_output.
  for (const std::string& name : {std::string("unet"), std::string("photo")}) {
    Model m = random_model(name);
    const Tensor odd = random_image(2, 13, 30, 5, m.arch().channels);
    const Tensor padded = pad_for_model(m.arch(), odd);
    EXPECT_EQ(padded.h, padded_side(m.arch(), 13));
    EXPECT_EQ(padded.w, padded_side(m.arch(), 30));
    EXPECT_GT(padded.h, 13);
    Result<Tensor> raw = m.forward(padded);
    ASSERT_TRUE(raw.ok()) << raw.error();
    const Tensor finished = finish_output(std::move(*raw), 13, 30);
    Result<Tensor> whole = denoise(m, odd);
    ASSERT_TRUE(whole.ok()) << whole.error();
    ASSERT_EQ(finished.h, 13);
    ASSERT_EQ(finished.w, 30);
    EXPECT_EQ(finished.data, whole->data) << name;
  }
  // Already a multiple: an unchanged copy; and finish_output scales before it clamps.
  const Tensor even = random_image(1, 8, 8, 6);
  EXPECT_EQ(pad_for_model(random_model("unet").arch(), even).data, even.data);
  Tensor sum(1, 1, 1, 3);
  sum.data = {-0.5f, 1.5f, 3.0f};
  EXPECT_EQ(finish_output(sum, 1, 3, 0.5f).data, (std::vector<float>{0.0f, 0.75f, 1.0f}));
}

TEST(Engine, BatchItemsAreIndependent) {
  Model m = random_model("conv");
  const Tensor batch = random_image(3, 28, 28, 5);
  Result<Tensor> all = m.forward(batch);
  ASSERT_TRUE(all.ok());
  for (int i = 0; i < 3; ++i) {
    Tensor one(1, 1, 28, 28);
    std::copy_n(batch.at(i, 0), 784, one.data.begin());
    Result<Tensor> single = m.forward(one);
    ASSERT_TRUE(single.ok());
    for (int p = 0; p < 784; ++p) EXPECT_NEAR(single->data[p], all->at(i, 0)[p], 1e-6f);
  }
}

TEST(Engine, RefusesBadInputs) {
  Model m = random_model("unet");
  Tensor wrong_channels(1, 3, 28, 28);
  EXPECT_NE(m.forward(wrong_channels).error().find("input must be [N, 1, H, W], got [1, 3, 28, 28]"),
            std::string::npos);
  EXPECT_NE(m.forward(random_image(1, 30, 28, 1)).error().find("multiples of 4"), std::string::npos);
  Tensor empty;
  EXPECT_FALSE(denoise(m, empty).ok());
  Tensor lying(1, 1, 28, 28);
  lying.data.resize(10);
  EXPECT_NE(m.forward(lying).error().find("does not match its shape"), std::string::npos);
  Tensor huge;
  huge.n = 1, huge.c = 1, huge.h = 40000, huge.w = 4;
  EXPECT_NE(denoise(m, huge).error().find("larger than 16384 pixels"), std::string::npos);
}

// A weightless graph that blows a small input up: the activation guard refuses it before anything is allocated, and
// a longer chain is refused by its size rule before the sizes could overflow.
TEST(Engine, RefusesActivationsOverTheCapAndSizesThatWouldOverflow) {
  const auto model = [](int upsamples) {
    std::string nodes;
    for (int i = 0; i < upsamples; ++i)
      nodes += std::string(i ? "," : "") + R"({"name":"u)" + std::to_string(i) + R"(","op":"upsample","inputs":[")" +
               (i ? "u" + std::to_string(i - 1) : std::string("input")) + R"("],"stride":8})";
    Result<Arch> arch = arch_from_json(R"({"nodes":[)" + nodes + "]}");
    EXPECT_TRUE(arch.ok()) << arch.error();
    const std::vector<uint8_t> bytes = testing::model_file(*arch, 1);
    return Model::from_safetensors(bytes.data(), bytes.size());
  };
  Result<Model> two = model(2);
  ASSERT_TRUE(two.ok()) << two.error();
  // 512x512 (1 MiB) becomes 4096x4096, then 32768x32768: 4 GiB at node 'u1'.
  Result<Tensor> out = two->forward(Tensor(1, 1, 512, 512));
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.error().find("node 'u1' would need more than 1 GiB"), std::string::npos) << out.error();
  Result<Model> six = model(6);
  ASSERT_TRUE(six.ok()) << six.error();
  Result<Tensor> wrapped = six->forward(Tensor(1, 1, 64, 64));  // 64·8^6 = 16,777,216 a side: past int's square
  ASSERT_FALSE(wrapped.ok());
  EXPECT_NE(wrapped.error().find("larger than 65536 pixels a side"), std::string::npos) << wrapped.error();
}

TEST(Engine, ColorModelMatchesReferenceKernelsOnAnOddSizedImage) {
  // The engine is channel-generic: the RGB model through denoise (edge padding to 24x32, crop, clamp) gives the
  // scalar reference kernels' result, and its three output channels differ (no channel is dropped or repeated).
  Model m = random_model(kPhotoArch);
  ASSERT_EQ(m.arch().channels, 3);
  const Tensor in = random_image(1, 21, 29, 6, 3);
  Result<Tensor> fast = denoise(m, in);
  Result<Tensor> ref = denoise(m, in, RunOptions{/*reference=*/true});
  ASSERT_TRUE(fast.ok()) << fast.error();
  ASSERT_TRUE(ref.ok()) << ref.error();
  ASSERT_TRUE(fast->same_shape(in));
  ASSERT_TRUE(ref->same_shape(in));
  float max_diff = 0;
  for (size_t i = 0; i < fast->size(); ++i) max_diff = std::max(max_diff, std::abs(fast->data[i] - ref->data[i]));
  EXPECT_LE(max_diff, 1e-4f);
  const size_t plane = fast->plane();
  EXPECT_FALSE(std::equal(fast->at(0, 0), fast->at(0, 0) + plane, fast->at(0, 1)));
  EXPECT_FALSE(std::equal(fast->at(0, 1), fast->at(0, 1) + plane, fast->at(0, 2)));
}

// Every node's output as the observer saw it: shape and a copy of the first image's values.
struct Layer {
  int c = 0, h = 0, w = 0;
  std::vector<float> values;
};
std::vector<Layer> observe(const Model& m, const Tensor& in, RunOptions options) {
  std::vector<Layer> layers;
  options.observer = [&](int node, const float* data, int c, int h, int w) {
    EXPECT_EQ(node, static_cast<int>(layers.size())) << "nodes are seen once each, in graph order";
    layers.push_back({c, h, w, std::vector<float>(data, data + static_cast<size_t>(c) * h * w)});
  };
  Result<Tensor> out = m.forward(in, options);
  EXPECT_TRUE(out.ok()) << out.error();
  // The last node is forward()'s result (the first image of the batch).
  EXPECT_FALSE(layers.empty());
  if (out.ok() && !layers.empty())
    EXPECT_EQ(layers.back().values, std::vector<float>(out->at(0, 0), out->at(0, 0) + layers.back().values.size()));
  return layers;
}

TEST(Engine, TheObserverSeesEveryNodeAsTheReferenceKernelsComputeIt) {
  // seed (a bottleneck autoencoder), unet (skip connections: concatenations written in place) and the photo
  // graph; several threads and a batch of two, where only the first image is shown.
  for (const char* name : {"seed", "unet", kPhotoArch}) {
    SCOPED_TRACE(name);
    Model m = random_model(name);
    const int c = m.arch().channels, side = 4 * m.arch().size_multiple;
    const Tensor in = random_image(2, side, side, 11, c);
    const std::vector<Layer> fast = observe(m, in, RunOptions{false, 2});
    const std::vector<Layer> ref = observe(m, in, RunOptions{true});
    Result<std::vector<NodeSize>> sizes = node_sizes(m.arch(), side, side);
    ASSERT_TRUE(sizes.ok());
    ASSERT_EQ(fast.size(), m.arch().nodes.size());
    ASSERT_EQ(ref.size(), fast.size());
    for (size_t i = 0; i < fast.size(); ++i) {
      SCOPED_TRACE(m.arch().nodes[i].name);
      EXPECT_EQ(fast[i].c, (*sizes)[i].c);
      EXPECT_EQ(fast[i].h, (*sizes)[i].h);
      EXPECT_EQ(fast[i].w, (*sizes)[i].w);
      ASSERT_EQ(fast[i].values.size(), ref[i].values.size());
      float max_diff = 0;
      for (size_t k = 0; k < fast[i].values.size(); ++k)
        max_diff = std::max(max_diff, std::abs(fast[i].values[k] - ref[i].values[k]));
      EXPECT_LE(max_diff, 1e-4f);
    }
  }
}

TEST(Engine, ThePlainAutoencoderSplitsAtItsCodeAndRejoins) {
  // seed's encoder up to its code (seen by the observer), then decode() from there: forward()'s result again. A mix
  // of two codes decodes to an image of the same shape; graphs with skip connections do not split.
  Model m = random_model("seed");
  const Tensor in = random_image(1, 28, 28, 5);
  const int code = code_node(m.arch(), 28, 28);
  ASSERT_GE(code, 0);
  Result<Tensor> whole = m.forward(in);
  ASSERT_TRUE(whole.ok()) << whole.error();
  Result<Tensor> code_value = m.node_output(code, in);
  ASSERT_TRUE(code_value.ok()) << code_value.error();
  const Tensor& seen = *code_value;
  EXPECT_EQ(static_cast<int64_t>(seen.size()), 8 * 7 * 7) << "the tutorial's code: 392 numbers for 784 pixels";
  EXPECT_FALSE(m.node_output(static_cast<int>(m.arch().nodes.size()), in).ok());
  Result<Tensor> rejoined = m.decode(code, seen);
  ASSERT_TRUE(rejoined.ok()) << rejoined.error();
  ASSERT_TRUE(rejoined->same_shape(*whole));
  float max_diff = 0;
  for (size_t i = 0; i < whole->size(); ++i) max_diff = std::max(max_diff, std::abs(whole->data[i] - rejoined->data[i]));
  EXPECT_LE(max_diff, 1e-4f);
  Tensor half = seen;
  for (float& v : half.data) v *= 0.5f;
  Result<Tensor> mixed = m.decode(code, half);
  ASSERT_TRUE(mixed.ok());
  EXPECT_NE(mixed->data, rejoined->data);
  // Refusals: a wrong channel count, a node past the end, a graph whose decoder reads the encoder's early layers.
  EXPECT_FALSE(m.decode(code, Tensor(1, 3, 7, 7)).ok());
  EXPECT_FALSE(m.decode(static_cast<int>(m.arch().nodes.size()) - 1, seen).ok());
  Model unet = random_model("unet");
  Result<Tensor> split = unet.decode(2, Tensor(1, unet.arch().nodes[2].cout, 14, 14));
  ASSERT_FALSE(split.ok());
  EXPECT_NE(split.error().find("does not split there"), std::string::npos) << split.error();
}

TEST(Engine, ColorModelRefusesGrayImagesWithAClearError) {
  Model m = random_model(kPhotoArch);
  const char* expected = "input must be [N, 3, H, W], got [1, 1, ";
  Result<Tensor> forward = m.forward(random_image(1, 28, 28, 7));
  ASSERT_FALSE(forward.ok());
  EXPECT_NE(forward.error().find(expected), std::string::npos) << forward.error();
  Result<Tensor> odd = denoise(m, random_image(1, 37, 53, 7));
  ASSERT_FALSE(odd.ok());
  EXPECT_NE(odd.error().find(expected), std::string::npos) << odd.error();
  // And the other way round: RGB into a grayscale model.
  Result<Tensor> rgb = denoise(random_model(kDefaultArch), random_image(1, 37, 53, 7, 3));
  ASSERT_FALSE(rgb.ok());
  EXPECT_NE(rgb.error().find("input must be [N, 1, H, W], got [1, 3, "), std::string::npos) << rgb.error();
}

// A left-right mirror of every plane.
Tensor mirrored(const Tensor& in) {
  Tensor out = in;
  for (int k = 0; k < in.n * in.c; ++k)
    for (int y = 0; y < in.h; ++y)
      std::reverse(out.data.begin() + (size_t(k) * in.h + y) * in.w, out.data.begin() + (size_t(k) * in.h + y + 1) * in.w);
  return out;
}

// The same planes transposed.
Tensor transposed(const Tensor& in) {
  Tensor out(in.n, in.c, in.w, in.h);
  for (int k = 0; k < in.n * in.c; ++k)
    for (int y = 0; y < in.h; ++y)
      for (int x = 0; x < in.w; ++x)
        out.data[(size_t(k) * in.w + x) * in.h + y] = in.data[(size_t(k) * in.h + y) * in.w + x];
  return out;
}

float max_abs_diff(const Tensor& a, const Tensor& b) {
  EXPECT_TRUE(a.same_shape(b));
  float m = 0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) m = std::max(m, std::abs(a.data[i] - b.data[i]));
  return m;
}

TEST(Engine, EnsembleAveragesTheModelOverSymmetries) {
  Model m = random_model("unet");
  const Tensor in = random_image(2, 24, 40, 12);  // multiples of the size multiple: mirrors commute with padding
  RunOptions two, eight;
  two.ensemble = 2, eight.ensemble = 8;
  // Two: the mean of the model on the image and (mirrored back) on its mirror, then clamped.
  Result<Tensor> plain = m.forward(in), flipped = m.forward(mirrored(in)), got = denoise(m, in, two);
  ASSERT_TRUE(got.ok()) << got.error();
  Tensor expected = *plain;
  const Tensor back = mirrored(*flipped);
  for (size_t i = 0; i < expected.size(); ++i) expected.data[i] = std::clamp(0.5f * (expected.data[i] + back.data[i]), 0.0f, 1.0f);
  EXPECT_LE(max_abs_diff(*got, expected), 1e-6f);
  // Eight: the result commutes with every symmetry of the image, which no single run of this model does.
  Result<Tensor> a = denoise(m, in, eight), b = denoise(m, mirrored(in), eight), c = denoise(m, transposed(in), eight);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_LE(max_abs_diff(mirrored(*b), *a), 1e-5f);
  EXPECT_LE(max_abs_diff(transposed(*c), *a), 1e-5f);
  Result<Tensor> single = denoise(m, transposed(in));
  EXPECT_GT(max_abs_diff(transposed(*single), *denoise(m, in)), 1e-3f);
  // Odd sizes pad first, then take the symmetries; other counts are refused.
  Result<Tensor> odd = denoise(m, random_image(1, 21, 30, 3), eight);
  ASSERT_TRUE(odd.ok()) << odd.error();
  EXPECT_EQ(odd->h, 21);
  EXPECT_EQ(odd->w, 30);
  RunOptions three;
  three.ensemble = 3;
  Result<Tensor> bad = denoise(m, in, three);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().find("1, 2, 4 or 8"), std::string::npos) << bad.error();
}

TEST(Engine, ModelSymmetriesComeFromTheFileOrItsTrainingData) {
  const Arch arch = builtin_arch("conv").value();
  const auto symmetries = [&](std::vector<std::pair<std::string, std::string>> meta) {
    meta.emplace_back("dae.arch", arch_to_json(arch));
    const std::vector<uint8_t> bytes = testing::make_safetensors(testing::random_weights(arch, 1), meta);
    Result<Model> m = Model::from_safetensors(bytes.data(), bytes.size());
    EXPECT_TRUE(m.ok()) << m.error();
    return m.ok() ? model_symmetries(*m) : -1;
  };
  EXPECT_EQ(symmetries({}), 1);
  EXPECT_EQ(symmetries({{"dae.train_data", "fashion-mnist: 55000 images"}}), 1);
  EXPECT_EQ(symmetries({{"dae.train_data", "images: photos (9 train, 1 val files; 64px patches)"}}), 8);
  EXPECT_EQ(symmetries({{"dae.symmetries", "2"}, {"dae.train_data", "images: x"}}), 2);
  EXPECT_EQ(symmetries({{"dae.symmetries", "3"}}), 1) << "not a count the ensemble takes";
}

TEST(Engine, ModelFilesOfAnotherFormatVersionAreRefusedWithAHint) {
  const Arch arch = builtin_arch("conv").value();
  const auto load = [&](const char* format) {
    std::vector<std::pair<std::string, std::string>> meta = {{kArchMetadataKey, arch_to_json(arch)}};
    if (format) meta.emplace_back(kFormatMetadataKey, format);
    const std::vector<uint8_t> bytes = testing::make_safetensors(testing::random_weights(arch, 1), meta);
    return Model::from_safetensors(bytes.data(), bytes.size());
  };
  EXPECT_TRUE(load(nullptr).ok()) << "files from before the key are version 1";
  EXPECT_TRUE(load("1").ok());
  Result<Model> newer = load("2");
  ASSERT_FALSE(newer.ok());
  // Re-exporting with this version cannot make a newer file older: the advice is a build of the file's version.
  EXPECT_NE(newer.error().find("format '2', newer than format 1"), std::string::npos) << newer.error();
  EXPECT_NE(newer.error().find("written by a newer dae-train"), std::string::npos) << newer.error();
  EXPECT_EQ(newer.error().find("re-export"), std::string::npos) << newer.error();
  for (const char* odd : {"0", "x", "", "99999999999999999999"}) {
    Result<Model> r = load(odd);
    ASSERT_FALSE(r.ok()) << odd;
    EXPECT_NE(r.error().find("which no dae-train writes"), std::string::npos) << r.error();
  }
}

TEST(Engine, RefusesModelsThatChangeTheImageSize) {
  // Found by fuzzing: a valid graph whose output is smaller than its input must not be cropped blindly.
  Result<Arch> arch = arch_from_json(
      R"({"nodes":[{"name":"c","op":"conv","inputs":["input"],"cin":1,"cout":1,"kernel":3,"stride":1,"pad":0}]})");
  ASSERT_TRUE(arch.ok()) << arch.error();
  const std::vector<uint8_t> bytes = testing::model_file(*arch, 1);
  Result<Model> m = Model::from_safetensors(bytes.data(), bytes.size());
  ASSERT_TRUE(m.ok()) << m.error();
  Result<Tensor> out = denoise(*m, random_image(1, 9, 9, 1));
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.error().find("maps a 9x9 image to 7x7"), std::string::npos) << out.error();
}

// Five wide convolutions of the input, all alive until the sums read them: each activation is under the 1 GiB cap,
// together (with the first sum, the peak) they are over the 4 GiB budget, which forward() refuses before allocating.
TEST(Engine, RefusesInputsOverTheTotalActivationBudget) {
  std::string nodes;
  for (int i = 1; i <= 5; ++i)
    nodes += std::string(i > 1 ? "," : "") + R"({"name":"c)" + std::to_string(i) +
             R"(","op":"conv","inputs":["input"],"cin":1,"cout":60,"kernel":3,"pad":1})";
  nodes += R"(,{"name":"s1","op":"add","inputs":["c1","c2"]},{"name":"s2","op":"add","inputs":["s1","c3"]},)"
           R"({"name":"s3","op":"add","inputs":["s2","c4"]},{"name":"s4","op":"add","inputs":["s3","c5"]},)"
           R"({"name":"o","op":"conv","inputs":["s4"],"cin":60,"cout":1,"kernel":1})";
  Result<Arch> arch = arch_from_json(R"({"size_multiple":1,"nodes":[)" + nodes + "]}");
  ASSERT_TRUE(arch.ok()) << arch.error();
  const std::vector<uint8_t> bytes = testing::model_file(*arch, 1);
  Result<Model> model = Model::from_safetensors(bytes.data(), bytes.size());
  ASSERT_TRUE(model.ok()) << model.error();  // fine per pixel
  ASSERT_TRUE(model->forward(Tensor(1, 1, 16, 16)).ok());
  Result<Tensor> out = model->forward(Tensor(1, 1, 2048, 2048));
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.error().find("forward: 1 image(s) of 2048x2048 would hold 5.6 GiB of activations at node 's1'"),
            std::string::npos)
      << out.error();
}

// A 4096-channel layer and a 15×15 convolution of it down to one channel: modest per pixel (the load is fine) and
// in activations at 3×16384, but the convolution's band of zero-bordered input planes would take 4 GiB of scratch
// for one thread. forward() refuses it, naming the node, before allocating or computing anything.
TEST(Engine, RefusesInputsWhoseConvolutionScratchIsOverTheBudget) {
  Result<Arch> arch = arch_from_json(
      R"({"size_multiple":1,"nodes":[{"name":"wide","op":"conv","inputs":["input"],"cin":1,"cout":4096,"kernel":1},)"
      R"({"name":"narrow","op":"conv","inputs":["wide"],"cin":4096,"cout":1,"kernel":15,"pad":7}]})");
  ASSERT_TRUE(arch.ok()) << arch.error();
  const std::vector<uint8_t> bytes = testing::model_file(*arch, 1);
  Result<Model> model = Model::from_safetensors(bytes.data(), bytes.size());
  ASSERT_TRUE(model.ok()) << model.error();
  const Cost activations = cost(*arch, 1, 3, 16384).value();
  EXPECT_LT(activations.peak_floats, kMaxPeakFloats / 4);  // so it is the scratch that is refused
  ASSERT_TRUE(model->forward(Tensor(1, 1, 3, 64)).ok());
  Result<Tensor> out = model->forward(Tensor(1, 1, 3, 16384));
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.error().find("GiB of convolution scratch beside 0.8 GiB of activations (the most at node 'narrow' "
                             "(conv)), more than the 4 GiB allowed"),
            std::string::npos)
      << out.error();
}

// Weightless graphs costing far more per pixel than any real model are refused when loaded, not when run.
TEST(Engine, RefusesCostlyGraphsAtLoad) {
  std::string nodes;
  for (int i = 1; i <= 6; ++i)
    nodes += std::string(i > 1 ? "," : "") + R"({"name":"u)" + std::to_string(i) + R"(","op":"upsample","inputs":[")" +
             (i > 1 ? "u" + std::to_string(i - 1) : std::string("input")) + R"("],"scale":2})";
  for (int i = 1; i <= 3000; ++i)
    nodes += R"(,{"name":"a)" + std::to_string(i) + R"(","op":"add","inputs":[")" +
             (i > 1 ? "a" + std::to_string(i - 1) : std::string("u6")) + R"(","u6"]})";
  Result<Arch> arch = arch_from_json(R"({"size_multiple":1,"nodes":[)" + nodes + "]}");
  ASSERT_TRUE(arch.ok()) << arch.error();
  const std::vector<uint8_t> bytes = testing::model_file(*arch, 1);
  Result<Model> model = Model::from_safetensors(bytes.data(), bytes.size());
  ASSERT_FALSE(model.ok());
  EXPECT_NE(
      model.error().find("model: the graph does 2.46e+07 operations per image pixel, more than the 1e+07 allowed"),
      std::string::npos)
      << model.error();
}

// Tiles with the model's context give exactly the whole-image result, for every channel combination the engine
// takes (a gray photo through a color model included: its noise level is measured once on the whole image), at
// sizes that are not multiples of the tile or of the model's size multiple.
TEST(Tiles, TiledEqualsTheWholeImage) {
  struct Case {
    const char* model;
    int channels, h, w, tile;
  };
  for (const Case& c : {Case{"unet", 1, 70, 93, 32}, Case{kPhotoArch, 3, 45, 77, 24}, Case{kPhotoArch, 1, 61, 50, 16},
                        Case{"unet", 3, 33, 40, 16}}) {
    Model m = random_model(c.model);
    const Tensor image = random_image(1, c.h, c.w, 9, c.channels);
    const TileGrid grid = tile_grid(m.arch(), c.h, c.w, c.tile);
    ASSERT_GT(grid.count(), 1) << c.model;
    EXPECT_EQ(grid.halo, context_radius(m.arch()));
    const ChannelOptions options = whole_image_options(image, m.arch().channels);
    Result<Tensor> whole = denoise_channels(m, image, options);
    ASSERT_TRUE(whole.ok()) << whole.error();
    int calls = 0;
    Result<Tensor> tiled = denoise_tiled(m, image, options, grid, [&](int done, int total) {
      EXPECT_EQ(done, ++calls);
      EXPECT_EQ(total, grid.count());
      return true;
    });
    ASSERT_TRUE(tiled.ok()) << tiled.error();
    EXPECT_EQ(calls, grid.count());
    ASSERT_TRUE(tiled->same_shape(*whole));
    float worst = 0;
    for (size_t i = 0; i < whole->size(); ++i) worst = std::max(worst, std::abs(tiled->data[i] - whole->data[i]));
    EXPECT_LE(worst, 1e-5f) << c.model << " " << c.channels << " channel(s), " << c.w << "x" << c.h;
  }
}

// A backend that runs the model itself gets each tile's input from tile_model_input and gives its output to
// tile_from_output: with the engine's forward pass in between, that is denoise_tile, for every channel combination.
TEST(Tiles, TheTwoHalvesAroundAForwardPassAreDenoiseTile) {
  struct Case {
    const char* model;
    int channels;
  };
  for (const Case& c : {Case{"unet", 1}, Case{"unet", 3}, Case{kPhotoArch, 3}, Case{kPhotoArch, 1}}) {
    Model m = random_model(c.model);
    const Tensor image = random_image(1, 45, 58, 3, c.channels);
    const TileGrid grid = tile_grid(m.arch(), image.h, image.w, 16);
    ASSERT_GT(grid.count(), 4);
    const ChannelOptions options = whole_image_options(image, m.arch().channels);
    for (int i = 0; i < grid.count(); ++i) {
      const TileRect region = grid.region(i), core = grid.core(i);
      Tensor pixels(1, image.c, region.h(), region.w());
      for (int k = 0; k < image.c; ++k)
        for (int y = 0; y < region.h(); ++y)
          std::copy_n(image.at(0, k) + size_t(region.y0 + y) * image.w + region.x0, region.w(),
                      pixels.at(0, k) + size_t(y) * region.w());
      Result<Tensor> want = denoise_tile(m, pixels, options, region, core);
      ASSERT_TRUE(want.ok()) << want.error();
      Result<Tensor> in = tile_model_input(m.arch(), pixels, options, region);
      ASSERT_TRUE(in.ok()) << in.error();
      EXPECT_EQ(in->c, m.arch().channels);
      EXPECT_EQ(in->h % m.arch().size_multiple, 0);
      EXPECT_EQ(in->w % m.arch().size_multiple, 0);
      Result<Tensor> out = m.forward(*in);
      ASSERT_TRUE(out.ok()) << out.error();
      Result<Tensor> got = tile_from_output(std::move(*out), image.c, region, core);
      ASSERT_TRUE(got.ok()) << got.error();
      ASSERT_TRUE(got->same_shape(*want)) << c.model << " tile " << i;
      EXPECT_EQ(got->data, want->data) << c.model << " " << c.channels << " channel(s), tile " << i;
    }
    // What a backend returns that is not the tile's output is refused, not cropped into something.
    const TileRect region = grid.region(0), core = grid.core(0);
    EXPECT_FALSE(tile_from_output(Tensor(1, image.c, region.h() - 1, region.w()), image.c, region, core).ok());
    EXPECT_FALSE(tile_from_output(Tensor(2, 2, region.h(), region.w()), image.c, region, core).ok());
    EXPECT_FALSE(tile_model_input(m.arch(), Tensor(1, image.c, region.h(), region.w() + 1), options, region).ok());
  }
}

TEST(Tiles, GridCoversTheImageOnceAndCancelStopsAtTheNextTile) {
  Model m = random_model("unet");
  const TileGrid grid = tile_grid(m.arch(), 50, 70, 15);  // rounded up to the size multiple
  EXPECT_EQ(grid.tile % m.arch().size_multiple, 0);
  std::vector<int> covered(50 * 70, 0);
  for (int i = 0; i < grid.count(); ++i) {
    const TileRect core = grid.core(i), region = grid.region(i);
    EXPECT_TRUE(region.x0 <= core.x0 && region.y0 <= core.y0 && region.x1 >= core.x1 && region.y1 >= core.y1);
    for (int y = core.y0; y < core.y1; ++y)
      for (int x = core.x0; x < core.x1; ++x) ++covered[y * 70 + x];
  }
  EXPECT_TRUE(std::all_of(covered.begin(), covered.end(), [](int n) { return n == 1; }));
  const TileGrid one = tile_grid(m.arch(), 50, 70, 0);
  EXPECT_EQ(one.count(), 1);
  EXPECT_EQ(one.halo, 0);

  const Tensor image = random_image(1, 50, 70, 4);
  int delivered = 0;
  const Status s = denoise_tiled(
      m, image, {}, grid, [&](const TileRect&, const Tensor&) { ++delivered; },
      [](int done, int) { return done < 2; });
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("cancelled after 2 of"), std::string::npos) << s.message();
  EXPECT_EQ(delivered, 2);
  EXPECT_FALSE(denoise_tiled(m, random_image(2, 50, 70, 4), {}, grid).ok());
  EXPECT_FALSE(denoise_tiled(m, random_image(1, 51, 70, 4), {}, grid).ok());
}

}  // namespace
}  // namespace dae
