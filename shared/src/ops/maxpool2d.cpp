// k×k max pooling with stride k: reference and fast path (SIMD for the 2×2 case every model uses).
#include <algorithm>

#include "dae/ops.h"
#include "dae/simd.h"

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
  if (k != 2) return maxpool2d_reference(in, k, out);
  using namespace simd;
  const int oh = in.h / 2, ow = in.w / 2;
  out = Tensor(in.n, in.c, oh, ow);
  for (int n = 0; n < in.n; ++n)
    for (int c = 0; c < in.c; ++c) {
      const float* src = in.at(n, c);
      float* dst = out.at(n, c);
      for (int y = 0; y < oh; ++y) {
        const float* r0 = src + static_cast<size_t>(2 * y) * in.w;
        const float* r1 = r0 + in.w;
        float* d = dst + static_cast<size_t>(y) * ow;
        int x = 0;
        // Vertical max of 2·kWidth input columns, then the max of neighbouring pairs.
        for (; x + kWidth <= ow; x += kWidth) {
          const Vec lo = max(load(r0 + 2 * x), load(r1 + 2 * x));
          const Vec hi = max(load(r0 + 2 * x + kWidth), load(r1 + 2 * x + kWidth));
          store(d + x, pairwise_max(lo, hi));
        }
        for (; x < ow; ++x) d[x] = std::max(std::max(r0[2 * x], r0[2 * x + 1]), std::max(r1[2 * x], r1[2 * x + 1]));
      }
    }
}

}  // namespace dae::ops
