// The register-blocked SIMD matrix product behind the convolutions: A packing and the micro-kernel.
#include "gemm.h"

#include <algorithm>

namespace dae::ops::DAE_KERNELS {
namespace {

// One kMR × (NV · kWidth) tile of C over the whole K: accumulators stay in registers, A values are
// broadcast from the packed block and B rows are loaded unaligned from wherever koff points.
template <int NV>
void micro_tile(const float* ap, const float* base, const std::ptrdiff_t* koff, int k_count, const float* bias,
                bool relu, float* c, size_t ldc, int rows, int cols) {
  using namespace simd;
  Vec acc[kMR][NV];
  for (int m = 0; m < kMR; ++m) {
    const Vec b = set1(bias[m]);
    for (int v = 0; v < NV; ++v) acc[m][v] = b;
  }
  for (int k = 0; k < k_count; ++k) {
    const float* bk = base + koff[k];
    Vec bv[NV];
    for (int v = 0; v < NV; ++v) bv[v] = load(bk + v * kWidth);
    const float* ak = ap + static_cast<size_t>(k) * kMR;
    for (int m = 0; m < kMR; ++m) {
      const Vec a = set1(ak[m]);
      for (int v = 0; v < NV; ++v) acc[m][v] = fmadd(a, bv[v], acc[m][v]);
    }
  }
  if (relu)
    for (int m = 0; m < kMR; ++m)
      for (int v = 0; v < NV; ++v) acc[m][v] = max(acc[m][v], zero());
  if (rows == kMR && cols == NV * kWidth) {
    for (int m = 0; m < kMR; ++m)
      for (int v = 0; v < NV; ++v) store(c + m * ldc + v * kWidth, acc[m][v]);
    return;
  }
  // Edge tile: spill to a local buffer and copy the valid part, so C is never written out of range.
  float tmp[kMR][NV * kWidth];
  for (int m = 0; m < kMR; ++m)
    for (int v = 0; v < NV; ++v) store(&tmp[m][v * kWidth], acc[m][v]);
  for (int m = 0; m < rows; ++m) std::copy_n(tmp[m], cols, c + m * ldc);
}

}  // namespace

void pack_a(const float* a, int m, int k, size_t row_stride, size_t col_stride, const float* bias, PackedA& out) {
  const int blocks = (m + kMR - 1) / kMR;
  out.m = m;
  out.k = k;
  out.data.assign(static_cast<size_t>(blocks) * k * kMR, 0.0f);
  out.bias.assign(static_cast<size_t>(blocks) * kMR, 0.0f);
  for (int i = 0; i < m; ++i) {
    float* dst = out.data.data() + static_cast<size_t>(i / kMR) * k * kMR + i % kMR;
    for (int j = 0; j < k; ++j) dst[static_cast<size_t>(j) * kMR] = a[i * row_stride + j * col_stride];
    if (bias) out.bias[i] = bias[i];
  }
}

void gemm(const PackedA& a, const float* base, const std::ptrdiff_t* koff, int n, float* c, size_t ldc, bool relu,
          int row_begin, int row_end) {
  // Columns per chunk: keep the B rows one chunk touches (about K × chunk floats) within L2 while
  // every block of A passes over them.
  const int chunk = std::max(kNR, (16384 / std::max(a.k, 1)) / kNR * kNR);
  const int end = row_end < 0 ? a.m : std::min(row_end, a.m);
  const int first = row_begin / kMR, blocks = (end + kMR - 1) / kMR;
  for (int j0 = 0; j0 < n; j0 += chunk) {
    const int j1 = std::min(n, j0 + chunk);
    for (int b = first; b < blocks; ++b) {
      const float* ap = a.data.data() + static_cast<size_t>(b) * a.k * kMR;
      const float* bias = a.bias.data() + b * kMR;
      const int rows = std::min(kMR, end - b * kMR);
      float* cb = c + static_cast<size_t>(b - first) * kMR * ldc;
      int j = j0;
      for (; j + kNR <= j1; j += kNR) micro_tile<kNV>(ap, base + j, koff, a.k, bias, relu, cb + j, ldc, rows, kNR);
      // Leftover columns: the narrowest tile that covers them.
      const int left = j1 - j;
      if (left > 2 * simd::kWidth)
        micro_tile<3>(ap, base + j, koff, a.k, bias, relu, cb + j, ldc, rows, left);
      else if (left > simd::kWidth)
        micro_tile<2>(ap, base + j, koff, a.k, bias, relu, cb + j, ldc, rows, left);
      else if (left > 0)
        micro_tile<1>(ap, base + j, koff, a.k, bias, relu, cb + j, ldc, rows, left);
    }
  }
}

}  // namespace dae::ops::DAE_KERNELS
