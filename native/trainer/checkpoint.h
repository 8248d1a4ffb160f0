// Training checkpoints: model, optimizer and loop position saved together, atomically.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "graph_module.h"
#include "train.h"

namespace dae::trainer {

struct LoopState {
  int epoch = 0;        // epoch in progress (0-based)
  int64_t batch = 0;    // next batch of that epoch
  double loss_sum = 0;  // running sum of per-image loss in that epoch so far
  int64_t loss_count = 0;
  double seconds = 0;  // training time spent in that epoch so far
  std::vector<EpochStats> history;
  std::string fingerprint;  // the options that must match on resume
};

// True when every weight of `model` is finite.
bool weights_finite(const GraphModuleImpl& model);

// Throws, writing nothing, when a weight of `model` or `ema` is NaN or infinite. `ema` (may be null): the moving
// average of the weights, saved and restored beside the raw ones.
void save_checkpoint(const std::string& path, GraphModule& model, torch::optim::Optimizer& optimizer,
                     const LoopState& state, GraphModule* ema = nullptr);
// Throws std::runtime_error if the file is unreadable or was written with different options.
LoopState load_checkpoint(const std::string& path, GraphModule& model, torch::optim::Optimizer& optimizer,
                          const std::string& expected_fingerprint, GraphModule* ema = nullptr);

}  // namespace dae::trainer
