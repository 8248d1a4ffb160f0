// Turns float images into RGBA8 WebGL textures; colour mapping for display only, no image processing.
#include "textures.h"

#include <GLES3/gl3.h>

#include <algorithm>
#include <cmath>

static uint8_t to_byte(float v) {
  return static_cast<uint8_t>(std::clamp(v, 0.0f, 1.0f) * 255.0f + 0.5f);
}

static void upload_rgba(unsigned* texture, const uint8_t* rgba, int w, int h) {
  if (*texture == 0) {
    glGenTextures(1, texture);
    glBindTexture(GL_TEXTURE_2D, *texture);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
  }
  glBindTexture(GL_TEXTURE_2D, *texture);
  glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
  glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA, w, h, 0, GL_RGBA, GL_UNSIGNED_BYTE, rgba);
}

void upload_image(Textures& t, unsigned* texture, const float* px, int w, int h, int c) {
  const size_t n = static_cast<size_t>(w) * h;
  t.scratch.resize(n * 4);
  for (size_t i = 0; i < n; ++i) {
    for (int k = 0; k < 3; ++k) t.scratch[i * 4 + k] = to_byte(px[(c == 3 ? k : 0) * n + i]);
    t.scratch[i * 4 + 3] = 255;
  }
  upload_rgba(texture, t.scratch.data(), w, h);
}

void upload_difference(Textures& t, unsigned* texture, const float* a, const float* b, int w, int h, int c) {
  const size_t n = static_cast<size_t>(w) * h;
  t.scratch.resize(n * 4);
  for (size_t i = 0; i < n; ++i) {
    if (c == 3) {
      for (int k = 0; k < 3; ++k) t.scratch[i * 4 + k] = to_byte(std::abs(a[k * n + i] - b[k * n + i]) * 4.0f);
    } else {
      // Errors above 0.5 are already glaring; spreading 0..0.5 over the ramp shows the small ones.
      const float e = std::min(1.0f, std::abs(a[i] - b[i]) * 2.0f) * 3.0f;
      t.scratch[i * 4 + 0] = to_byte(e);
      t.scratch[i * 4 + 1] = to_byte(e - 1.0f);
      t.scratch[i * 4 + 2] = to_byte(e - 2.0f);
    }
    t.scratch[i * 4 + 3] = 255;
  }
  upload_rgba(texture, t.scratch.data(), w, h);
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
  upload_rgba(texture, t.scratch.data(), w, h);
}
