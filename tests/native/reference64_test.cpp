// The engine against a float64 reference: each shipped model file loaded into LibTorch, run in double precision on
// the inputs of the kernel benchmarks (native/bench/ort_bench.mjs draws them with the same generator and seeds). The
// reference decides which side is off when the engine and another runtime disagree. Set DAE_REFERENCE_OUT to a
// folder to keep each case's input and float64 output (raw little-endian float32 / float64) for such comparisons.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <string>

#include "dae/engine.h"
#include "export_safetensors.h"
#include "graph_module.h"

namespace {

using namespace dae::trainer;

// ort_bench.mjs's randomInput: a 32-bit LCG, values s / 2^32.
std::vector<float> bench_input(size_t count, uint32_t seed) {
  std::vector<float> v(count);
  uint32_t s = seed;
  for (float& x : v) {
    s = s * 1664525u + 1013904223u;
    x = static_cast<float>(s / 4294967296.0);
  }
  return v;
}

template <class T>
void keep(const std::string& name, const T* data, size_t count) {
  const char* dir = std::getenv("DAE_REFERENCE_OUT");
  if (!dir || !*dir) return;
  std::ofstream(std::string(dir) + "/" + name, std::ios::binary)
      .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(count * sizeof(T)));
}

struct Case {
  const char* model;
  int n, side;
};

class Reference64Test : public ::testing::TestWithParam<Case> {};

TEST_P(Reference64Test, EngineMatchesAFloat64ForwardPass) {
  const Case c = GetParam();
  const std::string file = std::string(DAE_SOURCE_DIR) + "/web/models/" + c.model + ".safetensors";
  GraphModule reference = load_model_file(file);
  reference->to(torch::kFloat64);
  reference->eval();
  const int channels = reference->arch().channels;
  const std::vector<float> input =
      bench_input(size_t(c.n) * channels * c.side * c.side, static_cast<uint32_t>(7 + c.side + c.n));

  dae::Result<dae::Model> engine = dae::Model::from_file(file);
  ASSERT_TRUE(engine.ok()) << engine.error();
  dae::Tensor x(c.n, channels, c.side, c.side);
  std::copy(input.begin(), input.end(), x.data.begin());
  dae::Result<dae::Tensor> ours = engine->forward(x);
  ASSERT_TRUE(ours.ok()) << ours.error();

  torch::NoGradGuard no_grad;
  const torch::Tensor in64 =
      torch::from_blob(const_cast<float*>(input.data()), {c.n, channels, c.side, c.side}, torch::kFloat32)
          .to(torch::kFloat64);
  const torch::Tensor ref = reference->forward(in64).contiguous();
  ASSERT_EQ(static_cast<size_t>(ref.numel()), ours->size());
  const double* r = ref.data_ptr<double>();
  double worst = 0, sum = 0;
  size_t at = 0;
  for (size_t i = 0; i < ours->size(); ++i) {
    const double d = std::abs(ours->data[i] - r[i]);
    sum += d;
    if (d > worst) worst = d, at = i;
  }
  const std::string stem = std::string(c.model) + "-" + std::to_string(c.n) + "x" + std::to_string(c.side);
  keep(stem + ".input.f32", input.data(), input.size());
  keep(stem + ".engine.f32", ours->data.data(), ours->size());
  keep(stem + ".ref.f64", r, ours->size());
  const size_t plane = size_t(c.side) * c.side * ref.size(1);
  std::printf("%s batch %d %dx%d: max |engine - float64| %.2e (image %zu), mean %.2e, output range [%.3f, %.3f]\n",
              c.model, c.n, c.side, c.side, worst, at / plane, sum / ours->size(), ref.min().item<double>(),
              ref.max().item<double>());
  // float32 arithmetic over a few hundred thousand multiply-adds per output: a few 1e-6 at most.
  EXPECT_LT(worst, 1e-5) << stem;
}

// The rows of ort_bench.mjs where the engine and onnxruntime were compared.
INSTANTIATE_TEST_SUITE_P(Shipped, Reference64Test,
                         ::testing::Values(Case{"unet32", 1, 28}, Case{"unet32", 256, 28}, Case{"unet32", 1, 256},
                                           Case{"unet", 256, 28}, Case{"photo", 1, 256}),
                         [](const ::testing::TestParamInfo<Case>& i) {
                           return std::string(i.param.model) + "_" + std::to_string(i.param.n) + "x" +
                                  std::to_string(i.param.side);
                         });

}  // namespace
