// WebGL textures for the image views: grayscale and RGB images and the difference view, uploaded when they change.
#pragma once

#include <cstdint>
#include <vector>

// Part of an image at full resolution, for an image the GPU only holds scaled down: what the view shows of it when
// zoomed in past the scaled-down copy's resolution.
struct DetailTexture {
  unsigned texture = 0;
  unsigned source = 0;    // the image's (scaled-down) texture this is a part of
  int version = -1;       // which upload of that texture it was made from
  int x0 = 0, y0 = 0, x1 = 0, y1 = 0;  // the image pixels it holds, [x0, x1) × [y0, y1)
  bool drawn = false;                  // shown in the last frame
  bool holds(unsigned src, int ver, int ax0, int ay0, int ax1, int ay1) const {
    return texture && source == src && version == ver && ax0 >= x0 && ay0 >= y0 && ax1 <= x1 && ay1 <= y1;
  }
};

struct Textures {
  unsigned clean = 0, noisy = 0, denoised = 0, difference = 0, samples = 0;
  unsigned partial = 0;  // the result of a job in progress, tile by tile as its tiles finish
  std::vector<uint8_t> scratch;  // RGBA staging buffer for a strip of rows, reused between uploads
  int max_side = 0;              // the largest texture side used: the GPU's MAX_TEXTURE_SIZE, read on first upload
  int max_side_limit = 0;        // a smaller limit asked for (set_max_texture_side), 0: none
  struct Upload {
    unsigned texture;
    int version;  // how many times it was uploaded (a detail texture is of one version)
    int shrink;   // its scale-down factor (1: full resolution)
  };
  std::vector<Upload> uploads;   // of each texture upload_image / upload_difference made
  DetailTexture detail[2];       // the single view's image, or the two sides of the split view
};

// Uses at most `side` texels a side from the next upload on (what a phone's GPU allows, to try or test it here); 0
// goes back to the GPU's own limit.
void set_max_texture_side(Textures& t, int side);
// The largest side uploads use now: the GPU's limit or the smaller one asked for (0 before the first upload).
int texture_max_side(const Textures& t);
// How many times `texture` was uploaded by upload_image / upload_difference (0: never), and by what factor its last
// upload was scaled down to fit the GPU (1: full resolution).
int texture_version(const Textures& t, unsigned texture);
int texture_shrink(const Textures& t, unsigned texture);

// Rows [y0, y1) of a w×h image with c planes (1 gray, 3 RGB) in [0, 1] as 8-bit RGBA, alpha 255, rounded to nearest:
// the bytes a saved PNG holds.
void rgba_rows(const float* px, int w, int h, int c, int y0, int y1, uint8_t* out);

// Uploads a w×h image in [0, 1] with c planes (1 gray, 3 RGB) to `*texture`, creating it on first use. Nearest
// filtering when magnified keeps 28×28 pixels crisp when shown large; linear when a photo is shown smaller. An image
// wider or taller than the GPU allows (MAX_TEXTURE_SIZE, 4096 on many phones) is uploaded scaled down by the smallest
// whole factor that fits (box filter), so it still shows whole; texture_shrink says by how much. Rows go up in strips, so
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
// Makes `d` hold [x0, x1) × [y0, y1) of the w×h image behind `source` (the texture upload_image or upload_difference
// made of the same pixels, scaled down) at full resolution, unless it does already for the source's current upload.
// False when the region is larger than the GPU allows.
bool detail_image(Textures& t, DetailTexture& d, unsigned source, const float* px, int w, int h, int c, int x0, int y0,
                  int x1, int y1);
bool detail_difference(Textures& t, DetailTexture& d, unsigned source, const float* a, const float* b, int w, int h,
                       int c, int x0, int y0, int x1, int y1);
// Uploads ready RGBA bytes (w×h) to `*texture`, creating it on first use; nearest: no smoothing when shown smaller.
void upload_rgba(unsigned* texture, const uint8_t* rgba, int w, int h, bool nearest);
// Packs `count` 28×28 images into one atlas texture, `columns` across.
void upload_atlas(Textures& t, unsigned* texture, const std::vector<const float*>& images, int columns);
