// k×k max pooling with stride k: reference and entry point.
#include <algorithm>

#include "dae/ops.h"

namespace dae::ops {

void maxpool2d_reference(const Tensor& in, int k, Tensor& out) {
  const int oh = in.h / k, ow = in.w / k;
  out = Tensor(in.n, in.c, oh, ow);
  for (int n = 0; n < in.n; ++n)
    for (int c = 0; c < in.c; ++c) {
      const float* src = in.at(n, c);
      float* dst = out.at(n, c);
      for (int y = 0; y < oh; ++y)
        for (int x = 0; x < ow; ++x) {
          float m = src[static_cast<size_t>(y * k) * in.w + x * k];
          for (int dy = 0; dy < k; ++dy)
            for (int dx = 0; dx < k; ++dx) m = std::max(m, src[static_cast<size_t>(y * k + dy) * in.w + x * k + dx]);
          dst[static_cast<size_t>(y) * ow + x] = m;
        }
    }
}

void maxpool2d(const Tensor& in, int k, Tensor& out) {
  maxpool2d_reference(in, k, out);
}

}  // namespace dae::ops
