// 2-D transposed convolution (the gradient of a strided convolution): reference and fast path.
#include <algorithm>
#include <cstring>

#include "dae/ops.h"
#include "kernels.h"

namespace dae::ops {
#if !defined(DAE_KERNELS_ONLY)  // the tensor-level operators, compiled once

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

#endif

namespace DAE_KERNELS {

ConvTransposeWeights prepare_conv_transpose(const float* weight, const float* bias, const ConvParams& p) {
  ConvTransposeWeights c;
  c.p = p;
  const int rows = p.cout * p.kernel * p.kernel;
  pack_a(weight, rows, p.cin, 1, rows, nullptr, c.a);
  c.bias.assign(p.cout, 0.0f);
  if (bias) c.bias.assign(bias, bias + p.cout);
  return c;
}

ConvTransposeSetup setup_conv_transpose(const ConvParams& p, int h, int w) {
  ConvTransposeSetup s;
  s.h = h, s.w = w;
  s.oh = conv_transpose_out_size(h, p), s.ow = conv_transpose_out_size(w, p);
  const int rows = p.cout * p.kernel * p.kernel;
  s.rows = std::clamp(16384 / std::max(rows, 1) / w, 1, h);
  const size_t plane = static_cast<size_t>(h) * w;
  s.koff.resize(p.cin);
  for (int ci = 0; ci < p.cin; ++ci) s.koff[ci] = static_cast<std::ptrdiff_t>(ci * plane);
  // A copy of the image with slack, because the product reads whole tiles past the last pixel.
  s.scratch.shared = p.cin * plane + kNR;
  s.scratch.worker = static_cast<size_t>(rows + kMR) * s.rows * w;
  return s;
}

// GEMM + col2im: cols[(co, ky, kx)][pixel] = Σ_ci weight[ci][co][ky][kx] · in[ci][pixel] is one SIMD
// product over a band of whole input rows, then each column is added into the output pixel it lands on.
// The scatter costs 1/cin of the product. Work items are ranges of output channels, so no two threads
// add into the same pixel, and each pixel receives its terms in the same order as on one thread.
void run_conv_transpose(const ConvTransposeWeights& c, const ConvTransposeSetup& s, const View& in, const View& out,
                        const Exec& ex) {
  const ConvParams& p = c.p;
  const int k = p.kernel, kk = k * k, band = s.rows * s.w;
  const size_t plane = static_cast<size_t>(s.h) * s.w;
  // Output channels per item: a multiple of `unit`, so each item's rows of A start on a packed block.
  int unit = 1;
  while (unit * kk % kMR) ++unit;
  const int units = (p.cout + unit - 1) / unit, parts = split_count(units, ex.threads);
  const int step = (units + parts - 1) / parts * unit, items = (p.cout + step - 1) / step;
  float* src = ex.shared;
  std::fill(src + p.cin * plane, src + s.scratch.shared, 0.0f);
  for (int n = 0; n < in.n; ++n) {
    ex.parallel(p.cin, 4, [&](int begin, int end, int) {
      for (int ci = begin; ci < end; ++ci) std::memcpy(src + ci * plane, in.at(n, ci), sizeof(float) * plane);
    });
    ex.parallel(items, 1, [&](int begin, int end, int worker) {
      float* cols = ex.worker(worker);
      for (int item = begin; item < end; ++item) {
        const int co0 = item * step, co1 = std::min(p.cout, co0 + step), r0 = co0 * kk;
        for (int co = co0; co < co1; ++co) std::fill_n(out.at(n, co), out.plane(), c.bias[co]);
        for (int y0 = 0; y0 < s.h; y0 += s.rows) {
          const int y1 = std::min(s.h, y0 + s.rows);
          gemm(c.a, src + static_cast<size_t>(y0) * s.w, s.koff.data(), (y1 - y0) * s.w, cols, band, false, r0,
               co1 * kk);
          for (int co = co0; co < co1; ++co) {
            float* dst = out.at(n, co);
            for (int ky = 0; ky < k; ++ky)
              for (int kx = 0; kx < k; ++kx) {
                const float* col = cols + static_cast<size_t>((co * k + ky) * k + kx - r0) * band;
                // Input columns whose output column ox = x·s − pad + kx lies inside [0, ow).
                const int x_lo = std::max(0, (p.pad - kx + p.stride - 1) / p.stride);
                const int last = s.ow - 1 + p.pad - kx;
                const int x_hi = last < 0 ? 0 : std::min(s.w, last / p.stride + 1);
                for (int y = y0; y < y1; ++y) {
                  const int oy = y * p.stride - p.pad + ky;
                  if (oy < 0 || oy >= s.oh) continue;
                  const ptrdiff_t row = static_cast<ptrdiff_t>(oy) * s.ow - p.pad + kx;
                  const float* crow = col + static_cast<size_t>(y - y0) * s.w;
                  for (int x = x_lo; x < x_hi; ++x) dst[row + x * p.stride] += crow[x];
                }
              }
          }
        }
      }
    });
  }
  run_activate(out, p.act, ex);
}

}  // namespace DAE_KERNELS

#if !defined(DAE_KERNELS_ONLY)

void conv_transpose2d(const Tensor& in, const float* weight, const float* bias, const ConvParams& p, Tensor& out,
                      int threads) {
  const int oh = conv_transpose_out_size(in.h, p), ow = conv_transpose_out_size(in.w, p);
  if (oh < 1 || ow < 1 || in.n < 1) return conv_transpose2d_reference(in, weight, bias, p, out);
  const detail::ConvTransposeWeights c = detail::prepare_conv_transpose(weight, bias, p);
  const detail::ConvTransposeSetup s = detail::setup_conv_transpose(p, in.h, in.w);
  out = Tensor(in.n, p.cout, oh, ow);
  detail::with_scratch(s.scratch, threads, [&](const detail::Exec& ex) {
    detail::run_conv_transpose(c, s, detail::read_view(in), detail::view(out), ex);
  });
}

#endif

}  // namespace dae::ops
