// Export round trips: every built-in model written by the trainer loads in the engine and computes what LibTorch
// computes; parameter names follow dae::param_specs; ONNX files pass the checker.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <set>

#include "dae/engine.h"
#include "dae/safetensors.h"
#include "export_onnx.h"
#include "export_safetensors.h"
#include "graph_module.h"
#include "test_dirs.h"

#if defined(DAE_WITH_ONNX)
#include <onnx/onnx_pb.h>
#endif

namespace {

using namespace dae::trainer;

constexpr float kTolerance = 1e-5f;

float max_abs_diff(const dae::Tensor& engine, const torch::Tensor& torch_out) {
  torch::Tensor t = torch_out.contiguous();
  EXPECT_EQ(static_cast<int64_t>(engine.size()), t.numel());
  float m = 0;
  for (size_t i = 0; i < engine.size(); ++i) m = std::max(m, std::abs(engine.data[i] - t.data_ptr<float>()[i]));
  return m;
}

dae::Tensor to_engine(const torch::Tensor& t) {
  torch::Tensor c = t.contiguous();
  dae::Tensor out(c.size(0), c.size(1), c.size(2), c.size(3));
  std::copy_n(c.data_ptr<float>(), out.size(), out.data.begin());
  return out;
}

class ExportTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ExportTest, ParameterNamesMatchParamSpecs) {
  GraphModule m = make_model(GetParam());
  std::set<std::string> torch_names, spec_names;
  for (const auto& p : m->named_parameters(true)) torch_names.insert(p.key());
  for (const dae::ParamSpec& s : dae::param_specs(m->arch())) {
    spec_names.insert(s.name);
    const torch::Tensor* t = m->named_parameters(true).find(s.name);
    ASSERT_NE(t, nullptr) << s.name;
    EXPECT_EQ(t->sizes().vec(), s.shape) << s.name;
  }
  EXPECT_EQ(torch_names, spec_names);
  EXPECT_EQ(m->parameters().size(), spec_names.size());
}

TEST_P(ExportTest, EngineMatchesLibTorch) {
  const std::string dir = dae::test::scratch_dir();
  torch::manual_seed(42);
  GraphModule m = make_model(GetParam());
  m->eval();
  const std::string path = dir + "/" + GetParam() + ".safetensors";
  write_model_file(path, m, {{"dae.train_command", "test"}});
  dae::Result<dae::Model> model = dae::Model::from_file(path);
  ASSERT_TRUE(model.ok()) << model.error();
  EXPECT_EQ(model->metadata().at("dae.name"), GetParam());
  EXPECT_EQ(model->metadata().at("dae.params"), std::to_string(dae::param_count(m->arch())));
  torch::NoGradGuard no_grad;
  // 28x28 images and a non-square size that is a multiple of 4, with the model's channel count.
  const int64_t c = m->arch().channels;
  for (auto shape : {std::vector<int64_t>{2, c, 28, 28}, std::vector<int64_t>{1, c, 20, 36}}) {
    torch::Tensor input = torch::rand(shape);
    torch::Tensor expected = m->forward(input);
    for (bool reference : {true, false}) {
      dae::Result<dae::Tensor> out = model->forward(to_engine(input), dae::RunOptions{reference});
      ASSERT_TRUE(out.ok()) << out.error();
      EXPECT_LE(max_abs_diff(*out, expected), kTolerance) << shape[2] << "x" << shape[3] << " reference=" << reference;
    }
  }
  // The file also loads back into LibTorch with identical weights.
  GraphModule back = load_model_file(path);
  for (const auto& [name, t] : m->named_weights())
    EXPECT_TRUE(torch::equal(t, back->named_parameters().find(name)->detach())) << name;
}

TEST_P(ExportTest, OnnxPassesCheckerAndShapeInference) {
  const std::string dir = dae::test::scratch_dir();
  torch::manual_seed(3);
  GraphModule m = make_model(GetParam());
  const std::string path = dir + "/" + GetParam() + ".onnx";
  write_onnx(path, m);
  const std::vector<std::string> ops = check_onnx_file(path);
  ASSERT_FALSE(ops.empty());
  EXPECT_EQ(ops.back(), "Clip");
  auto count = [&](const char* op) { return std::count(ops.begin(), ops.end(), op); };
  int convs = 0, deconvs = 0, pools = 0, ups = 0;
  for (const dae::Node& n : m->arch().nodes) {
    convs += n.op == dae::Op::Conv;
    deconvs += n.op == dae::Op::ConvTranspose;
    pools += n.op == dae::Op::MaxPool;
    ups += n.op == dae::Op::Upsample;
  }
  EXPECT_EQ(count("Conv"), convs);
  EXPECT_EQ(count("ConvTranspose"), deconvs);
  EXPECT_EQ(count("MaxPool"), pools);
  EXPECT_EQ(count("Resize"), ups);
#if defined(DAE_WITH_ONNX)
  // Input and output are [N, channels, H, W] with symbolic N, H, W.
  std::ifstream f(path, std::ios::binary);
  onnx::ModelProto proto;
  ASSERT_TRUE(proto.ParseFromIstream(&f));
  for (const auto* value : {&proto.graph().input(0), &proto.graph().output(0)}) {
    const onnx::TensorShapeProto& shape = value->type().tensor_type().shape();
    ASSERT_EQ(shape.dim_size(), 4) << value->name();
    EXPECT_EQ(shape.dim(0).dim_param(), "N") << value->name();
    EXPECT_EQ(shape.dim(1).dim_value(), m->arch().channels) << value->name();
    EXPECT_EQ(shape.dim(2).dim_param(), "H") << value->name();
    EXPECT_EQ(shape.dim(3).dim_param(), "W") << value->name();
  }
#endif
}

INSTANTIATE_TEST_SUITE_P(BuiltinModels, ExportTest, ::testing::Values("seed", "conv", "unet", "unet32", "photo"));

TEST(Export, GoldenFileHoldsLibTorchOutputs) {
  const std::string dir = dae::test::scratch_dir();
  torch::manual_seed(5);
  GraphModule m = make_model("conv");
  Split test{torch::rand({4, 1, 28, 28}), torch::zeros({4}, torch::kInt64)};
  write_golden(dir + "/g.safetensors", m, test, 1);
  dae::Result<dae::Model> wrong = dae::Model::from_file(dir + "/g.safetensors");
  EXPECT_FALSE(wrong.ok());  // a golden file is not a model file
  std::ifstream f(dir + "/g.safetensors", std::ios::binary);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  dae::Result<dae::SafetensorsView> view = dae::parse_safetensors(bytes.data(), bytes.size());
  ASSERT_TRUE(view.ok()) << view.error();
  EXPECT_EQ(view->tensors.at("input").shape, (std::vector<int64_t>{2, 1, 28, 28}));
  EXPECT_EQ(view->tensors.at("output_odd").shape, (std::vector<int64_t>{1, 1, 20, 36}));
  std::vector<float> in = *view->floats("input_odd"), out = *view->floats("output_odd");
  torch::NoGradGuard no_grad;
  torch::Tensor expected = m->forward(torch::from_blob(in.data(), {1, 1, 20, 36}).clone());
  EXPECT_TRUE(torch::equal(expected, torch::from_blob(out.data(), {1, 1, 20, 36})));
}

TEST(Export, ColorGoldenFileIsReproducedByTheEngine) {
  // The golden tensors of a 3-channel model are [N, 3, H, W], and the engine reproduces them as golden_test does.
  const std::string dir = dae::test::scratch_dir();
  torch::manual_seed(6);
  GraphModule m = make_model("photo");
  Split test{torch::rand({12, 1, 28, 28}), torch::zeros({12}, torch::kInt64)};
  write_golden(dir + "/photo-golden.safetensors", m, test, 1);
  write_model_file(dir + "/photo.safetensors", m, {{"dae.train_command", "test"}});
  dae::Result<dae::Model> model = dae::Model::from_file(dir + "/photo.safetensors");
  ASSERT_TRUE(model.ok()) << model.error();
  std::ifstream f(dir + "/photo-golden.safetensors", std::ios::binary);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  dae::Result<dae::SafetensorsView> view = dae::parse_safetensors(bytes.data(), bytes.size());
  ASSERT_TRUE(view.ok()) << view.error();
  EXPECT_EQ(view->tensors.at("input").shape, (std::vector<int64_t>{2, 3, 28, 28}));
  EXPECT_EQ(view->tensors.at("output").shape, (std::vector<int64_t>{2, 3, 28, 28}));
  EXPECT_EQ(view->tensors.at("input_odd").shape, (std::vector<int64_t>{1, 3, 20, 36}));
  for (const std::string suffix : {"", "_odd"}) {
    const std::vector<int64_t>& s = view->tensors.at("input" + suffix).shape;
    dae::Tensor in(static_cast<int>(s[0]), static_cast<int>(s[1]), static_cast<int>(s[2]), static_cast<int>(s[3]));
    in.data = *view->floats("input" + suffix);
    const std::vector<float> expected = *view->floats("output" + suffix);
    for (bool reference : {true, false}) {
      dae::Result<dae::Tensor> out = model->forward(in, dae::RunOptions{reference});
      ASSERT_TRUE(out.ok()) << out.error();
      ASSERT_EQ(out->size(), expected.size());
      float diff = 0;
      for (size_t i = 0; i < expected.size(); ++i) diff = std::max(diff, std::abs(out->data[i] - expected[i]));
      EXPECT_LE(diff, kTolerance) << "input" << suffix << " reference=" << reference;
    }
  }
}

}  // namespace
