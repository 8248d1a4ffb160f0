// Training and inference throughput per model, measured on real batches.
#pragma once

#include <string>
#include <vector>

#include "data.h"

namespace dae::trainer {

struct BenchOptions {
  std::vector<std::string> models = {"seed", "conv", "unet", "unet32"};
  int batch = 128;
  double seconds = 10.0;
  int threads = 1;
  std::string device = "cpu";
  std::string json_path;  // also write the results here (read by native/bench/torch_peer.py --compare)
};

void run_bench(const BenchOptions& options, const Dataset& data);

}  // namespace dae::trainer
