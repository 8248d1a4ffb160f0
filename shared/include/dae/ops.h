// The engine's operators on NCHW float tensors. Each has a plain scalar `_reference` version, kept
// forever as the definition and test oracle, beside the fast version. The fast versions here prepare their
// weights on every call (tests, benchmarks); the engine prepares them once per model and runs the same
// kernels. `threads` splits one call's work; results are identical for every thread count.
#pragma once

#include "dae/arch.h"
#include "dae/tensor.h"

namespace dae::ops {

struct ConvParams {
  int cin = 0, cout = 0, kernel = 0, stride = 1, pad = 0, output_pad = 0;
  Act act = Act::None;
};

// Output side length of a convolution / transposed convolution; < 1 when the input is too small.
int conv_out_size(int in, const ConvParams& p);
int conv_transpose_out_size(int in, const ConvParams& p);

// in [N, cin, H, W], weight [cout, cin, k, k], bias [cout] -> out [N, cout, OH, OW] (out is resized).
void conv2d_reference(const Tensor& in, const float* weight, const float* bias, const ConvParams& p, Tensor& out);
void conv2d(const Tensor& in, const float* weight, const float* bias, const ConvParams& p, Tensor& out,
            int threads = 1);

// The fast algorithms conv2d chooses between, public so tests and benchmarks can run each one alone.
// conv2d_gemm: implicit-im2col GEMM for any convolution. conv2d_winograd: Winograd F(2×2, 3×3) where
// winograd_applies (3×3, stride 1, pad 1), else the GEMM. Its transforms round differently: results
// differ from the reference by a few times the direct sum's rounding error.
bool winograd_applies(const ConvParams& p);
void conv2d_gemm(const Tensor& in, const float* weight, const float* bias, const ConvParams& p, Tensor& out,
                 int threads = 1);
void conv2d_winograd(const Tensor& in, const float* weight, const float* bias, const ConvParams& p, Tensor& out,
                     int threads = 1);

// in [N, cin, H, W], weight [cin, cout, k, k], bias [cout] -> out [N, cout, OH, OW].
void conv_transpose2d_reference(const Tensor& in, const float* weight, const float* bias, const ConvParams& p,
                                Tensor& out);
void conv_transpose2d(const Tensor& in, const float* weight, const float* bias, const ConvParams& p, Tensor& out,
                      int threads = 1);

// k×k windows with stride k, floor mode: out [N, C, H/k, W/k].
void maxpool2d_reference(const Tensor& in, int k, Tensor& out);
void maxpool2d(const Tensor& in, int k, Tensor& out, int threads = 1);

// Nearest neighbour: out [N, C, H*s, W*s].
void upsample_nearest_reference(const Tensor& in, int s, Tensor& out);
void upsample_nearest(const Tensor& in, int s, Tensor& out, int threads = 1);

// Channel concatenation; a and b share N, H, W.
void concat_channels(const Tensor& a, const Tensor& b, Tensor& out);
// Elementwise a + b or a - b; same shapes.
void add(const Tensor& a, const Tensor& b, Tensor& out);
void sub(const Tensor& a, const Tensor& b, Tensor& out);

// The instruction set the engine's kernels run with on this CPU: "avx512-fma", "avx2-fma", "sse2", "wasm-simd128"
// or "scalar". (The tensor-level operators above always use the build's baseline set, at most "avx2-fma".)
const char* kernel_isa();
// The compute roof for those kernels: GFLOP/s of multiply-add chains in registers of that instruction set, on
// `threads` threads at once for about `seconds` (a multiply-add counts 2).
double peak_gflops(int threads, double seconds = 0.2);

void activate_reference(float* x, size_t n, Act act);
void activate(float* x, size_t n, Act act);

}  // namespace dae::ops
