// WebGL textures for the image views: grayscale and RGB images and the difference view, uploaded when they change.
#pragma once

#include <cstdint>
#include <vector>

struct Textures {
  unsigned clean = 0, noisy = 0, denoised = 0, difference = 0, samples = 0;
  unsigned partial = 0;  // the result of a job in progress, tile by tile as its tiles finish
  std::vector<uint8_t> scratch;  // RGBA staging buffer for a strip of rows, reused between uploads
  int max_side = 0;              // the GPU's MAX_TEXTURE_SIZE, read on first upload
  int shrink = 1;                // the last photo upload's scale-down factor (1: full resolution)
};

// Rows [y0, y1) of a w×h image with c planes (1 gray, 3 RGB) in [0, 1] as 8-bit RGBA, alpha 255, rounded to nearest:
// the bytes a saved PNG holds.
void rgba_rows(const float* px, int w, int h, int c, int y0, int y1, uint8_t* out);

// Uploads a w×h image in [0, 1] with c planes (1 gray, 3 RGB) to `*texture`, creating it on first use. Nearest
// filtering when magnified keeps 28×28 pixels crisp when shown large; linear when a photo is shown smaller. An image
// wider or taller than the GPU allows (MAX_TEXTURE_SIZE, 4096 on many phones) is uploaded scaled down by the smallest
// whole factor that fits (box filter), so it still shows whole; `shrink` says by how much. Rows go up in strips, so
// the staging memory stays small whatever the image's size.
void upload_image(Textures& t, unsigned* texture, const float* px, int w, int h, int c);
// Uploads the w×h region at (x0, y0) of a w_full-wide image (c planes of h_full rows) into `*texture` at the same
// place; `allocate` first makes the texture w_full×h_full. False (nothing uploaded) when the image is larger than the
// GPU allows: then the result shows once it is complete.
bool upload_region(Textures& t, unsigned* texture, const float* px, int w_full, int h_full, int c, int x0, int y0, int w,
                   int h, bool allocate);
// |a - b|: for one channel a heat map, black (0) through red and yellow to white (>= 0.5); for RGB each channel's
// error times 4, so the colour shows which channels are off.
void upload_difference(Textures& t, unsigned* texture, const float* a, const float* b, int w, int h, int c);
// Uploads ready RGBA bytes (w×h) to `*texture`, creating it on first use; nearest: no smoothing when shown smaller.
void upload_rgba(unsigned* texture, const uint8_t* rgba, int w, int h, bool nearest);
// Packs `count` 28×28 images into one atlas texture, `columns` across.
void upload_atlas(Textures& t, unsigned* texture, const std::vector<const float*>& images, int columns);
