// The app's image type: planar float pixels in [0, 1], gray or RGB.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

// An image with values in [0, 1]: c planes (1 gray, 3 RGB) of h rows of w, one after another (the engine's NCHW).
struct Image {
  int w = 0, h = 0, c = 1;
  std::vector<float> px;
  Image() = default;
  Image(int w_, int h_, int c_, std::vector<float> px_) : w(w_), h(h_), c(c_), px(std::move(px_)) {}
  Image(int w_, int h_, int c_, float fill) : w(w_), h(h_), c(c_), px(static_cast<size_t>(w_) * h_ * c_, fill) {}
  size_t size() const { return px.size(); }
  size_t plane() const { return static_cast<size_t>(w) * h; }
  bool empty() const { return px.empty(); }
  bool same_shape(const Image& o) const { return w == o.w && h == o.h && c == o.c; }
  float* channel(int k) { return px.data() + k * plane(); }
  const float* channel(int k) const { return px.data() + k * plane(); }
};
