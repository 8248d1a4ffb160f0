// Each fast operator against its scalar reference (seeded data, sizes around the vector width and
// tile, odd channel counts), and whole models run with the fast kernels against the reference ones.
#include "dae/ops.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "dae/engine.h"
#include "test_util.h"

namespace dae {
namespace {

Tensor random_tensor(int n, int c, int h, int w, uint64_t seed) {
  Tensor t(n, c, h, w);
  Rng rng(seed);
  for (float& v : t.data) v = 2.0f * rng.uniform() - 1.0f;
  return t;
}

std::vector<float> random_values(size_t count, uint64_t seed, float scale) {
  std::vector<float> v(count);
  Rng rng(seed);
  for (float& x : v) x = scale * (2.0f * rng.uniform() - 1.0f);
  return v;
}

// Fast and reference results agree to `tol` relative to the value or to `scale`, whichever is larger:
// a convolution with K terms per output reorders sums whose rounding grows like sqrt(K).
void expect_close(const Tensor& fast, const Tensor& ref, const std::string& what, float tol = 1e-5f,
                  float scale = 1.0f) {
  ASSERT_TRUE(fast.same_shape(ref)) << what << ": shape [" << fast.n << "," << fast.c << "," << fast.h << "," << fast.w
                                    << "] vs [" << ref.n << "," << ref.c << "," << ref.h << "," << ref.w << "]";
  ASSERT_EQ(fast.size(), ref.size()) << what;
  for (size_t i = 0; i < ref.size(); ++i) {
    const float bound = tol * std::max(scale, std::fabs(ref.data[i]));
    if (!(std::fabs(fast.data[i] - ref.data[i]) <= bound)) {
      ADD_FAILURE() << what << ": index " << i << " fast " << fast.data[i] << " reference " << ref.data[i];
      return;
    }
  }
}

// The fast operators split their work over threads: two and three threads must give exactly the one-thread
// result, which is returned for the comparison with the reference.
Tensor same_for_threads(const std::string& what, const std::function<void(Tensor& out, int threads)>& run) {
  Tensor one;
  run(one, 1);
  for (int threads : {2, 3}) {
    Tensor many;
    run(many, threads);
    expect_close(many, one, what + " with " + std::to_string(threads) + " threads", 0.0f);
  }
  return one;
}

std::string describe(const ops::ConvParams& p, int h, int w) {
  return "cin " + std::to_string(p.cin) + " cout " + std::to_string(p.cout) + " k " + std::to_string(p.kernel) + " s " +
         std::to_string(p.stride) + " pad " + std::to_string(p.pad) + " opad " + std::to_string(p.output_pad) +
         " act " + act_name(p.act) + " image " + std::to_string(h) + "x" + std::to_string(w);
}

const std::vector<int> kChannels = {1, 3, 13, 16, 17, 33};
const std::vector<std::pair<int, int>> kSizes = {{1, 1}, {5, 7}, {28, 28}, {31, 33}};

TEST(Ops, Conv2dMatchesReference) {
  uint64_t seed = 10;
  int cases = 0;
  for (int cin : kChannels)
    for (int cout : kChannels)
      for (auto [h, w] : kSizes)
        for (int k : {1, 3, 5})
          for (int stride : {1, 2})
            for (int pad : {0, 1}) {
              if (pad >= k) continue;
              // The big channel pairs only at one size each, to keep the suite quick under node.
              if (cin * cout > 300 && (h != 28 || k != 3)) continue;
              ops::ConvParams p{cin, cout, k, stride, pad, 0, Act(seed % 3)};
              if (ops::conv_out_size(h, p) < 1 || ops::conv_out_size(w, p) < 1) continue;
              const Tensor in = random_tensor(2, cin, h, w, ++seed);
              const std::vector<float> weight = random_values(size_t(cout) * cin * k * k, ++seed, 0.5f);
              const std::vector<float> bias = random_values(cout, ++seed, 0.5f);
              const Tensor fast = same_for_threads("conv2d " + describe(p, h, w), [&](Tensor& out, int threads) {
                ops::conv2d(in, weight.data(), bias.data(), p, out, threads);
              });
              Tensor ref;
              ops::conv2d_reference(in, weight.data(), bias.data(), p, ref);
              expect_close(fast, ref, "conv2d " + describe(p, h, w), 1e-5f, std::sqrt(float(cin * k * k)));
              ++cases;
            }
  EXPECT_GT(cases, 500);
}

TEST(Ops, Conv2dWithoutBias) {
  ops::ConvParams p{16, 17, 3, 1, 1, 0, Act::Relu};
  const Tensor in = random_tensor(1, 16, 12, 9, 1);
  const std::vector<float> weight = random_values(17 * 16 * 9, 2, 0.3f);
  Tensor fast, ref;
  ops::conv2d(in, weight.data(), nullptr, p, fast);
  ops::conv2d_reference(in, weight.data(), nullptr, p, ref);
  expect_close(fast, ref, "conv2d without bias");
}

TEST(Ops, Conv2dLargeSumsStayWithinRelativeTolerance) {
  // 64 input channels × 9 taps per output: the order of summation differs, the value must not.
  ops::ConvParams p{64, 32, 3, 1, 1, 0, Act::None};
  const Tensor in = random_tensor(1, 64, 40, 37, 3);
  const std::vector<float> weight = random_values(32 * 64 * 9, 4, 1.0f);
  const std::vector<float> bias = random_values(32, 5, 1.0f);
  Tensor fast, ref;
  ops::conv2d(in, weight.data(), bias.data(), p, fast);
  ops::conv2d_reference(in, weight.data(), bias.data(), p, ref);
  expect_close(fast, ref, "conv2d 64->32", 1e-5f, 24.0f);
}

// Winograd's transforms scale inputs by up to 4 and weights by up to 2.25 before the products, so its
// rounding error is a few times that of a direct sum: 2e-5 of max(|value|, sqrt(cin · 9)) (the direct
// kernels are held to 1e-5). The worst case seen over these cases is printed for reference.
constexpr float kWinogradTolerance = 2e-5f;

TEST(Ops, Conv2dWinogradMatchesReference) {
  uint64_t seed = 500;
  int cases = 0;
  float worst = 0.0f;
  const std::vector<std::pair<int, int>> sizes = {{1, 1}, {2, 3}, {5, 7}, {28, 28}, {31, 33}};
  for (int cin : {1, 3, 13, 16, 17, 33, 64})
    for (int cout : {1, 3, 13, 16, 17, 33, 64})
      for (auto [h, w] : sizes)
        for (int n : {1, 3}) {
          // The big channel pairs only at the two awkward sizes, to keep the suite quick under node.
          if (cin * cout > 300 && !(h == 31 || h == 2) && !(cin == 64 && cout == 64 && h == 28)) continue;
          if (n == 3 && cin * cout > 300 && h != 31) continue;
          ops::ConvParams p{cin, cout, 3, 1, 1, 0, Act(seed % 3)};
          ASSERT_TRUE(ops::winograd_applies(p));
          const Tensor in = random_tensor(n, cin, h, w, ++seed);
          const std::vector<float> weight = random_values(size_t(cout) * cin * 9, ++seed, 0.5f);
          const std::vector<float> bias = random_values(cout, ++seed, 0.5f);
          const Tensor fast = same_for_threads("winograd " + describe(p, h, w), [&](Tensor& out, int threads) {
            ops::conv2d_winograd(in, weight.data(), bias.data(), p, out, threads);
          });
          Tensor ref;
          ops::conv2d_reference(in, weight.data(), bias.data(), p, ref);
          const float scale = std::sqrt(float(cin * 9));
          expect_close(fast, ref, "winograd n " + std::to_string(n) + " " + describe(p, h, w), kWinogradTolerance,
                       scale);
          for (size_t i = 0; i < ref.size(); ++i)
            worst = std::max(worst, std::fabs(fast.data[i] - ref.data[i]) / std::max(scale, std::fabs(ref.data[i])));
          ++cases;
        }
  EXPECT_GT(cases, 200);
  std::printf("winograd: %d cases, worst error %.2g of max(|value|, sqrt(cin * 9))\n", cases, worst);
}

TEST(Ops, Conv2dWinogradFallsBackOutsideItsShape) {
  // Not 3×3 / stride 1 / pad 1: conv2d_winograd must still compute the right convolution.
  for (ops::ConvParams p : {ops::ConvParams{4, 5, 3, 2, 1, 0, Act::Relu}, ops::ConvParams{4, 5, 3, 1, 0, 0, Act::None},
                            ops::ConvParams{4, 5, 5, 1, 2, 0, Act::Sigmoid}}) {
    EXPECT_FALSE(ops::winograd_applies(p));
    const Tensor in = random_tensor(2, 4, 9, 11, 77);
    const std::vector<float> weight = random_values(size_t(5) * 4 * p.kernel * p.kernel, 78, 0.5f);
    const std::vector<float> bias = random_values(5, 79, 0.5f);
    Tensor fast, ref;
    ops::conv2d_winograd(in, weight.data(), bias.data(), p, fast);
    ops::conv2d_reference(in, weight.data(), bias.data(), p, ref);
    expect_close(fast, ref, "winograd fallback " + describe(p, 9, 11), 1e-5f,
                 std::sqrt(float(4 * p.kernel * p.kernel)));
  }
}

TEST(Ops, Conv2dWinogradLargeImageAndWithoutBias) {
  // Several tile blocks per image (the block size depends on the channels), tile rows split across blocks.
  ops::ConvParams p{16, 24, 3, 1, 1, 0, Act::Relu};
  const Tensor in = random_tensor(1, 16, 67, 45, 90);
  const std::vector<float> weight = random_values(24 * 16 * 9, 91, 0.3f);
  const Tensor fast = same_for_threads("winograd 67x45", [&](Tensor& out, int threads) {
    ops::conv2d_winograd(in, weight.data(), nullptr, p, out, threads);
  });
  Tensor ref;
  ops::conv2d_reference(in, weight.data(), nullptr, p, ref);
  expect_close(fast, ref, "winograd 67x45 without bias", kWinogradTolerance, 12.0f);
}

TEST(Ops, Conv2dGemmMatchesReference) {
  ops::ConvParams p{13, 17, 3, 1, 1, 0, Act::Relu};
  const Tensor in = random_tensor(3, 13, 31, 33, 95);
  const std::vector<float> weight = random_values(17 * 13 * 9, 96, 0.5f);
  const std::vector<float> bias = random_values(17, 97, 0.5f);
  const Tensor fast = same_for_threads("gemm 13->17", [&](Tensor& out, int threads) {
    ops::conv2d_gemm(in, weight.data(), bias.data(), p, out, threads);
  });
  Tensor ref;
  ops::conv2d_reference(in, weight.data(), bias.data(), p, ref);
  expect_close(fast, ref, "gemm 13->17", 1e-5f, std::sqrt(13.0f * 9));
}

TEST(Ops, ConvTranspose2dMatchesReference) {
  uint64_t seed = 1000;
  int cases = 0;
  for (int cin : kChannels)
    for (int cout : kChannels)
      for (auto [h, w] : kSizes)
        for (int k : {1, 3, 5})
          for (int stride : {1, 2})
            for (int pad : {0, 1})
              for (int opad : {0, 1}) {
                if (pad >= k || opad >= stride) continue;
                if (cin * cout > 300 && (h != 28 || k != 3)) continue;
                ops::ConvParams p{cin, cout, k, stride, pad, opad, Act(seed % 3)};
                if (ops::conv_transpose_out_size(h, p) < 1 || ops::conv_transpose_out_size(w, p) < 1) continue;
                const Tensor in = random_tensor(2, cin, h, w, ++seed);
                const std::vector<float> weight = random_values(size_t(cout) * cin * k * k, ++seed, 0.5f);
                const std::vector<float> bias = random_values(cout, ++seed, 0.5f);
                const Tensor fast =
                    same_for_threads("conv_transpose2d " + describe(p, h, w), [&](Tensor& out, int threads) {
                      ops::conv_transpose2d(in, weight.data(), bias.data(), p, out, threads);
                    });
                Tensor ref;
                ops::conv_transpose2d_reference(in, weight.data(), bias.data(), p, ref);
                expect_close(fast, ref, "conv_transpose2d " + describe(p, h, w), 1e-5f, std::sqrt(float(cin * k * k)));
                ++cases;
              }
  EXPECT_GT(cases, 500);
}

TEST(Ops, MaxPoolMatchesReference) {
  uint64_t seed = 2000;
  for (int c : kChannels)
    for (auto [h, w] : std::vector<std::pair<int, int>>{{1, 1}, {2, 2}, {5, 7}, {16, 16}, {28, 28}, {31, 33}, {9, 70}})
      for (int k : {1, 2, 3}) {
        if (h < k || w < k) continue;
        const Tensor in = random_tensor(2, c, h, w, ++seed);
        const Tensor fast = same_for_threads("maxpool", [&](Tensor& out, int threads) {
          ops::maxpool2d(in, k, out, threads);
        });
        Tensor ref;
        ops::maxpool2d_reference(in, k, ref);
        expect_close(fast, ref, "maxpool k " + std::to_string(k) + " " + std::to_string(h) + "x" + std::to_string(w),
                     0.0f);
      }
}

TEST(Ops, UpsampleMatchesReference) {
  uint64_t seed = 3000;
  for (int c : kChannels)
    for (auto [h, w] : kSizes)
      for (int s : {1, 2, 3}) {
        const Tensor in = random_tensor(2, c, h, w, ++seed);
        const Tensor fast = same_for_threads("upsample", [&](Tensor& out, int threads) {
          ops::upsample_nearest(in, s, out, threads);
        });
        Tensor ref;
        ops::upsample_nearest_reference(in, s, ref);
        expect_close(fast, ref, "upsample s " + std::to_string(s), 0.0f);
      }
}

TEST(Ops, ActivationsMatchReference) {
  for (size_t n :
       {size_t(0), size_t(1), size_t(3), size_t(4), size_t(7), size_t(8), size_t(9), size_t(17), size_t(1000)})
    for (Act act : {Act::None, Act::Relu, Act::Sigmoid}) {
      Tensor a(1, 1, 1, static_cast<int>(n));
      a.data = random_values(n, n + 7, 4.0f);
      Tensor b = a;
      ops::activate(a.data.data(), n, act);
      ops::activate_reference(b.data.data(), n, act);
      expect_close(a, b, std::string("activate ") + act_name(act) + " n " + std::to_string(n), 1e-6f);
    }
}

TEST(Ops, ModelsMatchReferenceKernels) {
  for (const std::string& name : builtin_arch_names()) {
    const Arch arch = builtin_arch(name).value();
    std::map<std::string, std::vector<float>> weights;
    for (const testing::RawTensor& t : testing::random_weights(arch, 42)) weights[t.name] = t.values;
    Result<Model> model = Model::from_weights(arch, weights);
    ASSERT_TRUE(model.ok()) << model.error();
    for (auto [n, h, w] :
         {std::tuple{1, 28, 28}, std::tuple{3, 28, 28}, std::tuple{1, 20, 36}, std::tuple{3, 20, 36}}) {
      Tensor in(n, arch.channels, h, w);
      Rng rng(h * 100 + w + n);
      for (float& v : in.data) v = rng.uniform();
      const std::string what = name + " " + std::to_string(n) + "x" + std::to_string(h) + "x" + std::to_string(w);
      const Tensor fast = same_for_threads(what, [&](Tensor& out, int threads) {
        RunOptions options;
        options.threads = threads;
        Result<Tensor> r = model->forward(in, options);
        ASSERT_TRUE(r.ok()) << r.error();
        out = std::move(*r);
      });
      Result<Tensor> ref = model->forward(in, RunOptions{/*reference=*/true});
      ASSERT_TRUE(ref.ok()) << ref.error();
      expect_close(fast, *ref, what, 1e-4f);
    }
  }
}

TEST(Ops, ThreadsGiveTheSameResultAsOneThread) {
  // Each image is computed by the same kernels whichever thread runs it: results are identical.
  for (const std::string& name : builtin_arch_names()) {
    const Arch arch = builtin_arch(name).value();
    std::map<std::string, std::vector<float>> weights;
    for (const testing::RawTensor& t : testing::random_weights(arch, 43)) weights[t.name] = t.values;
    Result<Model> model = Model::from_weights(arch, weights);
    ASSERT_TRUE(model.ok()) << model.error();
    Tensor in(5, arch.channels, 20, 28);
    Rng rng(9);
    for (float& v : in.data) v = rng.uniform();
    Result<Tensor> one = model->forward(in);
    ASSERT_TRUE(one.ok()) << one.error();
    for (int threads : {2, 3, 8}) {
      RunOptions options;
      options.threads = threads;
      Result<Tensor> many = model->forward(in, options);
      ASSERT_TRUE(many.ok()) << many.error();
      expect_close(*many, *one, name + " threads " + std::to_string(threads), 0.0f);
    }
    RunOptions options;
    options.threads = 2;
    EXPECT_FALSE(model->forward(Tensor(2, arch.channels + 1, 20, 28), options).ok())
        << "a bad input must still be refused";
  }
}

TEST(Ops, ShippedModelsMatchReferenceKernelsClosely) {
  // Every trained model shipped, with Winograd where conv2d picks it: outputs within 1e-5 of the reference. A
  // shipped file that does not load fails the test.
  int checked = 0, files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(DAE_MODELS_DIR)) {
    if (entry.path().extension() != ".safetensors" || testing::is_training_history(entry.path().filename().string()))
      continue;
    ++files;
    const std::string name = entry.path().stem().string();
    Result<Model> model = Model::from_file(entry.path().string());
    ASSERT_TRUE(model.ok()) << name << ": " << model.error();
    for (auto [n, h, w] : {std::tuple{1, 28, 28}, std::tuple{2, 44, 60}}) {
      Tensor in(n, model->arch().channels, h, w);
      Rng rng(h * 7 + w + n);
      for (float& v : in.data) v = rng.uniform();
      Result<Tensor> fast = model->forward(in);
      Result<Tensor> ref = model->forward(in, RunOptions{/*reference=*/true});
      ASSERT_TRUE(fast.ok()) << fast.error();
      ASSERT_TRUE(ref.ok()) << ref.error();
      expect_close(*fast, *ref, "shipped " + name + " " + std::to_string(h) + "x" + std::to_string(w), 1e-5f);
      ++checked;
    }
  }
  EXPECT_GT(files, 0) << "no model file in " << DAE_MODELS_DIR;
  EXPECT_EQ(checked, 2 * files);
}

}  // namespace
}  // namespace dae
