// A dense float32 NCHW tensor: the one data type the engine passes between operators.
#pragma once

#include <cstddef>
#include <vector>

namespace dae {

struct Tensor {
  int n = 0, c = 0, h = 0, w = 0;
  std::vector<float> data;

  Tensor() = default;
  Tensor(int n_, int c_, int h_, int w_, float fill = 0.0f)
      : n(n_), c(c_), h(h_), w(w_), data(static_cast<size_t>(n_) * c_ * h_ * w_, fill) {}

  size_t size() const { return data.size(); }
  size_t plane() const { return static_cast<size_t>(h) * w; }
  // Pointer to channel `ch` of image `img`.
  float* at(int img, int ch) { return data.data() + (static_cast<size_t>(img) * c + ch) * plane(); }
  const float* at(int img, int ch) const { return data.data() + (static_cast<size_t>(img) * c + ch) * plane(); }
  bool same_shape(const Tensor& o) const { return n == o.n && c == o.c && h == o.h && w == o.w; }
};

}  // namespace dae
