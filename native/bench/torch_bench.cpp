// The engine against LibTorch on the same model and weights, one thread each: images/s and ratio at
// batch 1 and 256 (28×28) and one 256×256 image, then batch 256 with two threads each. Writes build/bench/torch.md.
#include <malloc.h>
#include <torch/torch.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

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

}  // namespace

int main(int argc, char** argv) {
  // glibc would hand LibTorch's large buffers back to the kernel after every batch (see TOOLCHAIN).
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  mallopt(M_TOP_PAD, 256 << 20);
  const int threads = 1;
  torch::InferenceMode guard;
  const std::string out_dir = argc > 1 ? argv[1] : "build/bench";
  std::ostringstream table;
  table << "| model | weights | image | batch | threads | engine ms | LibTorch ms | engine img/s | LibTorch img/s | "
           "engine / LibTorch | max abs diff |\n|---|---|---|---|---|---|---|---|---|---|---|\n";
  for (const std::string name : {"unet32", "unet", "conv", "seed"}) {
    Result<bench::LoadedWeights> w = bench::load_weights("web/models/" + name + ".safetensors", name);
    if (!w.ok()) {
      std::fprintf(stderr, "%s: %s\n", name.c_str(), w.error().c_str());
      return 1;
    }
    Result<Model> model = Model::from_weights(w->arch, w->weights);
    if (!model.ok()) {
      std::fprintf(stderr, "%s: %s\n", name.c_str(), model.error().c_str());
      return 1;
    }
    const TorchGraph graph(*w);
    // The last row: batch 256 with two threads on each side (RunOptions::threads vs intra-op threads).
    for (auto [n, side, nthreads] :
         {std::tuple{1, 28, 1}, std::tuple{256, 28, 1}, std::tuple{1, 256, 1}, std::tuple{256, 28, 2}}) {
      torch::set_num_threads(nthreads);
      RunOptions options;
      options.threads = nthreads;
      const Tensor in = bench::random_images(n, 1, side, side, 3);
      const torch::Tensor tin = torch::from_blob(const_cast<float*>(in.data.data()), {n, 1, side, side}).clone();
      const Tensor ours = model->forward(in).value();
      const torch::Tensor theirs = graph.forward(tin).contiguous();
      float diff = 0.0f;
      for (size_t i = 0; i < ours.size(); ++i)
        diff = std::max(diff, std::fabs(ours.data[i] - theirs.data_ptr<float>()[i]));
      const auto [engine_s, torch_s] = bench::median_seconds_interleaved([&] { (void)model->forward(in, options); },
                                                                         [&] { (void)graph.forward(tin); }, 3.0);
      char row[320];
      std::snprintf(row, sizeof row, "| %s | %s | %dx%d | %d | %d | %.3f | %.3f | %.0f | %.0f | %.2fx | %.1e |\n",
                    name.c_str(), w->source == "random weights" ? "random" : "trained", side, side, n, nthreads,
                    engine_s * 1e3, torch_s * 1e3, n / engine_s, n / torch_s, torch_s / engine_s, diff);
      table << row;
      std::fputs(row, stdout);
      std::fflush(stdout);
    }
  }
  std::filesystem::create_directories(out_dir);
  std::ofstream(out_dir + "/torch.md")
      << "# Engine (" << ops::kernel_isa() << ") vs LibTorch " << TORCH_VERSION << ", " << threads
      << " thread each unless the threads column says otherwise, median of alternating runs\n\n"
      << table.str();
  return 0;
}
