// k×k max pooling with stride k: reference and fast path (SIMD for the 2×2 case every model uses).
#include <algorithm>

#include "dae/ops.h"
#include "dae/simd.h"
#include "kernels.h"

namespace dae::ops {
#if !defined(DAE_KERNELS_ONLY)  // the tensor-level operators, compiled once

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

#endif

namespace DAE_KERNELS {

// Whole planes per work item, split over images and channels.
void run_maxpool(const View& in, int k, const View& out, const Exec& ex) {
  using namespace simd;
  const int oh = out.h, ow = out.w;
  ex.parallel(in.n * in.c, plane_grain(in.plane()), [&](int begin, int end, int) {
    for (int pl = begin; pl < end; ++pl) {
      const float* src = in.at(pl / in.c, pl % in.c);
      float* dst = out.at(pl / in.c, pl % in.c);
      for (int y = 0; y < oh; ++y) {
        const float* r0 = src + static_cast<size_t>(k * y) * in.w;
        float* d = dst + static_cast<size_t>(y) * ow;
        int x = 0;
        if (k == 2) {
          const float* r1 = r0 + in.w;
          // Vertical max of 2·kWidth input columns, then the max of neighbouring pairs.
          for (; x + kWidth <= ow; x += kWidth) {
            const Vec lo = max(load(r0 + 2 * x), load(r1 + 2 * x));
            const Vec hi = max(load(r0 + 2 * x + kWidth), load(r1 + 2 * x + kWidth));
            store(d + x, pairwise_max(lo, hi));
          }
        }
        for (; x < ow; ++x) {
          float m = r0[x * k];
          for (int dy = 0; dy < k; ++dy)
            for (int dx = 0; dx < k; ++dx) m = std::max(m, r0[static_cast<size_t>(dy) * in.w + x * k + dx]);
          d[x] = m;
        }
      }
    }
  });
}

}  // namespace DAE_KERNELS

#if !defined(DAE_KERNELS_ONLY)

void maxpool2d(const Tensor& in, int k, Tensor& out, int threads) {
  out = Tensor(in.n, in.c, in.h / k, in.w / k);
  detail::with_scratch({}, threads,
                       [&](const detail::Exec& ex) { detail::run_maxpool(detail::read_view(in), k, detail::view(out), ex); });
}

#endif

}  // namespace dae::ops
