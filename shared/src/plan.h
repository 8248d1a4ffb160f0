// A loaded model compiled for the fast kernels: every layer's weights prepared once, and for each input size
// an execution plan (every node's shape, algorithm, buffer offset and the scratch its kernels need), so a
// forward pass only computes. The compiled form is opaque here: its kernels' headers depend on the
// instruction set the operator sources are built for, and a build may hold them for more than one.
#pragma once

#include <memory>
#include <vector>

#include "dae/engine.h"

namespace dae::detail {

class Compiled {
 public:
  virtual ~Compiled() = default;
  // Runs the graph on `in`, which the caller has checked ([N, channels, H, W], sizes valid for the graph), on
  // up to `threads` threads. The result is the same for every thread count. Safe to call from several threads.
  // `observer`, when not null, sees each node's output for the first image as it is made (RunOptions::observer).
  virtual Tensor run(const Tensor& in, int threads, const LayerObserver* observer = nullptr) const = 0;
  // What the convolution kernels of a run at h×w on `threads` threads allocate beside the activations (at most:
  // one workspace with every thread's scratch, or one workspace per thread when each runs whole images), and the
  // node that needs the most.
  struct Scratch {
    double floats = 0;
    int node = -1;
  };
  virtual Scratch scratch(int h, int w, int threads) const = 0;
};

// weights and biases per node, as the model holds them (empty for weightless nodes). Picks the kernels of the
// widest instruction set this CPU has among those the engine was built with.
std::shared_ptr<const Compiled> compile(const Arch& arch, const std::vector<std::vector<float>>& weights,
                                        const std::vector<std::vector<float>>& biases);

// The name of that instruction set ("avx512-fma", "avx2-fma", "wasm-simd128", ...).
const char* compiled_isa();

}  // namespace dae::detail

// The same for one instruction set: `detail` is the build's baseline, `avx512` exists where DAE_WITH_AVX512.
namespace dae::ops::detail {
std::shared_ptr<const dae::detail::Compiled> compile_model(const Arch& arch,
                                                           const std::vector<std::vector<float>>& weights,
                                                           const std::vector<std::vector<float>>& biases);
}
namespace dae::ops::avx512 {
std::shared_ptr<const dae::detail::Compiled> compile_model(const Arch& arch,
                                                           const std::vector<std::vector<float>>& weights,
                                                           const std::vector<std::vector<float>>& biases);
}
