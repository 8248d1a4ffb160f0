// The register-blocked SIMD matrix product every convolution kernel is built on (engine-internal).
//
// C[M × N] = A[M × K] · B[K × N] (+ bias per row, optional ReLU). A is packed once per call into
// blocks of kMR rows; B is never packed by the product itself: row k of B starts at `base + koff[k]`,
// so a convolution can point rows straight into a zero-padded input image (implicit im2col) or into
// a packed panel buffer.
#pragma once

#include <cstddef>
#include <vector>

#include "dae/simd.h"

// The kernels are compiled once per instruction set into one program (see shared/CMakeLists.txt): DAE_KERNELS
// names this compile's namespace, `detail` for the baseline one.
#ifndef DAE_KERNELS
#define DAE_KERNELS detail
#endif

namespace dae::ops::DAE_KERNELS {

// Rows of A per micro-tile, and vectors of B per micro-tile row: 4 × 3 independent accumulators,
// the number of multiply-add chains that reaches peak on both x86 and V8's WebAssembly code.
inline constexpr int kMR = 4;
inline constexpr int kNV = simd::kWidth == 4 ? 2 : 3;
inline constexpr int kNR = kNV * simd::kWidth;

struct PackedA {
  int m = 0, k = 0;
  std::vector<float> data;  // ceil(m / kMR) blocks of k × kMR values, zero padded
  std::vector<float> bias;  // ceil(m / kMR) × kMR values, zero padded
};

// Packs A with A[i][j] = a[i * row_stride + j * col_stride]; bias may be null.
void pack_a(const float* a, int m, int k, size_t row_stride, size_t col_stride, const float* bias, PackedA& out);

// C[i][j] = bias[i] + Σ_k A[i][k] · base[koff[k] + j] for row_begin <= i < row_end (row_end < 0: M), j < n;
// ReLU when `relu`. `c` points at row row_begin, a multiple of kMR. Each C value is the same sequence of
// multiply-adds whatever n, the column and the row range, so splitting a product never changes its result.
// Reads B up to column round_up(n, kNR) - 1, so callers provide that much readable slack.
void gemm(const PackedA& a, const float* base, const std::ptrdiff_t* koff, int n, float* c, size_t ldc, bool relu,
          int row_begin = 0, int row_end = -1);

// Rounds x up to a multiple of m.
inline int round_up(int x, int m) {
  return (x + m - 1) / m * m;
}

}  // namespace dae::ops::DAE_KERNELS
