// 2-D transposed convolution (the gradient of a strided convolution): reference and fast path.
#include <algorithm>
#include <cstring>

#include "dae/ops.h"
#include "gemm.h"

namespace dae::ops {

int conv_transpose_out_size(int in, const ConvParams& p) {
  return (in - 1) * p.stride - 2 * p.pad + p.kernel + p.output_pad;
}

void conv_transpose2d_reference(const Tensor& in, const float* weight, const float* bias, const ConvParams& p,
                                Tensor& out) {
  const int oh = conv_transpose_out_size(in.h, p), ow = conv_transpose_out_size(in.w, p), k = p.kernel;
  out = Tensor(in.n, p.cout, oh, ow);
  for (int n = 0; n < in.n; ++n)
    for (int co = 0; co < p.cout; ++co) {
      float* dst = out.at(n, co);
      for (size_t i = 0; i < out.plane(); ++i) dst[i] = bias ? bias[co] : 0.0f;
      for (int ci = 0; ci < p.cin; ++ci) {
        const float* src = in.at(n, ci);
        const float* wk = weight + (static_cast<size_t>(ci) * p.cout + co) * k * k;
        for (int y = 0; y < in.h; ++y)
          for (int x = 0; x < in.w; ++x) {
            const float v = src[static_cast<size_t>(y) * in.w + x];
            for (int ky = 0; ky < k; ++ky) {
              const int oy = y * p.stride - p.pad + ky;
              if (oy < 0 || oy >= oh) continue;
              for (int kx = 0; kx < k; ++kx) {
                const int ox = x * p.stride - p.pad + kx;
                if (ox < 0 || ox >= ow) continue;
                dst[static_cast<size_t>(oy) * ow + ox] += v * wk[ky * k + kx];
              }
            }
          }
      }
    }
  activate_reference(out.data.data(), out.size(), p.act);
}

// GEMM + col2im: cols[(co, ky, kx)][pixel] = Σ_ci weight[ci][co][ky][kx] · in[ci][pixel] is one
// SIMD product over a band of whole input rows, then each column is added into the output pixel
// it lands on. The scatter costs 1/cin of the product.
void conv_transpose2d(const Tensor& in, const float* weight, const float* bias, const ConvParams& p, Tensor& out) {
  const int oh = conv_transpose_out_size(in.h, p), ow = conv_transpose_out_size(in.w, p), k = p.kernel;
  if (oh < 1 || ow < 1 || in.n < 1) return conv_transpose2d_reference(in, weight, bias, p, out);
  const int kk = k * k, rows = p.cout * kk;
  const size_t plane = in.plane();
  detail::PackedA a;
  detail::pack_a(weight, rows, p.cin, 1, rows, nullptr, a);
  out = Tensor(in.n, p.cout, oh, ow);
  const int band_rows = std::clamp(16384 / std::max(rows, 1) / in.w, 1, in.h);
  const int band = band_rows * in.w;
  // A copy of the image with slack, because the product reads whole tiles past the last pixel.
  std::vector<float>& src = detail::scratch(0, p.cin * plane + detail::kNR);
  std::vector<float>& cols = detail::scratch(1, static_cast<size_t>(rows) * band);
  std::vector<int> koff(p.cin);
  for (int ci = 0; ci < p.cin; ++ci) koff[ci] = static_cast<int>(ci * plane);
  for (int n = 0; n < in.n; ++n) {
    std::memcpy(src.data(), in.at(n, 0), sizeof(float) * p.cin * plane);
    for (int co = 0; co < p.cout; ++co) std::fill_n(out.at(n, co), out.plane(), bias ? bias[co] : 0.0f);
    for (int y0 = 0; y0 < in.h; y0 += band_rows) {
      const int y1 = std::min(in.h, y0 + band_rows);
      detail::gemm(a, src.data() + static_cast<size_t>(y0) * in.w, koff.data(), (y1 - y0) * in.w, cols.data(), band,
                   false);
      for (int co = 0; co < p.cout; ++co) {
        float* dst = out.at(n, co);
        for (int ky = 0; ky < k; ++ky)
          for (int kx = 0; kx < k; ++kx) {
            const float* col = cols.data() + static_cast<size_t>((co * k + ky) * k + kx) * band;
            // Input columns whose output column ox = x·s − pad + kx lies inside [0, ow).
            const int x_lo = std::max(0, (p.pad - kx + p.stride - 1) / p.stride);
            const int last = ow - 1 + p.pad - kx;
            const int x_hi = last < 0 ? 0 : std::min(in.w, last / p.stride + 1);
            for (int y = y0; y < y1; ++y) {
              const int oy = y * p.stride - p.pad + ky;
              if (oy < 0 || oy >= oh) continue;
              const ptrdiff_t row = static_cast<ptrdiff_t>(oy) * ow - p.pad + kx;
              const float* crow = col + static_cast<size_t>(y - y0) * in.w;
              for (int x = x_lo; x < x_hi; ++x) dst[row + x * p.stride] += crow[x];
            }
          }
      }
    }
  }
  activate(out.data.data(), out.size(), p.act);
}

}  // namespace dae::ops
