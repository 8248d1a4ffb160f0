// Engine-internal operator kernels on memory views, split over threads. Weights are prepared once per model
// (`prepare_*`), sizes, offsets and scratch once per input size (`setup_*`), so `run_*` only computes.
#pragma once

#include <functional>
#include <vector>

#include "../parallel.h"
#include "dae/ops.h"
#include "gemm.h"

namespace dae::ops::DAE_KERNELS {

// NCHW images in memory owned elsewhere: each channel plane is contiguous, images lie `image_stride` floats
// apart (more than c·h·w when the view is a channel slice of a concatenation's buffer). Kernels never write
// through a view they read.
struct View {
  float* data = nullptr;
  int n = 0, c = 0, h = 0, w = 0;
  size_t image_stride = 0;
  size_t plane() const { return static_cast<size_t>(h) * w; }
  float* at(int img, int ch) const { return data + img * image_stride + ch * plane(); }
};
View view(Tensor& t);
View read_view(const Tensor& t);

// Scratch floats one call needs: `shared` once and `worker` for each thread.
struct ScratchSize {
  size_t shared = 0, worker = 0;
};

// One call's threads and scratch memory.
struct Exec {
  int threads = 1;
  float* shared = nullptr;
  float* scratch = nullptr;
  size_t scratch_stride = 0;  // floats per worker
  float* worker(int w) const { return scratch + w * scratch_stride; }
  // fn(begin, end, worker) over [0, count) in chunks of `grain` (see dae::detail::parallel_for).
  void parallel(int count, int grain, const dae::detail::RangeFn& fn) const {
    dae::detail::parallel_for(threads, count, grain, fn);
  }
};

// Calls fn with freshly allocated scratch: the tensor-level operators of ops.h (tests, benchmarks) use it.
void with_scratch(const ScratchSize& size, int threads, const std::function<void(const Exec&)>& fn);

// Work items worth splitting `total` units into for `threads` threads: a few per thread, so that one slow
// thread (another process on its core) does not hold up the rest.
int split_count(int total, int threads);
// Planes of `plane` floats per work item for the memory-bound operators: enough to outweigh handing out work.
int plane_grain(size_t plane);

// 2-D convolution. Winograd F(2×2, 3×3) or implicit-im2col GEMM; the choice depends on the layer and the
// input size (conv2d's measured crossovers).
enum class ConvAlgo { Gemm, Winograd };
// Whether Winograd is the faster algorithm for this layer on an h×w input (measured crossovers: its transforms
// cost about as much as a few channels of products, so thin layers stay on the GEMM).
bool winograd_suits(const ConvParams& p, int h, int w);
ConvAlgo choose_conv_algo(const ConvParams& p, int h, int w);

struct ConvWeights {
  ConvParams p;
  PackedA gemm;                   // [cout × cin·k·k] with the bias
  std::vector<PackedA> winograd;  // 16 × [cout × cin], the transformed kernels; empty when not prepared
  std::vector<float> bias;
};
// `winograd`: also prepare the Winograd kernels (only where winograd_applies).
ConvWeights prepare_conv(const float* weight, const float* bias, const ConvParams& p, bool winograd);

struct ConvSetup {
  ConvAlgo algo = ConvAlgo::Gemm;
  int h = 0, w = 0, oh = 0, ow = 0;
  int rows = 0;            // output rows (GEMM) or tile rows (Winograd) per work item, at most
  int cols = 0;            // Winograd: tiles per row of a work item, at most
  int block = 0, ld = 0;   // Winograd: tiles per work item, at most, and the row stride of transformed tiles
  std::vector<std::ptrdiff_t> koff;  // the GEMM's B row offsets
  ScratchSize scratch;
};
// algo Winograd is only valid where winograd_applies(p). oh and ow must be >= 1.
ConvSetup setup_conv(const ConvParams& p, ConvAlgo algo, int h, int w);
void run_conv(const ConvWeights& c, const ConvSetup& s, const View& in, const View& out, const Exec& ex);

// The Winograd half of the above (winograd.cpp).
std::vector<PackedA> prepare_winograd(const float* weight, const ConvParams& p);
void setup_winograd(const ConvParams& p, ConvSetup& s);
void run_winograd(const ConvWeights& c, const ConvSetup& s, const View& in, const View& out, const Exec& ex);

// Transposed convolution: GEMM, then col2im, split over output channels.
struct ConvTransposeWeights {
  ConvParams p;
  PackedA a;  // [cout·k·k × cin]
  std::vector<float> bias;
};
ConvTransposeWeights prepare_conv_transpose(const float* weight, const float* bias, const ConvParams& p);

struct ConvTransposeSetup {
  int h = 0, w = 0, oh = 0, ow = 0;
  int rows = 0;  // input rows per band
  std::vector<std::ptrdiff_t> koff;
  ScratchSize scratch;
};
ConvTransposeSetup setup_conv_transpose(const ConvParams& p, int h, int w);
void run_conv_transpose(const ConvTransposeWeights& c, const ConvTransposeSetup& s, const View& in, const View& out,
                        const Exec& ex);

// Operators without weights or scratch. `out` has the right shape; each splits over images and channels.
void run_maxpool(const View& in, int k, const View& out, const Exec& ex);
void run_upsample(const View& in, int s, const View& out, const Exec& ex);
void run_add_sub(const View& a, const View& b, bool subtract, const View& out, const Exec& ex);
void run_copy(const View& in, const View& out, const Exec& ex);
void run_activate(const View& x, Act act, const Exec& ex);

}  // namespace dae::ops::DAE_KERNELS
