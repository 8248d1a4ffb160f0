// MSE, PSNR, SSIM and the classical filters used as baselines.
#include "dae/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace dae {
namespace {

constexpr double kMaxPsnr = 100.0;
constexpr int kSsimRadius = 3;
constexpr float kSsimSigma = 1.5f;

std::vector<float> gaussian_kernel(float sigma, int radius) {
  std::vector<float> k(2 * radius + 1);
  float sum = 0;
  for (int i = -radius; i <= radius; ++i) sum += k[i + radius] = std::exp(-0.5f * i * i / (sigma * sigma));
  for (float& v : k) v /= sum;
  return k;
}

// Separable filtering with edge replication; tmp and out have h*w floats.
void separable(const float* in, float* out, int h, int w, const std::vector<float>& k) {
  const int r = static_cast<int>(k.size() / 2);
  std::vector<float> tmp(static_cast<size_t>(h) * w);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      float acc = 0;
      for (int i = -r; i <= r; ++i) acc += k[i + r] * in[static_cast<size_t>(y) * w + std::clamp(x + i, 0, w - 1)];
      tmp[static_cast<size_t>(y) * w + x] = acc;
    }
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      float acc = 0;
      for (int i = -r; i <= r; ++i) acc += k[i + r] * tmp[static_cast<size_t>(std::clamp(y + i, 0, h - 1)) * w + x];
      out[static_cast<size_t>(y) * w + x] = acc;
    }
}

bool all_finite(const float* v, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (!std::isfinite(v[i])) return false;
  return true;
}

}  // namespace

double mse(const float* a, const float* b, size_t count) {
  if (count == 0) return 0.0;
  double sum = 0;
  for (size_t i = 0; i < count; ++i) {
    const double d = static_cast<double>(a[i]) - b[i];
    sum += d * d;
  }
  return sum / static_cast<double>(count);
}

double psnr_db(double mse_value) {
  // NaN or infinite error (a NaN or overflowing output) has no PSNR; std::min would turn NaN into the 100 dB cap.
  if (!std::isfinite(mse_value)) return std::numeric_limits<double>::quiet_NaN();
  if (mse_value <= 0.0) return kMaxPsnr;
  return std::min(kMaxPsnr, 10.0 * std::log10(1.0 / mse_value));
}

double psnr_db(const float* a, const float* b, size_t count) {
  return psnr_db(mse(a, b, count));
}

double ssim(const float* a, const float* b, int h, int w) {
  const size_t n = static_cast<size_t>(h) * w;
  if (n == 0) return 1.0;
  if (!all_finite(a, n) || !all_finite(b, n)) return std::numeric_limits<double>::quiet_NaN();
  const std::vector<float> k = gaussian_kernel(kSsimSigma, kSsimRadius);
  const int r = kSsimRadius;
  const double c1 = 0.01 * 0.01, c2 = 0.03 * 0.03;
  // Band by band of rows, so memory stays a few bands' worth at any image size (a 50-megapixel plane would need
  // 1.8 GB as whole maps): each band's rows filtered across, with the rows its vertical pass reads (edge-replicated
  // as over the whole image), then down. The same operations in the same order as whole maps, so the same result.
  constexpr int kBand = 128;
  std::vector<float> across[5];  // a, b, a·a, b·b, a·b filtered along rows, for the band and its halo
  double sum = 0;
  for (int y0 = 0; y0 < h; y0 += kBand) {
    const int y1 = std::min(h, y0 + kBand), e0 = std::max(0, y0 - r), e1 = std::min(h, y1 + r);
    for (auto& m : across) m.resize(static_cast<size_t>(e1 - e0) * w);
    for (int y = e0; y < e1; ++y) {
      const float *ra = a + static_cast<size_t>(y) * w, *rb = b + static_cast<size_t>(y) * w;
      for (int x = 0; x < w; ++x) {
        float acc[5] = {0, 0, 0, 0, 0};
        for (int i = -r; i <= r; ++i) {
          const int xi = std::clamp(x + i, 0, w - 1);
          const float va = ra[xi], vb = rb[xi], kk = k[i + r];
          acc[0] += kk * va, acc[1] += kk * vb, acc[2] += kk * (va * va), acc[3] += kk * (vb * vb),
              acc[4] += kk * (va * vb);
        }
        for (int m = 0; m < 5; ++m) across[m][static_cast<size_t>(y - e0) * w + x] = acc[m];
      }
    }
    for (int y = y0; y < y1; ++y)
      for (int x = 0; x < w; ++x) {
        float f[5] = {0, 0, 0, 0, 0};
        for (int i = -r; i <= r; ++i) {
          const size_t at = static_cast<size_t>(std::clamp(y + i, 0, h - 1) - e0) * w + x;
          for (int m = 0; m < 5; ++m) f[m] += k[i + r] * across[m][at];
        }
        const double ma = f[0], mb = f[1];
        const double va = f[2] - ma * ma, vb = f[3] - mb * mb, cov = f[4] - ma * mb;
        sum += ((2 * ma * mb + c1) * (2 * cov + c2)) / ((ma * ma + mb * mb + c1) * (va + vb + c2));
      }
  }
  return sum / static_cast<double>(n);
}

double ssim_channels(const float* a, const float* b, int channels, int h, int w) {
  if (channels < 1) return 1.0;
  const size_t plane = static_cast<size_t>(h) * w;
  double sum = 0;
  for (int c = 0; c < channels; ++c) sum += ssim(a + c * plane, b + c * plane, h, w);
  return sum / channels;
}

void gaussian_blur(const float* in, float* out, int h, int w, float sigma) {
  if (sigma <= 0.0f) {
    std::copy_n(in, static_cast<size_t>(h) * w, out);
    return;
  }
  separable(in, out, h, w, gaussian_kernel(sigma, std::max(1, static_cast<int>(std::ceil(3 * sigma)))));
}

void median_filter(const float* in, float* out, int h, int w, int radius) {
  std::vector<float> window;
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      window.clear();
      for (int dy = -radius; dy <= radius; ++dy)
        for (int dx = -radius; dx <= radius; ++dx)
          window.push_back(in[static_cast<size_t>(std::clamp(y + dy, 0, h - 1)) * w + std::clamp(x + dx, 0, w - 1)]);
      std::nth_element(window.begin(), window.begin() + window.size() / 2, window.end());
      out[static_cast<size_t>(y) * w + x] = window[window.size() / 2];
    }
}

}  // namespace dae
