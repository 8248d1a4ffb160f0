// Throughput measurements: LibTorch training and inference, and the engine's forward, on the same batches.
#include "bench.h"

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "dae/engine.h"
#include "export_safetensors.h"
#include "graph_module.h"
#include "train.h"

namespace dae::trainer {
namespace {

// Steps run before timing starts (allocator and oneDNN primitive caches warm up).
constexpr int kWarmupSteps = 3;
// Images per inference call.
constexpr int kEvalBatch = 256;

using Clock = std::chrono::steady_clock;

// Calls `step` (which processes `images` images) until `seconds` have passed; returns images per second.
template <class Step>
double rate(double seconds, int64_t images, Step step) {
  for (int i = 0; i < kWarmupSteps; ++i) step();
  const auto t0 = Clock::now();
  int64_t done = 0;
  double elapsed = 0;
  do {
    step();
    done += images;
    elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
  } while (elapsed < seconds);
  return double(done) / elapsed;
}

}  // namespace

void run_bench(const BenchOptions& o, const Dataset& data) {
  if (!(o.seconds > 0) || o.batch < 1) throw std::runtime_error("bench: --seconds and --batch must be positive");
  const torch::Device device(o.device == "cuda" ? torch::kCUDA : torch::kCPU);
  nlohmann::json results = nlohmann::json::object();
  std::printf("threads %d, device %s, training batch %d, inference batch %d, %g s per measurement\n", o.threads,
              o.device.c_str(), o.batch, kEvalBatch, o.seconds);
  std::printf("%-6s %10s %14s %16s %16s\n", "model", "params", "train img/s", "torch eval img/s", "engine img/s");
  for (const std::string& name : o.models) {
    torch::manual_seed(1);
    GraphModule model = make_model(name);
    model->to(device);
    Rng rng(7);
    torch::Tensor clean = data.train.images.slice(0, 0, o.batch).contiguous();
    torch::Tensor noisy = make_noisy(clean, {{NoiseKind::Gaussian}, 0.3f, 0.3f}, rng).to(device);
    clean = clean.to(device);
    torch::optim::Adam optimizer(model->parameters(), torch::optim::AdamOptions(1e-3));
    model->train();
    const bool bce = model->arch().nodes.back().act == Act::Sigmoid && name == "seed";
    const double train_rate = rate(o.seconds, o.batch, [&] {
      torch::Tensor out = model->forward(noisy);
      torch::Tensor loss = bce ? torch::binary_cross_entropy(out, clean) : torch::mse_loss(out, clean);
      optimizer.zero_grad();
      loss.backward();
      optimizer.step();
      (void)loss.item<float>();
    });

    model->eval();
    torch::Tensor eval_clean = data.test.images.slice(0, 0, kEvalBatch).contiguous();
    torch::Tensor eval_in = make_noisy(eval_clean, {{NoiseKind::Gaussian}, 0.3f, 0.3f}, rng);
    torch::Tensor eval_dev = eval_in.to(device);
    double eval_rate = 0;
    {
      torch::NoGradGuard no_grad;
      eval_rate = rate(o.seconds, kEvalBatch, [&] { (void)model->forward(eval_dev).to(torch::kCPU); });
    }

    std::map<std::string, std::vector<float>> weights;
    model->to(torch::kCPU);
    for (auto& [pname, t] : model->named_weights()) weights[pname] = to_named(pname, t).data;
    Result<Model> engine_model = Model::from_weights(model->arch(), std::move(weights));
    if (!engine_model.ok()) throw std::runtime_error(engine_model.error());
    Tensor engine_in(kEvalBatch, 1, 28, 28);
    std::copy_n(eval_in.data_ptr<float>(), engine_in.size(), engine_in.data.begin());
    const double engine_rate = rate(o.seconds, kEvalBatch, [&] {
      Result<Tensor> out = engine_model->forward(engine_in);
      if (!out.ok()) throw std::runtime_error(out.error());
    });
    std::printf("%-6s %10lld %14.0f %16.0f %16.0f\n", name.c_str(), static_cast<long long>(param_count(model->arch())),
                train_rate, eval_rate, engine_rate);
    std::fflush(stdout);
    results[name] = {{"params", param_count(model->arch())},
                     {"train_images_per_second", train_rate},
                     {"torch_eval_images_per_second", eval_rate},
                     {"engine_images_per_second", engine_rate},
                     {"arch", nlohmann::json::parse(arch_to_json(model->arch()))}};
  }
  if (!o.json_path.empty()) {
    const nlohmann::json out = {{"threads", o.threads},
                                {"train_batch", o.batch},
                                {"eval_batch", kEvalBatch},
                                {"device", o.device},
                                {"models", results}};
    write_file_atomic(o.json_path, out.dump(2) + "\n");
  }
}

}  // namespace dae::trainer
