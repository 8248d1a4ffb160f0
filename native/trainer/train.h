// The training loop: noisy/clean pairs from the shared noise code, Adam with a cosine schedule, validation,
// atomic per-epoch checkpoints, exact resume, NaN and Ctrl-C handling.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "dae/arch.h"
#include "dae/noise.h"
#include "data.h"
#include "graph_module.h"

namespace dae::trainer {

struct TrainOptions {
  std::string model = kDefaultArch;
  std::string out_dir = "build/train";
  int epochs = 10;
  int batch = 128;
  double lr = 1e-3;
  int64_t limit = 0;                       // use only the first N training images (0 = all but the validation part)
  int64_t val_count = 5000;                // validation images, taken from the end of the training file
  float sigma_lo = 0.3f, sigma_hi = 0.3f;  // per-image σ drawn uniformly from [lo, hi] (blind training)
  NoiseKind noise = NoiseKind::Gaussian;
  std::string loss = "mse";  // "mse" or "bce"
  uint64_t seed = 1;
  std::string device = "cpu";
  bool resume = false;
  std::string init_from;         // start from the weights of this model file (fine-tuning) instead of random ones
  int64_t stop_after_steps = 0;  // stop (as if interrupted) after this many optimizer steps in this run
  bool quiet = false;
  bool export_onnx = true;
  std::string command;  // the command line, recorded in the model file
};

struct EpochStats {
  int epoch = 0;  // 1-based
  double train_loss = 0, val_loss = 0, val_psnr = 0, seconds = 0, images_per_second = 0;
};

struct TrainResult {
  std::vector<EpochStats> history;
  bool finished = false;        // false when stopped early (Ctrl-C or stop_after_steps); a checkpoint was saved
  std::string checkpoint_path;  // the last checkpoint written
  std::string model_path;       // <out>/<model>.safetensors when finished
};

// Raised when the loss stops being finite; the last good checkpoint is left in place.
struct NonFiniteLoss : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Set by a SIGINT handler; the loop saves a checkpoint after the current batch and returns.
std::atomic<bool>& stop_requested();

// Trains on `data` (train split; validation is its tail) and writes the checkpoint, the model file, the ONNX file
// and a JSON log into options.out_dir.
TrainResult train(const TrainOptions& options, const Dataset& data);

// Adds noise image by image, each with its own σ drawn from [sigma_lo, sigma_hi], all from one generator.
torch::Tensor make_noisy(const torch::Tensor& clean, NoiseKind kind, float sigma_lo, float sigma_hi, Rng& rng);

// Mixes seed, epoch and a stream id into one generator seed, so data order and noise depend only on these.
uint64_t stream_seed(uint64_t seed, uint64_t epoch, uint64_t stream);

std::string checkpoint_path(const TrainOptions& options);
std::string sigma_string(float lo, float hi);

}  // namespace dae::trainer
