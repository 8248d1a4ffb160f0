// WebGL textures for the image views: grayscale and RGB images and the difference view, uploaded when they change.
#pragma once

#include <cstdint>
#include <vector>

struct Textures {
  unsigned clean = 0, noisy = 0, denoised = 0, difference = 0, samples = 0;
  std::vector<uint8_t> scratch;  // RGBA staging buffer reused between uploads
};

// Uploads a w×h image in [0, 1] with c planes (1 gray, 3 RGB) to `*texture`, creating it on first use. Nearest
// filtering when magnified keeps 28×28 pixels crisp when shown large; linear when a photo is shown smaller.
void upload_image(Textures& t, unsigned* texture, const float* px, int w, int h, int c);
// |a - b|: for one channel a heat map, black (0) through red and yellow to white (>= 0.5); for RGB each channel's
// error times 4, so the colour shows which channels are off.
void upload_difference(Textures& t, unsigned* texture, const float* a, const float* b, int w, int h, int c);
// Packs `count` 28×28 images into one atlas texture, `columns` across.
void upload_atlas(Textures& t, unsigned* texture, const std::vector<const float*>& images, int columns);
