// Noise models and the portable random generator behind them.
#include "dae/noise.h"

#include <algorithm>
#include <cmath>

namespace dae {
namespace {

uint64_t splitmix64(uint64_t& x) {
  uint64_t z = (x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

uint64_t rotl(uint64_t x, int k) {
  return (x << k) | (x >> (64 - k));
}

constexpr float kTwoPi = 6.28318530717958647692f;

float noisy_pixel(float x, const NoiseParams& p, Rng& rng) {
  float v = x;
  switch (p.kind) {
    case NoiseKind::Gaussian: v = x + p.amount * rng.normal(); break;
    case NoiseKind::Speckle: v = x + p.amount * x * rng.normal(); break;
    case NoiseKind::SaltPepper: {
      const float u = rng.uniform();
      if (u < p.amount) v = u < 0.5f * p.amount ? 0.0f : 1.0f;
      break;
    }
    case NoiseKind::Poisson: {
      if (p.amount <= 0.0f) break;
      const float peak = 1.0f / (p.amount * p.amount);
      v = rng.poisson(std::max(x, 0.0f) * peak) / peak;
      break;
    }
    case NoiseKind::Camera:
    case NoiseKind::CameraJpeg: break;  // whole images only: add_noise_image
  }
  return std::clamp(v, 0.0f, 1.0f);
}

}  // namespace

Rng::Rng(uint64_t seed) {
  for (uint64_t& s : s_) s = splitmix64(seed);
}

uint64_t Rng::next() {
  const uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

float Rng::uniform() {
  return static_cast<float>(next() >> 40) * (1.0f / 16777216.0f);
}

float Rng::normal() {
  if (has_spare_) {
    has_spare_ = false;
    return spare_;
  }
  // Box-Muller on (0, 1] so the logarithm is finite.
  const float u1 = 1.0f - uniform();
  const float u2 = uniform();
  const float r = std::sqrt(-2.0f * std::log(u1));
  spare_ = r * std::sin(kTwoPi * u2);
  has_spare_ = true;
  return r * std::cos(kTwoPi * u2);
}

float Rng::poisson(float lambda) {
  if (lambda <= 0.0f) return 0.0f;
  if (lambda > 64.0f) return std::max(0.0f, std::round(lambda + std::sqrt(lambda) * normal()));
  // Knuth's product of uniforms: exact for small means.
  const float limit = std::exp(-lambda);
  float product = 1.0f - uniform();
  int k = 0;
  while (product > limit && k < 1000) {
    product *= 1.0f - uniform();
    ++k;
  }
  return static_cast<float>(k);
}

const char* noise_name(NoiseKind kind) {
  switch (kind) {
    case NoiseKind::Gaussian: return "gaussian";
    case NoiseKind::SaltPepper: return "salt-pepper";
    case NoiseKind::Speckle: return "speckle";
    case NoiseKind::Poisson: return "poisson";
    case NoiseKind::Camera: return "camera";
    case NoiseKind::CameraJpeg: return "camera-jpeg";
  }
  return "?";
}

Result<NoiseKind> parse_noise_kind(std::string_view name) {
  std::string known;
  for (NoiseKind k : kNoiseKinds) {
    if (name == noise_name(k)) return k;
    known += std::string(known.empty() ? "" : ", ") + noise_name(k);
  }
  return Status::Error("unknown noise '" + std::string(name) + "' (known: " + known + ")");
}

void add_noise(const float* clean, float* out, size_t count, const NoiseParams& params, Rng& rng) {
  if (is_camera(params.kind)) return add_noise_image(clean, out, 1, 1, static_cast<int>(count), params, rng);
  for (size_t i = 0; i < count; ++i) out[i] = noisy_pixel(clean[i], params, rng);
}

void add_noise_masked(const float* clean, const float* mask, float* out, size_t count, const NoiseParams& params,
                      Rng& rng) {
  if (is_camera(params.kind))
    return add_noise_image_masked(clean, mask, out, 1, 1, static_cast<int>(count), params, rng);
  for (size_t i = 0; i < count; ++i) {
    const float m = std::clamp(mask[i], 0.0f, 1.0f);
    const float noisy = noisy_pixel(clean[i], params, rng);
    out[i] = clean[i] + m * (noisy - clean[i]);
  }
}

}  // namespace dae
