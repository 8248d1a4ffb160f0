// Golden end-to-end test: the engine reproduces the trainer's LibTorch outputs for every shipped model.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "dae/engine.h"
#include "dae/safetensors.h"
#include "dae/snapshots.h"
#include "test_util.h"

namespace {

namespace fs = std::filesystem;

// LibTorch (oneDNN/OpenBLAS) and the engine sum in different orders; 1e-5 is far below one 8-bit grey level.
constexpr float kTolerance = 1e-5f;

std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

// Reads tensor `name` of a golden file as an [N, C, H, W] engine tensor.
dae::Tensor golden_tensor(const dae::SafetensorsView& view, const std::string& name) {
  auto it = view.tensors.find(name);
  EXPECT_NE(it, view.tensors.end()) << "golden file has no tensor '" << name << "'";
  if (it == view.tensors.end()) return {};
  const std::vector<int64_t>& s = it->second.shape;
  EXPECT_EQ(s.size(), 4u) << name;
  if (s.size() != 4) return {};
  dae::Tensor t(static_cast<int>(s[0]), static_cast<int>(s[1]), static_cast<int>(s[2]), static_cast<int>(s[3]));
  dae::Result<std::vector<float>> values = view.floats(name);
  EXPECT_TRUE(values.ok()) << values.error();
  if (values.ok()) t.data = *values;
  return t;
}

float max_abs_diff(const dae::Tensor& a, const dae::Tensor& b) {
  float m = 0;
  for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::abs(a.data[i] - b.data[i]));
  return m;
}

TEST(Golden, EngineMatchesLibTorchForEveryShippedModel) {
  const std::string models_dir = DAE_MODELS_DIR;
  const std::string golden_dir = std::string(DAE_SOURCE_DIR) + "/tests/data/golden";
  int checked = 0;
  for (const auto& entry : fs::directory_iterator(models_dir)) {
    if (entry.path().extension() != ".safetensors" || dae::testing::is_training_history(entry.path().filename().string()))
      continue;
    const std::string name = entry.path().stem().string();
    const std::string golden_path = golden_dir + "/" + name + ".safetensors";
    SCOPED_TRACE(name);
    // Every shipped model must have its golden tensors (dae-train export --golden writes them).
    ASSERT_TRUE(fs::exists(golden_path)) << "shipped model " << entry.path() << " has no golden file " << golden_path;
    dae::Result<dae::Model> model = dae::Model::from_file(entry.path().string());
    ASSERT_TRUE(model.ok()) << model.error();
    const std::vector<uint8_t> bytes = read_bytes(golden_path);
    dae::Result<dae::SafetensorsView> view = dae::parse_safetensors(bytes.data(), bytes.size());
    ASSERT_TRUE(view.ok()) << golden_path << ": " << view.error();
    for (const std::string suffix : {"", "_odd"}) {
      const dae::Tensor input = golden_tensor(*view, "input" + suffix);
      const dae::Tensor expected = golden_tensor(*view, "output" + suffix);
      ASSERT_GT(input.size(), 0u);
      for (bool reference : {true, false}) {
        dae::Result<dae::Tensor> out = model->forward(input, dae::RunOptions{reference});
        ASSERT_TRUE(out.ok()) << out.error();
        ASSERT_TRUE(out->same_shape(expected)) << "input" << suffix;
        EXPECT_LE(max_abs_diff(*out, expected), kTolerance)
            << "input" << suffix << (reference ? " (reference kernels)" : " (fast kernels)");
        if (reference) continue;
        // Splitting the work over threads gives exactly the one-thread result.
        for (int threads : {2, 3}) {
          dae::RunOptions options;
          options.threads = threads;
          dae::Result<dae::Tensor> many = model->forward(input, options);
          ASSERT_TRUE(many.ok()) << many.error();
          EXPECT_EQ(max_abs_diff(*many, *out), 0.0f) << "input" << suffix << ", " << threads << " threads";
        }
      }
    }
    ++checked;
  }
  EXPECT_GT(checked, 0) << "no model in " << models_dir << " has a golden file in " << golden_dir;
}

TEST(Golden, EveryShippedTrainingHistoryLoadsAndEndsOnItsModel) {
  // The page's training slider: each history file shipped beside a model is read by the checked reader, is of the
  // model's graph, and its last snapshot gives exactly the model file's output.
  int checked = 0;
  for (const auto& entry : fs::directory_iterator(DAE_MODELS_DIR)) {
    const std::string file = entry.path().filename().string();
    if (!dae::testing::is_training_history(file)) continue;
    SCOPED_TRACE(file);
    dae::Result<dae::Snapshots> history = dae::Snapshots::from_file(entry.path().string());
    ASSERT_TRUE(history.ok()) << history.error();
    const std::string model_path =
        std::string(DAE_MODELS_DIR) + "/" + file.substr(0, file.size() - std::string(".snapshots.safetensors").size()) +
        ".safetensors";
    dae::Result<dae::Model> model = dae::Model::from_file(model_path);
    ASSERT_TRUE(model.ok()) << model_path << ": " << model.error();
    ASSERT_TRUE(history->same_arch(*model));
    EXPECT_EQ(history->info().front().step, 0);
    EXPECT_GT(history->info().back().val_psnr, history->info().front().val_psnr);
    dae::Result<dae::Model> last = history->model(history->size() - 1);
    ASSERT_TRUE(last.ok()) << last.error();
    dae::Tensor in(1, model->arch().channels, 28, 28);
    dae::Rng rng(5);
    for (float& v : in.data) v = rng.uniform();
    dae::Result<dae::Tensor> a = model->forward(in), b = last->forward(in);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(a->data, b->data);
    ++checked;
  }
  EXPECT_GE(checked, 2) << "seed and unet ship their training histories";
}

}  // namespace
