// The training loop: noisy/clean pairs from the shared noise code, Adam with a cosine schedule, validation,
// atomic per-epoch checkpoints, exact resume, NaN and Ctrl-C handling.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "dae/arch.h"
#include "dae/noise.h"
#include "data.h"
#include "distributed.h"
#include "graph_module.h"
#include "image_folder.h"

namespace dae::trainer {

struct TrainOptions {
  std::string model = kDefaultArch;
  std::string out_dir = "build/train";
  int epochs = 10;
  int batch = 128;     // images per step in this process; a step of the group takes batch * world_size
  int world_size = 1;  // processes training together (data-parallel, see distributed.h)
  int rank = 0;        // this process among them; rank 0 validates and writes every file
  double lr = 1e-3;
  int64_t limit = 0;                       // use only the first N training images (0 = all but the validation part)
  int64_t val_count = 5000;                // validation images (Fashion-MNIST: from the end of the training file)
  std::string images_dir;                  // train on this image folder instead of Fashion-MNIST
  int64_t images_max_mb = kDefaultImagesMaxMb;  // image folders: most decoded bytes held, in MiB
  int patch = 64;                          // image folders: patch side
  int64_t patches = 16384;                 // image folders: patches per epoch
  float gray_fraction = 0;                 // image folders, color models: share of gray photo patches (model_input)
  float sigma_lo = 0.3f, sigma_hi = 0.3f;  // per-image σ drawn uniformly from [lo, hi] (blind training)
  std::vector<NoiseKind> noise = {NoiseKind::Gaussian};  // each image gets one of these, drawn uniformly
  float camera_lo = 0.0f, camera_hi = 0.06f;  // the camera kinds' amount range (NoiseParams::amount)
  std::string loss = "mse";  // "mse", "bce", "l1", or "l1-mse" (L1 for the first half of the steps, then MSE)
  double ema = 0;            // decay of an exponential moving average of the weights (0 = off); the average is
                             // what is validated and exported
  int64_t warmup = 0;        // optimizer steps of linear learning-rate warm-up before the cosine decay
  uint64_t seed = 1;
  std::string device = "cpu";
  bool resume = false;
  std::string init_from;         // start from the weights of this model file (fine-tuning) instead of random ones
  int64_t stop_after_steps = 0;  // stop (as if interrupted) after this many optimizer steps in this run
  int snapshots = 0;             // keep this many copies of the weights at log-spaced steps (snapshots.h); 0: none
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
  std::string snapshots_path;   // <out>/<model>.snapshots.safetensors with --snapshots
};

// Raised when the loss, the gradients (checked before every optimizer step, agreed by every rank of a group) or the
// weights (checked before every checkpoint and model file) stop being finite; the last good files are left in place.
struct NonFiniteLoss : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Set by a SIGINT handler; the loop saves a checkpoint after the current batch and returns.
std::atomic<bool>& stop_requested();

// What the loop trains on: the clean and noisy batch for (epoch, batch index), always the same for the same
// options, and a fixed noisy validation set.
struct TrainingData {
  std::string description;  // recorded in the model file, e.g. "fashion-mnist: 55000 images"
  int channels = 1;
  // How many symmetries of the square the data is augmented with (and so dae::RunOptions::ensemble may use):
  // 8 with flips and quarter turns, 1 for data in one orientation. Recorded as "dae.symmetries".
  int symmetries = 1;
  int64_t per_epoch = 0;  // examples per epoch
  std::function<std::pair<torch::Tensor, torch::Tensor>(int64_t epoch, int64_t batch)> batch;  // clean, noisy (CPU)
  torch::Tensor val_clean, val_noisy;
};

// Fashion-MNIST: the train split less its last `val_count` images (limited to `limit`), reshuffled every epoch.
TrainingData fashion_mnist_training(const Dataset& data, const TrainOptions& options);
// An image folder: `patches` random patches per epoch from the train files, `val_count` fixed patches from the
// val files. The test files are never read here.
TrainingData image_folder_training(const ImageFolder& folder, const TrainOptions& options);

// The options a checkpoint must have been written with to be resumed (stored in it).
std::string checkpoint_fingerprint(const TrainOptions& options);

// Images per optimizer step of the whole group: every rank makes this batch and trains on its share of it.
int64_t global_batch(const TrainOptions& options);

// Trains on `data` and writes the checkpoint, the model file, the ONNX file and a JSON log into options.out_dir.
// With a `group` (options.world_size > 1) this process is one rank of a data-parallel run: rank r trains on rows
// [r * batch, (r + 1) * batch) of each global batch, gradients are summed across the ranks before every step, and
// only rank 0 validates and writes files. N ranks with batch B reach the weights of one process with batch N * B.
TrainResult train(const TrainOptions& options, const TrainingData& data, Collectives* group = nullptr);

// Starts `model` from `init`'s weights (--init). Same graph as `model`, with the same number of channels or with
// 1 where `model` has n or the other way round: a color model's weights can start a gray one (the first layer
// summed over the channels, the output layers averaged) and a gray model's a color one. Throws naming `what`.
void copy_init_weights(GraphModuleImpl& model, const GraphModuleImpl& init, const std::string& what);

// Adds noise image by image, each drawn by draw_noise, all from one generator. One kind draws nothing for the
// choice, so a run with one kind sees the same numbers as before lists existed.
torch::Tensor make_noisy(const torch::Tensor& clean, const NoiseDraw& noise, Rng& rng);
// The options' noise: kinds, σ range and camera range.
NoiseDraw noise_draw(const TrainOptions& o);

// "gaussian" or "gaussian,salt-pepper" (--noise): the kinds, each named once; throws naming the bad one.
std::vector<NoiseKind> parse_noise_list(const std::string& text);
std::string noise_list_string(const std::vector<NoiseKind>& kinds);

// Mixes seed, epoch and a stream id into one generator seed, so data order and noise depend only on these.
uint64_t stream_seed(uint64_t seed, uint64_t epoch, uint64_t stream);

std::string checkpoint_path(const TrainOptions& options);
std::string sigma_string(float lo, float hi);

}  // namespace dae::trainer
