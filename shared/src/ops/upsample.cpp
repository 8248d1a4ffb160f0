// Nearest-neighbour upsampling by an integer factor: reference and fast path.
#include <cstring>

#include "dae/ops.h"
#include "kernels.h"

namespace dae::ops {
#if !defined(DAE_KERNELS_ONLY)  // the tensor-level operators, compiled once

void upsample_nearest_reference(const Tensor& in, int s, Tensor& out) {
  out = Tensor(in.n, in.c, in.h * s, in.w * s);
  for (int n = 0; n < in.n; ++n)
    for (int c = 0; c < in.c; ++c) {
      const float* src = in.at(n, c);
      float* dst = out.at(n, c);
      for (int y = 0; y < out.h; ++y)
        for (int x = 0; x < out.w; ++x)
          dst[static_cast<size_t>(y) * out.w + x] = src[static_cast<size_t>(y / s) * in.w + x / s];
    }
}

#endif

namespace DAE_KERNELS {

// Each output row is built once from its input row, then copied s − 1 times: no division per pixel.
void run_upsample(const View& in, int s, const View& out, const Exec& ex) {
  ex.parallel(in.n * in.c, plane_grain(out.plane()), [&](int begin, int end, int) {
    for (int pl = begin; pl < end; ++pl) {
      const float* src = in.at(pl / in.c, pl % in.c);
      float* dst = out.at(pl / in.c, pl % in.c);
      for (int y = 0; y < in.h; ++y) {
        const float* srow = src + static_cast<size_t>(y) * in.w;
        float* drow = dst + static_cast<size_t>(y) * s * out.w;
        if (s == 2) {
          for (int x = 0; x < in.w; ++x) drow[2 * x] = drow[2 * x + 1] = srow[x];
        } else {
          for (int x = 0; x < in.w; ++x)
            for (int d = 0; d < s; ++d) drow[x * s + d] = srow[x];
        }
        for (int d = 1; d < s; ++d) std::memcpy(drow + static_cast<size_t>(d) * out.w, drow, sizeof(float) * out.w);
      }
    }
  });
}

}  // namespace DAE_KERNELS

#if !defined(DAE_KERNELS_ONLY)

void upsample_nearest(const Tensor& in, int s, Tensor& out, int threads) {
  out = Tensor(in.n, in.c, in.h * s, in.w * s);
  detail::with_scratch({}, threads,
                       [&](const detail::Exec& ex) { detail::run_upsample(detail::read_view(in), s, detail::view(out), ex); });
}

#endif

}  // namespace dae::ops
