// Nearest-neighbour upsampling by an integer factor: reference and fast path.
#include <cstring>

#include "dae/ops.h"

namespace dae::ops {

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

// Each output row is built once from its input row, then copied s − 1 times: no division per pixel.
void upsample_nearest(const Tensor& in, int s, Tensor& out) {
  out = Tensor(in.n, in.c, in.h * s, in.w * s);
  const size_t planes = static_cast<size_t>(in.n) * in.c;
  for (size_t pl = 0; pl < planes; ++pl) {
    const float* src = in.data.data() + pl * in.plane();
    float* dst = out.data.data() + pl * out.plane();
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
}

}  // namespace dae::ops
