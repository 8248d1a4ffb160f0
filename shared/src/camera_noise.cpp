// The noise a camera puts in a photo, and the loss a JPEG adds to it: what an uploaded photo carries, as opposed to
// the independent noise of the other kinds.
//
// The model follows the "unprocessing" recipe of Brooks et al., "Unprocessing Images for Learned Raw Denoising"
// (CVPR 2019), on the parts that decide what noise looks like after a camera's processing:
// - sRGB to linear light (the exact sRGB curve; the paper also inverts a tone curve and a colour matrix, left out);
// - inverse white balance: red divided by a gain in [1.9, 2.4], blue by one in [1.5, 1.9] (the paper's ranges), so
//   after balancing red and blue carry more noise than green;
// - an RGGB Bayer mosaic: one colour per pixel;
// - shot and read noise, the heteroscedastic Gaussian approximation of Poisson-Gaussian sensor noise the paper uses:
//   variance shot·x + read at linear level x, with shot = 4a² and log(read) = 2.18·log(shot) + 1.2 + 0.26·N(0, 1)
//   (the paper's fit of read to shot noise over real cameras);
// - bilinear demosaicing, which spreads each pixel's noise to its neighbours (noise a few pixels wide, not white);
// - white balance, clipping to [0, 1], sRGB, 8-bit values;
// - for CameraJpeg, a JPEG round trip (jpeg_round_trip below).
// With shot = 4a² the sRGB noise std of a mid-gray green pixel is close to a, so amounts read like the other kinds'
// σ; shadows get several times more, highlights less.
#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include "dae/channels.h"
#include "dae/noise.h"

namespace dae {
namespace {

float srgb_to_linear(float v) {
  return v <= 0.04045f ? v / 12.92f : std::pow((v + 0.055f) / 1.055f, 2.4f);
}

float linear_to_srgb(float v) {
  return v <= 0.0031308f ? 12.92f * v : 1.055f * std::pow(v, 1.0f / 2.4f) - 0.055f;
}

float to_8bit(float v) {
  return std::round(std::clamp(v, 0.0f, 1.0f) * 255.0f) / 255.0f;
}

// Mirror without repeating the edge (-1 → 1): keeps the mosaic's parity, so a neighbour has the colour it should.
int reflect(int i, int n) {
  if (n == 1) return 0;
  while (i < 0 || i >= n) i = i < 0 ? -i : 2 * (n - 1) - i;
  return i;
}

// The colour (0 R, 1 G, 2 B) an RGGB sensor records at (x, y) of an image whose (0, 0) is at (ox, oy).
int cfa_color(int x, int y, int ox, int oy) {
  static constexpr int kRggb[4] = {0, 1, 1, 2};
  return kRggb[((y + oy) & 1) * 2 + ((x + ox) & 1)];
}

// Camera noise on a planar RGB image [3, h, w], in place.
void camera_rgb(float* rgb, int h, int w, const NoiseParams& p, Rng& rng) {
  const size_t plane = size_t(h) * w;
  const float shot = 4.0f * p.amount * p.amount;
  const float gain[3] = {1.9f + 0.5f * rng.uniform(), 1.0f, 1.5f + 0.4f * rng.uniform()};
  const float jitter = rng.normal();
  const float read = shot > 0 ? std::exp(2.18f * std::log(shot) + 1.2f + 0.26f * jitter) : 0.0f;
  const int ox = ((p.origin_x % 2) + 2) % 2, oy = ((p.origin_y % 2) + 2) % 2;

  // The sensor: one colour per pixel, in linear light before white balance, with its noise.
  std::vector<float> raw(plane);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const size_t i = size_t(y) * w + x;
      const int c = cfa_color(x, y, ox, oy);
      const float signal = srgb_to_linear(std::clamp(rgb[c * plane + i], 0.0f, 1.0f)) / gain[c];
      raw[i] = signal + std::sqrt(shot * signal + read) * rng.normal();
    }

  // Bilinear demosaic: each missing colour is the weighted mean of the 3×3 neighbours that have it (weight 2 for the
  // four nearest, 1 for the diagonals), which is the usual bilinear kernel once the mosaic's zeros are left out.
  static constexpr int kWeight[3][3] = {{1, 2, 1}, {2, 4, 2}, {1, 2, 1}};
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const size_t i = size_t(y) * w + x;
      const int own = cfa_color(x, y, ox, oy);
      float sum[3] = {0, 0, 0}, weight[3] = {0, 0, 0};
      for (int dy = -1; dy <= 1; ++dy)
        for (int dx = -1; dx <= 1; ++dx) {
          const int u = reflect(x + dx, w), v = reflect(y + dy, h);
          const int c = cfa_color(u, v, ox, oy);
          sum[c] += kWeight[dy + 1][dx + 1] * raw[size_t(v) * w + u];
          weight[c] += kWeight[dy + 1][dx + 1];
        }
      for (int c = 0; c < 3; ++c) {
        // A 1-pixel-wide or -high image lacks some colours entirely: take the own colour's value then.
        const float linear = c == own ? raw[i] : weight[c] > 0 ? sum[c] / weight[c] : raw[i] * gain[own] / gain[c];
        rgb[c * plane + i] = to_8bit(linear_to_srgb(std::clamp(linear * gain[c], 0.0f, 1.0f)));
      }
    }
}

// The JPEG standard's example quantisation tables (ITU-T T.81, Annex K), in natural (row-major) order.
constexpr int kLumaTable[64] = {16, 11, 10, 16, 24,  40,  51,  61,  12, 12, 14, 19, 26,  58,  60,  55,
                                14, 13, 16, 24, 40,  57,  69,  56,  14, 17, 22, 29, 51,  87,  80,  62,
                                18, 22, 37, 56, 68,  109, 103, 77,  24, 35, 55, 64, 81,  104, 113, 92,
                                49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99};
constexpr int kChromaTable[64] = {17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99,
                                  24, 26, 56, 99, 99, 99, 99, 99, 47, 66, 99, 99, 99, 99, 99, 99,
                                  99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
                                  99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99};

// libjpeg's quality scaling (jcparam.c's documented formula): 50 is the tables as given, 100 all ones.
std::array<float, 64> scaled_table(const int* base, int quality) {
  const int scale = quality < 50 ? 5000 / quality : 200 - 2 * quality;
  std::array<float, 64> q{};
  for (int k = 0; k < 64; ++k) q[k] = static_cast<float>(std::clamp((base[k] * scale + 50) / 100, 1, 255));
  return q;
}

struct Dct8 {
  float basis[8][8];  // basis[u][x] = c(u)·cos((2x + 1)uπ/16), orthonormal: JPEG's DCT
  Dct8() {
    for (int u = 0; u < 8; ++u)
      for (int x = 0; x < 8; ++x)
        basis[u][x] = static_cast<float>((u == 0 ? std::sqrt(0.125) : 0.5) * std::cos((2 * x + 1) * u * M_PI / 16));
  }
};

// Quantises one plane (sizes multiples of 8, samples 0..255) block by block, in place: what the decoder gets back.
void quantise_plane(std::vector<float>& plane, int h, int w, const std::array<float, 64>& table) {
  static const Dct8 dct;
  float block[8][8], tmp[8][8];
  for (int by = 0; by < h; by += 8)
    for (int bx = 0; bx < w; bx += 8) {
      for (int y = 0; y < 8; ++y)
        for (int x = 0; x < 8; ++x) block[y][x] = plane[size_t(by + y) * w + bx + x] - 128.0f;
      // Forward: rows then columns; quantise; inverse: columns then rows.
      for (int y = 0; y < 8; ++y)
        for (int u = 0; u < 8; ++u) {
          float s = 0;
          for (int x = 0; x < 8; ++x) s += dct.basis[u][x] * block[y][x];
          tmp[y][u] = s;
        }
      for (int v = 0; v < 8; ++v)
        for (int u = 0; u < 8; ++u) {
          float s = 0;
          for (int y = 0; y < 8; ++y) s += dct.basis[v][y] * tmp[y][u];
          const float q = table[v * 8 + u];
          block[v][u] = std::round(s / q) * q;
        }
      for (int y = 0; y < 8; ++y)
        for (int u = 0; u < 8; ++u) {
          float s = 0;
          for (int v = 0; v < 8; ++v) s += dct.basis[v][y] * block[v][u];
          tmp[y][u] = s;
        }
      for (int y = 0; y < 8; ++y)
        for (int x = 0; x < 8; ++x) {
          float s = 0;
          for (int u = 0; u < 8; ++u) s += dct.basis[u][x] * tmp[y][u];
          plane[size_t(by + y) * w + bx + x] = std::clamp(std::round(s + 128.0f), 0.0f, 255.0f);
        }
    }
}

// libjpeg's "fancy" 2× upsampling along one axis: each output sample is 3/4 of the nearer input and 1/4 of the
// next one beyond it (edges repeat).
void upsample_rows(const std::vector<float>& in, int h, int w, std::vector<float>& out) {
  out.assign(size_t(2) * h * w, 0.0f);
  for (int y = 0; y < 2 * h; ++y) {
    const int near = y / 2, far = std::clamp(y % 2 ? near + 1 : near - 1, 0, h - 1);
    for (int x = 0; x < w; ++x)
      out[size_t(y) * w + x] = 0.75f * in[size_t(near) * w + x] + 0.25f * in[size_t(far) * w + x];
  }
}

void upsample_cols(const std::vector<float>& in, int h, int w, std::vector<float>& out) {
  out.assign(size_t(h) * 2 * w, 0.0f);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < 2 * w; ++x) {
      const int near = x / 2, far = std::clamp(x % 2 ? near + 1 : near - 1, 0, w - 1);
      out[size_t(y) * 2 * w + x] = 0.75f * in[size_t(y) * w + near] + 0.25f * in[size_t(y) * w + far];
    }
}

}  // namespace

float camera_iso(float amount) {
  return 4.0e6f * amount * amount;
}

void jpeg_round_trip(float* image, int channels, int height, int width, int quality, int origin_x, int origin_y) {
  if (height <= 0 || width <= 0 || (channels != 1 && channels != 3)) return;
  quality = std::clamp(quality, 1, 100);
  const size_t plane = size_t(height) * width;
  // The padded frame: whole 16×16 blocks (one 4:2:0 unit), the image placed at the origin's phase, edges repeated
  // outwards as encoders do.
  const int px = ((origin_x % 16) + 16) % 16, py = ((origin_y % 16) + 16) % 16;
  const int pw = (width + px + 15) / 16 * 16, ph = (height + py + 15) / 16 * 16;
  const auto sample = [&](int c, int X, int Y) {
    const int x = std::clamp(X - px, 0, width - 1), y = std::clamp(Y - py, 0, height - 1);
    return std::round(std::clamp(image[c * plane + size_t(y) * width + x], 0.0f, 1.0f) * 255.0f);
  };
  std::vector<float> luma_plane(size_t(ph) * pw), cb, cr;
  if (channels == 1) {
    for (int Y = 0; Y < ph; ++Y)
      for (int X = 0; X < pw; ++X) luma_plane[size_t(Y) * pw + X] = sample(0, X, Y);
    quantise_plane(luma_plane, ph, pw, scaled_table(kLumaTable, quality));
    for (int y = 0; y < height; ++y)
      for (int x = 0; x < width; ++x) image[size_t(y) * width + x] = luma_plane[size_t(y + py) * pw + x + px] / 255.0f;
    return;
  }
  // JFIF's YCbCr; chroma is averaged over 2×2 pixels (4:2:0).
  const int cw = pw / 2, ch = ph / 2;
  cb.assign(size_t(ch) * cw, 0.0f);
  cr.assign(size_t(ch) * cw, 0.0f);
  for (int Y = 0; Y < ph; ++Y)
    for (int X = 0; X < pw; ++X) {
      const float r = sample(0, X, Y), g = sample(1, X, Y), b = sample(2, X, Y);
      luma_plane[size_t(Y) * pw + X] = 0.299f * r + 0.587f * g + 0.114f * b;
      const size_t k = size_t(Y / 2) * cw + X / 2;
      cb[k] += 0.25f * (-0.168736f * r - 0.331264f * g + 0.5f * b + 128.0f);
      cr[k] += 0.25f * (0.5f * r - 0.418688f * g - 0.081312f * b + 128.0f);
    }
  quantise_plane(luma_plane, ph, pw, scaled_table(kLumaTable, quality));
  const std::array<float, 64> chroma_table = scaled_table(kChromaTable, quality);
  quantise_plane(cb, ch, cw, chroma_table);
  quantise_plane(cr, ch, cw, chroma_table);
  std::vector<float> tall, cb_full, cr_full;
  upsample_rows(cb, ch, cw, tall);
  upsample_cols(tall, ph, cw, cb_full);
  upsample_rows(cr, ch, cw, tall);
  upsample_cols(tall, ph, cw, cr_full);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) {
      const size_t k = size_t(y + py) * pw + x + px;
      const float l = luma_plane[k], u = cb_full[k] - 128.0f, v = cr_full[k] - 128.0f;
      const float rgb[3] = {l + 1.402f * v, l - 0.344136f * u - 0.714136f * v, l + 1.772f * u};
      for (int c = 0; c < 3; ++c)
        image[c * plane + size_t(y) * width + x] = std::clamp(std::round(rgb[c]), 0.0f, 255.0f) / 255.0f;
    }
}

void add_noise_image(const float* clean, float* out, int channels, int height, int width, const NoiseParams& params,
                     Rng& rng) {
  const size_t plane = size_t(std::max(height, 0)) * std::max(width, 0);
  if (!is_camera(params.kind)) {
    add_noise(clean, out, plane * std::max(channels, 0), params, rng);
    return;
  }
  if (plane == 0 || (channels != 1 && channels != 3)) return;
  if (channels == 3) {
    std::copy_n(clean, 3 * plane, out);
    camera_rgb(out, height, width, params, rng);
  } else {
    // A gray photo is a colour camera's photo made gray: the same sensor noise, then luma.
    std::vector<float> rgb(3 * plane);
    for (int c = 0; c < 3; ++c) std::copy_n(clean, plane, rgb.data() + c * plane);
    camera_rgb(rgb.data(), height, width, params, rng);
    for (size_t i = 0; i < plane; ++i) out[i] = to_8bit(luma(rgb[i], rgb[plane + i], rgb[2 * plane + i]));
  }
  if (params.kind == NoiseKind::CameraJpeg)
    jpeg_round_trip(out, channels, height, width, params.jpeg_quality, params.origin_x, params.origin_y);
}

void add_noise_image_masked(const float* clean, const float* mask, float* out, int channels, int height, int width,
                            const NoiseParams& params, Rng& rng) {
  const size_t plane = size_t(std::max(height, 0)) * std::max(width, 0);
  std::vector<float> noisy(plane * std::max(channels, 0));
  add_noise_image(clean, noisy.data(), channels, height, width, params, rng);
  for (int c = 0; c < channels; ++c)
    for (size_t i = 0; i < plane; ++i) {
      const float m = std::clamp(mask[i], 0.0f, 1.0f);
      const size_t k = c * plane + i;
      out[k] = clean[k] + m * (noisy[k] - clean[k]);
    }
}

}  // namespace dae
