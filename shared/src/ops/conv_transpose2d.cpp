// 2-D transposed convolution (the gradient of a strided convolution): reference and entry point.
#include "dae/ops.h"

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

void conv_transpose2d(const Tensor& in, const float* weight, const float* bias, const ConvParams& p, Tensor& out) {
  conv_transpose2d_reference(in, weight, bias, p, out);
}

}  // namespace dae::ops
