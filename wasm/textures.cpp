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

// The largest texture side to use: the GPU's, or the smaller limit asked for.
int texture_max_side(const Textures& t) {
  return t.max_side_limit > 0 && t.max_side > 0 ? std::min(t.max_side, t.max_side_limit) : t.max_side;
}

static int max_side(Textures& t) {
  if (t.max_side == 0) {
    glGetIntegerv(GL_MAX_TEXTURE_SIZE, &t.max_side);
    if (t.max_side <= 0) t.max_side = 4096;
  }
  return texture_max_side(t);
}

void set_max_texture_side(Textures& t, int side) {
  t.max_side_limit = std::max(side, 0);
}

int texture_version(const Textures& t, unsigned texture) {
  for (const Textures::Upload& u : t.uploads)
    if (u.texture == texture) return u.version;
  return 0;
}

int texture_shrink(const Textures& t, unsigned texture) {
  for (const Textures::Upload& u : t.uploads)
    if (u.texture == texture) return u.shrink;
  return 1;
}

static void count_upload(Textures& t, unsigned texture, int shrink) {
  for (Textures::Upload& u : t.uploads)
    if (u.texture == texture) {
      ++u.version, u.shrink = shrink;
      return;
    }
  t.uploads.push_back({texture, 1, shrink});
}

// The display colour of pixel i of an image of n pixels with c planes (1 gray, 3 RGB), and of the difference view.
struct ImageValue {
  const float* px;
  size_t n;
  int c;
  void operator()(size_t i, float* rgb) const {
    for (int k = 0; k < 3; ++k) rgb[k] = px[(c == 3 ? k : 0) * n + i];
  }
};

struct DifferenceValue {
  const float *a, *b;
  size_t n;
  int c;
  void operator()(size_t i, float* rgb) const {
    if (c == 3) {
      for (int k = 0; k < 3; ++k) rgb[k] = std::abs(a[k * n + i] - b[k * n + i]) * 4.0f;
    } else {
      // Errors above 0.5 are already glaring; spreading 0..0.5 over the ramp shows the small ones.
      const float e = std::min(1.0f, std::abs(a[i] - b[i]) * 2.0f) * 3.0f;
      rgb[0] = e, rgb[1] = e - 1.0f, rgb[2] = e - 2.0f;
    }
  }
};

// Uploads the w×h image whose pixel (x, y) has RGB value(x, y, rgb) (floats, display-ready in [0, 1]), scaled down by
// the smallest whole factor that fits the GPU's limit, in strips of rows.
template <class Value>
static void upload_scaled(Textures& t, unsigned* texture, int w, int h, Value value) {
  const int limit = max_side(t);
  int f = 1;
  while ((w + f - 1) / f > limit || (h + f - 1) / f > limit) ++f;
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
  count_upload(t, *texture, f);
}

// [x0, x1) × [y0, y1) of the w×h image at full resolution into d's texture, in strips of rows.
template <class Value>
static bool upload_detail(Textures& t, DetailTexture& d, unsigned source, int w, int h, int x0, int y0, int x1, int y1,
                          Value value) {
  x0 = std::clamp(x0, 0, w), x1 = std::clamp(x1, x0, w), y0 = std::clamp(y0, 0, h), y1 = std::clamp(y1, y0, h);
  const int version = texture_version(t, source);
  if (d.holds(source, version, x0, y0, x1, y1)) return true;
  const int rw = x1 - x0, rh = y1 - y0;
  if (rw <= 0 || rh <= 0 || rw > max_side(t) || rh > max_side(t)) return false;
  bind_texture(&d.texture);
  glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA, rw, rh, 0, GL_RGBA, GL_UNSIGNED_BYTE, nullptr);
  t.scratch.resize(static_cast<size_t>(rw) * kStripRows * 4);
  for (int r0 = y0; r0 < y1; r0 += kStripRows) {
    const int rows = std::min(kStripRows, y1 - r0);
    uint8_t* p = t.scratch.data();
    for (int y = r0; y < r0 + rows; ++y)
      for (int x = x0; x < x1; ++x, p += 4) {
        float rgb[3];
        value(static_cast<size_t>(y) * w + x, rgb);
        for (int k = 0; k < 3; ++k) p[k] = to_byte(rgb[k]);
        p[3] = 255;
      }
    glTexSubImage2D(GL_TEXTURE_2D, 0, 0, r0 - y0, rw, rows, GL_RGBA, GL_UNSIGNED_BYTE, t.scratch.data());
  }
  d.source = source, d.version = version;
  d.x0 = x0, d.y0 = y0, d.x1 = x1, d.y1 = y1;
  return true;
}

bool detail_image(Textures& t, DetailTexture& d, unsigned source, const float* px, int w, int h, int c, int x0, int y0,
                  int x1, int y1) {
  return upload_detail(t, d, source, w, h, x0, y0, x1, y1, ImageValue{px, static_cast<size_t>(w) * h, c});
}

bool detail_difference(Textures& t, DetailTexture& d, unsigned source, const float* a, const float* b, int w, int h,
                       int c, int x0, int y0, int x1, int y1) {
  return upload_detail(t, d, source, w, h, x0, y0, x1, y1, DifferenceValue{a, b, static_cast<size_t>(w) * h, c});
}

bool upload_region(Textures& t, unsigned* texture, const float* px, int w_full, int h_full, int c, int x0, int y0, int w,
                   int h, bool allocate) {
  if (w_full > max_side(t) || h_full > max_side(t)) return false;
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
  upload_scaled(t, texture, w, h, ImageValue{px, static_cast<size_t>(w) * h, c});
}

void upload_difference(Textures& t, unsigned* texture, const float* a, const float* b, int w, int h, int c) {
  upload_scaled(t, texture, w, h, DifferenceValue{a, b, static_cast<size_t>(w) * h, c});
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
