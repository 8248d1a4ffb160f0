// The engine against LibTorch on the same model and weights, the same thread count on both sides: images/s and
// ratio at batch 1 and 256 (28×28), one 256×256 image and, for the color model, a 1024×1024 photo; then one
// 256×256 image on two engine threads against one. Writes build/bench/torch.md.
#include <malloc.h>
#include <torch/torch.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <vector>

#include "bench_util.h"
#include "dae/ops.h"

namespace {

using namespace dae;

// The architecture graph as LibTorch functional calls on the same weights (no autograd).
class TorchGraph {
 public:
  explicit TorchGraph(const bench::LoadedWeights& w) : arch_(w.arch) {
    for (const Node& n : arch_.nodes) {
      if (n.op != Op::Conv && n.op != Op::ConvTranspose) {
        weight_.emplace_back(), bias_.emplace_back();
        continue;
      }
      const std::vector<float>& wv = w.weights.at(n.name + ".weight");
      const std::vector<float>& bv = w.weights.at(n.name + ".bias");
      const int64_t a = n.op == Op::Conv ? n.cout : n.cin, b = n.op == Op::Conv ? n.cin : n.cout;
      weight_.push_back(torch::from_blob(const_cast<float*>(wv.data()), {a, b, n.kernel, n.kernel}).clone());
      bias_.push_back(torch::from_blob(const_cast<float*>(bv.data()), {n.cout}).clone());
    }
  }

  torch::Tensor forward(const torch::Tensor& in) const {
    std::vector<torch::Tensor> acts(arch_.nodes.size());
    for (size_t i = 0; i < arch_.nodes.size(); ++i) {
      const Node& n = arch_.nodes[i];
      const torch::Tensor& x = n.inputs[0] == kGraphInput ? in : acts[n.inputs[0]];
      auto second = [&] { return n.inputs[1] == kGraphInput ? in : acts[n.inputs[1]]; };
      torch::Tensor y;
      switch (n.op) {
        case Op::Conv: y = torch::conv2d(x, weight_[i], bias_[i], n.stride, n.pad); break;
        case Op::ConvTranspose:
          y = torch::conv_transpose2d(x, weight_[i], bias_[i], n.stride, n.pad, n.output_pad);
          break;
        case Op::MaxPool: y = torch::max_pool2d(x, n.kernel, n.kernel); break;
        case Op::Upsample: y = torch::upsample_nearest2d(x, {x.size(2) * n.stride, x.size(3) * n.stride}); break;
        case Op::Concat: y = torch::cat({x, second()}, 1); break;
        case Op::Add: y = x + second(); break;
        case Op::Sub: y = x - second(); break;
      }
      if (n.act == Act::Relu) y = torch::relu(y);
      if (n.act == Act::Sigmoid) y = torch::sigmoid(y);
      acts[i] = y;
    }
    return acts.back();
  }

 private:
  Arch arch_;
  std::vector<torch::Tensor> weight_, bias_;
};

struct Case {
  std::string model;
  int n, side, threads;
};

// unet32 and the color photo model at one and two threads, the smaller models at one thread. photo has random
// weights until web/models/photo.safetensors exists (speed does not depend on the values).
std::vector<Case> cases() {
  std::vector<Case> out;
  for (int threads : {1, 2}) {
    for (auto [n, side] : {std::pair{1, 28}, std::pair{256, 28}, std::pair{1, 256}})
      out.push_back({"unet32", n, side, threads});
    for (int side : {256, 1024}) out.push_back({"photo", 1, side, threads});
  }
  for (const std::string name : {"unet", "conv", "seed"})
    for (auto [n, side] : {std::pair{1, 28}, std::pair{256, 28}, std::pair{1, 256}}) out.push_back({name, n, side, 1});
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  // glibc would hand LibTorch's large buffers back to the kernel after every batch (see TOOLCHAIN).
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  mallopt(M_TOP_PAD, 256 << 20);
  torch::InferenceMode guard;
  const std::string out_dir = argc > 1 ? argv[1] : "build/bench";
  std::ostringstream table, scaling;
  table << "| model | weights | image | batch | threads | engine ms | LibTorch ms | engine img/s | LibTorch img/s | "
           "engine / LibTorch | max abs diff |\n|---|---|---|---|---|---|---|---|---|---|---|\n";
  std::map<std::string, std::pair<bench::LoadedWeights, Model>> loaded;
  auto model_for = [&](const std::string& name) -> std::pair<bench::LoadedWeights, Model>* {
    if (!loaded.count(name)) {
      Result<bench::LoadedWeights> w = bench::load_weights("web/models/" + name + ".safetensors", name);
      Result<Model> model = w.ok() ? Model::from_weights(w->arch, w->weights) : w.status();
      if (!model.ok()) {
        std::fprintf(stderr, "%s: %s\n", name.c_str(), model.error().c_str());
        return nullptr;
      }
      loaded.emplace(name, std::pair{std::move(*w), std::move(*model)});
    }
    return &loaded.at(name);
  };
  for (const Case& c : cases()) {
    auto* entry = model_for(c.model);
    if (!entry) return 1;
    const auto& [w, model] = *entry;
    const TorchGraph graph(w);
    const int ch = w.arch.channels;
    torch::set_num_threads(c.threads);
    RunOptions options;
    options.threads = c.threads;
    const Tensor in = bench::random_images(c.n, ch, c.side, c.side, 3);
    const torch::Tensor tin = torch::from_blob(const_cast<float*>(in.data.data()), {c.n, ch, c.side, c.side}).clone();
    const Tensor ours = model.forward(in).value();
    const torch::Tensor theirs = graph.forward(tin).contiguous();
    float diff = 0.0f;
    for (size_t i = 0; i < ours.size(); ++i) diff = std::max(diff, std::fabs(ours.data[i] - theirs.data_ptr<float>()[i]));
    const auto [engine_s, torch_s] = bench::median_seconds_interleaved([&] { (void)model.forward(in, options); },
                                                                       [&] { (void)graph.forward(tin); }, 3.0);
    char row[320];
    std::snprintf(row, sizeof row, "| %s | %s | %dx%dx%d | %d | %d | %.3f | %.3f | %.1f | %.1f | %.2fx | %.1e |\n",
                  c.model.c_str(), w.source == "random weights" ? "random" : "trained", c.side, c.side, ch, c.n,
                  c.threads, engine_s * 1e3, torch_s * 1e3, c.n / engine_s, c.n / torch_s, torch_s / engine_s, diff);
    table << row;
    std::fputs(row, stdout);
    std::fflush(stdout);
  }

  // One image on two threads against one thread, alternating: how well the engine splits a single image.
  scaling << "\n| model | image | engine 1 thread ms | engine 2 threads ms | speed-up |\n|---|---|---|---|---|\n";
  for (const std::string name : {"unet32", "photo"}) {
    const Model& model = model_for(name)->second;
    const Tensor in = bench::random_images(1, model.arch().channels, 256, 256, 4);
    RunOptions one, two;
    two.threads = 2;
    const auto [t1, t2] = bench::median_seconds_interleaved([&] { (void)model.forward(in, one); },
                                                            [&] { (void)model.forward(in, two); }, 4.0);
    char row[200];
    std::snprintf(row, sizeof row, "| %s | 256x256x%d | %.3f | %.3f | %.2fx |\n", name.c_str(), model.arch().channels,
                  t1 * 1e3, t2 * 1e3, t1 / t2);
    scaling << row;
    std::fputs(row, stdout);
    std::fflush(stdout);
  }
  std::filesystem::create_directories(out_dir);
  std::ofstream(out_dir + "/torch.md") << "# Engine (" << ops::kernel_isa() << ") vs LibTorch " << TORCH_VERSION
                                       << ", threads as given on both sides, median of alternating runs\n\n"
                                       << table.str() << scaling.str();
  return 0;
}
