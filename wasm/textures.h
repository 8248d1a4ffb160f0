// WebGL textures for the image views: grayscale images and the difference heat map, uploaded when they change.
#pragma once

#include <cstdint>
#include <vector>

struct Textures {
  unsigned clean = 0, noisy = 0, denoised = 0, difference = 0, samples = 0;
  std::vector<uint8_t> scratch;  // RGBA staging buffer reused between uploads
};

// Uploads a w×h grayscale image in [0, 1] to `*texture`, creating it on first use. Nearest filtering keeps
// 28×28 pixels crisp when shown large.
void upload_gray(Textures& t, unsigned* texture, const float* px, int w, int h);
// |a - b| as a heat map: black (0) through red and yellow to white (>= 0.5).
void upload_difference(Textures& t, unsigned* texture, const float* a, const float* b, int w, int h);
// Packs `count` 28×28 images into one atlas texture, `columns` across.
void upload_atlas(Textures& t, unsigned* texture, const std::vector<const float*>& images, int columns);
