// Turns float images into RGBA8 WebGL textures; colour mapping for display only, no image processing.
#include "textures.h"

#include <GLES3/gl3.h>

#include <algorithm>
#include <cmath>

static uint8_t to_byte(float v) {
  return static_cast<uint8_t>(std::clamp(v, 0.0f, 1.0f) * 255.0f + 0.5f);
}

// Creates `*texture` on first use (linear when shown smaller, or nearest: every texel a crisp square) and binds it.
static void bind_texture(unsigned* texture, bool nearest = false) {
  if (*texture == 0) {
    glGenTextures(1, texture);
    glBindTexture(GL_TEXTURE_2D, *texture);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, nearest ? GL_NEAREST : GL_LINEAR);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
  }
  glBindTexture(GL_TEXTURE_2D, *texture);
  glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
}

void upload_rgba(unsigned* texture, const uint8_t* rgba, int w, int h, bool nearest) {
  bind_texture(texture, nearest);
  glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA, w, h, 0, GL_RGBA, GL_UNSIGNED_BYTE, rgba);
}

// Pixel i of an image of n pixels with c planes (1 gray, 3 RGB) as RGBA.
static void rgba_pixel(const float* px, size_t n, int c, size_t i, uint8_t* out) {
  for (int k = 0; k < 3; ++k) out[k] = to_byte(px[(c == 3 ? k : 0) * n + i]);
  out[3] = 255;
}

void rgba_rows(const float* px, int w, int h, int c, int y0, int y1, uint8_t* out) {
  const size_t n = static_cast<size_t>(w) * h;
  for (size_t i = static_cast<size_t>(y0) * w, end = static_cast<size_t>(y1) * w; i < end; ++i, out += 4)
    rgba_pixel(px, n, c, i, out);
}

// Rows of the (possibly scaled-down) texture go up this many at a time.
static constexpr int kStripRows = 64;

// Uploads the w×h image whose pixel (x, y) has RGB value(x, y, rgb) (floats, display-ready in [0, 1]), scaled down by
// the smallest whole factor that fits the GPU's limit, in strips of rows.
template <class Value>
static void upload_scaled(Textures& t, unsigned* texture, int w, int h, Value value) {
  if (t.max_side == 0) {
    glGetIntegerv(GL_MAX_TEXTURE_SIZE, &t.max_side);
    if (t.max_side <= 0) t.max_side = 4096;
  }
  int f = 1;
  while ((w + f - 1) / f > t.max_side || (h + f - 1) / f > t.max_side) ++f;
  const int tw = (w + f - 1) / f, th = (h + f - 1) / f;
  bind_texture(texture);
  glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA, tw, th, 0, GL_RGBA, GL_UNSIGNED_BYTE, nullptr);
  t.scratch.resize(static_cast<size_t>(tw) * kStripRows * 4);
  for (int ty0 = 0; ty0 < th; ty0 += kStripRows) {
    const int rows = std::min(kStripRows, th - ty0);
    for (int ty = ty0; ty < ty0 + rows; ++ty)
      for (int tx = 0; tx < tw; ++tx) {
        // The mean over the f×f block (cut short at the right and bottom edges).
        float sum[3] = {0, 0, 0};
        int count = 0;
        for (int y = ty * f; y < std::min(h, ty * f + f); ++y)
          for (int x = tx * f; x < std::min(w, tx * f + f); ++x, ++count) {
            float rgb[3];
            value(static_cast<size_t>(y) * w + x, rgb);
            for (int k = 0; k < 3; ++k) sum[k] += rgb[k];
          }
        uint8_t* p = &t.scratch[(static_cast<size_t>(ty - ty0) * tw + tx) * 4];
        for (int k = 0; k < 3; ++k) p[k] = to_byte(sum[k] / count);
        p[3] = 255;
      }
    glTexSubImage2D(GL_TEXTURE_2D, 0, 0, ty0, tw, rows, GL_RGBA, GL_UNSIGNED_BYTE, t.scratch.data());
  }
  t.shrink = f;
}

bool upload_region(Textures& t, unsigned* texture, const float* px, int w_full, int h_full, int c, int x0, int y0, int w,
                   int h, bool allocate) {
  if (t.max_side == 0) glGetIntegerv(GL_MAX_TEXTURE_SIZE, &t.max_side);
  if (w_full > t.max_side || h_full > t.max_side) return false;
  bind_texture(texture);
  if (allocate) glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA, w_full, h_full, 0, GL_RGBA, GL_UNSIGNED_BYTE, nullptr);
  const size_t n = static_cast<size_t>(w_full) * h_full;
  t.scratch.resize(static_cast<size_t>(w) * h * 4);
  uint8_t* out = t.scratch.data();
  for (int y = y0; y < y0 + h; ++y)
    for (int x = x0; x < x0 + w; ++x, out += 4) rgba_pixel(px, n, c, static_cast<size_t>(y) * w_full + x, out);
  glTexSubImage2D(GL_TEXTURE_2D, 0, x0, y0, w, h, GL_RGBA, GL_UNSIGNED_BYTE, t.scratch.data());
  return true;
}

void upload_image(Textures& t, unsigned* texture, const float* px, int w, int h, int c) {
  const size_t n = static_cast<size_t>(w) * h;
  upload_scaled(t, texture, w, h, [&](size_t i, float* rgb) {
    for (int k = 0; k < 3; ++k) rgb[k] = px[(c == 3 ? k : 0) * n + i];
  });
}

void upload_difference(Textures& t, unsigned* texture, const float* a, const float* b, int w, int h, int c) {
  const size_t n = static_cast<size_t>(w) * h;
  upload_scaled(t, texture, w, h, [&](size_t i, float* rgb) {
    if (c == 3) {
      for (int k = 0; k < 3; ++k) rgb[k] = std::abs(a[k * n + i] - b[k * n + i]) * 4.0f;
    } else {
      // Errors above 0.5 are already glaring; spreading 0..0.5 over the ramp shows the small ones.
      const float e = std::min(1.0f, std::abs(a[i] - b[i]) * 2.0f) * 3.0f;
      rgb[0] = e, rgb[1] = e - 1.0f, rgb[2] = e - 2.0f;
    }
  });
}

void upload_atlas(Textures& t, unsigned* texture, const std::vector<const float*>& images, int columns) {
  const int rows = (static_cast<int>(images.size()) + columns - 1) / columns;
  const int w = columns * 28, h = std::max(1, rows) * 28;
  t.scratch.assign(static_cast<size_t>(w) * h * 4, 0);
  for (size_t k = 0; k < images.size(); ++k) {
    const int ox = static_cast<int>(k % columns) * 28, oy = static_cast<int>(k / columns) * 28;
    for (int y = 0; y < 28; ++y)
      for (int x = 0; x < 28; ++x) {
        uint8_t* p = &t.scratch[(static_cast<size_t>(oy + y) * w + ox + x) * 4];
        p[0] = p[1] = p[2] = to_byte(images[k][y * 28 + x]);
        p[3] = 255;
      }
  }
  upload_rgba(texture, t.scratch.data(), w, h, false);
}
