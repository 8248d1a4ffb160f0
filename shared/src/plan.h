// A loaded model compiled for the fast kernels: every layer's weights prepared once, and for each input size
// an execution plan (every node's shape, algorithm, buffer offset and the scratch its kernels need), so a
// forward pass only computes. The compiled form is opaque here: its kernels' headers depend on the
// instruction set the operator sources are built for.
#pragma once

#include <memory>
#include <vector>

#include "dae/engine.h"

namespace dae::detail {

// weights and biases per node, as the model holds them (empty for weightless nodes).
std::shared_ptr<const Compiled> compile(const Arch& arch, const std::vector<std::vector<float>>& weights,
                                        const std::vector<std::vector<float>>& biases);

// Runs the graph on `in`, which the caller has checked ([N, channels, H, W], sizes valid for the graph), on up
// to `threads` threads. The result is the same for every thread count. Safe to call from several threads.
Tensor run(const Compiled& model, const Tensor& in, int threads);

}  // namespace dae::detail
