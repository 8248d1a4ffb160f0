// Stand-in for c10d_group.cpp in builds whose LibTorch has no c10d Gloo headers: one process only, and a
// message saying what is missing when more are asked for.
#include "distributed.h"

namespace dae::trainer {

bool distributed_available() {
  return false;
}

std::unique_ptr<Collectives> join_group(const DistOptions&, const torch::Device&) {
  throw std::runtime_error(
      "this dae-train was built without LibTorch's c10d Gloo support (its headers, or gloo's from libgloo-dev, "
      "were not found at configure time), so it trains as one process only");
}

}  // namespace dae::trainer
