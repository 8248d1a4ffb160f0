// The engine's execution plans: node sizes, the context radius a tiler needs, results that do not depend on
// the thread count, the order of calls, the batch grouping or on other threads using the same model.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "dae/engine.h"
#include "test_util.h"

#if !defined(__EMSCRIPTEN__) || defined(__EMSCRIPTEN_PTHREADS__)
#include <thread>
#define DAE_TEST_THREADS 1
#endif

namespace dae {
namespace {

Model random_model(const std::string& name, uint64_t seed) {
  const Arch arch = builtin_arch(name).value();
  std::map<std::string, std::vector<float>> weights;
  for (const testing::RawTensor& t : testing::random_weights(arch, seed)) weights[t.name] = t.values;
  return Model::from_weights(arch, weights).value();
}

Tensor random_input(int n, int c, int h, int w, uint64_t seed) {
  Tensor t(n, c, h, w);
  Rng rng(seed);
  for (float& v : t.data) v = rng.uniform();
  return t;
}

Tensor run(const Model& model, const Tensor& in, int threads = 1) {
  RunOptions options;
  options.threads = threads;
  Result<Tensor> out = model.forward(in, options);
  EXPECT_TRUE(out.ok()) << out.error();
  return out.ok() ? std::move(*out) : Tensor();
}

// Bit-identical, not merely close.
void expect_same(const Tensor& a, const Tensor& b, const std::string& what) {
  ASSERT_TRUE(a.same_shape(b)) << what;
  for (size_t i = 0; i < a.size(); ++i)
    if (a.data[i] != b.data[i]) {
      ADD_FAILURE() << what << ": index " << i << ": " << a.data[i] << " vs " << b.data[i];
      return;
    }
}

Tensor image(const Tensor& batch, int i) {
  Tensor one(1, batch.c, batch.h, batch.w);
  std::copy_n(batch.at(i, 0), one.size(), one.data.begin());
  return one;
}

TEST(Sizes, NodeSizesFollowEachOperator) {
  const Arch unet = builtin_arch("unet").value();
  Result<std::vector<NodeSize>> sizes = node_sizes(unet, 28, 36);
  ASSERT_TRUE(sizes.ok()) << sizes.error();
  ASSERT_EQ(sizes->size(), unet.nodes.size());
  for (size_t i = 0; i < unet.nodes.size(); ++i) {
    const Node& n = unet.nodes[i];
    const NodeSize& s = (*sizes)[i];
    EXPECT_EQ(s.c, n.cout) << n.name;
    if (n.name == "pool1") EXPECT_EQ(std::pair(s.h, s.w), std::pair(14, 18));
    if (n.name == "mid") EXPECT_EQ(std::pair(s.h, s.w), std::pair(7, 9));
  }
  EXPECT_EQ(std::pair(sizes->back().h, sizes->back().w), std::pair(28, 36));

  // 6×6 pools to 3 and 1, and the 2×2 upsampled from 1 cannot join the 3×3 skip connection.
  Result<std::vector<NodeSize>> odd = node_sizes(unet, 6, 8);
  ASSERT_FALSE(odd.ok());
  EXPECT_NE(odd.error().find("different sizes"), std::string::npos) << odd.error();
  Result<std::vector<NodeSize>> tiny = node_sizes(builtin_arch("conv").value(), 1, 1);
  ASSERT_FALSE(tiny.ok());
  EXPECT_NE(tiny.error().find("too small for node 'pool1'"), std::string::npos) << tiny.error();

  EXPECT_EQ(padded_side(unet, 29), 32);
  EXPECT_EQ(padded_side(unet, 28), 28);
  EXPECT_EQ(flops(unet, 1, 1), 0.0) << "no graph runs on a 1x1 image";
}

TEST(Sizes, ContextRadiusBoundsWhatAnOutputDependsOn) {
  // Changing every input pixel farther than the radius from an aligned block leaves the block's outputs exactly
  // as they were: a tiler with this halo gives the whole-image result.
  for (const std::string& name : builtin_arch_names()) {
    const Model model = random_model(name, 11);
    const int r = context_radius(model.arch());
    EXPECT_EQ(r % model.arch().size_multiple, 0) << name;
    if (name.rfind("unet", 0) == 0 || name == "photo") EXPECT_GT(r, 8) << name;
    const int side = 2 * r + 24, b0 = r + 8, b1 = b0 + 8;  // output block [b0, b1)², aligned to 4
    const Tensor in = random_input(1, model.arch().channels, side, side, 5);
    Tensor changed = in;
    Rng rng(6);
    for (int c = 0; c < in.c; ++c)
      for (int y = 0; y < side; ++y)
        for (int x = 0; x < side; ++x)
          if (y < b0 - r || y >= b1 + r || x < b0 - r || x >= b1 + r)
            changed.at(0, c)[static_cast<size_t>(y) * side + x] = rng.uniform();
    const Tensor a = run(model, in), b = run(model, changed);
    ASSERT_TRUE(a.same_shape(b));
    for (int c = 0; c < a.c; ++c)
      for (int y = b0; y < b1; ++y)
        for (int x = b0; x < b1; ++x) {
          const size_t i = static_cast<size_t>(y) * side + x;
          ASSERT_EQ(a.at(0, c)[i], b.at(0, c)[i]) << name << " radius " << r << " at " << y << "," << x;
        }
  }
}

TEST(Plan, OneImageAndBatchesGiveTheSameResultOnAnyThreadCount) {
  for (const std::string& name : builtin_arch_names()) {
    const Model model = random_model(name, 21);
    const int c = model.arch().channels;
    // One large image: every operator splits its rows, tiles or channels over the threads.
    const Tensor large = random_input(1, c, 100, 132, 1);
    const Tensor one = run(model, large);
    // Many small images: each thread runs whole groups of images.
    const Tensor batch = random_input(40, c, 28, 28, 2);
    const Tensor batch_one = run(model, batch);
    for (int threads : {2, 3, 8}) {
      expect_same(run(model, large, threads), one, name + " 100x132, " + std::to_string(threads) + " threads");
      expect_same(run(model, batch, threads), batch_one, name + " 40x28x28, " + std::to_string(threads) + " threads");
    }
    // Every image of the batch, whatever group it ran in, is what it gives alone.
    for (int i : {0, 17, 39}) expect_same(run(model, image(batch, i)), image(batch_one, i), name + " image " + std::to_string(i));
  }
}

TEST(Plan, SizesInAnyOrderReuseBuffersWithoutLeftovers) {
  const Model model = random_model("unet32", 31);
  const Tensor small = random_input(1, 1, 28, 28, 3), wide = random_input(3, 1, 44, 60, 4);
  const Tensor first = run(model, small);
  const Tensor wide_first = run(model, wide, 2);
  expect_same(run(model, small), first, "28x28 after 3x44x60");
  expect_same(run(model, wide), wide_first, "3x44x60 again, one thread");
  expect_same(run(model, image(wide, 2)), image(wide_first, 2), "the last image of the batch alone");
  // More sizes than the plan cache keeps: the oldest plans are dropped and made again.
  for (int side = 4; side <= 80; side += 4) ASSERT_EQ(run(model, random_input(1, 1, side, 8, side)).h, side);
  expect_same(run(model, small), first, "28x28 after many sizes");
}

TEST(Plan, ModelCopiesShareTheCompiledWeights) {
  const Model model = random_model("unet", 41);
  const Tensor in = random_input(2, 1, 32, 20, 7);
  const Model copy = model;
  expect_same(run(copy, in), run(model, in), "copy");
}

#if defined(DAE_TEST_THREADS)
TEST(Plan, ConcurrentCallersGetTheirOwnResults) {
  // Several threads run one model at once, each asking for threads itself: one of them gets the pool, the
  // others run on their own thread; every result is the one-thread result.
  const Model model = random_model("unet32", 51);
  std::vector<Tensor> inputs, expected;
  for (int i = 0; i < 3; ++i) {
    inputs.push_back(random_input(1 + i, 1, 36 + 8 * i, 40, 60 + i));
    expected.push_back(run(model, inputs.back()));
  }
  std::vector<std::vector<Tensor>> got(inputs.size());
  std::vector<std::thread> callers;
  for (size_t i = 0; i < inputs.size(); ++i)
    callers.emplace_back([&, i] {
      for (int repeat = 0; repeat < 4; ++repeat) got[i].push_back(run(model, inputs[i], 2));
    });
  for (std::thread& t : callers) t.join();
  for (size_t i = 0; i < inputs.size(); ++i)
    for (const Tensor& t : got[i]) expect_same(t, expected[i], "caller " + std::to_string(i));
}
#endif

}  // namespace
}  // namespace dae
