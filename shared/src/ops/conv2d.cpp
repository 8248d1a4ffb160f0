// 2-D convolution: the scalar reference and the engine's entry point.
#include <algorithm>

#include "dae/ops.h"

namespace dae::ops {

int conv_out_size(int in, const ConvParams& p) {
  return (in + 2 * p.pad - p.kernel) / p.stride + 1;
}

void conv2d_reference(const Tensor& in, const float* weight, const float* bias, const ConvParams& p, Tensor& out) {
  const int oh = conv_out_size(in.h, p), ow = conv_out_size(in.w, p), k = p.kernel;
  out = Tensor(in.n, p.cout, oh, ow);
  for (int n = 0; n < in.n; ++n)
    for (int co = 0; co < p.cout; ++co) {
      float* dst = out.at(n, co);
      for (int y = 0; y < oh; ++y)
        for (int x = 0; x < ow; ++x) {
          float acc = bias ? bias[co] : 0.0f;
          for (int ci = 0; ci < p.cin; ++ci) {
            const float* src = in.at(n, ci);
            const float* wk = weight + (static_cast<size_t>(co) * p.cin + ci) * k * k;
            for (int ky = 0; ky < k; ++ky) {
              const int iy = y * p.stride - p.pad + ky;
              if (iy < 0 || iy >= in.h) continue;
              for (int kx = 0; kx < k; ++kx) {
                const int ix = x * p.stride - p.pad + kx;
                if (ix < 0 || ix >= in.w) continue;
                acc += src[static_cast<size_t>(iy) * in.w + ix] * wk[ky * k + kx];
              }
            }
          }
          dst[static_cast<size_t>(y) * ow + x] = acc;
        }
    }
  activate_reference(out.data.data(), out.size(), p.act);
}

void conv2d(const Tensor& in, const float* weight, const float* bias, const ConvParams& p, Tensor& out) {
  conv2d_reference(in, weight, bias, p, out);
}

}  // namespace dae::ops
