// The app's image type: planar float pixels in [0, 1], gray or RGB, shared between copies until one is written.
#pragma once

#include <cstddef>
#include <memory>
#include <utility>
#include <vector>

// An image with values in [0, 1]: c planes (1 gray, 3 RGB) of h rows of w, one after another (the engine's NCHW).
// Copies share the pixels: the noisy image a job denoises, the result shown, the undo history and a photo that is
// its own noisy input cost one buffer, not one each. Writing goes through mutable_data(), which first gives this
// image a buffer of its own if another copy holds the same one (copy on write). Only the app's thread copies or
// writes images; a job thread holds its copy and reads it.
struct Image {
  int w = 0, h = 0, c = 1;
  Image() = default;
  Image(int w_, int h_, int c_, std::vector<float> px)
      : w(w_), h(h_), c(c_), px_(std::make_shared<std::vector<float>>(std::move(px))) {}
  Image(int w_, int h_, int c_, float fill)
      : Image(w_, h_, c_, std::vector<float>(static_cast<size_t>(w_) * h_ * c_, fill)) {}
  size_t size() const { return px_ ? px_->size() : 0; }
  size_t plane() const { return static_cast<size_t>(w) * h; }
  size_t bytes() const { return size() * sizeof(float); }
  bool empty() const { return size() == 0; }
  bool same_shape(const Image& o) const { return w == o.w && h == o.h && c == o.c; }
  // Whether both hold the very same pixels (one buffer), not merely equal ones.
  bool shares(const Image& o) const { return px_ && px_ == o.px_; }
  const float* data() const { return px_ ? px_->data() : nullptr; }
  float* mutable_data() {
    if (!px_) return nullptr;
    if (px_.use_count() > 1) px_ = std::make_shared<std::vector<float>>(*px_);
    return px_->data();
  }
  const float* channel(int k) const { return data() + k * plane(); }
  float* mutable_channel(int k) { return mutable_data() + k * plane(); }
  float operator[](size_t i) const { return (*px_)[i]; }

 private:
  std::shared_ptr<std::vector<float>> px_;
};
